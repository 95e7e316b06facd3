/* peers_cfg.c - peers sections; see peers_cfg.h. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/compiler.h"
#include "common/log.h"
#include "lbd/cfg/cfg.h"
#include "lbd/cfg/peers_cfg.h"
#include "lbd/core/proxy_types.h"
#include "lbd/core/stktable.h"
#include "proto/peers.h"

struct lb_peers_sec *lb_peers_sec_of(struct lb_cfgsec *s)
{
    return s ? lk_container_of(s, struct lb_peers_sec, sec) : NULL;
}

void lb_peers_sec_free(struct lb_cfgsec *s)
{
    struct lb_peers_sec *ps = lk_container_of(s, struct lb_peers_sec, sec);

    while (ps->npeers)
        free(ps->peers[--ps->npeers].name);
    while (ps->nown)
        lb_stk_free(ps->tables[--ps->nown]);
    free(ps->tables);
    free(ps->peers);
}

/* HAProxy resolves peer names once at start-up (libc); so does lbd, here,
 * when the address is not a literal one. */
static int parse_addr(const char *spec, struct lk_addr *a)
{
    struct addrinfo hints, *res = NULL;
    char host[256];
    const char *colon = strrchr(spec, ':');
    uint64_t port;
    size_t n;

    if (lk_addr_parse(spec, 0, a) == 0)
        return lk_addr_port(a) ? 0 : -EINVAL;
    if (!colon || (n = (size_t)(colon - spec)) == 0 || n >= sizeof(host) ||
        lk_parse_uint(colon + 1, 1, 65535, &port) < 0)
        return -EINVAL;
    memcpy(host, spec, n);
    host[n] = '\0';
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
        return -EINVAL;
    memset(a, 0, sizeof(*a));
    memcpy(&a->u.sa, res->ai_addr, res->ai_addrlen);
    a->len = (socklen_t)res->ai_addrlen;
    freeaddrinfo(res);
    lk_addr_set_port(a, (uint16_t)port);
    return 0;
}

static struct lb_peer *peer_find(struct lb_peers_sec *ps, const char *name)
{
    unsigned i;

    for (i = 0; i < ps->npeers; i++)
        if (strcmp(ps->peers[i].name, name) == 0)
            return &ps->peers[i];
    return NULL;
}

/* Anything after the address is a server option in HAProxy (ssl, shard,
 * verify...); none changes nothing, so each is refused. */
static int peer_add(struct lb_cfgctx *ctx, int argc, char **argv, int addr_required, char **err)
{
    struct lb_peers_sec *ps = ctx->peers;
    struct lb_peer *p;

    if (argc > 3)
        return lb_cfg_fail(ctx, err,
                           "%s '%s': option '%s' is not supported by lbd in peers sections "
                           "(plain TCP peers only)",
                           argv[0], argv[1], argv[3]);
    if (peer_find(ps, argv[1]))
        return lb_cfg_fail(ctx, err, "peers '%s': peer '%s' is already defined", ps->sec.name,
                           argv[1]);
    if (argc < 3 && addr_required)
        return lb_cfg_fail(ctx, err, "peer '%s': needs an address (NAME ADDR:PORT)", argv[1]);
    p = realloc(ps->peers, (ps->npeers + 1) * sizeof(*p));
    if (!p)
        return lb_cfg_fail(ctx, err, "out of memory");
    ps->peers = p;
    p += ps->npeers;
    memset(p, 0, sizeof(*p));
    if (argc == 3) {
        if (parse_addr(argv[2], &p->addr) < 0)
            return lb_cfg_fail(ctx, err, "%s '%s': expected ADDR:PORT, got '%s'", argv[0], argv[1],
                               argv[2]);
        p->has_addr = 1;
    }
    if (!(p->name = strdup(argv[1])))
        return lb_cfg_fail(ctx, err, "out of memory");
    p->file = ctx->file;
    p->line = ctx->line;
    ps->npeers++;
    return 0;
}

/* "peer NAME ADDR:PORT" (every version) */
static int kw_peer(int argc, char **argv, void *vctx, char **err)
{
    return peer_add(vctx, argc, argv, 1, err);
}

/* "server NAME [ADDR:PORT]" (2.x): the local one has no address, "bind"
 * says where it listens. */
static int kw_server(int argc, char **argv, void *vctx, char **err)
{
    return peer_add(vctx, argc, argv, 0, err);
}

static int kw_bind(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_peers_sec *ps = ctx->peers;

    if (argc > 2)
        return lb_cfg_fail(ctx, err,
                           "bind: option '%s' is not supported by lbd in peers sections "
                           "(plain TCP peers only)",
                           argv[2]);
    if (ps->has_bind)
        return lb_cfg_fail(ctx, err, "peers '%s': only one 'bind' line is supported by lbd",
                           ps->sec.name);
    if (lk_addr_parse(argv[1], 0, &ps->bind) < 0 || lk_addr_port(&ps->bind) == 0)
        return lb_cfg_fail(ctx, err, "bind: expected ADDR:PORT, got '%s'", argv[1]);
    ps->has_bind = 1;
    ps->bind_file = ctx->file;
    ps->bind_line = ctx->line;
    return 0;
}

static int kw_disabled(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    ctx->peers->disabled = argv[0][0] == 'd';
    return 0;
}

/* "table NAME type ... [store ...]": parsed as a stick-table line (with
 * no "peers" argument: the section is implied). HAProxy names it
 * "SECTION/NAME" in the rest of the file and on the admin socket, and
 * sends "/NAME" on the wire (what its own peers expect to match). */
static int kw_table(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_peers_sec *ps = ctx->peers;
    struct lb_stktable *t = NULL, **v;
    char name[PEERS_NAME_MAX], *msg = NULL;
    int i, r;

    for (i = 2; i < argc; i++)
        if (strcmp(argv[i], "peers") == 0)
            return lb_cfg_fail(ctx, err, "table '%s': 'peers' is implied in a peers section",
                               argv[1]);
    if ((size_t)snprintf(name, sizeof(name), "%s/%s", ps->sec.name, argv[1]) >= sizeof(name))
        return lb_cfg_fail(ctx, err, "table '%s': name too long", argv[1]);
    if (lb_peers_find_table(ctx->cfg, name))
        return lb_cfg_fail(ctx, err, "table '%s' is already defined in peers '%s'", argv[1],
                           ps->sec.name);
    /* argv[1] takes the keyword's place: the parser skips it */
    r = lb_stk_parse(name, argc - 1, argv + 1, &t, &msg);
    if (r < 0) {
        r = lb_cfg_fail(ctx, err, "table '%s': %s", argv[1], msg ? msg : "out of memory");
        free(msg);
        return r;
    }
    v = realloc(ps->tables, (ps->nown + 1) * sizeof(*v));
    if (!v) {
        lb_stk_free(t);
        return lb_cfg_fail(ctx, err, "out of memory");
    }
    ps->tables = v;
    t->file = ctx->file;
    t->line = ctx->line;
    t->peers_name = strdup(ps->sec.name);
    t->wire_name = strchr(t->name, '/');
    ps->tables[ps->nown++] = t;
    return t->peers_name ? 0 : lb_cfg_fail(ctx, err, "out of memory");
}

struct lb_stktable *lb_peers_find_table(const struct lb_cfg *cfg, const char *name)
{
    struct lb_peers_sec *ps;
    struct lb_cfgsec *s;
    unsigned i;

    for (s = cfg->peers; (ps = lb_peers_sec_of(s)); s = s->next)
        for (i = 0; i < ps->nown; i++)
            if (strcmp(ps->tables[i]->name, name) == 0)
                return ps->tables[i];
    return NULL;
}

void lb_peers_each_table(const struct lb_cfg *cfg,
                         void (*fn)(struct lb_stktable *t, void *arg),
                         void *arg)
{
    struct lb_peers_sec *ps;
    struct lb_cfgsec *s;
    unsigned i;

    for (s = cfg->peers; (ps = lb_peers_sec_of(s)); s = s->next)
        for (i = 0; i < ps->nown; i++)
            fn(ps->tables[i], arg);
}

/* Known HAProxy keywords lbd does not implement, each with what to do
 * instead. */
static int kw_refused(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    const char *hint = strcmp(argv[0], "shards") == 0
                           ? "lbd sends every entry to every peer: remove 'shards' and the "
                             "servers' 'shard' options"
                           : "write the options on each 'peer' line (none are supported)";

    return lb_cfg_fail(ctx, err, "'%s' is not supported by lbd in peers sections (%s)", argv[0],
                       hint);
}

const struct lk_cfgkw lb_peers_kws[] = {
    {"peer", kw_peer, 1, 8, 0},
    {"server", kw_server, 1, 8, 0},
    {"bind", kw_bind, 1, 8, 0},
    {"disabled", kw_disabled, 0, 0, 0},
    {"enabled", kw_disabled, 0, 0, 0},
    {"shards", kw_refused, 1, 1, 0},
    {"table", kw_table, 3, -1, 0},
    {"default-server", kw_refused, 0, -1, 0},
    {"default-bind", kw_refused, 0, -1, 0},
    {NULL, NULL, 0, 0, 0},
};

int lb_peers_kw_localpeer(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    free(ctx->cfg->global.localpeer);
    ctx->cfg->global.localpeer = strdup(argv[1]);
    return ctx->cfg->global.localpeer ? 0 : lb_cfg_fail(ctx, err, "out of memory");
}

struct lb_peers_sec *lb_peers_find(const struct lb_cfg *cfg, const char *name)
{
    return lb_peers_sec_of(lb_cfgsec_find(cfg->peers, name));
}

int lb_peers_cfg_validate(struct lb_cfg *cfg, char **err)
{
    struct lb_peers_sec *ps;
    struct lb_cfgsec *s;
    struct lb_proxy *px;
    struct lb_stktable *t;
    unsigned i;
    int r = 0;

    /* a section's own tables belong to it from their line on */
    for (s = cfg->peers; (ps = lb_peers_sec_of(s)); s = s->next)
        for (i = 0; i < ps->nown; i++, ps->ntables++)
            ps->tables[i]->peers = ps;
    for (px = cfg->proxies; px; px = px->next) {
        t = px->stk;
        if (!t || !t->peers_name)
            continue;
        t->peers = lb_peers_find(cfg, t->peers_name);
        if (!t->peers) {
            lb_cfg_err_append(err, "%s:%u: stick-table '%s': no peers section named '%s'",
                              t->file ? t->file : "?", t->line, px->name, t->peers_name);
            r = -EINVAL;
        } else {
            t->peers->ntables++;
        }
    }
    return r;
}

/* The local peer's listening address: its own line's, else "bind". */
static int local_addr(struct lb_peers_sec *ps, char **err)
{
    if (ps->local->has_addr || ps->has_bind)
        return 0;
    lb_cfg_err_append(err, "%s:%u: peers '%s': local peer '%s' has no address and no 'bind' line",
                      ps->local->file, ps->local->line, ps->sec.name, ps->local->name);
    return -EINVAL;
}

static void unshare_tables(struct lb_cfg *cfg, const struct lb_peers_sec *ps)
{
    struct lb_proxy *px;
    unsigned i;

    for (px = cfg->proxies; px; px = px->next)
        if (px->stk && px->stk->peers == ps)
            px->stk->peers = NULL;
    for (i = 0; i < ps->nown; i++)
        ps->tables[i]->peers = NULL;
}

int lb_peers_cfg_localize(struct lb_cfg *cfg, const char *name, char **err)
{
    struct lb_peers_sec *ps;
    struct lb_cfgsec *s;
    char host[256];
    int r = 0;

    if (!name)
        name = cfg->global.localpeer;
    if (!name) {
        if (gethostname(host, sizeof(host)) < 0)
            host[0] = '\0';
        host[sizeof(host) - 1] = '\0';
        name = host;
    }
    for (s = cfg->peers; (ps = lb_peers_sec_of(s)); s = s->next) {
        ps->local = peer_find(ps, name);
        if (!ps->local) {
            /* HAProxy 2.6's wording; its tables then stay local, as there */
            lk_log(LK_LOG_WARNING,
                   "%s:%u: Removing incomplete section 'peers %s' (no peer named '%s').",
                   ps->sec.file, ps->sec.line, ps->sec.name, name);
            unshare_tables(cfg, ps);
            continue;
        }
        ps->local->local = 1;
        if (local_addr(ps, err) < 0)
            r = -EINVAL;
        if (ps->disabled)
            unshare_tables(cfg, ps);
    }
    return r;
}

const char *lb_peers_local_name(const struct lb_cfg *cfg)
{
    struct lb_peers_sec *ps;
    struct lb_cfgsec *s;

    for (s = cfg->peers; (ps = lb_peers_sec_of(s)); s = s->next)
        if (ps->local && !ps->disabled)
            return ps->local->name;
    return NULL;
}
