/* fuzz_http1_split.c - round trip of the HTTP/1.1 parser over reads: a
 * message parsed whole and the same message delivered in two reads, cut at
 * every offset, must give the same result (head length, framing, status or
 * error). Same for chunked framing scanned in one call or two. Issue 10
 * item 7 (leading empty lines split between CR and LF) is the kind of bug
 * this finds. The first byte picks request or response. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HEAD 2048u
#define MAX_LEN  1024u /* the split loop is quadratic: keep inputs short */

static struct http1_msg whole, split;

static int parse(const uint8_t *buf, size_t len, struct http1_msg *m, int resp)
{
    return resp ? http1_parse_response(buf, len, m) : http1_parse_request(buf, len, m);
}

/* What a caller acts on, equal between the two parses. */
static void check_same(int rw, int rs, const struct http1_msg *a, const struct http1_msg *b)
{
    if (rw != rs)
        abort();
    if (rw < 0 && a->err_status != b->err_status)
        abort();
    if (rw > 0 && (a->head_len != b->head_len || a->body != b->body || a->status != b->status ||
                   a->method != b->method || a->version != b->version || a->nhdr != b->nhdr ||
                   a->flags != b->flags || a->uri_off != b->uri_off ||
                   a->content_length != b->content_length))
        abort();
}

static void split_heads(const uint8_t *buf, size_t len, int resp, uint32_t in)
{
    size_t cut;
    int rw, rs;

    http1_msg_init(&whole, MAX_HEAD, in);
    rw = parse(buf, len, &whole, resp);
    for (cut = 0; cut <= len; cut++) {
        http1_msg_init(&split, MAX_HEAD, in);
        rs = parse(buf, cut, &split, resp);
        if (rs == 0)
            rs = parse(buf, len, &split, resp);
        check_same(rw, rs, &whole, &split);
    }
}

static void split_chunks(const uint8_t *buf, size_t len)
{
    struct http1_chunk a, b;
    size_t cut;
    int ra, r1, r2;

    memset(&a, 0, sizeof(a));
    ra = http1_chunk_scan(buf, len, &a);
    for (cut = 0; cut <= len; cut++) {
        memset(&b, 0, sizeof(b));
        r1 = http1_chunk_scan(buf, cut, &b);
        if (r1 < 0 || b.state == HTTP1_CH_DONE) {
            /* ended or failed inside the first piece: so did the whole */
            if (r1 != ra)
                abort();
            continue;
        }
        r2 = http1_chunk_scan(buf + cut, len - cut, &b);
        if (r2 < 0 ? r2 != ra : r1 + r2 != ra)
            abort();
        if (ra >= 0 && (b.state != a.state || b.total != a.total))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf;
    int resp;

    if (size < 1 || size > MAX_LEN + 1)
        return 0;
    resp = data[0] & 1;
    data++;
    size--;
    /* an exact-size copy so any read past the end is an ASan error */
    buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    split_heads(buf, size, resp, resp && (data[-1] & 2) ? HTTP1_IN_HEAD_REQ : 0);
    split_chunks(buf, size);
    free(buf);
    return 0;
}
