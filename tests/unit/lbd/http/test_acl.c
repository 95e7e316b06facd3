/* test_acl.c - ACL criteria, flags, conditions (and/or/!/inline), and the
 * http_cfg compilation of use_backend/http-request/cookie lines through a
 * real config. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lbd/cfg/cfg.h"
#include "lbd/cfg/http_cfg.h"
#include "lbd/http/acl.h"

static int split(char *s, char **argv)
{
    int n = 0;
    char *save = NULL, *t;

    for (t = strtok_r(s, " ", &save); t && n < 32; t = strtok_r(NULL, " ", &save))
        argv[n++] = t;
    return n;
}

static void add(struct lb_acl_set *set, const char *line)
{
    char buf[512], *argv[32], *err = NULL;
    int argc;

    snprintf(buf, sizeof(buf), "%s", line);
    argc = split(buf, argv);
    if (lb_acl_add(set, argc, argv, &err) < 0)
        fail_msg("acl '%s': %s", line, err);
}

/* Evaluate `cond` ("if ..." / "unless ...") for request `req` from `ip`. */
static int eval(struct lb_acl_set *set, const char *cond, const char *req, const char *ip)
{
    static struct http1_msg m;
    char buf[512], *argv[32], *err = NULL;
    struct lb_cond *c = NULL;
    struct lk_addr a;
    static struct lb_smp_ctx in;
    int argc, r;

    snprintf(buf, sizeof(buf), "%s", cond);
    argc = split(buf, argv);
    if (lb_cond_parse(set, LB_SMP_USE_REQ, argc, argv, &c, &err) < 0)
        fail_msg("cond '%s': %s", cond, err);
    http1_msg_init(&m, 16384, 0);
    assert_true(http1_parse_request((const uint8_t *)req, strlen(req), &m) > 0);
    memset(&a, 0, sizeof(a));
    if (strchr(ip, ':')) {
        a.u.in6.sin6_family = AF_INET6;
        inet_pton(AF_INET6, ip, &a.u.in6.sin6_addr);
    } else {
        a.u.in4.sin_family = AF_INET;
        inet_pton(AF_INET, ip, &a.u.in4.sin_addr);
    }
    memset(&in, 0, sizeof(in));
    in.rqbuf = (const uint8_t *)req;
    in.rq = &m;
    in.src = &a;
    r = lb_cond_eval(c, &in);
    lb_cond_free(c);
    return r;
}

#define GET_API "GET /api/v1/items?x=1 HTTP/1.1\r\nHost: Shop.Example.com:8080\r\n\r\n"
#define POST_IMG                                                                                   \
    "POST /static/img/logo.PNG HTTP/1.1\r\nHost: cdn.example.com\r\nContent-Length: 0\r\n\r\n"
#define ABS_FORM "GET http://h.example/abs/path?q HTTP/1.1\r\nHost: h.example\r\n\r\n"
/* url_param and req.cook: NAME=value elements, '&' and ';' separated */
#define PARAMS                                                                                     \
    "GET /p?a=1&debug=yes&x&ab=2 HTTP/1.1\r\nHost: h\r\nCookie: a=1;  session=abc\r\n"             \
    "Cookie: sid=9\r\n\r\n"

/* '+' before and after the '?', and a '?' that was encoded (not a query start) */
#define PLUS "GET /a+b?c+d%2B%3F HTTP/1.1\r\nHost: h\r\n\r\n"

#define BADPCT  "GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n"
#define BADPCT2 "GET /a%4 HTTP/1.1\r\nHost: h\r\n\r\n"

struct cond_case {
    const char *cond, *req, *ip;
    int want;
};

static const struct cond_case cases[] = {
    {"if is_api", GET_API, "10.0.0.1", 1},
    {"if is_api", POST_IMG, "10.0.0.1", 0},
    {"unless is_api", POST_IMG, "10.0.0.1", 1},
    {"if { path_beg /api/ }", GET_API, "10.0.0.1", 1},
    {"if { path /api/v1/items }", GET_API, "10.0.0.1", 1}, /* query cut */
    {"if { path /api/v1/items?x=1 }", GET_API, "10.0.0.1", 0},
    {"if { always_true() }", POST_IMG, "10.0.0.1", 1}, /* "()": no argument */
    {"if { path(),lower() -m beg /api/ }", GET_API, "10.0.0.1", 1},
    {"if { url /api/v1/items?x=1 }", GET_API, "10.0.0.1", 1},
    {"if { path_end .png }", POST_IMG, "10.0.0.1", 0}, /* case matters */
    {"if { path_end -i .png }", POST_IMG, "10.0.0.1", 1},
    {"if { path_sub img }", POST_IMG, "10.0.0.1", 1},
    {"if { path_dir static }", POST_IMG, "10.0.0.1", 1},
    {"if { path_dir stat }", POST_IMG, "10.0.0.1", 0},
    {"if { path_beg /abs }", ABS_FORM, "10.0.0.1", 1},
    {"if { hdr(host) -i shop.example.com:8080 }", GET_API, "10.0.0.1", 1},
    {"if { hdr(host) shop.example.com:8080 }", GET_API, "10.0.0.1", 0},
    {"if { hdr_beg(host) -i shop. }", GET_API, "10.0.0.1", 1},
    {"if { hdr_end(Host) example.com }", POST_IMG, "10.0.0.1", 1},
    {"if { hdr_dom(host) -i example }", POST_IMG, "10.0.0.1", 1},
    {"if { hdr(x-missing) a }", GET_API, "10.0.0.1", 0},
    {"if { hdr(host) -m beg cdn }", POST_IMG, "10.0.0.1", 1},
    {"if { method POST }", POST_IMG, "10.0.0.1", 1},
    {"if { method post }", POST_IMG, "10.0.0.1", 0},
    {"if METH_GET", GET_API, "10.0.0.1", 1},
    {"if METH_POST", GET_API, "10.0.0.1", 0},
    {"if { src 10.0.0.0/8 }", GET_API, "10.9.8.7", 1},
    {"if { src 10.0.0.0/8 }", GET_API, "11.0.0.1", 0},
    {"if { src 192.168.1.0/25 }", GET_API, "192.168.1.127", 1},
    {"if { src 192.168.1.0/25 }", GET_API, "192.168.1.128", 0},
    {"if { src 127.0.0.1 ::1 }", GET_API, "::1", 1},
    {"if { src 2001:db8::/32 }", GET_API, "2001:db8:1::5", 1},
    {"if is_api is_local", GET_API, "10.1.1.1", 1},
    {"if is_api is_local", GET_API, "8.8.8.8", 0},
    {"if is_api !is_local", GET_API, "8.8.8.8", 1},
    {"if ! is_api", GET_API, "8.8.8.8", 0},
    {"if is_static or is_local", GET_API, "10.1.1.1", 1},
    {"if is_static || is_local", GET_API, "8.8.8.8", 0},
    {"if is_static or is_api", GET_API, "8.8.8.8", 1},
    {"if is_multi", GET_API, "8.8.8.8", 1}, /* second line of the same name */
    {"if is_multi", POST_IMG, "8.8.8.8", 0},
    {"if TRUE", GET_API, "8.8.8.8", 1},
    {"unless TRUE", GET_API, "8.8.8.8", 0},
    {"if HTTP_1.1", GET_API, "8.8.8.8", 1},
    {"if { url_param(debug) yes }", PARAMS, "8.8.8.8", 1},
    {"if { url_param(a) 1 }", PARAMS, "8.8.8.8", 1},
    {"if { url_param(ab) 2 }", PARAMS, "8.8.8.8", 1},       /* the last element */
    {"if { url_param(x) -m found }", PARAMS, "8.8.8.8", 0}, /* no '=' */
    {"if { url_param(debu) -m found }", PARAMS, "8.8.8.8", 0},
    {"if { url_param(a) -m found }", GET_API, "8.8.8.8", 0},
    {"if { req.cook(session) abc }", PARAMS, "8.8.8.8", 1}, /* blanks skipped */
    {"if { req.cook(sid) 9 }", PARAMS, "8.8.8.8", 1},       /* second Cookie line */
    {"if { req.cook(ession) -m found }", PARAMS, "8.8.8.8", 0},
    {"if { req.cook(a) 1 }", PARAMS, "8.8.8.8", 1},
    /* url_dec: '+' is a space only after a literal '?' or with in_form set */
    {"if { url,url_dec /a+b }", PLUS, "8.8.8.8", 0},
    {"if { url,url_dec,hex 2F612B623F6320642B3F }", PLUS, "8.8.8.8", 1},
    {"if { url,url_dec(0),hex 2F612B623F6320642B3F }", PLUS, "8.8.8.8", 1},
    {"if { url,url_dec(1),hex 2F6120623F6320642B3F }", PLUS, "8.8.8.8", 1},
    {"if { path,url_dec /a+b }", PLUS, "8.8.8.8", 1},
    {"if { path,url_dec(1),hex 2F612062 }", PLUS, "8.8.8.8", 1},
    /* a '%' without two hex digits: no value */
    {"if { path,url_dec -m found }", PLUS, "8.8.8.8", 1},
    {"if { path,url_dec -m found }", BADPCT, "8.8.8.8", 0},
    {"if { path,url_dec -m found }", BADPCT2, "8.8.8.8", 0},
    /* length of an integer: the length of its decimal form */
    {"if { int(123),length 3 }", GET_API, "8.8.8.8", 1},
    {"if { int(-4500),length 5 }", GET_API, "8.8.8.8", 1},
    {"if { int(0),length 1 }", GET_API, "8.8.8.8", 1},
};

static void test_conditions(void **state)
{
    struct lb_acl_set *set = lb_acl_set_new();
    size_t i;

    assert_non_null(set);
    add(set, "acl is_api path_beg /api/");
    add(set, "acl is_local src 10.0.0.0/8 127.0.0.1");
    add(set, "acl is_static path_beg -i /static/ /images/");
    add(set, "acl is_multi path_end .nothing");
    add(set, "acl is_multi path_beg /api");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (eval(set, cases[i].cond, cases[i].req, cases[i].ip) != cases[i].want)
            fail_msg("case %zu '%s' from %s: want %d", i, cases[i].cond, cases[i].ip,
                     cases[i].want);
    lb_acl_set_free(set);
}

static void test_bad_syntax(void **state)
{
    static const char *const bad_acls[] = {
        "acl x path_reg (", "acl x req.fhdr() a", "acl x hdr( a",          "acl x src 300.1.1.1",
        "acl x path_beg",   "acl x path -z a",    "acl x src 10.0.0.0/33", "acl x method(a) GET",
    };
    static const char *const bad_conds[] = {
        "if nosuch",
        "if { path_beg /a",
        "if",
        "if a or",
        "if or a",
        "when a",
        "if !",
        "if { path,url_dec(x) a }",
        "if { path,url_dec(1,2) a }",
    };
    struct lb_acl_set *set = lb_acl_set_new();
    char buf[256], *argv[32], *err = NULL;
    struct lb_cond *c = NULL;
    size_t i;
    int argc;

    add(set, "acl a path /");
    for (i = 0; i < sizeof(bad_acls) / sizeof(bad_acls[0]); i++) {
        snprintf(buf, sizeof(buf), "%s", bad_acls[i]);
        argc = split(buf, argv);
        if (lb_acl_add(set, argc, argv, &err) == 0)
            fail_msg("accepted '%s'", bad_acls[i]);
        assert_non_null(err);
    }
    for (i = 0; i < sizeof(bad_conds) / sizeof(bad_conds[0]); i++) {
        snprintf(buf, sizeof(buf), "%s", bad_conds[i]);
        argc = split(buf, argv);
        if (lb_cond_parse(set, LB_SMP_USE_REQ, argc, argv, &c, &err) == 0)
            fail_msg("accepted condition '%s'", bad_conds[i]);
    }
    free(err);
    lb_acl_set_free(set);
}

static const char cfg_text[] = "defaults\n mode http\n timeout connect 1s\n"
                               "frontend fe\n bind 127.0.0.1:8080\n"
                               " acl api path_beg /api\n"
                               " use_backend be_api if api\n"
                               " use_backend be_img if { path_end .png }\n"
                               " http-request deny if { path_beg /admin }\n"
                               " http-request deny deny_status 429 if { hdr(x-bot) yes }\n"
                               " default_backend be_web\n"
                               "backend be_api\n server a 127.0.0.1:1\n"
                               "backend be_img\n server i 127.0.0.1:2\n"
                               "backend be_web\n cookie SRV insert indirect nocache\n"
                               " retry-on conn-failure\n http-reuse never\n"
                               " server w1 127.0.0.1:3 cookie s1\n"
                               " server w2 127.0.0.1:4 cookie s2\n";

static char *no_buf(void *owner, int idx)
{
    return NULL;
}

/* The status the proxy's http-request rules answer `req` with (0: none). */
static int deny_status(const struct lb_http_px *h, const char *req)
{
    static struct http1_msg m;
    static struct lb_smp_ctx c;
    struct lb_rule_io io;

    http1_msg_init(&m, 16384, 0);
    assert_true(http1_parse_request((const uint8_t *)req, strlen(req), &m) > 0);
    memset(&c, 0, sizeof(c));
    c.rqbuf = (const uint8_t *)req;
    c.rq = &m;
    memset(&io, 0, sizeof(io));
    io.smp = &c;
    io.msg = &m;
    io.get_buf = no_buf;
    io.cur = -1;
    return lb_rule_run(h->reqrules, &io) == LB_RULE_REPLY ? io.status : 0;
}

static void test_compile(void **state)
{
    struct lb_cfg *cfg = NULL;
    struct lb_proxy *fe, *web;
    struct lb_http_px *h;
    char *err = NULL;

    if (lb_cfg_load_mem("test.cfg", cfg_text, &cfg, &err) < 0)
        fail_msg("%s", err);
    fe = lb_cfg_find_proxy(cfg, "fe", LB_CAP_FE);
    web = lb_cfg_find_proxy(cfg, "be_web", LB_CAP_BE);
    h = fe->http;
    assert_non_null(h);
    assert_non_null(h->switching);
    assert_string_equal(h->switching->be->name, "be_api");
    assert_string_equal(h->switching->next->be->name, "be_img");
    assert_null(h->switching->next->next);
    assert_int_equal(deny_status(h, "GET /admin/x HTTP/1.1\r\nHost: a\r\n\r\n"), 403);
    assert_int_equal(deny_status(h, "GET / HTTP/1.1\r\nHost: a\r\nX-Bot: yes\r\n\r\n"), 429);
    assert_int_equal(deny_status(h, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
    assert_string_equal(web->http->cookie, "SRV");
    assert_int_equal(web->http->cookie_flags,
                     LB_COOKIE_INSERT | LB_COOKIE_INDIRECT | LB_COOKIE_NOCACHE);
    assert_int_equal(web->http->retry_on, LB_RETRY_CONN_FAILURE);
    assert_int_equal(web->http->reuse, LB_REUSE_NEVER);
    assert_string_equal(web->servers[1]->cookie, "s2");
    /* default: conn-failure + empty-response, reuse safe */
    assert_int_equal(lb_cfg_find_proxy(cfg, "be_api", LB_CAP_BE)->http->retry_on,
                     LB_RETRY_CONN_FAILURE | LB_RETRY_EMPTY_RESPONSE);
    assert_non_null(lb_http_errmsg(fe, NULL, 503));
    assert_non_null(strstr(lb_http_errmsg(fe, NULL, 503)->data, "503"));
    lb_cfg_free(cfg);
}

static void test_compile_errors(void **state)
{
    static const char *const bad[] = {
        "frontend fe\n mode http\n bind 127.0.0.1:8080\n use_backend nosuch if TRUE\n",
        ("frontend fe\n mode http\n bind 127.0.0.1:8080\n use_backend b if nosuch\n"
         "backend b\n mode http\n"),
        "backend b\n mode http\n cookie S rewrite\n",
        "backend b\n mode http\n http-reuse sometimes\n",
        "frontend fe\n mode http\n bind 127.0.0.1:8080\n acl x path_reg a(\n",
        "frontend fe\n mode http\n bind 127.0.0.1:8080\n http-request normalize-uri "
        "path-merge-slashes\n",
        "frontend fe\n mode http\n bind 127.0.0.1:8080\n http-response set-header X %[path]\n",
        "frontend fe\n mode http\n bind 127.0.0.1:8080\n http-request del-header content-length\n",
    };
    struct lb_cfg *cfg = NULL;
    char *err = NULL;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (lb_cfg_load_mem("bad.cfg", bad[i], &cfg, &err) == 0)
            fail_msg("accepted config %zu", i);
        assert_non_null(strstr(err, "bad.cfg:"));
        free(err);
        err = NULL;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conditions),
        cmocka_unit_test(test_bad_syntax),
        cmocka_unit_test(test_compile),
        cmocka_unit_test(test_compile_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
