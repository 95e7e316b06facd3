/* garp.c - gratuitous ARP sender (see garp.h). */
#include "vrrpd/os/garp.h"

#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/vrrp_pkt.h"

/* A packet socket per instance, bound to its interface: the frames are built
 * whole in proto/ (Ethernet header included), so the kernel's ARP code is
 * bypassed and the announcement goes out even when the kernel would not
 * announce the address itself. */
int vr_garp_open(int ifindex)
{
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP), .sll_ifindex = ifindex};
    int fd, r;

    /* protocol 0: this socket only sends, it must not queue every ARP */
    fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -errno;
    if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1) {
        r = -errno;
        close(fd);
        return r;
    }
    return fd;
}

/* Broadcast, as gratuitous ARP must be (RFC 5227 3): every host and switch on
 * the segment updates its entry for the VIP. */
int vr_garp_send(int fd, int ifindex, const uint8_t mac[6], uint32_t ip)
{
    struct sockaddr_ll to = {.sll_family = AF_PACKET,
                             .sll_protocol = htons(ETH_P_ARP),
                             .sll_ifindex = ifindex,
                             .sll_halen = 6};
    uint8_t frame[VRRP_PKT_GARP_LEN];
    int n;

    n = vrrp_pkt_garp(mac, ip, frame, sizeof(frame));
    if (n < 0)
        return -EINVAL;
    memset(to.sll_addr, 0xff, 6);
    if (sendto(fd, frame, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)) == -1)
        return -errno;
    return 0;
}

/* An unsolicited neighbour advertisement to all-nodes ff02::1 (Ethernet
 * 33:33:00:00:00:01), RFC 4861 7.2.6, with the override flag so that
 * neighbours replace the old master's link-layer address. */
int vr_na_send(int fd, int ifindex, const uint8_t mac[6], const uint8_t ip6[16], int router)
{
    /* the frame's own ethertype; the socket was bound for ARP only to
     * name the interface */
    struct sockaddr_ll to = {.sll_family = AF_PACKET,
                             .sll_protocol = htons(ETH_P_IPV6),
                             .sll_ifindex = ifindex,
                             .sll_halen = 6,
                             .sll_addr = {0x33, 0x33, 0, 0, 0, 1}};
    uint8_t frame[VRRP_PKT_NA_LEN];
    int n;

    n = vrrp_pkt_una(mac, ip6, router, frame, sizeof(frame));
    if (n < 0)
        return -EINVAL;
    if (sendto(fd, frame, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)) == -1)
        return -errno;
    return 0;
}

/* The R flag of the advertisement says whether this node is a router (RFC
 * 4861 4.4); a host announcing R=1 wrongly would make its neighbours treat it
 * as a router, so the flag follows the interface's forwarding setting. */
int vr_na_router_flag(const char *ifname)
{
    char path[128];
    FILE *f;
    int c;

    snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/forwarding", ifname);
    f = fopen(path, "re");
    if (!f)
        return 0;
    c = fgetc(f);
    fclose(f);
    return c == '1';
}
