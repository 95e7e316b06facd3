/* test_peers_cfg.c - peers sections: both forms of HAProxy's syntax, the
 * local peer found by -L, localpeer or the host name, a section without
 * it removed (its tables then unshared), "disabled", the tables that name
 * a section, and every refusal naming FILE:LINE with its hint. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lbd/cfg/cfg.h"
#include "lbd/cfg/cfg_load.h"
#include "lbd/cfg/peers_cfg.h"
#include "lbd/core/stktable.h"

#define TABLES                                                                                     \
    "backend t1\n  stick-table type ip size 10 peers mesh\n"                                       \
    "backend t2\n  stick-table type string len 16 size 10 store server_id peers mesh\n"            \
    "backend t3\n  stick-table type binary len 8 size 10\n"

static void expect_err(const char *text, const char *want)
{
    char *err = load_err(text);

    if (!strstr(err, want))
        fail_msg("want '%s' in '%s'", want, err);
    free(err);
}

static void test_classic(void **state)
{
    struct lb_cfg *cfg = load_ok("global\n  localpeer lb2\npeers mesh\n  peer lb1 10.0.0.1:1000\n"
                                 "  peer lb2 127.0.0.1:1001\n" TABLES);
    struct lb_peers_sec *ps = lb_peers_find(cfg, "mesh");
    char *err = NULL;

    (void)state;
    assert_non_null(ps);
    assert_int_equal(ps->npeers, 2);
    assert_int_equal(ps->ntables, 2);
    assert_int_equal(lb_peers_cfg_localize(cfg, NULL, &err), 0);
    assert_ptr_equal(ps->local, &ps->peers[1]);
    assert_string_equal(lb_peers_local_name(cfg), "lb2");
    assert_ptr_equal(lb_cfg_find_table(cfg, "t1")->peers, ps);
    assert_null(lb_cfg_find_table(cfg, "t3")->peers);
    /* HAProxy's key sizes: "len 16" counts the NUL, binary keeps its len */
    assert_int_equal(lb_cfg_find_table(cfg, "t2")->wire_keylen, 17);
    assert_int_equal(lb_cfg_find_table(cfg, "t3")->wire_keylen, 8);
    assert_int_equal(lb_cfg_find_table(cfg, "t1")->wire_keylen, 4);
    /* -L wins over localpeer */
    assert_int_equal(lb_peers_cfg_localize(cfg, "lb1", &err), 0);
    assert_ptr_equal(ps->local, &ps->peers[0]);
    lb_cfg_free(cfg);
}

static void test_removed_disabled(void **state)
{
    struct lb_cfg *cfg = load_ok("peers mesh\n  peer a 127.0.0.1:1\n  peer b 127.0.0.1:2\n" TABLES);
    char *err = NULL;

    (void)state;
    /* nobody here is "c": the section is dropped, its tables kept locally */
    assert_int_equal(lb_peers_cfg_localize(cfg, "c", &err), 0);
    assert_null(lb_peers_find(cfg, "mesh")->local);
    assert_null(lb_cfg_find_table(cfg, "t1")->peers);
    assert_null(lb_peers_local_name(cfg));
    lb_cfg_free(cfg);
    cfg = load_ok("peers mesh\n  disabled\n  peer a 127.0.0.1:1\n" TABLES);
    assert_int_equal(lb_peers_cfg_localize(cfg, "a", &err), 0);
    assert_null(lb_cfg_find_table(cfg, "t1")->peers);
    assert_null(lb_peers_local_name(cfg));
    lb_cfg_free(cfg);
}

static void test_bind_server(void **state)
{
    struct lb_cfg *cfg = load_ok("peers mesh\n  bind 127.0.0.1:1000\n  server me\n"
                                 "  server other 127.0.0.2:1000\n" TABLES);
    struct lb_peers_sec *ps = lb_peers_find(cfg, "mesh");
    char *err = NULL;

    (void)state;
    assert_int_equal(ps->has_bind, 1);
    assert_int_equal(lb_peers_cfg_localize(cfg, "me", &err), 0);
    assert_ptr_equal(ps->local, &ps->peers[0]);
    assert_int_equal(ps->local->has_addr, 0);
    lb_cfg_free(cfg);
    /* a local server without bind has nowhere to listen */
    cfg = load_ok("peers mesh\n  server me\n  server other 127.0.0.2:1000\n");
    assert_int_equal(lb_peers_cfg_localize(cfg, "me", &err), -EINVAL);
    assert_non_null(strstr(err, "t.cfg:2: peers 'mesh': local peer 'me' has no address"));
    free(err);
    lb_cfg_free(cfg);
}

static void test_errors(void **state)
{
    (void)state;
    expect_err(
        "peers p\n  shards 3\n",
        "t.cfg:2: 'shards' is not supported by lbd in peers sections (lbd sends every entry");
    expect_err("peers p\n  table t type ip size 1 peers p\n",
               "t.cfg:2: table 't': 'peers' is implied in a peers section");
    expect_err("peers p\n  table t type ip size 1\n  table t type ip size 2\n",
               "t.cfg:3: table 't' is already defined in peers 'p'");
    expect_err("peers p\n  table t type nope size 1\n",
               "t.cfg:2: table 't': stick-table: type 'nope'");
    expect_err("peers p\n  peer a 127.0.0.1:1 ssl\n", "t.cfg:2: peer 'a': option 'ssl'");
    expect_err("peers p\n  peer a nope\n", "t.cfg:2: peer 'a': expected ADDR:PORT, got 'nope'");
    expect_err("peers p\n  peer a\n", "t.cfg:2: peer 'a': needs an address");
    expect_err("peers p\n  peer a 127.0.0.1:1\n  peer a 127.0.0.1:2\n",
               "t.cfg:3: peers 'p': peer 'a' is already defined");
    expect_err("peers p\npeers p\n", "t.cfg:2: peers 'p' is already defined at t.cfg:1");
    expect_err("peers p\n  bind 127.0.0.1:1\n  bind 127.0.0.1:2\n", "only one 'bind' line");
    expect_err("backend b\n  stick-table type ip size 1 peers nosuch\n",
               "t.cfg:2: stick-table 'b': no peers section named 'nosuch'");
    expect_err("peers p\n  default-server ssl\n", "'default-server' is not supported by lbd");
}

/* "table" lines (2.x): HAProxy's names, SECTION/NAME in the file and
 * "/NAME" on the wire, and the table is shared with the section */
static void test_table_lines(void **state)
{
    struct lb_cfg *cfg = load_ok("peers mesh\n  peer a 127.0.0.1:1\n  peer b 127.0.0.1:2\n"
                                 "  table t1 type ip size 10 expire 1m store gpc0\n"
                                 "frontend f\n  mode http\n  bind 127.0.0.1:3\n"
                                 "  http-request track-sc0 src table mesh/t1\n"
                                 "  http-request return status 200\n");
    struct lb_stktable *t = lb_cfg_find_table(cfg, "mesh/t1");
    char *err = NULL;

    (void)state;
    assert_non_null(t);
    assert_string_equal(t->wire_name, "/t1");
    assert_int_equal(t->line, 4);
    assert_int_equal(lb_peers_find(cfg, "mesh")->ntables, 1);
    assert_int_equal(lb_peers_cfg_localize(cfg, "a", &err), 0);
    assert_ptr_equal(t->peers, lb_peers_find(cfg, "mesh"));
    lb_cfg_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classic),     cmocka_unit_test(test_removed_disabled),
        cmocka_unit_test(test_bind_server), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_table_lines),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
