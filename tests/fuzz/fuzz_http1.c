/* fuzz_http1.c - the HTTP/1.1 parser: request and response heads, fed both
 * whole and in two pieces (the incremental path), then chunked framing over
 * whatever follows the head. The first byte picks request or response. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct http1_msg m;

static int parse(const uint8_t *buf, size_t len, int resp)
{
    return resp ? http1_parse_response(buf, len, &m) : http1_parse_request(buf, len, &m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct http1_chunk c;
    size_t len, cut;
    uint8_t *buf;
    int resp, r;

    if (size < 1)
        return 0;
    resp = data[0] & 1;
    data++;
    size--;
    /* an exact-size copy so any read past the end is an ASan error */
    buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    len = size;
    cut = size ? (size_t)data[0] % (size + 1) : 0;
    http1_msg_init(&m, 4096, resp && (size & 2) ? HTTP1_IN_HEAD_REQ : 0);
    r = parse(buf, cut, resp);
    if (r == 0)
        r = parse(buf, len, resp);
    if (r > 0 && (size_t)r <= len) {
        memset(&c, 0, sizeof(c));
        http1_chunk_scan(buf + r, len - (size_t)r, &c);
    }
    memset(&c, 0, sizeof(c));
    http1_chunk_scan(buf, len, &c);
    free(buf);
    return 0;
}
