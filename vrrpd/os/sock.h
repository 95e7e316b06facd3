/* sock.h - the raw IPPROTO_VRRP socket of one instance: multicast to
 * 224.0.0.18 with TTL 255 on one interface, or unicast to configured peers.
 * The kernel writes the IP header; the source address is set per packet
 * (IP_PKTINFO) because binding a raw socket to an address would also filter
 * what it receives by destination, and multicast would never match. */
#ifndef VR_SOCK_H
#define VR_SOCK_H

#include <stddef.h>
#include <stdint.h>

/* Open, bind to the device, join 224.0.0.18 on it (unless unicast), set TTL
 * 255, TOS 0xc0 (CS6, as Keepalived), no multicast loop. Non-blocking.
 * Returns the fd or a negative errno. */
int vr_sock_open(const char *ifname, int ifindex, int unicast);

/* Send `len` bytes of VRRP to dst (network order) from src. 0 or a
 * negative errno. */
int vr_sock_send(int fd, int ifindex, uint32_t src, uint32_t dst, const void *buf, size_t len);

#endif
