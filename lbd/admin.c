/* admin.c - see admin.h. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/cmdsrv.h"
#include "common/list.h"
#include "common/log.h"
#include "lbd/admin.h"
#include "lbd/cfg.h"
#include "lbd/lbd.h"
#include "lbd/proxy.h"
#include "lbd/server.h"

#define HEALTH_PERIOD_MS 500
#define MAX_SOCKETS      16

struct sub {
    struct lk_list link;
    struct lk_cmdconn *c;
};

struct lb_admin {
    struct lk_cmdsrv *srv[MAX_SOCKETS];
    unsigned nsrv;
    struct lk_list subs;
    int last_ok;
    char *path; /* RUNDIR/lbd.sock */
};

static int cmd_help(struct lk_cmdconn *c)
{
    lk_cmdconn_printf(c, "The following commands are valid at this level:\n"
                         "  help                                    : this message\n"
                         "  prompt                                  : toggle interactive mode\n"
                         "  quit                                    : disconnect\n"
                         "  show info                               : report process information\n"
                         "  show health [json]                      : lbd's own health\n"
                         "  subscribe health                        : stream health lines\n");
    if (lk_cmdconn_level(c) >= LK_CMD_LEVEL_ADMIN)
        lk_cmdconn_printf(c, "  disable server <bk>/<srv>               : put a server in MAINT\n"
                             "  enable server <bk>/<srv>                : take a server out of "
                             "MAINT\n"
                             "  set server <bk>/<srv> state <st>        : ready, drain or maint\n");
    return 0;
}

static int cmd_show_info(struct lk_cmdconn *c, struct lb_daemon *d)
{
    uint64_t up = (lk_mono_ms() - d->start_mono_ms) / 1000;

    lk_cmdconn_printf(c,
                      "Name: lbd\nVersion: %s\nRelease_date: 2026/11/26\nNbthread: %u\n"
                      "Nbproc: 1\nProcess_num: 1\nPid: %d\nUptime: %llud %02lluh%02llum%02llus\n"
                      "Uptime_sec: %llu\nMaxconn: %u\nCurrConns: %u\nCumConns: %llu\n"
                      "Maxpipes: 0\nPipesUsed: 0\nTasks: %u\nRun_queue: 0\nnode: %s\n",
                      LBKIT_VERSION, d->nworkers, (int)getpid(), (unsigned long long)up / 86400,
                      (unsigned long long)up / 3600 % 24, (unsigned long long)up / 60 % 60,
                      (unsigned long long)up % 60, (unsigned long long)up, d->cfg->global.maxconn,
                      atomic_load(&d->actconn), (unsigned long long)atomic_load(&d->cumconn),
                      atomic_load(&d->actconn), "lbd");
    return 0;
}

static int cmd_show_health(struct lk_cmdconn *c, struct lb_daemon *d, int json)
{
    char why[256];
    int ok = lb_daemon_healthy(d, why, sizeof(why));
    json_t *o;
    char *s;

    if (!json)
        return lk_cmdconn_printf(c, "health %s %s\n", ok ? "ok" : "fail", why);
    o = json_pack("{s:b, s:s, s:I}", "healthy", ok, "detail", why, "pid", (json_int_t)getpid());
    s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (s)
        lk_cmdconn_printf(c, "%s\n", s);
    free(s);
    json_decref(o);
    return 0;
}

static void sub_closed(struct lk_cmdconn *c, void *ud)
{
    struct sub *s = ud;

    lk_list_del(&s->link);
    free(s);
}

static int cmd_subscribe(struct lk_cmdconn *c, struct lb_daemon *d)
{
    struct sub *s = calloc(1, sizeof(*s));

    if (!s)
        return lk_cmdconn_printf(c, "out of memory\n");
    s->c = c;
    lk_list_append(&d->admin_state->subs, &s->link);
    lk_cmdconn_hold(c, sub_closed, s);
    return cmd_show_health(c, d, 0);
}

/* "backend/server" into its server; prints HAProxy's error otherwise. */
static struct lb_server *find_server(struct lk_cmdconn *c, struct lb_daemon *d, char *spec)
{
    char *slash = strchr(spec, '/');
    struct lb_proxy *be;
    struct lb_server *s;

    if (!slash) {
        lk_cmdconn_printf(c, "Require 'backend/server'.\n");
        return NULL;
    }
    *slash = '\0';
    be = lb_cfg_find_proxy(d->cfg, spec, LB_CAP_BE);
    *slash = '/';
    if (!be) {
        lk_cmdconn_printf(c, "No such backend.\n");
        return NULL;
    }
    s = lb_server_find(be, slash + 1);
    if (!s)
        lk_cmdconn_printf(c, "No such server.\n");
    return s;
}

static int cmd_server_state(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    struct lb_server *s;
    const char *st;

    if (lk_cmdconn_level(c) < LK_CMD_LEVEL_ADMIN)
        return lk_cmdconn_printf(c, LK_CMD_PERMISSION_DENIED);
    if (argc < 3)
        return lk_cmdconn_printf(c, "Require 'backend/server'.\n");
    s = find_server(c, d, argv[2]);
    if (!s)
        return 0;
    if (strcmp(argv[0], "disable") == 0)
        st = "maint";
    else if (strcmp(argv[0], "enable") == 0)
        st = "ready";
    else if (argc == 5 && strcmp(argv[3], "state") == 0)
        st = argv[4];
    else
        return lk_cmdconn_printf(c, "'set server <srv> state' expects 'ready', 'drain' and "
                                    "'maint'.\n");
    if (strcmp(st, "ready") == 0)
        lb_server_set_state(s, LB_SRV_UP);
    else if (strcmp(st, "drain") == 0)
        lb_server_set_state(s, LB_SRV_DRAIN);
    else if (strcmp(st, "maint") == 0)
        lb_server_set_state(s, LB_SRV_MAINT);
    else
        return lk_cmdconn_printf(c, "'set server <srv> state' expects 'ready', 'drain' and "
                                    "'maint'.\n");
    lk_log(LK_LOG_NOTICE, "Server %s/%s is %s (by the admin socket)", s->be->name, s->name,
           lb_srv_state_name(atomic_load(&s->state)));
    return 0;
}

static int dispatch(struct lk_cmdconn *c, int argc, char **argv, void *ud)
{
    struct lb_daemon *d = ud;
    const char *a0 = argv[0], *a1 = argc > 1 ? argv[1] : "";

    if (strcmp(a0, "help") == 0)
        return cmd_help(c);
    if (strcmp(a0, "show") == 0 && strcmp(a1, "info") == 0)
        return cmd_show_info(c, d);
    if (strcmp(a0, "show") == 0 && strcmp(a1, "health") == 0)
        return cmd_show_health(c, d, argc > 2 && strcmp(argv[2], "json") == 0);
    if (strcmp(a0, "subscribe") == 0 && strcmp(a1, "health") == 0)
        return cmd_subscribe(c, d);
    if ((strcmp(a0, "disable") == 0 || strcmp(a0, "enable") == 0) && strcmp(a1, "server") == 0)
        return cmd_server_state(c, d, argc, argv);
    if (strcmp(a0, "set") == 0 && strcmp(a1, "server") == 0)
        return cmd_server_state(c, d, argc, argv);
    return -ENOENT;
}

static void health_tick(uv_timer_t *t)
{
    struct lb_daemon *d = t->data;
    struct lb_admin *a = d->admin_state;
    struct lk_list *it, *nx;
    char why[256];
    int ok = lb_daemon_healthy(d, why, sizeof(why));

    if (ok != a->last_ok)
        lk_log(ok ? LK_LOG_NOTICE : LK_LOG_WARNING, "health: %s (%s)", ok ? "ok" : "FAIL", why);
    a->last_ok = ok;
    LK_LIST_FOREACH_SAFE(it, nx, &a->subs)
    {
        struct sub *s = LK_LIST_ELEM(it, struct sub, link);

        /* a subscriber that does not read is dropped, never waited for */
        if (lk_cmdconn_printf(s->c, "health %s %s\n", ok ? "ok" : "fail", why) == -ENOBUFS)
            lk_cmdconn_close(s->c);
    }
}

static int start_one(struct lb_daemon *d, const struct lk_cmdsrv_opts *o)
{
    struct lb_admin *a = d->admin_state;
    int r;

    if (a->nsrv >= MAX_SOCKETS)
        return lk_log_errno(-E2BIG, LK_LOG_ERR, "too many stats sockets (max %d)", MAX_SOCKETS);
    r = lk_cmdsrv_start(&a->srv[a->nsrv], &d->loop, o, dispatch, d);
    if (r < 0)
        return lk_log_errno(r, LK_LOG_ERR, "admin socket %s: %m%s", o->path,
                            r == -EADDRINUSE ? " (another lbd is running there)" : "");
    a->nsrv++;
    return 0;
}

int lb_admin_start(struct lb_daemon *d)
{
    struct lk_cmdsrv_opts o = {.mode = 0660, .uid = (uid_t)-1, .gid = (gid_t)-1,
                               .level = LK_CMD_LEVEL_ADMIN, .max_out = 1 << 20};
    const struct lb_sock_cfg *sc;
    struct lb_admin *a;
    int r;

    a = calloc(1, sizeof(*a));
    if (!a || asprintf(&a->path, "%s/lbd.sock", d->rundir) < 0) {
        free(a);
        return -ENOMEM;
    }
    lk_list_init(&a->subs);
    a->last_ok = 1;
    d->admin_state = a;
    o.path = a->path;
    r = start_one(d, &o);
    for (sc = d->cfg->global.sockets; sc && r == 0; sc = sc->next) {
        struct lk_cmdsrv_opts so = {.path = sc->path, .mode = sc->mode, .uid = sc->uid,
                                    .gid = sc->gid, .level = sc->level, .max_out = 1 << 20};

        r = start_one(d, &so);
    }
    return r;
}

void lb_admin_run(struct lb_daemon *d)
{
    uv_timer_start(&d->health_tick, health_tick, HEALTH_PERIOD_MS, HEALTH_PERIOD_MS);
}

void lb_admin_stop(struct lb_daemon *d)
{
    struct lb_admin *a = d->admin_state;
    unsigned i;

    if (!a)
        return;
    uv_timer_stop(&d->health_tick);
    for (i = 0; i < a->nsrv; i++)
        lk_cmdsrv_stop(a->srv[i]);
    a->nsrv = 0;
}

void lb_admin_free(struct lb_daemon *d)
{
    struct lb_admin *a = d->admin_state;

    if (!a)
        return;
    free(a->path);
    free(a);
    d->admin_state = NULL;
}
