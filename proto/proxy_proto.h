/* proxy_proto.h - the PROXY protocol header (haproxy.org proxy-protocol.txt)
 * a load balancer writes first on a server connection so that the server
 * learns the client's addresses: version 1 (one text line) and version 2
 * (binary), as HAProxy 2.6's send-proxy and send-proxy-v2 write them
 * without proxy-v2-options, and as its "bind ... accept-proxy" reads them.
 * Pure: no I/O, addresses are passed in and out. */
#ifndef LK_PROTO_PROXY_PROTO_H
#define LK_PROTO_PROXY_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Room for the longest header either version writes here (v1: 107 bytes
 * at most by the specification; v2 with two IPv6 addresses: 52). */
#define PROXY_PROTO_MAX 108

/* Write the header of `version` (1 or 2) for a connection from src to dst
 * (the client's address and the address it reached) into buf (cap bytes,
 * PROXY_PROTO_MAX is enough). Both IPv4: TCP4; both IPv6: TCP6; one of
 * each: the IPv4 one is written IPv4-mapped, as TCP6; anything else (a
 * Unix socket, NULL): UNKNOWN in v1, LOCAL with no address in v2.
 * Returns the header's length, or -ENOSPC when cap is too small or
 * -EINVAL for another version. */
int proxy_proto_build(int version,
                      const struct sockaddr *src,
                      const struct sockaddr *dst,
                      uint8_t *buf,
                      size_t cap);

/* What a received header says. local: keep the connection's own
 * addresses (v1 UNKNOWN, the v2 LOCAL command, a v2 family other than TCP
 * over IP); otherwise family is AF_INET or AF_INET6 and src/dst (4 or 16
 * bytes) and the ports (host order) are the ends the header names. */
struct proxy_proto_info {
    int local;
    int family;
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
};

/* Parse the header at the start of the first bytes a client sent (buf,
 * len), as HAProxy 2.6's accept-proxy does: v1 "PROXY TCP4|TCP6 SRC DST
 * SPORT DPORT\r\n" or "PROXY UNKNOWN\r\n", or v2 (its TLVs walked: they
 * must end with the header, AUTHORITY is at most 255 bytes and UNIQUE_ID
 * 128; a CRC32C TLV is not checked, as in 2.6).
 * Returns the header's length (the bytes to consume) and fills *out, or:
 *   -EAGAIN     the bytes end before the header does (HAProxy: truncated);
 *   -ENOMSG     neither a v1 nor a v2 header;
 *   -EINVAL     a malformed header;
 *   -EPROTONOSUPPORT  v1 with a protocol other than TCP4, TCP6, UNKNOWN.
 * On -EINVAL from a v2 header's TLVs, *out holds the addresses read before
 * them (out->local 0): HAProxy has taken them by then and logs the refusal
 * under the header's client address. Otherwise *out is unspecified on
 * error. */
int proxy_proto_parse(const uint8_t *buf, size_t len, struct proxy_proto_info *out);

#endif
