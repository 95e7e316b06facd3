/* test_hc.c - what lbd registers with checkd for each "check" server: the
 * probe kind and parameters come from the backend's HAProxy keywords (as
 * the lab guide's experiments 1 and 3 write them), and the registration
 * survives checkd's decoder. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lbd/cfg/cfg.h"
#include "lbd/core/server.h"
#include "lbd/ctl/hc.h"

static const char cfg_text[] =
    "defaults\n"
    "    mode tcp\n"
    "    timeout connect 2s\n"
    "    timeout client 10s\n"
    "    timeout server 10s\n"
    "frontend f\n"
    "    bind 127.0.0.1:18080\n"
    "    default_backend web\n"
    "backend web\n"
    "    balance roundrobin\n"
    "    option httpchk GET /health HTTP/1.1\n"
    "    http-check send hdr Host shop.example\n"
    "    http-check expect status 200-399\n"
    "    server web1 10.0.0.1:80 check inter 500 fall 3\n"
    "    server web2 10.0.0.2:80 check inter 500 fall 3 rise 1 init-state down\n"
    "    server web3 10.0.0.3:80\n"
    "backend oldchk\n"
    "    option httpchk /ping\n"
    "    http-check expect ! rstatus ^5\n"
    "    server o1 10.0.0.9:80 check\n"
    "backend mysql_check\n"
    "    timeout check 1s\n"
    "    option mysql-check user haproxy_check\n"
    "    server db1 10.0.0.41:3306 check fastinter 100 downinter 5s\n"
    "backend mysql_galera\n"
    "    option tcpka\n"
    "    galera-check user monitor password s3cret\n"
    "    server db1 10.0.0.41:3306 check\n"
    "backend plain\n"
    "    server p1 10.0.0.5:3306 check\n"
    "backend clustercheck\n"
    "    option httpchk\n"
    "    default-server port 9200\n"
    "    server c1 10.0.0.6:3306 check\n"
    "    server c2 [::1]:3306 check\n"
    "    server c3 10.0.0.7:3306 check port 9201\n"
    "    server c4 10.0.0.8:3306 check addr 10.1.0.8\n"
    "    server c5 10.0.0.9:3306 check addr ::2 port 9202\n";

static struct lb_server *srv(const struct lb_cfg *cfg,
                             const char *be,
                             const char *name,
                             const struct lb_proxy **px)
{
    *px = lb_cfg_find_proxy(cfg, be, LB_CAP_BE);
    assert_non_null(*px);
    return lb_server_find(*px, name);
}

static void build(const struct lb_cfg *cfg, const char *be, const char *name, struct feed_target *t)
{
    const struct lb_proxy *px;
    struct lb_server *s = srv(cfg, be, name, &px);
    const char *why = NULL;
    struct feed_target u;
    char *json;

    assert_non_null(s);
    assert_int_equal(lb_hc_target(px, s, t, &why), 0);
    /* what goes on the wire decodes to the same thing */
    json = feed_encode_target(t);
    assert_non_null(json);
    assert_true(feed_decode_target((const uint8_t *)json, strlen(json), &u) > 0);
    assert_memory_equal(t, &u, sizeof(u));
    free(json);
}

static void test_targets(void **state)
{
    struct lb_cfg *cfg = NULL;
    struct feed_target t;
    char *err = NULL;

    assert_int_equal(lb_cfg_load_mem("t.cfg", cfg_text, &cfg, &err), 0);

    build(cfg, "web", "web1", &t);
    assert_string_equal(t.id, "web/web1");
    assert_string_equal(t.addr, "10.0.0.1:80");
    assert_string_equal(t.owner, "lbd");
    assert_int_equal(t.kind, FEED_KIND_HTTP);
    assert_string_equal(t.method, "GET");
    assert_string_equal(t.uri, "/health");
    assert_string_equal(t.version, "HTTP/1.1");
    assert_int_equal(t.nhdrs, 1);
    assert_string_equal(t.hdrs[0], "Host: shop.example");
    assert_int_equal(t.expect, FEED_EXPECT_STATUS);
    assert_string_equal(t.expect_arg, "200-399");
    assert_int_equal(t.inter_ms, 500);
    assert_int_equal(t.fall, 3);
    assert_int_equal(t.rise, 2);
    assert_int_equal(t.timeout_ms, 500); /* no "timeout check": inter */
    assert_string_equal(t.init, "");

    build(cfg, "web", "web2", &t);
    assert_int_equal(t.rise, 1);
    assert_string_equal(t.init, "down");

    build(cfg, "oldchk", "o1", &t);
    assert_string_equal(t.uri, "/ping"); /* one argument is the URI */
    assert_string_equal(t.method, "");
    assert_int_equal(t.expect, FEED_EXPECT_RSTATUS);
    assert_int_equal(t.expect_not, 1);
    assert_string_equal(t.expect_arg, "^5");
    assert_int_equal(t.inter_ms, 2000); /* HAProxy's default */

    build(cfg, "mysql_check", "db1", &t);
    assert_int_equal(t.kind, FEED_KIND_MYSQL);
    assert_string_equal(t.user, "haproxy_check");
    assert_int_equal(t.fastinter_ms, 100);
    assert_int_equal(t.downinter_ms, 5000);
    assert_int_equal(t.timeout_ms, 2000 + 1000); /* min(connect, inter) + check */

    build(cfg, "mysql_galera", "db1", &t);
    assert_string_equal(t.id, "mysql_galera/db1");
    assert_int_equal(t.kind, FEED_KIND_GALERA);
    assert_string_equal(t.user, "monitor");
    assert_string_equal(t.password, "s3cret");

    build(cfg, "plain", "p1", &t);
    assert_int_equal(t.kind, FEED_KIND_TCP);
    assert_string_equal(t.addr, "10.0.0.5:3306");

    /* issue 10: "port" sends the check to its own port (clustercheck) */
    build(cfg, "clustercheck", "c1", &t);
    assert_string_equal(t.addr, "10.0.0.6:9200");
    build(cfg, "clustercheck", "c2", &t);
    assert_string_equal(t.addr, "[::1]:9200");
    build(cfg, "clustercheck", "c3", &t);
    assert_string_equal(t.addr, "10.0.0.7:9201");
    build(cfg, "clustercheck", "c4", &t); /* addr: the default-server port stays */
    assert_string_equal(t.addr, "10.1.0.8:9200");
    build(cfg, "clustercheck", "c5", &t);
    assert_string_equal(t.addr, "[::2]:9202");
    lb_cfg_free(cfg);
}

static void test_state_map(void **state)
{
    assert_int_equal(lb_hc_state(FEED_UP), LB_SRV_UP);
    assert_int_equal(lb_hc_state(FEED_DOWN), LB_SRV_DOWN);
    assert_int_equal(lb_hc_state(FEED_MAINT), LB_SRV_MAINT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_targets),
        cmocka_unit_test(test_state_map),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
