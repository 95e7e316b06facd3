/* vrrp_pkt.h - VRRP v2 (RFC 3768) and v3 (RFC 5798) advertisements for
 * IPv4, VRRPv3 advertisements for IPv6 (RFC 5798 5.1.2), and the gratuitous
 * ARP (IPv4) or unsolicited neighbour advertisement (IPv6) a new master
 * sends. Pure: no sockets, no
 * clock, no globals, so it is unit-tested against packets captured from
 * Keepalived and fuzzed.
 *
 * Addresses are kept in network byte order (as they sit in the packet and
 * in struct in_addr). Errors are negative VRRP_PKT_E_* codes rather than
 * errno values: every reason to drop a packet needs its own counter, and
 * errno has no distinct names for "wrong VRID" or "wrong auth". */
#ifndef VRRP_PKT_H
#define VRRP_PKT_H

#include <stddef.h>
#include <stdint.h>

#define VRRP_PKT_PROTO       112        /* IPPROTO_VRRP */
#define VRRP_PKT_MCAST_GROUP 0xe0000012 /* 224.0.0.18, host order */
#define VRRP_PKT_TTL         255
#define VRRP_PKT_TYPE_ADVERT 1
#define VRRP_PKT_MAX_ADDRS   20 /* Keepalived's per-packet limit as well */
#define VRRP_PKT_AUTH_LEN    8
#define VRRP_PKT_HDR_LEN     8
#define VRRP_PKT_MAX_LEN     (VRRP_PKT_HDR_LEN + 4 * VRRP_PKT_MAX_ADDRS + VRRP_PKT_AUTH_LEN)
#define VRRP_PKT_IP_MAX_LEN  (60 + VRRP_PKT_MAX_LEN)
#define VRRP_PKT_V3_MAX_INT  4095 /* centiseconds, 12 bits */
#define VRRP_PKT_AUTH_NONE   0
#define VRRP_PKT_AUTH_PASS   1
#define VRRP_PKT_GARP_LEN    42 /* Ethernet header + ARP for IPv4 */
#define VRRP_PKT6_MAX_LEN    (VRRP_PKT_HDR_LEN + 16 * VRRP_PKT_MAX_ADDRS)
#define VRRP_PKT_IP6_HDR_LEN 40
/* Ethernet + IPv6 + ICMPv6 neighbour advertisement + target link-layer
 * address option */
#define VRRP_PKT_NA_LEN 86

/* Drop reasons, returned negated. Keep in step with vrrp_pkt_strerror(). */
enum vrrp_pkt_err {
    VRRP_PKT_E_OK = 0,
    VRRP_PKT_E_SHORT,     /* shorter than its headers say */
    VRRP_PKT_E_IPHDR,     /* not a sane IPv4 header, or not protocol 112 */
    VRRP_PKT_E_TTL,       /* TTL (v2) / hop limit (v3) other than 255 */
    VRRP_PKT_E_VERSION,   /* version other than 2 or 3, or not the one configured */
    VRRP_PKT_E_TYPE,      /* type other than advertisement */
    VRRP_PKT_E_CHECKSUM,  /* checksum does not verify */
    VRRP_PKT_E_ADDRCOUNT, /* count of addresses disagrees with the length or config */
    VRRP_PKT_E_VRID,      /* VRID of another router */
    VRRP_PKT_E_AUTH,      /* v2 auth type or password differ */
    VRRP_PKT_E_INTERVAL,  /* advertisement interval 0 */
    VRRP_PKT_E_NOSPACE,   /* encode: output buffer too small */
    VRRP_PKT_E_INVAL,     /* encode: fields out of range */
    VRRP_PKT_E_MAX
};

/* One advertisement, decoded. `adver_int` is in the unit of its version:
 * seconds for v2, centiseconds for v3. */
struct vrrp_pkt {
    uint8_t version;
    uint8_t type;
    uint8_t vrid;
    uint8_t priority;
    uint8_t naddr;
    uint8_t auth_type;                      /* v2 only */
    uint16_t adver_int;                     /* v2: 8 bits of seconds; v3: 12 bits of centiseconds */
    uint16_t checksum;                      /* as found on the wire (decode) or computed (encode) */
    uint32_t addrs[VRRP_PKT_MAX_ADDRS];     /* IPv4 (vrrp_pkt_decode/encode) */
    uint8_t addrs6[VRRP_PKT_MAX_ADDRS][16]; /* IPv6 (vrrp_pkt_decode6/encode6) */
    uint8_t auth[VRRP_PKT_AUTH_LEN];        /* v2 PASS, zero-padded */
};

/* The IPv4 header fields a receiver checks. */
struct vrrp_pkt_ip {
    uint32_t src;
    uint32_t dst;
    uint8_t ttl;
    uint8_t tos;
};

/* The IPv6 header fields a receiver checks (a raw IPv6 socket hands them
 * over as ancillary data, not as a header). */
struct vrrp_pkt_ip6 {
    uint8_t src[16];
    uint8_t dst[16];
    uint8_t hop_limit;
};

/* Decode the VRRP part (after the IP header). `src` and `dst` feed the v3
 * pseudo-header checksum. Checks version, type, length against the address
 * count and the checksum; not VRID or auth (see vrrp_pkt_check()).
 * Returns the bytes consumed and fills *ret, or a negative VRRP_PKT_E_*. */
int vrrp_pkt_decode(const uint8_t *buf,
                    size_t len,
                    uint32_t src,
                    uint32_t dst,
                    struct vrrp_pkt *ret);

/* Decode a whole IPv4 datagram as a raw socket delivers it: the IP header
 * (version 4, IHL, total length, protocol 112), then vrrp_pkt_decode().
 * TTL is reported in *ret_ip, checked by vrrp_pkt_check(). */
int vrrp_pkt_decode_ip(const uint8_t *buf,
                       size_t len,
                       struct vrrp_pkt_ip *ret_ip,
                       struct vrrp_pkt *ret);

/* What a receiving instance expects. */
struct vrrp_pkt_expect {
    uint8_t version;
    uint8_t vrid;
    uint8_t naddr; /* 0: do not compare the count (Keepalived only logs it) */
    uint8_t auth_type;
    uint8_t auth[VRRP_PKT_AUTH_LEN];
};

/* The instance-level checks of RFC 5798 7.1 / RFC 3768 7.1: TTL, version,
 * VRID, v2 authentication, address count, non-zero interval.
 * Returns 0 or a negative VRRP_PKT_E_*. */
int vrrp_pkt_check(const struct vrrp_pkt_ip *ip,
                   const struct vrrp_pkt *p,
                   const struct vrrp_pkt_expect *e);

/* IPv6 (RFC 5798 5.1.2, 5.2.8): the VRRP part, version 3 only (version 2
 * is IPv4's, RFC 3768), naddr IPv6 addresses, the checksum over the IPv6
 * pseudo-header of src/dst (RFC 8200 8.1, next header 112). Returns the
 * bytes consumed and fills *ret (addrs6), or a negative VRRP_PKT_E_*. */
int vrrp_pkt_decode6(const uint8_t *buf,
                     size_t len,
                     const uint8_t src[16],
                     const uint8_t dst[16],
                     struct vrrp_pkt *ret);

/* A whole IPv6 datagram (as captured): the fixed header (version 6,
 * payload length within len, next header 112; extension headers are not
 * followed: VRRP sends none), then vrrp_pkt_decode6(). Returns the bytes
 * used (header included) with *ret_ip and *ret filled, or a negative
 * VRRP_PKT_E_*. */
int vrrp_pkt_decode_ip6(const uint8_t *buf,
                        size_t len,
                        struct vrrp_pkt_ip6 *ret_ip,
                        struct vrrp_pkt *ret);

/* vrrp_pkt_check() for IPv6: hop limit 255 (RFC 5798 7.1), then the same
 * instance checks. */
int vrrp_pkt_check6(const struct vrrp_pkt_ip6 *ip,
                    const struct vrrp_pkt *p,
                    const struct vrrp_pkt_expect *e);

/* Encode a version 3 IPv6 advertisement (addrs6) with the pseudo-header
 * checksum of src/dst. Length or a negative VRRP_PKT_E_*. */
int vrrp_pkt_encode6(const struct vrrp_pkt *p,
                     const uint8_t src[16],
                     const uint8_t dst[16],
                     uint8_t *buf,
                     size_t len);

/* Encode `p` (version, vrid, priority, naddr, addrs, adver_int, v2
 * auth_type/auth) into buf, computing the checksum (v3 over the pseudo-
 * header with src/dst). Returns the length written or a negative
 * VRRP_PKT_E_*. The IP header is the kernel's job. */
int vrrp_pkt_encode(const struct vrrp_pkt *p, uint32_t src, uint32_t dst, uint8_t *buf, size_t len);

/* Internet checksum (RFC 1071) of buf, starting from `sum` (a partial sum,
 * e.g. the pseudo-header's). Returns the folded, complemented result in
 * host order. */
uint16_t vrrp_pkt_csum(const uint8_t *buf, size_t len, uint32_t sum);

/* Gratuitous ARP request for `ip` from `mac`, broadcast, as Keepalived sends
 * it: a complete Ethernet frame of VRRP_PKT_GARP_LEN bytes. Returns the
 * length or -VRRP_PKT_E_NOSPACE. */
int vrrp_pkt_garp(const uint8_t mac[6], uint32_t ip, uint8_t *buf, size_t len);

/* Unsolicited neighbour advertisement (RFC 4861 4.4, 7.2.6) for `ip6` from
 * `mac`, as Keepalived sends it: a complete Ethernet frame to 33:33:00:00:
 * 00:01, IPv6 from the address itself to ff02::1, hop limit 255, ICMPv6
 * type 136 with Override set, Solicited clear, Router set if `router`
 * (Keepalived: the interface forwards IPv6), and the target link-layer
 * address option. Returns VRRP_PKT_NA_LEN or -VRRP_PKT_E_NOSPACE. */
int vrrp_pkt_una(const uint8_t mac[6], const uint8_t ip6[16], int router, uint8_t *buf, size_t len);

/* A short name for a drop reason ("checksum", "vrid", ...), for counters. A static string. */
const char *vrrp_pkt_strerror(int err);

#endif
