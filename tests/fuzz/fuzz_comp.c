/* fuzz_comp.c - lbd/http/comp.c on any bytes: the input is a request head,
 * a response head and a body, separated by the first two NULs. The request
 * goes through lb_comp_pick() (Accept-Encoding, User-Agent), the response
 * through lb_comp_response_ok() and, rebuilt as lbd sends heads,
 * lb_comp_edit_head(); the body is compressed by a stream fed in pieces
 * whose sizes the body's bytes choose, then inflated with zlib: it must
 * give the body back, and the chunked framing must be well formed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lbd/http/comp.h"
#include "lbd/http/http_msg.h"
#include "proto/http1.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_CAP 4096

static void heads(const uint8_t *rq, size_t rql, const uint8_t *rs, size_t rsl, int *algo)
{
    static struct lb_comp_cfg cfg = {
        {LB_COMP_IDENTITY, LB_COMP_DEFLATE, LB_COMP_GZIP}, 3, NULL, 0, 0};
    struct http1_msg q, r;
    struct lb_rsp_edit e;
    char out[OUT_CAP];
    uint8_t *a = fuzz_copy(rq, rql), *b = fuzz_copy(rs, rsl);
    int asked, n;

    *algo = LB_COMP_GZIP;
    http1_msg_init(&q, 8192, 0);
    if (a && http1_parse_request(a, rql, &q) > 0)
        *algo = lb_comp_pick(&cfg, a, &q, &asked);
    http1_msg_init(&r, 8192, 0);
    if (a && b && http1_parse_response(b, rsl, &r) > 0) {
        (void)lb_comp_response_ok(&cfg, b, &r, &q);
        memset(&e, 0, sizeof(e));
        e.version = 1;
        n = lb_http_build_response(out, sizeof(out), b, &r, &e);
        if (n > 0)
            (void)lb_comp_edit_head(out, (size_t)n, sizeof(out), *algo < 0 ? LB_COMP_GZIP : *algo);
    }
    free(a);
    free(b);
}

/* Undo the chunked framing of out[0, len) into *plain. */
static size_t dechunk(const uint8_t *p, size_t len, uint8_t *plain, size_t cap, int *ended)
{
    size_t i = 0, o = 0, n;

    while (i < len && !*ended) {
        n = strtoul((const char *)p + i, NULL, 16);
        while (i < len && p[i] != '\n')
            i++;
        i++;
        if (n == 0) {
            *ended = 1;
            break;
        }
        if (i + n + 2 > len || o + n > cap || memcmp(p + i + n, "\r\n", 2) != 0)
            abort(); /* a chunk the stream wrote is complete */
        memcpy(plain + o, p + i, n);
        o += n;
        i += n + 2;
    }
    return o;
}

static void body(const uint8_t *in, size_t len, int algo)
{
    struct lb_comp_stream *z = lb_comp_stream_new(algo < 0 ? LB_COMP_GZIP : algo);
    size_t zcap = len * 2 + 1024, zlen = 0, pos = 0, step;
    uint8_t *zdata = malloc(zcap), *back = malloc(len + 1);
    char out[OUT_CAP + 16];
    struct lb_comp_chunk c = {out, OUT_CAP, 0, 0, 0};
    int r = 0, ended = 0, rounds = 0;
    uLongf blen = len;

    if (!z || !zdata || !back)
        goto out;
    while (r == 0 && rounds++ < 100000) {
        step = pos < len ? 1 + in[pos] % 200 : 0;
        if (step > len - pos)
            step = len - pos;
        r = lb_comp_stream_step(z, in + pos, step, pos + step == len, &c);
        if (r < 0)
            goto out;
        pos += c.used;
        zlen += dechunk((const uint8_t *)out + c.off, c.len, zdata + zlen, zcap - zlen, &ended);
    }
    if (r != 1 || !ended)
        abort(); /* the stream ends, with its terminating chunk */
    if (algo == LB_COMP_IDENTITY) {
        if (zlen != len || memcmp(zdata, in, len) != 0)
            abort();
    } else if (algo == LB_COMP_GZIP || algo < 0) {
        z_stream is;

        memset(&is, 0, sizeof(is));
        inflateInit2(&is, 31);
        is.next_in = zdata;
        is.avail_in = (uInt)zlen;
        is.next_out = back;
        is.avail_out = (uInt)len + 1;
        if (inflate(&is, Z_FINISH) != Z_STREAM_END || is.total_out != len ||
            memcmp(back, in, len) != 0)
            abort();
        inflateEnd(&is);
    } else if (uncompress(back, &blen, zdata, zlen) != Z_OK || blen != len ||
               memcmp(back, in, len) != 0) {
        abort();
    }
out:
    lb_comp_stream_free(z);
    free(zdata);
    free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *a = memchr(data, 0, size), *b;
    int algo;

    if (!a)
        return 0;
    b = memchr(a + 1, 0, size - (size_t)(a + 1 - data));
    if (!b)
        return 0;
    heads(data, (size_t)(a - data), a + 1, (size_t)(b - a - 1), &algo);
    body(b + 1, size - (size_t)(b + 1 - data), algo);
    return 0;
}
