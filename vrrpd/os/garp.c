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
