/* test_spawn.c - scripts run from the loop: exit codes, signals, the
 * timeout kill, extra arguments, a missing program, and an owner that goes
 * away before its script ends. The loop must close with nothing left. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/clock.h"
#include "vrrpd/spawn.h"

struct result {
    int status;
    int calls;
};

static void done(int status, void *ud)
{
    struct result *r = ud;

    r->status = status;
    r->calls++;
}

static int run(const char *cmd, const char *const *extra, uint32_t timeout_ms, uint64_t *ret_ms)
{
    struct result res = {0};
    uint64_t t0 = lk_mono_ms();
    uv_loop_t loop;

    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(vr_spawn(&loop,
                              &(struct vr_spawn_cmd){cmd, extra, (uid_t)-1, (gid_t)-1, timeout_ms},
                              done, &res, NULL),
                     0);
    assert_int_equal(res.calls, 0); /* never from within vr_spawn() */
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_int_equal(res.calls, 1);
    if (ret_ms)
        *ret_ms = lk_mono_ms() - t0;
    return res.status;
}

static void exit_codes(void **state)
{
    assert_int_equal(run("/bin/true", NULL, 0, NULL), 0);
    assert_int_equal(run("/bin/false", NULL, 0, NULL), 1);
    assert_int_equal(run("/bin/sh -c exit\\ 7", NULL, 0, NULL), 7);
    /* found through PATH, as Keepalived's "service haproxy status" */
    assert_int_equal(run("test -d /", NULL, 0, NULL), 0);
}

static void extra_args(void **state)
{
    const char *const extra[] = {"INSTANCE", "VI_1", "MASTER", "101", NULL};
    /* the script checks its own arguments */
    const char *cmd = "/bin/sh -c '[ \"$*\" = \"INSTANCE VI_1 MASTER 101\" ]' sh";
    assert_int_equal(run(cmd, extra, 0, NULL), 0);
    assert_int_equal(run(cmd, NULL, 0, NULL), 1);
}

static void timeout_kills(void **state)
{
    uint64_t ms;

    assert_int_equal(run("/bin/sleep 5", NULL, 100, &ms), -ETIMEDOUT);
    assert_true(ms >= 100 && ms < 2000);
}

/* 1 while pid exists and is not a zombie. */
static int alive(int pid)
{
    char path[64], buf[256];
    FILE *f;
    char *p;
    int r = 0;

    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    f = fopen(path, "r");
    if (!f)
        return 0;
    if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) != NULL)
        r = p[2] != 'Z';
    fclose(f);
    return r;
}

static void timeout_kills_the_group(void **state)
{
    char cmd[256], path[] = "/tmp/vrspawn.XXXXXX";
    int fd = mkstemp(path), pid = 0, k;
    FILE *f;

    assert_true(fd >= 0);
    close(fd);
    /* the script starts a grandchild, records its pid, and waits */
    snprintf(cmd, sizeof(cmd), "/bin/sh -c sleep\\ 30&echo\\ $!>%s;wait", path);
    assert_int_equal(run(cmd, NULL, 200, NULL), -ETIMEDOUT);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%d", &pid), 1);
    fclose(f);
    unlink(path);
    for (k = 0; k < 100 && alive(pid); k++)
        usleep(10000);
    assert_false(alive(pid));
}

static void killed_by_signal(void **state)
{
    assert_int_equal(run("/bin/sh -c kill\\ -TERM\\ $$", NULL, 0, NULL), -SIGTERM);
}

static void missing_program(void **state)
{
    struct result res = {0};
    uv_loop_t loop;

    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(
        vr_spawn(&loop,
                 &(struct vr_spawn_cmd){"/nonexistent/script", NULL, (uid_t)-1, (gid_t)-1, 0}, done,
                 &res, NULL),
        UV_ENOENT);
    assert_int_equal(vr_spawn(&loop, &(struct vr_spawn_cmd){"   ", NULL, (uid_t)-1, (gid_t)-1, 0},
                              done, &res, NULL),
                     -EINVAL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_int_equal(res.calls, 0);
}

/* Keepalived's splitting of script command lines, as public files rely on:
 * quotes group and go, a backslash escapes (before, quotes stayed in the
 * words: "sh -c 'a b'" ran sh -c "'a" "b'"). */
static void split_like_keepalived(void **state)
{
    static const struct {
        const char *line;
        int argc;
        const char *words; /* argv joined with '|' */
    } cases[] = {
        {"/bin/true", 1, "/bin/true"},
        {"  killall  -0\thaproxy ", 3, "killall|-0|haproxy"},
        {"/bin/sh -c 'pidof haproxy >/dev/null'", 3, "/bin/sh|-c|pidof haproxy >/dev/null"},
        {"\"/etc/keepalived/check.sh\"", 1, "/etc/keepalived/check.sh"},
        {"curl -s \"http://x/a b\" -o /dev/null", 5, "curl|-s|http://x/a b|-o"},
        {"a\\ b 'it''s' \"q'q\"", 3, "a b|its|q'q"},
        {"sh -c 'unclosed", -EINVAL, ""},
    };
    size_t k;

    for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char line[128], got[128] = "", *argv[9];
        int n, i;

        snprintf(line, sizeof(line), "%s", cases[k].line);
        n = vr_spawn_split(line, argv, 8);
        assert_int_equal(n, cases[k].argc);
        for (i = 0; i < n && i < 4; i++)
            snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? "|" : "", argv[i]);
        assert_string_equal(got, cases[k].words);
    }
}

static void forgotten_owner(void **state)
{
    struct result res = {0};
    struct vr_child *c = NULL;
    uv_loop_t loop;

    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(
        vr_spawn(&loop, &(struct vr_spawn_cmd){"/bin/sleep 0.05", NULL, (uid_t)-1, (gid_t)-1, 0},
                 done, &res, &c),
        0);
    vr_spawn_forget(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_int_equal(res.calls, 0);
}

/* script_user: the script runs with that user's uid and gid. */
static void runs_as_user(void **state)
{
    struct result res = {0};
    char cmd[128];
    uv_loop_t loop;
    uid_t uid = 0;
    gid_t gid = 0;

    if (getuid() != 0 || vr_spawn_user("nobody", NULL, &uid, &gid) < 0)
        skip();
    snprintf(cmd, sizeof(cmd), "/bin/sh -c test\\ $(id\\ -u)\\ =\\ %u\\ -a\\ $(id\\ -g)\\ =\\ %u",
             (unsigned)uid, (unsigned)gid);
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(
        vr_spawn(&loop, &(struct vr_spawn_cmd){cmd, NULL, uid, gid, 2000}, done, &res, NULL), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_int_equal(res.calls, 1);
    assert_int_equal(res.status, 0);
    /* and the same check fails as ourselves (root) */
    assert_int_equal(run(cmd, NULL, 2000, NULL), 1);
}

static void user_lookup(void **state)
{
    uid_t uid;
    gid_t gid;

    assert_int_equal(vr_spawn_user("root", NULL, &uid, &gid), 0);
    assert_int_equal(uid, 0);
    assert_int_equal(vr_spawn_user("no-such-user-lbkit", NULL, &uid, &gid), -ENOENT);
    assert_int_equal(vr_spawn_user("root", "no-such-group-lbkit", &uid, &gid), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exit_codes),
        cmocka_unit_test(extra_args),
        cmocka_unit_test(timeout_kills),
        cmocka_unit_test(timeout_kills_the_group),
        cmocka_unit_test(killed_by_signal),
        cmocka_unit_test(missing_program),
        cmocka_unit_test(split_like_keepalived),
        cmocka_unit_test(forgotten_owner),
        cmocka_unit_test(user_lookup),
        cmocka_unit_test(runs_as_user),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
