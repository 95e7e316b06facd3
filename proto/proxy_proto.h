/* proxy_proto.h - the PROXY protocol header (haproxy.org proxy-protocol.txt)
 * a load balancer writes first on a server connection so that the server
 * learns the client's addresses: version 1 (one text line) and version 2
 * (binary), as HAProxy 2.6's send-proxy and send-proxy-v2 write them
 * without proxy-v2-options. Pure: no I/O, addresses are passed in. */
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

#endif
