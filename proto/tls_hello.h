/* tls_hello.h - the first TLS record of a client, as HAProxy's
 * req.ssl_hello_type and req.ssl_sni read it for routing in mode tcp
 * (SNI pass-through): no decryption, no state, only the ClientHello's
 * handshake type, version and server_name extension. Pure: fuzzed. */
#ifndef LK_PROTO_TLS_HELLO_H
#define LK_PROTO_TLS_HELLO_H

#include <stddef.h>
#include <stdint.h>

struct tls_hello {
    int hs_type;          /* handshake type of the first message (1: ClientHello) */
    uint16_t rec_version; /* the record layer's version (0x0301 for TLS 1.0 ...) */
    const uint8_t *sni;   /* the host_name of server_name, or NULL; points into buf */
    size_t sni_len;
};

/* Look at the first bytes a client sent. Returns 1 with *out set when the
 * first record is a complete handshake record (hs_type set; sni when it is
 * a ClientHello with one), 0 when more bytes are needed to tell, -1 when
 * it is not a TLS handshake record or is malformed. hs_only: stop once the
 * handshake type is known (returns 1 as soon as the first handshake byte
 * is in). */
int tls_hello_parse(const uint8_t *buf, size_t len, int hs_only, struct tls_hello *out);

#endif
