/* sock.h - the raw IPPROTO_VRRP socket of one instance: multicast to
 * 224.0.0.18 with TTL 255 on one interface, or unicast to configured peers.
 * The kernel writes the IP header; the source address is set per packet
 * (IP_PKTINFO) because binding a raw socket to an address would also filter
 * what it receives by destination, and multicast would never match. */
#ifndef VR_SOCK_H
#define VR_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Open, bind to the device, join 224.0.0.18 on it (unless unicast), set TTL
 * 255, TOS 0xc0 (CS6, as Keepalived), no multicast loop. Non-blocking.
 * Returns the fd or a negative errno. */
int vr_sock_open(const char *ifname, int ifindex, int unicast);

/* A send-only IPv4 VRRP socket on ifname (use_vmac: adverts leave from the
 * virtual MAC's link, while the instance's socket on the parent receives):
 * the options of vr_sock_open() without the group membership, and a
 * filter that drops whatever it would receive. fd or a negative errno. */
int vr_sock_open_tx(const char *ifname, int ifindex);

/* Send `len` bytes of VRRP to dst (network order) from src. 0 or a
 * negative errno. */
int vr_sock_send(int fd, int ifindex, uint32_t src, uint32_t dst, const void *buf, size_t len);

/* IPv6 (RFC 5798 5.1.2): join ff02::12 on the interface (unless unicast), hop limit 255
 * for multicast and unicast, traffic class 0xc0, no loop, and ask for the
 * hop limit and destination of each packet (IPV6_RECVHOPLIMIT,
 * IPV6_RECVPKTINFO): a raw IPv6 socket does not deliver the header.
 * The checksum is vrrpd's (proto/vrrp_pkt.c), not the kernel's. fd or a
 * negative errno. */
int vr_sock_open6(const char *ifname, int ifindex, int unicast);

/* Send from src (a link-local address of ifindex) to dst. 0 or -errno. */
int vr_sock_send6(int fd,
                  int ifindex,
                  const uint8_t src[16],
                  const uint8_t dst[16],
                  const void *buf,
                  size_t len);

/* Receive one packet: its VRRP bytes into buf, the source, destination
 * and hop limit (missing ancillary data leaves the hop limit 0, which the
 * checks drop). Bytes read, or a negative errno (-EAGAIN: none). */
ssize_t vr_sock_recv6(int fd,
                      void *buf,
                      size_t len,
                      uint8_t src[16],
                      uint8_t dst[16],
                      uint8_t *hop_limit);

/* Packets the kernel dropped because fd's receive buffer was full (a
 * flood faster than vrrpd reads), from SO_MEMINFO; 0 if unknown. */
uint64_t vr_sock_overflows(int fd);

#endif
