/* server.c - the "server" line and the server state API. */
#include <errno.h>
#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/cfglex.h"
#include "common/clock.h"
#include "common/log.h"
#include "lbd/cfg/cfg.h"
#include "lbd/core/server.h"
#include "proto/proxy_proto.h"

static const char *const state_names[LB_SRV_STATE_MAX] = {
    [LB_SRV_UP] = "UP",
    [LB_SRV_DOWN] = "DOWN",
    [LB_SRV_MAINT] = "MAINT",
    [LB_SRV_DRAIN] = "DRAIN",
};

const char *lb_srv_state_name(enum lb_srv_state st)
{
    return st < LB_SRV_STATE_MAX ? state_names[st] : "?";
}

/* HAProxy 2.6's server defaults: weight 1, checks every 2 s, up after 2
 * successes and down after 3 failures. init_state -1 means no "init-state"
 * was given (start UP, as HAProxy does for a server without a state file);
 * pool_max -1 is no limit on idle connections. */
void lb_server_defaults(struct lb_server *s)
{
    s->weight = 1;
    s->inter = 2000;
    s->rise = 2;
    s->fall = 3;
    s->init_state = -1;
    s->pool_max = -1;
    s->pool_purge_ms = 5000;
}

/* Addresses replaced at run time are freed only here: a worker may still hold
 * a pointer to one it read from cur_addr, and the server outlives every
 * session that uses it. */
struct lb_server *lb_server_free(struct lb_server *s)
{
    if (!s)
        return NULL;
    while (s->nold_addrs)
        free(s->old_addrs[--s->nold_addrs]);
    free(s->old_addrs);
    free(s->fqdn);
    free(s->srvrecord);
    free(s->name);
    free(s->cookie);
    free(s);
    return NULL;
}

/* Deleted servers keep their slot (workers may still index it) but are not
 * found by name, so "add server" may reuse the name. */
struct lb_server *lb_server_find(const struct lb_proxy *be, const char *name)
{
    unsigned i;

    for (i = 0; i < be->nservers; i++)
        if (!(be->servers[i]->flags & LB_SRV_F_DELETED) && strcmp(be->servers[i]->name, name) == 0)
            return be->servers[i];
    return NULL;
}

/* The exchange makes concurrent setters see exactly one transition each. The
 * downtime counters are only written here, on the control thread; the stats
 * reader may see them mid-update, which costs at most one inaccurate sample. */
int lb_server_set_state(struct lb_server *s, enum lb_srv_state st)
{
    int old = atomic_exchange(&s->state, (int)st);
    uint64_t now = lk_mono_ms();

    if (old == (int)st)
        return old;
    s->last_change_ms = now;
    if (st == LB_SRV_DOWN) {
        s->chkdown++;
        s->down_since_ms = now;
    } else if (old == LB_SRV_DOWN && s->down_since_ms) {
        s->downtime_ms += now - s->down_since_ms;
        s->down_since_ms = 0;
    }
    return old;
}

/* "is DOWN", "is going into maintenance": HAProxy's wording. */
static const char *transition_words(enum lb_srv_state st)
{
    switch (st) {
    case LB_SRV_UP:
        return "is UP";
    case LB_SRV_DOWN:
        return "is DOWN";
    case LB_SRV_MAINT:
        return "is going into maintenance";
    default:
        return "is draining";
    }
}

/* slowstart, as HAProxy 2.6: a server coming back from DOWN or MAINT (a
 * check, the agent, an operator's "ready", a name that resolves again)
 * starts warming up; one that leaves goes cold. Never at start: servers
 * that are up when lbd starts take their full weight at once. */
static void warm_up(struct lb_server *s, enum lb_srv_state old, enum lb_srv_state st)
{
    int was_out = old == LB_SRV_DOWN || old == LB_SRV_MAINT;

    if (st == LB_SRV_DOWN || st == LB_SRV_MAINT)
        atomic_store(&s->warm_since_ms, 0);
    else if (was_out && s->slowstart_ms)
        atomic_store(&s->warm_since_ms, s->last_change_ms ? s->last_change_ms : 1);
}

/* HAProxy keeps the slowstart in whole seconds (rounded up) and counts
 * the time since the change in whole seconds of its clock. */
static int warm_secs(uint64_t slowstart_ms, uint64_t since_ms, uint64_t now_ms, uint64_t *ret_ss)
{
    uint64_t ss = (slowstart_ms + 999) / 1000;

    if (!since_ms || !ss || now_ms < since_ms || now_ms / 1000 - since_ms / 1000 >= ss)
        return -1;
    *ret_ss = ss;
    return (int)(now_ms / 1000 - since_ms / 1000);
}

unsigned lb_slowstart_w16(uint64_t slowstart_ms, uint64_t since_ms, uint64_t now_ms)
{
    uint64_t ss = 0;
    int e = warm_secs(slowstart_ms, since_ms, now_ms, &ss);

    return e < 0 ? LB_WEIGHT_SCALE : (unsigned)((LB_WEIGHT_SCALE * (uint64_t)e + ss) / ss);
}

unsigned lb_slowstart_maxconn(unsigned max,
                              uint64_t slowstart_ms,
                              uint64_t since_ms,
                              uint64_t now_ms)
{
    uint64_t ss = 0, m;
    int e = warm_secs(slowstart_ms, since_ms, now_ms, &ss);

    if (e < 0 || !max)
        return max;
    m = (uint64_t)max * (100 * (uint64_t)e / ss) / 100;
    return m ? (unsigned)m : 1;
}

/* HAProxy's dynamic algorithms (roundrobin, leastconn, random, consistent
 * hashing) follow a changing weight; the static ones (first, map-based
 * hashing) give a warming server its full weight at once. */
static int algo_dynamic(const struct lb_proxy *be)
{
    switch (be->algo) {
    case LB_ALGO_FIRST:
        return 0;
    case LB_ALGO_SOURCE:
    case LB_ALGO_URI:
    case LB_ALGO_HDR:
        return be->lbprm.hash_type == LB_HASH_CONSISTENT;
    default:
        return 1;
    }
}

unsigned lb_server_eweight_at(const struct lb_server *s, uint64_t now_ms)
{
    unsigned w = atomic_load_explicit(&s->cur_weight, memory_order_relaxed);
    uint64_t since = atomic_load_explicit(&s->warm_since_ms, memory_order_relaxed);

    if (!since || !algo_dynamic(s->be))
        return w * LB_WEIGHT_SCALE;
    return w * lb_slowstart_w16(s->slowstart_ms, since, now_ms);
}

unsigned lb_server_eweight(const struct lb_server *s)
{
    if (!atomic_load_explicit(&s->warm_since_ms, memory_order_relaxed))
        return atomic_load_explicit(&s->cur_weight, memory_order_relaxed) * LB_WEIGHT_SCALE;
    return lb_server_eweight_at(s, lk_mono_ms());
}

unsigned lb_dyn_maxconn(unsigned minconn, unsigned maxconn, unsigned fullconn, unsigned beconn)
{
    uint64_t m;

    if (minconn > maxconn) /* HAProxy turns a lone (or larger) minconn into maxconn */
        maxconn = minconn;
    if (!minconn || minconn == maxconn || !fullconn || beconn >= fullconn)
        return maxconn;
    m = (uint64_t)beconn * maxconn / fullconn;
    return m > minconn ? (unsigned)m : minconn;
}

unsigned lb_server_maxconn_now(const struct lb_server *s)
{
    unsigned max = atomic_load_explicit(&s->maxconn, memory_order_relaxed);
    uint64_t since = atomic_load_explicit(&s->warm_since_ms, memory_order_relaxed);

    if (s->minconn)
        max = lb_dyn_maxconn(s->minconn, max, s->be->fullconn,
                             atomic_load_explicit(&s->be->cur_conns, memory_order_relaxed));
    if (!since || !max)
        return max;
    return lb_slowstart_maxconn(max, s->slowstart_ms, since, lk_mono_ms());
}

/* An operator's UP or DOWN resets the health counter to the matching end
 * (rise+fall-1 or 0), as HAProxy's "set server state": otherwise the next
 * check result would be counted from the old position and a server forced UP
 * could fall after a single failed check, or one forced DOWN rise at once. */
int lb_server_transition(struct lb_server *s,
                         enum lb_srv_state st,
                         enum lb_srv_cause cause,
                         const char *why)
{
    const struct lb_srv_observer *o = s->be->srv_observer;
    int old = lb_server_set_state(s, st);

    if (old == (int)st && cause != LB_CAUSE_OPERATOR)
        return old;
    if (cause == LB_CAUSE_OPERATOR && st == LB_SRV_UP)
        s->check_health = s->rise + s->fall - 1;
    else if (cause == LB_CAUSE_OPERATOR && st == LB_SRV_DOWN)
        s->check_health = 0;
    warm_up(s, (enum lb_srv_state)old, st);
    lk_log(LK_LOG_NOTICE, "Server %s/%s %s, reason: %s", s->be->name, s->name, transition_words(st),
           why);
    if (o && o->changed)
        o->changed(o->ctx, s, (enum lb_srv_state)old, st, cause);
    return old;
}

void lb_server_set_weight(struct lb_server *s, unsigned w)
{
    atomic_store(&s->cur_weight, w);
}

/* A compare-and-swap loop rather than fetch_add then check: with several
 * workers racing for the last slot, an add that overshoots and undoes would
 * let a third worker see the server as full while it is not. max_conns_seen
 * is a statistic, so its racy update may miss a peak by one. */
int lb_server_take(struct lb_server *s)
{
    unsigned cur = atomic_load_explicit(&s->cur_conns, memory_order_relaxed), max;
    unsigned limit = lb_server_maxconn_now(s);

    do {
        if (limit && cur >= limit)
            return -EBUSY;
    } while (!atomic_compare_exchange_weak(&s->cur_conns, &cur, cur + 1));
    atomic_fetch_add_explicit(&s->cum_conns, 1, memory_order_relaxed);
    max = atomic_load_explicit(&s->max_conns_seen, memory_order_relaxed);
    if (cur + 1 > max)
        atomic_store_explicit(&s->max_conns_seen, cur + 1, memory_order_relaxed);
    return 0;
}

void lb_server_release(struct lb_server *s)
{
    atomic_fetch_sub_explicit(&s->cur_conns, 1, memory_order_relaxed);
}

/* ---- "server" keywords ---- */

/* The context of the per-server keyword handlers: the config context (file,
 * line, errors) and the server being built, which may be the proxy's default-
 * server. */
struct srvctx {
    struct lb_cfgctx *ctx;
    struct lb_server *s;
};

/* lb_cfg_time() already reports the error with FILE:LINE; a zero interval
 * would make checkd probe in a tight loop, so it is refused here. */
static int srv_time(struct srvctx *sc, char **argv, uint64_t *out, char **err)
{
    if (lb_cfg_time(sc->ctx, argv, 1, out, err))
        return LK_CFG_FATAL;
    if (*out == 0)
        return lb_cfg_fail(sc->ctx, err, "'%s' must be greater than 0", argv[0]);
    return 0;
}

static int skw_check(int argc, char **argv, void *v, char **err)
{
    struct srvctx *sc = v;

    if (strcmp(argv[0], "no-check") == 0)
        sc->s->flags &= ~LB_SRV_F_CHECK;
    else
        sc->s->flags |= LB_SRV_F_CHECK;
    return 0;
}

/* The numeric keywords, one row each: the field of struct lb_server they
 * set (SRV_NUM_NONE: read and bounded, not used by lbd) and HAProxy 2.6's
 * bounds. Times (SRV_TIME) take HAProxy units and must be above 0. */
enum srv_num_kind { SRV_UINT, SRV_ATOMIC, SRV_TIME, SRV_NUM_NONE };

static const struct srv_num {
    const char *name;
    enum srv_num_kind kind;
    size_t off;
    uint64_t min, max;
} srv_nums[] = {
    {"inter", SRV_TIME, offsetof(struct lb_server, inter), 0, 0},
    {"fastinter", SRV_TIME, offsetof(struct lb_server, fastinter), 0, 0},
    {"downinter", SRV_TIME, offsetof(struct lb_server, downinter), 0, 0},
    {"agent-inter", SRV_TIME, offsetof(struct lb_server, agent_inter), 0, 0},
    {"rise", SRV_UINT, offsetof(struct lb_server, rise), 1, 1000},
    {"fall", SRV_UINT, offsetof(struct lb_server, fall), 1, 1000},
    {"weight", SRV_UINT, offsetof(struct lb_server, weight), 0, 256},
    {"maxconn", SRV_ATOMIC, offsetof(struct lb_server, maxconn), 0, 10000000},
    {"minconn", SRV_UINT, offsetof(struct lb_server, minconn), 0, 10000000},
    {"error-limit", SRV_UINT, offsetof(struct lb_server, error_limit), 1, 65535},
    /* the check port, sent to checkd */
    {"port", SRV_UINT, offsetof(struct lb_server, check_port), 1, 65535},
    {"agent-port", SRV_UINT, offsetof(struct lb_server, agent_port), 1, 65535},
    {"maxqueue", SRV_NUM_NONE, 0, 0, 65535},
    {"id", SRV_NUM_NONE, 0, 1, 65535},
};

/* The table gives each field's type, so the write goes through the right
 * pointer type; maxconn is atomic because "set maxconn server" changes it
 * while workers read it. */
static int skw_num(int argc, char **argv, void *v, char **err)
{
    struct srvctx *sc = v;
    const struct srv_num *k = NULL;
    char *field;
    uint64_t n;
    size_t i;

    for (i = 0; i < LK_ARRAY_SIZE(srv_nums) && !k; i++)
        if (strcmp(argv[0], srv_nums[i].name) == 0)
            k = &srv_nums[i];
    if (!k) /* server_kws sends here only the names of srv_nums */
        return lb_cfg_fail(sc->ctx, err, "'%s': not a numeric server keyword", argv[0]);
    field = (char *)sc->s + k->off;
    if (k->kind == SRV_TIME)
        return srv_time(sc, argv, (uint64_t *)(void *)field, err);
    if (lb_cfg_uint(sc->ctx, argv, 1, k->min, k->max, &n, err))
        return LK_CFG_FATAL;
    if (k->kind == SRV_UINT)
        *(unsigned *)(void *)field = (unsigned)n;
    else if (k->kind == SRV_ATOMIC)
        atomic_store_explicit((_Atomic unsigned *)(void *)field, (unsigned)n, memory_order_relaxed);
    return 0;
}

/* pool-max-conn N (-1: no limit), pool-purge-delay TIME (0 allowed: no
 * idle connection is kept), pool-low-conn N: HAProxy 2.6's bounds. */
static int skw_pool(int argc, char **argv, void *v, char **err)
{
    struct srvctx *sc = v;
    uint64_t n;

    if (strcmp(argv[0], "pool-purge-delay") == 0)
        return lb_cfg_time(sc->ctx, argv, 1, &sc->s->pool_purge_ms, err) ? LK_CFG_FATAL : 0;
    if (strcmp(argv[0], "pool-max-conn") == 0 && argv[1][0] == '-') {
        if (strcmp(argv[1], "-1") != 0)
            return lb_cfg_fail(sc->ctx, err,
                               "'pool-max-conn' must be -1 (no limit) or more, got '%s'", argv[1]);
        sc->s->pool_max = -1;
        return 0;
    }
    if (lb_cfg_uint(sc->ctx, argv, 1, 0, INT32_MAX, &n, err))
        return LK_CFG_FATAL;
    if (strcmp(argv[0], "pool-max-conn") == 0)
        sc->s->pool_max = (int)n;
    else
        sc->s->pool_low = (unsigned)n;
    return 0;
}

/* "disabled" starts the server in MAINT (finish_server()); "enabled" undoes a
 * default-server's "disabled". */
static int skw_flag(int argc, char **argv, void *v, char **err)
{
    struct srvctx *sc = v;

    if (strcmp(argv[0], "backup") == 0)
        sc->s->flags |= LB_SRV_F_BACKUP;
    else if (strcmp(argv[0], "disabled") == 0)
        sc->s->flags |= LB_SRV_F_DISABLED;
    else if (strcmp(argv[0], "enabled") == 0)
        sc->s->flags &= ~LB_SRV_F_DISABLED;
    return 0;
}

/* send-proxy / send-proxy-v2 (and their no- forms, which undo a
 * default-server's): the header is written by tcpfwd.c and http_conn.c. */
/* v2 is told by the suffix, so the four spellings share one handler. A "no-"
 * form only clears the version it names, so "no-send-proxy" after "send-
 * proxy-v2" leaves v2 in place. */
static int skw_send_proxy(int argc, char **argv, void *v, char **err)
{
    struct srvctx *sc = v;
    int v2 = strcmp(argv[0] + strlen(argv[0]) - 3, "-v2") == 0;

    /* check-send-proxy: health checks send the header even with their own
     * port or address (lbd/ctl/hc.c; the version is the server's) */
    if (strcmp(argv[0], "check-send-proxy") == 0) {
        sc->s->check_send_proxy = 1;
        return 0;
    }
    if (strncmp(argv[0], "no-", 3) == 0) {
        if (sc->s->send_proxy == (v2 ? 2 : 1))
            sc->s->send_proxy = 0;
        return 0;
    }
    sc->s->send_proxy = v2 ? 2 : 1;
    return 0;
}

static int skw_cookie(int argc, char **argv, void *v, char **err)
{
    struct srvctx *sc = v;

    free(sc->s->cookie);
    sc->s->cookie = strdup(argv[1]);
    return sc->s->cookie ? 0 : lb_cfg_fail(sc->ctx, err, "out of memory");
}

/* "addr IP": the health checks' own address (the port stays the traffic
 * port unless "port N" says otherwise). */
static int skw_check_addr(int argc, char **argv, void *v, char **err)
{
    struct srvctx *sc = v;
    struct lk_addr a;

    if (lk_addr_parse(argv[1], LK_ADDR_NO_PORT, &a) < 0)
        return lb_cfg_fail(sc->ctx, err, "addr: expected an IP address without port, got '%s'",
                           argv[1]);
    lk_addr_ip_str(&a, sc->s->check_addr, sizeof(sc->s->check_addr));
    return 0;
}

static int skw_init_state(int argc, char **argv, void *v, char **err)
{
    struct srvctx *sc = v;

    if (strcmp(argv[1], "up") == 0 || strcmp(argv[1], "fully-up") == 0)
        sc->s->init_state = LB_SRV_UP;
    else if (strcmp(argv[1], "down") == 0 || strcmp(argv[1], "fully-down") == 0)
        sc->s->init_state = LB_SRV_DOWN;
    else
        return lb_cfg_fail(sc->ctx, err, "init-state: expected up, down, fully-up or fully-down");
    return 0;
}

/* Keywords with one argument from a fixed set. */
/* The values are matched as whole words between spaces, so a prefix such
 * as "layer" is refused. on-marked-down sets the shutdown policy that the
 * daemon's server observer applies, observe turns on passive health and
 * on-error's mode is read by lbd/ctl/hc.c. on-marked-up sets the policy
 * the same observer applies when the server comes back UP. */
static int skw_choice(int argc, char **argv, void *v, char **err)
{
    static const struct {
        const char *kw;
        const char *values;
    } sets[] = {
        {"on-marked-down", " shutdown-sessions "},
        {"on-marked-up", " shutdown-backup-sessions "},
        {"observe", " layer4 layer7 "},
        {"on-error", " fastinter fail-check sudden-death mark-down "},
    };
    struct srvctx *sc = v;
    char needle[64];
    size_t i;

    for (i = 0; i < LK_ARRAY_SIZE(sets); i++) {
        if (strcmp(argv[0], sets[i].kw) != 0)
            continue;
        snprintf(needle, sizeof(needle), " %s ", argv[1]);
        if (!strstr(sets[i].values, needle))
            return lb_cfg_fail(sc->ctx, err, "%s: expected one of:%s", argv[0], sets[i].values);
        if (i == 0)
            sc->s->shutdown_on_down = 1;
        else if (i == 1)
            sc->s->shutdown_bk_on_up = 1;
        else if (i == 2)
            sc->s->observe = 1;
        else if (i == 3)
            snprintf(sc->s->on_error, sizeof(sc->s->on_error), "%s", argv[1]);
        return 0;
    }
    return 0;
}

/* agent-check, no-agent-check, agent-send S, agent-addr IP (HAProxy's
 * agent: its reply sets state and weight; agent-port and agent-inter are
 * in srv_nums). */
static int skw_agent(int argc, char **argv, void *v, char **err)
{
    struct srvctx *sc = v;
    const char *k = argv[0];
    struct lk_addr a;

    if (strcmp(k, "agent-check") == 0 || strcmp(k, "no-agent-check") == 0) {
        sc->s->agent = k[0] == 'a';
    } else if (strcmp(k, "agent-send") == 0) {
        if (strlen(argv[1]) >= sizeof(sc->s->agent_send))
            return lb_cfg_fail(sc->ctx, err, "agent-send: at most %zu bytes",
                               sizeof(sc->s->agent_send) - 1);
        snprintf(sc->s->agent_send, sizeof(sc->s->agent_send), "%s", argv[1]);
    } else {
        if (lk_addr_parse(argv[1], LK_ADDR_NO_PORT, &a) < 0)
            return lb_cfg_fail(sc->ctx, err,
                               "agent-addr: expected an IP address, got '%s' (a "
                               "host name is not supported by lbd)",
                               argv[1]);
        lk_addr_ip_str(&a, sc->s->agent_addr, sizeof(sc->s->agent_addr));
    }
    return 0;
}

static int skw_resolvers(int argc, char **argv, void *v, char **err)
{
    struct srvctx *sc = v;
    size_t n = strlen(argv[1]);

    if (n == 0 || n >= sizeof(sc->s->resolvers_name))
        return lb_cfg_fail(sc->ctx, err, "resolvers: a name of 1 to %zu characters expected",
                           sizeof(sc->s->resolvers_name) - 1);
    memcpy(sc->s->resolvers_name, argv[1], n + 1);
    return 0;
}

static int skw_resolve_prefer(int argc, char **argv, void *v, char **err)
{
    struct srvctx *sc = v;

    if (strcmp(argv[1], "ipv4") != 0 && strcmp(argv[1], "ipv6") != 0)
        return lb_cfg_fail(sc->ctx, err, "resolve-prefer: expected 'ipv4' or 'ipv6', got '%s'",
                           argv[1]);
    sc->s->resolve_v4 = argv[1][3] == '4';
    return 0;
}

/* Each word of a comma-separated list, for resolve-opts and init-addr. */
static int each_word(struct srvctx *sc,
                     const char *list,
                     int (*fn)(struct srvctx *, const char *, char **),
                     char **err)
{
    char word[64];
    const char *p = list, *e;
    size_t n;

    do {
        e = strchr(p, ',');
        n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || n >= sizeof(word))
            return lb_cfg_fail(sc->ctx, err, "empty or overlong item in '%s'", list);
        memcpy(word, p, n);
        word[n] = '\0';
        if (fn(sc, word, err))
            return LK_CFG_FATAL;
        p = e + 1;
    } while (e);
    return 0;
}

static int resolve_opt(struct srvctx *sc, const char *w, char **err)
{
    if (strcmp(w, "allow-dup-ip") == 0)
        sc->s->resolve_opts |= LB_RESOLVE_ALLOW_DUP_IP;
    else if (strcmp(w, "prevent-dup-ip") == 0)
        sc->s->resolve_opts &= ~LB_RESOLVE_ALLOW_DUP_IP;
    else if (strcmp(w, "ignore-weight") == 0)
        sc->s->resolve_opts |= LB_RESOLVE_IGNORE_WEIGHT;
    else
        return lb_cfg_fail(sc->ctx, err,
                           "resolve-opts: unknown option '%s' (allow-dup-ip, ignore-weight, "
                           "prevent-dup-ip)",
                           w);
    return 0;
}

static int skw_resolve_opts(int argc, char **argv, void *v, char **err)
{
    return each_word(v, argv[1], resolve_opt, err);
}

static int init_addr_method(struct srvctx *sc, const char *w, char **err)
{
    static const char *const names[LB_INIT_ADDR_MAX] = {
        [LB_INIT_ADDR_LAST] = "last", [LB_INIT_ADDR_LIBC] = "libc", [LB_INIT_ADDR_NONE] = "none"};
    char *m = sc->s->init_addr;
    size_t n = strlen(m);
    int i;

    if (n + 1 >= sizeof(sc->s->init_addr))
        return lb_cfg_fail(sc->ctx, err, "init-addr: too many methods");
    for (i = LB_INIT_ADDR_LAST; i < LB_INIT_ADDR_IP; i++)
        if (strcmp(w, names[i]) == 0)
            break;
    if (i == LB_INIT_ADDR_IP && lk_addr_parse(w, LK_ADDR_NO_PORT, &sc->s->init_ip) < 0)
        return lb_cfg_fail(sc->ctx, err,
                           "init-addr: '%s' is neither last, libc, none nor an IP address", w);
    m[n] = (char)i;
    m[n + 1] = LB_INIT_ADDR_END;
    return 0;
}

static int skw_init_addr(int argc, char **argv, void *v, char **err)
{
    struct srvctx *sc = v;

    memset(sc->s->init_addr, 0, sizeof(sc->s->init_addr));
    return each_word(sc, argv[1], init_addr_method, err);
}

/* slowstart TIME: 0 (none) allowed, as in HAProxy */
static int skw_slowstart(int argc, char **argv, void *v, char **err)
{
    struct srvctx *sc = v;

    return lb_cfg_time(sc->ctx, argv, 1, &sc->s->slowstart_ms, err) ? LK_CFG_FATAL : 0;
}

/* Order does not matter for lookup (lk_cfgkw_find scans by name); the min/max
 * argument counts are checked by parse_kws before the handler runs, so
 * handlers may index argv[1] without checking argc. */
static const struct lk_cfgkw server_kws[] = {
    {"slowstart", skw_slowstart, 1, 1, 0},
    {"minconn", skw_num, 1, 1, 0},
    {"agent-check", skw_agent, 0, 0, 0},
    {"no-agent-check", skw_agent, 0, 0, 0},
    {"agent-port", skw_num, 1, 1, 0},
    {"agent-inter", skw_num, 1, 1, 0},
    {"agent-send", skw_agent, 1, 1, 0},
    {"agent-addr", skw_agent, 1, 1, 0},
    {"check", skw_check, 0, 0, 0},
    {"no-check", skw_check, 0, 0, 0},
    {"inter", skw_num, 1, 1, 0},
    {"fastinter", skw_num, 1, 1, 0},
    {"downinter", skw_num, 1, 1, 0},
    {"rise", skw_num, 1, 1, 0},
    {"fall", skw_num, 1, 1, 0},
    {"weight", skw_num, 1, 1, 0},
    {"maxconn", skw_num, 1, 1, 0},
    {"backup", skw_flag, 0, 0, 0},
    {"disabled", skw_flag, 0, 0, 0},
    {"enabled", skw_flag, 0, 0, 0},
    {"cookie", skw_cookie, 1, 1, 0},
    {"send-proxy", skw_send_proxy, 0, 0, 0},
    {"check-send-proxy", skw_send_proxy, 0, 0, 0},
    {"send-proxy-v2", skw_send_proxy, 0, 0, 0},
    {"no-send-proxy", skw_send_proxy, 0, 0, 0},
    {"no-send-proxy-v2", skw_send_proxy, 0, 0, 0},
    {"addr", skw_check_addr, 1, 1, 0},
    {"init-state", skw_init_state, 1, 1, 0},
    {"on-marked-down", skw_choice, 1, 1, 0},
    {"on-marked-up", skw_choice, 1, 1, 0},
    {"observe", skw_choice, 1, 1, 0},
    {"on-error", skw_choice, 1, 1, 0},
    {"error-limit", skw_num, 1, 1, 0},
    {"port", skw_num, 1, 1, 0},
    {"maxqueue", skw_num, 1, 1, 0},
    {"id", skw_num, 1, 1, 0},
    {"resolvers", skw_resolvers, 1, 1, 0},
    {"resolve-prefer", skw_resolve_prefer, 1, 1, 0},
    {"resolve-opts", skw_resolve_opts, 1, 1, 0},
    {"init-addr", skw_init_addr, 1, 1, 0},
    {"pool-max-conn", skw_pool, 1, 1, 0},
    {"pool-purge-delay", skw_pool, 1, 1, 0},
    {"pool-low-conn", skw_pool, 1, 1, 0},
    {NULL, NULL, 0, 0, 0},
};

/* Keywords taking no argument have min_args 0: for them i + 0 >= argc + 1
 * never holds, for the others the value must exist within argv. */
static int parse_kws(struct srvctx *sc, int argc, char **argv, int first, char **err)
{
    const struct lk_cfgkw *kw;
    const char *hint;
    int i = first, n;

    while (i < argc) {
        kw = lk_cfgkw_find(server_kws, argv[i]);
        if (!kw) {
            hint = lk_cfgkw_suggest(server_kws, argv[i]);
            return lb_cfg_fail(sc->ctx, err, "unknown keyword '%s' on '%s' line" LK_CFGKW_HINT_FMT,
                               argv[i], argv[0], LK_CFGKW_HINT_ARGS(hint));
        }
        n = kw->min_args;
        if (i + n >= argc + (n == 0))
            return lb_cfg_fail(sc->ctx, err, "'%s' on '%s' line expects a value", argv[i], argv[0]);
        if (kw->fn(n + 1, argv + i, sc, err) & LK_CFG_FATAL)
            return LK_CFG_FATAL;
        i += n + 1;
    }
    return 0;
}

/* HAProxy's port mapping: an IPv4 literal without a port, or any literal
 * followed by ":+N" / ":-N", sends each connection to the client's own
 * destination port (+N). Returns 0 when spec is not such an address (the
 * caller goes on), 1 with s->port_map set, or 1 with *err set when the
 * offset is out of range. Names and bare IPv6 stay with the caller: "::1"
 * reads as ADDR:PORT there, as HAProxy reads it. */
static int port_mapped(struct srvctx *sc, const char *spec, const char *colon, char **err)
{
    char host[LK_ADDR_STRLEN];
    int64_t off = 0;

    if (colon && (colon[1] == '+' || colon[1] == '-')) {
        if ((size_t)(colon - spec) >= sizeof(host) ||
            lk_parse_int(colon + 1, -65535, 65535, &off) < 0) {
            lb_cfg_fail(sc->ctx, err, "server '%s': invalid port offset '%s' (+N or -N)",
                        sc->s->name, colon + 1);
            return 1;
        }
        memcpy(host, spec, (size_t)(colon - spec));
        host[colon - spec] = '\0';
    } else if (!colon && strlen(spec) < sizeof(host)) {
        memcpy(host, spec, strlen(spec) + 1);
    } else {
        return 0;
    }
    if (lk_addr_parse(host, LK_ADDR_PORT_OPTIONAL, &sc->s->addr) < 0 ||
        lk_addr_port(&sc->s->addr) != 0)
        return 0;
    sc->s->port_map = 1;
    sc->s->port_off = (int)off;
    return 1;
}

/* what a host name may hold (RFC 1123 letters, digits, '-', '.'; '_' as
 * Docker and Kubernetes service names use it) */
#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._"

/* An address literal, or a name kept in s->fqdn: the keywords that follow
 * (init-addr, resolvers) say how it is resolved (initial_addr()). */
/* "${VAR}" addresses are expanded first (HAProxy's environment variables in
 * addresses). A literal is used as is; a name is resolved later by
 * initial_addr() once every keyword of the line is known. */
/* "unix@PATH" or "/PATH": a UNIX stream socket, connected as a TCP address
 * is (mode tcp and http); no port, so nothing to map or resolve. */
static int unix_addr(struct srvctx *sc, const char *path, char **err)
{
    struct sockaddr_un *sun = (struct sockaddr_un *)&sc->s->addr.u.ss;
    size_t n = strlen(path);

    if (!n || n >= sizeof(sun->sun_path))
        return lb_cfg_fail(sc->ctx, err, "server '%s': invalid UNIX socket path '%s'", sc->s->name,
                           path);
    memset(&sc->s->addr, 0, sizeof(sc->s->addr));
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, path, n + 1);
    sc->s->addr.len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    return 0;
}

static int server_addr(struct srvctx *sc, const char *spec, char **err)
{
    char ebuf[256];
    const char *colon;
    uint64_t port;
    int64_t off = 0;
    size_t hostlen;

    spec = lb_cfg_env_addr(spec, ebuf, sizeof(ebuf));
    if (spec[0] == '/' || strncmp(spec, "unix@", 5) == 0)
        return unix_addr(sc, spec[0] == '/' ? spec : spec + 5, err);
    colon = strrchr(spec, ':');
    if (port_mapped(sc, spec, colon, err))
        return sc->s->port_map ? 0 : LK_CFG_FATAL;
    if (lk_addr_parse(spec, 0, &sc->s->addr) == 0) {
        /* the port a name given later ("set server fqdn") is reached on */
        sc->s->dns_port = lk_addr_port(&sc->s->addr);
        return 0;
    }
    if (spec[0] == '_' && !colon) { /* an SRV record: it gives the port */
        sc->s->fqdn = strdup(spec);
        return sc->s->fqdn ? 0 : lb_cfg_fail(sc->ctx, err, "out of memory");
    }
    /* a name without a port, or with +N/-N, maps ports as a literal does
     * (HAProxy 2.6 takes "server s db1 check port 80"): the name resolves
     * to port 0 and each connection goes to the client's destination port */
    hostlen = colon ? (size_t)(colon - spec) : strlen(spec);
    if ((!colon || colon[1] == '+' || colon[1] == '-') && hostlen && hostlen < 256 &&
        strspn(spec, NAME_CHARS) == hostlen) {
        if (colon && lk_parse_int(colon + 1, -65535, 65535, &off) < 0)
            return lb_cfg_fail(sc->ctx, err, "server '%s': invalid port offset '%s' (+N or -N)",
                               sc->s->name, colon + 1);
        sc->s->fqdn = strndup(spec, hostlen);
        sc->s->port_map = 1;
        sc->s->port_off = (int)off;
        return sc->s->fqdn ? 0 : lb_cfg_fail(sc->ctx, err, "out of memory");
    }
    if (!colon || colon == spec || (size_t)(colon - spec) >= 256)
        return lb_cfg_fail(sc->ctx, err, "server '%s': invalid address '%s' (expected ADDR:PORT)",
                           sc->s->name, spec);
    /* getaddrinfo() takes "99999" and wraps it to 34463: check the range
     * here so that a typo is refused rather than sent elsewhere */
    if (lk_parse_uint(colon + 1, 1, 65535, &port) < 0)
        return lb_cfg_fail(sc->ctx, err, "server '%s': invalid port '%s' in '%s' (1 to 65535)",
                           sc->s->name, colon + 1, spec);
    sc->s->fqdn = strndup(spec, (size_t)(colon - spec));
    sc->s->dns_port = (unsigned)port;
    return sc->s->fqdn ? 0 : lb_cfg_fail(sc->ctx, err, "out of memory");
}

void lb_server_addr_none(struct lb_server *s, struct lk_addr *a)
{
    memset(a, 0, sizeof(*a));
    a->u.in4.sin_port = htons((uint16_t)s->dns_port);
}

/* init-addr "libc": the system resolver, once, at start-up. */
/* Blocking, but only at start-up, before the loop runs: exactly HAProxy's
 * libc method. Run-time changes go through lbd/core/dns.c. */
static int libc_addr(struct lb_server *s)
{
    struct addrinfo hints, *res = NULL, *ai;
    int fam = s->resolve_v4 ? AF_INET : AF_INET6;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(s->fqdn, NULL, &hints, &res) != 0 || !res)
        return -ENOENT;
    /* resolve-prefer: the preferred family if the name has one */
    for (ai = res; ai->ai_next && ai->ai_family != fam; ai = ai->ai_next)
        ;
    if (ai->ai_family != fam)
        ai = res;
    memcpy(&s->addr.u, ai->ai_addr, ai->ai_addrlen);
    s->addr.len = ai->ai_addrlen;
    freeaddrinfo(res);
    lk_addr_set_port(&s->addr, s->dns_port);
    return 0;
}

/* The methods of init-addr in order (HAProxy's default: last,libc). "last"
 * reads a server-state file, which lbd does not load: it finds nothing,
 * as HAProxy does without one, and the next method is tried. */
static int initial_addr(struct srvctx *sc, char **err)
{
    static const char defaults[] = {LB_INIT_ADDR_LAST, LB_INIT_ADDR_LIBC, LB_INIT_ADDR_END};
    static const char none_only[] = {LB_INIT_ADDR_NONE, LB_INIT_ADDR_END};
    struct lb_server *s = sc->s;
    const char *m = s->init_addr[0] ? s->init_addr : defaults;

    if (!s->fqdn)
        return 0;
    if (s->fqdn[0] == '_' && !s->resolvers_name[0])
        return lb_cfg_fail(sc->ctx, err, "server '%s': the SRV record '%s' needs 'resolvers'",
                           s->name, s->fqdn);
    if (s->fqdn[0] == '_') { /* run-time DNS gives the target name (s->fqdn) later */
        s->srvrecord = s->fqdn;
        s->fqdn = NULL;
        /* last and libc cannot resolve an SRV record: as HAProxy does, the
         * server starts without an address unless init-addr names an IP */
        for (; *m && *m != LB_INIT_ADDR_IP && *m != LB_INIT_ADDR_NONE; m++)
            ;
        if (!*m)
            m = none_only;
    }
    for (; *m; m++) {
        if (*m == LB_INIT_ADDR_LIBC && libc_addr(s) == 0)
            return 0;
        if (*m == LB_INIT_ADDR_NONE) {
            lb_server_addr_none(s, &s->addr);
            s->dns_maint = 1;
            return 0;
        }
        if (*m == LB_INIT_ADDR_IP) {
            s->addr = s->init_ip;
            lk_addr_set_port(&s->addr, s->dns_port);
            return 0;
        }
    }
    if (s->port_map) /* no port of its own: the name alone */
        return lb_cfg_fail(sc->ctx, err, "server '%s': cannot resolve '%s'", s->name, s->fqdn);
    return lb_cfg_fail(sc->ctx, err, "server '%s': cannot resolve '%s:%u'", s->name,
                       s->fqdn ? s->fqdn : s->srvrecord, s->dns_port);
}

/* Append at config time; the array is given room for run-time additions
 * by lb_server_reserve() once the config is read. */
/* Workers index servers by idx and read nservers, so the array is only grown
 * before any worker runs; at run time lb_server_publish() writes into
 * reserved slots instead. */
static int add_server(struct lb_proxy *px, struct lb_server *s)
{
    struct lb_server **v = realloc(px->servers, (px->nservers + 1) * sizeof(*v));

    if (!v)
        return -ENOMEM;
    px->servers = v;
    px->servers_cap = px->nservers + 1;
    s->idx = px->nservers;
    s->puid = px->nservers + 1;
    v[px->nservers] = s;
    atomic_fetch_add(&px->nservers, 1);
    return 0;
}

/* A realloc moves the array, so this must run before workers hold a pointer
 * to px->servers. */
int lb_server_reserve(struct lb_proxy *px, unsigned extra)
{
    struct lb_server **v = realloc(px->servers, (px->nservers + extra) * sizeof(*v));

    if (!v)
        return -ENOMEM;
    px->servers = v;
    px->servers_cap = px->nservers + extra;
    return 0;
}

int lb_server_publish(struct lb_proxy *px, struct lb_server *s)
{
    unsigned n = atomic_load(&px->nservers);

    if (n >= px->servers_cap)
        return -ENOSPC;
    s->idx = n;
    s->puid = n + 1;
    px->servers[n] = s;
    /* the slot is written before the count that makes workers read it */
    atomic_store_explicit(&px->nservers, n + 1, memory_order_release);
    return 0;
}

/* cur_addr is swapped with release order so a worker that loads it (acquire)
 * sees the whole address. Addresses are never freed while the server lives:
 * freeing the previous one would race with a worker that just loaded it, and
 * a server has few distinct addresses. */
int lb_server_set_addr(struct lb_server *s, const struct lk_addr *a)
{
    struct lk_addr *na, **v;
    unsigned i;

    /* an address it had before is taken again (they never change once
     * published), so a flapping DNS record does not grow the list */
    for (i = 0; i < s->nold_addrs; i++) {
        /* len 0: "no address" (AF_UNSPEC), which still carries a port */
        if (s->old_addrs[i]->len == a->len &&
            memcmp(&s->old_addrs[i]->u, &a->u, a->len ? a->len : sizeof(a->u.in4)) == 0) {
            atomic_store_explicit(&s->cur_addr, s->old_addrs[i], memory_order_release);
            return 0;
        }
    }
    na = malloc(sizeof(*na));
    if (!na)
        return -ENOMEM;
    v = realloc(s->old_addrs, (s->nold_addrs + 1) * sizeof(*v));
    if (!v) {
        free(na);
        return -ENOMEM;
    }
    s->old_addrs = v;
    *na = *a;
    /* the old address stays valid: a worker may be connecting to it now */
    v[s->nold_addrs++] = na;
    atomic_store_explicit(&s->cur_addr, na, memory_order_release);
    return 0;
}

static void finish_server(struct lb_server *s);

/* A server named `name` from the proxy's default-server settings, at the
 * line being parsed; NULL when out of memory. Its name or cookie copy may
 * be NULL (out of memory too): the caller checks the name, and frees with
 * lb_server_free(). */
/* A struct copy of defsrv, then the pointer fields are made the server's own:
 * sharing the default's cookie string or address list would free them twice. */
static struct lb_server *server_new(struct lb_cfgctx *ctx, const char *name)
{
    struct lb_server *s = malloc(sizeof(*s));

    if (!s)
        return NULL;
    *s = ctx->px->defsrv;
    s->name = strdup(name);
    s->cookie = ctx->px->defsrv.cookie ? strdup(ctx->px->defsrv.cookie) : NULL;
    s->old_addrs = NULL;
    s->nold_addrs = 0;
    s->be = ctx->px;
    s->file = ctx->file;
    s->line = ctx->line;
    return s;
}

/* The checks run in order and the first failure stops the line, so the server
 * is freed (never added) on any error. Duplicate names are refused because
 * the admin socket and checkd address servers by BE/NAME. */
int lb_server_parse(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct srvctx sc = {ctx, NULL};
    struct lb_server *s;

    if (lb_server_find(ctx->px, argv[1]))
        return lb_cfg_fail(ctx, err, "server '%s' already defined in backend '%s'", argv[1],
                           ctx->px->name);
    if (argc < 3)
        return lb_cfg_fail(ctx, err, "server '%s' needs an address", argv[1]);
    s = server_new(ctx, argv[1]);
    if (!s)
        return lb_cfg_fail(ctx, err, "out of memory");
    sc.s = s;
    if (!s->name || server_addr(&sc, argv[2], err) || parse_kws(&sc, argc, argv, 3, err) ||
        (s->agent && !s->agent_port &&
         lb_cfg_fail(ctx, err, "server '%s': agent-check needs agent-port N", s->name)) ||
        /* checkd probes over TCP (uv_tcp) only: a UNIX-socket server's
         * check would probe nothing, so it is refused, not left unchecked */
        (s->addr.u.sa.sa_family == AF_UNIX && (s->flags & LB_SRV_F_CHECK) &&
         !(s->check_addr[0] && s->check_port) &&
         lb_cfg_fail(ctx, err,
                     "server '%s': health checks of a UNIX-socket server are not supported by "
                     "lbd (checkd probes TCP only); drop 'check' or check a TCP address "
                     "('addr IP port N')",
                     s->name)) ||
        initial_addr(&sc, err) || add_server(ctx->px, s) < 0) {
        if (!*err)
            lb_cfg_fail(ctx, err, "out of memory");
        lb_server_free(s);
        return LK_CFG_FATAL;
    }
    finish_server(s);
    return 0;
}

/* Derived settings and initial runtime state once the line is parsed. */
/* fastinter and downinter default to inter, as in HAProxy. A server starts UP
 * with a full health counter, so that `fall` failed checks are needed to take
 * it down, unless disabled, "init-state down", or waiting for DNS. check_duration_ms -1 is
 * "no check yet" in show stat. */
static void finish_server(struct lb_server *s)
{
    s->cur_addr = &s->addr;
    if (!s->fastinter)
        s->fastinter = s->inter;
    if (!s->downinter)
        s->downinter = s->inter;
    atomic_init(&s->cur_weight, s->weight);
    s->last_change_ms = lk_mono_ms();
    s->check_duration_ms = -1;
    s->check_health =
        (s->flags & LB_SRV_F_DISABLED) || s->init_state == LB_SRV_DOWN ? 0 : s->rise + s->fall - 1;
    atomic_init(&s->state, (s->flags & LB_SRV_F_DISABLED) || s->dns_maint ? LB_SRV_MAINT
                           : s->init_state == LB_SRV_DOWN                 ? LB_SRV_DOWN
                                                                          : LB_SRV_UP);
}

/* What HAProxy 2.6 refuses on "add server", in its words. */
static int dynamic_refusals(const struct lb_server *s, char **err)
{
    if (s->resolvers_name[0])
        return lk_cfg_err(err, "'resolvers' option is not accepted for dynamic server");
    if (s->init_addr[0])
        return lk_cfg_err(err, "'init-addr' option is not accepted for dynamic server");
    return 0;
}

/* For "add server": the proxy's default-server applies except its DNS
 * settings, and the server is not added to the backend; the caller
 * publishes it. Returns -EINVAL with *err set on a bad line. */
int lb_server_parse_detached(struct lb_cfgctx *ctx,
                             int argc,
                             char **argv,
                             struct lb_server **ret,
                             char **err)
{
    struct srvctx sc = {ctx, NULL};
    struct lb_server *s;

    if (argc < 3)
        return lk_cfg_err(err, "server '%s' needs an address", argv[1]);
    s = server_new(ctx, argv[1]);
    if (!s)
        return -ENOMEM;
    /* the default-server's DNS settings are not for dynamic servers */
    memset(s->init_addr, 0, sizeof(s->init_addr));
    s->resolvers_name[0] = '\0';
    sc.s = s;
    if (!s->name || server_addr(&sc, argv[2], err) || parse_kws(&sc, argc, argv, 3, err) ||
        dynamic_refusals(s, err) || initial_addr(&sc, err)) {
        lb_server_free(s);
        return -EINVAL;
    }
    finish_server(s);
    *ret = s;
    return 0;
}

/* "NUM" (1..NUM) or "LOW-HIGH". */
static int template_range(struct lb_cfgctx *ctx,
                          const char *spec,
                          uint64_t *lo,
                          uint64_t *hi,
                          char **err)
{
    char a[24];
    const char *dash = strchr(spec, '-');
    size_t n = dash ? (size_t)(dash - spec) : 0;

    *lo = 1;
    if (dash && n < sizeof(a)) {
        memcpy(a, spec, n);
        a[n] = '\0';
    }
    if ((dash && (n >= sizeof(a) || lk_parse_uint(a, 1, 100000, lo) < 0 ||
                  lk_parse_uint(dash + 1, 1, 100000, hi) < 0)) ||
        (!dash && lk_parse_uint(spec, 1, 100000, hi) < 0) || *hi < *lo)
        return lb_cfg_fail(ctx, err,
                           "server-template: expected a number of servers or a range LOW-HIGH, "
                           "got '%s'",
                           spec);
    return 0;
}

int lb_server_template_parse(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    char name[256], **sv;
    uint64_t lo, hi, i;
    int r = 0;

    if (argc < 4)
        return lb_cfg_fail(ctx, err, "server-template: expected PREFIX NUM|LOW-HIGH FQDN[:PORT]");
    if (template_range(ctx, argv[2], &lo, &hi, err))
        return LK_CFG_FATAL;
    sv = malloc((size_t)argc * sizeof(*sv));
    if (!sv)
        return lb_cfg_fail(ctx, err, "out of memory");
    /* each slot is the line "server PREFIXi FQDN [keywords]" */
    sv[0] = argv[0];
    sv[1] = name;
    memcpy(sv + 2, argv + 3, (size_t)(argc - 3) * sizeof(*sv));
    sv[argc - 1] = NULL;
    /* A template is expanded into real server lines here, so every later piece of
     * lbd (stats, checkd, DNS slots) sees ordinary servers. */
    for (i = lo; i <= hi && !r; i++) {
        snprintf(name, sizeof(name), "%s%llu", argv[1], (unsigned long long)i);
        r = lb_server_parse(argc - 1, sv, ctx, err);
    }
    free(sv);
    return r;
}

int lb_defsrv_parse(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct srvctx sc = {ctx, &ctx->px->defsrv};

    return parse_kws(&sc, argc, argv, 1, err);
}

int lb_server_send_proxy(const struct lb_server *s,
                         int fd,
                         const struct lk_addr *src,
                         const struct lk_addr *dst)
{
    uint8_t hdr[PROXY_PROTO_MAX];
    int n;

    n = proxy_proto_build(s->send_proxy, src ? &src->u.sa : NULL, dst ? &dst->u.sa : NULL, hdr,
                          sizeof(hdr));
    if (n < 0)
        return n;
    errno = 0;
    if (send(fd, hdr, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n)
        return errno ? -errno : -EIO;
    return 0;
}
