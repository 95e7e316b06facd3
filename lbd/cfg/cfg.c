/* cfg.c - section dispatcher, global keywords, validation. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cfglex.h"
#include "common/cmdsrv.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "lbd/cfg/cfg.h"
#include "lbd/cfg/cfgsec.h"
#include "lbd/cfg/check_cfg.h"
#include "lbd/cfg/errfile.h"
#include "lbd/cfg/http_cfg.h"
#include "lbd/cfg/peers_cfg.h"
#include "lbd/cfg/proxy.h"
#include "lbd/cfg/resolvers.h"
#include "lbd/cfg/userlist.h"
#include "lbd/core/server.h"
#include "lbd/core/srvstate.h"
#include "proto/http1.h"

/* Each thread is a worker with its own listeners and balancer state; the
 * bound keeps a typo (nbthread 400) from exhausting descriptors at start. */
#define MAX_THREADS 64

/* The section being read; keywords are looked up in that section's table
 * only, so a backend keyword in a frontend is an error at its own line rather
 * than accepted in the wrong place. */
enum section {
    SEC_NONE = 0,
    SEC_GLOBAL,
    SEC_DEFAULTS,
    SEC_FRONTEND,
    SEC_BACKEND,
    SEC_LISTEN,
    SEC_USERLIST,
    SEC_RESOLVERS,
    SEC_ERRORS,
    SEC_PEERS
};

static const char *const section_names[] = {
    [SEC_NONE] = "",
    [SEC_GLOBAL] = "global",
    [SEC_DEFAULTS] = "defaults",
    [SEC_FRONTEND] = "frontend",
    [SEC_BACKEND] = "backend",
    [SEC_LISTEN] = "listen",
    [SEC_USERLIST] = "userlist",
    [SEC_RESOLVERS] = "resolvers",
    [SEC_ERRORS] = "http-errors",
    [SEC_PEERS] = "peers",
};

/* Sections HAProxy has and lbd does not: refused with a clear message
 * rather than "unknown keyword". */
static const char *const unsupported_sections[] = {
    "mailers", "program", "cache", "ring", "fcgi-app", "log-forward", "dynamic-update", NULL,
};

/* "${NAME}" inside an address, as HAProxy expands it (quoted words only in
 * HAProxy; lbd expands wherever an address is read). An unset variable
 * expands to nothing, so the address then fails to parse and is reported with
 * its keyword. Returns `in` itself when there is nothing to expand, else
 * `out` (truncated to len). */
const char *lb_cfg_env_addr(const char *in, char *out, size_t len)
{
    const char *p = in, *e, *v;
    char name[128];
    size_t o = 0;

    if (!strstr(in, "${"))
        return in;
    while (*p && o + 1 < len) {
        if (p[0] == '$' && p[1] == '{' && (e = strchr(p + 2, '}')) &&
            (size_t)(e - p - 2) < sizeof(name)) {
            memcpy(name, p + 2, (size_t)(e - p - 2));
            name[e - p - 2] = '\0';
            for (v = getenv(name); v && *v && o + 1 < len; v++)
                out[o++] = *v;
            p = e + 1;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    return out;
}

/* Errors are collected, not returned on the first: "lbd -c" reports every bad
 * line of a file at once, as HAProxy does. On OOM the message is lost but
 * what was collected stays. */
void lb_cfg_err_append(char **all, const char *fmt, ...)
{
    char *msg = NULL, *joined = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = lk_vfmt(fmt, ap);
    va_end(ap);
    if (!msg)
        return;
    if (!*all) {
        *all = msg;
        return;
    }
    if (asprintf(&joined, "%s\n%s", *all, msg) >= 0) {
        free(*all);
        *all = joined;
    }
    free(msg);
}

int lb_cfg_uint(const struct lb_cfgctx *ctx,
                char **argv,
                int i,
                uint64_t min,
                uint64_t max,
                uint64_t *ret,
                char **err)
{
    if (lk_parse_uint(argv[i], min, max, ret) < 0)
        return lb_cfg_fail(ctx, err, "'%s' expects an integer between %llu and %llu, got '%s'",
                           argv[0], (unsigned long long)min, (unsigned long long)max, argv[i]);
    return 0;
}

int lb_cfg_time(const struct lb_cfgctx *ctx, char **argv, int i, uint64_t *ret, char **err)
{
    /* HAProxy refuses timeouts above 2^31-1 ms */
    if (lk_parse_time_ms(argv[i], 1, 2147483647ull, ret) < 0)
        return lb_cfg_fail(ctx, err,
                           "'%s' expects a time (us, ms, s, m, h, d; default ms) below 24.8 days, "
                           "got '%s'",
                           argv[0], argv[i]);
    return 0;
}

/* ---- log targets ---- */

/* Indexed by syslog facility number, so the index is the facility code
 * written into the priority (facility * 8 + level). */
static const char *const facilities[] = {
    "kern",   "user",   "mail",   "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "auth2",  "ftp",    "ntp",    "audit",  "alert",  "cron2",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};

static int facility_parse(const char *s)
{
    size_t i;

    for (i = 0; i < LK_ARRAY_SIZE(facilities); i++)
        if (strcmp(s, facilities[i]) == 0)
            return (int)i;
    return -1;
}

struct lb_logtarget *lb_logtargets_free(struct lb_logtarget *l)
{
    struct lb_logtarget *n;

    for (; l; l = n) {
        n = l->next;
        free(l->path);
        free(l);
    }
    return NULL;
}

/* Each proxy gets its own copy of "log global"'s targets: proxies are freed
 * independently and must not share the path strings. */
int lb_logtargets_dup(const struct lb_logtarget *src, struct lb_logtarget **ret)
{
    struct lb_logtarget *head = NULL, **tail = &head, *t;

    for (; src; src = src->next) {
        t = malloc(sizeof(*t));
        if (!t)
            goto fail;
        *t = *src;
        t->next = NULL;
        t->path = src->path ? strdup(src->path) : NULL;
        *tail = t;
        tail = &t->next;
        if (src->path && !t->path)
            goto fail;
    }
    *ret = head;
    return 0;
fail:
    lb_logtargets_free(head);
    return -ENOMEM;
}

static int log_target_addr(const struct lb_cfgctx *ctx,
                           const char *spec,
                           struct lb_logtarget *t,
                           char **err)
{
    char ebuf[256];

    spec = lb_cfg_env_addr(spec, ebuf, sizeof(ebuf));
    /* stdout/stderr default to the raw format: the line goes to journald or a
     * container log, which adds its own timestamp and priority. */
    if (strcmp(spec, "stdout") == 0 || strcmp(spec, "stderr") == 0) {
        t->kind = LB_LOG_FD;
        t->fd = spec[3] == 'o' ? 1 : 2;
        t->format = LB_LOGF_RAW;
        return 0;
    }
    if (spec[0] == '/' || strncmp(spec, "unix@", 5) == 0) {
        t->kind = LB_LOG_UNIX;
        t->path = strdup(spec[0] == '/' ? spec : spec + 5);
        return t->path ? 0 : lb_cfg_fail(ctx, err, "out of memory");
    }
    t->kind = LB_LOG_UDP;
    if (strncmp(spec, "udp@", 4) == 0)
        spec += 4;
    if (lk_addr_parse(spec, LK_ADDR_PORT_OPTIONAL, &t->addr) < 0)
        return lb_cfg_fail(ctx, err,
                           "log: invalid target '%s' (stdout, stderr, /path or IP[:port])", spec);
    /* Port 514 is the syslog port; HAProxy also defaults to it. */
    if (lk_addr_port(&t->addr) == 0) {
        if (t->addr.u.sa.sa_family == AF_INET)
            t->addr.u.in4.sin_port = htons(514);
        else
            t->addr.u.in6.sin6_port = htons(514);
    }
    return 0;
}

/* log TARGET [len N] [format F] [sample R:S] FACILITY [LEVEL [MINLEVEL]] */
static int log_options(const struct lb_cfgctx *ctx,
                       int argc,
                       char **argv,
                       int *i,
                       struct lb_logtarget *t,
                       char **err)
{
    static const char *const fmts[] = {"rfc3164",  "rfc5424", "raw", "short",
                                       "priority", "timed",   "iso"}; /* enum lb_log_format */
    uint64_t v;
    size_t k;

    while (*i + 1 < argc) {
        if (strcmp(argv[*i], "len") == 0) {
            if (lb_cfg_uint(ctx, argv, *i + 1, 80, 65535, &v, err))
                return LK_CFG_FATAL;
            t->maxlen = (unsigned)v;
        } else if (strcmp(argv[*i], "format") == 0) {
            for (k = 0; k < LK_ARRAY_SIZE(fmts); k++)
                if (strcmp(argv[*i + 1], fmts[k]) == 0)
                    break;
            if (k == LK_ARRAY_SIZE(fmts))
                return lb_cfg_fail(ctx, err,
                                   "log: unsupported format '%s' (rfc3164, rfc5424, raw, short, "
                                   "priority, timed, iso)",
                                   argv[*i + 1]);
            t->format = (enum lb_log_format)k;
        } else {
            break;
        }
        *i += 2;
    }
    return 0;
}

/* The default level is debug (send everything) and length 1024, HAProxy's
 * defaults. Targets are appended, so lines go to them in config order. */
int lb_cfg_parse_log(const struct lb_cfgctx *ctx,
                     int argc,
                     char **argv,
                     struct lb_logtarget **list,
                     char **err)
{
    struct lb_logtarget *t, **tail;
    int i = 2, lvl;

    if (argc < 3)
        return lb_cfg_fail(ctx, err,
                           "'log' expects a target and a facility, e.g. "
                           "'log /dev/log local0' or 'log stdout format raw local0'");
    t = calloc(1, sizeof(*t));
    if (!t)
        return lb_cfg_fail(ctx, err, "out of memory");
    t->level = LK_LOG_DEBUG;
    t->maxlen = 1024;
    if (log_target_addr(ctx, argv[1], t, err) || log_options(ctx, argc, argv, &i, t, err))
        goto fail;
    if (i >= argc || (t->facility = facility_parse(argv[i])) < 0) {
        lb_cfg_fail(ctx, err, "log: unknown facility '%s'", i < argc ? argv[i] : "");
        goto fail;
    }
    if (++i < argc) {
        lvl = lk_log_level_parse(argv[i]);
        if (lvl < 0) {
            lb_cfg_fail(ctx, err, "log: unknown level '%s'", argv[i]);
            goto fail;
        }
        t->level = lvl;
    }
    if (i + 1 < argc - 1) {
        lb_cfg_fail(ctx, err, "log: too many arguments");
        goto fail;
    }
    for (tail = list; *tail; tail = &(*tail)->next)
        ;
    *tail = t;
    return 0;
fail:
    lb_logtargets_free(t);
    return LK_CFG_FATAL;
}

/* ---- global keywords ---- */

static int gbl_log(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    return lb_cfg_parse_log(ctx, argc, argv, &ctx->cfg->global.logs, err);
}

/* log-tag TAG (global and proxies: lbd/cfg/proxy.c) */
static int gbl_log_tag(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    free(ctx->cfg->global.log_tag);
    if (!(ctx->cfg->global.log_tag = strdup(argv[1])))
        return lb_cfg_fail(ctx, err, "out of memory");
    return 0;
}

/* log-send-hostname [NAME]: the host name in the syslog header (this
 * host's when NAME is not given, as in HAProxy). */
static int gbl_log_hostname(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    char host[256];

    if (argc < 2 && gethostname(host, sizeof(host)) < 0)
        return lb_cfg_fail(ctx, err, "log-send-hostname: gethostname: %s", strerror(errno));
    host[sizeof(host) - 1] = 0;
    free(ctx->cfg->global.log_hostname);
    if (!(ctx->cfg->global.log_hostname = strdup(argc < 2 ? host : argv[1])))
        return lb_cfg_fail(ctx, err, "out of memory");
    return 0;
}

static int gbl_maxconn(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    uint64_t v;

    if (lb_cfg_uint(ctx, argv, 1, 1, 10000000, &v, err))
        return LK_CFG_FATAL;
    ctx->cfg->global.maxconn = (unsigned)v;
    return 0;
}

/* nbthread defaults to 1 (validate()), unlike HAProxy 2.6 which uses every
 * CPU: on a shared host the operator decides. */
static int gbl_nbthread(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    uint64_t v;

    if (lb_cfg_uint(ctx, argv, 1, 1, MAX_THREADS, &v, err))
        return LK_CFG_FATAL;
    ctx->cfg->global.nbthread = (unsigned)v;
    return 0;
}

/* A session holds at most one buffer per direction, so bufsize times maxconn
 * bounds the memory; 1 MB per buffer is already far beyond what forwarding
 * needs. */
static int gbl_bufsize(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    uint64_t v;

    if (lk_parse_size(argv[1], 1u << 20, &v) < 0 || v < 1024)
        return lb_cfg_fail(ctx, err, "'tune.bufsize' expects a size from 1024 to 1m, got '%s'",
                           argv[1]);
    ctx->cfg->global.bufsize = (unsigned)v;
    return 0;
}

/* A name is looked up first, then a number: HAProxy accepts both for
 * "uid"/"user" and "gid"/"group". The lookup happens at parse time, so a user
 * missing from the system is an error at its line, not at start. */
static int sock_owner(const struct lb_cfgctx *ctx,
                      const char *kw,
                      const char *v,
                      struct lb_sock_cfg *s,
                      char **err)
{
    if (strcmp(kw, "user") == 0 || strcmp(kw, "uid") == 0) {
        struct passwd *pw = getpwnam(v);
        uint64_t n;

        if (pw)
            s->uid = pw->pw_uid;
        else if (lk_parse_uint(v, 0, 0x7fffffff, &n) == 0)
            s->uid = (uid_t)n;
        else
            return lb_cfg_fail(ctx, err, "stats socket: unknown user '%s'", v);
        return 0;
    }
    if (strcmp(kw, "group") == 0 || strcmp(kw, "gid") == 0) {
        struct group *gr = getgrnam(v);
        uint64_t n;

        if (gr)
            s->gid = gr->gr_gid;
        else if (lk_parse_uint(v, 0, 0x7fffffff, &n) == 0)
            s->gid = (gid_t)n;
        else
            return lb_cfg_fail(ctx, err, "stats socket: unknown group '%s'", v);
        return 0;
    }
    /* HAProxy hands listeners to its next process through this socket
     * (-x); lbd's master keeps them itself (lbd -W), so nothing to do */
    if (strcmp(kw, "expose-fd") == 0 && strcmp(v, "listeners") == 0)
        return 0;
    return lb_cfg_fail(ctx, err,
                       "stats socket: unknown option '%s' (mode, level, user, group, expose-fd "
                       "listeners)",
                       kw);
}

static int stats_socket_opt(const struct lb_cfgctx *ctx,
                            const char *kw,
                            const char *v,
                            struct lb_sock_cfg *s,
                            char **err)
{
    int lvl;

    if (strcmp(kw, "mode") == 0) {
        if (lk_parse_mode(v, &s->mode) < 0)
            return lb_cfg_fail(ctx, err, "stats socket: invalid mode '%s' (octal, e.g. 660)", v);
        return 0;
    }
    if (strcmp(kw, "level") == 0) {
        lvl = lk_cmd_level_parse(v);
        if (lvl < 0)
            return lb_cfg_fail(ctx, err,
                               "stats socket: level must be 'user', 'operator' or 'admin', "
                               "got '%s'",
                               v);
        s->level = lvl;
        return 0;
    }
    return sock_owner(ctx, kw, v, s, err);
}

/* A TCP admin socket is allowed (HAProxy's "stats socket ipv4@..."), but its
 * address is checked here so a typo is a config error. Level operator is
 * HAProxy's default; "level admin" must be asked for. */
static int gbl_stats(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_sock_cfg *s, **tail;
    int i;

    if (strcmp(argv[1], "timeout") == 0 && argc == 3)
        return lb_cfg_time(ctx, argv, 2, &ctx->cfg->global.stats_timeout_ms, err);
    if (strcmp(argv[1], "socket") != 0 || argc < 3)
        return lb_cfg_fail(ctx, err,
                           "'stats' in 'global' expects 'socket PATH [mode M] [level L] "
                           "[user U] [group G]' or 'timeout T'");
    char ebuf[256];
    const char *spec = lb_cfg_env_addr(argv[2], ebuf, sizeof(ebuf));
    struct lk_addr a;

    if (lk_cmdsrv_is_tcp(spec)) {
        if (lk_addr_parse(spec, 0, &a) < 0)
            return lb_cfg_fail(ctx, err, "stats socket: invalid address '%s'", argv[2]);
    } else if (argv[2][0] != '/' && strncmp(argv[2], "unix@", 5) != 0)
        return lb_cfg_fail(ctx, err, "stats socket: a path or an ADDR:PORT is expected, got '%s'",
                           argv[2]);
    if ((argc - 3) % 2)
        return lb_cfg_fail(ctx, err, "stats socket: option '%s' needs a value", argv[argc - 1]);
    s = calloc(1, sizeof(*s));
    if (!s)
        return lb_cfg_fail(ctx, err, "out of memory");
    /* "unix@PATH" is the path; a TCP address is kept whole (lk_addr_parse
     * reads its "ipv4@" / "ipv6@") */
    s->path = strdup(lk_cmdsrv_is_tcp(spec) || spec[0] == '/' ? spec : spec + 5);
    s->mode = 0600;
    s->uid = (uid_t)-1;
    s->gid = (gid_t)-1;
    s->level = LK_CMD_LEVEL_OPERATOR; /* HAProxy's default level */
    for (i = 3; i < argc; i += 2) {
        if (stats_socket_opt(ctx, argv[i], argv[i + 1], s, err)) {
            free(s->path);
            free(s);
            return LK_CFG_FATAL;
        }
    }
    for (tail = &ctx->cfg->global.sockets; *tail; tail = &(*tail)->next)
        ;
    *tail = s;
    return 0;
}

static int gbl_user(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_sock_cfg tmp = {.uid = (uid_t)-1, .gid = (gid_t)-1};

    if (sock_owner(ctx, argv[0], argv[1], &tmp, err))
        return LK_CFG_FATAL;
    if (strcmp(argv[0], "user") == 0 || strcmp(argv[0], "uid") == 0)
        ctx->cfg->global.uid = tmp.uid;
    else
        ctx->cfg->global.gid = tmp.gid;
    return 0;
}

static int gbl_pidfile(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    free(ctx->cfg->global.pidfile);
    ctx->cfg->global.pidfile = strdup(argv[1]);
    return 0;
}

/* hard-stop-after bounds the graceful stop; see begin_stop() in
 * lbd/core/daemon.c for what happens without it. */
static int gbl_hard_stop(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    return lb_cfg_time(ctx, argv, 1, &ctx->cfg->global.hard_stop_after_ms, err);
}

static int gbl_nosplice(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    ctx->cfg->global.nosplice = 1;
    return 0;
}

/* lbd learns server health from checkd over this unix socket (default:
 * RUNDIR/checkd.sock); lbd itself runs no health check. */
static int gbl_checkd(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    if (strcmp(argv[1], "socket") != 0 || argc != 3)
        return lb_cfg_fail(ctx, err, "'checkd' expects 'socket PATH'");
    free(ctx->cfg->global.checkd_socket);
    ctx->cfg->global.checkd_socket = strdup(argv[2]);
    return 0;
}

/* HAProxy's "master-worker no-exit-on-failure" changes what happens when a
 * worker dies; lbd's master has one policy (respawn within limits), so the
 * option is refused instead of accepted with a different meaning. */
static int gbl_master_worker(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    if (argc > 1)
        return lb_cfg_fail(ctx, err,
                           "'master-worker %s' is not supported by lbd (the master always "
                           "replaces a worker that dies; write 'master-worker' alone)",
                           argv[1]);
    ctx->cfg->global.master_worker = 1;
    return 0;
}

/* Checked at start, where -W is known (lb_cfg_check_chroot()). */
static int gbl_chroot(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    if (argv[1][0] != '/')
        return lb_cfg_fail(ctx, err, "'chroot' expects an absolute directory, got '%s'", argv[1]);
    free(ctx->cfg->global.chroot);
    ctx->cfg->global.chroot = strdup(argv[1]);
    ctx->cfg->global.chroot_file = ctx->file;
    ctx->cfg->global.chroot_line = ctx->line;
    return 0;
}

/* A single-process lbd cannot chroot: it must still reach checkd's socket and
 * re-read the config, both outside the jail. The error points to the chroot
 * line, saved when it was parsed. */
int lb_cfg_check_chroot(const struct lb_cfg *cfg, int master_worker, char **err)
{
    const struct lb_global *g = &cfg->global;

    if (!g->chroot || master_worker || g->master_worker)
        return 0;
    lk_cfg_err(err,
               "%s:%u: 'chroot' is supported by lbd only in master-worker mode (lbd -W or "
               "'master-worker' in global): the master keeps what lives outside the jail "
               "(reloads, the checkd socket)",
               g->chroot_file, g->chroot_line);
    return -EINVAL;
}

static int gbl_ignored(int argc, char **argv, void *vctx, char **err);

/* The values HAProxy 2.6 takes are checked, so that a file valid for one is
 * valid for the other; then warned as ignored. (httpclient.resolvers.id,
 * which names a resolvers section, stays refused as unknown.) */
static int gbl_httpclient(int argc, char **argv, void *vctx, char **err)
{
    const char *v = argv[1];

    if (strcmp(argv[0], "httpclient.ssl.verify") == 0 && strcmp(v, "none") != 0 &&
        strcmp(v, "required") != 0)
        return lb_cfg_fail((struct lb_cfgctx *)vctx, err,
                           "httpclient.ssl.verify: expected 'none' or 'required', got '%s'", v);
    if (strcmp(argv[0], "httpclient.resolvers.prefer") == 0 && strcmp(v, "ipv4") != 0 &&
        strcmp(v, "ipv6") != 0)
        return lb_cfg_fail((struct lb_cfgctx *)vctx, err,
                           "httpclient.resolvers.prefer: expected 'ipv4' or 'ipv6', got '%s'", v);
    return gbl_ignored(argc, argv, vctx, err);
}

/* Accepted for compatibility with stock haproxy.cfg files, without effect
 * on routing, security, health or logs: say so instead of pretending.
 * docs/lbd.md lists each with why it is harmless. */
static int gbl_ignored(int argc, char **argv, void *vctx, char **err)
{
    static const struct {
        const char *prefix, *why;
    } whys[] = {
        {"ssl-", "lbd does not terminate TLS"},
        {"tune.ssl.", "lbd does not terminate TLS"},
        {"tune.h2.", "lbd speaks HTTP/1.x only, so no HTTP/2 connection exists to size"},
        {"httpclient.", "lbd has no internal HTTP client (HAProxy's serves Lua scripts, which "
                        "lbd refuses)"},
        {"ca-base", "lbd does not terminate TLS"},
        {"crt-base", "lbd does not terminate TLS"},
        {"daemon", "lbd runs in the foreground under systemd"},
        {"spread-checks", "checkd spreads the checks of each interval itself"},
        {"max-spread-checks", "checkd spreads the checks of each interval itself"},
        {"cpu-map", "CPU placement is a tuning choice; lbd leaves it to the scheduler"},
        {"tune.", "a buffer or timer tuning knob lbd sizes for itself"},
        {"busy-polling", "a latency tuning knob; lbd's loops block in epoll"},
        {"h1-case-adjust-bogus-client", "lbd forwards header names with the case they came with"},
        {"h1-case-adjust-bogus-server", "lbd forwards header names with the case they came with"},
    };
    struct lb_cfgctx *ctx = vctx;
    const char *why = NULL;
    size_t i;

    for (i = 0; i < LK_ARRAY_SIZE(whys); i++)
        if (strncmp(argv[0], whys[i].prefix, strlen(whys[i].prefix)) == 0) {
            why = whys[i].why;
            break;
        }
    /* only keywords with a documented reason are ever accepted without effect */
    if (!why)
        return lb_cfg_fail(ctx, err, "'%s' is not supported by lbd", argv[0]);
    lk_log(LK_LOG_WARNING, "%s:%u: '%s' ignored: %s", ctx->file, ctx->line, argv[0], why);
    return LK_CFG_WARN;
}

/* One "unix-bind" option and its value, checked as HAProxy 2.6 checks it:
 * user and group must exist; mode, uid and gid are read without checks
 * there (strtol, atol), so any value passes here too. */
static int unix_bind_opt(struct lb_cfgctx *ctx, const char *k, const char *v, char **err)
{
    static const char *const opts[] = {"prefix", "mode", "uid", "gid", "user", "group"};
    size_t i;

    for (i = 0; i < LK_ARRAY_SIZE(opts) && strcmp(k, opts[i]) != 0; i++)
        ;
    if (i == LK_ARRAY_SIZE(opts))
        return lb_cfg_fail(ctx, err,
                           "'unix-bind' only supports the 'prefix', 'mode', 'uid', 'gid', 'user' "
                           "and 'group' options, got '%s'",
                           k);
    if (strcmp(k, "user") == 0 && !getpwnam(v))
        return lb_cfg_fail(ctx, err, "'unix-bind' : '%s' unknown user", v);
    if (strcmp(k, "group") == 0 && !getgrnam(v))
        return lb_cfg_fail(ctx, err, "'unix-bind' : '%s' unknown group", v);
    return 0;
}

/* unix-bind [prefix P] [mode M] [uid N] [gid N] [user U] [group G]: in
 * HAProxy 2.6 the defaults of the UNIX-socket "bind" lines of proxies
 * (not of "stats socket", which it leaves alone). lbd refuses every such
 * bind line, so the options apply to nothing: checked, then warned. */
static int gbl_unix_bind(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    int i;

    for (i = 1; i < argc; i += 2) {
        if (i + 1 >= argc)
            return lb_cfg_fail(ctx, err, "unix-bind: '%s' expects a value", argv[i]);
        if (unix_bind_opt(ctx, argv[i], argv[i + 1], err))
            return LK_CFG_FATAL;
    }
    lk_log(LK_LOG_WARNING,
           "%s:%u: 'unix-bind' has no effect: it sets UNIX-socket 'bind' lines, which lbd does "
           "not have (stats sockets ignore it, as in HAProxy)",
           ctx->file, ctx->line);
    return LK_CFG_WARN;
}

/* setenv, presetenv, unsetenv, resetenv: HAProxy changes the environment
 * while it reads the file, so "${NAME}" later in the file sees it. */
/* Applied immediately, while parsing, because later lines may refer to the
 * variables. This changes lbd's own environment, as in HAProxy. */
static int gbl_env(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    extern char **environ;
    char **e, name[256];
    int i, keep;
    size_t n;

    if ((strcmp(argv[0], "setenv") == 0 || strcmp(argv[0], "presetenv") == 0) && argc == 3)
        return setenv(argv[1], argv[2], argv[0][0] == 's') == 0
                   ? 0
                   : lb_cfg_fail(ctx, err, "%s: cannot set '%s'", argv[0], argv[1]);
    if (strcmp(argv[0], "unsetenv") == 0) {
        for (i = 1; i < argc; i++)
            unsetenv(argv[i]);
        return 0;
    }
    if (strcmp(argv[0], "resetenv") == 0) { /* keep only the names given */
        for (e = environ; e && *e;) {
            n = strcspn(*e, "=");
            keep = 0;
            for (i = 1; i < argc; i++)
                keep |= strlen(argv[i]) == n && strncmp(*e, argv[i], n) == 0;
            if (keep || n >= sizeof(name)) {
                e++;
                continue;
            }
            memcpy(name, *e, n);
            name[n] = '\0';
            unsetenv(name); /* shifts environ: look at the same slot again */
        }
        return 0;
    }
    return lb_cfg_fail(ctx, err, "%s: expected '%s NAME VALUE'", argv[0], argv[0]);
}

static int gbl_ulimit(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    uint64_t n;

    if (lk_parse_uint(argv[1], 1, 1u << 30, &n) < 0)
        return lb_cfg_fail(ctx, err, "ulimit-n: invalid value '%s'", argv[1]);
    ctx->cfg->global.ulimit_n = (unsigned)n;
    return 0;
}

/* "set-dumpable": core dumps stay possible after the uid change, which the
 * kernel otherwise forbids; applied in drop_privileges(). */
static int gbl_dumpable(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    ctx->cfg->global.dumpable = 1;
    return 0;
}

char *lb_cfg_join(int argc, char **argv, int first)
{
    struct lk_sb sb = LK_SB_INIT;
    int i;

    lk_sb_puts(&sb, "");
    for (i = first; i < argc; i++)
        lk_sb_printf(&sb, "%s%s", i > first ? " " : "", argv[i]);
    if (sb.oom) {
        lk_sb_free(&sb);
        return NULL;
    }
    return sb.buf; /* NUL-terminated, taken whole */
}

/* "node NAME", "description TEXT..." (all the words, as HAProxy joins them). */
static int gbl_node(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    char **dst = argv[0][0] == 'n' ? &ctx->cfg->global.node : &ctx->cfg->global.description;

    free(*dst);
    *dst = lb_cfg_join(argc, argv, 1);
    return *dst ? 0 : lb_cfg_fail(ctx, err, "out of memory");
}

static int gbl_maxhdr(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    uint64_t n;

    /* lbd's parser holds HAProxy's default of 101 fields; fewer would be a
     * limit lbd does not apply, more one it cannot */
    if (lk_parse_uint(argv[1], 1, 100000, &n) < 0 || n != HTTP1_MAX_HDRS)
        return lb_cfg_fail(ctx, err,
                           "tune.http.maxhdr %s: lbd parses at most %d header fields (HAProxy's "
                           "default); other values are not supported",
                           argv[1], HTTP1_MAX_HDRS);
    return 0;
}

static int gbl_nbproc(int argc, char **argv, void *vctx, char **err)
{
    /* HAProxy 2.6's own answer */
    return lb_cfg_fail(vctx, err,
                       "nbproc is not supported any more since HAProxy 2.5 (lbd: use nbthread)");
}

/* The global section's keyword table (STYLE rule 15): each row is {name,
 * handler, min_args, max_args, flags}; run_kw() checks the argument counts
 * before the handler runs. Keywords that HAProxy has and lbd does not
 * implement are absent and so are reported as unknown, with a suggestion; the
 * gbl_ignored ones are accepted with a warning only where docs/lbd.md says
 * why they cannot matter. */
const struct lk_cfgkw lb_global_kws[] = {
    {"log", gbl_log, 2, 8, 0},
    {"log-tag", gbl_log_tag, 1, 1, 0},
    {"log-send-hostname", gbl_log_hostname, 0, 1, 0},
    {"maxconn", gbl_maxconn, 1, 1, 0},
    {"nbthread", gbl_nbthread, 1, 1, 0},
    {"tune.bufsize", gbl_bufsize, 1, 1, 0},
    /* no bound: gbl_stats() checks each option pair of "socket PATH" */
    {"stats", gbl_stats, 1, -1, 0},
    {"user", gbl_user, 1, 1, 0},
    {"group", gbl_user, 1, 1, 0},
    {"uid", gbl_user, 1, 1, 0},
    {"gid", gbl_user, 1, 1, 0},
    {"pidfile", gbl_pidfile, 1, 1, 0},
    {"hard-stop-after", gbl_hard_stop, 1, 1, 0},
    {"checkd", gbl_checkd, 2, 2, 0},
    {"nosplice", gbl_nosplice, 0, 0, 0},
    {"daemon", gbl_ignored, 0, 0, 0},
    {"master-worker", gbl_master_worker, 0, 1, 0},
    {"chroot", gbl_chroot, 1, 1, 0},
    {"ca-base", gbl_ignored, 1, 1, 0},
    {"unix-bind", gbl_unix_bind, 2, -1, 0},
    {"crt-base", gbl_ignored, 1, 1, 0},
    {"ssl-default-bind-ciphers", gbl_ignored, 1, 1, 0},
    {"ssl-default-bind-ciphersuites", gbl_ignored, 1, 1, 0},
    {"ssl-default-bind-options", gbl_ignored, 1, -1, 0},
    {"ssl-default-server-ciphers", gbl_ignored, 1, 1, 0},
    {"ssl-default-server-options", gbl_ignored, 1, -1, 0},
    {"ssl-default-server-ciphersuites", gbl_ignored, 1, 1, 0},
    {"ssl-server-verify", gbl_ignored, 1, 1, 0},
    {"ssl-dh-param-file", gbl_ignored, 1, 1, 0},
    {"ssl-engine", gbl_ignored, 1, -1, 0},
    {"tune.ssl.default-dh-param", gbl_ignored, 1, 1, 0},
    /* HTTP/2 settings: lbd refuses 'alpn h2' and 'proto h2', and answers
     * HTTP/1.x only, so these size connections that never exist */
    /* HAProxy's internal HTTP client (for Lua's core.httpclient): lbd has
     * none and refuses lua-load, so these tune a client that never runs */
    {"httpclient.resolvers.prefer", gbl_httpclient, 1, 1, 0},
    {"httpclient.ssl.ca-file", gbl_httpclient, 1, 1, 0},
    {"httpclient.ssl.verify", gbl_httpclient, 1, 1, 0},
    {"tune.h2.header-table-size", gbl_ignored, 1, 1, 0},
    {"tune.h2.initial-window-size", gbl_ignored, 1, 1, 0},
    {"tune.h2.max-concurrent-streams", gbl_ignored, 1, 1, 0},
    {"tune.h2.max-frame-size", gbl_ignored, 1, 1, 0},
    {"tune.ssl.cachesize", gbl_ignored, 1, 1, 0},
    {"tune.ssl.lifetime", gbl_ignored, 1, 1, 0},
    {"tune.ssl.maxrecord", gbl_ignored, 1, 1, 0},
    {"tune.maxrewrite", gbl_ignored, 1, 1, 0},
    {"tune.idletimer", gbl_ignored, 1, 1, 0},
    {"tune.rcvbuf.client", gbl_ignored, 1, 1, 0},
    {"tune.rcvbuf.server", gbl_ignored, 1, 1, 0},
    {"tune.sndbuf.client", gbl_ignored, 1, 1, 0},
    {"tune.sndbuf.server", gbl_ignored, 1, 1, 0},
    {"tune.maxaccept", gbl_ignored, 1, 1, 0},
    {"tune.maxpollevents", gbl_ignored, 1, 1, 0},
    {"tune.http.maxhdr", gbl_maxhdr, 1, 1, 0},
    {"spread-checks", gbl_ignored, 1, 1, 0},
    {"max-spread-checks", gbl_ignored, 1, 1, 0},
    {"cpu-map", gbl_ignored, 2, 3, 0},
    {"busy-polling", gbl_ignored, 0, 0, 0},
    {"h1-case-adjust-bogus-client", gbl_ignored, 0, 0, 0},
    {"h1-case-adjust-bogus-server", gbl_ignored, 0, 0, 0},
    {"setenv", gbl_env, 2, 2, 0},
    {"presetenv", gbl_env, 2, 2, 0},
    {"unsetenv", gbl_env, 1, -1, 0},
    {"resetenv", gbl_env, 0, -1, 0},
    {"ulimit-n", gbl_ulimit, 1, 1, 0},
    {"set-dumpable", gbl_dumpable, 0, 0, 0},
    {"node", gbl_node, 1, 1, 0},
    {"localpeer", lb_peers_kw_localpeer, 1, 1, 0},
    {"description", gbl_node, 1, -1, 0},
    {"nbproc", gbl_nbproc, 0, -1, 0},
    {"server-state-file", lb_srvstate_kw_global, 1, 1, 0},
    {"server-state-base", lb_srvstate_kw_global, 1, 1, 0},
    {"external-check", lb_check_kw_global, 0, 0, 0},
    {"insecure-fork-wanted", lb_check_kw_global, 0, 0, 0},
    {NULL, NULL, 0, 0, 0},
};

/* ---- dispatcher ---- */

/* State of one parse: which section is open and the object it builds (ctx.px,
 * ctx.ul, ctx.res, ctx.peers, ctx.es), the last "defaults" for proxies that do
 * not name one, and the tail of the proxy list so proxies keep file order
 * (balancer uuids and "show stat" order follow it). */
struct parser {
    struct lb_cfgctx ctx;
    enum section sec;
    struct lb_proxy *last_defaults;
    struct lb_proxy **tail;
    unsigned next_uuid;
    int skip;                /* the current section failed to open */
    struct lb_smp_refs refs; /* userlists named by samples, resolved at the end */
};

/* flags of a proxy keyword say in which kind of proxy it is valid (FE, BE,
 * defaults), HAProxy's "may only be used in a backend" checks. */
static int run_kw(struct parser *p, const struct lk_cfgkw *tab, struct lk_cfgline *ln, char **err)
{
    const struct lk_cfgkw *kw;
    const char *hint;
    unsigned sec_cap;
    int nargs = ln->argc - 1, r;

    kw = lk_cfgkw_find(tab, ln->argv[0]);
    /* proxy keywords live in the module they configure: proxy.c, http_cfg.c */
    if (!kw && tab == lb_proxy_kws)
        kw = lk_cfgkw_find(lb_http_kws, ln->argv[0]);
    if (!kw) {
        hint = lk_cfgkw_suggest(tab, ln->argv[0]);
        if (!hint && tab == lb_proxy_kws)
            hint = lk_cfgkw_suggest(lb_http_kws, ln->argv[0]);
        return lb_cfg_fail(&p->ctx, err, "unknown keyword '%s' in '%s' section" LK_CFGKW_HINT_FMT,
                           ln->argv[0], section_names[p->sec], LK_CFGKW_HINT_ARGS(hint));
    }
    sec_cap = p->ctx.px ? p->ctx.px->cap : 0;
    if (p->ctx.px && !(kw->flags & sec_cap))
        return lb_cfg_fail(&p->ctx, err, "'%s' is not allowed in '%s' section", kw->name,
                           section_names[p->sec]);
    /* the bound that was crossed: "at least 1" for too many words misled */
    if (nargs < kw->min_args)
        return lb_cfg_fail(&p->ctx, err, "'%s' expects %s%d argument%s, got %d", kw->name,
                           kw->max_args == kw->min_args ? "" : "at least ", kw->min_args,
                           kw->min_args == 1 ? "" : "s", nargs);
    if (!lk_cfgkw_nargs_ok(kw, nargs))
        return lb_cfg_fail(&p->ctx, err, "'%s' expects %s%d argument%s, got %d", kw->name,
                           kw->max_args == kw->min_args ? "" : "at most ", kw->max_args,
                           kw->max_args == 1 ? "" : "s", nargs);
    if ((kw->flags & LB_KW_HTTP) && !lb_http_px_get(p->ctx.px))
        return lb_cfg_fail(&p->ctx, err, "out of memory");
    r = kw->fn(ln->argc, ln->argv, &p->ctx, err);
    /* A warning has already been logged by the handler with its FILE:LINE; its
     * text must not reach the error list, which would make the load fail. */
    if (r & LK_CFG_WARN) {
        free(*err);
        *err = NULL;
    }
    return r & LK_CFG_FATAL;
}

static struct lb_proxy *find_defaults(const struct lb_cfg *cfg, const char *name)
{
    struct lb_proxy *d;

    for (d = cfg->defaults; d; d = d->next)
        if (d->name && strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

/* "defaults NAME" and "frontend X from NAME" (HAProxy 2.6 named defaults):
 * without "from", a proxy inherits the last defaults section above it. */
static int section_from(struct parser *p,
                        struct lk_cfgline *ln,
                        int *argc,
                        const struct lb_proxy **def,
                        char **err)
{
    *def = p->last_defaults;
    if (*argc >= 2 && strcmp(ln->argv[*argc - 2], "from") == 0) {
        *def = find_defaults(p->ctx.cfg, ln->argv[*argc - 1]);
        if (!*def)
            return lb_cfg_fail(&p->ctx, err, "no defaults section named '%s'", ln->argv[*argc - 1]);
        *argc -= 2;
    }
    return 0;
}

/* The defaults list is pushed at the head so find_defaults() finds the
 * latest section of a name first. */
static int open_defaults(struct parser *p, struct lk_cfgline *ln, char **err)
{
    struct lb_proxy *d;
    int argc = ln->argc;
    const struct lb_proxy *from = NULL;

    if (section_from(p, ln, &argc, &from, err))
        return LK_CFG_FATAL;
    if (argc > 2)
        return lb_cfg_fail(&p->ctx, err, "'defaults' takes at most a name");
    /* a new defaults section starts afresh unless it says "from" */
    if (!(ln->argc >= 3 && strcmp(ln->argv[ln->argc - 2], "from") == 0))
        from = NULL;
    d = lb_proxy_new(argc == 2 ? ln->argv[1] : NULL, LB_CAP_DEF, from);
    if (!d)
        return lb_cfg_fail(&p->ctx, err, "out of memory");
    d->file = ln->file;
    d->line = ln->line;
    d->next = p->ctx.cfg->defaults;
    p->ctx.cfg->defaults = d;
    p->last_defaults = d;
    p->ctx.px = d;
    p->sec = SEC_DEFAULTS;
    return 0;
}

/* A frontend and a backend may share a name (HAProxy allows it, stats tell
 * them apart by type); two of the same kind may not. */
static int open_proxy(struct parser *p, struct lk_cfgline *ln, enum section sec, char **err)
{
    static const unsigned caps[] = {[SEC_FRONTEND] = LB_CAP_FE,
                                    [SEC_BACKEND] = LB_CAP_BE,
                                    [SEC_LISTEN] = LB_CAP_FE | LB_CAP_BE};
    const struct lb_proxy *def;
    struct lb_proxy *px, *other;
    int argc = ln->argc;

    if (section_from(p, ln, &argc, &def, err))
        return LK_CFG_FATAL;
    if (argc < 2)
        return lb_cfg_fail(&p->ctx, err, "'%s' section needs a name", ln->argv[0]);
    if (argc == 3 && sec == SEC_LISTEN) /* HAProxy 2.6 refuses the old form too */
        return lb_cfg_fail(&p->ctx, err,
                           "'listen %s %s': an address after the name is not supported any more; "
                           "please use the 'bind' keyword",
                           ln->argv[1], ln->argv[2]);
    if (argc > 2)
        return lb_cfg_fail(&p->ctx, err, "too many arguments after '%s %s'", ln->argv[0],
                           ln->argv[1]);
    for (other = p->ctx.cfg->proxies; other; other = other->next)
        if (strcmp(other->name, ln->argv[1]) == 0 && (other->cap & caps[sec]))
            return lb_cfg_fail(&p->ctx, err, "%s '%s' already defined at %s:%u", ln->argv[0],
                               ln->argv[1], other->file, other->line);
    px = lb_proxy_new(ln->argv[1], caps[sec], def);
    if (!px)
        return lb_cfg_fail(&p->ctx, err, "out of memory");
    px->file = ln->file;
    px->line = ln->line;
    px->uuid = ++p->next_uuid;
    *p->tail = px;
    p->tail = &px->next;
    p->ctx.px = px;
    p->sec = sec;
    return 0;
}

/* userlist, resolvers and peers sections: "KIND NAME", the name unique in its
 * kind. The section (`size` bytes, its struct lb_cfgsec first) is appended to
 * *list and given its defaults by init (may be NULL); its keywords then find
 * it in ctx.ul, ctx.res or ctx.peers. */
/* lb_cfgsec_new() allocates `size` bytes and returns them as the header, and
 * lb_cfgsec_free_all() frees the header's address */
_Static_assert(offsetof(struct lb_userlist, sec) == 0, "sec must come first");
_Static_assert(offsetof(struct lb_resolvers, sec) == 0, "sec must come first");
_Static_assert(offsetof(struct lb_peers_sec, sec) == 0, "sec must come first");

static int open_named(struct parser *p,
                      struct lk_cfgline *ln,
                      enum section sec,
                      struct lb_cfgsec **list,
                      size_t size,
                      void (*init)(struct lb_cfgsec *),
                      char **err)
{
    const char *kind = section_names[sec];
    struct lb_cfgsec *s;

    if (ln->argc != 2)
        return lb_cfg_fail(&p->ctx, err, "'%s' needs exactly a name", kind);
    s = lb_cfgsec_find(*list, ln->argv[1]);
    if (s)
        return lb_cfg_fail(&p->ctx, err, "%s '%s' is already defined at %s:%u", kind, ln->argv[1],
                           s->file, s->line);
    s = lb_cfgsec_new(list, size, ln->argv[1], ln->file, ln->line);
    if (!s)
        return lb_cfg_fail(&p->ctx, err, "out of memory");
    if (init)
        init(s);
    p->ctx.px = NULL;
    p->ctx.ul = sec == SEC_USERLIST ? lb_userlist_of(s) : NULL;
    p->ctx.res = sec == SEC_RESOLVERS ? lb_resolvers_of(s) : NULL;
    p->ctx.peers = sec == SEC_PEERS ? lb_peers_sec_of(s) : NULL;
    p->sec = sec;
    return 0;
}

static int open_errors(struct parser *p, struct lk_cfgline *ln, char **err)
{
    struct lb_errsec *es = NULL;
    char *msg = NULL;
    int r;

    r = lb_errsec_open(p->ctx.cfg, ln, &es, &msg);
    if (r < 0) {
        r = lb_cfg_fail(&p->ctx, err, "%s", msg ? msg : "out of memory");
        free(msg);
        return r;
    }
    p->ctx.px = NULL;
    p->ctx.es = es;
    p->sec = SEC_ERRORS;
    return 0;
}

/* Returns -1 when the line is not a section header, so the caller hands it to
 * the open section's keyword table; 0 or LK_CFG_FATAL otherwise. */
static int open_section(struct parser *p, struct lk_cfgline *ln, char **err)
{
    struct lb_cfg *cfg = p->ctx.cfg;
    const char *s = ln->argv[0];
    size_t i;

    if (strcmp(s, "global") == 0) {
        if (ln->argc > 1)
            return lb_cfg_fail(&p->ctx, err, "'global' takes no argument");
        p->sec = SEC_GLOBAL;
        p->ctx.px = NULL;
        return 0;
    }
    if (strcmp(s, "defaults") == 0)
        return open_defaults(p, ln, err);
    if (strcmp(s, "frontend") == 0)
        return open_proxy(p, ln, SEC_FRONTEND, err);
    if (strcmp(s, "backend") == 0)
        return open_proxy(p, ln, SEC_BACKEND, err);
    if (strcmp(s, "listen") == 0)
        return open_proxy(p, ln, SEC_LISTEN, err);
    if (strcmp(s, "userlist") == 0)
        return open_named(p, ln, SEC_USERLIST, &cfg->userlists, sizeof(struct lb_userlist), NULL,
                          err);
    if (strcmp(s, "resolvers") == 0)
        return open_named(p, ln, SEC_RESOLVERS, &cfg->resolvers, sizeof(struct lb_resolvers),
                          lb_resolvers_init, err);
    if (strcmp(s, "http-errors") == 0)
        return open_errors(p, ln, err);
    if (strcmp(s, "peers") == 0)
        return open_named(p, ln, SEC_PEERS, &cfg->peers, sizeof(struct lb_peers_sec), NULL, err);
    for (i = 0; unsupported_sections[i]; i++)
        if (strcmp(s, unsupported_sections[i]) == 0)
            return lb_cfg_fail(&p->ctx, err, "section '%s' is not supported by lbd", s);
    return -1; /* not a section keyword */
}

static int parse_line(struct parser *p, struct lk_cfgline *ln, char **err)
{
    int r;

    p->ctx.file = lk_cfgfiles_intern(&p->ctx.cfg->files, ln->file);
    if (!p->ctx.file)
        return lk_cfg_err(err, "out of memory");
    ln->file = p->ctx.file;
    p->ctx.line = ln->line;
    p->refs.cur_file = p->ctx.file;
    p->refs.cur_line = ln->line;
    r = open_section(p, ln, err);
    if (r >= 0) {
        /* the lines of a section that could not open would only report
         * errors caused by the first one: skip them */
        p->skip = r != 0;
        return r;
    }
    if (p->skip)
        return 0;
    switch (p->sec) {
    case SEC_NONE:
        return lb_cfg_fail(&p->ctx, err, "unknown keyword '%s' out of section", ln->argv[0]);
    case SEC_GLOBAL:
        return run_kw(p, lb_global_kws, ln, err);
    case SEC_USERLIST:
        return run_kw(p, lb_userlist_kws, ln, err);
    case SEC_RESOLVERS:
        return run_kw(p, lb_resolvers_kws, ln, err);
    case SEC_ERRORS:
        return run_kw(p, lb_errsec_kws, ln, err);
    case SEC_PEERS:
        return run_kw(p, lb_peers_kws, ln, err);
    default:
        return run_kw(p, lb_proxy_kws, ln, err);
    }
}

/* Append the message *one to *all and free *one. */
static void errs_add(char **all, char **one)
{
    if (*one)
        lb_cfg_err_append(all, "%s", *one);
    free(*one);
    *one = NULL;
}

/* Defaults that depend on nothing else are set here, after parsing, so a
 * keyword's absence and "keyword 0" stay distinguishable while parsing. Named
 * references between proxies (use_backend, default_backend, acl userlists)
 * are resolved only now, since a proxy may name one defined further down the
 * file. */
static int validate(struct lb_cfg *cfg, char **err)
{
    struct lb_proxy *px;
    char *one = NULL;
    int r, ret = 0;

    /* a file without proxy sections is valid, as for HAProxy (Debian's stock
     * haproxy.cfg has only global and defaults): lbd then serves nothing but
     * its admin sockets */
    for (px = cfg->proxies; px; px = px->next) {
        r = lb_proxy_validate(cfg, px, &one);
        if (r < 0) {
            errs_add(err, &one);
            ret = r;
        }
    }
    if (cfg->global.nbthread == 0)
        cfg->global.nbthread = 1;
    if (cfg->global.maxconn == 0)
        cfg->global.maxconn = 4096;
    if (cfg->global.bufsize == 0)
        cfg->global.bufsize = 16384;
    r = lb_http_cfg_resolve(cfg, err);
    return ret < 0 ? ret : r;
}

/* an lk_cfg_load_fn: ret is a struct lb_cfg ** */
static int load(struct lk_cfglex *lx, const char *path, void *ret, char **err)
{
    struct parser p;
    struct lk_cfgline ln;
    struct lb_cfg *cfg;
    struct lb_proxy *px;
    char *one = NULL;
    unsigned nerr = 0;
    int r;

    cfg = calloc(1, sizeof(*cfg));
    if (!cfg)
        return -ENOMEM;
    cfg->path = strdup(path);
    cfg->global.uid = (uid_t)-1;
    cfg->global.gid = (gid_t)-1;
    memset(&p, 0, sizeof(p));
    p.ctx.cfg = cfg;
    p.tail = &cfg->proxies;
    p.next_uuid = 1; /* HAProxy numbers user proxies from 2 (1 is its own CLI proxy) */
    lb_smp_refs_begin(&p.refs);
    /* every error is reported, as HAProxy does: each one is appended to
     * *err on its own line and parsing goes on with the next line */
    while ((r = lk_cfglex_next(lx, &ln, &one)) > 0) {
        if (parse_line(&p, &ln, &one)) {
            nerr++;
            errs_add(err, &one);
        }
    }
    if (r < 0) {
        nerr++;
        errs_add(err, &one);
    }
    /* HAProxy's own CLI proxy takes id 1 only when it exists: with a "stats
     * socket" (or master-worker's socketpair); otherwise user proxies are
     * numbered from 1 (seen in iid, external checks' HAPROXY_PROXY_ID).
     * lbd -W given on the command line alone is not known here. */
    if (!cfg->global.sockets && !cfg->global.master_worker)
        for (px = cfg->proxies; px; px = px->next)
            px->uuid--;
    /* the checks across sections run even after errors, so that one run of
     * lbd -c lists the bad acl and rule lines too */
    r = validate(cfg, err);
    if (lb_smp_refs_end(&p.refs, cfg, err) < 0 || lb_userlist_validate(cfg, err) < 0 ||
        lb_resolvers_validate(cfg, err) < 0 || lb_peers_cfg_validate(cfg, err) < 0)
        r = -EINVAL;
    if (nerr)
        r = -EINVAL;
    if (r < 0) {
        lb_cfg_free(cfg);
        return r;
    }
    *(struct lb_cfg **)ret = cfg;
    return 0;
}

/* A line starting with ';' is a comment, and environment variables in
 * double-quoted words are expanded as HAProxy 2.6 does (common/cfglex.h). */
#define LEX_FLAGS (LK_CFGLEX_SEMI | LK_CFGLEX_ENV)

int lb_cfg_load_file(const char *path, struct lb_cfg **ret, char **err)
{
    return lk_cfg_load(path, NULL, LEX_FLAGS, load, ret, err);
}

int lb_cfg_load_mem(const char *name, const char *text, struct lb_cfg **ret, char **err)
{
    return lk_cfg_load(name, text, LEX_FLAGS, load, ret, err);
}

/* Frees everything a load built, including half-built objects of a failed
 * load (load() frees through here on error). Proxies own their servers, rules
 * and log targets. */
struct lb_cfg *lb_cfg_free(struct lb_cfg *cfg)
{
    struct lb_proxy *px, *n;
    struct lb_sock_cfg *s, *sn;

    if (!cfg)
        return NULL;
    for (px = cfg->proxies; px; px = n) {
        n = px->next;
        lb_proxy_free(px);
    }
    for (px = cfg->defaults; px; px = n) {
        n = px->next;
        lb_proxy_free(px);
    }
    for (s = cfg->global.sockets; s; s = sn) {
        sn = s->next;
        free(s->path);
        free(s);
    }
    lb_logtargets_free(cfg->global.logs);
    lb_cfgsec_free_all(cfg->userlists, lb_userlist_free);
    lb_cfgsec_free_all(cfg->resolvers, lb_resolvers_free);
    lb_cfgsec_free_all(cfg->peers, lb_peers_sec_free);
    free(cfg->global.localpeer);
    lb_errsec_free_all(cfg->errsecs);
    free(cfg->global.pidfile);
    free(cfg->global.log_tag);
    free(cfg->global.log_hostname);
    free(cfg->global.node);
    free(cfg->global.description);
    free(cfg->global.chroot);
    free(cfg->global.checkd_socket);
    lk_cfgfiles_free(&cfg->files);
    free(cfg->path);
    free(cfg);
    return NULL;
}

struct lb_stktable *lb_cfg_find_table(const struct lb_cfg *cfg, const char *name)
{
    struct lb_proxy *px;

    for (px = cfg->proxies; px; px = px->next)
        if (px->stk && strcmp(px->name, name) == 0)
            return px->stk;
    return lb_peers_find_table(cfg, name);
}

struct lb_proxy *lb_cfg_find_proxy(const struct lb_cfg *cfg, const char *name, unsigned cap)
{
    struct lb_proxy *px;

    for (px = cfg->proxies; px; px = px->next)
        if ((px->cap & cap) == cap && strcmp(px->name, name) == 0)
            return px;
    return NULL;
}
