/* mcli.c - see mcli.h. Runs on the master's loop. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cmdsrv.h"
#include "common/list.h"
#include "common/log.h"
#include "lbd/ctl/mcli.h"

/* The master's health stream has the same period and format as a worker's
 * admin socket, so vrrpd's track_lbd can follow either one. */
#define HEALTH_PERIOD_MS 500

struct lb_mcli {
    struct lk_cmdsrv *srv;
    uv_timer_t tick;
    struct lk_cmdsubs subs;
    const struct lb_mcli_ops *ops;
    void *ud;
    /* The master's own verdict (lb_master's healthy op): the serving worker's
     * last health line while it is fresh. */
};

static int health_line(struct lk_cmdconn *c, struct lb_mcli *m)
{
    char why[320];
    int ok = m->ops->healthy(m->ud, why, sizeof(why));

    return lk_cmdconn_printf(c, "health %s %s\n", ok ? "ok" : "fail", why);
}

static int cmd_subscribe(struct lk_cmdconn *c, struct lb_mcli *m)
{
    int r = lk_cmdsubs_add(&m->subs, c);

    if (r < 0)
        return lk_cmdconn_printf(c, r == -EALREADY ? "Already subscribed.\n" : "Out of memory.\n");
    return health_line(c, m);
}

static void health_tick(uv_timer_t *t)
{
    struct lb_mcli *m = t->data;
    char why[320], line[340];
    int ok = m->ops->healthy(m->ud, why, sizeof(why));
    int n = snprintf(line, sizeof(line), "health %s %s\n", ok ? "ok" : "fail", why);

    lk_cmdsubs_send(&m->subs, line, (size_t)LK_MIN(n, (int)sizeof(line) - 1));
}

static int cmd_show_proc(struct lk_cmdconn *c, struct lb_mcli *m)
{
    struct lk_sb sb = LK_SB_INIT;
    int r;

    m->ops->show_proc(m->ud, &sb);
    r = sb.oom ? lk_cmdconn_printf(c, "Out of memory.\n") : lk_cmdconn_write(c, sb.buf, sb.len);
    lk_sb_free(&sb);
    return r;
}

/* The reload is only started here: its result (the new worker ready, or the
 * reload failed) comes later, so Success=1 means "accepted", as in HAProxy
 * 2.7's master CLI. */
static int cmd_reload(struct lk_cmdconn *c, struct lb_mcli *m)
{
    int r = m->ops->reload(m->ud);

    /* HAProxy 2.7's answer; the outcome is in the log and "show proc" */
    if (r == 0)
        return lk_cmdconn_printf(c, "Success=1\n");
    return lk_cmdconn_printf(c, "Success=0\n--\n%s\n",
                             r == -EBUSY       ? "a worker is starting"
                             : r == -ESHUTDOWN ? "stopping"
                                               : "see the log for the error");
}

static const char help[] = "The following commands are valid at this level:\n"
                           "  help                  : this message\n"
                           "  show proc             : show the master and worker processes\n"
                           "  reload                : reload the configuration (as SIGUSR2)\n"
                           "  show health           : the health vrrpd's track_lbd follows\n"
                           "  subscribe health      : stream health lines every 500 ms\n"
                           "  prompt                : toggle interactive mode with prompt\n"
                           "  quit                  : disconnect\n";

/* Commands are matched whole (no prefixes), so "reload" cannot be typed by
 * accident as the start of another command. */
static int is(int argc, char **argv, const char *w0, const char *w1)
{
    return argc == (w1 ? 2 : 1) && strcmp(argv[0], w0) == 0 && (!w1 || strcmp(argv[1], w1) == 0);
}

static int dispatch(struct lk_cmdconn *c, int argc, char **argv, void *ud)
{
    struct lb_mcli *m = ud;

    if (strcmp(argv[0], "help") == 0)
        return lk_cmdconn_printf(c, "%s", help);
    if (is(argc, argv, "show", "proc"))
        return cmd_show_proc(c, m);
    if (is(argc, argv, "show", "health"))
        return health_line(c, m);
    if (is(argc, argv, "subscribe", "health"))
        return cmd_subscribe(c, m);
    if (is(argc, argv, "reload", NULL))
        return cmd_reload(c, m);
    return -ENOENT;
}

/* Mode 0600 at admin level: the master CLI can reload the service and see
 * every process, so only its owner (root, usually) may connect. */
int lb_mcli_start(struct lb_mcli **ret,
                  uv_loop_t *loop,
                  const char *path,
                  const struct lb_mcli_ops *ops,
                  void *ud)
{
    struct lk_cmdsrv_opts o = {.path = path,
                               .mode = 0600,
                               .uid = (uid_t)-1,
                               .gid = (gid_t)-1,
                               .level = LK_CMD_LEVEL_ADMIN};
    struct lb_mcli *m = calloc(1, sizeof(*m));
    int r;

    if (!m)
        return -ENOMEM;
    m->ops = ops;
    m->ud = ud;
    lk_cmdsubs_init(&m->subs);
    r = lk_cmdsrv_start(&m->srv, loop, &o, dispatch, m);
    if (r < 0) {
        free(m);
        return lk_log_errno(r, LK_LOG_ERR, "master CLI %s: %m", path);
    }
    uv_timer_init(loop, &m->tick);
    m->tick.data = m;
    uv_timer_start(&m->tick, health_tick, HEALTH_PERIOD_MS, HEALTH_PERIOD_MS);
    *ret = m;
    return 0;
}

static void tick_closed(uv_handle_t *h)
{
    free(h->data);
}

/* Subscribers are dropped first so no tick writes to a closing connection;
 * the struct is freed by the timer's close callback, the last handle it owns. */
void lb_mcli_stop(struct lb_mcli *m)
{
    if (!m)
        return;
    lk_cmdsubs_abort(&m->subs);
    lk_cmdsrv_stop(m->srv);
    uv_close((uv_handle_t *)&m->tick, tick_closed);
}
