/* test_health.c - rise/fall counter and interval choice with a simulated
 * clock: a scripted sequence of results and the state after each. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "checkd/health.h"

struct step {
    int ok;
    enum chk_state want;
    unsigned want_health;
    unsigned want_bits;
};

static void run_steps(struct chk_health *h, const struct step *s, size_t n)
{
    uint64_t now = 1000;
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned bits;

        now += chk_health_next_ms(h, 0, 0);
        bits = chk_health_result(h, s[i].ok, now);
        assert_int_equal(h->state, s[i].want);
        assert_int_equal(h->health, s[i].want_health);
        assert_int_equal(bits, s[i].want_bits);
        if (bits & CHK_HEALTH_CHANGED_STATE)
            assert_int_equal(h->last_change_ms, now);
    }
}

#define S CHK_HEALTH_CHANGED_STATE
#define H CHK_HEALTH_CHANGED_HEALTH

/* inter 500 fall 3 (the lab guide): an UP server needs 3 failures. */
static void test_fall3_from_fully_up(void **state)
{
    struct chk_health h;
    static const struct step steps[] = {
        {0, CHK_UP, 3, H},   {0, CHK_UP, 2, H},   {0, CHK_DOWN, 0, S | H},
        {0, CHK_DOWN, 0, 0}, {1, CHK_DOWN, 1, H}, {1, CHK_UP, 4, S | H},
        {1, CHK_UP, 4, 0},   {0, CHK_UP, 3, H},   {1, CHK_UP, 4, H},
    };

    chk_health_init(&h, &(struct chk_health_params){2, 3, 500, 0, 0}, CHK_INIT_FULLY_UP, 0);
    assert_int_equal(h.health, 4);
    run_steps(&h, steps, sizeof(steps) / sizeof(steps[0]));
}

/* HAProxy's default: a new server is UP and the first failure is enough. */
static void test_default_init_first_failure(void **state)
{
    struct chk_health h;
    static const struct step steps[] = {{0, CHK_DOWN, 0, S | H}, {1, CHK_DOWN, 1, H}};

    chk_health_init(&h, &(struct chk_health_params){2, 3, 500, 0, 0}, CHK_INIT_UP, 0);
    assert_int_equal(h.state, CHK_UP);
    run_steps(&h, steps, 2);
}

static void test_init_down_variants(void **state)
{
    struct chk_health h;
    static const struct step one[] = {{1, CHK_UP, 4, S | H}};
    static const struct step two[] = {{1, CHK_DOWN, 1, H}, {1, CHK_UP, 4, S | H}};

    chk_health_init(&h, &(struct chk_health_params){2, 3, 500, 0, 0}, CHK_INIT_DOWN, 0);
    assert_int_equal(h.state, CHK_DOWN);
    run_steps(&h, one, 1);
    chk_health_init(&h, &(struct chk_health_params){2, 3, 500, 0, 0}, CHK_INIT_FULLY_DOWN, 0);
    run_steps(&h, two, 2);
}

/* rise 1 fall 1: every result decides. */
static void test_rise1_fall1(void **state)
{
    struct chk_health h;
    static const struct step steps[] = {{0, CHK_DOWN, 0, S | H},
                                        {1, CHK_UP, 1, S | H},
                                        {0, CHK_DOWN, 0, S | H},
                                        {0, CHK_DOWN, 0, 0}};

    chk_health_init(&h, &(struct chk_health_params){1, 1, 100, 0, 0}, CHK_INIT_FULLY_UP, 0);
    assert_int_equal(h.health, 1);
    run_steps(&h, steps, 4);
}

/* Interval: inter when settled UP, fastinter while moving, downinter when
 * settled DOWN; unset ones fall back to inter. */
static void test_intervals(void **state)
{
    struct chk_health h;

    chk_health_init(&h, &(struct chk_health_params){2, 3, 2000, 300, 5000}, CHK_INIT_FULLY_UP, 0);
    assert_int_equal(chk_health_next_ms(&h, 0, 0), 2000);
    chk_health_result(&h, 0, 1);
    assert_int_equal(chk_health_next_ms(&h, 0, 0), 300);
    chk_health_result(&h, 0, 2);
    chk_health_result(&h, 0, 3);
    assert_int_equal(h.state, CHK_DOWN);
    assert_int_equal(chk_health_next_ms(&h, 0, 0), 5000);
    chk_health_result(&h, 1, 4);
    assert_int_equal(chk_health_next_ms(&h, 0, 0), 300);

    chk_health_init(&h, &(struct chk_health_params){2, 3, 2000, 0, 0}, CHK_INIT_FULLY_UP, 0);
    chk_health_result(&h, 0, 1);
    assert_int_equal(chk_health_next_ms(&h, 0, 0), 2000);
    chk_health_force(&h, CHK_DOWN, 2);
    assert_int_equal(chk_health_next_ms(&h, 0, 0), 2000);
}

/* Jitter stays inside +-spread and covers both sides. */
static void test_spread(void **state)
{
    struct chk_health h;
    uint64_t lo = UINT64_MAX, hi = 0, v;
    uint32_t r;

    chk_health_init(&h, &(struct chk_health_params){2, 3, 1000, 0, 0}, CHK_INIT_FULLY_UP, 0);
    for (r = 0; r < 5000; r++) {
        v = chk_health_next_ms(&h, r * 2654435761u, 10);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    assert_true(lo >= 900 && lo < 920);
    assert_true(hi <= 1100 && hi > 1080);
    for (r = 0; r < 1000; r++) {
        v = chk_health_phase_ms(&h, r * 2654435761u);
        assert_true(v >= 1 && v <= 1000);
    }
    assert_int_equal(chk_health_next_ms(&h, 12345, 0), 1000);
}

/* A simulated clock over 10 s with inter 500 fall 3: the server found dead
 * at t=0 is DOWN after exactly 3 checks, i.e. within inter x fall. */
static void test_detection_time(void **state)
{
    struct chk_health h;
    uint64_t now = 0, down_at = 0;

    chk_health_init(&h, &(struct chk_health_params){2, 3, 500, 0, 0}, CHK_INIT_FULLY_UP, 0);
    while (now < 10000 && h.state == CHK_UP) {
        now += chk_health_next_ms(&h, 0, 0);
        if (chk_health_result(&h, 0, now) & CHK_HEALTH_CHANGED_STATE)
            down_at = now;
    }
    assert_int_equal(down_at, 1500);
}

static void test_names(void **state)
{
    enum chk_init i;

    assert_string_equal(chk_state_name(CHK_UP), "UP");
    assert_string_equal(chk_state_name(CHK_DOWN), "DOWN");
    assert_int_equal(chk_init_parse("fully-down", &i), 0);
    assert_int_equal(i, CHK_INIT_FULLY_DOWN);
    assert_int_equal(chk_init_parse("sideways", &i), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fall3_from_fully_up),
        cmocka_unit_test(test_default_init_first_failure),
        cmocka_unit_test(test_init_down_variants),
        cmocka_unit_test(test_rise1_fall1),
        cmocka_unit_test(test_intervals),
        cmocka_unit_test(test_spread),
        cmocka_unit_test(test_detection_time),
        cmocka_unit_test(test_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
