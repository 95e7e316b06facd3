/* fuzz_vrrp.c - any bytes a raw IPPROTO_VRRP socket may deliver go through
 * the decoder and the instance checks; what decodes must re-encode to the
 * same VRRP bytes (the codec is its own inverse on valid input). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/vrrp_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vrrp_pkt_expect e = {
        .version = 2, .vrid = 11, .naddr = 1, .auth_type = VRRP_PKT_AUTH_PASS};
    uint8_t out[VRRP_PKT_MAX_LEN];
    struct vrrp_pkt_ip ip;
    struct vrrp_pkt p, q;
    int n, m;

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
