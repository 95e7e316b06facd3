/* test_conf.c - checkd's own config: targets and sockets parsed, bad lines
 * refused with FILE:LINE and a hint. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checkd/cfg.h"

static void test_good(void **state)
{
    static const char text[] =
        "# standalone targets\n"
        "socket /tmp/x/checkd.sock mode 600 level admin\n"
        "socket /tmp/x/checkd-ro.sock mode 666 level user\n"
        "feed-buffer 64k\n"
        "spread-checks 10\n"
        "target web/w1 127.0.0.1:8080 kind http inter 500 fall 3 rise 2 method GET uri /health "
        "version HTTP/1.1 header \"Host: shop\" expect status 200-399\n"
        "target db/db1 10.0.0.1:3306 kind galera user monitor password 's3cr;et' allow-donor "
        "timeout 1s fastinter 200ms downinter 5s init-state down\n";
    struct chk_cfg *cfg = NULL;
    char *err = NULL;

    assert_int_equal(chk_cfg_load_mem("t.cfg", text, "/run/x", &cfg, &err), 0);
    assert_int_equal(cfg->nsockets, 2);
    assert_string_equal(cfg->sockets[1].path, "/tmp/x/checkd-ro.sock");
    assert_int_equal(cfg->sockets[0].mode, 0600);
    assert_int_equal(cfg->sockets[1].level, LK_CMD_LEVEL_USER);
    assert_int_equal(cfg->feed_buffer, 65536);
    assert_int_equal(cfg->spread_pct, 10);
    assert_int_equal(cfg->ntargets, 2);
    assert_int_equal(cfg->targets[0].kind, FEED_KIND_HTTP);
    assert_int_equal(cfg->targets[0].inter_ms, 500);
    assert_string_equal(cfg->targets[0].hdrs[0], "Host: shop");
    assert_int_equal(cfg->targets[0].expect, FEED_EXPECT_STATUS);
    assert_string_equal(cfg->targets[0].expect_arg, "200-399");
    assert_string_equal(cfg->targets[1].password, "s3cr;et");
    assert_int_equal(cfg->targets[1].allow_donor, 1);
    assert_int_equal(cfg->targets[1].timeout_ms, 1000);
    assert_int_equal(cfg->targets[1].downinter_ms, 5000);
    assert_string_equal(cfg->targets[1].init, "down");
    assert_string_equal(cfg->targets[1].owner, "config");
    chk_cfg_free(cfg);
}

static void test_default_socket(void **state)
{
    struct chk_cfg *cfg = NULL;
    char *err = NULL;

    assert_int_equal(chk_cfg_load(NULL, "/run/lbkit", &cfg, &err), 0);
    assert_int_equal(cfg->nsockets, 1);
    assert_string_equal(cfg->sockets[0].path, "/run/lbkit/checkd.sock");
    assert_int_equal(cfg->sockets[0].level, LK_CMD_LEVEL_ADMIN);
    assert_int_equal(cfg->ntargets, 0);
    chk_cfg_free(cfg);
}

static void test_bad(void **state)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"targett a 1.2.3.4:5\n", "b.cfg:1: unknown keyword 'targett'; did you mean 'target'?"},
        {"\n\ntarget a 1.2.3.4:5 fal 3\n", "b.cfg:3: unknown keyword 'fal'"},
        {"target a 1.2.3.4:5 inter\n", "b.cfg:1: 'inter' expects 1 value"},
        {"target a 1.2.3.4:5 inter 0\n", "b.cfg:1: 'inter' expects a time"},
        {"target a 1.2.3.4:5 kind icmp\n", "b.cfg:1: 'kind' expects"},
        {"target a 1.2.3.4:5 kind galera\n", "b.cfg:1: target 'a': galera check: a user"},
        {"target a 1.2.3.4:5 kind http expect rstatus ([\n", "invalid regular expression"},
        {"target a 1.2.3.4:5\ntarget a 1.2.3.4:6\n", "b.cfg:2: target 'a' defined twice"},
        {"socket /x level root\n", "b.cfg:1: 'level' expects"},
        {"spread-checks 90\n", "b.cfg:1: 'spread-checks' expects 0..50"},
        {"target a\n", "b.cfg:1: wrong number of arguments"},
        {"target a db1.example:3306\n", "b.cfg:1: target 'a': address must be IP:PORT"},
    };
    struct chk_cfg *cfg;
    char *err;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cfg = NULL;
        err = NULL;
        assert_true(chk_cfg_load_mem("b.cfg", cases[i].text, "/run/x", &cfg, &err) < 0);
        assert_null(cfg);
        assert_non_null(err);
        if (!strstr(err, cases[i].want))
            fail_msg("case %zu: got '%s', want '%s'", i, err, cases[i].want);
        free(err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_default_socket),
        cmocka_unit_test(test_bad),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
