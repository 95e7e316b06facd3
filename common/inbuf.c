/* inbuf.c - see inbuf.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/inbuf.h"

int lk_inbuf_append(struct lk_inbuf *b, const void *data, size_t n, size_t max)
{
    char *nb;

    if (b->len + n > max)
        return -E2BIG;
    /* one byte more for the NUL the text parsers rely on */
    nb = realloc(b->buf, b->len + n + 1);
    if (!nb)
        return -ENOMEM;
    b->buf = nb;
    memcpy(b->buf + b->len, data, n);
    b->len += n;
    b->buf[b->len] = '\0';
    return 0;
}

void lk_inbuf_consume(struct lk_inbuf *b, size_t n)
{
    if (!b->buf)
        return;
    /* what is left is at most one partial line: the move is short, and
     * the buffer keeps its memory for the next read */
    memmove(b->buf, b->buf + n, b->len - n);
    b->len -= n;
    b->buf[b->len] = '\0';
}

int lk_inbuf_lines(struct lk_inbuf *b,
                   const void *data,
                   size_t n,
                   size_t line_max,
                   int (*fn)(void *ud, char *line, size_t len),
                   void *ud)
{
    char *line, *nl;
    int r;

    /* what is buffered between reads is one partial line, shorter than
     * line_max: a bound of line_max + n holds it and the new bytes */
    r = lk_inbuf_append(b, data, n, line_max + n);
    if (r < 0)
        return r;
    for (line = b->buf; (nl = memchr(line, '\n', b->len - (size_t)(line - b->buf)));
         line = nl + 1) {
        *nl = '\0';
        if (fn(ud, line, (size_t)(nl - line)))
            return 1;
    }
    lk_inbuf_consume(b, (size_t)(line - b->buf));
    if (b->len < line_max)
        return 0;
    lk_inbuf_reset(b);
    return -E2BIG;
}

void lk_inbuf_reset(struct lk_inbuf *b)
{
    free(b->buf);
    b->buf = NULL;
    b->len = 0;
}

void lk_inbuf_scratch(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    /* per thread: lbd's workers and control thread may read at once */
    static __thread char scratch[LK_INBUF_READ];

    *buf = uv_buf_init(scratch, sizeof(scratch));
}
