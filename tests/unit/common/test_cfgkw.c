/* test_cfgkw.c - bounded value readers, keyword lookup and hints, and
 * address parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/addr.h"
#include "common/cfgkw.h"

struct time_case {
    const char *s;
    uint64_t unit;
    int r;
    uint64_t ms;
};

static const struct time_case time_cases[] = {
    {"500", 1, 0, 500},    {"500ms", 1, 0, 500},
    {"10s", 1, 0, 10000},  {"2m", 1, 0, 120000},
    {"1h", 1, 0, 3600000}, {"1d", 1, 0, 86400000},
    {"1500us", 1, 0, 2},   {"3", 1000, 0, 3000},
    {"5x", 1, -EINVAL, 0}, {"", 1, -EINVAL, 0},
    {"-5", 1, -EINVAL, 0}, {"25d", 1, -ERANGE, 0},
    {"s", 1, -EINVAL, 0},  {"99999999999999999999", 1, -ERANGE, 0},
};

static void test_time(void **state)
{
    uint64_t v;
    size_t i;

    for (i = 0; i < sizeof(time_cases) / sizeof(time_cases[0]); i++) {
        v = 0;
        if (lk_parse_time_ms(time_cases[i].s, time_cases[i].unit, 2147483647ull, &v) !=
            time_cases[i].r)
            fail_msg("case %zu (%s): wrong return", i, time_cases[i].s);
        if (time_cases[i].r == 0 && v != time_cases[i].ms)
            fail_msg("case %zu (%s): got %llu", i, time_cases[i].s, (unsigned long long)v);
    }
}

static void test_numbers(void **state)
{
    uint64_t u;
    int64_t i;
    unsigned m;

    assert_int_equal(lk_parse_uint("42", 0, 100, &u), 0);
    assert_int_equal(u, 42);
    assert_int_equal(lk_parse_uint("101", 0, 100, &u), -ERANGE);
    assert_int_equal(lk_parse_uint("4x", 0, 100, &u), -EINVAL);
    assert_int_equal(lk_parse_uint(" 4", 0, 100, &u), -EINVAL);
    assert_int_equal(lk_parse_int("-10", -20, 0, &i), 0);
    assert_int_equal(i, -10);
    assert_int_equal(lk_parse_int("-30", -20, 0, &i), -ERANGE);
    assert_int_equal(lk_parse_size("16k", 1 << 20, &u), 0);
    assert_int_equal(u, 16384);
    assert_int_equal(lk_parse_size("2m", 1 << 20, &u), -ERANGE);
    assert_int_equal(lk_parse_mode("660", &m), 0);
    assert_int_equal(m, 0660);
    assert_int_equal(lk_parse_mode("689", &m), -EINVAL);
}

static int dummy(int argc, char **argv, void *ctx, char **err)
{
    return 0;
}

static void test_kw_suggest(void **state)
{
    static const struct lk_cfgkw tab[] = {
        {"balance", dummy, 1, 1, 0},
        {"bind", dummy, 1, -1, 0},
        {"server", dummy, 2, -1, 0},
        {NULL, NULL, 0, 0, 0},
    };

    assert_non_null(lk_cfgkw_find(tab, "bind"));
    assert_null(lk_cfgkw_find(tab, "binds"));
    assert_string_equal(lk_cfgkw_suggest(tab, "balanse"), "balance");
    assert_string_equal(lk_cfgkw_suggest(tab, "sever"), "server");
    assert_null(lk_cfgkw_suggest(tab, "frobnicate"));
    assert_int_equal(lk_edit_distance("kitten", "sitting"), 3);
    /* bounds are inclusive; max_args -1 is unbounded */
    assert_false(lk_cfgkw_nargs_ok(&tab[0], 0));
    assert_true(lk_cfgkw_nargs_ok(&tab[0], 1));
    assert_false(lk_cfgkw_nargs_ok(&tab[0], 2));
    assert_false(lk_cfgkw_nargs_ok(&tab[2], 1));
    assert_true(lk_cfgkw_nargs_ok(&tab[2], 2));
    assert_true(lk_cfgkw_nargs_ok(&tab[2], 40));
}

/* the hint reads the same in every dialect, and is nothing without one */
static void test_kw_hint(void **state)
{
    const char *hint = "balance", *none = NULL;
    char buf[96];

    snprintf(buf, sizeof(buf), "unknown keyword 'x'" LK_CFGKW_HINT_FMT, LK_CFGKW_HINT_ARGS(hint));
    assert_string_equal(buf, "unknown keyword 'x'; did you mean 'balance'?");
    snprintf(buf, sizeof(buf), "unknown keyword 'x'" LK_CFGKW_HINT_FMT, LK_CFGKW_HINT_ARGS(none));
    assert_string_equal(buf, "unknown keyword 'x'");
}

struct addr_case {
    const char *s;
    unsigned flags;
    int ok;
    const char *str;
};

static const struct addr_case addr_cases[] = {
    {"127.0.0.1:80", 0, 1, "127.0.0.1:80"},
    {"*:3306", 0, 1, "0.0.0.0:3306"},
    {":8080", 0, 1, "0.0.0.0:8080"},
    {"[::1]:443", 0, 1, "[::1]:443"},
    {"::1:443", 0, 1, "[::1]:443"},
    {"ipv6@::1:443", 0, 1, "[::1]:443"},
    {"127.0.0.1", 0, 0, NULL},
    {"127.0.0.1", LK_ADDR_PORT_OPTIONAL, 1, "127.0.0.1:0"},
    {"192.168.1.200", LK_ADDR_NO_PORT, 1, "192.168.1.200:0"},
    {"1.2.3.4:0", 0, 0, NULL},
    {"1.2.3.4:65536", 0, 0, NULL},
    {"host.example:80", 0, 0, NULL},
    {"[::1", 0, 0, NULL},
};

static void test_addr(void **state)
{
    struct lk_addr a;
    char buf[LK_ADDR_STRLEN];
    size_t i;

    for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
        int r = lk_addr_parse(addr_cases[i].s, addr_cases[i].flags, &a);

        if ((r == 0) != addr_cases[i].ok)
            fail_msg("case %zu (%s): r=%d", i, addr_cases[i].s, r);
        if (r == 0 && strcmp(lk_addr_str(&a, buf, sizeof(buf)), addr_cases[i].str) != 0)
            fail_msg("case %zu (%s): got %s", i, addr_cases[i].s, buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time),       cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_kw_suggest), cmocka_unit_test(test_kw_hint),
        cmocka_unit_test(test_addr),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
