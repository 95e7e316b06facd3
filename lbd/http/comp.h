/* comp.h - HTTP compression as HAProxy 2.6 does it (`compression algo`,
 * `compression type`, `compression offload`), with Debian's zlib.
 *
 * Per exchange: lb_comp_pick() chooses the algorithm from the request's
 * Accept-Encoding (q-values, `*`, the client's order on equal q, the
 * old Mozilla/4 user agents excluded, `identity` when listed and nothing
 * else matches), lb_comp_response_ok() decides on the response (status
 * 200-203, HTTP/1.1 both ways, not HEAD, a known length, no
 * Content-Encoding, no Cache-Control no-transform, a valid single ETag,
 * the content type listed and not multipart), lb_comp_edit_head() rewrites
 * the head sent (no Content-Length, Transfer-Encoding: chunked, strong ETag
 * made weak, Vary: Accept-Encoding, Content-Encoding), and a stream
 * compresses the body piece by piece into chunks (bounded memory: zlib's
 * state and one output buffer the caller lends). Config objects are
 * read-only once loaded; a stream belongs to one session. */
#ifndef LB_COMP_H
#define LB_COMP_H

#include <stddef.h>
#include <stdint.h>

#include "proto/http1.h"

enum lb_comp_algo {
    LB_COMP_IDENTITY = 0,
    LB_COMP_GZIP,
    LB_COMP_DEFLATE,
    LB_COMP_RAW_DEFLATE,
    LB_COMP_ALGO_MAX
};

#define LB_COMP_MAX_ALGOS 8

struct lb_comp_cfg {
    uint8_t algos[LB_COMP_MAX_ALGOS]; /* HAProxy's list order: last configured first */
    size_t nalgos;
    char **types; /* "compression type": prefixes of Content-Type */
    size_t ntypes;
    int offload; /* remove Accept-Encoding from requests */
};

/* One "compression ..." line into *cfg (created on first use, owned by the
 * caller's proxy; argv is copied where kept). `defaults`:
 * the line is in a defaults section (offload is ignored there with
 * HAProxy's warning). Returns 0, 1 (a warning: HAProxy's text in *err, for
 * the caller to log with the line's FILE:LINE) or a negative errno with
 * HAProxy's message in *err. *err is malloc'ed, the caller frees it. */
int lb_comp_kw(struct lb_comp_cfg **cfg, int defaults, int argc, char **argv, char **err);

/* A deep copy (its own type strings) for a proxy that inherits from
 * defaults, offload cleared; owned by the caller. NULL on OOM. */
struct lb_comp_cfg *lb_comp_cfg_dup(const struct lb_comp_cfg *c);

/* NULL-safe; returns NULL. */
struct lb_comp_cfg *lb_comp_cfg_free(struct lb_comp_cfg *c);

/* The algorithm for a request (enum lb_comp_algo), or -1: none. `buf`/`m`
 * the parsed request head; `c` the backend's settings if it has
 * algorithms, else the frontend's. *ret_asked: 1 when Accept-Encoding
 * named it (then offload removes that field), 0 for the implicit
 * identity. */
int lb_comp_pick(const struct lb_comp_cfg *c,
                 const uint8_t *buf,
                 const struct http1_msg *m,
                 int *ret_asked);

/* Does the response (head in buf, parsed in m) qualify? `types`: the
 * backend's settings if it lists types, else the frontend's (NULL: any
 * type). `req` is the request's parsed head. Returns 1 or 0. */
int lb_comp_response_ok(const struct lb_comp_cfg *types,
                        const uint8_t *buf,
                        const struct http1_msg *m,
                        const struct http1_msg *req);

/* Rewrite a head lbd built (CRLF lines, in head[0, len), room for cap)
 * for a body compressed with `algo`. Returns the new length or -ENOSPC. */
int lb_comp_edit_head(char *head, size_t len, size_t cap, int algo);

struct lb_comp_stream;

/* A stream for `algo` at zlib level 1 (HAProxy's tune.comp.maxlevel), or
 * NULL on OOM. */
struct lb_comp_stream *lb_comp_stream_new(int algo);

/* NULL-safe; returns NULL. */
struct lb_comp_stream *lb_comp_stream_free(struct lb_comp_stream *z);

/* Where lb_comp_stream_step writes one chunk: the caller's buffer
 * buf[0, cap) (cap >= 64, borrowed); the step sets `off` and `len` (the
 * chunk is buf + off, len bytes; 0: nothing yet) and `used` (input bytes
 * consumed). */
struct lb_comp_chunk {
    char *buf;
    size_t cap;
    size_t used;
    size_t off;
    size_t len;
};

/* Compress in[0, inlen) into one chunk written in c->buf. With inlen 0 and !final, what was fed
 * since the last flush is flushed (the client sees the body as it comes). `final`: the input ends
 * with in: the last chunk and the terminating "0" chunk follow (call again while it returns 0).
 * Returns 1 once the terminator is written, 0 otherwise, -EIO on a zlib failure. */
int lb_comp_stream_step(struct lb_comp_stream *z,
                        const uint8_t *in,
                        size_t inlen,
                        int final,
                        struct lb_comp_chunk *c);

/* Has the terminating chunk been written? 1 or 0. */
int lb_comp_stream_done(const struct lb_comp_stream *z);

#endif
