/* cfg.c - see cfg.h. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkd/cfg.h"
#include "checkd/health.h"
#include "checkd/probe.h"
#include "checkd/target.h"
#include "common/addr.h"
#include "common/cfgkw.h"
#include "common/cfglex.h"

/* A target's options are all on its one line ("target ID ADDR k v ..."),
 * so the handlers write the target being built, not a section. */
struct tctx {
    struct feed_target *t;
};

/* ---- target keywords: each consumes argv[1..min_args] ---- */

static int tkw_time(int argc, char **argv, void *v, char **err)
{
    struct feed_target *t = ((struct tctx *)v)->t;
    uint64_t ms;

    /* a bare number is milliseconds, as in HAProxy; 0 would mean a busy
     * loop of checks, a day is past any sane interval */
    if (lk_parse_time_ms(argv[1], 1, 86400000, &ms) < 0 || ms == 0)
        return lk_cfg_err(err, "'%s' expects a time > 0 (e.g. 500ms, 2s)", argv[0]);
    if (strcmp(argv[0], "inter") == 0)
        t->inter_ms = ms;
    else if (strcmp(argv[0], "fastinter") == 0)
        t->fastinter_ms = ms;
    else if (strcmp(argv[0], "downinter") == 0)
        t->downinter_ms = ms;
    else
        t->timeout_ms = ms;
    return 0;
}

/* HAProxy's rise/fall bounds; a check needs at least one result either way to
 * change state. */
static int tkw_count(int argc, char **argv, void *v, char **err)
{
    struct feed_target *t = ((struct tctx *)v)->t;
    uint64_t n;

    if (lk_parse_uint(argv[1], 1, 1000, &n) < 0)
        return lk_cfg_err(err, "'%s' expects 1..1000", argv[0]);
    if (argv[0][0] == 'r')
        t->rise = (unsigned)n;
    else
        t->fall = (unsigned)n;
    return 0;
}

static int tkw_kind(int argc, char **argv, void *v, char **err)
{
    int k = feed_kind_parse(argv[1]);

    if (k < 0)
        return lk_cfg_err(
            err,
            "'kind' expects tcp, http, mysql, galera, tcp-check, redis, pgsql, smtp or ssl-hello");
    ((struct tctx *)v)->t->kind = (enum feed_kind)k;
    return 0;
}

static int tkw_str(int argc, char **argv, void *v, char **err)
{
    struct feed_target *t = ((struct tctx *)v)->t;
    static const struct {
        const char *kw;
        size_t off, len;
        /* text options by table: each goes to its field of the registration,
         * which has the same size limits as what lbd registers */
    } f[] = {
        {"init-state", offsetof(struct feed_target, init), sizeof(t->init)},
        {"method", offsetof(struct feed_target, method), sizeof(t->method)},
        {"uri", offsetof(struct feed_target, uri), sizeof(t->uri)},
        {"version", offsetof(struct feed_target, version), sizeof(t->version)},
        {"user", offsetof(struct feed_target, user), sizeof(t->user)},
        {"password", offsetof(struct feed_target, password), sizeof(t->password)},
    };
    enum chk_init init;
    size_t i;

    if (strcmp(argv[0], "init-state") == 0 && chk_init_parse(argv[1], &init) < 0)
        return lk_cfg_err(err, "'init-state' expects up, fully-up, down or fully-down");
    for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        if (strcmp(argv[0], f[i].kw) != 0)
            continue;
        if (strlen(argv[1]) >= f[i].len)
            return lk_cfg_err(err, "'%s' value longer than %zu bytes", argv[0], f[i].len - 1);
        memcpy((char *)t + f[i].off, argv[1], strlen(argv[1]) + 1);
    }
    return 0;
}

/* The same limits as lbd's http-check send (FEED_MAX_HDRS, FEED_HDR_MAX), so
 * a target written here behaves as one lbd registers. */
static int tkw_header(int argc, char **argv, void *v, char **err)
{
    struct feed_target *t = ((struct tctx *)v)->t;

    if (t->nhdrs == FEED_MAX_HDRS)
        return lk_cfg_err(err, "at most %d headers", FEED_MAX_HDRS);
    /* a CR or LF would let the value inject another header into the probe */
    if (!strchr(argv[1], ':') || strlen(argv[1]) >= FEED_HDR_MAX || strpbrk(argv[1], "\r\n"))
        return lk_cfg_err(err, "'header' expects \"Name: value\" on one line");
    snprintf(t->hdrs[t->nhdrs++], FEED_HDR_MAX, "%s", argv[1]);
    return 0;
}

static int tkw_expect(int argc, char **argv, void *v, char **err)
{
    struct feed_target *t = ((struct tctx *)v)->t;
    int e = feed_expect_parse(argv[1]);

    if (e <= FEED_EXPECT_DEFAULT)
        return lk_cfg_err(err, "'expect' expects status, rstatus, string or rstring, then a value");
    if (strlen(argv[2]) >= sizeof(t->expect_arg))
        return lk_cfg_err(err, "'expect' value too long");
    t->expect = (enum feed_expect)e;
    snprintf(t->expect_arg, sizeof(t->expect_arg), "%s", argv[2]);
    return 0;
}

/* expect-not negates the expect match (HAProxy's "!"); allow-donor is the
 * galera check's clustercheck option: a donor node still serves. */
static int tkw_flag(int argc, char **argv, void *v, char **err)
{
    struct feed_target *t = ((struct tctx *)v)->t;

    if (strcmp(argv[0], "expect-not") == 0)
        t->expect_not = 1;
    else
        t->allow_donor = 1;
    return 0;
}

/* Keywords of a target line, in checkd's own small dialect (not HAProxy's):
 * checkd targets are usually registered by lbd at run time, and the config
 * file only holds those checked for other clients. */
static const struct lk_cfgkw target_kws[] = {
    {"kind", tkw_kind, 1, 1, 0},        {"inter", tkw_time, 1, 1, 0},
    {"fastinter", tkw_time, 1, 1, 0},   {"downinter", tkw_time, 1, 1, 0},
    {"timeout", tkw_time, 1, 1, 0},     {"rise", tkw_count, 1, 1, 0},
    {"fall", tkw_count, 1, 1, 0},       {"init-state", tkw_str, 1, 1, 0},
    {"method", tkw_str, 1, 1, 0},       {"uri", tkw_str, 1, 1, 0},
    {"version", tkw_str, 1, 1, 0},      {"user", tkw_str, 1, 1, 0},
    {"password", tkw_str, 1, 1, 0},     {"header", tkw_header, 1, 1, 0},
    {"expect", tkw_expect, 2, 2, 0},    {"expect-not", tkw_flag, 0, 0, 0},
    {"allow-donor", tkw_flag, 0, 0, 0}, {NULL, NULL, 0, 0, 0},
};

/* Options after "target ID ADDR" or "socket PATH": NAME VALUE... pairs
 * looked up in a table. */
static int parse_opts(const struct lk_cfgkw *tab,
                      int argc,
                      char **argv,
                      int first,
                      void *ctx,
                      char **err)
{
    const struct lk_cfgkw *kw;
    const char *hint;
    int i = first, r;

    while (i < argc) {
        kw = lk_cfgkw_find(tab, argv[i]);
        if (!kw) {
            hint = lk_cfgkw_suggest(tab, argv[i]);
            return lk_cfg_err(err, "unknown keyword '%s' on '%s' line" LK_CFGKW_HINT_FMT, argv[i],
                              argv[0], LK_CFGKW_HINT_ARGS(hint));
        }
        if (i + kw->min_args >= argc)
            return lk_cfg_err(err, "'%s' expects %d value%s", argv[i], kw->min_args,
                              kw->min_args == 1 ? "" : "s");
        r = kw->fn(kw->min_args + 1, argv + i, ctx, err);
        if (r < 0 || (r & LK_CFG_FATAL))
            return -EINVAL;
        i += kw->min_args + 1;
    }
    return 0;
}

/* ---- socket keywords ---- */

/* A socket's owner and level are resolved at parse time so that a missing
 * user fails "checkd -c", not the daemon's start. */
static int skw(int argc, char **argv, void *v, char **err)
{
    struct lk_cmdsrv_opts *o = v;
    struct passwd *pw;
    struct group *gr;
    int lvl;

    if (strcmp(argv[0], "mode") == 0) {
        if (lk_parse_mode(argv[1], &o->mode) < 0)
            return lk_cfg_err(err, "'mode' expects an octal mode such as 660");
    } else if (strcmp(argv[0], "user") == 0) {
        pw = getpwnam(argv[1]);
        if (!pw)
            return lk_cfg_err(err, "unknown user '%s'", argv[1]);
        o->uid = pw->pw_uid;
    } else if (strcmp(argv[0], "group") == 0) {
        gr = getgrnam(argv[1]);
        if (!gr)
            return lk_cfg_err(err, "unknown group '%s'", argv[1]);
        o->gid = gr->gr_gid;
    } else {
        lvl = lk_cmd_level_parse(argv[1]);
        if (lvl < 0)
            return lk_cfg_err(err, "'level' expects user, operator or admin");
        o->level = lvl;
    }
    return 0;
}

static const struct lk_cfgkw socket_kws[] = {
    {"mode", skw, 1, 1, 0},  {"user", skw, 1, 1, 0}, {"group", skw, 1, 1, 0},
    {"level", skw, 1, 1, 0}, {NULL, NULL, 0, 0, 0},
};

/* ---- top level ---- */

/* Admin level and mode 0660, as lbd's socket: checkd's command socket
 * registers targets and can disable health, so only the owner group may
 * connect. */
static void socket_defaults(struct lk_cmdsrv_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->mode = 0660;
    o->uid = (uid_t)-1;
    o->gid = (gid_t)-1;
    o->level = LK_CMD_LEVEL_ADMIN;
}

static int kw_socket(int argc, char **argv, void *v, char **err)
{
    struct chk_cfg *cfg = v;
    struct lk_cmdsrv_opts *o;

    if (cfg->nsockets == CHK_MAX_SOCKETS)
        return lk_cfg_err(err, "at most %d sockets", CHK_MAX_SOCKETS);
    o = &cfg->sockets[cfg->nsockets];
    socket_defaults(o);
    cfg->paths[cfg->nsockets] = strdup(argv[1]);
    if (!cfg->paths[cfg->nsockets])
        return lk_cfg_err(err, "out of memory");
    o->path = cfg->paths[cfg->nsockets];
    cfg->nsockets++;
    return parse_opts(socket_kws, argc, argv, 2, o, err);
}

/* The feed buffer bounds what a subscriber that does not read may cost
 * (checkd then tells it what it missed and resynchronises it); the 4k floor
 * keeps room for a burst of event lines. */
static int kw_feed_buffer(int argc, char **argv, void *v, char **err)
{
    uint64_t n;

    if (lk_parse_size(argv[1], 1u << 30, &n) < 0 || n < 4096)
        return lk_cfg_err(err, "'feed-buffer' expects a size from 4k to 1g");
    ((struct chk_cfg *)v)->feed_buffer = (size_t)n;
    return 0;
}

/* spread-checks as HAProxy: each interval is varied by up to this percent so
 * that checks of many targets do not all fire in the same millisecond
 * (default 5, max 50). */
static int kw_spread(int argc, char **argv, void *v, char **err)
{
    uint64_t n;

    if (lk_parse_uint(argv[1], 0, 50, &n) < 0)
        return lk_cfg_err(err, "'spread-checks' expects 0..50 (percent)");
    ((struct chk_cfg *)v)->spread_pct = (unsigned)n;
    return 0;
}

static int kw_target(int argc, char **argv, void *v, char **err)
{
    struct chk_cfg *cfg = v;
    struct feed_target *nt, t;
    struct tctx tc = {&t};
    const char *why = NULL;
    struct lk_addr a;
    size_t i;
    int r;

    feed_target_defaults(&t);
    if (strlen(argv[1]) >= sizeof(t.id) || strlen(argv[2]) >= sizeof(t.addr))
        return lk_cfg_err(err, "target id or address too long");
    snprintf(t.id, sizeof(t.id), "%s", argv[1]);
    snprintf(t.addr, sizeof(t.addr), "%s", argv[2]);
    /* "config": a reload may remove these; lbd's registrations are lbd's */
    snprintf(t.owner, sizeof(t.owner), "%s", CHK_OWNER_CONFIG);
    for (i = 0; i < cfg->ntargets; i++)
        if (strcmp(cfg->targets[i].id, t.id) == 0)
            return lk_cfg_err(err, "target '%s' defined twice", t.id);
    r = parse_opts(target_kws, argc, argv, 3, &tc, err);
    if (r < 0)
        return r;
    if (lk_addr_parse(t.addr, 0, &a) < 0 || lk_addr_port(&a) == 0)
        return lk_cfg_err(err, "target '%s': address must be IP:PORT", t.id);
    /* the probe kind's own checks (an expect regex that compiles, a user
     * for mysql): refused at the line, not at the first check */
    if (chk_probe_validate(&t, &why) < 0)
        return lk_cfg_err(err, "target '%s': %s", t.id, why);
    nt = realloc(cfg->targets, (cfg->ntargets + 1) * sizeof(*nt));
    if (!nt)
        return lk_cfg_err(err, "out of memory");
    cfg->targets = nt;
    cfg->targets[cfg->ntargets++] = t;
    return 0;
}

static const struct lk_cfgkw top_kws[] = {
    {"socket", kw_socket, 1, -1, 0},
    {"feed-buffer", kw_feed_buffer, 1, 1, 0},
    {"spread-checks", kw_spread, 1, 1, 0},
    {"target", kw_target, 2, -1, 0},
    {NULL, NULL, 0, 0, 0},
};

static int parse_line(struct chk_cfg *cfg, struct lk_cfgline *l, char **err)
{
    const struct lk_cfgkw *kw = lk_cfgkw_find(top_kws, l->argv[0]);
    const char *hint;
    char *why = NULL;
    int r;

    if (!kw) {
        hint = lk_cfgkw_suggest(top_kws, l->argv[0]);
        return lk_cfg_err(err, "%s:%u: unknown keyword '%s'" LK_CFGKW_HINT_FMT, l->file, l->line,
                          l->argv[0], LK_CFGKW_HINT_ARGS(hint));
    }
    if (!lk_cfgkw_nargs_ok(kw, l->argc - 1))
        return lk_cfg_err(err, "%s:%u: wrong number of arguments for '%s'", l->file, l->line,
                          l->argv[0]);
    r = kw->fn(l->argc, l->argv, cfg, &why);
    /* handlers give the message alone: the position is added here, once */
    if (r < 0 || (r & LK_CFG_FATAL)) {
        lk_cfg_err(err, "%s:%u: %s", l->file, l->line, why ? why : "invalid line");
        free(why);
        return -EINVAL;
    }
    free(why);
    return 0;
}

static int finish(struct chk_cfg *cfg, const char *rundir, char **err)
{
    struct lk_cmdsrv_opts *o;

    /* no socket line: the one lbd expects, RUNDIR/checkd.sock */
    if (cfg->nsockets)
        return 0;
    o = &cfg->sockets[0];
    socket_defaults(o);
    if (asprintf(&cfg->paths[0], "%s/checkd.sock", rundir) < 0) {
        cfg->paths[0] = NULL;
        return lk_cfg_err(err, "out of memory");
    }
    o->path = cfg->paths[0];
    cfg->nsockets = 1;
    return 0;
}

/* Unlike lbd, loading stops at the first bad line: checkd's config is short,
 * and a half-loaded target list would be checked half-configured. The lexer
 * is always consumed (and freed) here. */
static int load(struct lk_cfglex *lx, const char *rundir, struct chk_cfg **ret, char **err)
{
    struct chk_cfg *cfg = calloc(1, sizeof(*cfg));
    struct lk_cfgline l;
    int r = -ENOMEM;

    if (!cfg)
        goto fail;
    r = 0;
    cfg->spread_pct = 5;
    while (lx && (r = lk_cfglex_next(lx, &l, err)) > 0) {
        r = parse_line(cfg, &l, err);
        if (r < 0)
            goto fail;
    }
    if (r < 0)
        goto fail;
    r = finish(cfg, rundir, err);
    if (r < 0)
        goto fail;
    lk_cfglex_free(lx);
    *ret = cfg;
    return 0;
fail:
    lk_cfglex_free(lx);
    chk_cfg_free(cfg);
    return r;
}

int chk_cfg_load(const char *path, const char *rundir, struct chk_cfg **ret, char **err)
{
    struct lk_cfglex *lx = NULL;
    int r;

    if (path) {
        r = lk_cfglex_open_file(&lx, path, LK_CFGLEX_INCLUDE, err);
        if (r < 0)
            return r;
    }
    return load(lx, rundir, ret, err);
}

int chk_cfg_load_mem(const char *name,
                     const char *text,
                     const char *rundir,
                     struct chk_cfg **ret,
                     char **err)
{
    struct lk_cfglex *lx = NULL;
    int r = lk_cfglex_open_mem(&lx, name, text, 0);

    if (r < 0)
        return lk_cfg_err(err, "out of memory");
    return load(lx, rundir, ret, err);
}

struct chk_cfg *chk_cfg_free(struct chk_cfg *cfg)
{
    unsigned i;

    if (!cfg)
        return NULL;
    for (i = 0; i < cfg->nsockets; i++)
        free(cfg->paths[i]);
    free(cfg->targets);
    free(cfg);
    return NULL;
}
