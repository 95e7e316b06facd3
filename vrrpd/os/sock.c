/* sock.c - raw VRRP socket (see sock.h). */
#include "vrrpd/os/sock.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/compiler.h"
#include "proto/vrrp_pkt.h"

struct sockopt {
    int level, name;
    const void *val;
    socklen_t len;
};

/* Apply n socket options in order; the first that fails ends it. Each
 * socket's options are a table, so that what an advert's socket is set to
 * reads in one place per family. */
static int set_opts(int fd, const struct sockopt *o, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (setsockopt(fd, o[i].level, o[i].name, o[i].val, o[i].len) == -1)
            return -errno;
    return 0;
}

/* A raw VRRP socket of family af bound to ifname with the options of o,
 * or a negative errno (nothing left open). */
static int open_raw(int af, const char *ifname, const struct sockopt *o, size_t n)
{
    int fd, r;

    fd = socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, VRRP_PKT_PROTO);
    if (fd == -1)
        return -errno;
    /* adverts are per link: bound to the interface, whatever the routes */
    r = setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) == -1
            ? -errno
            : set_opts(fd, o, n);
    if (r < 0) {
        close(fd);
        return r;
    }
    return fd;
}

/* The IPv4 advert socket with the first n of its options: 2 for unicast,
 * 5 to send multicast without joining the group, all 6 to join it. */
static int open4(const char *ifname, int ifindex, size_t n)
{
    struct ip_mreqn mr = {.imr_ifindex = ifindex};
    int ttl = VRRP_PKT_TTL, tos = 0xc0, off = 0;
    /* RFC 5798: TTL 255 (a receiver drops anything less) and IP
     * precedence 6 (internetwork control), as Keepalived sets; multicast
     * to 224.0.0.18 unless unicast peers are configured, without looping
     * our own adverts back */
    const struct sockopt o[] = {
        {IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)},
        {IPPROTO_IP, IP_TOS, &tos, sizeof(tos)},
        {IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)},
        {IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)},
        {IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof(off)},
        {IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)},
    };

    mr.imr_multiaddr.s_addr = htonl(VRRP_PKT_MCAST_GROUP);
    return open_raw(AF_INET, ifname, o, n < LK_ARRAY_SIZE(o) ? n : LK_ARRAY_SIZE(o));
}

int vr_sock_open(const char *ifname, int ifindex, int unicast)
{
    return open4(ifname, ifindex, unicast ? 2 : 6);
}

int vr_sock_open_tx(const char *ifname, int ifindex)
{
    /* a raw socket gets a copy of every VRRP packet of its link: nothing
     * reads this one, so it accepts none */
    struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
    struct sock_fprog prog = {.len = 1, .filter = &drop};
    int fd = open4(ifname, ifindex, 5), r;

    if (fd < 0)
        return fd;
    r = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
    if (r == -1) {
        r = -errno;
        close(fd);
        return r;
    }
    return fd;
}

/* sendmsg() with one control message naming the source address and the
 * interface (IP_PKTINFO, IPV6_PKTINFO): an advert must leave from the
 * instance's interface and address whatever the routing table says. */
static int send_info(int fd,
                     void *to,
                     socklen_t tolen,
                     int level,
                     int type,
                     const void *info,
                     size_t infolen,
                     const void *buf,
                     size_t len)
{
    union {
        char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
    struct msghdr msg = {.msg_name = to,
                         .msg_namelen = tolen,
                         .msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = ctl.buf,
                         .msg_controllen = CMSG_SPACE(infolen)};
    struct cmsghdr *cm;

    memset(&ctl, 0, sizeof(ctl));
    cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = level;
    cm->cmsg_type = type;
    cm->cmsg_len = CMSG_LEN(infolen);
    memcpy(CMSG_DATA(cm), info, infolen);
    if (sendmsg(fd, &msg, 0) == -1)
        return -errno;
    return 0;
}

int vr_sock_send(int fd, int ifindex, uint32_t src, uint32_t dst, const void *buf, size_t len)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = dst};
    struct in_pktinfo pi = {.ipi_ifindex = ifindex, .ipi_spec_dst.s_addr = src};

    return send_info(fd, &to, sizeof(to), IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi), buf, len);
}

int vr_sock_open6(const char *ifname, int ifindex, int unicast)
{
    struct ipv6_mreq mr = {.ipv6mr_interface = (unsigned)ifindex};
    int hops = VRRP_PKT_TTL, tclass = 0xc0, on = 1, off = 0;
    /* the same for IPv6 (hop limit 255 both ways, ff02::12), and ask for
     * each advert's hop limit and destination, which the receiver checks */
    const struct sockopt o[] = {
        {IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)},
        {IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)},
        {IPPROTO_IPV6, IPV6_TCLASS, &tclass, sizeof(tclass)},
        {IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)},
        {IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof(off)},
        {IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on)},
        {IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)},
        {IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mr, sizeof(mr)},
    };

    mr.ipv6mr_multiaddr = (struct in6_addr){{{0xff, 0x02, [15] = 0x12}}};
    /* unicast: no group (the membership is the table's last entry) */
    return open_raw(AF_INET6, ifname, o, LK_ARRAY_SIZE(o) - (unicast ? 1 : 0));
}

int vr_sock_send6(int fd,
                  int ifindex,
                  const uint8_t src[16],
                  const uint8_t dst[16],
                  const void *buf,
                  size_t len)
{
    struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_scope_id = (uint32_t)ifindex};
    struct in6_pktinfo pi = {.ipi6_ifindex = (unsigned)ifindex};

    memcpy(&to.sin6_addr, dst, 16);
    memcpy(&pi.ipi6_addr, src, 16);
    return send_info(fd, &to, sizeof(to), IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi), buf, len);
}

ssize_t vr_sock_recv6(int fd,
                      void *buf,
                      size_t len,
                      uint8_t src[16],
                      uint8_t dst[16],
                      uint8_t *hop_limit)
{
    union {
        char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct sockaddr_in6 from;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr msg = {.msg_name = &from,
                         .msg_namelen = sizeof(from),
                         .msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = ctl.buf,
                         .msg_controllen = sizeof(ctl.buf)};
    struct cmsghdr *cm;
    ssize_t n;

    n = recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n < 0)
        return -errno;
    memcpy(src, &from.sin6_addr, 16);
    memset(dst, 0, 16);
    *hop_limit = 0;
    for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level != IPPROTO_IPV6)
            continue;
        if (cm->cmsg_type == IPV6_HOPLIMIT && cm->cmsg_len >= CMSG_LEN(sizeof(int))) {
            int h;

            memcpy(&h, CMSG_DATA(cm), sizeof(h));
            *hop_limit = (uint8_t)(h < 0 || h > 255 ? 0 : h);
        } else if (cm->cmsg_type == IPV6_PKTINFO &&
                   cm->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
            struct in6_pktinfo pi;

            memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
            memcpy(dst, &pi.ipi6_addr, 16);
        }
    }
    return n;
}

uint64_t vr_sock_overflows(int fd)
{
    uint32_t mem[SK_MEMINFO_VARS];
    socklen_t len = sizeof(mem);

    if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 ||
        len <= SK_MEMINFO_DROPS * sizeof(mem[0]))
        return 0;
    return mem[SK_MEMINFO_DROPS];
}
