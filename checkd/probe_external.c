/* probe_external.c - HAProxy's "option external-check": the target's
 * command runs with the arguments and environment lbd built for it (see
 * feed_target.ext_*); exit status 0 is PROCOK, any other PROCERR with the
 * status as the code, no exit within the check's timeout PROCTOUT (the
 * process is killed). A command that cannot be executed is PROCERR code
 * 255, the status HAProxy's forked child exits with then. stdin is
 * /dev/null; stdout and stderr are checkd's, as HAProxy's are. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "checkd/probe_int.h"

struct ext_probe {
    struct chk_probe base;
    uv_process_t proc;
    uv_timer_t timer;
    int handles;
    int running;   /* the process has not exited yet */
    int spawn_err; /* no process handle to close (the timer reports) */
    /* uv_spawn() takes mutable strings: the target's, copied */
    char argv[FEED_EXT_ARGS][FEED_EXT_MAX];
    char env[FEED_EXT_ENV][FEED_EXT_MAX];
};

static void ep_closed(uv_handle_t *h)
{
    struct ext_probe *e = h->data;

    if (--e->handles == 0)
        free(e);
}

/* Both handles close once the result is out (or the probe is cancelled)
 * and the process is gone; a killed one is reaped by its exit callback. */
static void ep_close_if_done(struct ext_probe *e)
{
    if (!e->base.finished || e->running)
        return;
    if (!uv_is_closing((uv_handle_t *)&e->timer))
        uv_close((uv_handle_t *)&e->timer, ep_closed);
    if (!e->spawn_err && !uv_is_closing((uv_handle_t *)&e->proc))
        uv_close((uv_handle_t *)&e->proc, ep_closed);
}

static void ep_exit(uv_process_t *p, int64_t status, int term_signal)
{
    struct ext_probe *e = p->data;
    struct chk_result r = {.code = -1, .read_only = -1};

    e->running = 0;
    if (!e->base.finished) {
        /* a signal other than our kill: no exit status, a failure */
        chk_result_haproxy(&r, status == 0 && !term_signal ? FEED_RES_PROCOK : FEED_RES_PROCERR,
                           term_signal ? 255 : (int)status, NULL);
        chk__probe_finish(&e->base, &r);
    }
    ep_close_if_done(e);
}

/* The timeout, or the deferred report of a command that could not run. */
static void ep_timer(uv_timer_t *t)
{
    struct ext_probe *e = t->data;
    struct chk_result r = {.code = -1, .read_only = -1};

    if (e->spawn_err)
        chk_result_haproxy(&r, FEED_RES_PROCERR, 255, NULL);
    else
        chk_result_haproxy(&r, FEED_RES_PROCTOUT, 0, NULL);
    if (e->running)
        uv_process_kill(&e->proc, SIGKILL);
    chk__probe_finish(&e->base, &r);
    ep_close_if_done(e);
}

static void ep_cancel(struct chk_probe *p)
{
    struct ext_probe *e = (struct ext_probe *)p;

    p->finished = 1;
    if (e->running)
        uv_process_kill(&e->proc, SIGKILL);
    ep_close_if_done(e);
}

/* The target's environment and nothing else, as HAProxy 2.6 runs it. */
static char **build_env(struct ext_probe *e)
{
    const struct feed_target *cfg = e->base.cfg;
    char **env = calloc(cfg->next_env + 1, sizeof(*env));
    unsigned j;

    for (j = 0; env && j < cfg->next_env; j++)
        env[j] = memcpy(e->env[j], cfg->ext_env[j], FEED_EXT_MAX);
    return env;
}

/* 1: running; 0: no memory for the environment (nothing initialised);
 * a negative libuv code: uv_spawn() failed (its handle still to close). */
static int ep_spawn(struct ext_probe *e)
{
    const struct feed_target *cfg = e->base.cfg;
    uv_process_options_t o;
    uv_stdio_container_t io[3];
    char *argv[FEED_EXT_ARGS + 1];
    char **env = build_env(e);
    int i, r;

    if (!env)
        return 0;
    for (i = 0; i < FEED_EXT_ARGS && cfg->ext_argv[i][0]; i++)
        argv[i] = memcpy(e->argv[i], cfg->ext_argv[i], FEED_EXT_MAX);
    argv[i] = NULL;
    memset(&o, 0, sizeof(o));
    io[0].flags = UV_IGNORE;
    io[1].flags = io[2].flags = UV_INHERIT_FD;
    io[1].data.fd = 1;
    io[2].data.fd = 2;
    o.file = argv[0];
    o.args = argv;
    o.env = env;
    o.stdio = io;
    o.stdio_count = 3;
    o.exit_cb = ep_exit;
    r = uv_spawn(e->base.loop, &e->proc, &o);
    free(env);
    return r < 0 ? r : 1;
}

int chk__external_start(struct chk_probe **ret, const struct chk_probe *base)
{
    struct ext_probe *e;
    int r;

    if (!base->cfg->ext_argv[0][0])
        return -EINVAL;
    e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->base = *base;
    e->base.cancel = ep_cancel;
    uv_timer_init(e->base.loop, &e->timer);
    e->timer.data = e->proc.data = e;
    e->handles = 1;
    r = ep_spawn(e);
    if (r == 0) {
        e->base.finished = 1;
        e->spawn_err = 1;
        ep_close_if_done(e);
        return -ENOMEM;
    }
    /* uv_spawn() initialises the handle even when the exec fails: closed
     * here, and the timer reports the failure on the next iteration */
    e->handles = 2;
    if (r < 0) {
        uv_close((uv_handle_t *)&e->proc, ep_closed);
        e->spawn_err = 1;
        uv_timer_start(&e->timer, ep_timer, 0, 0);
    } else {
        e->running = 1;
        uv_timer_start(&e->timer, ep_timer, e->base.timeout_ms, 0);
    }
    *ret = &e->base;
    return 0;
}
