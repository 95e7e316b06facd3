/* tls_hello.c - see tls_hello.h. Record layout from RFC 8446 sections
 * 5.1 and 4.1.2, server_name from RFC 6066 section 3. */
#include <string.h>

#include "proto/tls_hello.h"

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* The server_name extension's host_name in ext[0, len). */
static void find_sni(const uint8_t *ext, size_t len, struct tls_hello *out)
{
    size_t at = 0, n, list, nl;

    while (at + 4 <= len) {
        unsigned type = be16(ext + at);

        n = be16(ext + at + 2);
        if (at + 4 + n > len)
            return;
        if (type == 0 && n >= 5) { /* server_name: list, then name_type 0 */
            const uint8_t *d = ext + at + 4;

            list = be16(d);
            if (list + 2 > n || d[2] != 0)
                return;
            nl = be16(d + 3);
            if (nl + 5 > n || nl == 0)
                return;
            out->sni = d + 5;
            out->sni_len = nl;
            return;
        }
        at += 4 + n;
    }
}

int tls_hello_parse(const uint8_t *buf, size_t len, int hs_only, struct tls_hello *out)
{
    size_t rec, at, n;
    const uint8_t *h;

    memset(out, 0, sizeof(*out));
    if (len >= 1 && buf[0] != 0x16)
        return -1; /* not a handshake record */
    if (len >= 2 && buf[1] != 3)
        return -1; /* SSL 3 / TLS major version */
    if (len < 6)
        return 0;
    rec = be16(buf + 3);
    out->rec_version = (uint16_t)be16(buf + 1);
    if (rec == 0 || rec > 16384 + 2048)
        return -1;
    out->hs_type = buf[5];
    if (hs_only)
        return 1;
    if (len < 5 + rec)
        return 0; /* the whole record is needed for the extensions */
    h = buf + 5;
    if (h[0] != 1)
        return 1; /* not a ClientHello: a type, no name */
    if (rec < 4)
        return -1; /* a handshake header is 4 bytes (found by fuzz_tls_hello) */
    n = (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
    if (n + 4 > rec)
        return -1;   /* a ClientHello over several records: HAProxy gives up too */
    at = 4 + 2 + 32; /* version, random */
    if (at + 1 > rec)
        return -1;
    at += 1 + h[at]; /* session id */
    if (at + 2 > rec)
        return -1;
    at += 2 + be16(h + at); /* cipher suites */
    if (at + 1 > rec)
        return -1;
    at += 1 + h[at]; /* compression methods */
    if (at == rec)
        return 1; /* no extensions */
    if (at + 2 > rec || at + 2 + be16(h + at) > rec)
        return -1;
    find_sni(h + at + 2, be16(h + at), out);
    return 1;
}
