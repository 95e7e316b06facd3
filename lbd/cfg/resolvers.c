/* resolvers.c - resolvers sections; see resolvers.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfglex.h"
#include "common/compiler.h"
#include "common/log.h"
#include "lbd/cfg/cfg.h"
#include "lbd/cfg/resolvers.h"
#include "lbd/core/proxy_types.h"

/* Names as written after "hold" in a resolvers section; the index is the
 * status the answer handling in lbd/core/dns.c computes. */
static const char *const status_names[LB_DNS_STATUS_MAX] = {
    [LB_DNS_VALID] = "valid",     [LB_DNS_NX] = "nx",           [LB_DNS_OTHER] = "other",
    [LB_DNS_REFUSED] = "refused", [LB_DNS_TIMEOUT] = "timeout", [LB_DNS_OBSOLETE] = "obsolete",
};

const char *lb_dns_status_name(enum lb_dns_status st)
{
    return st < LB_DNS_STATUS_MAX ? status_names[st] : "?";
}

struct lb_resolvers *lb_resolvers_of(struct lb_cfgsec *s)
{
    return s ? lk_container_of(s, struct lb_resolvers, sec) : NULL;
}

void lb_resolvers_init(struct lb_cfgsec *s)
{
    struct lb_resolvers *r = lk_container_of(s, struct lb_resolvers, sec);
    int i;

    /* hold valid 10 s is how often a good answer is refreshed; obsolete 0 drops
     * an address as soon as it leaves the answers; the other statuses keep the
     * last good addresses for 30 s. */
    /* HAProxy 2.6's defaults */
    r->retries = 3;
    r->timeout_resolve_ms = 1000;
    r->timeout_retry_ms = 1000;
    for (i = 0; i < LB_DNS_STATUS_MAX; i++)
        r->hold_ms[i] = 30000;
    r->hold_ms[LB_DNS_VALID] = 10000;
    r->hold_ms[LB_DNS_OBSOLETE] = 0;
    r->payload = 512;
}

void lb_resolvers_free(struct lb_cfgsec *s)
{
    struct lb_resolvers *r = lk_container_of(s, struct lb_resolvers, sec);

    while (r->nns)
        free(r->ns[--r->nns].name);
    free(r->ns);
}

/* Only UDP name servers ("udp@" or none); c-ares itself retries a truncated
 * answer over TCP. */
static int kw_nameserver(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_resolvers *r = ctx->res;
    struct lb_nameserver *ns;
    const char *spec = argv[2];
    unsigned i;

    if (strncmp(spec, "udp@", 4) == 0)
        spec += 4;
    else if (strchr(spec, '@'))
        return lb_cfg_fail(ctx, err,
                           "nameserver '%s': only UDP name servers are supported by lbd "
                           "(got '%s')",
                           argv[1], argv[2]);
    for (i = 0; i < r->nns; i++)
        if (strcmp(r->ns[i].name, argv[1]) == 0)
            return lb_cfg_fail(ctx, err, "nameserver '%s' is already defined in resolvers '%s'",
                               argv[1], r->sec.name);
    ns = realloc(r->ns, (r->nns + 1) * sizeof(*ns));
    if (!ns)
        return lb_cfg_fail(ctx, err, "out of memory");
    r->ns = ns;
    ns += r->nns;
    if (lk_addr_parse(spec, 0, &ns->addr) < 0 || lk_addr_port(&ns->addr) == 0)
        return lb_cfg_fail(ctx, err, "nameserver '%s': expected IP:PORT, got '%s'", argv[1],
                           argv[2]);
    if (!(ns->name = strdup(argv[1])))
        return lb_cfg_fail(ctx, err, "out of memory");
    r->nns++;
    return 0;
}

static int kw_parse_resolv_conf(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    ctx->res->parse_resolv_conf = 1;
    return 0;
}

/* resolve_retries (tries of a query), accepted_payload_size (HAProxy's
 * bounds: the classic 512 up to 65535) */
static int kw_number(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    int retries = argv[0][0] == 'r';
    uint64_t n;

    if (lb_cfg_uint(ctx, argv, 1, retries ? 1 : 512, retries ? 255 : 65535, &n, err))
        return LK_CFG_FATAL;
    *(retries ? &ctx->res->retries : &ctx->res->payload) = (unsigned)n;
    return 0;
}

static int kw_timeout(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    uint64_t *out;

    if (strcmp(argv[1], "resolve") == 0)
        out = &ctx->res->timeout_resolve_ms;
    else if (strcmp(argv[1], "retry") == 0)
        out = &ctx->res->timeout_retry_ms;
    else
        return lb_cfg_fail(ctx, err, "timeout: unknown kind '%s' in resolvers (resolve, retry)",
                           argv[1]);
    if (lb_cfg_time(ctx, argv, 2, out, err))
        return LK_CFG_FATAL;
    if (*out == 0)
        return lb_cfg_fail(ctx, err, "timeout %s must be greater than 0", argv[1]);
    return 0;
}

static int kw_hold(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    int i;

    for (i = 0; i < LB_DNS_STATUS_MAX; i++)
        if (strcmp(argv[1], status_names[i]) == 0)
            return lb_cfg_time(ctx, argv, 2, &ctx->res->hold_ms[i], err);
    return lb_cfg_fail(ctx, err,
                       "hold: unknown status '%s' (valid, nx, other, refused, timeout, obsolete)",
                       argv[1]);
}

const struct lk_cfgkw lb_resolvers_kws[] = {
    {"nameserver", kw_nameserver, 2, 2, 0},
    {"parse-resolv-conf", kw_parse_resolv_conf, 0, 0, 0},
    {"resolve_retries", kw_number, 1, 1, 0},
    {"accepted_payload_size", kw_number, 1, 1, 0},
    {"timeout", kw_timeout, 2, 2, 0},
    {"hold", kw_hold, 2, 2, 0},
    {NULL, NULL, 0, 0, 0},
};

struct lb_resolvers *lb_resolvers_find(const struct lb_cfg *cfg, const char *name)
{
    return lb_resolvers_of(lb_cfgsec_find(cfg->resolvers, name));
}

/* Servers name their section by string while parsing (the section may come
 * later in the file); the pointer is set here, once all are known. */
static int link_servers(struct lb_cfg *cfg, struct lb_proxy *px, char **err)
{
    struct lb_server *s;
    unsigned i;
    int r = 0;

    for (i = 0; i < px->nservers; i++) {
        s = px->servers[i];
        if (!s->resolvers_name[0])
            continue;
        s->resolvers = lb_resolvers_find(cfg, s->resolvers_name);
        if (!s->resolvers) {
            lb_cfg_err_append(err, "%s:%u: server '%s/%s': no resolvers section named '%s'",
                              s->file, s->line, px->name, s->name, s->resolvers_name);
            r = -EINVAL;
        }
    }
    return r;
}

int lb_resolvers_validate(struct lb_cfg *cfg, char **err)
{
    struct lb_resolvers *res;
    struct lb_cfgsec *s;
    struct lb_proxy *px;
    int r = 0;

    /* HAProxy accepts such a section with a warning; its servers keep
     * the address init-addr gave them (lbd/core/dns.c asks nothing) */
    for (s = cfg->resolvers; (res = lb_resolvers_of(s)); s = s->next)
        if (!res->nns && !res->parse_resolv_conf)
            lk_log(LK_LOG_WARNING, "%s:%u: resolvers '%s' has no nameservers configured", s->file,
                   s->line, s->name);
    for (px = cfg->proxies; px; px = px->next)
        if ((px->cap & LB_CAP_BE) && link_servers(cfg, px, err) < 0)
            r = -EINVAL;
    return r;
}
