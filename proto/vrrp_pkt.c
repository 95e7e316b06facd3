/* vrrp_pkt.c - VRRP v2/v3 advertisement codec (see vrrp_pkt.h). */
#include "proto/vrrp_pkt.h"

#include <string.h>

/* The names "show vrrp" and the JSON drop counters use, so they are part of
 * vrrpd's monitoring interface and stay stable. */
static const char *const err_names[VRRP_PKT_E_MAX] = {
    [VRRP_PKT_E_OK] = "ok",
    [VRRP_PKT_E_SHORT] = "short",
    [VRRP_PKT_E_IPHDR] = "ip_header",
    [VRRP_PKT_E_TTL] = "ttl",
    [VRRP_PKT_E_VERSION] = "version",
    [VRRP_PKT_E_TYPE] = "type",
    [VRRP_PKT_E_CHECKSUM] = "checksum",
    [VRRP_PKT_E_ADDRCOUNT] = "addr_count",
    [VRRP_PKT_E_VRID] = "vrid",
    [VRRP_PKT_E_AUTH] = "auth",
    [VRRP_PKT_E_INTERVAL] = "interval",
    [VRRP_PKT_E_NOSPACE] = "nospace",
    [VRRP_PKT_E_INVAL] = "invalid",
};

const char *vrrp_pkt_strerror(int err)
{
    if (err < 0)
        err = -err;
    if (err >= VRRP_PKT_E_MAX)
        return "unknown";
    return err_names[err];
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* The Internet checksum (RFC 1071), folded to 16 bits; sum carries a pseudo-
 * header's partial sum in. Verifying a packet whose checksum field is
 * included yields 0. */
uint16_t vrrp_pkt_csum(const uint8_t *buf, size_t len, uint32_t sum)
{
    size_t i;

    for (i = 0; i + 1 < len; i += 2)
        sum += get16(buf + i);
    if (len & 1)
        sum += (uint32_t)buf[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* The IPv4 pseudo-header of RFC 5798 5.2.8: source, destination, zero,
 * protocol, VRRP length. Addresses arrive in network order. */
static uint32_t pseudo_sum(uint32_t src, uint32_t dst, size_t len)
{
    uint8_t ph[12];

    memcpy(ph, &src, 4);
    memcpy(ph + 4, &dst, 4);
    ph[8] = 0;
    ph[9] = VRRP_PKT_PROTO;
    put16(ph + 10, (uint16_t)len);
    return (uint32_t)(uint16_t)~vrrp_pkt_csum(ph, sizeof(ph), 0);
}

/* The IPv6 pseudo-header (RFC 8200 8.1): source, destination, upper-layer
 * length (32 bits), three zero bytes, next header. */
static uint32_t pseudo6_sum(const uint8_t src[16], const uint8_t dst[16], size_t len, uint8_t nh)
{
    uint8_t ph[40];

    memcpy(ph, src, 16);
    memcpy(ph + 16, dst, 16);
    ph[32] = ph[33] = 0;
    put16(ph + 34, (uint16_t)len);
    ph[36] = ph[37] = ph[38] = 0;
    ph[39] = nh;
    return (uint32_t)(uint16_t)~vrrp_pkt_csum(ph, sizeof(ph), 0);
}

/* Bytes the packet must have for its version, address size and count. */
static size_t wire_len(unsigned version, unsigned alen, unsigned naddr)
{
    return VRRP_PKT_HDR_LEN + alen * naddr + (version == 2 ? VRRP_PKT_AUTH_LEN : 0u);
}

/* The fixed part both families share: version, type, VRID, priority,
 * count, interval, checksum field. Returns the length the count calls for
 * (alen bytes an address) or a negative VRRP_PKT_E_*. */
static int decode_fixed(const uint8_t *buf, size_t len, unsigned alen, struct vrrp_pkt *p)
{
    size_t need;

    if (len < VRRP_PKT_HDR_LEN)
        return -VRRP_PKT_E_SHORT;
    memset(p, 0, sizeof(*p));
    p->version = buf[0] >> 4;
    p->type = buf[0] & 0x0f;
    if (p->version != 2 && p->version != 3)
        return -VRRP_PKT_E_VERSION;
    if (p->type != VRRP_PKT_TYPE_ADVERT)
        return -VRRP_PKT_E_TYPE;
    p->vrid = buf[1];
    p->priority = buf[2];
    p->naddr = buf[3];
    if (p->naddr > VRRP_PKT_MAX_ADDRS)
        return -VRRP_PKT_E_ADDRCOUNT;
    need = wire_len(p->version, alen, p->naddr);
    /* trailing bytes beyond what the count announces are ignored by RFC
     * 3768 receivers too; fewer than announced is a count mismatch */
    if (len < need)
        return -VRRP_PKT_E_ADDRCOUNT;
    if (p->version == 2) {
        p->auth_type = buf[4];
        p->adver_int = buf[5];
        memcpy(p->auth, buf + need - VRRP_PKT_AUTH_LEN, VRRP_PKT_AUTH_LEN);
    } else {
        p->adver_int = get16(buf + 4) & 0x0fff;
    }
    p->checksum = get16(buf + 6);
    return (int)need;
}

/* VRRPv2's checksum covers the VRRP message alone (RFC 3768 5.3.8); v3 adds
 * the IP pseudo-header (RFC 5798 5.2.8), so a v3 packet relayed with a
 * rewritten address fails here instead of being believed. */
int vrrp_pkt_decode(const uint8_t *buf,
                    size_t len,
                    uint32_t src,
                    uint32_t dst,
                    struct vrrp_pkt *ret)
{
    struct vrrp_pkt p;
    uint32_t sum;
    unsigned i;
    int need = decode_fixed(buf, len, 4, &p);

    if (need < 0)
        return need;
    sum = p.version == 3 ? pseudo_sum(src, dst, (size_t)need) : 0;
    if (vrrp_pkt_csum(buf, (size_t)need, sum) != 0)
        return -VRRP_PKT_E_CHECKSUM;
    for (i = 0; i < p.naddr; i++)
        memcpy(&p.addrs[i], buf + VRRP_PKT_HDR_LEN + 4 * i, 4);
    *ret = p;
    return need;
}

int vrrp_pkt_decode6(const uint8_t *buf,
                     size_t len,
                     const uint8_t src[16],
                     const uint8_t dst[16],
                     struct vrrp_pkt *ret)
{
    struct vrrp_pkt p;
    unsigned i;
    int need = decode_fixed(buf, len, 16, &p);

    if (need < 0)
        return need;
    /* RFC 5798 5.2.1: version 3; Keepalived's non-standard v2 over IPv6
     * has no defined checksum and no RFC peer */
    if (p.version != 3)
        return -VRRP_PKT_E_VERSION;
    if (vrrp_pkt_csum(buf, (size_t)need, pseudo6_sum(src, dst, (size_t)need, VRRP_PKT_PROTO)) != 0)
        return -VRRP_PKT_E_CHECKSUM;
    for (i = 0; i < p.naddr; i++)
        memcpy(p.addrs6[i], buf + VRRP_PKT_HDR_LEN + 16 * i, 16);
    *ret = p;
    return need;
}

int vrrp_pkt_decode_ip6(const uint8_t *buf,
                        size_t len,
                        struct vrrp_pkt_ip6 *ret_ip,
                        struct vrrp_pkt *ret)
{
    struct vrrp_pkt_ip6 ip;
    size_t plen;
    int r;

    if (len < VRRP_PKT_IP6_HDR_LEN)
        return -VRRP_PKT_E_SHORT;
    plen = get16(buf + 4);
    if (buf[0] >> 4 != 6 || buf[6] != VRRP_PKT_PROTO)
        return -VRRP_PKT_E_IPHDR;
    if (plen > len - VRRP_PKT_IP6_HDR_LEN)
        return -VRRP_PKT_E_SHORT;
    ip.hop_limit = buf[7];
    memcpy(ip.src, buf + 8, 16);
    memcpy(ip.dst, buf + 24, 16);
    r = vrrp_pkt_decode6(buf + VRRP_PKT_IP6_HDR_LEN, plen, ip.src, ip.dst, ret);
    if (r < 0)
        return r;
    *ret_ip = ip;
    return VRRP_PKT_IP6_HDR_LEN + r;
}

/* Only the fixed IPv4 header's fields are read; IP options (ihl > 5) are
 * skipped, not interpreted. */
int vrrp_pkt_decode_ip(const uint8_t *buf,
                       size_t len,
                       struct vrrp_pkt_ip *ret_ip,
                       struct vrrp_pkt *ret)
{
    struct vrrp_pkt_ip ip;
    size_t ihl, tot;
    int r;

    if (len < 20)
        return -VRRP_PKT_E_SHORT;
    ihl = (size_t)(buf[0] & 0x0f) * 4;
    tot = get16(buf + 2);
    if (buf[0] >> 4 != 4 || ihl < 20 || buf[9] != VRRP_PKT_PROTO)
        return -VRRP_PKT_E_IPHDR;
    /* raw sockets hand over the datagram as received: the total length
     * must cover the header and fit what was read */
    if (tot < ihl || tot > len)
        return -VRRP_PKT_E_SHORT;
    ip.tos = buf[1];
    ip.ttl = buf[8];
    memcpy(&ip.src, buf + 12, 4);
    memcpy(&ip.dst, buf + 16, 4);
    r = vrrp_pkt_decode(buf + ihl, tot - ihl, ip.src, ip.dst, ret);
    if (r < 0)
        return r;
    *ret_ip = ip;
    return (int)ihl + r;
}

/* RFC 5798 7.1 after the TTL / hop limit. */
/* The instance-level checks of RFC 5798 7.1 in its order. A v3 router ignores
 * the v2 auth fields. An advertised interval of 0 would make the receiver's
 * Master_Down_Interval only the skew, which a peer must not be able to force. */
static int check_inst(const struct vrrp_pkt *p, const struct vrrp_pkt_expect *e)
{
    if (p->version != e->version)
        return -VRRP_PKT_E_VERSION;
    if (p->vrid != e->vrid)
        return -VRRP_PKT_E_VRID;
    if (p->version == 2) {
        if (p->auth_type != e->auth_type)
            return -VRRP_PKT_E_AUTH;
        if (e->auth_type == VRRP_PKT_AUTH_PASS && memcmp(p->auth, e->auth, VRRP_PKT_AUTH_LEN) != 0)
            return -VRRP_PKT_E_AUTH;
    }
    if (e->naddr && p->naddr != e->naddr)
        return -VRRP_PKT_E_ADDRCOUNT;
    if (p->adver_int == 0)
        return -VRRP_PKT_E_INTERVAL;
    return 0;
}

/* TTL/hop limit 255 (RFC 5798 5.1.1.3 / 5.1.2.3): a packet that crossed a
 * router arrives with less, so advertisements cannot be injected from off-
 * link. */
int vrrp_pkt_check(const struct vrrp_pkt_ip *ip,
                   const struct vrrp_pkt *p,
                   const struct vrrp_pkt_expect *e)
{
    return ip->ttl != VRRP_PKT_TTL ? -VRRP_PKT_E_TTL : check_inst(p, e);
}

int vrrp_pkt_check6(const struct vrrp_pkt_ip6 *ip,
                    const struct vrrp_pkt *p,
                    const struct vrrp_pkt_expect *e)
{
    return ip->hop_limit != VRRP_PKT_TTL ? -VRRP_PKT_E_TTL : check_inst(p, e);
}

/* The fixed part of an advertisement with room for alen-byte addresses;
 * the addresses and the checksum are the caller's. Length or negative. */
static int encode_fixed(const struct vrrp_pkt *p, unsigned alen, uint8_t *buf, size_t len)
{
    size_t need;

    if ((p->version != 2 && p->version != 3) || p->naddr > VRRP_PKT_MAX_ADDRS)
        return -VRRP_PKT_E_INVAL;
    if ((p->version == 2 && p->adver_int > 0xff) ||
        (p->version == 3 && p->adver_int > VRRP_PKT_V3_MAX_INT))
        return -VRRP_PKT_E_INVAL;
    need = wire_len(p->version, alen, p->naddr);
    if (len < need)
        return -VRRP_PKT_E_NOSPACE;
    memset(buf, 0, need);
    buf[0] = (uint8_t)(p->version << 4 | VRRP_PKT_TYPE_ADVERT);
    buf[1] = p->vrid;
    buf[2] = p->priority;
    buf[3] = p->naddr;
    if (p->version == 2) {
        buf[4] = p->auth_type;
        buf[5] = (uint8_t)p->adver_int;
        if (p->auth_type == VRRP_PKT_AUTH_PASS)
            memcpy(buf + need - VRRP_PKT_AUTH_LEN, p->auth, VRRP_PKT_AUTH_LEN);
    } else {
        put16(buf + 4, p->adver_int);
    }
    return (int)need;
}

int vrrp_pkt_encode(const struct vrrp_pkt *p, uint32_t src, uint32_t dst, uint8_t *buf, size_t len)
{
    uint32_t sum;
    unsigned i;
    int need = encode_fixed(p, 4, buf, len);

    if (need < 0)
        return need;
    for (i = 0; i < p->naddr; i++)
        memcpy(buf + VRRP_PKT_HDR_LEN + 4 * i, &p->addrs[i], 4);
    sum = p->version == 3 ? pseudo_sum(src, dst, (size_t)need) : 0;
    put16(buf + 6, vrrp_pkt_csum(buf, (size_t)need, sum));
    return need;
}

int vrrp_pkt_encode6(const struct vrrp_pkt *p,
                     const uint8_t src[16],
                     const uint8_t dst[16],
                     uint8_t *buf,
                     size_t len)
{
    unsigned i;
    int need;

    if (p->version != 3)
        return -VRRP_PKT_E_INVAL;
    need = encode_fixed(p, 16, buf, len);
    if (need < 0)
        return need;
    for (i = 0; i < p->naddr; i++)
        memcpy(buf + VRRP_PKT_HDR_LEN + 16 * i, p->addrs6[i], 16);
    put16(buf + 6,
          vrrp_pkt_csum(buf, (size_t)need, pseudo6_sum(src, dst, (size_t)need, VRRP_PKT_PROTO)));
    return need;
}

int vrrp_pkt_garp(const uint8_t mac[6], uint32_t ip, uint8_t *buf, size_t len)
{
    static const uint8_t arp_hdr[8] = {0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01};

    if (len < VRRP_PKT_GARP_LEN)
        return -VRRP_PKT_E_NOSPACE;
    memset(buf, 0xff, 6); /* broadcast */
    memcpy(buf + 6, mac, 6);
    buf[12] = 0x08; /* ethertype ARP */
    buf[13] = 0x06;
    memcpy(buf + 14, arp_hdr, sizeof(arp_hdr));
    memcpy(buf + 22, mac, 6);
    memcpy(buf + 28, &ip, 4);
    /* Keepalived puts the broadcast address as target hardware address;
     * some stacks use zeros. Either is a valid gratuitous ARP. */
    memset(buf + 32, 0xff, 6);
    memcpy(buf + 38, &ip, 4);
    return VRRP_PKT_GARP_LEN;
}

int vrrp_pkt_una(const uint8_t mac[6], const uint8_t ip6[16], int router, uint8_t *buf, size_t len)
{
    static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 0x01};
    uint8_t *ip = buf + 14, *na = ip + VRRP_PKT_IP6_HDR_LEN;
    const size_t na_len = VRRP_PKT_NA_LEN - 14 - VRRP_PKT_IP6_HDR_LEN;

    if (len < VRRP_PKT_NA_LEN)
        return -VRRP_PKT_E_NOSPACE;
    memset(buf, 0, VRRP_PKT_NA_LEN);
    /* RFC 2464 7: 33:33 and the last 32 bits of the group */
    buf[0] = buf[1] = 0x33;
    buf[5] = 0x01;
    memcpy(buf + 6, mac, 6);
    buf[12] = 0x86; /* ethertype IPv6 */
    buf[13] = 0xdd;
    ip[0] = 0x60;
    put16(ip + 4, (uint16_t)na_len);
    ip[6] = 58;  /* ICMPv6 */
    ip[7] = 255; /* RFC 4861 7.1.2: receivers drop NA with another hop limit */
    memcpy(ip + 8, ip6, 16);
    memcpy(ip + 24, all_nodes, 16);
    na[0] = 136;                                   /* neighbour advertisement */
    na[4] = (uint8_t)(0x20 | (router ? 0x80 : 0)); /* Override, Router */
    memcpy(na + 8, ip6, 16);
    na[24] = 2; /* target link-layer address, 8 bytes */
    na[25] = 1;
    memcpy(na + 26, mac, 6);
    put16(na + 2, vrrp_pkt_csum(na, na_len, pseudo6_sum(ip6, all_nodes, na_len, 58)));
    return VRRP_PKT_NA_LEN;
}
