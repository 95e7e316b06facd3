/* proxy_proto.c - see proxy_proto.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "proxy_proto.h"

/* the v2 signature: "\r\n\r\n\0\r\nQUIT\n" */
static const uint8_t v2_sig[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                   0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

struct pp_ends {
    int family; /* AF_INET, AF_INET6, or 0: unknown */
    uint8_t src[16], dst[16];
    uint16_t sport, dport; /* network order */
};

static void mapped(const struct sockaddr_in *in, uint8_t out[16], uint16_t *port)
{
    memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    memcpy(out + 12, &in->sin_addr, 4);
    *port = in->sin_port;
}

static void one_end(const struct sockaddr *sa, int family, uint8_t out[16], uint16_t *port)
{
    const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

    if (family == AF_INET) {
        memcpy(out, &in->sin_addr, 4);
        *port = in->sin_port;
    } else if (sa->sa_family == AF_INET) {
        mapped(in, out, port);
    } else {
        memcpy(out, &in6->sin6_addr, 16);
        *port = in6->sin6_port;
    }
}

static int ip_family(const struct sockaddr *sa)
{
    return sa && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6) ? sa->sa_family : 0;
}

/* The header carries one family for both ends: when the client and the
 * listener differ (a v4 client on a dual-stack listener), both are sent as
 * IPv6, the v4 one mapped (::ffff:a.b.c.d), as HAProxy does. An end that is
 * not IP makes the header UNKNOWN/LOCAL: the server then uses the
 * connection's own addresses. */
static void ends_of(const struct sockaddr *src, const struct sockaddr *dst, struct pp_ends *e)
{
    int fs = ip_family(src), fd = ip_family(dst);

    memset(e, 0, sizeof(*e));
    if (!fs || !fd)
        return;
    e->family = fs == fd ? fs : AF_INET6;
    one_end(src, e->family, e->src, &e->sport);
    one_end(dst, e->family, e->dst, &e->dport);
}

static int build_v1(const struct pp_ends *e, uint8_t *buf, size_t cap)
{
    char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
    int n;

    if (!e->family)
        n = snprintf((char *)buf, cap, "PROXY UNKNOWN\r\n");
    else if (!inet_ntop(e->family, e->src, s, sizeof(s)) ||
             !inet_ntop(e->family, e->dst, d, sizeof(d)))
        return -EINVAL;
    else
        n = snprintf((char *)buf, cap, "PROXY %s %s %s %u %u\r\n",
                     e->family == AF_INET ? "TCP4" : "TCP6", s, d, ntohs(e->sport),
                     ntohs(e->dport));
    return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

/* Ports and addresses are copied in network order, as the PROXY v2 spec
 * requires; the LOCAL command with UNSPEC family and no body is the "health
 * check or unknown" form. */
static int build_v2(const struct pp_ends *e, uint8_t *buf, size_t cap)
{
    size_t alen = e->family == AF_INET ? 4 : 16, body = e->family ? 2 * alen + 4 : 0;

    if (cap < 16 + body)
        return -ENOSPC;
    memcpy(buf, v2_sig, sizeof(v2_sig));
    buf[12] = e->family ? 0x21 : 0x20; /* version 2, PROXY or LOCAL */
    /* TCP over IPv4 (0x11) or IPv6 (0x21), or UNSPEC */
    buf[13] = !e->family ? 0x00 : e->family == AF_INET ? 0x11 : 0x21;
    buf[14] = (uint8_t)(body >> 8);
    buf[15] = (uint8_t)body;
    if (e->family) {
        memcpy(buf + 16, e->src, alen);
        memcpy(buf + 16 + alen, e->dst, alen);
        memcpy(buf + 16 + 2 * alen, &e->sport, 2);
        memcpy(buf + 18 + 2 * alen, &e->dport, 2);
    }
    return (int)(16 + body);
}

int proxy_proto_build(int version,
                      const struct sockaddr *src,
                      const struct sockaddr *dst,
                      uint8_t *buf,
                      size_t cap)
{
    struct pp_ends e;

    ends_of(src, dst, &e);
    if (version == 1)
        return build_v1(&e, buf, cap);
    if (version == 2)
        return build_v2(&e, buf, cap);
    return -EINVAL;
}
