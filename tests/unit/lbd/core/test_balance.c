/* test_balance.c - weight distribution, backup, maxconn, tried servers,
 * source stability, leastconn and first. */
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

static struct lb_cfg *cfg_with(const char *backend_body)
{
    char text[2048];
    struct lb_cfg *cfg = NULL;
    char *err = NULL;

    snprintf(text, sizeof(text),
             "frontend f\n  bind 127.0.0.1:1\n  default_backend b\n"
             "backend b\n%s",
             backend_body);
    if (lb_cfg_load_mem("t", text, &cfg, &err) < 0)
        fail_msg("%s", err);
    return cfg;
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
    };

    lk_log_init("test", LK_LOG_ERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
