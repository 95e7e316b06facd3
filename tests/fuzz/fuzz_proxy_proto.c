/* fuzz_proxy_proto.c - the PROXY header accept-proxy reads: any bytes
 * give a length within them or an error, and a parsed header names IPv4 or
 * IPv6 ends (or none). The input also drives a round trip: addresses and
 * ports taken from it, written by proxy_proto_build() in v1 and v2, must
 * parse back to exactly those ends. */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proxy_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const uint8_t *data, size_t size, int v)
{
    struct sockaddr_in6 s6, d6;
    struct sockaddr_in s4, d4;
    struct proxy_proto_info pi;
    uint8_t out[PROXY_PROTO_MAX];
    int six = data[0] & 1, r;
    size_t alen = six ? 16 : 4;

    if (size < 2 * alen + 5)
        return;
    memset(&s6, 0, sizeof(s6));
    memset(&d6, 0, sizeof(d6));
    memset(&s4, 0, sizeof(s4));
    memset(&d4, 0, sizeof(d4));
    s6.sin6_family = d6.sin6_family = AF_INET6;
    s4.sin_family = d4.sin_family = AF_INET;
    memcpy(six ? (void *)&s6.sin6_addr : (void *)&s4.sin_addr, data + 1, alen);
    memcpy(six ? (void *)&d6.sin6_addr : (void *)&d4.sin_addr, data + 1 + alen, alen);
    /* port 0 is refused by the reader (as HAProxy): never generate it */
    s4.sin_port = s6.sin6_port = (uint16_t)(data[1 + 2 * alen] | 1);
    d4.sin_port = d6.sin6_port = (uint16_t)(data[2 + 2 * alen] | 0x100);
    r = proxy_proto_build(v, six ? (struct sockaddr *)&s6 : (struct sockaddr *)&s4,
                          six ? (struct sockaddr *)&d6 : (struct sockaddr *)&d4, out, sizeof(out));
    if (r <= 0 || proxy_proto_parse(out, (size_t)r, &pi) != r)
        abort();
    if (pi.local || pi.family != (six ? AF_INET6 : AF_INET) || memcmp(pi.src, data + 1, alen) ||
        memcmp(pi.dst, data + 1 + alen, alen) || htons(pi.sport) != s4.sin_port ||
        htons(pi.dport) != d4.sin_port)
        abort();
    /* one byte short is always "more needed", never a header */
    if (proxy_proto_parse(out, (size_t)r - 1, &pi) != -EAGAIN)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proxy_proto_info pi;
    int r = proxy_proto_parse(data, size, &pi);

    if (r > 0 && ((size_t)r > size || (!pi.local && pi.family != AF_INET && pi.family != AF_INET6)))
        abort();
    if (r <= 0 && r != -EAGAIN && r != -ENOMSG && r != -EINVAL && r != -EPROTONOSUPPORT)
        abort();
    if (size) {
        round_trip(data, size, 1);
        round_trip(data, size, 2);
    }
    return 0;
}
