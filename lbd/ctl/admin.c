/* admin.c - see admin.h. Commands are a table (words, level, handler,
 * help); server-changing commands live in admin_srv.c. */
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
#include "common/strbuf.h"
#include "lbd/cfg/cfg.h"
#include "lbd/cfg/peers_cfg.h"
#include "lbd/cfg/proxy.h"
#include "lbd/core/daemon.h"
#include "lbd/core/mwlink.h"
#include "lbd/core/peers.h"
#include "lbd/core/server.h"
#include "lbd/core/stktable.h"
#include "lbd/core/worker.h"
#include "lbd/ctl/admin.h"
#include "lbd/ctl/admin_int.h"
#include "lbd/ctl/errors.h"
#include "lbd/ctl/stats.h"

/* The health line's period, also the base of stats rate sampling
 * (lb_stats_tick runs every second tick). vrrpd's track_lbd counts lbd as
 * hung when no line arrives within its timeout, which must therefore stay
 * well above this period. */
#define HEALTH_PERIOD_MS 500
#define MAX_SOCKETS      16

/* One per daemon, on the control thread. subs holds the connections that
 * asked "subscribe health"; they are dropped by lk_cmdsubs when they close.
 * last_ok remembers the previous verdict so only changes are logged. */
struct lb_admin {
    struct lk_cmdsrv *srv[MAX_SOCKETS];
    unsigned nsrv;
    struct lk_cmdsubs subs;
    int last_ok;
    unsigned ticks;
    char *path; /* RUNDIR/lbd.sock */
};

/* An OOM while building a reply is answered as such rather than with a
 * truncated table, which a script parsing "show stat" would misread. */
int lb__admin_reply(struct lk_cmdconn *c, struct lk_sb *sb)
{
    int r;

    if (sb->oom) {
        lk_sb_free(sb);
        return lk_cmdconn_printf(c, "Out of memory.\n");
    }
    r = sb->len ? lk_cmdconn_write(c, sb->buf, sb->len) : 0;
    lk_sb_free(sb);
    return r;
}

static int has_word(int argc, char **argv, const char *w)
{
    int i;

    for (i = 0; i < argc; i++)
        if (strcmp(argv[i], w) == 0)
            return 1;
    return 0;
}

static int cmd_show_info(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    struct lk_sb sb = LK_SB_INIT;

    lb_stats_info(&sb, d, has_word(argc, argv, "json"));
    return lb__admin_reply(c, &sb);
}

/* show stat [{iid|-1} {type|-1} {sid|-1}] [json] */
/* HAProxy's positional filter: proxy id (or name, lbd's addition), type mask,
 * server id, each -1 for "all". atoi_safe() maps anything that is not a
 * number to -1, so a typo widens the output instead of failing, as in
 * HAProxy. */
static int cmd_show_stat(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    struct lb_stat_filter f = {-1, LB_STAT_TYPE_ALL, -1, NULL, NULL};
    struct lk_sb sb = LK_SB_INIT;
    int json = has_word(argc, argv, "json");
    int nargs = argc - 2 - json;

    if (nargs == 3) {
        struct lb_proxy *px = lb_cfg_find_proxy(d->cfg, argv[2], 0);
        int t = atoi_safe(argv[3]);

        if (px)
            f.proxy = px->name;
        else
            f.iid = atoi_safe(argv[2]);
        if (t >= 0)
            f.types = (unsigned)t;
        f.sid = atoi_safe(argv[4]);
    } else if (nargs != 0) {
        return lk_cmdconn_printf(c, "Usage: show stat [{<iid>|<proxy>|-1} {<type>|-1} "
                                    "{<sid>|-1}] [json]\n");
    }
    if (json)
        lb_stats_json(&sb, d, &f);
    else
        lb_stats_csv(&sb, d, &f, 1);
    return lb__admin_reply(c, &sb);
}

static int cmd_show_servers_state(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    struct lk_sb sb = LK_SB_INIT;

    if (lb_stats_servers_state(&sb, d, argc > 3 ? argv[3] : NULL) < 0) {
        lk_sb_free(&sb);
        return lk_cmdconn_printf(c, "Can't find backend.\n");
    }
    return lb__admin_reply(c, &sb);
}

/* The stick tables of every proxy, then those of peers sections ("table"
 * lines, named SECTION/NAME). */
static struct lb_stktable *table_find(struct lb_daemon *d, const char *name)
{
    return lb_cfg_find_table(d->cfg, name);
}

struct tlist {
    struct lb_stktable *v[256];
    size_t n;
};

static void tlist_add(struct lb_stktable *t, void *arg)
{
    struct tlist *l = arg;

    if (l->n < LK_ARRAY_SIZE(l->v))
        l->v[l->n++] = t;
}

/* "show table [NAME [data.TYPE OP VALUE] [key KEY]]", HAProxy's form. */
static int cmd_show_table(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    struct lk_sb sb = LK_SB_INIT;
    struct lb_stktable *t;
    struct lb_proxy *px;
    struct lb_stk_filter f = {NULL, -1, NULL, 0};
    int i;

    /* The array bounds how many tables are listed; a config with more than 256
     * stick tables lists the first 256 in reverse. */
    if (argc < 3) { /* last declared first, as HAProxy lists them */
        struct tlist l = {.n = 0};

        for (px = d->cfg->proxies; px; px = px->next)
            if (px->stk)
                tlist_add(px->stk, &l);
        lb_peers_each_table(d->cfg, tlist_add, &l);
        while (l.n > 0)
            lb_stk_show_list(&sb, l.v[--l.n]);
        return lb__admin_reply(c, &sb);
    }
    if (!(t = table_find(d, argv[2])))
        return lk_cmdconn_printf(c, "No such table\n");
    /* Each filter is a KEY VALUE pair, except data.TYPE which takes OP and VALUE;
     * the messages are HAProxy 2.6's so scripts that check them work. */
    for (i = 3; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "key") == 0) {
            f.key = argv[i + 1];
        } else if (strncmp(argv[i], "data.", 5) == 0 && i + 2 < argc) {
            f.data = lb_stk_data_find(argv[i] + 5, strlen(argv[i] + 5));
            f.op = argv[i + 1];
            if (f.data < 0 || !(t->store & (1u << f.data)))
                return lk_cmdconn_printf(c, "Data type not stored in this table\n");
            if (lk_parse_int(argv[i + 2], INT64_MIN, INT64_MAX, &f.val) < 0 ||
                (strcmp(f.op, "eq") && strcmp(f.op, "ne") && strcmp(f.op, "gt") &&
                 strcmp(f.op, "ge") && strcmp(f.op, "lt") && strcmp(f.op, "le")))
                return lk_cmdconn_printf(c, "Require a valid integer value to compare against\n");
            i++;
        } else {
            return lk_cmdconn_printf(
                c, "Optional argument only supports \"data.<store_data_type>\" and key\n");
        }
    }
    if (i < argc)
        return lk_cmdconn_printf(
            c, "Optional argument only supports \"data.<store_data_type>\" and key\n");
    if (lb_stk_show(&sb, t, &f, lk_mono_ms()) < 0) {
        lk_sb_free(&sb);
        return lk_cmdconn_printf(c, "Invalid key\n");
    }
    return lb__admin_reply(c, &sb);
}

/* "show peers [NAME]" */
static int cmd_show_peers(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    struct lk_sb sb = LK_SB_INIT;

    if (lb_peers_show(d, argc > 2 ? argv[2] : NULL, &sb) < 0) {
        lk_sb_free(&sb);
        return lk_cmdconn_printf(c, "No such peers section\n");
    }
    return lb__admin_reply(c, &sb);
}

/* "clear table NAME [key KEY]" */
static int cmd_clear_table(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    struct lb_stktable *t;

    if (argc < 3)
        return lk_cmdconn_printf(c, "Missing table name.\n");
    if (!(t = table_find(d, argv[2])))
        return lk_cmdconn_printf(c, "No such table\n");
    if (argc == 5 && strcmp(argv[3], "key") == 0)
        lb_stk_clear(t, argv[4], lk_mono_ms());
    else if (argc == 3)
        lb_stk_clear(t, NULL, lk_mono_ms());
    else
        return lk_cmdconn_printf(c, "Optional argument only supports \"key\"\n");
    return lk_cmdconn_printf(c, "\n");
}

static int cmd_show_backend(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    struct lk_sb sb = LK_SB_INIT;
    struct lb_proxy *px;

    lk_sb_puts(&sb, "# name\n");
    for (px = d->cfg->proxies; px; px = px->next)
        if (px->cap & LB_CAP_BE)
            lk_sb_printf(&sb, "%s\n", px->name);
    return lb__admin_reply(c, &sb);
}

/* nsessions is read from the control thread without synchronisation: a
 * monitoring snapshot, possibly stale by a few sessions. */
static int cmd_show_sess(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    struct lk_sb sb = LK_SB_INIT;
    unsigned i;

    lk_sb_printf(&sb, "Total sessions: %u\n", atomic_load(&d->actconn));
    for (i = 0; i < d->nworkers; i++)
        lk_sb_printf(&sb, "thread %u: %u sessions\n", i + 1, d->workers[i]->nsessions);
    return lb__admin_reply(c, &sb);
}

static int cmd_show_errors(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    struct lk_sb sb = LK_SB_INIT;

    lb_errors_show(d->errors, d->cfg, &sb);
    return lb__admin_reply(c, &sb);
}

/* The JSON form is for vrrpd's track_lbd and monitoring; the plain form is
 * the line subscribers receive every 500 ms. */
static int cmd_show_health(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    char why[256];
    int ok = lb_daemon_healthy(d, why, sizeof(why));
    json_t *o;
    char *s;

    if (!has_word(argc, argv, "json"))
        return lk_cmdconn_printf(c, "health %s %s\n", ok ? "ok" : "fail", why);
    o = json_pack("{s:b, s:s, s:I}", "healthy", ok, "detail", why, "pid", (json_int_t)getpid());
    s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (s)
        lk_cmdconn_printf(c, "%s\n", s);
    free(s);
    json_decref(o);
    return 0;
}

/* The first line is sent at once so a subscriber does not wait up to 500 ms
 * for the current state. */
static int cmd_subscribe(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    int r = lk_cmdsubs_add(&d->admin_state->subs, c);

    if (r < 0)
        return lk_cmdconn_printf(c, r == -EALREADY ? "Already subscribed.\n" : "Out of memory.\n");
    return cmd_show_health(c, d, 0, argv);
}

/* "clear counters" resets maxima (operator); "all" also resets the cumulative
 * totals, which billing or alerting may depend on, so it needs admin, as in
 * HAProxy. */
static int cmd_clear_counters(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[2], "all") == 0 && lk_cmdconn_level(c) < LK_CMD_LEVEL_ADMIN)
        return lk_cmdconn_printf(c, LK_CMD_PERMISSION_DENIED);
    lb__admin_clear_counters(d, argc > 2 && strcmp(argv[2], "all") == 0);
    return 0;
}

static int cmd_help(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv);

/* The command table: the first words select a command (up to three), the
 * level is the minimum the socket must grant. Levels and wording follow
 * HAProxy 2.6's CLI, so existing scripts run unchanged. Commands are matched
 * in table order, so a longer command must come before a prefix of it. */
static const struct lb_admin_cmd cmds[] = {
    {{"help", NULL}, LK_CMD_LEVEL_USER, cmd_help, "help", "this message"},
    {{"show", "info", NULL},
     LK_CMD_LEVEL_USER,
     cmd_show_info,
     "show info [json]",
     "report information about the running process"},
    {{"show", "stat", NULL},
     LK_CMD_LEVEL_USER,
     cmd_show_stat,
     "show stat [{<iid>|-1} {<type>|-1} {<sid>|-1}] [json]",
     "report counters for each proxy and server"},
    {{"show", "servers", "state"},
     LK_CMD_LEVEL_USER,
     cmd_show_servers_state,
     "show servers state [<backend>]",
     "dump volatile server information"},
    {{"show", "table", NULL},
     LK_CMD_LEVEL_OPERATOR,
     cmd_show_table,
     "show table [<table>] [data.<type> <op> <val>] [key <k>]",
     "report table usage stats or dump this table's contents"},
    {{"show", "peers", NULL},
     LK_CMD_LEVEL_OPERATOR,
     cmd_show_peers,
     "show peers [<peers section>]",
     "dump some information about all the peers"},
    {{"clear", "table", NULL},
     LK_CMD_LEVEL_OPERATOR,
     cmd_clear_table,
     "clear table <table> [key <k>]",
     "remove an entry from a table"},
    {{"show", "backend", NULL},
     LK_CMD_LEVEL_USER,
     cmd_show_backend,
     "show backend",
     "list backends"},
    {{"show", "health", NULL},
     LK_CMD_LEVEL_USER,
     cmd_show_health,
     "show health [json]",
     "lbd's own health (what vrrpd tracks)"},
    {{"subscribe", "health", NULL},
     LK_CMD_LEVEL_USER,
     cmd_subscribe,
     "subscribe health",
     "stream health lines every 500 ms"},
    {{"show", "sess", NULL},
     LK_CMD_LEVEL_OPERATOR,
     cmd_show_sess,
     "show sess",
     "report the number of sessions per thread"},
    {{"show", "errors", NULL},
     LK_CMD_LEVEL_OPERATOR,
     cmd_show_errors,
     "show errors",
     "report last request and response errors"},
    {{"clear", "counters", NULL},
     LK_CMD_LEVEL_OPERATOR,
     cmd_clear_counters,
     "clear counters [all]",
     "clear max (or all) statistics counters"},
    {{"get", "weight", NULL},
     LK_CMD_LEVEL_USER,
     lb__admin_get_weight,
     "get weight <bk>/<srv>",
     "report a server's current weight"},
    {{"set", "weight", NULL},
     LK_CMD_LEVEL_ADMIN,
     lb__admin_set_weight,
     "set weight <bk>/<srv> <w>[%]",
     "change a server's weight"},
    {{"disable", "server", NULL},
     LK_CMD_LEVEL_ADMIN,
     lb__admin_server_state,
     "disable server <bk>/<srv>",
     "put a server in maintenance"},
    {{"enable", "server", NULL},
     LK_CMD_LEVEL_ADMIN,
     lb__admin_server_state,
     "enable server <bk>/<srv>",
     "take a server out of maintenance"},
    {{"set", "server", NULL},
     LK_CMD_LEVEL_ADMIN,
     lb__admin_set_server,
     "set server <bk>/<srv> state|health|weight|addr ...",
     "change a server's state, health, weight or address"},
    {{"shutdown", "sessions", "server"},
     LK_CMD_LEVEL_ADMIN,
     lb__admin_shutdown_sessions,
     "shutdown sessions server <bk>/<srv>",
     "kill the sessions of a server"},
    {{"set", "maxconn", NULL},
     LK_CMD_LEVEL_ADMIN,
     lb__admin_set_maxconn,
     "set maxconn frontend|server|global ...",
     "change a connection limit"},
    {{"add", "server", NULL},
     LK_CMD_LEVEL_ADMIN,
     lb__admin_add_del_server,
     "add server <bk>/<srv> <addr:port> [weight N]",
     "add a server at run time"},
    {{"del", "server", NULL},
     LK_CMD_LEVEL_ADMIN,
     lb__admin_add_del_server,
     "del server <bk>/<srv>",
     "remove a server in maintenance"},
    {{NULL}, 0, NULL, NULL, NULL},
};

static int cmd_help(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    struct lk_sb sb = LK_SB_INIT;
    const struct lb_admin_cmd *k;

    lk_sb_puts(&sb, "The following commands are valid at this level:\n");
    for (k = cmds; k->words[0]; k++)
        if (k->level <= lk_cmdconn_level(c))
            lk_sb_printf(&sb, "  %-52s : %s\n", k->usage, k->help);
    lk_sb_printf(&sb, "  %-52s : %s\n  %-52s : %s\n  %-52s : %s\n", "prompt",
                 "toggle interactive mode with prompt", "quit", "disconnect",
                 "set timeout cli <delay>", "change this session's idle timeout");
    return lb__admin_reply(c, &sb);
}

static int matches(const struct lb_admin_cmd *k, int argc, char **argv)
{
    int i;

    for (i = 0; i < 3 && k->words[i]; i++)
        if (i >= argc || strcmp(argv[i], k->words[i]) != 0)
            return 0;
    return 1;
}

/* -ENOENT lets lk_cmdsrv answer HAProxy's "Unknown command" itself; a command
 * the socket's level does not allow is denied before its handler runs, so
 * handlers never check the level again. */
static int dispatch(struct lk_cmdconn *c, int argc, char **argv, void *ud)
{
    const struct lb_admin_cmd *k;

    for (k = cmds; k->words[0]; k++) {
        if (!matches(k, argc, argv))
            continue;
        if (lk_cmdconn_level(c) < k->level)
            return lk_cmdconn_printf(c, LK_CMD_PERMISSION_DENIED);
        return k->fn(c, ud, argc, argv);
    }
    return -ENOENT;
}

/* Runs on the control loop, not in a worker: lb_daemon_healthy() reads worker
 * heartbeats, so a stuck worker cannot stop this report. The same verdict
 * feeds the log (on change), the master (lbd -W) and every subscriber. */
static void health_tick(uv_timer_t *t)
{
    struct lb_daemon *d = t->data;
    struct lb_admin *a = d->admin_state;
    char why[256], line[300];
    int ok = lb_daemon_healthy(d, why, sizeof(why)), n;

    if (++a->ticks % (1000 / HEALTH_PERIOD_MS) == 0)
        lb_stats_tick(d);
    if (ok != a->last_ok)
        lk_log(ok ? LK_LOG_NOTICE : LK_LOG_WARNING, "health: %s (%s)", ok ? "ok" : "FAIL", why);
    a->last_ok = ok;
    lb_mw_health(d->mw, ok, why);
    n = snprintf(line, sizeof(line), "health %s %s\n", ok ? "ok" : "fail", why);
    lk_cmdsubs_send(&a->subs, line, (size_t)LK_MIN(n, (int)sizeof(line) - 1));
}

/* Under a master (lbd -W) the socket was bound by the master and is
 * inherited: the path stays live across workers. */
static int start_one(struct lb_daemon *d, struct lk_cmdsrv_opts *o)
{
    struct lb_admin *a = d->admin_state;
    char key[256];
    int r;

    if (a->nsrv >= MAX_SOCKETS)
        return lk_log_errno(-E2BIG, LK_LOG_ERR, "too many stats sockets (max %d)", MAX_SOCKETS);
    if (d->mw) {
        o->fd = lb_mw_take_fd(d->mw, lb_mw_key_unix(key, sizeof(key), o->path));
        if (o->fd < 0)
            return lk_log_errno(-ENOENT, LK_LOG_ERR, "admin socket %s: not passed by the master",
                                o->path);
    }
    r = lk_cmdsrv_start(&a->srv[a->nsrv], &d->loop, o, dispatch, d);
    if (r < 0)
        return lk_log_errno(r, LK_LOG_ERR, "admin socket %s: %m%s", o->path,
                            r == -EADDRINUSE ? " (another lbd is running there)" : "");
    a->nsrv++;
    return 0;
}

/* The default socket (RUNDIR/lbd.sock) is always admin level, mode 0660: it
 * is the one lbd's own tooling and vrrpd use. The "stats socket" lines add
 * more, each with its own level, owner and idle timeout. max_out caps what
 * one slow reader can make lbd buffer. */
int lb_admin_start(struct lb_daemon *d)
{
    struct lk_cmdsrv_opts o = {.mode = 0660,
                               .uid = (uid_t)-1,
                               .gid = (gid_t)-1,
                               .level = LK_CMD_LEVEL_ADMIN,
                               .max_out = 1 << 20};
    const struct lb_sock_cfg *sc;
    struct lb_admin *a;
    int r;

    a = calloc(1, sizeof(*a));
    if (!a || asprintf(&a->path, "%s/lbd.sock", d->rundir) < 0) {
        free(a);
        return -ENOMEM;
    }
    lk_cmdsubs_init(&a->subs);
    a->last_ok = 1;
    d->admin_state = a;
    o.path = a->path;
    r = start_one(d, &o);
    for (sc = d->cfg->global.sockets; sc && r == 0; sc = sc->next) {
        struct lk_cmdsrv_opts so = {.path = sc->path,
                                    .mode = sc->mode,
                                    .uid = sc->uid,
                                    .gid = sc->gid,
                                    .level = sc->level,
                                    .max_out = 16 << 20,
                                    .idle_ms = d->cfg->global.stats_timeout_ms
                                                   ? (unsigned)d->cfg->global.stats_timeout_ms
                                                   : 0};

        r = start_one(d, &so);
    }
    return r;
}

void lb_admin_run(struct lb_daemon *d)
{
    uv_timer_start(&d->health_tick, health_tick, HEALTH_PERIOD_MS, HEALTH_PERIOD_MS);
}

/* Stopping closes the listening sockets so no new command arrives during the
 * drain; connections already open are closed by lk_cmdsrv_stop(). */
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
