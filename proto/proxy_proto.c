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

/* ---- receiving (accept-proxy) ---- */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* The TLVs from off must tile the rest of the header exactly; the limits
 * are HAProxy's (PP2_AUTHORITY_MAX, UNIQUEID_LEN). HAProxy 2.6 does not
 * check a CRC32C TLV (a wrong one passes there, so here too). */
static int v2_tlvs(const uint8_t *buf, size_t off, size_t total)
{
    while (off < total) {
        size_t tl;

        if (off + 3 > total)
            return -EINVAL;
        tl = be16(buf + off + 1);
        if (off + 3 + tl > total)
            return -EINVAL;
        if ((buf[off] == 0x02 && tl > 255) || (buf[off] == 0x05 && tl > 128))
            return -EINVAL;
        off += 3 + tl;
    }
    return 0;
}

static int parse_v2(const uint8_t *buf, size_t len, struct proxy_proto_info *out)
{
    size_t body, total, alen;
    int r;

    if (memcmp(buf, v2_sig, sizeof(v2_sig)) != 0 || (buf[12] & 0xf0) != 0x20)
        return -ENOMSG;
    body = be16(buf + 14);
    total = 16 + body;
    if (len < total)
        return -EAGAIN;
    memset(out, 0, sizeof(*out));
    out->local = 1;
    if ((buf[12] & 0x0f) == 0x00)
        return (int)total;
    if ((buf[12] & 0x0f) != 0x01)
        return -EINVAL;
    /* PROXY over another family (UDP, Unix, UNSPEC): HAProxy 2.6 walks
     * TLVs from the very start of the header then, which a real header
     * fails (the signature reads as a TLV longer than it); if the walk
     * passes, the connection's own addresses stay */
    if (buf[13] != 0x11 && buf[13] != 0x21)
        return v2_tlvs(buf, 0, total) < 0 ? -EINVAL : (int)total;
    alen = buf[13] == 0x11 ? 4 : 16;
    if (body < 2 * alen + 4)
        return -EINVAL;
    /* the addresses first: a TLV error then still names them */
    out->local = 0;
    out->family = alen == 4 ? AF_INET : AF_INET6;
    memcpy(out->src, buf + 16, alen);
    memcpy(out->dst, buf + 16 + alen, alen);
    out->sport = be16(buf + 16 + 2 * alen);
    out->dport = be16(buf + 18 + 2 * alen);
    r = v2_tlvs(buf, 16 + 2 * alen + 4, total);
    return r < 0 ? r : (int)total;
}

/* A v1 port as HAProxy 2.6 reads it: decimal digits only, but none is
 * port 0 and the value wraps (unsigned int, then 16 bits: "70000" is
 * 4464); no range check. */
static int v1_port(const char *s, size_t n, uint16_t *ret)
{
    unsigned v = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        v = v * 10u + (unsigned)(s[i] - '0');
    }
    *ret = (uint16_t)v;
    return 0;
}

static int v1_addr(int family, const char *s, size_t n, uint8_t out[16])
{
    char tmp[INET6_ADDRSTRLEN];

    if (n == 0 || n >= sizeof(tmp))
        return -EINVAL;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return inet_pton(family, tmp, out) == 1 ? 0 : -EINVAL;
}

/* "SRC DST SPORT DPORT" of a TCP4/TCP6 line (line..end, CRLF excluded):
 * exactly four fields, one space apart. */
static int v1_fields(int family, const char *line, const char *end, struct proxy_proto_info *out)
{
    const char *f[4], *e[4], *p = line;
    int i;

    for (i = 0; i < 4; i++) {
        f[i] = p;
        while (p < end && *p != ' ')
            p++;
        e[i] = p;
        if (i < 3 && p++ == end)
            return -EINVAL;
    }
    if (e[3] != end || v1_addr(family, f[0], (size_t)(e[0] - f[0]), out->src) < 0 ||
        v1_addr(family, f[1], (size_t)(e[1] - f[1]), out->dst) < 0 ||
        v1_port(f[2], (size_t)(e[2] - f[2]), &out->sport) < 0 ||
        v1_port(f[3], (size_t)(e[3] - f[3]), &out->dport) < 0)
        return -EINVAL;
    out->family = family;
    return 0;
}

/* Starts with "PROXY ". The protocol word is judged as soon as its bytes
 * are there; HAProxy accepts UNKNOWN only in its short form. */
static int parse_v1(const uint8_t *buf, size_t len, struct proxy_proto_info *out)
{
    static const char *const protos[] = {"TCP4 ", "TCP6 ", "UNKNOWN\r\n"};
    const char *s = (const char *)buf, *cr;
    size_t i, k, n = len - 6;

    if (len < 9)
        return -EAGAIN;
    for (i = 0; i < 3; i++) {
        k = strlen(protos[i]);
        if (memcmp(s + 6, protos[i], n < k ? n : k) == 0)
            break;
    }
    if (i == 3)
        return -EPROTONOSUPPORT;
    if (n < strlen(protos[i]))
        return -EAGAIN;
    memset(out, 0, sizeof(*out));
    if (i == 2) {
        out->local = 1;
        return 6 + 9;
    }
    cr = memchr(s + 11, '\r', len - 11);
    if (!cr || (size_t)(cr - s) + 1 == len)
        return -EAGAIN;
    if (cr[1] != '\n' || v1_fields(i ? AF_INET6 : AF_INET, s + 11, cr, out) < 0)
        return -EINVAL;
    return (int)(cr - s) + 2;
}

/* HAProxy judges the first bytes it reads: fewer than 6, or fewer than 16
 * that are not "PROXY ...", are a truncated header, not a wrong one. */
int proxy_proto_parse(const uint8_t *buf, size_t len, struct proxy_proto_info *out)
{
    if (len < 6)
        return -EAGAIN;
    if (memcmp(buf, "PROXY ", 6) == 0)
        return parse_v1(buf, len, out);
    if (len < 16)
        return -EAGAIN;
    return parse_v2(buf, len, out);
}
