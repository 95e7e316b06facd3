/* admin_srv.c - admin commands that change servers and limits, with
 * HAProxy's wording for replies and errors. Control thread only: changes
 * reach the workers through the server's atomics. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfglex.h"
#include "common/clock.h"
#include "common/log.h"
#include "lbd/cfg/cfg.h"
#include "lbd/cfg/proxy.h"
#include "lbd/core/daemon.h"
#include "lbd/core/dns.h"
#include "lbd/core/mwlink.h"
#include "lbd/core/server.h"
#include "lbd/core/worker.h"
#include "lbd/ctl/admin.h"
#include "lbd/ctl/admin_int.h"
#include "lbd/ctl/hc.h"

/* "backend/server" into its server; prints HAProxy's error otherwise. */
/* Deleted servers are not found (lb_server_find skips them), so commands on a
 * deleted name answer "No such server", as in HAProxy. */
static struct lb_server *find_server(struct lk_cmdconn *c, struct lb_daemon *d, const char *spec)
{
    const char *slash = spec ? strchr(spec, '/') : NULL;
    struct lb_proxy *be;
    struct lb_server *s;
    char name[256];

    if (!slash || (size_t)(slash - spec) >= sizeof(name)) {
        lk_cmdconn_printf(c, "Require 'backend/server'.\n");
        return NULL;
    }
    memcpy(name, spec, (size_t)(slash - spec));
    name[slash - spec] = '\0';
    be = lb_cfg_find_proxy(d->cfg, name, LB_CAP_BE);
    if (!be) {
        lk_cmdconn_printf(c, "No such backend.\n");
        return NULL;
    }
    s = lb_server_find(be, slash + 1);
    if (!s)
        lk_cmdconn_printf(c, "No such server.\n");
    return s;
}

static void log_change(const struct lb_server *s, const char *what)
{
    lk_log(LK_LOG_NOTICE, "Server %s/%s %s (admin socket)", s->be->name, s->name, what);
}

/* The current weight is what the balancers use (agent, "set weight"); the
 * initial one is the configured weight, which "N%" is relative to. */
int lb__admin_get_weight(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    struct lb_server *s = find_server(c, d, argc > 2 ? argv[2] : NULL);

    if (!s)
        return 0;
    return lk_cmdconn_printf(c, "%u (initial %u)\n", atomic_load(&s->cur_weight), s->weight);
}

/* "N" or "N%" (of the configured weight) into 0..256. */
/* A percentage is of the configured weight, not of the current one, so "set
 * weight x 50%" twice gives half, not a quarter (HAProxy's rule). */
static int parse_weight(const struct lb_server *s, const char *v, unsigned *ret)
{
    char *end;
    long w = strtol(v, &end, 10);

    if (end == v || w < 0)
        return -EINVAL;
    if (*end == '%' && !end[1])
        w = (long)s->weight * w / 100;
    else if (*end)
        return -EINVAL;
    if (w > 256)
        return -ERANGE;
    *ret = (unsigned)w;
    return 0;
}

/* Weights are carried to the next worker under a master, so an operator's
 * change survives a reload. */
static int apply_weight(struct lk_cmdconn *c,
                        struct lb_daemon *d,
                        struct lb_server *s,
                        const char *v)
{
    unsigned w;

    if (parse_weight(s, v, &w) < 0)
        return lk_cmdconn_printf(c, "Absolute weight can only be between 0 and 256 inclusive.\n");
    lb_server_set_weight(s, w);
    lb_mw_note_weight(d->mw, s, w);
    log_change(s, "weight changed");
    return 0;
}

int lb__admin_set_weight(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    struct lb_server *s;

    if (argc != 4)
        return lk_cmdconn_printf(c, "Require <backend>/<server> and <weight> or <weight%%>.\n");
    s = find_server(c, d, argv[2]);
    return s ? apply_weight(c, d, s, argv[3]) : 0;
}

/* The one entry for operator state changes (admin socket, stats page, and
 * decisions carried over by mwlink.c): everything else (logging, checkd
 * mirror, shutdown policy) follows from lb_server_transition() and the
 * daemon's observer. */
void lb_admin_set_server_state(struct lb_daemon *d,
                               struct lb_server *s,
                               enum lb_srv_state st,
                               const char *by)
{
    /* as HAProxy: a server without an address stays in MAINT (resolution)
     * whatever the operator says; an operator's MAINT becomes his own (the
     * address arriving later no longer brings it up) */
    if (s->dns_maint && st != LB_SRV_MAINT)
        return;
    s->dns_maint = 0;
    lb_server_transition(s, st, LB_CAUSE_OPERATOR, by);
}

static void set_state(struct lb_daemon *d, struct lb_server *s, enum lb_srv_state st)
{
    lb_admin_set_server_state(d, s, st, "admin socket");
}

int lb__admin_server_state(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    struct lb_server *s = find_server(c, d, argc > 2 ? argv[2] : NULL);

    if (s)
        set_state(d, s, strcmp(argv[0], "disable") == 0 ? LB_SRV_MAINT : LB_SRV_UP);
    return 0;
}

/* HAProxy's words for "set server <srv> state|health", NULL-ended. */
struct state_word {
    const char *word;
    enum lb_srv_state st;
};

static const struct state_word admin_words[] = {{"ready", LB_SRV_UP},
                                                {"drain", LB_SRV_DRAIN},
                                                {"maint", LB_SRV_MAINT},
                                                {NULL, 0}};
/* "stopping" is HAProxy's health word for what lbd calls DRAIN */
static const struct state_word health_words[] = {{"up", LB_SRV_UP},
                                                 {"stopping", LB_SRV_DRAIN},
                                                 {"down", LB_SRV_DOWN},
                                                 {NULL, 0}};

/* Apply the state `v` names in tab; -EINVAL (nothing done) if none. */
static int set_by_word(struct lb_daemon *d,
                       struct lb_server *s,
                       const struct state_word *tab,
                       const char *v)
{
    for (; tab->word; tab++)
        if (strcmp(tab->word, v) == 0) {
            set_state(d, s, tab->st);
            return 0;
        }
    return -EINVAL;
}

static int set_server_state(struct lk_cmdconn *c,
                            struct lb_daemon *d,
                            struct lb_server *s,
                            const char *v)
{
    if (set_by_word(d, s, admin_words, v) < 0)
        return lk_cmdconn_printf(c, "'set server <srv> state' expects 'ready', 'drain' and "
                                    "'maint'.\n");
    return 0;
}

/* HAProxy refuses to change health while the operator holds the server in
 * MAINT or DRAIN: the operator's state has priority, and a health change
 * would otherwise silently end it. */
static int set_server_health(struct lk_cmdconn *c,
                             struct lb_daemon *d,
                             struct lb_server *s,
                             const char *v)
{
    int st = atomic_load(&s->state);

    if (st == LB_SRV_MAINT || st == LB_SRV_DRAIN)
        return lk_cmdconn_printf(c, "cannot change health on a server in maintenance or "
                                    "drain.\n");
    if (set_by_word(d, s, health_words, v) < 0)
        return lk_cmdconn_printf(c, "'set server <srv> health' expects 'up', 'stopping', or "
                                    "'down'.\n");
    return 0;
}

/* The port is kept unless given: HAProxy's "addr" changes only the IP. The
 * change reaches new connections at once (lb_server_set_addr) and checkd is
 * told so that checks follow. */
static int set_server_addr(struct lk_cmdconn *c,
                           struct lb_daemon *d,
                           struct lb_server *s,
                           int argc,
                           char **argv)
{
    char old[LK_ADDR_STRLEN], neu[LK_ADDR_STRLEN], spec[128];
    unsigned port = lk_addr_port(s->cur_addr);
    struct lk_addr a;

    if (argc == 7 && strcmp(argv[5], "port") == 0)
        port = (unsigned)atoi_safe(argv[6]);
    else if (argc != 5)
        return lk_cmdconn_printf(c, "set server <b>/<s> addr requires an address and optionally "
                                    "a port.\n");
    snprintf(spec, sizeof(spec), strchr(argv[4], ':') ? "[%s]:%u" : "%s:%u", argv[4], port);
    if (port < 1 || port > 65535 || lk_addr_parse(spec, 0, &a) < 0)
        return lk_cmdconn_printf(c, "Invalid addr/port.\n");
    lk_addr_str(s->cur_addr, old, sizeof(old));
    if (lb_server_set_addr(s, &a) < 0)
        return lk_cmdconn_printf(c, "Out of memory.\n");
    lk_addr_str(&a, neu, sizeof(neu));
    log_change(s, "address changed");
    lb_hc_server_update(d, s);
    return lk_cmdconn_printf(c, "addr changed from '%s' to '%s'\n", old, neu);
}

/* HAProxy's wording, for scripts that read the answer. */
static int set_server_fqdn(struct lk_cmdconn *c,
                           struct lb_daemon *d,
                           struct lb_server *s,
                           int argc,
                           char **argv)
{
    char *old;
    int r;

    if (argc < 5 || !argv[4][0])
        return lk_cmdconn_printf(c, "set server <b>/<s> fqdn requires a FQDN.\n");
    if (!s->resolvers)
        return lk_cmdconn_printf(c, "set server <b>/<s> fqdn failed because no resolution is "
                                    "configured.\n");
    old = s->fqdn ? strdup(s->fqdn) : NULL;
    r = lb_dns_set_fqdn(d, s, argv[4]);
    if (r == 0)
        r = lk_cmdconn_printf(c,
                              "%s/%s changed its FQDN from %s to %s by 'stats socket "
                              "command'\n",
                              s->be->name, s->name, old ? old : "(null)", argv[4]);
    else
        r = lk_cmdconn_printf(c, "Could not update server fqdn.\n");
    free(old);
    return r;
}

/* The "only supports" messages list HAProxy's full set (agent and check-port
 * included) because that text is what scripts match on; lbd answers agent and
 * check-port with the same message. */
int lb__admin_set_server(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    struct lb_server *s;

    if (argc < 5 && !(argc == 4 && strcmp(argv[3], "fqdn") == 0))
        return lk_cmdconn_printf(c, "'set server <srv>' only supports 'agent', 'health', "
                                    "'state', 'weight', 'addr' and 'check-port'.\n");
    s = find_server(c, d, argv[2]);
    if (!s)
        return 0;
    if (strcmp(argv[3], "state") == 0)
        return set_server_state(c, d, s, argv[4]);
    if (strcmp(argv[3], "health") == 0)
        return set_server_health(c, d, s, argv[4]);
    if (strcmp(argv[3], "weight") == 0)
        return apply_weight(c, d, s, argv[4]);
    if (strcmp(argv[3], "addr") == 0)
        return set_server_addr(c, d, s, argc, argv);
    if (strcmp(argv[3], "fqdn") == 0)
        return set_server_fqdn(c, d, s, argc, argv);
    return lk_cmdconn_printf(c, "'set server <srv>' only supports 'agent', 'health', 'state', "
                                "'weight', 'addr' and 'check-port'.\n");
}

/* Asynchronous: each worker closes the server's sessions on its next wake-up;
 * the command returns before they are closed. */
int lb__admin_shutdown_sessions(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    struct lb_server *s = find_server(c, d, argc > 3 ? argv[3] : NULL);

    if (s) {
        lb_daemon_shutdown_server(d, s);
        log_change(s, "sessions shut down");
    }
    return 0;
}

/* Limits are written plainly from the control thread and read relaxed by
 * workers; a worker may accept once more with the previous limit, which a
 * limit change tolerates. */
int lb__admin_set_maxconn(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    const char *what = argc > 2 ? argv[2] : "";
    int v = atoi_safe(argv[argc - 1]);
    struct lb_server *s;
    struct lb_proxy *px;

    if (strcmp(what, "global") == 0 && argc == 4) {
        if (v <= 0)
            return lk_cmdconn_printf(c, "Value out of range.\n");
        d->cfg->global.maxconn = (unsigned)v;
        return 0;
    }
    if (strcmp(what, "frontend") == 0 && argc == 5) {
        px = lb_cfg_find_proxy(d->cfg, argv[3], LB_CAP_FE);
        if (!px)
            return lk_cmdconn_printf(c, "No such frontend.\n");
        if (v < 0)
            return lk_cmdconn_printf(c, "Integer value expected.\n");
        px->maxconn = (unsigned)v;
        return 0;
    }
    if (strcmp(what, "server") == 0 && argc == 5) {
        s = find_server(c, d, argv[3]);
        if (s && v < 0)
            return lk_cmdconn_printf(c, "Integer value expected.\n");
        if (s)
            s->maxconn = (unsigned)v;
        return 0;
    }
    return lk_cmdconn_printf(c, "'set maxconn' only supports 'frontend', 'server', and "
                                "'global'.\n");
}

/* max_conns_seen is reset to the current count, not zero, so the maximum
 * stays a true upper bound of what is now open. */
static void clear_server(struct lb_server *s, int all)
{
    atomic_store(&s->max_conns_seen, atomic_load(&s->cur_conns));
    atomic_store(&s->max_queued, 0);
    s->rate_max = 0;
    if (!all)
        return;
    atomic_store(&s->cum_conns, 0);
    s->rate_prev = 0; /* the rate's sample of the total, zeroed with it */
    atomic_store(&s->bytes_in, 0);
    atomic_store(&s->bytes_out, 0);
    atomic_store(&s->failed_conns, 0);
    atomic_store(&s->retries, 0);
    atomic_store(&s->redispatches, 0);
    s->chkfail = s->chkdown = 0;
}

void lb__admin_clear_counters(struct lb_daemon *d, int all)
{
    struct lb_proxy *px;
    unsigned i;

    for (px = d->cfg->proxies; px; px = px->next) {
        atomic_store(&px->max_conns_seen, atomic_load(&px->cur_conns));
        atomic_store(&px->max_queued, 0);
        px->rate_max = px->req_rate_max = 0;
        if (all) {
            atomic_store(&px->cum_conns, 0);
            px->rate_prev = px->req_rate_prev = 0; /* the rates' samples of the totals */
            atomic_store(&px->bytes_in, 0);
            atomic_store(&px->bytes_out, 0);
            atomic_store(&px->failed_conns, 0);
            atomic_store(&px->wretr, 0);
            atomic_store(&px->wredis, 0);
            atomic_store(&px->req_tot, 0);
        }
        for (i = 0; (px->cap & LB_CAP_BE) && i < px->nservers; i++)
            clear_server(px->servers[i], all);
    }
}

/* A refusal of add_server(): to the client, or without one (c NULL) into
 * *ret_err (caller-owned) with -EINVAL. */
static int LK_PRINTF(3, 4) refuse(struct lk_cmdconn *c, char **ret_err, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    if (c) {
        char msg[512];

        vsnprintf(msg, sizeof(msg), fmt, ap);
        r = lk_cmdconn_printf(c, "%s\n", msg);
    } else {
        free(*ret_err);
        r = vasprintf(ret_err, fmt, ap) < 0 ? -ENOMEM : -EINVAL;
        if (r == -ENOMEM)
            *ret_err = NULL;
    }
    va_end(ap);
    return r;
}

/* add server B/S ADDR:PORT [weight N] [backup] [maxconn N] / del server B/S;
 * c NULL: a new worker re-adding a server (lb_admin_add_server()) */
/* A dynamic server is parsed by the same code as a config "server" line (so
 * every keyword behaves the same), then published into a reserved slot: the
 * servers array never moves while workers read it. The command line is noted
 * for the master so the next worker re-adds it. */
static int add_server(struct lk_cmdconn *c,
                      struct lb_daemon *d,
                      struct lb_proxy *be,
                      const char *name,
                      int argc,
                      char **argv,
                      char **ret_err)
{
    struct lb_server *s;
    char *err = NULL;
    struct lb_cfgctx ctx = {.cfg = d->cfg, .px = be, .file = "<cli>", .line = 0};
    char *sargv[LK_CFG_MAX_ARGS + 1];
    char kw[] = "server";
    int i, n = 0;

    if (lb_server_find(be, name))
        return refuse(c, ret_err, "Already exists a server with the same name in backend.");
    if (be->nservers >= be->servers_cap)
        return refuse(c, ret_err, "No more room for servers in backend (max %u).", be->servers_cap);
    sargv[n++] = kw;
    sargv[n++] = (char *)(uintptr_t)name;
    for (i = 3; i < argc && n < LK_CFG_MAX_ARGS; i++)
        sargv[n++] = argv[i];
    sargv[n] = NULL;
    /* parsed by the config's own "server" code into a detached copy of be */
    if (lb_server_parse_detached(&ctx, n, sargv, &s, &err) < 0) {
        int r = refuse(c, ret_err, "%s", err ? err : "Invalid server line.");

        free(err);
        return r;
    }
    s->flags |= LB_SRV_F_DYNAMIC;
    if (lb_server_publish(be, s) < 0) {
        lb_server_free(s);
        return refuse(c, ret_err, "No more room for servers in backend.");
    }
    log_change(s, "added");
    lb_hc_server_update(d, s);
    lb_mw_note_add(d->mw, s, argc - 3, argv + 3);
    return c ? lk_cmdconn_printf(c, "New server registered.\n") : 0;
}

/* For mwlink.c: re-adds a server carried over from the previous worker, as if
 * "add server BE/NAME ARGS" had been typed; the word layout mimics the
 * command's (argv[3] onward), so add_server() serves both. */
int lb_admin_add_server(struct lb_daemon *d,
                        struct lb_proxy *be,
                        const char *name,
                        int argc,
                        char **argv,
                        char **err)
{
    char *words[LK_CFG_MAX_ARGS + 4] = {NULL};
    int i;

    /* where the command line has them: after "add server BE/NAME" */
    for (i = 0; i < argc && i < LK_CFG_MAX_ARGS; i++)
        words[i + 3] = argv[i];
    return add_server(NULL, d, be, name, i + 3, words, err);
}

int lb__admin_add_del_server(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv)
{
    const char *spec = argc > 2 ? argv[2] : "", *slash = strchr(spec, '/');
    struct lb_proxy *be;
    struct lb_server *s;
    char name[256];

    if (!slash || (size_t)(slash - spec) >= sizeof(name))
        return lk_cmdconn_printf(c, "Require 'backend/server'.\n");
    memcpy(name, spec, (size_t)(slash - spec));
    name[slash - spec] = '\0';
    be = lb_cfg_find_proxy(d->cfg, name, LB_CAP_BE);
    if (!be)
        return lk_cmdconn_printf(c, "No such backend.\n");
    if (strcmp(argv[0], "add") == 0)
        return argc < 4 ? lk_cmdconn_printf(c, "'add server' expects <bk>/<srv> <addr:port>.\n")
                        : add_server(c, d, be, slash + 1, argc, argv, NULL);
    s = lb_server_find(be, slash + 1);
    if (!s)
        return lk_cmdconn_printf(c, "No such server.\n");
    /* Only a server in MAINT without connections may go, as in HAProxy: the
     * operator has drained it first, so no session loses its server. */
    if (atomic_load(&s->state) != LB_SRV_MAINT)
        return lk_cmdconn_printf(c, "Only servers in maintenance mode can be deleted.\n");
    if (atomic_load(&s->cur_conns))
        return lk_cmdconn_printf(c, "Server still has connections attached to it, cannot "
                                    "remove it.\n");
    /* kept in memory (workers may still look at it), never chosen again */
    s->flags |= LB_SRV_F_DELETED;
    log_change(s, "deleted");
    lb_hc_server_deleted(d, s);
    lb_mw_note_del(d->mw, s);
    return lk_cmdconn_printf(c, "Server deleted.\n");
}
