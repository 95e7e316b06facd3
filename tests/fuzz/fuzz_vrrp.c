/* fuzz_vrrp.c - any bytes a raw IPPROTO_VRRP socket may deliver go through
 * the decoder and the instance checks; what decodes must re-encode to the
 * same VRRP bytes (the codec is its own inverse on valid input). An input
 * whose first nibble is 6 is an IPv6 datagram (header, then VRRPv3 with
 * IPv6 addresses); the neighbour advertisement builder takes its bytes
 * too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/vrrp_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* IPv6: decode, check, re-encode, decode again. */
static int one_ip6(const uint8_t *data, size_t size)
{
    struct vrrp_pkt_expect e = {.version = 3, .vrid = 61, .naddr = 1};
    uint8_t out[VRRP_PKT6_MAX_LEN], na[VRRP_PKT_NA_LEN];
    struct vrrp_pkt_ip6 ip;
    struct vrrp_pkt p, q;
    int n, m;

    n = vrrp_pkt_decode_ip6(data, size, &ip, &p);
    if (n < 0)
        return 0;
    (void)vrrp_pkt_check6(&ip, &p, &e);
    m = vrrp_pkt_encode6(&p, ip.src, ip.dst, out, sizeof(out));
    if (m < 0 || m > n - VRRP_PKT_IP6_HDR_LEN)
        abort();
    if (vrrp_pkt_decode6(out, (size_t)m, ip.src, ip.dst, &q) != m)
        abort();
    if (p.version != q.version || p.vrid != q.vrid || p.priority != q.priority ||
        p.naddr != q.naddr || p.adver_int != q.adver_int ||
        memcmp(p.addrs6, q.addrs6, sizeof(p.addrs6)) != 0)
        abort();
    if (vrrp_pkt_una(ip.src, ip.dst, p.priority & 1, na, sizeof(na)) != VRRP_PKT_NA_LEN)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vrrp_pkt_expect e = {
        .version = 2, .vrid = 11, .naddr = 1, .auth_type = VRRP_PKT_AUTH_PASS};
    uint8_t out[VRRP_PKT_MAX_LEN];
    struct vrrp_pkt_ip ip;
    struct vrrp_pkt p, q;
    int n, m;

    if (size && data[0] >> 4 == 6)
        return one_ip6(data, size);
    n = vrrp_pkt_decode_ip(data, size, &ip, &p);
    if (n < 0)
        return 0;
    (void)vrrp_pkt_check(&ip, &p, &e);
    m = vrrp_pkt_encode(&p, ip.src, ip.dst, out, sizeof(out));
    if (m < 0 || m > n)
        abort();
    if (vrrp_pkt_decode(out, (size_t)m, ip.src, ip.dst, &q) != m)
        abort();
    if (p.version != q.version || p.vrid != q.vrid || p.priority != q.priority ||
        p.naddr != q.naddr || p.adver_int != q.adver_int || p.auth_type != q.auth_type ||
        memcmp(p.addrs, q.addrs, sizeof(p.addrs)) != 0)
        abort();
    if (p.auth_type == VRRP_PKT_AUTH_PASS && memcmp(p.auth, q.auth, sizeof(p.auth)) != 0)
        abort();
    return 0;
}
