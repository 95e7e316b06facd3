/* test_balance.c - weight distribution, backup, maxconn, tried servers,
 * source stability, leastconn and first, the hash functions, balance
 * uri's key, map-based weights and bounded-load consistent hashing. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/log.h"
#include "lbd/cfg/cfg.h"
#include "lbd/core/balance.h"
#include "lbd/core/server.h"

static struct lb_cfg *cfg_mode(const char *mode, const char *backend_body)
{
    char text[2048];
    struct lb_cfg *cfg = NULL;
    char *err = NULL;

    snprintf(text, sizeof(text),
             "defaults\n  mode %s\nfrontend f\n  bind 127.0.0.1:1\n  default_backend b\n"
             "backend b\n%s",
             mode, backend_body);
    if (lb_cfg_load_mem("t", text, &cfg, &err) < 0)
        fail_msg("%s", err);
    return cfg;
}

static struct lb_cfg *cfg_with(const char *backend_body)
{
    return cfg_mode("tcp", backend_body);
}

static struct lb_server *pick(struct lb_balancer *b,
                              const struct lb_pick_ctx *ctx,
                              enum lb_pick_status want)
{
    struct lb_server *s = NULL;
    struct lb_pick_ctx none = {0};

    assert_int_equal(lb_balancer_pick(b, ctx ? ctx : &none, &s), want);
    return s;
}

static void test_rr_weights_smooth(void **state)
{
    struct lb_cfg *cfg = cfg_with("  server a 127.0.0.1:1 weight 5\n"
                                  "  server b 127.0.0.1:2 weight 1\n"
                                  "  server c 127.0.0.1:3 weight 1\n");
    struct lb_proxy *be = lb_cfg_find_proxy(cfg, "b", LB_CAP_BE);
    struct lb_balancer *b = lb_balancer_new(be);
    char seq[8] = {0};
    unsigned counts[3] = {0}, i;

    for (i = 0; i < 7; i++)
        seq[i] = pick(b, NULL, LB_PICK_OK)->name[0];
    /* smooth: interleaved, never five a's in a row */
    assert_string_equal(seq, "aabacaa");
    for (i = 0; i < 7000; i++)
        counts[pick(b, NULL, LB_PICK_OK)->idx]++;
    assert_int_equal(counts[0], 5000);
    assert_int_equal(counts[1], 1000);
    assert_int_equal(counts[2], 1000);
    lb_balancer_free(b);
    lb_cfg_free(cfg);
}

static void test_rr_skips_down_and_zero_weight(void **state)
{
    struct lb_cfg *cfg = cfg_with("  server a 127.0.0.1:1\n  server b 127.0.0.1:2\n"
                                  "  server c 127.0.0.1:3 weight 0\n  server d 127.0.0.1:4\n");
    struct lb_proxy *be = lb_cfg_find_proxy(cfg, "b", LB_CAP_BE);
    struct lb_balancer *b = lb_balancer_new(be);
    unsigned i;

    lb_server_set_state(be->servers[1], LB_SRV_DOWN);
    lb_server_set_state(be->servers[3], LB_SRV_DRAIN);
    for (i = 0; i < 10; i++)
        assert_string_equal(pick(b, NULL, LB_PICK_OK)->name, "a");
    lb_server_set_state(be->servers[0], LB_SRV_MAINT);
    pick(b, NULL, LB_PICK_NONE);
    lb_server_set_weight(be->servers[2], 3);
    assert_string_equal(pick(b, NULL, LB_PICK_OK)->name, "c");
    lb_balancer_free(b);
    lb_cfg_free(cfg);
}

static void test_backup_only_when_no_active(void **state)
{
    struct lb_cfg *cfg = cfg_with("  server a 127.0.0.1:1\n  server bk1 127.0.0.1:2 backup\n"
                                  "  server bk2 127.0.0.1:3 backup\n");
    struct lb_proxy *be = lb_cfg_find_proxy(cfg, "b", LB_CAP_BE);
    struct lb_balancer *b = lb_balancer_new(be);
    unsigned i;

    for (i = 0; i < 5; i++)
        assert_string_equal(pick(b, NULL, LB_PICK_OK)->name, "a");
    lb_server_set_state(be->servers[0], LB_SRV_DOWN);
    /* first backup only, as HAProxy without "option allbackups" */
    for (i = 0; i < 5; i++)
        assert_string_equal(pick(b, NULL, LB_PICK_OK)->name, "bk1");
    lb_server_set_state(be->servers[1], LB_SRV_DOWN);
    assert_string_equal(pick(b, NULL, LB_PICK_OK)->name, "bk2");
    lb_server_set_state(be->servers[0], LB_SRV_UP);
    assert_string_equal(pick(b, NULL, LB_PICK_OK)->name, "a");
    lb_balancer_free(b);
    lb_cfg_free(cfg);
}

static void test_allbackups(void **state)
{
    struct lb_cfg *cfg = cfg_with("  option allbackups\n  server a 127.0.0.1:1\n"
                                  "  server bk1 127.0.0.1:2 backup\n"
                                  "  server bk2 127.0.0.1:3 backup\n");
    struct lb_proxy *be = lb_cfg_find_proxy(cfg, "b", LB_CAP_BE);
    struct lb_balancer *b = lb_balancer_new(be);
    unsigned seen[3] = {0}, i;

    lb_server_set_state(be->servers[0], LB_SRV_DOWN);
    for (i = 0; i < 10; i++)
        seen[pick(b, NULL, LB_PICK_OK)->idx]++;
    assert_int_equal(seen[0], 0);
    assert_int_equal(seen[1], 5);
    assert_int_equal(seen[2], 5);
    lb_balancer_free(b);
    lb_cfg_free(cfg);
}

static void test_maxconn_full_and_take(void **state)
{
    struct lb_cfg *cfg = cfg_with("  server a 127.0.0.1:1 maxconn 2\n"
                                  "  server b 127.0.0.1:2 maxconn 1\n"
                                  "  server bk 127.0.0.1:3 backup\n");
    struct lb_proxy *be = lb_cfg_find_proxy(cfg, "b", LB_CAP_BE);
    struct lb_balancer *b = lb_balancer_new(be);
    struct lb_server *s;
    unsigned i;

    for (i = 0; i < 3; i++) {
        s = pick(b, NULL, LB_PICK_OK);
        assert_int_equal(lb_server_take(s), 0);
    }
    /* all active servers full: queue, do not spill to the backup */
    pick(b, NULL, LB_PICK_FULL);
    assert_int_equal(lb_server_take(be->servers[0]), -EBUSY);
    lb_server_release(be->servers[1]);
    assert_string_equal(pick(b, NULL, LB_PICK_OK)->name, "b");
    assert_int_equal(atomic_load(&be->servers[0]->cur_conns), 2);
    assert_int_equal(atomic_load(&be->servers[0]->max_conns_seen), 2);
    lb_balancer_free(b);
    lb_cfg_free(cfg);
}

static void test_tried_servers_avoided(void **state)
{
    struct lb_cfg *cfg = cfg_with("  server a 127.0.0.1:1\n  server b 127.0.0.1:2\n");
    struct lb_proxy *be = lb_cfg_find_proxy(cfg, "b", LB_CAP_BE);
    struct lb_balancer *b = lb_balancer_new(be);
    struct lb_server *tried[2] = {be->servers[0], be->servers[1]};
    struct lb_pick_ctx ctx = {NULL, NULL, 0, tried, 1};
    unsigned i;

    for (i = 0; i < 4; i++)
        assert_string_equal(pick(b, &ctx, LB_PICK_OK)->name, "b");
    ctx.ntried = 2;
    /* every server tried: nothing left, and that is not "full" */
    pick(b, &ctx, LB_PICK_NONE);
    lb_balancer_free(b);
    lb_cfg_free(cfg);
    /* every active server failed this connection: the backup gets it */
    cfg = cfg_with("  server a 127.0.0.1:1\n  server bk 127.0.0.1:2 backup\n");
    be = lb_cfg_find_proxy(cfg, "b", LB_CAP_BE);
    b = lb_balancer_new(be);
    tried[0] = be->servers[0];
    ctx.ntried = 1;
    assert_string_equal(pick(b, &ctx, LB_PICK_OK)->name, "bk");
    lb_balancer_free(b);
    lb_cfg_free(cfg);
}

static void test_source_stable(void **state)
{
    struct lb_cfg *cfg = cfg_with("  balance source\n  server a 127.0.0.1:1\n"
                                  "  server b 127.0.0.1:2\n  server c 127.0.0.1:3\n");
    struct lb_proxy *be = lb_cfg_find_proxy(cfg, "b", LB_CAP_BE);
    struct lb_balancer *b = lb_balancer_new(be);
    unsigned used[3] = {0}, i, j;
    char ip[32];

    for (i = 0; i < 60; i++) {
        struct lk_addr a;
        struct lb_pick_ctx ctx = {&a, NULL, 0, NULL, 0};
        struct lb_server *first;

        snprintf(ip, sizeof(ip), "10.1.%u.%u:%u", i / 200, i % 200 + 1, 1000 + i);
        assert_int_equal(lk_addr_parse(ip, 0, &a), 0);
        first = pick(b, &ctx, LB_PICK_OK);
        used[first->idx]++;
        for (j = 0; j < 5; j++) {
            a.u.in4.sin_port = htons((uint16_t)(2000 + j)); /* port does not matter */
            assert_ptr_equal(pick(b, &ctx, LB_PICK_OK), first);
        }
    }
    for (i = 0; i < 3; i++)
        assert_true(used[i] > 5); /* spread over every server */
    lb_balancer_free(b);
    lb_cfg_free(cfg);
}

static void test_leastconn(void **state)
{
    struct lb_cfg *cfg = cfg_with("  balance leastconn\n  server a 127.0.0.1:1\n"
                                  "  server b 127.0.0.1:2 weight 2\n");
    struct lb_proxy *be = lb_cfg_find_proxy(cfg, "b", LB_CAP_BE);
    struct lb_balancer *b = lb_balancer_new(be);
    unsigned i;

    atomic_store(&be->servers[0]->cur_conns, 3);
    atomic_store(&be->servers[1]->cur_conns, 5); /* 5/2 < 3/1 */
    assert_string_equal(pick(b, NULL, LB_PICK_OK)->name, "b");
    atomic_store(&be->servers[1]->cur_conns, 7);
    assert_string_equal(pick(b, NULL, LB_PICK_OK)->name, "a");
    for (i = 0; i < 30; i++) {
        struct lb_server *s = pick(b, NULL, LB_PICK_OK);

        atomic_fetch_add(&s->cur_conns, 1);
    }
    /* 3 + 7 + 30 = 40 connections end up weighted 1:2 */
    assert_in_range(atomic_load(&be->servers[0]->cur_conns), 13, 14);
    assert_in_range(atomic_load(&be->servers[1]->cur_conns), 26, 27);
    lb_balancer_free(b);
    lb_cfg_free(cfg);
}

static void test_first(void **state)
{
    struct lb_cfg *cfg = cfg_with("  balance first\n  server a 127.0.0.1:1 maxconn 2\n"
                                  "  server b 127.0.0.1:2 maxconn 2\n");
    struct lb_proxy *be = lb_cfg_find_proxy(cfg, "b", LB_CAP_BE);
    struct lb_balancer *b = lb_balancer_new(be);
    const char *want[] = {"a", "a", "b", "b"};
    unsigned i;

    for (i = 0; i < 4; i++) {
        struct lb_server *s = pick(b, NULL, LB_PICK_OK);

        assert_string_equal(s->name, want[i]);
        lb_server_take(s);
    }
    pick(b, NULL, LB_PICK_FULL);
    lb_balancer_free(b);
    lb_cfg_free(cfg);
}

static void test_hash_functions(void **state)
{
    struct lb_lbprm p = {0};

    /* crc32's published check value; djb2 and sdbm by hand */
    p.hash_fn = LB_HFN_CRC32;
    assert_int_equal(lb_hash_key(&p, "123456789", 9), 0xcbf43926u);
    p.hash_fn = LB_HFN_DJB2;
    assert_int_equal(lb_hash_key(&p, "a", 1), 5381u * 33 + 'a');
    p.hash_fn = LB_HFN_SDBM;
    assert_int_equal(lb_hash_key(&p, "ab", 2), 'b' + ('a' << 6) + ('a' << 16) - 'a');
    p.avalanche = 1;
    assert_int_equal(lb_hash_key(&p, "ab", 2), lb_full_hash('b' + ('a' << 6) + ('a' << 16) - 'a'));
    /* two inputs, two points */
    assert_int_not_equal(lb_full_hash(0), lb_full_hash(1));
}

static void test_uri_key(void **state)
{
    struct lb_lbprm p = {0};
    const char *u = "/a/b/c?x=1";
    size_t n;

    n = lb_balance_uri_key(&p, &u, strlen(u));
    assert_int_equal(n, 6); /* "/a/b/c" */
    p.uri_whole = 1;
    u = "/a/b/c?x=1";
    assert_int_equal(lb_balance_uri_key(&p, &u, strlen(u)), 10);
    p.uri_whole = 0;
    p.uri_depth = 2;
    u = "/a/b/c?x=1";
    assert_int_equal(lb_balance_uri_key(&p, &u, strlen(u)), 4); /* "/a/b" */
    p.uri_depth = 0;
    p.uri_len = 3;
    u = "/a/b/c?x=1";
    assert_int_equal(lb_balance_uri_key(&p, &u, strlen(u)), 3);
    p.uri_len = 0;
    p.uri_path_only = 1;
    u = "http://h.example/p?q";
    n = lb_balance_uri_key(&p, &u, strlen(u));
    assert_int_equal(n, 2);
    assert_memory_equal(u, "/p", 2);
}

/* map-based: weights 2 4 (gcd 2) make a 3-slot table a b b, so keys with
 * hash % 3 == 0 go to a */
static void test_map_gcd(void **state)
{
    struct lb_cfg *cfg = cfg_mode("http", "  balance uri\n  server a 127.0.0.1:1 weight 2\n"
                                          "  server b 127.0.0.1:2 weight 4\n");
    struct lb_proxy *be = lb_cfg_find_proxy(cfg, "b", LB_CAP_BE);
    struct lb_balancer *b = lb_balancer_new(be);
    char key[16];
    unsigned i, a = 0;

    for (i = 0; i < 300; i++) {
        struct lb_pick_ctx ctx = {NULL, key, 0, NULL, 0};
        uint32_t h;

        ctx.key_len = (size_t)snprintf(key, sizeof(key), "/k%u", i);
        h = lb_hash_key(&be->lbprm, key, ctx.key_len);
        assert_string_equal(pick(b, &ctx, LB_PICK_OK)->name, h % 3 == 0 ? "a" : "b");
        a += h % 3 == 0;
    }
    assert_in_range(a, 60, 140);
    lb_balancer_free(b);
    lb_cfg_free(cfg);
}

/* hash-balance-factor 150: with the first choice loaded past 1.5x the
 * average, the key goes to another server */
static void test_balance_factor(void **state)
{
    struct lb_cfg *cfg = cfg_mode("http", "  balance uri\n  hash-type consistent\n"
                                          "  hash-balance-factor 150\n  server a 127.0.0.1:1\n"
                                          "  server b 127.0.0.1:2\n");
    struct lb_proxy *be = lb_cfg_find_proxy(cfg, "b", LB_CAP_BE);
    struct lb_balancer *b = lb_balancer_new(be);
    struct lb_pick_ctx ctx = {NULL, "/x", 2, NULL, 0};
    struct lb_server *first = pick(b, &ctx, LB_PICK_OK);

    atomic_store(&first->cur_conns, 10);
    assert_ptr_not_equal(pick(b, &ctx, LB_PICK_OK), first);
    atomic_store(&first->cur_conns, 0);
    assert_ptr_equal(pick(b, &ctx, LB_PICK_OK), first);
    lb_balancer_free(b);
    lb_cfg_free(cfg);
}

/* slowstart: HAProxy 2.6's steps (slowstart in whole seconds rounded up,
 * elapsed whole seconds of the clock, weight in sixteenths from 1/16,
 * maxconn from 1), and the end of the period. */
static void test_slowstart_steps(void **state)
{
    static const struct {
        uint64_t ss, since, now;
        unsigned w16, max100;
    } cases[] = {
        {10000, 5000, 5000, 1, 1},    /* just up: 1/16, one connection */
        {10000, 5000, 5999, 1, 1},    /* same second */
        {10000, 5999, 6000, 2, 10},   /* a second boundary passed */
        {10000, 5000, 10000, 9, 50},  /* half way */
        {10000, 5000, 14999, 15, 90}, /* last second */
        {10000, 5000, 15000, 16, 100}, {10000, 5000, 99000, 16, 100},
        {1500, 1000, 2000, 9, 50},    /* 1.5 s is 2 s */
        {0, 1000, 1000, 16, 100},     /* no slowstart */
        {10000, 0, 1000, 16, 100},    /* not warming */
        {10000, 5000, 4000, 16, 100}, /* clock before the change */
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(lb_slowstart_w16(cases[i].ss, cases[i].since, cases[i].now), cases[i].w16);
        assert_int_equal(lb_slowstart_maxconn(100, cases[i].ss, cases[i].since, cases[i].now),
                         cases[i].max100);
    }
    assert_int_equal(lb_slowstart_maxconn(0, 10000, 5000, 5000), 0);
}

/* minconn/fullconn: HAProxy's srv_dynamic_maxconn() cases. */
static void test_dyn_maxconn(void **state)
{
    static const struct {
        unsigned min, max, full, be, want;
    } cases[] = {
        {1, 4, 8, 3, 1},   /* 3 x 4 / 8 = 1 */
        {1, 4, 8, 6, 3},   /* 6 x 4 / 8 = 3 */
        {2, 4, 8, 1, 2},   /* minconn is the floor */
        {1, 4, 8, 8, 4},   /* at fullconn: maxconn */
        {1, 4, 8, 100, 4}, /* beyond */
        {4, 4, 8, 1, 4},   /* minconn == maxconn: static */
        {0, 4, 8, 1, 4},   /* no minconn: static */
        {6, 4, 8, 1, 6},   /* minconn above maxconn: it is the limit */
        {3, 0, 8, 1, 3},   /* minconn alone: the limit */
        {1, 100, 1000, 500, 50},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(lb_dyn_maxconn(cases[i].min, cases[i].max, cases[i].full, cases[i].be),
                         cases[i].want);
}

/* A server that comes back with slowstart has 1/16 of its weight in a
 * dynamic algorithm (roundrobin: about 1 pick in 17 against an equal
 * server) and one connection; a static one (first, map-based) gets its
 * full weight but the ramped maxconn. */
static void test_slowstart_warming(void **state)
{
    struct lb_cfg *cfg = cfg_with("  server a 127.0.0.1:1 weight 10\n"
                                  "  server w 127.0.0.1:2 weight 10 slowstart 60s maxconn 50\n");
    struct lb_proxy *be = lb_cfg_find_proxy(cfg, "b", LB_CAP_BE);
    struct lb_balancer *b = lb_balancer_new(be);
    struct lb_server *w = be->servers[1];
    unsigned i, nw = 0;

    /* up at start: no warm-up */
    assert_int_equal(lb_server_eweight(w), 10 * LB_WEIGHT_SCALE);
    lb_server_transition(w, LB_SRV_MAINT, LB_CAUSE_OPERATOR, "test");
    assert_int_equal(atomic_load(&w->warm_since_ms), 0);
    lb_server_transition(w, LB_SRV_UP, LB_CAUSE_OPERATOR, "test");
    assert_true(atomic_load(&w->warm_since_ms) > 0);
    assert_int_equal(lb_server_eweight(w), 10);
    assert_int_equal(lb_server_eweight(be->servers[0]), 10 * LB_WEIGHT_SCALE);
    for (i = 0; i < 170; i++)
        nw += pick(b, NULL, LB_PICK_OK) == w;
    assert_int_equal(nw, 10);
    assert_int_equal(lb_server_maxconn_now(w), 1);
    assert_int_equal(lb_server_take(w), 0);
    assert_int_equal(lb_server_take(w), -EBUSY);
    assert_true(lb_server_full(w));
    lb_server_release(w);
    /* going down ends the warm-up */
    lb_server_transition(w, LB_SRV_DOWN, LB_CAUSE_CHECK, "test");
    assert_int_equal(atomic_load(&w->warm_since_ms), 0);
    assert_int_equal(lb_server_maxconn_now(w), 50);
    /* static algorithm: full weight while warming */
    be->algo = LB_ALGO_FIRST;
    lb_server_transition(w, LB_SRV_UP, LB_CAUSE_CHECK, "test");
    assert_int_equal(lb_server_eweight(w), 10 * LB_WEIGHT_SCALE);
    assert_int_equal(lb_server_maxconn_now(w), 1);
    lb_balancer_free(b);
    lb_cfg_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rr_weights_smooth),
        cmocka_unit_test(test_rr_skips_down_and_zero_weight),
        cmocka_unit_test(test_backup_only_when_no_active),
        cmocka_unit_test(test_allbackups),
        cmocka_unit_test(test_maxconn_full_and_take),
        cmocka_unit_test(test_tried_servers_avoided),
        cmocka_unit_test(test_source_stable),
        cmocka_unit_test(test_leastconn),
        cmocka_unit_test(test_first),
        cmocka_unit_test(test_hash_functions),
        cmocka_unit_test(test_uri_key),
        cmocka_unit_test(test_map_gcd),
        cmocka_unit_test(test_balance_factor),
        cmocka_unit_test(test_slowstart_steps),
        cmocka_unit_test(test_dyn_maxconn),
        cmocka_unit_test(test_slowstart_warming),
    };

    lk_log_init("test", LK_LOG_ERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
