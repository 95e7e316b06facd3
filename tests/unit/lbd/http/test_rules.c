/* test_rules.c - http-request / http-response rules on parsed heads, no
 * daemon: each edit rebuilds the head and parses it again (the framing may
 * not change), replies are built whole, and conditions see the result of
 * earlier edits, as in HAProxy. */
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
#include "lbd/http/http_rules.h"

static char bufs[3][16384];

static char *get_buf(void *owner, int idx)
{
    return bufs[idx];
}

struct run {
    struct http1_msg m;
    struct lb_smp_ctx c;
    struct lb_rule_io io;
    enum lb_rule_verdict v;
    char realm[64]; /* io.realm points into the config, freed after the run */
};

/* Parse `head`, run the request rules of frontend "f" of `cfg_text`. */
static void run_req(const char *cfg_text, const char *head, struct run *r)
{
    static char copy[4096];
    struct lb_cfg *cfg = NULL;
    char *err = NULL;

    if (lb_cfg_load_mem("t.cfg", cfg_text, &cfg, &err) < 0)
        fail_msg("%s", err);
    snprintf(copy, sizeof(copy), "%s", head);
    memset(r, 0, sizeof(*r));
    http1_msg_init(&r->m, 16384, 0);
    assert_true(http1_parse_request((const uint8_t *)copy, strlen(copy), &r->m) > 0);
    r->c.rqbuf = (const uint8_t *)copy;
    r->c.rq = &r->m;
    r->io.smp = &r->c;
    r->io.msg = &r->m;
    r->io.get_buf = get_buf;
    r->io.cap = sizeof(bufs[0]);
    r->io.cur = -1;
    r->io.max_head = 16384;
    r->io.px_name = "f";
    r->v = lb_rule_run(lb_cfg_find_proxy(cfg, "f", LB_CAP_FE)->http->reqrules, &r->io);
    snprintf(r->realm, sizeof(r->realm), "%s", r->io.realm ? r->io.realm : "");
    r->io.realm = NULL;
    lb_cfg_free(cfg);
}

/* The current head as text (valid until the next run). */
static const char *head_of(const struct run *r)
{
    static char out[16384];

    snprintf(out, sizeof(out), "%.*s", (int)r->m.head_len, (const char *)r->c.rqbuf);
    return out;
}

#define FE(rules)                                                                                  \
    "frontend f\n  mode http\n  bind 127.0.0.1:1\n" rules "  default_backend b\n"                  \
    "backend b\n  mode http\n"

static void test_header_edits(void **state)
{
    struct run r;

    run_req(FE("  http-request set-header X-A one\n  http-request add-header X-A two\n"
               "  http-request del-header X-Drop\n  http-request replace-value X-L ^b$ B\n"),
            "GET / HTTP/1.1\r\nHost: h\r\nX-Drop: 1\r\nX-L: a, b\r\nX-A: old\r\n\r\n", &r);
    assert_int_equal(r.v, LB_RULE_CONTINUE);
    assert_int_equal(r.io.nrewrites, 4);
    assert_string_equal(head_of(&r), "GET / HTTP/1.1\r\nHost: h\r\nX-L: a,B\r\nX-A: one\r\n"
                                     "X-A: two\r\n\r\n");
}

static void test_later_rules_see_edits(void **state)
{
    struct run r;

    /* the deny looks at a header an earlier rule set */
    run_req(FE("  http-request set-header X-Flag on if { path /a }\n"
               "  http-request deny deny_status 429 if { req.hdr(x-flag) on }\n"),
            "GET /a HTTP/1.1\r\nHost: h\r\n\r\n", &r);
    assert_int_equal(r.v, LB_RULE_REPLY);
    assert_int_equal(r.io.status, 429);
    run_req(FE("  http-request set-header X-Flag on if { path /a }\n"
               "  http-request deny deny_status 429 if { req.hdr(x-flag) on }\n"),
            "GET /b HTTP/1.1\r\nHost: h\r\n\r\n", &r);
    assert_int_equal(r.v, LB_RULE_CONTINUE);
}

static void test_uri_edits(void **state)
{
    struct run r;

    run_req(FE("  http-request set-path /new%[path]\n  http-request set-query q=1\n"
               "  http-request set-method PUT\n"),
            "GET /p?x=2 HTTP/1.1\r\nHost: h\r\n\r\n", &r);
    assert_string_equal(head_of(&r), "PUT /new/p?q=1 HTTP/1.1\r\nHost: h\r\n\r\n");
    /* absolute-form keeps its scheme and authority */
    run_req(FE("  http-request set-path /z\n"),
            "GET http://h.example/a?b HTTP/1.1\r\nHost: h.example\r\n\r\n", &r);
    assert_string_equal(head_of(&r),
                        "GET http://h.example/z?b HTTP/1.1\r\nHost: h.example\r\n\r\n");
    /* replace-path: the path only, the query and the authority kept */
    run_req(FE("  http-request replace-path /_db(/)?(.*) /\\2\n"),
            "GET http://h.example/_db/x/y?b HTTP/1.1\r\nHost: h.example\r\n\r\n", &r);
    assert_string_equal(head_of(&r),
                        "GET http://h.example/x/y?b HTTP/1.1\r\nHost: h.example\r\n\r\n");
    run_req(FE("  http-request replace-pathq ^/a\\?(.*) /q/\\1\n"
               "  http-request replace-uri ^/nomatch /n\n"),
            "GET /a?b=1 HTTP/1.1\r\nHost: h\r\n\r\n", &r);
    assert_string_equal(head_of(&r), "GET /q/b=1 HTTP/1.1\r\nHost: h\r\n\r\n");
}

static void test_framing_kept(void **state)
{
    struct run r;

    /* a body's framing stays: Content-Length edits are refused at load */
    run_req(FE("  http-request set-header X-A 1\n"),
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n", &r);
    assert_int_equal(r.m.body, HTTP1_BODY_CL);
    assert_int_equal(r.m.content_length, 3);
    {
        struct lb_cfg *cfg = NULL;
        char *err = NULL;

        assert_true(lb_cfg_load_mem("t.cfg", FE("  http-request del-header Content-Length\n"), &cfg,
                                    &err) < 0);
        assert_non_null(strstr(err, "changes the message framing"));
        free(err);
    }
}

static void test_replies(void **state)
{
    struct run r;

    run_req(FE("  http-request redirect scheme https code 301\n"),
            "GET /a?b=1 HTTP/1.1\r\nHost: h.example:8080\r\n\r\n", &r);
    assert_int_equal(r.v, LB_RULE_REPLY);
    assert_int_equal(r.io.status, 301);
    assert_non_null(strstr(r.io.reply, "location: https://h.example:8080/a?b=1\r\n"));
    assert_null(strstr(r.io.reply, "cache-control"));
    run_req(
        FE("  http-request return status 201 content-type text/plain lf-string \"p=%[path]\"\n"),
        "GET /x HTTP/1.1\r\nHost: h\r\n\r\n", &r);
    assert_int_equal(r.io.status, 201);
    assert_non_null(strstr(r.io.reply, "content-length: 4\r\n"));
    assert_non_null(strstr(r.io.reply, "\r\n\r\np=/x"));
    run_req(FE("  http-request auth realm Zone\n"), "GET / HTTP/1.1\r\nHost: h\r\n\r\n", &r);
    assert_int_equal(r.io.status, 401);
    assert_string_equal(r.realm, "Zone");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_edits), cmocka_unit_test(test_later_rules_see_edits),
        cmocka_unit_test(test_uri_edits),    cmocka_unit_test(test_framing_kept),
        cmocka_unit_test(test_replies),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
