/* test_target.c - the registry on a real loop: a target on a closed
 * loopback port goes DOWN and is published; a re-registration with the
 * same address keeps its state, a new address starts over; maintenance and
 * passive reports publish; removal is published; checkd's file never takes
 * over a target registered over the socket; the loop closes clean (no
 * handle left behind). */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "checkd/target.h"
#include "common/log.h"

struct rec {
    int events, removed;
    struct feed_status last;
    int last_prev;
    char removed_id[FEED_ID_MAX];
};

static void on_changed(void *ud, const struct feed_status *st, int prev)
{
    struct rec *r = ud;

    r->events++;
    r->last = *st;
    r->last_prev = prev;
}

static void on_removed(void *ud, const char *id)
{
    struct rec *r = ud;

    r->removed++;
    snprintf(r->removed_id, sizeof(r->removed_id), "%s", id);
}

/* A port nobody listens on: bind, read the port, close. */
static unsigned closed_port(void)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
    close(fd);
    return ntohs(sin.sin_port);
}

static void target(struct feed_target *t, const char *id, unsigned port)
{
    feed_target_defaults(t);
    snprintf(t->id, sizeof(t->id), "%s", id);
    snprintf(t->addr, sizeof(t->addr), "127.0.0.1:%u", port);
    t->inter_ms = 20;
    t->rise = 2;
    t->fall = 2;
}

/* Run the loop until cond or 3 s. */
#define RUN_UNTIL(loop, cond)                                                                      \
    do {                                                                                           \
        uint64_t _end = uv_now(loop) + 3000;                                                       \
        while (!(cond) && uv_now(loop) < _end)                                                     \
            uv_run(loop, UV_RUN_ONCE);                                                             \
    } while (0)

/* A loop and an empty registry on it whose hooks record into rec. */
static struct chk_registry *new_registry(uv_loop_t *loop, struct rec *rec)
{
    struct chk_hooks hooks = {on_changed, on_removed, rec};
    struct chk_registry *reg;

    assert_int_equal(uv_loop_init(loop), 0);
    reg = chk_registry_new(loop, &hooks, 0); /* copies the hooks */
    assert_non_null(reg);
    return reg;
}

static void test_lifecycle(void **state)
{
    struct rec rec = {0};
    uv_loop_t loop;
    struct chk_registry *reg = new_registry(&loop, &rec);
    struct feed_target t;
    const struct feed_status **st;
    const char *why = NULL;
    unsigned port = closed_port();
    int events;

    target(&t, "be/s1", port);
    assert_int_equal(chk_registry_add(reg, &t, &why), 1);
    assert_int_equal(rec.events, 1); /* a new target is published at once */
    assert_int_equal(rec.last_prev, -1);
    assert_int_equal(rec.last.result, FEED_RES_INI);
    RUN_UNTIL(&loop, rec.last.state == FEED_DOWN && rec.last.result == FEED_RES_L4CON);
    assert_int_equal(rec.last.state, FEED_DOWN);
    assert_int_equal(rec.last.result, FEED_RES_L4CON);
    assert_int_equal(rec.last_prev, FEED_UP);

    /* same address: state kept, nothing published */
    events = rec.events;
    t.fall = 5;
    assert_int_equal(chk_registry_add(reg, &t, &why), 0);
    assert_int_equal(chk_registry_statuses(reg, &st), 1);
    assert_int_equal(st[0]->state, FEED_DOWN);
    assert_int_equal(st[0]->fall, 5);
    free(st);
    assert_int_equal(rec.events, events);

    /* maintenance, then a passive report on a target back from it */
    assert_int_equal(chk_registry_maint(reg, "be/s1", 1), 0);
    assert_int_equal(rec.last.state, FEED_MAINT);
    assert_int_equal(chk_registry_maint(reg, "be/nope", 1), -ENOENT);
    assert_int_equal(chk_registry_maint(reg, "be/s1", 0), 0);
    assert_int_equal(chk_registry_report(reg, "be/s1", "explode"), -EINVAL);
    assert_int_equal(chk_registry_report(reg, "be/s1", "mark-down"), 0);

    /* a second target with a bad address is refused */
    target(&t, "be/bad", port);
    snprintf(t.addr, sizeof(t.addr), "localhost:80");
    assert_int_equal(chk_registry_add(reg, &t, &why), -EINVAL);
    assert_non_null(why);
    assert_int_equal(chk_registry_count(reg), 1);

    assert_int_equal(chk_registry_remove(reg, "be/s1"), 0);
    assert_int_equal(rec.removed, 1);
    assert_string_equal(rec.removed_id, "be/s1");
    assert_int_equal(chk_registry_remove(reg, "be/s1"), -ENOENT);
    assert_true(chk_registry_probes(reg) >= 1);
    chk_registry_free(reg);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* The file's target (owner "config") of an id lbd registered: refused,
 * the target untouched (no restart, no event), and a reload's prune of
 * the file's targets leaves it; lbd's registration over a file's target of
 * the same id takes it over. */
static void test_owner(void **state)
{
    struct rec rec = {0};
    uv_loop_t loop;
    struct chk_registry *reg = new_registry(&loop, &rec);
    struct feed_target t, f;
    const struct feed_status **st;
    const char *why = NULL;
    unsigned port = closed_port();
    int events;

    target(&t, "be/s1", port);
    snprintf(t.owner, sizeof(t.owner), "lbd");
    assert_int_equal(chk_registry_add(reg, &t, &why), 1);
    RUN_UNTIL(&loop, rec.last.state == FEED_DOWN);
    assert_int_equal(rec.last.state, FEED_DOWN);
    events = rec.events;
    target(&f, "be/s1", port);
    snprintf(f.owner, sizeof(f.owner), CHK_OWNER_CONFIG);
    f.kind = FEED_KIND_HTTP; /* another kind would restart the check */
    why = NULL;
    assert_int_equal(chk_registry_add(reg, &f, &why), -EEXIST);
    assert_non_null(why);
    assert_int_equal(rec.events, events);
    assert_int_equal(chk_registry_prune(reg, CHK_OWNER_CONFIG, NULL, 0), 0);
    assert_int_equal(chk_registry_statuses(reg, &st), 1);
    assert_int_equal(st[0]->state, FEED_DOWN);
    assert_int_equal(st[0]->kind, FEED_KIND_TCP);
    free(st);

    /* the other way round: lbd's registration wins over the file's */
    target(&f, "be/s2", port);
    snprintf(f.owner, sizeof(f.owner), CHK_OWNER_CONFIG);
    assert_int_equal(chk_registry_add(reg, &f, &why), 1);
    target(&t, "be/s2", port);
    snprintf(t.owner, sizeof(t.owner), "lbd");
    t.fall = 4;
    assert_int_equal(chk_registry_add(reg, &t, &why), 0);
    assert_int_equal(chk_registry_add(reg, &f, &why), -EEXIST);
    assert_int_equal(chk_registry_prune(reg, CHK_OWNER_CONFIG, NULL, 0), 0);
    assert_int_equal(chk_registry_count(reg), 2);
    chk_registry_free(reg);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* Freed with probes in flight and timers armed: nothing leaks (ASan) and
 * the loop closes. */
static void test_free_in_flight(void **state)
{
    struct chk_hooks hooks = {on_changed, on_removed, NULL};
    struct chk_registry *reg;
    struct feed_target t;
    struct rec rec = {0};
    const char *why = NULL;
    uv_loop_t loop;
    char id[32];
    int i;

    hooks.ud = &rec;
    assert_int_equal(uv_loop_init(&loop), 0);
    reg = chk_registry_new(&loop, &hooks, 10);
    for (i = 0; i < 50; i++) {
        snprintf(id, sizeof(id), "be/s%d", i);
        target(&t, id, 9); /* discard port: refused or silent, either way in flight */
        t.kind = i % 2 ? FEED_KIND_HTTP : FEED_KIND_GALERA;
        snprintf(t.user, sizeof(t.user), "mon");
        assert_int_equal(chk_registry_add(reg, &t, &why), 1);
    }
    uv_run(&loop, UV_RUN_NOWAIT);
    chk_registry_free(reg);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* 200 targets registered at once: all probed at once, then their second
 * checks spread over the next interval instead of firing together. */
struct spread {
    struct chk_registry *reg;
    uint64_t last;
    unsigned buckets[16];
    unsigned n;
};

static void sample(uv_timer_t *t)
{
    struct spread *sp = t->data;
    uint64_t now = chk_registry_probes(sp->reg);

    if (sp->n < 16)
        sp->buckets[sp->n++] = (unsigned)(now - sp->last);
    sp->last = now;
    if (sp->n == 16)
        uv_timer_stop(t);
}

static void test_spread_on_loop(void **state)
{
    struct chk_hooks hooks = {on_changed, on_removed, NULL};
    struct spread sp = {0};
    struct feed_target t;
    struct rec rec = {0};
    const char *why = NULL;
    unsigned port = closed_port(), i, second = 0, max = 0;
    uv_timer_t timer;
    uv_loop_t loop;
    char id[32];

    hooks.ud = &rec;
    assert_int_equal(uv_loop_init(&loop), 0);
    sp.reg = chk_registry_new(&loop, &hooks, 0);
    for (i = 0; i < 200; i++) {
        snprintf(id, sizeof(id), "be/s%u", i);
        target(&t, id, port);
        t.inter_ms = 500;
        assert_int_equal(chk_registry_add(sp.reg, &t, &why), 1);
    }
    uv_timer_init(&loop, &timer);
    timer.data = &sp;
    uv_timer_start(&timer, sample, 50, 50);
    RUN_UNTIL(&loop, sp.n == 16);
    assert_int_equal(sp.n, 16);
    /* bucket 0 (first 50 ms): the 200 first probes; buckets 1..10 (the next
     * 500 ms): the 200 second probes, spread out */
    assert_true(sp.buckets[0] >= 190);
    for (i = 1; i <= 10; i++) {
        second += sp.buckets[i];
        max = sp.buckets[i] > max ? sp.buckets[i] : max;
    }
    print_message("second probes per 50 ms:");
    for (i = 1; i <= 10; i++)
        print_message(" %u", sp.buckets[i]);
    print_message(" (max %u)\n", max);
    assert_true(second >= 180);
    assert_true(max <= 60); /* uniform would be 20 per bucket */
    uv_close((uv_handle_t *)&timer, NULL);
    chk_registry_free(sp.reg);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lifecycle),
        cmocka_unit_test(test_owner),
        cmocka_unit_test(test_free_in_flight),
        cmocka_unit_test(test_spread_on_loop),
    };

    lk_log_threshold = LK_LOG_ERR; /* 200 targets going DOWN is expected here */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
