/* test_track.c - the trackers on a real loop: track_lbd against a server
 * speaking lbd's "subscribe health" contract through common/cmdsrv (the
 * same code lbd's admin socket uses): ok, "health fail", EOF, a silent
 * (hung) peer caught by the timeout, reconnection; vrrp_script rise/fall;
 * track_interface; the priority/fault arithmetic. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/cmdsrv.h"
#include "common/list.h"
#include "vrrpd/cfg.h"
#include "vrrpd/daemon.h"
#include "vrrpd/inst.h"
#include "vrrpd/track.h"
#include "vrrpd/track_int.h"

/* The fake lbd: answers "subscribe health" with one line and keeps the
 * connection; the test decides what else it says. */
struct fake_lbd {
    struct lk_cmdsrv *srv;
    struct lk_cmdconn *conn;
    int subscriptions;
    const char *first_line;
};

static void conn_gone(struct lk_cmdconn *c, void *ud)
{
    struct fake_lbd *f = ud;

    if (f->conn == c)
        f->conn = NULL;
}

static int fake_dispatch(struct lk_cmdconn *c, int argc, char **argv, void *ud)
{
    struct fake_lbd *f = ud;

    if (argc < 2 || strcmp(argv[0], "subscribe") || strcmp(argv[1], "health"))
        return -ENOENT;
    f->conn = c;
    f->subscriptions++;
    lk_cmdconn_hold(c, conn_gone, f);
    return lk_cmdconn_printf(c, "%s\n", f->first_line);
}

struct env {
    char dir[64];
    char sock[128];
    char conf[1024];
    struct vr_daemon d;
    struct vr_inst *inst;
    struct fake_lbd lbd;
    uv_timer_t tick;
};

static void tick(uv_timer_t *t)
{
}

/* Run the loop until pred() holds, at most max_ms of wall time (the 5 ms
 * tick bounds each turn). Counted in time, not turns: a turn returns at
 * the first event, so on a busy machine a count of turns ran out long
 * before max_ms (seen once under CI-like load). */
static int run_until(struct env *e, int (*pred)(struct env *), unsigned max_ms)
{
    uint64_t end = uv_hrtime() + (uint64_t)max_ms * 1000000u;

    while (uv_hrtime() < end) {
        if (pred(e))
            return 1;
        uv_run(&e->d.loop, UV_RUN_ONCE);
    }
    return pred(e);
}

static struct vr_track *track(struct env *e, enum vr_track_kind kind, const char *name)
{
    struct lk_list *it;

    LK_LIST_FOREACH (it, &e->inst->tracks) {
        struct vr_track *t = LK_LIST_ELEM(it, struct vr_track, link);

        if (t->kind == kind && !t->stopped && (!name || !strcmp(t->name, name)))
            return t;
    }
    fail_msg("no such track");
    abort(); /* never NULL: lets -O2 see callers cannot dereference NULL */
}

static int lbd_ok(struct env *e)
{
    return track(e, VR_TRACK_LBD, NULL)->ok;
}

static int lbd_failed(struct env *e)
{
    return !track(e, VR_TRACK_LBD, NULL)->ok;
}

static int setup(void **state)
{
    struct lk_cmdsrv_opts o = {.mode = 0600, .uid = (uid_t)-1, .gid = (gid_t)-1};
    struct env *e = calloc(1, sizeof(*e));
    char *err = NULL;

    snprintf(e->dir, sizeof(e->dir), "/tmp/vrtrack.XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    snprintf(e->sock, sizeof(e->sock), "%s/lbd.sock", e->dir);
    snprintf(e->conf, sizeof(e->conf),
             "vrrp_script bad { script /bin/false\n interval 0.05\n fall 2\n weight -20\n}\n"
             "vrrp_script good { script /bin/true\n interval 0.05\n rise 2\n init_fail\n"
             " weight 5\n}\n"
             "vrrp_instance VI_1 {\n interface lo\n virtual_router_id 1\n priority 100\n"
             " virtual_ipaddress { 192.0.2.1 }\n"
             " track_lbd {\n socket %s\n weight -10\n timeout 300\n }\n"
             " track_script {\n bad\n good\n }\n"
             " track_interface {\n lo weight -1\n nosuchif0 weight -30\n }\n}\n",
             e->sock);
    assert_int_equal(vr_cfg_load_mem("track.conf", e->conf, &e->d.cfg, &err), 0);
    assert_int_equal(uv_loop_init(&e->d.loop), 0);
    lk_list_init(&e->d.insts);
    lk_cmdsubs_init(&e->d.subs);
    uv_timer_init(&e->d.loop, &e->tick);
    uv_timer_start(&e->tick, tick, 5, 5); /* wakes UV_RUN_ONCE */
    e->lbd.first_line = "health ok 1 listeners";
    o.path = e->sock;
    assert_int_equal(lk_cmdsrv_start(&e->lbd.srv, &e->d.loop, &o, fake_dispatch, &e->lbd), 0);
    /* an instance that is not started: trackers run, the FSM stays out */
    e->inst = calloc(1, sizeof(*e->inst));
    e->inst->d = &e->d;
    e->inst->cfg = LK_LIST_ELEM(e->d.cfg->instances.next, struct vr_inst_cfg, link);
    e->inst->fd = e->inst->garp_fd = e->inst->tx_fd = -1;
    e->inst->refs = 1;
    lk_list_init(&e->inst->tracks);
    lk_list_init(&e->inst->link);
    assert_int_equal(vr_track_start_all(e->inst), 0);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;

    vr_track_stop_all(e->inst);
    if (e->lbd.srv)
        lk_cmdsrv_stop(e->lbd.srv);
    uv_close((uv_handle_t *)&e->tick, NULL);
    /* until the last script child has exited and every handle closed */
    uv_run(&e->d.loop, UV_RUN_DEFAULT);
    assert_true(lk_list_empty(&e->inst->tracks)); /* every tracker released */
    vr_inst_unref(e->inst);
    assert_int_equal(uv_loop_close(&e->d.loop), 0);
    vr_cfg_free(e->d.cfg);
    unlink(e->sock);
    rmdir(e->dir);
    free(e);
    return 0;
}

static void lbd_contract(void **state)
{
    struct env *e = *state;
    struct vr_track *t;

    t = track(e, VR_TRACK_LBD, NULL);
    assert_false(t->ok); /* failed until lbd says ok */
    assert_true(run_until(e, lbd_ok, 2000));
    assert_string_equal(t->why, "lbd healthy");
    /* lbd reports a failure */
    lk_cmdconn_printf(e->lbd.conn, "health fail backend 'web' has no server available\n");
    assert_true(run_until(e, lbd_failed, 1000));
    assert_string_equal(t->why, "lbd reports failure: backend 'web' has no server available");
    lk_cmdconn_printf(e->lbd.conn, "health ok back\n");
    assert_true(run_until(e, lbd_ok, 1000));
    /* lbd dies: EOF */
    lk_cmdconn_close(e->lbd.conn);
    assert_true(run_until(e, lbd_failed, 1000));
    assert_string_equal(t->why, "lbd socket closed");
    /* vrrpd reconnects by itself (200 ms) and subscribes again */
    assert_true(run_until(e, lbd_ok, 2000));
    assert_int_equal(e->lbd.subscriptions, 2);
    /* lbd hangs: connected, silent; the 300 ms timeout catches it */
    assert_true(run_until(e, lbd_failed, 2000));
    assert_string_equal(t->why, "no health line from lbd for 300 ms (hung?)");
    /* lbd gone for good: connection refused, still failed, no crash */
    lk_cmdsrv_stop(e->lbd.srv);
    e->lbd.srv = NULL;
    assert_true(run_until(e, lbd_failed, 500));
}

static int scripts_settled(struct env *e)
{
    return !track(e, VR_TRACK_SCRIPT, "bad")->ok && track(e, VR_TRACK_SCRIPT, "good")->ok;
}

static void scripts_interfaces_and_effect(void **state)
{
    struct env *e = *state;
    uint8_t prio;
    bool fault;

    /* before anything ran: good starts failed (init_fail), bad ok */
    assert_false(track(e, VR_TRACK_SCRIPT, "good")->ok);
    assert_true(track(e, VR_TRACK_SCRIPT, "bad")->ok);
    assert_true(track(e, VR_TRACK_IFACE, "lo")->ok);
    assert_false(track(e, VR_TRACK_IFACE, "nosuchif0")->ok);
    assert_string_equal(track(e, VR_TRACK_IFACE, "nosuchif0")->why, "no such interface");
    assert_true(run_until(e, scripts_settled, 3000));
    assert_string_equal(track(e, VR_TRACK_SCRIPT, "bad")->why, "script exited with 1");
    assert_true(run_until(e, lbd_ok, 2000));
    /* 100 - 20 (bad) + 5 (good, positive weight while ok) - 30 (missing
     * interface) = 55 */
    vr_track_effect(e->inst, &prio, &fault);
    assert_int_equal(prio, 55);
    assert_false(fault);
    /* a link event for lo: its tracker follows */
    vr_track_link_changed(e->inst, 1, false);
    vr_track_effect(e->inst, &prio, &fault);
    assert_int_equal(prio, 54);
    vr_track_link_changed(e->inst, 1, true);
    vr_track_effect(e->inst, &prio, &fault);
    assert_int_equal(prio, 55);
}

static void weight_zero_is_fault(void **state)
{
    struct env *e = *state;
    struct vr_track *t = track(e, VR_TRACK_LBD, NULL);
    uint8_t prio;
    bool fault;

    t->weight = 0;
    t->ok = false;
    vr_track_effect(e->inst, &prio, &fault);
    assert_true(fault);
    t->ok = true;
    vr_track_effect(e->inst, &prio, &fault);
    assert_false(fault);
}

/* track_process's rule, Keepalived's: the name is exact (not pgrep's
 * substring), 15 characters at most; parameters exact, partial, initial. */
/* the config keeps argv writable; these literals are only read */
#define W(a) ((char **)(uintptr_t)(a))

static void tproc_matching(void **state)
{
    const char *hap[] = {"haproxy", NULL}, *ng[] = {"nginx", NULL};
    const char *longname[] = {"a-very-long-process-name", NULL};
    const char *full[] = {"/usr/sbin/haproxy", "-f", "/etc/h.cfg", NULL};
    const char *init[] = {"/usr/bin/java", "-jar", "/opt/app/app", NULL};
    const char *a1[] = {"/usr/sbin/haproxy", "-f", "/etc/h.cfg"};
    const char *a2[] = {"/usr/sbin/haproxy", "-f", "/etc/h.cfg", "-p", "/run/h.pid"};
    const char *a3[] = {"/usr/sbin/haproxy", "-f"};
    const char *j1[] = {"/usr/bin/java", "-jar", "/opt/app/app-2.1.jar"};
    const char *j2[] = {"/usr/bin/java", "-jar", "/opt/other.jar"};
    struct vr_tproc_cfg c = {.argv = W(hap), .argc = 1};

    assert_true(vr__tproc_match(&c, "haproxy", NULL, 0));
    assert_false(vr__tproc_match(&c, "haproxy-wrapper", NULL, 0));
    c.argv = W(ng);
    assert_false(vr__tproc_match(&c, "nginx:", NULL, 0));
    assert_true(vr__tproc_match(&c, "nginx", NULL, 0));
    c.argv = W(longname); /* comm keeps "a-very-long-pro" */
    assert_true(vr__tproc_match(&c, "a-very-long-pro", NULL, 0));
    assert_false(vr__tproc_match(&c, "a-very-long", NULL, 0));
    c = (struct vr_tproc_cfg){.argv = W(full), .argc = 3, .has_params = true};
    assert_true(vr__tproc_match(&c, "haproxy", a1, 3));
    assert_false(vr__tproc_match(&c, "haproxy", a2, 5)); /* exact: as many */
    assert_false(vr__tproc_match(&c, "haproxy", a3, 2));
    c.match = VR_PARAM_PARTIAL;
    assert_true(vr__tproc_match(&c, "haproxy", a2, 5));
    assert_false(vr__tproc_match(&c, "haproxy", a3, 2));
    c = (struct vr_tproc_cfg){
        .argv = W(init), .argc = 3, .has_params = true, .match = VR_PARAM_INITIAL};
    assert_true(vr__tproc_match(&c, "java", j1, 3));
    assert_false(vr__tproc_match(&c, "java", j2, 3));
    assert_false(vr__tproc_match(&c, "java", NULL, 0)); /* a kernel thread */
}

/* track_file's arithmetic (value x weight, weight 0 and below -253 are
 * FAULT) and "reverse" on an ok/failed item. */
static void file_value_and_reverse(void **state)
{
    struct env *e = *state;
    struct vr_track *t = track(e, VR_TRACK_LBD, NULL);
    uint8_t prio, base;
    bool fault;

    t->ok = true;
    vr_track_effect(e->inst, &base, &fault);
    t->valued = true;
    t->weight = -10;
    t->value = 2;
    vr_track_effect(e->inst, &prio, &fault);
    assert_int_equal(prio, base - 20);
    assert_false(fault);
    t->value = 30; /* -300: below -253 */
    vr_track_effect(e->inst, &prio, &fault);
    assert_true(fault);
    t->weight = 0;
    t->value = 1;
    vr_track_effect(e->inst, &prio, &fault);
    assert_true(fault);
    t->value = 0;
    vr_track_effect(e->inst, &prio, &fault);
    assert_false(fault);
    t->weight = 2;
    t->value = 3;
    t->reverse = true;
    vr_track_effect(e->inst, &prio, &fault);
    assert_int_equal(prio, base - 6);
    /* an ok/failed item: reverse swaps the two and flips the weight */
    t->valued = false;
    t->weight = 0; /* weight 0 reverse: FAULT while ok */
    t->ok = true;
    vr_track_effect(e->inst, &prio, &fault);
    assert_true(fault);
    t->ok = false;
    vr_track_effect(e->inst, &prio, &fault);
    assert_false(fault);
    t->weight = 10; /* +10 while ok becomes -10 while ok */
    t->ok = true;
    vr_track_effect(e->inst, &prio, &fault);
    assert_int_equal(prio, base - 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(lbd_contract, setup, teardown),
        cmocka_unit_test_setup_teardown(scripts_interfaces_and_effect, setup, teardown),
        cmocka_unit_test_setup_teardown(weight_zero_is_fault, setup, teardown),
        cmocka_unit_test_setup_teardown(file_value_and_reverse, setup, teardown),
        cmocka_unit_test(tproc_matching),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
