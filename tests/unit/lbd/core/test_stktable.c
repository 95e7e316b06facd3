/* test_stktable.c - what the peers protocol takes from and gives to a
 * stick table: local changes numbered once each in order (several changes
 * of one entry are one pending update, for its latest state), the backlog
 * after an acknowledged id, ids that wrap, a learnt entry stored but not
 * echoed back (and conn_cur kept local), the timed expiry a resync
 * carries, the full walk, and binary keys in hex. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/strbuf.h"
#include "lbd/core/stktable.h"

static struct lb_stktable *table(const char *spec)
{
    char buf[256], *argv[32], *save = NULL, *w;
    struct lb_stktable *t = NULL;
    char *err = NULL;
    int argc = 0;

    snprintf(buf, sizeof(buf), "stick-table %s", spec);
    for (w = strtok_r(buf, " ", &save); w && argc < 32; w = strtok_r(NULL, " ", &save))
        argv[argc++] = w;
    assert_int_equal(lb_stk_parse("t", argc, argv, &t, &err), 0);
    /* as lb_peers_cfg_validate() links it: any non-NULL section */
    t->peers = (struct lb_peers_sec *)(void *)t;
    return t;
}

static unsigned calls;
static void changed(void *arg)
{
    (void)arg;
    calls++;
}

static struct lb_stkentry *entry(struct lb_stktable *t, const char *key, uint64_t now)
{
    struct lb_stkkey k;

    assert_int_equal(lb_stk_key_str(t, key, strlen(key), &k), 0);
    return lb_stk_get(t, &k, 1, now);
}

static void test_pending(void **state)
{
    struct lb_stktable *t = table("type ip size 10 expire 1m peers p store conn_cnt,conn_cur");
    struct lb_stk_snap s[8];
    struct lb_stkentry *a, *b;

    (void)state;
    t->on_update = changed;
    calls = 0;
    a = entry(t, "10.0.0.1", 1000);             /* id 1 */
    b = entry(t, "10.0.0.2", 1000);             /* id 2 */
    lb_stk_add(t, a, LB_STK_CONN_CNT, 1, 1000); /* a: id 3 */
    lb_stk_add(t, a, LB_STK_CONN_CNT, 1, 1000); /* a: id 4 */
    assert_int_equal(calls, 4);
    assert_int_equal(t->localupdate, 4);
    /* b then a, once each, a with its latest count */
    assert_int_equal(lb_stk_pending(t, 0, s, 8, 1000), 2);
    assert_int_equal(s[0].upd, 2);
    assert_int_equal(s[1].upd, 4);
    assert_int_equal(s[1].val[LB_STK_CONN_CNT], 2);
    assert_int_equal(s[1].exp_ms, 60000);
    /* after an ack of 2: only a; after 4: nothing; batches bounded */
    assert_int_equal(lb_stk_pending(t, 2, s, 8, 1000), 1);
    assert_int_equal(lb_stk_pending(t, 4, s, 8, 1000), 0);
    assert_int_equal(lb_stk_pending(t, 0, s, 1, 1000), 1);
    assert_int_equal(s[0].upd, 2);
    lb_stk_release(t, a);
    lb_stk_release(t, b);
    lb_stk_free(t);
}

static void test_wrap(void **state)
{
    struct lb_stktable *t = table("type ip size 10 peers p store conn_cnt");
    struct lb_stk_snap s[4];
    struct lb_stkentry *a;

    (void)state;
    t->localupdate = UINT32_MAX - 1;
    a = entry(t, "10.0.0.1", 5);             /* id 2^32-1 */
    lb_stk_add(t, a, LB_STK_CONN_CNT, 1, 5); /* id 0 */
    lb_stk_release(t, a);
    a = entry(t, "10.0.0.2", 5); /* id 1 */
    lb_stk_release(t, a);
    assert_int_equal(lb_stk_pending(t, UINT32_MAX - 2, s, 4, 5), 2);
    assert_int_equal(s[0].upd, 0);
    assert_int_equal(s[1].upd, 1);
    assert_int_equal(lb_stk_pending(t, 0, s, 4, 5), 1);
    lb_stk_free(t);
}

static unsigned walked;
static uint32_t walked_exp;
static void walk_cb(const struct lb_stk_snap *s, void *arg)
{
    (void)arg;
    walked++;
    walked_exp = s->exp_ms;
}

static void test_learn(void **state)
{
    struct lb_stktable *t =
        table("type ip size 10 expire 1m peers p store conn_cnt,conn_cur,http_req_rate(10s)");
    struct lb_stk_snap s, o[4];
    struct lb_stkentry *a;
    int64_t v;

    (void)state;
    memset(&s, 0, sizeof(s));
    assert_int_equal(lb_stk_key_str(t, "10.0.0.9", 8, &s.key), 0);
    s.val[LB_STK_CONN_CNT] = 7;
    s.val[LB_STK_CONN_CUR] = 5;
    s.ago[LB_STK_HTTP_REQ_RATE] = 2000;
    s.curr[LB_STK_HTTP_REQ_RATE] = 4;
    s.exp_ms = 3000;
    assert_int_equal(lb_stk_learn(t, &s, 0x1ffff, 1, 100000), 0);
    /* stored, not pending: a peer's update is not sent back */
    assert_int_equal(lb_stk_pending(t, 0, o, 4, 100000), 0);
    a = entry(t, "10.0.0.9", 100000);
    assert_int_equal(lb_stk_read(t, a, LB_STK_CONN_CNT, 100000, &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(lb_stk_read(t, a, LB_STK_CONN_CUR, 100000, &v), 0);
    assert_int_equal(v, 0); /* this instance's own connections only */
    assert_int_equal(lb_stk_read(t, a, LB_STK_HTTP_REQ_RATE, 100000, &v), 0);
    assert_int_equal(v, 4);
    /* counting on locally makes it pending again, from the learnt value */
    lb_stk_add(t, a, LB_STK_CONN_CNT, 1, 100000);
    assert_int_equal(lb_stk_pending(t, 0, o, 4, 100000), 1);
    assert_int_equal(o[0].val[LB_STK_CONN_CNT], 8);
    assert_int_equal(o[0].ago[LB_STK_HTTP_REQ_RATE], 2000);
    lb_stk_release(t, a);
    /* a timed update (a resync) sets the entry's remaining life */
    s.exp_ms = 3000;
    assert_int_equal(lb_stk_key_str(t, "10.0.0.8", 8, &s.key), 0);
    assert_int_equal(lb_stk_learn(t, &s, 0x1ffff, 1, 120000), 0);
    walked = 0;
    lb_stk_walk(t, walk_cb, NULL, 120000);
    assert_int_equal(walked, 2);
    assert_int_equal(walked_exp, 3000);
    /* later, the learnt lifetime is over: the walk drops it, 10.0.0.9 stays */
    walked = 0;
    lb_stk_walk(t, walk_cb, NULL, 124000);
    assert_int_equal(walked, 1);
    lb_stk_free(t);
}

static void test_walk_binary(void **state)
{
    struct lb_stktable *t = table("type binary len 4 size 10 expire 10s peers p");
    struct lb_stk_filter f = {NULL, -1, NULL, 0};
    struct lk_sb sb = LK_SB_INIT;
    struct lb_stk_snap s;

    (void)state;
    memset(&s, 0, sizeof(s));
    assert_int_equal(lb_stk_key_str(t, "\x01\x02", 2, &s.key), 0);
    assert_int_equal(s.key.len, 4); /* zero-padded to the key size */
    s.exp_ms = 3000;
    assert_int_equal(lb_stk_learn(t, &s, 0, 1, 1000), 0);
    walked = 0;
    assert_int_equal(lb_stk_walk(t, walk_cb, NULL, 1000), 0);
    assert_int_equal(walked, 1);
    assert_int_equal(walked_exp, 3000);
    f.key = "01020000";
    assert_int_equal(lb_stk_show(&sb, t, &f, 1000), 0);
    assert_non_null(strstr(sb.buf, "key=01020000 "));
    f.key = "zz";
    assert_int_equal(lb_stk_show(&sb, t, &f, 1000), -EINVAL);
    lk_sb_free(&sb);
    lb_stk_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pending),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_learn),
        cmocka_unit_test(test_walk_binary),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
