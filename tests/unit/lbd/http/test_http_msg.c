/* test_http_msg.c - head rewriting (hop-by-hop fields, X-Forwarded-For,
 * Connection, indirect cookie removal, Set-Cookie insertion), cookie
 * lookup, and the httplog line format. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lbd/http/http_msg.h"
#include "lbd/http/httplog.h"

static struct http1_msg m;

static void parse_req(const char *s)
{
    http1_msg_init(&m, 16384, 0);
    assert_int_equal(http1_parse_request((const uint8_t *)s, strlen(s), &m), (int)strlen(s));
}

static void test_request_rewrite(void **state)
{
    const char *req = "GET /a?b HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Hop\r\n"
                      "X-Hop: 1\r\nKeep-Alive: 300\r\nTE: trailers\r\nProxy-Connection: x\r\n"
                      "Upgrade: websocket\r\nCookie: a=1; SRV=s1; b=2\r\nX-End:  v  \r\n\r\n";
    struct lb_req_edit e;
    struct lk_addr a;
    char out[1024];
    int n;

    parse_req(req);
    memset(&e, 0, sizeof(e));
    memset(&a, 0, sizeof(a));
    a.u.in4.sin_family = AF_INET;
    inet_pton(AF_INET, "192.0.2.7", &a.u.in4.sin_addr);
    e.xff = &a;
    e.drop_cookie = "SRV";
    e.drop_cookie_len = 3;
    e.conn_close = 1;
    n = lb_http_build_request(out, sizeof(out), (const uint8_t *)req, &m, &e);
    assert_true(n > 0);
    out[n] = 0;
    assert_string_equal(out, "GET /a?b HTTP/1.1\r\nHost: h\r\nCookie: a=1; b=2\r\nX-End: v\r\n"
                             "Connection: close\r\nX-Forwarded-For: 192.0.2.7\r\n\r\n");
    /* too small a buffer */
    assert_int_equal(lb_http_build_request(out, 20, (const uint8_t *)req, &m, &e), -ENOSPC);
}

/* A 1.0 request closes by itself: no "Connection: close" is added for it, as
 * HAProxy adds none (cfg_corpus_behave found the difference). */
static void test_request_http10_no_close(void **state)
{
    const char *req = "GET /old HTTP/1.0\r\nUser-Agent: u\r\n\r\n";
    struct lb_req_edit e;
    char out[256];
    int n;

    (void)state;
    parse_req(req);
    memset(&e, 0, sizeof(e));
    e.conn_close = 1;
    n = lb_http_build_request(out, sizeof(out), (const uint8_t *)req, &m, &e);
    assert_true(n > 0);
    out[n] = 0;
    assert_string_equal(out, "GET /old HTTP/1.0\r\nUser-Agent: u\r\n\r\n");
}

static void test_request_upgrade_and_cookie_only(void **state)
{
    const char *req = "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                      "Cookie: SRV=s2\r\n\r\n";
    struct lb_req_edit e;
    char out[512];
    int n;

    parse_req(req);
    memset(&e, 0, sizeof(e));
    e.upgrade = 1;
    e.drop_cookie = "SRV";
    e.drop_cookie_len = 3;
    n = lb_http_build_request(out, sizeof(out), (const uint8_t *)req, &m, &e);
    out[n] = 0;
    /* Upgrade kept, Connection replaced, an emptied Cookie field dropped */
    assert_string_equal(out, "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
                             "Connection: upgrade\r\n\r\n");
}

static void test_response_rewrite(void **state)
{
    const char *rsp = "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
                      "Content-Length: 2\r\n\r\n";
    struct lb_rsp_edit e;
    char out[512];
    int n;

    http1_msg_init(&m, 16384, 0);
    assert_true(http1_parse_response((const uint8_t *)rsp, strlen(rsp), &m) > 0);
    memset(&e, 0, sizeof(e));
    e.version = m.version;
    e.conn_ka = 1;
    e.set_cookie = "SRV=s1; path=/";
    e.nocache = 1;
    n = lb_http_build_response(out, sizeof(out), (const uint8_t *)rsp, &m, &e);
    out[n] = 0;
    assert_string_equal(out,
                        "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nSet-Cookie: SRV=s1; path=/\r\n"
                        "Cache-Control: private\r\nConnection: keep-alive\r\n\r\n");
}

static void test_cookie_find(void **state)
{
    const char *req =
        "GET / HTTP/1.1\r\nHost: h\r\nCookie: xSRV=no\r\nCookie: a=1;SRV=s2 ; b\r\n\r\n";
    const uint8_t *v;
    size_t n;

    parse_req(req);
    v = lb_http_cookie_find((const uint8_t *)req, &m, "SRV", 3, &n);
    assert_non_null(v);
    assert_int_equal(n, 2); /* "s2", without the space before ';' */
    assert_memory_equal(v, "s2", 2);
    assert_null(lb_http_cookie_find((const uint8_t *)req, &m, "zz", 2, &n));
}

static void test_httplog(void **state)
{
    struct lb_httplog_rec r;
    struct lk_addr a;
    char line[512];
    size_t n;

    memset(&a, 0, sizeof(a));
    a.u.in4.sin_family = AF_INET;
    a.u.in4.sin_port = htons(33317);
    inet_pton(AF_INET, "10.0.1.2", &a.u.in4.sin_addr);
    memset(&r, 0, sizeof(r));
    r.sess.client = &a;
    r.date_wall_us = 1234567890123456ull;
    r.sess.frontend = "http-in";
    r.sess.backend = "static";
    r.sess.server = "srv1";
    r.tr = 10;
    r.tw = 0;
    r.tc = 30;
    r.trsp = 69;
    r.ta = 109;
    r.status = 200;
    r.bytes = 2750;
    memcpy(r.term, "--NI", 4);
    r.sess.actconn = r.sess.feconn = r.sess.beconn = r.sess.srvconn = 1;
    r.reqline = "GET /index.html HTTP/1.1";
    r.reqline_len = strlen(r.reqline);
    n = lb_httplog_format(line, sizeof(line), &r);
    assert_int_equal(n, strlen(line));
    /* the date depends on the local time zone: compare around it */
    assert_memory_equal(line, "10.0.1.2:33317 [", 16);
    assert_non_null(strstr(line, ".123] http-in static/srv1 10/0/30/69/109 200 2750 - - --NI "
                                 "1/1/1/1/0 0/0 \"GET /index.html HTTP/1.1\""));
    r.sess.server = NULL;
    r.tc = -1;
    r.sess.redispatched = 1;
    r.sess.retries = 2;
    lb_httplog_format(line, sizeof(line), &r);
    assert_non_null(strstr(line, "static/<NOSRV> 10/0/-1/69/109"));
    assert_non_null(strstr(line, "1/1/1/1/+2 0/0"));
    /* issue 10 item 9: an invalid request line cannot end the quoted field
     * or add a line */
    r.reqline = "G\"ET /#\x01\n\x7f\xe9 x";
    r.reqline_len = strlen(r.reqline);
    lb_httplog_format(line, sizeof(line), &r);
    assert_non_null(strstr(line, " \"G#22ET /#23#01#0A#7F#E9 x\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_rewrite),
        cmocka_unit_test(test_request_http10_no_close),
        cmocka_unit_test(test_request_upgrade_and_cookie_only),
        cmocka_unit_test(test_response_rewrite),
        cmocka_unit_test(test_cookie_find),
        cmocka_unit_test(test_httplog),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
