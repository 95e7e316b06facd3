/* test_args.c - the command line shared by lbd, checkd and vrrpd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/args.h"

static const struct lk_args_spec plain = {"lbd", "config", NULL, NULL, 1};
static const struct lk_args_spec vrrp = {"vrrpd", "config", "/etc/keepalived/keepalived.conf", "t",
                                         0};

struct case_ {
    const struct lk_args_spec *spec;
    const char *argv[8];
    int ret;
    const char *file, *rundir;
    int check, debug;
    int mw;            /* -W */
    const char *msock; /* -S */
};

static const struct case_ cases[] = {
    {&plain, {"lbd"}, -1, NULL, "/run/lbkit", 0, 0, 0, NULL},
    {&plain,
     {"lbd", "-f", "/x.cfg", "-R", "/tmp/r", "-c", "-d"},
     -1,
     "/x.cfg",
     "/tmp/r",
     1,
     1,
     0,
     NULL},
    {&plain, {"lbd", "-t"}, 1, NULL, NULL, 0, 0, 0, NULL}, /* -t is vrrpd's only */
    {&plain, {"lbd", "extra"}, 1, NULL, NULL, 0, 0, 0, NULL},
    {&plain, {"lbd", "-f"}, 1, NULL, NULL, 0, 0, 0, NULL},
    {&plain, {"lbd", "-v"}, 0, NULL, NULL, 0, 0, 0, NULL},
    {&plain, {"lbd", "-h"}, 0, NULL, NULL, 0, 0, 0, NULL},
    {&vrrp, {"vrrpd", "-t"}, -1, "/etc/keepalived/keepalived.conf", "/run/lbkit", 1, 0, 0, NULL},
    {&vrrp, {"vrrpd", "-c", "-f", "k.conf"}, -1, "k.conf", "/run/lbkit", 1, 0, 0, NULL},
    /* master-worker: lbd's only */
    {&plain, {"lbd", "-W", "-f", "x"}, -1, "x", "/run/lbkit", 0, 0, 1, NULL},
    {&plain, {"lbd", "-S", "/m.sock", "-f", "x"}, -1, "x", "/run/lbkit", 0, 0, 1, "/m.sock"},
    {&plain, {"lbd", "-S"}, 1, NULL, NULL, 0, 0, 0, NULL},
    {&vrrp, {"vrrpd", "-W"}, 1, NULL, NULL, 0, 0, 0, NULL},
    {&vrrp, {"vrrpd", "-S", "/m.sock"}, 1, NULL, NULL, 0, 0, 0, NULL},
};

static void test_cases(void **state)
{
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct case_ *c = &cases[i];
        char *argv[9] = {0};
        struct lk_args a;
        int argc = 0, r;

        while (argc < 8 && c->argv[argc]) {
            argv[argc] = (char *)(uintptr_t)c->argv[argc];
            argc++;
        }
        r = lk_args_parse(argc, argv, c->spec, &a);
        if (r != c->ret)
            fail_msg("case %zu: returned %d, want %d", i, r, c->ret);
        if (r >= 0)
            continue;
        if ((c->file == NULL) != (a.file == NULL) || (c->file && strcmp(c->file, a.file) != 0))
            fail_msg("case %zu: file %s", i, a.file ? a.file : "(null)");
        assert_string_equal(a.rundir, c->rundir);
        assert_int_equal(a.check, c->check);
        assert_int_equal(a.debug, c->debug);
        assert_int_equal(a.master_worker, c->mw);
        if ((c->msock == NULL) != (a.master_sock == NULL) ||
            (c->msock && strcmp(c->msock, a.master_sock) != 0))
            fail_msg("case %zu: master socket %s", i, a.master_sock ? a.master_sock : "(null)");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_cases)};

    return cmocka_run_group_tests(tests, NULL, NULL);
}
