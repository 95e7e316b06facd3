/* test_http1.c - the HTTP/1.1 parser against a table of valid and invalid
 * messages: every request-smuggling class with the status a proxy must
 * answer, limits, responses and their body kinds, chunked edge cases. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/http1.h"

#define MAXHEAD 16384u

struct req_case {
    const char *name;
    const char *msg;
    int status; /* 0: valid; else the error status */
    int body;   /* enum http1_body when valid */
    uint64_t cl;
};

static const struct req_case req_cases[] = {
    {"simple get", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, HTTP1_BODY_NONE, 0},
    {"http/1.0 no host", "GET / HTTP/1.0\r\n\r\n", 0, HTTP1_BODY_NONE, 0},
    {"bare LF lines", "GET / HTTP/1.1\nHost: a\n\n", 0, HTTP1_BODY_NONE, 0},
    {"leading empty line", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, HTTP1_BODY_NONE, 0},
    {"post cl", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", 0, HTTP1_BODY_CL, 5},
    {"cl zero", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 0, HTTP1_BODY_NONE, 0},
    {"chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
     HTTP1_BODY_CHUNKED, 0},
    {"gzip, chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0,
     HTTP1_BODY_CHUNKED, 0},
    {"TE case", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ChUnKeD\r\n\r\n", 0,
     HTTP1_BODY_CHUNKED, 0},
    {"ows around value", "GET / HTTP/1.1\r\nHost: \t a \t\r\n\r\n", 0, HTTP1_BODY_NONE, 0},
    {"empty value", "GET / HTTP/1.1\r\nHost: a\r\nX-E:\r\n\r\n", 0, HTTP1_BODY_NONE, 0},
    {"obs-text value", "GET / HTTP/1.1\r\nHost: a\r\nX: \xc3\xa9\r\n\r\n", 0, HTTP1_BODY_NONE, 0},
    {"absolute form", "GET http://a/b HTTP/1.1\r\nHost: a\r\n\r\n", 0, HTTP1_BODY_NONE, 0},
    {"custom method", "PURGE /x HTTP/1.1\r\nHost: a\r\n\r\n", 0, HTTP1_BODY_NONE, 0},
    /* smuggling: CL + TE */
    {"CL+TE",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
     0, 0},
    {"TE+CL",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n", 400,
     0, 0},
    /* several or differing CL */
    {"two CL differ",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n", 400, 0, 0},
    {"two CL same", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\n",
     400, 0, 0},
    {"CL list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4, 5\r\n\r\n", 400, 0, 0},
    {"CL sign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +4\r\n\r\n", 400, 0, 0},
    {"CL negative", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400, 0, 0},
    {"CL hex", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 400, 0, 0},
    {"CL empty", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400, 0, 0},
    {"CL overflow", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
     400, 0, 0},
    /* TE whose final coding is not chunked */
    {"TE gzip only", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400, 0, 0},
    {"TE chunked, gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
     400, 0, 0},
    /* issue 10 item 5: read as chunked by some parsers, not by others */
    {"TE leading comma", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,chunked\r\n\r\n", 400,
     0, 0},
    {"TE empty element", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:  , chunked\r\n\r\n", 400,
     0, 0},
    {"TE trailing comma", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked,\r\n\r\n", 400,
     0, 0},
    {"TE chunked ws param", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked ;\r\n\r\n",
     400, 0, 0},
    {"TE chunked param", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n",
     400, 0, 0},
    {"TE quoted comma",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip;a=\", chunked\r\n\r\n", 400, 0, 0},
    {"TE gzip param, chunked",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip;q=1 , chunked\r\n\r\n", 0,
     HTTP1_BODY_CHUNKED, 0},
    /* issue 10 item 4: absolute-form target vs Host (RFC 9112 3.2.2) */
    {"absolute form host differs",
     "GET http://admin.example/ HTTP/1.1\r\nHost: www.example\r\n\r\n", 400, 0, 0},
    {"absolute form host case",
     "GET HTTP://Admin.Example:80/x?y HTTP/1.1\r\nHost: admin.example:80\r\n\r\n", 0,
     HTTP1_BODY_NONE, 0},
    {"absolute form port differs", "GET http://a:81/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, 0},
    {"absolute form no host", "GET http://a/ HTTP/1.0\r\n\r\n", 400, 0, 0},
    {"absolute form userinfo", "GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, 0},
    {"TE chunked twice",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400, 0, 0},
    {"TE two headers",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
     "Transfer-Encoding: identity\r\n\r\n",
     400, 0, 0},
    {"TE identity", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 501, 0, 0},
    {"TE unknown", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 501, 0, 0},
    {"TE empty", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n", 400, 0, 0},
    {"TE in 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, 0, 0},
    {"TE vertical tab",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\x0b"
     "chunked\r\n\r\n",
     400, 0, 0},
    /* obs-fold, whitespace before colon */
    {"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400, 0, 0},
    {"obs-fold tab", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n", 400, 0, 0},
    {"space before colon", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n", 400,
     0, 0},
    {"tab before colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400, 0, 0},
    {"empty name", "GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n", 400, 0, 0},
    {"no colon", "GET / HTTP/1.1\r\nHost: a\r\nnocolon\r\n\r\n", 400, 0, 0},
    {"bad name char", "GET / HTTP/1.1\r\nHost: a\r\nX(y): 1\r\n\r\n", 400, 0, 0},
    /* CTLs, NUL, bare CR */
    {"NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 400, 0, 0},
    {"CTL in value",
     "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01"
     "b\r\n\r\n",
     400, 0, 0},
    {"DEL in value",
     "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f"
     "b\r\n\r\n",
     400, 0, 0},
    {"bare CR in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400, 0, 0},
    {"bare CR line end", "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400, 0, 0},
    {"bare CR in uri", "GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, 0},
    {"NUL in name", "GET / HTTP/1.1\r\nHost: a\r\nX\0: b\r\n\r\n", 400, 0, 0},
    /* request line */
    {"no version", "GET /\r\nHost: a\r\n\r\n", 400, 0, 0},
    {"lower version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400, 0, 0},
    {"two spaces", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, 0},
    {"trailing space", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400, 0, 0},
    {"tab in uri", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, 0},
    {"utf8 in uri", "GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, 0},
    {"bad method char", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, 0},
    {"http/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, 0, 0},
    {"http/0.9", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505, 0, 0},
    {"connect", "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", 501, 0, 0},
    /* host rules */
    {"1.1 no host", "GET / HTTP/1.1\r\nX: a\r\n\r\n", 0, HTTP1_BODY_NONE, 0},
    {"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, 0, 0},
};

static int parse_whole(const char *msg, size_t len, struct http1_msg *m)
{
    http1_msg_init(m, MAXHEAD, 0);
    return http1_parse_request((const uint8_t *)msg, len, m);
}

static size_t case_len(const char *msg)
{
    /* some cases carry a NUL: their length runs to the final CRLFCRLF */
    const char *p = msg + strlen(msg);

    if (strstr(msg, "\r\n\r\n") || strstr(msg, "\n\n"))
        return strlen(msg);
    while (!(p[0] == '\r' && p[1] == '\n' && p[2] == '\r' && p[3] == '\n'))
        p++;
    return (size_t)(p - msg) + 4;
}

static void test_request_table(void **state)
{
    static struct http1_msg m;
    size_t i, len;
    int r;

    for (i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
        const struct req_case *c = &req_cases[i];

        len = case_len(c->msg);
        r = parse_whole(c->msg, len, &m);
        if (c->status == 0) {
            if (r != (int)len)
                fail_msg("%s: r=%d want %zu (err %d)", c->name, r, len, m.err_status);
            if (m.body != c->body || m.content_length != c->cl)
                fail_msg("%s: body %d cl %llu", c->name, m.body,
                         (unsigned long long)m.content_length);
        } else if (r >= 0 || m.err_status != c->status) {
            fail_msg("%s: r=%d status %d want %d", c->name, r, m.err_status, c->status);
        }
    }
}

/* Byte-by-byte delivery gives the same result as one read. */
static void test_incremental(void **state)
{
    static struct http1_msg m;
    const char *msg = "POST /path?q=1 HTTP/1.1\r\nHost: example\r\nContent-Length: 12\r\n"
                      "Connection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n"
                      "Expect: 100-continue\r\n\r\nBODY";
    size_t head = strlen(msg) - 4, i;
    int r = 0;

    http1_msg_init(&m, MAXHEAD, 0);
    for (i = 1; i <= strlen(msg); i++) {
        r = http1_parse_request((const uint8_t *)msg, i, &m);
        if (r != 0)
            break;
    }
    assert_int_equal(r, (int)head);
    assert_int_equal(i, head);
    assert_int_equal(m.method, HTTP1_M_POST);
    assert_int_equal(m.uri_len, strlen("/path?q=1"));
    assert_memory_equal(msg + m.uri_off, "/path?q=1", m.uri_len);
    assert_int_equal(m.version, 1);
    assert_int_equal(m.body, HTTP1_BODY_CL);
    assert_int_equal(m.content_length, 12);
    assert_true(m.flags & HTTP1_F_CONN_KA);
    assert_true(m.flags & HTTP1_F_CONN_UPGRADE);
    assert_true(m.flags & HTTP1_F_UPGRADE);
    assert_true(m.flags & HTTP1_F_EXPECT_100);
    assert_int_equal(m.nhdr, 5);
}

static void test_header_lookup(void **state)
{
    static struct http1_msg m;
    const char *msg = "GET / HTTP/1.1\r\nHOST:  www.Example.com  \r\nCookie: a=1; SRV=s2\r\n\r\n";
    const uint8_t *v;
    size_t n;

    assert_int_equal(parse_whole(msg, strlen(msg), &m), (int)strlen(msg));
    v = http1_hdr_find(&m, (const uint8_t *)msg, HTTP1_H_HOST, &n);
    assert_non_null(v);
    assert_int_equal(n, 15);
    assert_memory_equal(v, "www.Example.com", 15);
    v = http1_hdr_get(&m, (const uint8_t *)msg, "cookie", 6, &n);
    assert_non_null(v);
    assert_int_equal(n, 11);
    assert_null(http1_hdr_get(&m, (const uint8_t *)msg, "x-none", 6, &n));
    assert_true(http1_list_has((const uint8_t *)"a, Close ,b", 11, "close", 5));
    assert_false(http1_list_has((const uint8_t *)"closed", 6, "close", 5));
    assert_true(http1_list_has((const uint8_t *)"keep-alive, x-secret", 20, "X-Secret", 8));
}

static void test_limits(void **state)
{
    static struct http1_msg m;
    char *buf = malloc(40000);
    size_t n, i;
    int r;

    /* request line longer than the limit: 414 */
    n = (size_t)snprintf(buf, 40000, "GET /");
    memset(buf + n, 'a', 20000);
    n += 20000;
    http1_msg_init(&m, MAXHEAD, 0);
    r = http1_parse_request((uint8_t *)buf, n, &m);
    assert_int_equal(r, -E2BIG);
    assert_int_equal(m.err_status, 414);
    /* huge header block: 431 */
    n = (size_t)snprintf(buf, 40000, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
    memset(buf + n, 'b', 20000);
    n += 20000;
    http1_msg_init(&m, MAXHEAD, 0);
    r = http1_parse_request((uint8_t *)buf, n, &m);
    assert_int_equal(r, -E2BIG);
    assert_int_equal(m.err_status, 431);
    /* under the limit but not finished: wait */
    http1_msg_init(&m, MAXHEAD, 0);
    assert_int_equal(http1_parse_request((uint8_t *)buf, 1000, &m), 0);
    /* too many headers: 431 */
    n = (size_t)snprintf(buf, 40000, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (i = 0; i < HTTP1_MAX_HDRS + 1; i++)
        n += (size_t)snprintf(buf + n, 40000 - n, "X-%zu: v\r\n", i);
    n += (size_t)snprintf(buf + n, 40000 - n, "\r\n");
    http1_msg_init(&m, MAXHEAD, 0);
    r = http1_parse_request((uint8_t *)buf, n, &m);
    assert_int_equal(r, -E2BIG);
    assert_int_equal(m.err_status, 431);
    free(buf);
}

struct resp_case {
    const char *name;
    const char *msg;
    unsigned in_flags;
    int ok;
    int status, body;
};

static const struct resp_case resp_cases[] = {
    {"200 cl", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", 0, 1, 200, HTTP1_BODY_CL},
    {"200 chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 1, 200,
     HTTP1_BODY_CHUNKED},
    {"200 close-delimited", "HTTP/1.1 200 OK\r\n\r\n", 0, 1, 200, HTTP1_BODY_EOF},
    {"200 TE gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 0, 1, 200,
     HTTP1_BODY_EOF},
    {"HEAD answer", "HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n", HTTP1_IN_HEAD_REQ, 1, 200,
     HTTP1_BODY_NONE},
    {"204", "HTTP/1.1 204 No Content\r\n\r\n", 0, 1, 204, HTTP1_BODY_NONE},
    {"304", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 0, 1, 304, HTTP1_BODY_NONE},
    {"100", "HTTP/1.1 100 Continue\r\n\r\n", 0, 1, 100, HTTP1_BODY_NONE},
    {"101", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", 0, 1, 101,
     HTTP1_BODY_NONE},
    {"no reason", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 0, 1, 200, HTTP1_BODY_NONE},
    {"1.0 close", "HTTP/1.0 200 OK\r\n\r\n", 0, 1, 200, HTTP1_BODY_EOF},
    {"CL+TE", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 0, 0,
     0},
    {"two CL", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", 0, 0, 0, 0},
    {"bad status", "HTTP/1.1 2x0 OK\r\n\r\n", 0, 0, 0, 0},
    {"status 600", "HTTP/1.1 600 OK\r\n\r\n", 0, 0, 0, 0},
    {"garbage", "SSH-2.0-OpenSSH\r\n\r\n", 0, 0, 0, 0},
    {"obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", 0, 0, 0, 0},
};

static void test_response_table(void **state)
{
    static struct http1_msg m;
    size_t i;
    int r;

    for (i = 0; i < sizeof(resp_cases) / sizeof(resp_cases[0]); i++) {
        const struct resp_case *c = &resp_cases[i];

        http1_msg_init(&m, MAXHEAD, c->in_flags);
        r = http1_parse_response((const uint8_t *)c->msg, strlen(c->msg), &m);
        if (c->ok && (r != (int)strlen(c->msg) || m.status != c->status || m.body != c->body))
            fail_msg("%s: r=%d status %d body %d", c->name, r, m.status, m.body);
        if (!c->ok && (r >= 0 || m.err_status != 502))
            fail_msg("%s: r=%d err %d, want 502", c->name, r, m.err_status);
    }
}

struct chunk_case {
    const char *name;
    const char *body;
    int ok;          /* 1: complete and valid */
    uint64_t total;  /* data bytes */
    size_t consumed; /* 0: whole string */
};

static const struct chunk_case chunk_cases[] = {
    {"one chunk", "5\r\nhello\r\n0\r\n\r\n", 1, 5, 0},
    {"two chunks", "3\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\n", 1, 13, 0},
    {"upper hex", "a\r\n0123456789\r\n0\r\n\r\n", 1, 10, 0},
    {"extension", "5;name=val\r\nhello\r\n0;x\r\n\r\n", 1, 5, 0},
    {"ext with ws", "5 ;name\r\nhello\r\n0\r\n\r\n", 1, 5, 0},
    {"trailers", "5\r\nhello\r\n0\r\nX-Sum: 1\r\nY: 2\r\n\r\n", 1, 5, 0},
    {"pipelined after", "0\r\n\r\nGET / HTTP/1.1\r\n", 1, 0, 5},
    {"leading zeros", "0005\r\nhello\r\n0\r\n\r\n", 1, 5, 0},
    {"no digits", "\r\nhello\r\n0\r\n\r\n", 0, 0, 0},
    {"bad hex", "5g\r\nhello\r\n0\r\n\r\n", 0, 0, 0},
    {"negative", "-5\r\nhello\r\n0\r\n\r\n", 0, 0, 0},
    {"0x prefix", "0x5\r\nhello\r\n0\r\n\r\n", 0, 0, 0},
    {"too big", "10000000000000000\r\n", 0, 0, 0},
    {"bare LF size", "5\nhello\r\n0\r\n\r\n", 0, 0, 0},
    {"missing CRLF after data", "5\r\nhelloX\r\n0\r\n\r\n", 0, 0, 0},
    {"bare LF after data", "5\r\nhello\n0\r\n\r\n", 0, 0, 0},
    {"space then junk", "5 x\r\nhello\r\n0\r\n\r\n", 0, 0, 0},
    {"CTL in ext", "5;a\x01\r\nhello\r\n0\r\n\r\n", 0, 0, 0},
    {"obs-fold trailer", "0\r\nX: a\r\n b\r\n\r\n", 0, 0, 0},
    {"CTL in trailer", "0\r\nX: a\x02\r\n\r\n", 0, 0, 0},
    {"bare CR final", "0\r\n\rX", 0, 0, 0},
    /* issue 10 item 6: a trailer must be a field line */
    {"request as trailer", "0\r\nGET /SMUGGLED HTTP/1.1\r\nHost: a\r\n\r\n", 0, 0, 0},
    {"trailer without colon", "0\r\nXY\r\n\r\n", 0, 0, 0},
    {"trailer space before colon", "0\r\nX : v\r\n\r\n", 0, 0, 0},
    {"trailer empty value", "0\r\nX:\r\n\r\n", 1, 0, 0},
};

static void test_chunk_table(void **state)
{
    struct http1_chunk c;
    size_t i, len, want;
    int r;

    for (i = 0; i < sizeof(chunk_cases) / sizeof(chunk_cases[0]); i++) {
        const struct chunk_case *k = &chunk_cases[i];

        memset(&c, 0, sizeof(c));
        len = strlen(k->body);
        want = k->consumed ? k->consumed : len;
        r = http1_chunk_scan((const uint8_t *)k->body, len, &c);
        if (k->ok && (r != (int)want || c.state != HTTP1_CH_DONE || c.total != k->total))
            fail_msg("%s: r=%d state %d total %llu", k->name, r, c.state,
                     (unsigned long long)c.total);
        if (!k->ok && r != -EBADMSG)
            fail_msg("%s: r=%d, want -EBADMSG", k->name, r);
    }
}

/* Chunked framing split at every position gives the same answer. */
static void test_chunk_split(void **state)
{
    const char *body =
        "4;e=1\r\nwiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nT: v\r\n\r\n";
    size_t len = strlen(body), cut;
    struct http1_chunk c;
    int a, b;

    for (cut = 0; cut <= len; cut++) {
        memset(&c, 0, sizeof(c));
        a = http1_chunk_scan((const uint8_t *)body, cut, &c);
        assert_int_equal(a, (int)cut);
        b = http1_chunk_scan((const uint8_t *)body + cut, len - cut, &c);
        assert_int_equal(b, (int)(len - cut));
        assert_int_equal(c.state, HTTP1_CH_DONE);
        assert_int_equal(c.total, 23);
    }
}

/* Leading empty lines split anywhere, even between CR and LF, across
 * reads (issue 10 item 7): same result as one read. */
static void test_split_empty_lines(void **state)
{
    static struct http1_msg m;
    const char *msgs[] = {"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
                          "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
                          "\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"};
    size_t k, cut, len;
    int r;

    for (k = 0; k < sizeof(msgs) / sizeof(msgs[0]); k++) {
        len = strlen(msgs[k]);
        for (cut = 1; cut < len; cut++) {
            http1_msg_init(&m, MAXHEAD, 0);
            r = http1_parse_request((const uint8_t *)msgs[k], cut, &m);
            assert_int_equal(r, 0);
            r = http1_parse_request((const uint8_t *)msgs[k], len, &m);
            if (r != (int)len)
                fail_msg("msg %zu cut %zu: r=%d status %d", k, cut, r, m.err_status);
            assert_memory_equal(msgs[k] + m.uri_off, "/", 1);
        }
    }
}

/* A parser that reads past len would be caught by ASan here: every prefix
 * of a valid message is parsed from a buffer of exactly that size. */
static void test_prefixes_exact_alloc(void **state)
{
    static struct http1_msg m;
    const char *msg = "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    size_t len = strlen(msg), i;
    uint8_t *b;
    int r;

    for (i = 0; i <= len; i++) {
        b = malloc(i ? i : 1);
        memcpy(b, msg, i);
        http1_msg_init(&m, MAXHEAD, 0);
        r = http1_parse_request(b, i, &m);
        assert_int_equal(r, i == len ? (int)len : 0);
        free(b);
    }
    assert_true(m.flags & HTTP1_F_CONN_CLOSE);
}

/* A target that is neither origin nor absolute form: a client's is refused,
 * one that set-uri wrote (HTTP1_IN_REWRITE) passes, as in HAProxy; an
 * absolute-form target is checked against Host either way. */
static void test_rewrite_target(void **state)
{
    static struct http1_msg m;
    const char *odd = "GET concat(/a,b) HTTP/1.1\r\nHost: x\r\n\r\n";
    const char *abs = "GET http://y/ HTTP/1.1\r\nHost: x\r\n\r\n";

    http1_msg_init(&m, MAXHEAD, 0);
    assert_int_equal(http1_parse_request((const uint8_t *)odd, strlen(odd), &m), -EBADMSG);
    http1_msg_init(&m, MAXHEAD, HTTP1_IN_REWRITE);
    assert_int_equal(http1_parse_request((const uint8_t *)odd, strlen(odd), &m), (int)strlen(odd));
    http1_msg_init(&m, MAXHEAD, HTTP1_IN_REWRITE);
    assert_int_equal(http1_parse_request((const uint8_t *)abs, strlen(abs), &m), -EBADMSG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_table),     cmocka_unit_test(test_incremental),
        cmocka_unit_test(test_header_lookup),     cmocka_unit_test(test_limits),
        cmocka_unit_test(test_response_table),    cmocka_unit_test(test_chunk_table),
        cmocka_unit_test(test_chunk_split),       cmocka_unit_test(test_prefixes_exact_alloc),
        cmocka_unit_test(test_split_empty_lines), cmocka_unit_test(test_rewrite_target),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
