/* test_backend.c - the counters both modes report through
 * lbd/core/backend.c: queue depth and its maximum (also when threads
 * race), retries, redispatches and the last session time. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lbd/core/backend.h"
#include "lbd/core/proxy_types.h"

static void test_queue(void **state)
{
    static struct lb_proxy be;
    int i;

    for (i = 0; i < 3; i++)
        lb_backend_queue_enter(&be);
    assert_int_equal(be.queued, 3);
    assert_int_equal(be.max_queued, 3);
    lb_backend_queue_leave(&be);
    lb_backend_queue_leave(&be);
    lb_backend_queue_enter(&be);
    assert_int_equal(be.queued, 2);
    assert_int_equal(be.max_queued, 3); /* the maximum never goes down */
}

static void test_retry_redispatch(void **state)
{
    static struct lb_proxy be;
    static struct lb_server a, b;

    lb_backend_retry(&be, &a);
    lb_backend_retry(&be, NULL); /* a retry with no server to blame */
    assert_int_equal(be.wretr, 2);
    assert_int_equal(a.retries, 1);
    /* first attempt: no previous server, no redispatch */
    assert_int_equal(lb_backend_assigned(&be, &a, NULL, 1000), 0);
    /* same server again after a failure: a retry, not a redispatch */
    assert_int_equal(lb_backend_assigned(&be, &a, &a, 2000), 0);
    assert_int_equal(be.wredis, 0);
    /* another server: a redispatch, counted on the server left behind */
    assert_int_equal(lb_backend_assigned(&be, &b, &a, 3000), 1);
    assert_int_equal(be.wredis, 1);
    assert_int_equal(a.redispatches, 1);
    assert_int_equal(b.redispatches, 0);
    assert_int_equal(b.last_sess_ms, 3000);
    assert_int_equal(a.last_sess_ms, 2000);
    assert_int_equal(be.last_sess_ms, 3000);
}

#define THREADS 4
#define ROUNDS  20000

static struct lb_proxy race_be;

static void *racer(void *arg)
{
    int i;

    for (i = 0; i < ROUNDS; i++) {
        lb_backend_queue_enter(&race_be);
        lb_backend_queue_leave(&race_be);
    }
    return arg;
}

/* Threads entering and leaving at once: the depth returns to 0 and the
 * maximum is at least 1 and at most the number of threads. */
static void test_queue_threads(void **state)
{
    pthread_t t[THREADS];
    int i;

    for (i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, racer, NULL), 0);
    for (i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(race_be.queued, 0);
    assert_in_range(race_be.max_queued, 1, THREADS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue),
        cmocka_unit_test(test_retry_redispatch),
        cmocka_unit_test(test_queue_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
