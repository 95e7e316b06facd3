/* garp.h - gratuitous ARP (IPv4) and unsolicited neighbour advertisements
 * (IPv6) on an interface through an AF_PACKET socket, so neighbours (and
 * the bridge's forwarding table) follow the VIP to its new master. The
 * frames themselves come from proto/vrrp_pkt_garp() / vrrp_pkt_una(). */
#ifndef VR_GARP_H
#define VR_GARP_H

#include <stdint.h>

/* Open a packet socket bound to ifindex for ARP. fd or negative errno. */
int vr_garp_open(int ifindex);

/* Send one gratuitous ARP for ip (network order) from mac. 0 or -errno. */
int vr_garp_send(int fd, int ifindex, const uint8_t mac[6], uint32_t ip);

/* Send one unsolicited neighbour advertisement for ip6 from mac on the
 * same socket (proto/vrrp_pkt_una()); `router`: set the Router flag.
 * 0 or -errno. */
int vr_na_send(int fd, int ifindex, const uint8_t mac[6], const uint8_t ip6[16], int router);

/* Whether ifname forwards IPv6 (net.ipv6.conf.IFNAME.forwarding), which is
 * when Keepalived sets the Router flag of its neighbour advertisements.
 * 1, 0, or 0 when unreadable. */
int vr_na_router_flag(const char *ifname);

#endif
