/* test_mwlink.c - the hand-over from lbd's master to its worker: socket
 * keys, and LBD_MW parsing, which must refuse anything malformed instead
 * of using a wrong descriptor. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/addr.h"
#include "lbd/core/mwlink.h"

static void test_keys(void **state)
{
    struct lk_addr a;
    char buf[128];

    assert_int_equal(lk_addr_parse("127.0.0.1:8080", 0, &a), 0);
    assert_string_equal(lb_mw_key_bind(buf, sizeof(buf), 1, "web", &a), "T1@127.0.0.1:8080/web");
    /* two frontends on one address: two sockets */
    assert_string_equal(lb_mw_key_bind(buf, sizeof(buf), 1, "api", &a), "T1@127.0.0.1:8080/api");
    assert_string_equal(lb_mw_key_http(buf, sizeof(buf), &a), "H@127.0.0.1:8080");
    assert_string_equal(lb_mw_key_unix(buf, sizeof(buf), "/run/lbkit/lbd.sock"),
                        "U@/run/lbkit/lbd.sock");
}

static int devnull(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    assert_true(fd > 2);
    return fd;
}

static void test_env(void **state)
{
    int ctl = devnull(), st = devnull(), l = devnull(), u = devnull();
    struct lb_mw *m = NULL;
    char env[256];

    unsetenv(LB_MW_ENV);
    assert_int_equal(lb_mw_from_env(&m), 0);
    assert_null(m); /* not started by a master */
    /* a path may hold '=': the number is after the last one */
    snprintf(env, sizeof(env), "ctl=%d;state=%d;T0@127.0.0.1:80=%d;U@/tmp/a=b.sock=%d", ctl, st, l,
             u);
    setenv(LB_MW_ENV, env, 1);
    assert_int_equal(lb_mw_from_env(&m), 0);
    assert_non_null(m);
    assert_null(getenv(LB_MW_ENV)); /* nothing lbd runs inherits it */
    assert_int_equal(lb_mw_take_fd(m, "T0@127.0.0.1:80"), l);
    assert_int_equal(lb_mw_take_fd(m, "T0@127.0.0.1:80"), -1); /* once */
    assert_int_equal(lb_mw_take_fd(m, "T1@127.0.0.1:80"), -1);
    assert_int_equal(lb_mw_take_fd(m, "U@/tmp/a=b.sock"), u);
    close(l);
    close(u);
    m = lb_mw_free(m); /* closes ctl and state, never taken */
    assert_int_equal(fcntl(ctl, F_GETFD), -1);
    assert_int_equal(fcntl(st, F_GETFD), -1);
}

/* A case with `fd` set names one of our descriptors (a refused hand-over
 * may close it): "ctl=<fd>" followed by tail. */
struct bad_case {
    int fd;
    const char *text;
};

static void test_env_malformed(void **state)
{
    static const struct bad_case bad[] = {
        {0, ""},                            /* no ctl */
        {0, "state=7"},                     /* no ctl */
        {0, "ctl=abc"},                     /* not a number */
        {0, "ctl=1"},                       /* stdio is never a hand-over */
        {1, "x"},                           /* trailing junk */
        {0, "ctl=99999999999999999999"},    /* overflow */
        {1, ";T0@127.0.0.1:80"},            /* no '=' */
        {1, ";T0@127.0.0.1:80=-3"},         /* negative */
        {1, ";T0@127.0.0.1:80=2000000000"}, /* out of range */
    };
    struct lb_mw *m;
    char env[128];
    size_t i;
    int fd;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fd = devnull();
        if (bad[i].fd)
            snprintf(env, sizeof(env), "ctl=%d%s", fd, bad[i].text);
        else
            snprintf(env, sizeof(env), "%s", bad[i].text);
        m = (struct lb_mw *)&m; /* must be reset */
        setenv(LB_MW_ENV, env, 1);
        if (lb_mw_from_env(&m) >= 0)
            fail_msg("case %zu '%s' accepted", i, env);
        assert_null(m);
        assert_null(getenv(LB_MW_ENV));
        close(fd);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_env_malformed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
