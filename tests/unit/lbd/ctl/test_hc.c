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
#include "lbd/ctl/hclog.h"

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
    "    server c5 10.0.0.9:3306 check addr ::2 port 9202\n"
    /* issue 11: HAProxy's tcp-check engine and the checks built on it */
    "backend redis\n"
    "    option httpchk\n"
    "    option tcp-check\n" /* the last check option wins, as in HAProxy */
    "    tcp-check comment master\n"
    "    tcp-check connect port 6380 linger\n"
    "    tcp-check send PING\\r\\n\n"
    "    tcp-check expect string +PONG\n"
    "    tcp-check send info\\ replication\\r\\n\n"
    "    tcp-check expect rstring role:master comment primary\n"
    "    tcp-check send-binary 0d0A\n"
    "    tcp-check expect min-recv 3 error-status L7STS ! binary 2D45\n"
    "    server r1 10.0.0.11:6379 check\n"
    "backend protos\n"
    "    option smtpchk EHLO mail.example\n"
    "    server m1 10.0.0.12:25 check\n"
    "backend pg\n"
    "    option pgsql-check user haproxy_check\n"
    "    server p1 10.0.0.13:5432 check\n"
    "backend tls\n"
    "    option ssl-hello-chk\n"
    "    server t1 10.0.0.14:443 check\n"
    "backend hb\n"
    "    option httpchk\n"
    "    http-check comment probe\n"
    "    http-check send meth PUT uri /x hdr X-A \"a b\" body \"one two\" comment c\n"
    "    http-check expect comment c2 ! rstring ^err\n"
    "    server h1 10.0.0.16:80 check\n"
    "backend ag\n"
    "    server a1 10.0.0.17:80 weight 20 check inter 3s agent-check agent-port 8000 "
    "agent-send \"hi\\n\"\n"
    "    server a2 10.0.0.18:80 agent-check agent-port 8001 agent-inter 1s agent-addr 10.9.0.1\n"
    "backend rc\n"
    "    option redis-check\n"
    "    server r1 10.0.0.15:6379 check\n";

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
    struct feed_target u;
    char *json;

    assert_non_null(s);
    lb_hc_target(px, s, t);
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
    const struct lb_proxy *px;
    struct lb_server *s;
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

    build(cfg, "redis", "r1", &t);
    assert_int_equal(t.kind, FEED_KIND_TCPCHK);
    assert_int_equal(t.nsteps, 8);
    assert_int_equal(t.steps[0].action, FEED_TC_COMMENT);
    assert_string_equal(t.steps[0].comment, "master");
    assert_int_equal(t.steps[1].action, FEED_TC_CONNECT);
    assert_int_equal(t.steps[1].port, 6380);
    assert_int_equal(t.steps[1].linger, 1);
    assert_int_equal(t.steps[2].len, 6); /* \r\n are bytes, as HAProxy reads them */
    assert_memory_equal(t.steps[2].data, "PING\r\n", 6);
    assert_int_equal(t.steps[3].match, FEED_TC_STRING);
    assert_memory_equal(t.steps[3].data, "+PONG", 5);
    assert_memory_equal(t.steps[4].data, "info replication\r\n", 18);
    assert_int_equal(t.steps[5].match, FEED_TC_RSTRING);
    assert_string_equal(t.steps[5].comment, "primary"); /* options after the pattern */
    assert_int_equal(t.steps[6].len, 2);
    assert_memory_equal(t.steps[6].data, "\r\n", 2);
    assert_int_equal(t.steps[7].match, FEED_TC_BINARY);
    assert_int_equal(t.steps[7].neg, 1);
    assert_int_equal(t.steps[7].min_recv, 3);
    assert_int_equal(t.steps[7].err_status, FEED_RES_L7STS);
    assert_memory_equal(t.steps[7].data, "-E", 2);

    build(cfg, "protos", "m1", &t);
    assert_int_equal(t.kind, FEED_KIND_SMTP);
    assert_string_equal(t.ehlo, "EHLO mail.example");
    build(cfg, "pg", "p1", &t);
    assert_int_equal(t.kind, FEED_KIND_PGSQL);
    assert_string_equal(t.user, "haproxy_check");
    build(cfg, "tls", "t1", &t);
    assert_int_equal(t.kind, FEED_KIND_SSL_HELLO);
    build(cfg, "hb", "h1", &t);
    assert_string_equal(t.method, "PUT");
    assert_string_equal(t.hdrs[0], "X-A: a b"); /* a quoted value stays one word */
    assert_string_equal(t.body, "one two");
    assert_int_equal(t.expect, FEED_EXPECT_RSTRING);
    assert_int_equal(t.expect_not, 1);
    assert_string_equal(t.expect_arg, "^err");
    s = srv(cfg, "ag", "a1", &px);
    lb_hc_agent_target(px, s, &t);
    assert_string_equal(t.id, "ag/a1/agent");
    assert_string_equal(t.addr, "10.0.0.17:8000");
    assert_int_equal(t.kind, FEED_KIND_AGENT);
    assert_int_equal(t.inter_ms, 3000); /* agent-inter defaults to inter */
    assert_string_equal(t.agent_send, "hi\n");
    s = srv(cfg, "ag", "a2", &px);
    lb_hc_agent_target(px, s, &t);
    assert_string_equal(t.addr, "10.9.0.1:8001");
    assert_int_equal(t.inter_ms, 1000);
    build(cfg, "rc", "r1", &t);
    assert_int_equal(t.kind, FEED_KIND_REDIS);
    lb_cfg_free(cfg);
}

/* HAProxy's reading of an agent's reply (words seen side by side in
 * tests/integration/checkd_agent) */
static void test_agent_reply(void **state)
{
    struct lb_agent_reply a;

    assert_int_equal(lb_hc_agent_parse("75%", &a), 0);
    assert_int_equal(a.weight_pct, 75);
    assert_int_equal(a.admin, LB_AGENT_NOADMIN);
    assert_int_equal(a.op, LB_AGENT_NONE);
    lb_hc_agent_parse("ready,up 100% maxconn:30", &a);
    assert_int_equal(a.admin, LB_AGENT_READY);
    assert_int_equal(a.op, LB_AGENT_UP);
    assert_int_equal(a.weight_pct, 100);
    assert_int_equal(a.maxconn, 30);
    lb_hc_agent_parse("down #disk full\r\n", &a);
    assert_int_equal(a.op, LB_AGENT_DOWN);
    assert_string_equal(a.desc, "disk full");
    lb_hc_agent_parse("down#disk full", &a); /* not a word: HAProxy ignores it */
    assert_int_equal(a.op, LB_AGENT_NONE);
    lb_hc_agent_parse("drain", &a);
    assert_int_equal(a.admin, LB_AGENT_DRAIN);
    lb_hc_agent_parse("stopped", &a);
    assert_int_equal(a.op, LB_AGENT_DOWN);
    assert_string_equal(a.word, "stopped");
    lb_hc_agent_parse("150% maint", &a);
    assert_int_equal(a.weight_pct, -1);
    assert_int_equal(a.admin, LB_AGENT_MAINT);
}

static void test_state_map(void **state)
{
    assert_int_equal(lb_hc_state(FEED_UP), LB_SRV_UP);
    assert_int_equal(lb_hc_state(FEED_DOWN), LB_SRV_DOWN);
    assert_int_equal(lb_hc_state(FEED_MAINT), LB_SRV_MAINT);
}

/* HAProxy 2.6's words, as its syslog lines read (seen side by side in
 * tests/integration/checkd_healthlog) */
static void test_log_lines(void **state)
{
    struct lb_cfg *cfg = NULL;
    const struct lb_proxy *px;
    struct lb_server *s;
    char *err = NULL, line[512];
    int level;

    assert_int_equal(lb_cfg_load_mem("t.cfg", cfg_text, &cfg, &err), 0);
    s = srv(cfg, "web", "web1", &px);
    lb_hclog_check(line, sizeof(line), s,
                   &(struct feed_status){.result = FEED_RES_L7OK,
                                         .reason = "Layer7 check passed, code: 200",
                                         .latency_us = 1500,
                                         .health = 4,
                                         .rise = 2,
                                         .fall = 3,
                                         .state = FEED_UP});
    assert_string_equal(line, "Health check for server web/web1 succeeded, reason: Layer7 check "
                              "passed, code: 200, check duration: 1ms, status: 3/3 UP.");
    lb_hclog_check(line, sizeof(line), s,
                   &(struct feed_status){.result = FEED_RES_L4CON,
                                         .reason = "Layer4 connection problem, info: "
                                                   "\"Connection refused\"",
                                         .health = 1,
                                         .rise = 2,
                                         .fall = 3,
                                         .state = FEED_DOWN});
    assert_string_equal(line, "Health check for server web/web1 failed, reason: Layer4 connection "
                              "problem, info: \"Connection refused\", check duration: 0ms, status: "
                              "1/2 DOWN.");
    lb_server_set_state(s, LB_SRV_DOWN);
    lb_hclog_server(line, sizeof(line), s, LB_HCMOVE_DOWN, "Layer4 timeout", 1001);
    assert_string_equal(line, "Server web/web1 is DOWN, reason: Layer4 timeout, check duration: "
                              "1001ms. 1 active and 0 backup servers left. 0 sessions active, 0 "
                              "requeued, 0 remaining in queue.");
    lb_hclog_server(line, sizeof(line), s, LB_HCMOVE_DOWN, NULL, 0);
    assert_string_equal(line, "Server web/web1 is DOWN. 1 active and 0 backup servers left. 0 "
                              "sessions active, 0 requeued, 0 remaining in queue.");
    assert_false(lb_hclog_backend_empty(s));
    lb_server_set_state(s, LB_SRV_DRAIN); /* disable-on-404's NOLB: not counted as active */
    lb_hclog_server(line, sizeof(line), s, LB_HCMOVE_STOPPING,
                    "Layer7 check conditionally passed, code: 404", 1);
    assert_string_equal(line, "Server web/web1 is stopping, reason: Layer7 check conditionally "
                              "passed, code: 404, check duration: 1ms. 1 active and 0 backup "
                              "servers online. 0 sessions requeued, 0 total in queue.");
    lb_hclog_admin(line, sizeof(line), s, LB_HCLOG_DRAIN_ENTER, &level);
    assert_string_equal(line, "Server web/web1 enters drain state. 1 active and 0 backup servers "
                              "online. 0 sessions requeued, 0 total in queue.");
    assert_int_equal(level, LB_HCLOG_CHECK_LEVEL);
    lb_hclog_admin(line, sizeof(line), s, LB_HCLOG_MAINT_ENTER, &level);
    assert_int_equal(level, LB_HCLOG_DOWN_LEVEL);
    lb_hclog_admin(line, sizeof(line), s, LB_HCLOG_MAINT_LEAVE, &level);
    assert_string_equal(line, "Server web/web1 is UP/READY (leaving forced maintenance).");
    lb_cfg_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_targets),
        cmocka_unit_test(test_log_lines),
        cmocka_unit_test(test_agent_reply),
        cmocka_unit_test(test_state_map),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
