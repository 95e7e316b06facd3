/* garp.h - gratuitous ARP on an interface through an AF_PACKET socket, so
 * neighbours (and the bridge's forwarding table) follow the VIP to its new
 * master. The frame itself comes from proto/vrrp_pkt_garp(). */
#ifndef VR_GARP_H
#define VR_GARP_H

#include <stdint.h>

/* Open a packet socket bound to ifindex for ARP. fd or negative errno. */
int vr_garp_open(int ifindex);

/* Send one gratuitous ARP for ip (network order) from mac. 0 or -errno. */
int vr_garp_send(int fd, int ifindex, const uint8_t mac[6], uint32_t ip);

#endif
