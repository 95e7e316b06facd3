/* sock.c - raw VRRP socket (see sock.h). */
#include "vrrpd/os/sock.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/vrrp_pkt.h"

static int opt(int fd, int level, int name, const void *v, socklen_t len)
{
    return setsockopt(fd, level, name, v, len) == -1 ? -errno : 0;
}

static int mcast_setup(int fd, int ifindex)
{
    struct ip_mreqn mr = {.imr_ifindex = ifindex};
    int ttl = VRRP_PKT_TTL, off = 0, r;

    mr.imr_multiaddr.s_addr = htonl(VRRP_PKT_MCAST_GROUP);
    r = opt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr));
    if (r == 0)
        r = opt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
    if (r == 0)
        r = opt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof(off));
    if (r == 0)
        r = opt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr));
    return r;
}

int vr_sock_open(const char *ifname, int ifindex, int unicast)
{
    int ttl = VRRP_PKT_TTL, tos = 0xc0, fd, r;

    fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, VRRP_PKT_PROTO);
    if (fd == -1)
        return -errno;
    r = opt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname));
    if (r == 0)
        r = opt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
    if (r == 0)
        r = opt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
    if (r == 0 && !unicast)
        r = mcast_setup(fd, ifindex);
    if (r < 0) {
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
    static const uint8_t group[16] = {0xff, 0x02, [15] = 0x12};
    struct ipv6_mreq mr = {.ipv6mr_interface = (unsigned)ifindex};
    int hops = VRRP_PKT_TTL, tclass = 0xc0, on = 1, off = 0, fd, r;

    fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, VRRP_PKT_PROTO);
    if (fd == -1)
        return -errno;
    memcpy(&mr.ipv6mr_multiaddr, group, 16);
    r = opt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname));
    if (r == 0)
        r = opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops));
    if (r == 0)
        r = opt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops));
    if (r == 0)
        r = opt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tclass, sizeof(tclass));
    if (r == 0)
        r = opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex));
    if (r == 0)
        r = opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof(off));
    if (r == 0)
        r = opt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on));
    if (r == 0)
        r = opt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
    if (r == 0 && !unicast)
        r = opt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mr, sizeof(mr));
    if (r < 0) {
        close(fd);
        return r;
    }
    return fd;
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
