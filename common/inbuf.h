/* inbuf.h - the bytes read from a stream until a whole unit (a line, a
 * reply) is there: one bounded, NUL-terminated, growable input buffer, for
 * the admin sockets, checkd's feed follower, checkd's probes, both ends of
 * lbd's master-worker control channel and vrrpd's lbd tracker.
 *
 * Owner: the struct that embeds it (zeroed is empty); lk_inbuf_reset()
 * frees the memory. The bound is the caller's: a peer that sends more
 * than it without completing a unit is refused, never buffered. */
#ifndef LK_INBUF_H
#define LK_INBUF_H

#include <stddef.h>
#include <uv.h>

#define LK_INBUF_READ 65536u /* the most one read with lk_inbuf_scratch() gives */

struct lk_inbuf {
    char *buf; /* len bytes then a NUL (so text parsers may use it), or NULL */
    size_t len;
};

/* Append n bytes of data (copied). 0, -E2BIG when len would pass max (the
 * buffer is left as it was), or -ENOMEM. */
int lk_inbuf_append(struct lk_inbuf *b, const void *data, size_t n, size_t max);

/* Drop the first n (<= len) bytes, which the caller has used. */
void lk_inbuf_consume(struct lk_inbuf *b, size_t n);

/* A line reader's read callback: append n bytes of data, then hand each
 * complete line, its '\n' replaced by a NUL, to fn (with its length; a
 * '\r' before the '\n' is kept) and drop it. The bound is on one line, so
 * a read carrying many lines is fine. fn returns non-zero to stop at once
 * (its reader was closed: b is not touched again).
 * Returns 0, 1 when fn stopped, -E2BIG when a line reaches line_max bytes
 * without its '\n' (the buffer is emptied), or -ENOMEM. */
int lk_inbuf_lines(struct lk_inbuf *b,
                   const void *data,
                   size_t n,
                   size_t line_max,
                   int (*fn)(void *ud, char *line, size_t len),
                   void *ud);

/* Free the memory; the buffer is empty and reusable after. */
void lk_inbuf_reset(struct lk_inbuf *b);

/* A libuv alloc_cb handing out one 64 KiB scratch buffer per thread: the
 * read callback must copy what it keeps (lk_inbuf_append) before it
 * returns, so idle connections hold no read memory. */
void lk_inbuf_scratch(uv_handle_t *h, size_t hint, uv_buf_t *buf);

#endif
