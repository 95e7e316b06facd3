/* proxy.c - frontends, backends, listen and defaults sections. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cfglex.h"
#include "common/log.h"
#include "lbd/cfg/cfg.h"
#include "lbd/cfg/check_cfg.h"
#include "lbd/cfg/http_cfg.h"
#include "lbd/cfg/proxy.h"
#include "lbd/core/server.h"
#include "lbd/core/srvstate.h"
#include "lbd/core/stktable.h"
#include "lbd/http/lfmt.h"
#include "proto/feed.h"

static const char *const algo_names[LB_ALGO_MAX] = {
    [LB_ALGO_ROUNDROBIN] = "roundrobin",
    [LB_ALGO_LEASTCONN] = "leastconn",
    [LB_ALGO_SOURCE] = "source",
    [LB_ALGO_FIRST] = "first",
    [LB_ALGO_URI] = "uri",
    [LB_ALGO_HDR] = "hdr",
    [LB_ALGO_RANDOM] = "random",
};

const char *lb_algo_name(enum lb_algo a)
{
    return a < LB_ALGO_MAX ? algo_names[a] : "?";
}

const char *lb_proxy_kind(const struct lb_proxy *px)
{
    if (px->cap & LB_CAP_DEF)
        return "defaults";
    if ((px->cap & (LB_CAP_FE | LB_CAP_BE)) == (LB_CAP_FE | LB_CAP_BE))
        return "listen";
    return (px->cap & LB_CAP_FE) ? "frontend" : "backend";
}

/* A NULL-terminated string vector: the terminator is kept in place after
 * every add so the vector can be handed to code that walks to NULL. */
static int strv_add(char ***v, size_t *n, const char *s)
{
    char **nv = realloc(*v, (*n + 2) * sizeof(char *));

    if (!nv)
        return -ENOMEM;
    *v = nv;
    nv[*n] = strdup(s);
    if (!nv[*n])
        return -ENOMEM;
    nv[++*n] = NULL;
    return 0;
}

static void strv_free(char **v, size_t n)
{
    while (n)
        free(v[--n]);
    free(v);
}

/* Free a proxy's stats settings and zero them. */
static void stats_clear(struct lb_stats_cfg *st)
{
    strv_free(st->auth, st->nauth);
    strv_free(st->scope, st->nscope);
    lb_cond_free(st->admin);
    free(st->uri);
    free(st->realm);
    free(st->desc);
    free(st->node);
    memset(st, 0, sizeof(*st));
}

static int dup_opt(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return src && !*dst ? -ENOMEM : 0;
}

/* HAProxy shares the defaults' stats settings with every proxy that has
 * no stats line of its own ("stats admin" is refused in defaults, so
 * there is no condition to copy). */
static int stats_inherit(struct lb_stats_cfg *st, const struct lb_stats_cfg *def)
{
    size_t i;

    st->enabled = def->enabled;
    st->file = def->file;
    st->line = def->line;
    st->refresh_ms = def->refresh_ms;
    st->hide_version = def->hide_version;
    st->show_desc = def->show_desc;
    st->show_node = def->show_node;
    st->inherited = 1;
    if (dup_opt(&st->uri, def->uri) || dup_opt(&st->realm, def->realm) ||
        dup_opt(&st->desc, def->desc) || dup_opt(&st->node, def->node))
        return -ENOMEM;
    for (i = 0; i < def->nauth; i++)
        if (strv_add(&st->auth, &st->nauth, def->auth[i]) < 0)
            return -ENOMEM;
    for (i = 0; i < def->nscope; i++)
        if (strv_add(&st->scope, &st->nscope, def->scope[i]) < 0)
            return -ENOMEM;
    return 0;
}

/* What a proxy takes from its defaults section, HAProxy's rules: every
 * setting is copied, and every owned pointer is duplicated so that the
 * defaults and each proxy free their own. A default_backend or a log format
 * only means something in a frontend, so backends do not take them. The
 * defaults' default-server is copied as a struct, then its name and cookie
 * are cleared: server_new() duplicates them per server. */
static int inherit(struct lb_proxy *px, const struct lb_proxy *def)
{
    px->mode = def->mode;
    px->options = def->options;
    px->retries = def->retries;
    px->to = def->to;
    px->maxconn = def->maxconn;
    px->fullconn = def->fullconn;
    px->algo = def->algo;
    px->lbprm = def->lbprm;
    px->srv_state_load = def->srv_state_load;
    memcpy(px->srv_state_name, def->srv_state_name, sizeof(px->srv_state_name));
    px->log_global = def->log_global;
    px->defsrv = def->defsrv;
    px->ff = def->ff;
    px->ot = def->ot;
    px->defsrv.name = NULL;
    px->defsrv.cookie = NULL;
    if (def->algo_arg && !(px->algo_arg = strdup(def->algo_arg)))
        return -ENOMEM;
    if ((px->cap & LB_CAP_FE) && def->default_backend_name &&
        !(px->default_backend_name = strdup(def->default_backend_name)))
        return -ENOMEM;
    if (lb_logtargets_dup(def->logs, &px->logs) < 0)
        return -ENOMEM;
    if (def->logfmt_text && (px->cap & LB_CAP_FE) &&
        (!(px->logfmt_text = strdup(def->logfmt_text)) ||
         lb_lfmt_parse_log(px->logfmt_text, &px->logfmt, NULL) < 0))
        return -ENOMEM;
    if (def->logsd_text && (px->cap & LB_CAP_FE) &&
        (!(px->logsd_text = strdup(def->logsd_text)) ||
         lb_lfmt_parse_log(px->logsd_text, &px->logsd, NULL) < 0))
        return -ENOMEM;
    px->logsd_file = def->logsd_file;
    px->logsd_line = def->logsd_line;
    if (def->uidfmt_text && (px->cap & LB_CAP_FE) &&
        (!(px->uidfmt_text = strdup(def->uidfmt_text)) ||
         lb_lfmt_parse_log(px->uidfmt_text, &px->uidfmt, NULL) < 0))
        return -ENOMEM;
    if (def->uidhdr && (px->cap & LB_CAP_FE) && !(px->uidhdr = strdup(def->uidhdr)))
        return -ENOMEM;
    if (def->log_tag && !(px->log_tag = strdup(def->log_tag)))
        return -ENOMEM;
    if (stats_inherit(&px->stats, &def->stats) < 0)
        return -ENOMEM;
    px->logfmt_file = def->logfmt_file;
    px->logfmt_line = def->logfmt_line;
    if (lb_check_cfg_inherit(px, def) < 0)
        return -ENOMEM;
    return lb_http_px_inherit(px, def);
}

/* retries 3 is HAProxy's default. On any failure the half-built proxy goes
 * through lb_proxy_free(), which accepts it. */
struct lb_proxy *lb_proxy_new(const char *name, unsigned cap, const struct lb_proxy *def)
{
    struct lb_proxy *px;

    px = calloc(1, sizeof(*px));
    if (!px)
        return NULL;
    px->cap = cap;
    px->retries = 3;
    lb_server_defaults(&px->defsrv);
    if (name && !(px->name = strdup(name)))
        return lb_proxy_free(px);
    if (def && inherit(px, def) < 0)
        return lb_proxy_free(px);
    return px;
}

/* Frees a proxy whatever state parsing left it in (every field starts
 * zeroed). Servers are owned by their backend and go with it. */
struct lb_proxy *lb_proxy_free(struct lb_proxy *px)
{
    struct lb_bind *b, *bn;
    unsigned i;

    if (!px)
        return NULL;
    for (b = px->binds; b; b = bn) {
        bn = b->next;
        free(b->spec);
        free(b->name);
        free(b);
    }
    for (i = 0; i < px->nservers; i++)
        lb_server_free(px->servers[i]);
    free(px->servers);
    lb_logtargets_free(px->logs);
    lb_lfmt_free(px->logfmt);
    free(px->logfmt_text);
    lb_lfmt_free(px->uidfmt);
    free(px->uidfmt_text);
    lb_lfmt_free(px->logsd);
    free(px->logsd_text);
    free(px->uidhdr);
    free(px->log_tag);
    stats_clear(&px->stats);
    px->chk = lb_check_cfg_free(px->chk);
    lb_http_px_free(px->http);
    lb_stk_free(px->stk);
    free(px->defsrv.cookie);
    free(px->algo_arg);
    free(px->default_backend_name);
    free(px->name);
    free(px);
    return NULL;
}

/* ---- keywords ---- */

/* The raw spec is kept for messages and for the master's socket keys; ${VAR}
 * is expanded only for the address itself. */
static int add_one_bind(struct lb_cfgctx *ctx, const char *spec, char **err)
{
    struct lb_proxy *px = ctx->px;
    struct lb_bind *b, **tail;
    char ebuf[256];
    unsigned n = 0;

    b = calloc(1, sizeof(*b));
    if (!b || !(b->spec = strdup(spec))) {
        free(b);
        return lb_cfg_fail(ctx, err, "out of memory");
    }
    if (lk_addr_parse(lb_cfg_env_addr(spec, ebuf, sizeof(ebuf)), 0, &b->addr) < 0) {
        free(b->spec);
        free(b);
        return lb_cfg_fail(
            ctx, err, "bind: invalid address '%s' (expected ADDR:PORT, *:PORT or :PORT)", spec);
    }
    b->file = ctx->file;
    b->line = ctx->line;
    /* HAProxy numbers each listener (address, port of a range) in order */
    for (tail = &px->binds; *tail; tail = &(*tail)->next)
        n++;
    b->luid = n + 1;
    *tail = b;
    return 0;
}

/* "ADDR:P1-P2" (HAProxy's port range): one listener per port, each with
 * its own "ADDR:P" spec, so the master keys and hands over each socket on
 * its own across reloads. Anything else is one address. */
static int add_bind(struct lb_cfgctx *ctx, const char *spec, char **err)
{
    char ebuf[256], one[300];
    const char *a = lb_cfg_env_addr(spec, ebuf, sizeof(ebuf)), *colon = strrchr(a, ':');
    const char *dash = colon ? strchr(colon + 1, '-') : NULL;
    uint64_t lo, hi, p;
    char *los;
    int r;

    if (!dash)
        return add_one_bind(ctx, spec, err);
    los = strndup(colon + 1, (size_t)(dash - colon - 1));
    r = los ? lk_parse_uint(los, 1, 65535, &lo) : -ENOMEM;
    free(los);
    if (r < 0 || lk_parse_uint(dash + 1, 1, 65535, &hi) < 0 || hi < lo)
        return lb_cfg_fail(ctx, err,
                           "bind: invalid port range in '%s' (expected P1-P2, 1 to 65535)", spec);
    for (p = lo; p <= hi; p++) {
        snprintf(one, sizeof(one), "%.*s:%u", (int)(colon - a), a, (unsigned)p);
        if (add_one_bind(ctx, one, err))
            return LK_CFG_FATAL;
    }
    return 0;
}

/* The options after "bind ADDR[,ADDR]": HAProxy's socket options lbd
 * applies to each listener, and accept-proxy; TLS ones are refused. */
/* Options are parsed before the addresses so a bad option fails the line
 * before any bind is added. v6only stays -1 when neither v4v6 nor v6only is
 * given, which leaves the kernel's default (net.ipv6.bindv6only). The 88-byte
 * lower bound on mss is what Linux accepts for TCP_MAXSEG. "name" only labels
 * a listener in HAProxy's stats, which lbd does not list per listener, and
 * in the log line of a connection that failed its PROXY header. */
static int bind_opts(struct lb_cfgctx *ctx, struct lb_bind *o, int argc, char **argv, char **err)
{
    uint64_t v;
    int i;

    for (i = 2; i < argc; i++) {
        const char *a = argv[i], *n = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "v4v6") == 0 || strcmp(a, "v6only") == 0) {
            o->v6only = a[1] == '6';
        } else if (strcmp(a, "defer-accept") == 0) {
            o->defer_accept = 1;
        } else if (strcmp(a, "tfo") == 0) {
            o->tfo = 1;
        } else if (strcmp(a, "transparent") == 0) {
            o->transparent = 1;
        } else if (strcmp(a, "accept-proxy") == 0) {
            o->accept_proxy = 1;
        } else if (strcmp(a, "name") == 0 && n) {
            free(o->name);
            if (!(o->name = strdup(n)))
                return lb_cfg_fail(ctx, err, "out of memory");
            i++;
        } else if (strcmp(a, "backlog") == 0 && n) {
            if (lk_parse_uint(n, 1, 1u << 20, &v) < 0)
                return lb_cfg_fail(ctx, err, "bind: invalid backlog '%s'", n);
            o->backlog = (unsigned)v;
            i++;
        } else if (strcmp(a, "mss") == 0 && n) {
            if (lk_parse_uint(n, 88, 65535, &v) < 0)
                return lb_cfg_fail(ctx, err, "bind: invalid mss '%s'", n);
            o->mss = (unsigned)v;
            i++;
        } else if (strcmp(a, "interface") == 0 && n) {
            if (strlen(n) >= sizeof(o->interface))
                return lb_cfg_fail(ctx, err, "bind: interface name too long '%s'", n);
            snprintf(o->interface, sizeof(o->interface), "%s", n);
            i++;
        } else {
            return lb_cfg_fail(ctx, err,
                               "bind: option '%s' is not supported by lbd (name, v4v6, v6only, "
                               "backlog, defer-accept, tfo, transparent, mss, interface, "
                               "accept-proxy; TLS is not)",
                               a);
        }
    }
    return 0;
}

static int kw_bind(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    char *list, *tok, *save = NULL;
    struct lb_bind o, **tail, *first;
    int r = 0;

    memset(&o, 0, sizeof(o));
    o.v6only = -1;
    if (bind_opts(ctx, &o, argc, argv, err)) {
        free(o.name);
        return LK_CFG_FATAL;
    }
    for (tail = &ctx->px->binds; *tail; tail = &(*tail)->next)
        ;
    list = strdup(argv[1]);
    if (!list)
        return lb_cfg_fail(ctx, err, "out of memory");
    for (tok = strtok_r(list, ",", &save); tok && !r; tok = strtok_r(NULL, ",", &save))
        r = add_bind(ctx, tok, err);
    free(list);
    /* every address of the line gets the line's options */
    for (first = *tail; first; first = first->next) {
        first->v6only = o.v6only;
        first->backlog = o.backlog;
        first->defer_accept = o.defer_accept;
        first->tfo = o.tfo;
        first->transparent = o.transparent;
        first->mss = o.mss;
        first->accept_proxy = o.accept_proxy;
        memcpy(first->interface, o.interface, sizeof(o.interface));
        if (o.name && !(first->name = strdup(o.name)))
            r = lb_cfg_fail(ctx, err, "out of memory");
    }
    free(o.name);
    return r;
}

/* The mode is final only at the end of the file (defaults may set it, the
 * section may change it later), so everything that depends on it is checked
 * in lb_proxy_validate() and lb_http_cfg_resolve(), not here. HAProxy's "mode
 * health" is refused with the others. */
static int kw_mode(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    if (strcmp(argv[1], "tcp") == 0)
        ctx->px->mode = LB_MODE_TCP;
    else if (strcmp(argv[1], "http") == 0)
        ctx->px->mode = LB_MODE_HTTP;
    else
        return lb_cfg_fail(ctx, err, "mode: expected 'tcp' or 'http', got '%s'", argv[1]);
    return 0;
}

/* Kept by name: the backend may be defined further down; validation resolves
 * it and checks that its mode matches. */
static int kw_default_backend(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    free(ctx->px->default_backend_name);
    ctx->px->default_backend_name = strdup(argv[1]);
    return ctx->px->default_backend_name ? 0 : lb_cfg_fail(ctx, err, "out of memory");
}

/* balance uri's options: len N, depth N, whole, path-only */
static int balance_uri_opts(struct lb_cfgctx *ctx, int argc, char **argv, char **err)
{
    struct lb_lbprm *p = &ctx->px->lbprm;
    uint64_t v;
    int i;

    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "whole") == 0) {
            p->uri_whole = 1;
        } else if (strcmp(argv[i], "path-only") == 0) {
            p->uri_path_only = 1;
        } else if (strcmp(argv[i], "len") == 0 || strcmp(argv[i], "depth") == 0) {
            if (i + 1 >= argc)
                return lb_cfg_fail(ctx, err, "balance uri: '%s' expects a positive integer",
                                   argv[i]);
            if (lb_cfg_uint(ctx, argv, i + 1, 1, 1u << 30, &v, err))
                return LK_CFG_FATAL;
            if (argv[i][0] == 'l')
                p->uri_len = (unsigned)v;
            else
                p->uri_depth = (unsigned)v;
            i++;
        } else {
            return lb_cfg_fail(ctx, err,
                               "balance uri: unknown option '%s' (len, depth, whole, path-only)",
                               argv[i]);
        }
    }
    return 0;
}

/* balance random or random(N): N draws, default 2 */
static int balance_random(struct lb_cfgctx *ctx, const char *a, char **err)
{
    char *end;
    unsigned long v = 2;

    if (a[6] == '(') {
        v = strtoul(a + 7, &end, 10);
        if (end == a + 7 || strcmp(end, ")") != 0 || v < 1 || v > 1000)
            return lb_cfg_fail(ctx, err,
                               "balance random: expected 'random(<draws>)' with draws 1..1000, "
                               "got '%s'",
                               a);
    } else if (a[6]) {
        return lb_cfg_fail(ctx, err, "balance: unknown algorithm '%s'", a);
    }
    ctx->px->algo = LB_ALGO_RANDOM;
    ctx->px->lbprm.draws = (unsigned)v;
    return 0;
}

/* A new balance line resets the previous algorithm's arguments, so a "balance
 * uri whole" in defaults does not leak options into a backend's "balance
 * roundrobin". */
static int kw_balance(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_proxy *px = ctx->px;
    const char *a = argv[1];
    size_t i;

    free(px->algo_arg);
    px->algo_arg = NULL;
    px->lbprm.uri_whole = px->lbprm.uri_path_only = 0;
    px->lbprm.uri_len = px->lbprm.uri_depth = 0;
    if (strncmp(a, "hdr(", 4) == 0) {
        size_t n = strlen(a);

        if (n < 6 || a[n - 1] != ')' || argc > 2)
            return lb_cfg_fail(ctx, err, "balance: expected 'hdr(<name>)', got '%s'%s", a,
                               argc > 2 ? " (use_domain_only is not implemented)" : "");
        px->algo = LB_ALGO_HDR;
        px->algo_arg = strndup(a + 4, n - 5);
        return 0;
    }
    if (strncmp(a, "random", 6) == 0) {
        if (argc > 2)
            return lb_cfg_fail(ctx, err, "balance random takes no option");
        return balance_random(ctx, a, err);
    }
    for (i = 0; i < LB_ALGO_MAX; i++)
        if (i != LB_ALGO_HDR && i != LB_ALGO_RANDOM && strcmp(a, algo_names[i]) == 0)
            break;
    if (i == LB_ALGO_MAX)
        return lb_cfg_fail(ctx, err,
                           "balance: unknown algorithm '%s' (roundrobin, leastconn, source, "
                           "first, uri, hdr(name), random)",
                           a);
    if (argc > 2 && i != LB_ALGO_URI)
        return lb_cfg_fail(ctx, err, "balance %s takes no option", a);
    px->algo = (enum lb_algo)i;
    return i == LB_ALGO_URI ? balance_uri_opts(ctx, argc, argv, err) : 0;
}

/* hash-type map-based|consistent [sdbm|djb2|wt6|crc32] [avalanche]; as in
 * HAProxy 2.6, "consistent" without a function is sdbm with avalanche */
static int kw_hash_type(int argc, char **argv, void *vctx, char **err)
{
    static const char *const fns[] = {"sdbm", "djb2", "wt6", "crc32"};
    struct lb_cfgctx *ctx = vctx;
    struct lb_lbprm *p = &ctx->px->lbprm;
    size_t i;

    if (strcmp(argv[1], "map-based") == 0)
        p->hash_type = LB_HASH_MAP;
    else if (strcmp(argv[1], "consistent") == 0)
        p->hash_type = LB_HASH_CONSISTENT;
    else
        return lb_cfg_fail(ctx, err, "hash-type: expected 'map-based' or 'consistent', got '%s'",
                           argv[1]);
    p->hash_fn = LB_HFN_SDBM;
    p->avalanche = argc < 3 && p->hash_type == LB_HASH_CONSISTENT;
    if (argc < 3)
        return 0;
    for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
        if (strcmp(argv[2], fns[i]) == 0)
            break;
    if (i == sizeof(fns) / sizeof(fns[0]))
        return lb_cfg_fail(
            ctx, err, "hash-type: unknown hash function '%s' (sdbm, djb2, wt6, crc32)", argv[2]);
    p->hash_fn = (unsigned char)i;
    if (argc > 3) {
        if (strcmp(argv[3], "avalanche") != 0)
            return lb_cfg_fail(ctx, err, "hash-type: unknown modifier '%s' (avalanche)", argv[3]);
        p->avalanche = 1;
    }
    return 0;
}

/* HAProxy 2.6 then takes a tenth of the maxconn of the frontends that can
 * reach the backend; lbd asks for the value instead (refused, not guessed). */
static int validate_minconn(const struct lb_proxy *px, char **err)
{
    unsigned i;

    for (i = 0; px->fullconn == 0 && i < px->nservers; i++)
        if (px->servers[i]->minconn && px->servers[i]->minconn != px->servers[i]->maxconn)
            return lk_cfg_err(err,
                              "%s:%u: server '%s': 'minconn' without 'fullconn' in backend '%s' "
                              "is not supported by lbd (HAProxy derives fullconn from the "
                              "frontends' maxconn): set fullconn",
                              px->servers[i]->file, px->servers[i]->line, px->servers[i]->name,
                              px->name);
    return 0;
}

/* hash-balance-factor N: 0 (off) or at least 100, as HAProxy 2.6 checks */
static int kw_hash_balance_factor(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    uint64_t v;

    if (lb_cfg_uint(ctx, argv, 1, 0, 65535, &v, err))
        return LK_CFG_FATAL;
    if (v != 0 && v < 100)
        return lb_cfg_fail(ctx, err, "hash-balance-factor: expects 0 or a value of 100 or more");
    ctx->px->lbprm.balance_factor = (unsigned)v;
    return 0;
}

/* Servers written without a port (or with +N/-N) need a port of their own
 * for checks (HAProxy 2.6's own error): 'port N', or a 'tcp-check connect
 * port N' first rule. In mode http such a server's connections go to the
 * client's port too, each kept for its client connection (httpfwd.c). */
static int validate_port_maps(const struct lb_proxy *px, char **err)
{
    const struct lb_server *s;
    unsigned i;

    for (i = 0; i < px->nservers; i++) {
        s = px->servers[i];
        if (!s->port_map)
            continue;
        if ((atomic_load(&s->flags) & LB_SRV_F_CHECK) && !s->check_port &&
            !lb_check_cfg_connect_port(px))
            return lk_cfg_err(err,
                              "%s:%u: backend '%s': server '%s' has neither service port nor "
                              "check port; add 'port N' for its checks",
                              s->file, s->line, px->name, s->name);
    }
    return 0;
}

/* One row per "option NAME": the flag it sets, the sections it is valid in,
 * and how many arguments may follow. Options absent from the table are
 * refused with the nearest known name. */
struct optdef {
    const char *name;
    unsigned flag;
    unsigned cap;
    int max_args;
};

static const struct optdef options[] = {
    {"tcpka", LB_OPT_TCPKA, LB_KW_D | LB_KW_FB, 0},
    {"clitcpka", LB_OPT_CLITCPKA, LB_KW_D | LB_KW_F, 0},
    {"srvtcpka", LB_OPT_SRVTCPKA, LB_KW_D | LB_KW_B, 0},
    {"tcplog", LB_OPT_TCPLOG, LB_KW_D | LB_KW_F, 0},
    {"httplog", LB_OPT_HTTPLOG, LB_KW_D | LB_KW_F, 1},
    {"redispatch", LB_OPT_REDISPATCH, LB_KW_D | LB_KW_B, 1},
    {"dontlognull", LB_OPT_DONTLOGNULL, LB_KW_D | LB_KW_F, 0},
    {"forwardfor", LB_OPT_FORWARDFOR, LB_KW_D | LB_KW_FB, 5},
    {"originalto", LB_OPT_ORIGINALTO, LB_KW_D | LB_KW_FB, 4},
    {"http-server-close", LB_OPT_HTTP_SERVER_CLOSE, LB_KW_D | LB_KW_FB, 0},
    {"httpclose", LB_OPT_HTTPCLOSE, LB_KW_D | LB_KW_FB, 0},
    {"http-keep-alive", LB_OPT_HTTP_KEEP_ALIVE, LB_KW_D | LB_KW_FB, 0},
    {"httpchk", LB_OPT_HTTPCHK, LB_KW_D | LB_KW_B, 3},
    {"mysql-check", LB_OPT_MYSQL_CHECK, LB_KW_D | LB_KW_B, 3},
    {"log-health-checks", LB_OPT_LOG_HEALTH_CHECKS, LB_KW_D | LB_KW_B, 0},
    {"tcp-check", LB_OPT_TCP_CHECK, LB_KW_D | LB_KW_B, 0},
    {"redis-check", LB_OPT_REDIS_CHECK, LB_KW_D | LB_KW_B, 0},
    {"pgsql-check", LB_OPT_PGSQL_CHECK, LB_KW_D | LB_KW_B, 2},
    {"smtpchk", LB_OPT_SMTPCHK, LB_KW_D | LB_KW_B, 2},
    {"ssl-hello-chk", LB_OPT_SSL_HELLO_CHK, LB_KW_D | LB_KW_B, 0},
    {"external-check", LB_OPT_EXTERNAL_CHECK, LB_KW_D | LB_KW_B, 0},
    {"splice-auto", LB_OPT_SPLICE_AUTO, LB_KW_D | LB_KW_FB, 0},
    {"allbackups", LB_OPT_ALLBACKUPS, LB_KW_D | LB_KW_B, 0},
    {"logasap", LB_OPT_LOGASAP, LB_KW_D | LB_KW_F, 0},
    {"dontlog-normal", LB_OPT_DONTLOG_NORMAL, LB_KW_D | LB_KW_F, 0},
    {"log-separate-errors", LB_OPT_LOG_SEP_ERRORS, LB_KW_D | LB_KW_F, 0},
    {"abortonclose", LB_OPT_ABORTONCLOSE, LB_KW_D | LB_KW_B, 0},
    {NULL, 0, 0, 0},
};

/* Edit distance under 3, the same bound lk_cfgkw_suggest() uses for keywords,
 * so typos such as "forwardfr" get a hint. */
static const char *option_suggest(const char *name)
{
    const char *best = NULL;
    unsigned bestd = 3, d;
    size_t i;

    for (i = 0; options[i].name; i++) {
        d = lk_edit_distance(options[i].name, name);
        if (d < bestd) {
            bestd = d;
            best = options[i].name;
        }
    }
    return best;
}

static int option_validate_args(struct lb_cfgctx *ctx,
                                const struct optdef *o,
                                int nargs,
                                char **argv,
                                char **err)
{
    if (nargs > o->max_args)
        return lb_cfg_fail(ctx, err, "option %s takes at most %d argument%s", o->name, o->max_args,
                           o->max_args == 1 ? "" : "s");
    if (o->flag == LB_OPT_MYSQL_CHECK && nargs > 0 && (strcmp(argv[0], "user") != 0 || nargs < 2))
        return lb_cfg_fail(ctx, err, "option mysql-check: expected 'user <name> [post-41]'");
    if (o->flag == LB_OPT_PGSQL_CHECK && (nargs != 2 || strcmp(argv[0], "user") != 0))
        return lb_cfg_fail(ctx, err, "option pgsql-check: expected 'user <name>'");
    if (o->flag == LB_OPT_HTTPLOG && nargs == 1 && strcmp(argv[0], "clf") != 0)
        return lb_cfg_fail(ctx, err, "option httplog: only 'clf' may follow");
    /* lbd moves a failed connect to another server at every retry (docs/lbd.md,
     * "Connection failures"): HAProxy's interval 1; other intervals would
     * need same-server retries, which lbd does not make */
    if (o->flag == LB_OPT_REDISPATCH && nargs == 1 && strcmp(argv[0], "1") != 0)
        return lb_cfg_fail(ctx, err,
                           "option redispatch %s: lbd redispatches on every retry; only the "
                           "interval 1 (or none) is supported",
                           argv[0]);
    return 0;
}

/* "except NET": an IPv4 or IPv6 address with an optional /LEN (IPv4 also
 * /DOTTED-MASK), as HAProxy's str2net()/str62net() read it. */
/* The network is stored masked, so the hot-path test is a plain (addr & mask)
 * == net without a per-request normalisation. */
static int ff_except(struct lb_cfgctx *ctx,
                     const char *opt,
                     const char *v,
                     struct lb_fwdfor *ff,
                     char **err)
{
    char ip[64], *slash, *end;
    unsigned long bits;
    struct in_addr m4;
    int af, len, i;

    if (snprintf(ip, sizeof(ip), "%s", v) >= (int)sizeof(ip))
        goto bad;
    slash = strchr(ip, '/');
    if (slash)
        *slash++ = 0;
    af = strchr(ip, ':') ? AF_INET6 : AF_INET;
    len = af == AF_INET ? 4 : 16;
    if (inet_pton(af, ip, ff->net) != 1)
        goto bad;
    memset(ff->mask, 0, sizeof(ff->mask));
    bits = (unsigned long)len * 8;
    if (slash && af == AF_INET && strchr(slash, '.')) {
        if (inet_pton(AF_INET, slash, &m4) != 1)
            goto bad;
        memcpy(ff->mask, &m4, 4);
    } else {
        if (slash) {
            errno = 0;
            bits = strtoul(slash, &end, 10);
            if (errno || end == slash || *end || bits > (unsigned long)len * 8)
                goto bad;
        }
        for (i = 0; i < len; i++)
            ff->mask[i] = bits >= (unsigned long)(i + 1) * 8 ? 0xff
                          : bits > (unsigned long)i * 8
                              ? (uint8_t)(0xff << (8 - (bits - (unsigned long)i * 8)))
                              : 0;
    }
    for (i = 0; i < len; i++)
        ff->net[i] &= ff->mask[i];
    ff->except_af = (uint8_t)af;
    return 0;
bad:
    return lb_cfg_fail(ctx, err,
                       "option %s: 'except' expects a network (A.B.C.D[/M] or "
                       "IPV6[/M]), got '%s'",
                       opt, v);
}

/* option forwardfor [except NET] [header NAME] [if-none], and option
 * originalto [except NET] [header NAME] (ot: no if-none), each argument
 * once, in any order; the option resets what an earlier line (or defaults)
 * set. */
/* The header name is stored with ": " appended, ready to be written before
 * the address; the 125-character bound keeps it inside ff.hdr. */
static int ff_args(struct lb_cfgctx *ctx, int ot, int argc, char **argv, char **err)
{
    const char *opt = ot ? "originalto" : "forwardfor";
    struct lb_fwdfor ff;
    int i;

    memset(&ff, 0, sizeof(ff));
    snprintf(ff.hdr, sizeof(ff.hdr), ot ? "X-Original-To: " : "X-Forwarded-For: ");
    ff.always = 1;
    for (i = 0; i < argc; i++) {
        if (!ot && strcmp(argv[i], "if-none") == 0) {
            ff.always = 0;
        } else if (strcmp(argv[i], "except") == 0 && i + 1 < argc) {
            if (ff_except(ctx, opt, argv[++i], &ff, err))
                return LK_CFG_FATAL;
        } else if (strcmp(argv[i], "header") == 0 && i + 1 < argc) {
            i++;
            if (!argv[i][0] || strpbrk(argv[i], ": \t") ||
                snprintf(ff.hdr, sizeof(ff.hdr), "%s: ", argv[i]) >= (int)sizeof(ff.hdr))
                return lb_cfg_fail(ctx, err,
                                   "option %s: 'header' expects a field name (at most "
                                   "125 characters, no ':' or space), got '%s'",
                                   opt, argv[i]);
        } else {
            return lb_cfg_fail(ctx, err,
                               "option %s: only 'except NET', 'header NAME'%s may follow, got '%s'",
                               opt, ot ? "" : " and 'if-none'", argv[i]);
        }
    }
    if (ot)
        ctx->px->ot = ff;
    else
        ctx->px->ff = ff;
    return 0;
}

static int set_log_format(struct lb_cfgctx *ctx, const char *fmt, char **err);

/* "no option X" clears the flag; "no log" drops the proxy's log targets and
 * "log global". The check options (httpchk, mysql-check, ...) are exclusive:
 * setting one clears the others, as in HAProxy, where the last check option
 * of a section wins. */
static int kw_option(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    int neg = strcmp(argv[0], "no") == 0;
    const char *name;
    const char *hint;
    size_t i;

    if (neg && (argc < 3 || strcmp(argv[1], "option") != 0)) {
        if (argc == 2 && strcmp(argv[1], "log") == 0) {
            ctx->px->log_global = 0;
            ctx->px->logs = lb_logtargets_free(ctx->px->logs);
            return 0;
        }
        return lb_cfg_fail(ctx, err, "'no' must be followed by 'option <name>' or 'log'");
    }
    name = argv[neg ? 2 : 1];
    for (i = 0; options[i].name; i++)
        if (strcmp(options[i].name, name) == 0)
            break;
    if (!options[i].name) {
        hint = option_suggest(name);
        return lb_cfg_fail(ctx, err, "unknown option '%s'" LK_CFGKW_HINT_FMT, name,
                           LK_CFGKW_HINT_ARGS(hint));
    }
    /* HAProxy takes the log format from the frontend and says so */
    if ((options[i].flag == LB_OPT_TCPLOG || options[i].flag == LB_OPT_HTTPLOG) &&
        ctx->px->cap == LB_CAP_BE) {
        lk_log(LK_LOG_WARNING,
               "%s:%u: 'option %s' ignored for proxy '%s' as it requires a "
               "frontend (the frontend's log format is used)",
               ctx->file, ctx->line, name, ctx->px->name);
        return LK_CFG_WARN;
    }
    /* HAProxy 2.6 warns and drops an option the proxy has no side for
     * ("'srvtcpka' ignored because frontend 'f' has no backend
     * capability"): it could act on nothing there, so HAProxy and lbd
     * behave the same without it. */
    if (!(options[i].cap & ctx->px->cap)) {
        lk_log(LK_LOG_WARNING, "%s:%u: '%s' ignored because %s '%s' has no %s capability",
               ctx->file, ctx->line, name, lb_proxy_kind(ctx->px), ctx->px->name,
               (options[i].cap & LB_CAP_BE) ? "backend" : "frontend");
        return LK_CFG_WARN;
    }
    if (neg) {
        ctx->px->options &= ~options[i].flag;
        return 0;
    }
    if (options[i].flag == LB_OPT_TCPLOG || options[i].flag == LB_OPT_HTTPLOG) {
        /* a later option *log replaces an earlier log-format */
        ctx->px->logfmt = lb_lfmt_free(ctx->px->logfmt);
        free(ctx->px->logfmt_text);
        ctx->px->logfmt_text = NULL;
        if (argc == 3 && options[i].flag == LB_OPT_HTTPLOG)
            return set_log_format(ctx, LB_LFMT_CLF, err);
    }
    if (option_validate_args(ctx, &options[i], argc - 2, argv + 2, err))
        return LK_CFG_FATAL;
    if ((options[i].flag == LB_OPT_FORWARDFOR || options[i].flag == LB_OPT_ORIGINALTO) &&
        ff_args(ctx, options[i].flag == LB_OPT_ORIGINALTO, argc - 2, argv + 2, err))
        return LK_CFG_FATAL;
    if (options[i].flag & LB_OPT_CHK_ANY)
        ctx->px->options &= ~LB_OPT_CHK_ANY;
    ctx->px->options |= options[i].flag;
    /* the check options' arguments go to the check definition; the others
     * were checked for shape by option_validate_args() */
    if (argc > 2 && (options[i].flag & LB_OPT_CHK_ARGS))
        return lb_check_option_args(ctx, argc, argv, err);
    return 0;
}

/* retries N, maxconn N and fullconn N, with HAProxy 2.6's bounds. fullconn
 * is the backend load at which "minconn" servers reach their maxconn
 * (lb_server_maxconn_now()), shown as the backend's slim. */
static int kw_count(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    int retries = strcmp(argv[0], "retries") == 0;
    uint64_t v;

    if (lb_cfg_uint(ctx, argv, 1, 0, retries ? 100 : 10000000, &v, err))
        return LK_CFG_FATAL;
    if (retries)
        ctx->px->retries = (int)v;
    else if (strcmp(argv[0], "maxconn") == 0)
        ctx->px->maxconn = (unsigned)v;
    else
        ctx->px->fullconn = (unsigned)v;
    return 0;
}

/* Each kind names the sides it applies to (cap) and its field in struct
 * lb_timeouts (off); a kind for a side the proxy lacks is checked and then
 * dropped with HAProxy's warning, below. */
static int kw_timeout(int argc, char **argv, void *vctx, char **err)
{
    static const struct {
        const char *name;
        size_t off;
        unsigned cap;
    } kinds[] = {
        {"connect", offsetof(struct lb_timeouts, connect), LB_KW_D | LB_KW_B},
        {"client", offsetof(struct lb_timeouts, client), LB_KW_D | LB_KW_F},
        {"server", offsetof(struct lb_timeouts, server), LB_KW_D | LB_KW_B},
        {"queue", offsetof(struct lb_timeouts, queue), LB_KW_D | LB_KW_B},
        {"tunnel", offsetof(struct lb_timeouts, tunnel), LB_KW_D | LB_KW_B},
        {"check", offsetof(struct lb_timeouts, check), LB_KW_D | LB_KW_B},
        {"http-request", offsetof(struct lb_timeouts, http_request), LB_KW_D | LB_KW_FB},
        {"http-keep-alive", offsetof(struct lb_timeouts, http_keep_alive), LB_KW_D | LB_KW_FB},
        {"client-fin", offsetof(struct lb_timeouts, client_fin), LB_KW_D | LB_KW_F},
        {"server-fin", offsetof(struct lb_timeouts, server_fin), LB_KW_D | LB_KW_B},
        {"tarpit", offsetof(struct lb_timeouts, tarpit), LB_KW_D | LB_KW_FB},
    };
    struct lb_cfgctx *ctx = vctx;
    size_t i;

    for (i = 0; i < LK_ARRAY_SIZE(kinds); i++)
        if (strcmp(argv[1], kinds[i].name) == 0)
            break;
    if (i == LK_ARRAY_SIZE(kinds))
        return lb_cfg_fail(ctx, err,
                           "timeout: unknown kind '%s' (connect, client, server, queue, tunnel, "
                           "check, http-request, http-keep-alive, client-fin, server-fin, "
                           "tarpit)",
                           argv[1]);
    if (argc != 3)
        return lb_cfg_fail(ctx, err, "'timeout %s' expects one value", argv[1]);
    /* A side the proxy does not have: HAProxy 2.6 checks the value, then
     * warns and drops it (there is no such connection to time out). */
    if (!(kinds[i].cap & ctx->px->cap)) {
        uint64_t unused;

        if (lb_cfg_time(ctx, argv + 1, 1, &unused, err))
            return LK_CFG_FATAL;
        lk_log(LK_LOG_WARNING,
               "%s:%u: 'timeout %s' will be ignored because %s '%s' has no %s capability",
               ctx->file, ctx->line, argv[1], lb_proxy_kind(ctx->px), ctx->px->name,
               (kinds[i].cap & LB_CAP_BE) ? "backend" : "frontend");
        return LK_CFG_WARN;
    }
    return lb_cfg_time(ctx, argv + 1, 1, (uint64_t *)(void *)((char *)&ctx->px->to + kinds[i].off),
                       err);
}

/* "log global" uses the global section's targets, looked up when a line is
 * sent (so a later "log" in global still applies); any other form adds a
 * target of the proxy's own. */
static int kw_log(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    if (argc == 2 && strcmp(argv[1], "global") == 0) {
        ctx->px->log_global = 1;
        return 0;
    }
    return lb_cfg_parse_log(ctx, argc, argv, &ctx->px->logs, err);
}

/* A log format and its text (log-format, unique-id-format): `fmt` compiled
 * into *f and copied into *text, which the previous ones are freed from.
 * The text is kept next to the compiled format so that defaults can hand it
 * to proxies (inherit() recompiles it). `what` prefixes the error. */
static int set_lfmt(struct lb_cfgctx *ctx,
                    const char *what,
                    const char *fmt,
                    struct lb_lfmt **f,
                    char **text,
                    char **err)
{
    struct lb_lfmt *nf = NULL;
    char *msg = NULL, *nt;
    int r;

    r = lb_lfmt_parse_log(fmt, &nf, &msg);
    if (r < 0) {
        r = lb_cfg_fail(ctx, err, "%s%s", what, msg ? msg : "out of memory");
        free(msg);
        return r;
    }
    if (!(nt = strdup(fmt))) {
        lb_lfmt_free(nf);
        return lb_cfg_fail(ctx, err, "out of memory");
    }
    lb_lfmt_free(*f);
    free(*text);
    *f = nf;
    *text = nt;
    return 0;
}

/* The frontend's line becomes `fmt` (log-format, option httplog clf); its
 * position is kept so that validation can report the log-format's own line. */
static int set_log_format(struct lb_cfgctx *ctx, const char *fmt, char **err)
{
    if (set_lfmt(ctx, "", fmt, &ctx->px->logfmt, &ctx->px->logfmt_text, err))
        return LK_CFG_FATAL;
    ctx->px->logfmt_file = ctx->file;
    ctx->px->logfmt_line = ctx->line;
    return 0;
}

/* log-format FMT: the frontend's line instead of option httplog/tcplog
 * (the last of them in a section wins, as in HAProxy). */
static int kw_log_format(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    if (ctx->px->cap == LB_CAP_BE) {
        lk_log(LK_LOG_WARNING,
               "%s:%u: 'log-format' ignored for proxy '%s' as it requires a frontend", ctx->file,
               ctx->line, ctx->px->name);
        return LK_CFG_WARN;
    }
    return set_log_format(ctx, argv[1], err);
}

/* log-tag TAG: this proxy's syslog tag, instead of the global one. */
static int kw_log_tag(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    free(ctx->px->log_tag);
    if (!(ctx->px->log_tag = strdup(argv[1])))
        return lb_cfg_fail(ctx, err, "out of memory");
    return 0;
}

/* unique-id-format FMT: each request's ID (%ID, unique-id-header). */
static int kw_uid_format(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    return set_lfmt(ctx, "unique-id-format: ", argv[1], &ctx->px->uidfmt, &ctx->px->uidfmt_text,
                    err);
}

/* log-format-sd FMT: the structured data of RFC 5424 lines (targets with
 * "format rfc5424"; the other formats have no such field, as in HAProxy). */
static int kw_log_format_sd(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    if (!argv[1][0]) /* HAProxy 2.6 refuses it too */
        return lb_cfg_fail(ctx, err, "log-format-sd expects an argument");
    if (set_lfmt(ctx, "log-format-sd: ", argv[1], &ctx->px->logsd, &ctx->px->logsd_text, err))
        return LK_CFG_FATAL;
    ctx->px->logsd_file = ctx->file;
    ctx->px->logsd_line = ctx->line;
    return 0;
}

/* unique-id-header NAME: the ID is sent to the server in that field. */
/* The name is stored with ": " appended, ready to be written before the value
 * on the forwarding path. */
static int kw_uid_header(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    char *h;

    if (asprintf(&h, "%s: ", argv[1]) < 0)
        return lb_cfg_fail(ctx, err, "out of memory");
    free(ctx->px->uidhdr);
    ctx->px->uidhdr = h;
    return 0;
}

/* Stored as "user:password" and compared as a whole against the Basic
 * credentials of a request. */
static int stats_auth(struct lb_cfgctx *ctx, const char *v, char **err)
{
    if (!strchr(v, ':') || v[0] == ':')
        return lb_cfg_fail(ctx, err, "stats auth: expected 'user:password', got '%s'", v);
    if (strv_add(&ctx->px->stats.auth, &ctx->px->stats.nauth, v) < 0)
        return lb_cfg_fail(ctx, err, "out of memory");
    return 0;
}

/* "stats admin if|unless COND": the condition sees the client's address
 * (the stats page decides before it reads a request's headers), with the
 * proxy's ACLs. */
static int stats_admin(struct lb_cfgctx *ctx, int argc, char **argv, char **err)
{
    struct lb_http_px *h = lb_http_px_get(ctx->px);
    char *msg = NULL;
    int r;

    if (!h)
        return lb_cfg_fail(ctx, err, "out of memory");
    lb_cond_free(ctx->px->stats.admin);
    ctx->px->stats.admin = NULL;
    r = lb_cond_parse(h->acls, 0, argc - 2, argv + 2, &ctx->px->stats.admin, &msg);
    if (r < 0) {
        r = lb_cfg_fail(ctx, err, "stats admin: %s", msg ? msg : "out of memory");
        free(msg);
        return r;
    }
    return 0;
}

/* "stats show-desc [TEXT...]": the words joined by single spaces, as
 * HAProxy joins them; without any, the global description is shown. */
static int stats_desc(struct lb_cfgctx *ctx, int argc, char **argv, char **err)
{
    ctx->px->stats.show_desc = 1;
    free(ctx->px->stats.desc);
    ctx->px->stats.desc = NULL;
    if (argc > 2 && !(ctx->px->stats.desc = lb_cfg_join(argc, argv, 2)))
        return lb_cfg_fail(ctx, err, "out of memory");
    return 0;
}

static int stats_str(struct lb_cfgctx *ctx, char **dst, const char *v, char **err)
{
    free(*dst);
    *dst = strdup(v);
    return *dst ? 0 : lb_cfg_fail(ctx, err, "out of memory");
}

/* The "stats" sub-keywords of one argument or none. */
static int stats_simple(struct lb_cfgctx *ctx, int argc, char **argv, char **err)
{
    struct lb_stats_cfg *st = &ctx->px->stats;
    const char *k = argv[1];

    if (argc == 2 && strcmp(k, "enable") == 0)
        return 0;
    if (argc == 2 && strcmp(k, "hide-version") == 0) {
        st->hide_version = 1;
        return 0;
    }
    if (strcmp(k, "show-legends") == 0)
        return 0;
    if (argc <= 3 && strcmp(k, "show-node") == 0) {
        st->show_node = 1;
        return argc == 3 ? stats_str(ctx, &st->node, argv[2], err) : 0;
    }
    if (argc == 3 && strcmp(k, "uri") == 0) {
        if (argv[2][0] != '/')
            return lb_cfg_fail(ctx, err, "stats uri must start with '/', got '%s'", argv[2]);
        return stats_str(ctx, &st->uri, argv[2], err);
    }
    if (argc == 3 && strcmp(k, "realm") == 0)
        return stats_str(ctx, &st->realm, argv[2], err);
    if (argc == 3 && strcmp(k, "auth") == 0)
        return stats_auth(ctx, argv[2], err);
    if (argc == 3 && strcmp(k, "refresh") == 0)
        return lb_cfg_time(ctx, argv + 1, 1, &st->refresh_ms, err);
    if (argc == 3 && strcmp(k, "scope") == 0)
        return strv_add(&st->scope, &st->nscope, argv[2]) < 0
                   ? lb_cfg_fail(ctx, err, "out of memory")
                   : 0;
    return lb_cfg_fail(ctx, err,
                       "stats: expected 'enable', 'uri PATH', 'auth USER:PASS', 'refresh T', "
                       "'realm R', 'hide-version', 'scope NAME', 'show-desc [TEXT]', "
                       "'show-node [NAME]', 'show-legends' or 'admin if|unless COND', got '%s'",
                       k);
}

/* As in HAProxy, every stats line enables the page, and the first one of
 * a proxy drops what it had from defaults. */
static int kw_stats(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_stats_cfg *st = &ctx->px->stats;
    const char *k = argv[1];

    if (!(ctx->px->cap & LB_CAP_DEF) && st->inherited)
        stats_clear(st);
    if (!st->enabled) {
        st->file = ctx->file;
        st->line = ctx->line;
    }
    st->enabled = 1;
    if (strcmp(k, "admin") == 0 && (ctx->px->cap & LB_CAP_DEF))
        return lb_cfg_fail(ctx, err, "'stats admin' not allowed in 'defaults' section");
    if (strcmp(k, "admin") == 0 && argc >= 4 &&
        (strcmp(argv[2], "if") == 0 || strcmp(argv[2], "unless") == 0))
        return stats_admin(ctx, argc, argv, err);
    if (strcmp(k, "show-desc") == 0)
        return stats_desc(ctx, argc, argv, err);
    return stats_simple(ctx, argc, argv, err);
}

/* "description" text has no effect on traffic; lbd does not show it. */
static int kw_ignored(int argc, char **argv, void *vctx, char **err)
{
    return 0; /* documentation-only keywords (description) */
}

const struct lk_cfgkw lb_proxy_kws[] = {
    {"bind", kw_bind, 1, -1, LB_KW_F},
    {"mode", kw_mode, 1, 1, LB_KW_D | LB_KW_FB},
    {"default_backend", kw_default_backend, 1, 1, LB_KW_D | LB_KW_F},
    {"balance", kw_balance, 1, -1, LB_KW_D | LB_KW_B},
    {"hash-type", kw_hash_type, 1, 3, LB_KW_D | LB_KW_B},
    {"hash-balance-factor", kw_hash_balance_factor, 1, 1, LB_KW_D | LB_KW_B},
    {"fullconn", kw_count, 1, 1, LB_KW_D | LB_KW_B},
    {"load-server-state-from-file", lb_srvstate_kw_load, 1, 1, LB_KW_D | LB_KW_B},
    {"server-state-file-name", lb_srvstate_kw_name, 0, 1, LB_KW_D | LB_KW_B},
    {"server", lb_server_parse, 1, -1, LB_KW_B},
    {"server-template", lb_server_template_parse, 3, -1, LB_KW_B},
    {"default-server", lb_defsrv_parse, 1, -1, LB_KW_D | LB_KW_B},
    {"option", kw_option, 1, -1, LB_KW_D | LB_KW_FB},
    {"no", kw_option, 1, -1, LB_KW_D | LB_KW_FB},
    {"retries", kw_count, 1, 1, LB_KW_D | LB_KW_B},
    {"timeout", kw_timeout, 1, 2, LB_KW_D | LB_KW_FB},
    {"maxconn", kw_count, 1, 1, LB_KW_D | LB_KW_F},
    {"log", kw_log, 1, 8, LB_KW_D | LB_KW_FB},
    {"log-format", kw_log_format, 1, 1, LB_KW_D | LB_KW_FB},
    {"unique-id-format", kw_uid_format, 1, 1, LB_KW_D | LB_KW_F},
    {"log-format-sd", kw_log_format_sd, 1, 1, LB_KW_D | LB_KW_F},
    {"log-tag", kw_log_tag, 1, 1, LB_KW_D | LB_KW_FB},
    {"unique-id-header", kw_uid_header, 1, 1, LB_KW_D | LB_KW_F},
    {"stats", kw_stats, 1, -1, LB_KW_D | LB_KW_FB},
    {"http-check", lb_check_httpcheck_kw, 1, -1, LB_KW_D | LB_KW_B},
    {"tcp-check", lb_check_tcpcheck_kw, 1, -1, LB_KW_D | LB_KW_B},
    {"galera-check", lb_check_galera_kw, 1, 5, LB_KW_D | LB_KW_B},
    {"external-check", lb_check_external_kw, 2, 2, LB_KW_D | LB_KW_B},
    {"description", kw_ignored, 1, -1, LB_KW_FB},
    {NULL, NULL, 0, 0, 0},
};

/* ---- validation ---- */

/* Cross-proxy checks that need the whole file: default_backend may name a
 * backend further down, and the mode is only final at the section's end.
 * Every backend gets room for LB_DYN_SERVERS "add server" entries here,
 * before workers exist (lb_server_reserve()). */
int lb_proxy_validate(struct lb_cfg *cfg, struct lb_proxy *px, char **err)
{
    const char *v;

    /* the mode is known only now: HAProxy checks the log-format here too */
    if (px->mode == LB_MODE_TCP && (v = lb_lfmt_http_only(px->logfmt)))
        return lk_cfg_err(err,
                          "%s:%u: failed to parse log-format: format variable '%s' is reserved "
                          "for HTTP mode",
                          px->logfmt_file, px->logfmt_line, v);
    px->log_back = (uint8_t)(lb_lfmt_uses_back(px->logfmt) || lb_lfmt_uses_back(px->logsd));
    if (px->mode == LB_MODE_TCP && (v = lb_lfmt_http_only(px->logsd)))
        return lk_cfg_err(err,
                          "%s:%u: failed to parse log-format-sd: format variable '%s' is "
                          "reserved for HTTP mode",
                          px->logsd_file, px->logsd_line, v);
    if (lb_check_validate(cfg, px, err) < 0)
        return -EINVAL;
    if ((px->cap & LB_CAP_FE) && !px->binds && !(px->cap & LB_CAP_BE))
        return lk_cfg_err(err, "%s:%u: frontend '%s' has no 'bind' line", px->file, px->line,
                          px->name);
    if (px->default_backend_name) {
        px->default_backend = lb_cfg_find_proxy(cfg, px->default_backend_name, LB_CAP_BE);
        if (!px->default_backend)
            return lk_cfg_err(err, "%s:%u: %s '%s': default_backend '%s' does not exist", px->file,
                              px->line, lb_proxy_kind(px), px->name, px->default_backend_name);
        if (px->default_backend->mode != px->mode)
            return lk_cfg_err(err, "%s:%u: %s '%s' (mode %s) cannot use backend '%s' (mode %s)",
                              px->file, px->line, lb_proxy_kind(px), px->name,
                              px->mode == LB_MODE_TCP ? "tcp" : "http", px->default_backend->name,
                              px->default_backend->mode == LB_MODE_TCP ? "tcp" : "http");
    } else if ((px->cap & LB_CAP_BE) && (px->cap & LB_CAP_FE)) {
        px->default_backend = px;
    }
    /* a frontend without default_backend is valid, as for HAProxy: a
     * request nothing routes gets 503, a tcp connection is closed */
    if ((px->algo == LB_ALGO_URI || px->algo == LB_ALGO_HDR) && px->mode != LB_MODE_HTTP)
        return lk_cfg_err(err, "%s:%u: balance %s needs 'mode http' in %s '%s'", px->file, px->line,
                          lb_algo_name(px->algo), lb_proxy_kind(px), px->name);
    if (validate_minconn(px, err) < 0)
        return -EINVAL;
    if ((px->cap & LB_CAP_BE) && lb_server_reserve(px, LB_DYN_SERVERS) < 0)
        return lk_cfg_err(err, "out of memory");
    return validate_port_maps(px, err) < 0 ? -EINVAL : 0;
}
