/* cfg_route.c - the options of virtual_ipaddress entries and the
 * virtual_routes / virtual_rules blocks of Keepalived's dialect (see
 * cfg_int.h). They follow `ip addr add` / `ip route add` / `ip rule add`;
 * the subset vrrpd applies is listed in docs/vrrpd.md and anything else is
 * refused by name. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vrrpd/cfg_int.h"

/* ADDR[/N] of family af into ret (4 or 16 bytes). */
/* Without "/N" the prefix is the full length, a host address, as `ip addr
 * add` assumes; a length beyond the family's is refused. */
static int parse_prefix_af(int af, const char *s, void *ret, uint8_t *ret_prefix)
{
    const int64_t max = af == AF_INET ? 32 : 128;
    uint8_t a[16];
    char addr[64], *slash;
    int64_t pfx = max;

    if (strlen(s) >= sizeof(addr))
        return -EINVAL;
    snprintf(addr, sizeof(addr), "%s", s);
    slash = strchr(addr, '/');
    if (slash) {
        *slash++ = '\0';
        if (lk_parse_int(slash, 0, max, &pfx) < 0)
            return -EINVAL;
    }
    if (inet_pton(af, addr, a) != 1)
        return -EINVAL;
    memcpy(ret, a, af == AF_INET ? 4 : 16);
    *ret_prefix = (uint8_t)pfx;
    return 0;
}

int vr__parse_prefix(const char *s, uint32_t *ret_addr, uint8_t *ret_prefix)
{
    return parse_prefix_af(AF_INET, s, ret_addr, ret_prefix);
}

int vr__parse_prefix6(const char *s, uint8_t ret_addr[16], uint8_t *ret_prefix)
{
    return parse_prefix_af(AF_INET6, s, ret_addr, ret_prefix);
}

/* `ip`'s scope names; a number is accepted too, as iproute2 does. */
static const struct {
    const char *name;
    uint8_t scope;
} scopes[] = {
    {"global", RT_SCOPE_UNIVERSE}, {"universe", RT_SCOPE_UNIVERSE}, {"site", RT_SCOPE_SITE},
    {"link", RT_SCOPE_LINK},       {"host", RT_SCOPE_HOST},         {"nowhere", RT_SCOPE_NOWHERE},
};

static int parse_scope(const struct vr__ctx *c, const char *s, uint8_t *ret, char **err)
{
    unsigned k;
    int64_t v;

    for (k = 0; k < LK_ARRAY_SIZE(scopes); k++)
        if (!strcmp(s, scopes[k].name)) {
            *ret = scopes[k].scope;
            return LK_CFG_OK;
        }
    if (lk_parse_int(s, 0, 255, &v) == 0) {
        *ret = (uint8_t)v;
        return LK_CFG_OK;
    }
    return vr__fail(c, err, "unknown scope '%s' (global, site, link, host, nowhere or 0-255)", s);
}

/* brd A.B.C.D, or '+' / '-': the address with its host bits set / cleared */
/* On a /31 or /32 there is no broadcast address (RFC 3021), so '+' then sets
 * none rather than the address itself. */
static int parse_brd(const struct vr__ctx *c, struct vr_vip *v, const char *s, char **err)
{
    uint32_t mask = v->prefix ? htonl(~0u << (32 - v->prefix)) : 0;

    if (!strcmp(s, "+"))
        v->brd = v->prefix >= 31 ? 0 : (v->addr | ~mask);
    else if (!strcmp(s, "-"))
        v->brd = v->addr & mask;
    else if (vr__parse_ip(s, &v->brd) < 0)
        return vr__fail(c, err, "brd '%s' is not an IPv4 address, '+' or '-'", s);
    return LK_CFG_OK;
}

/* "dev" puts the VIP on another link than the instance's (the address follows
 * the state, the advertisements stay on the instance's link). */
int vr__vip_opts(struct vr__ctx *c, struct vr_vip *v, int argc, char **argv, char **err)
{
    int i;

    for (i = 1; i < argc; i += 2) {
        const char *k = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

        if (!val)
            return vr__fail(c, err, "'%s' expects a value", k);
        /* Linux keeps labels and broadcast addresses for IPv4 only */
        if (v->family == AF_INET6 &&
            (!strcmp(k, "label") || !strcmp(k, "brd") || !strcmp(k, "broadcast")))
            return vr__fail(c, err, "'%s' applies to IPv4 addresses only", k);
        if (!strcmp(k, "dev")) {
            if (vr__ifname(c, v->dev, val, err))
                return LK_CFG_FATAL;
        } else if (!strcmp(k, "label")) {
            if (strlen(val) >= IF_NAMESIZE)
                return vr__fail(c, err, "label '%s' is longer than %d characters", val,
                                IF_NAMESIZE - 1);
            snprintf(v->label, sizeof(v->label), "%s", val);
        } else if (!strcmp(k, "scope")) {
            if (parse_scope(c, val, &v->scope, err))
                return LK_CFG_FATAL;
        } else if (!strcmp(k, "brd") || !strcmp(k, "broadcast")) {
            if (parse_brd(c, v, val, err))
                return LK_CFG_FATAL;
        } else {
            return vr__fail(c, err,
                            "virtual_ipaddress option '%s' is not supported by vrrpd (dev, "
                            "label, scope, brd are)",
                            k);
        }
    }
    return LK_CFG_OK;
}

/* iproute2's table names for the reserved tables, or a number; table 0
 * (unspecified) is refused, since the kernel would pick the table itself. */
static int parse_table(const struct vr__ctx *c, const char *s, uint32_t *ret, char **err)
{
    int64_t v;

    if (!strcmp(s, "main"))
        *ret = RT_TABLE_MAIN;
    else if (!strcmp(s, "local"))
        *ret = RT_TABLE_LOCAL;
    else if (!strcmp(s, "default"))
        *ret = RT_TABLE_DEFAULT;
    else if (lk_parse_int(s, 1, 0xffffffffLL, &v) == 0)
        *ret = (uint32_t)v;
    else
        return vr__fail(c, err, "table '%s' is not a number (or main, local, default)", s);
    return LK_CFG_OK;
}

static int route_dst(struct vr__ctx *c, struct vr_route *r, const char *s, char **err)
{
    if (!strcmp(s, "default")) {
        r->dst = 0;
        r->prefix = 0;
        return LK_CFG_OK;
    }
    if (vr__parse_prefix(s, &r->dst, &r->prefix) < 0)
        return vr__fail(c, err,
                        "'%s' is not an IPv4 destination (A.B.C.D[/N] or default; IPv6 "
                        "routes are not supported)",
                        s);
    return LK_CFG_OK;
}

/* A route type word anywhere on the line ("blackhole 10.0.0.0/8"), as `ip
 * route` accepts it before the destination: 1 when s is one. */
static int route_type(const char *s, uint8_t *ret)
{
    if (!strcmp(s, "blackhole"))
        *ret = RTN_BLACKHOLE;
    else if (!strcmp(s, "unreachable"))
        *ret = RTN_UNREACHABLE;
    else if (!strcmp(s, "prohibit"))
        *ret = RTN_PROHIBIT;
    else
        return 0;
    return 1;
}

/* One "KEY VALUE" pair of a route: LK_CFG_OK or LK_CFG_FATAL. */
static int route_opt(struct vr__ctx *c,
                     struct vr_route *r,
                     const char *k,
                     const char *v,
                     char **err)
{
    uint8_t len;
    int64_t n;

    if (!strcmp(k, "via") || !strcmp(k, "gw")) {
        if (vr__parse_prefix(v, &r->gw, &len) < 0 || len != 32)
            return vr__fail(c, err, "via '%s' is not an IPv4 address", v);
    } else if (!strcmp(k, "src")) {
        if (vr__parse_ip(v, &r->src) < 0)
            return vr__fail(c, err, "src '%s' is not an IPv4 address", v);
    } else if (!strcmp(k, "dev") || !strcmp(k, "oif")) {
        if (vr__ifname(c, r->dev, v, err))
            return LK_CFG_FATAL;
        r->has_dev = true;
    } else if (!strcmp(k, "metric") || !strcmp(k, "priority") || !strcmp(k, "preference")) {
        if (lk_parse_int(v, 0, 0xffffffffLL, &n) < 0)
            return vr__fail(c, err, "%s '%s' is not a number", k, v);
        r->metric = (uint32_t)n;
    } else if (!strcmp(k, "table")) {
        if (parse_table(c, v, &r->table, err))
            return LK_CFG_FATAL;
    } else if (!strcmp(k, "scope")) {
        if (parse_scope(c, v, &r->scope, err))
            return LK_CFG_FATAL;
    } else if (!strcmp(k, "to")) {
        if (route_dst(c, r, v, err))
            return LK_CFG_FATAL;
    } else {
        return vr__fail(c, err,
                        "virtual_routes option '%s' is not supported by vrrpd (via, src, dev, "
                        "metric, table, scope, blackhole/unreachable/prohibit are)",
                        k);
    }
    return LK_CFG_OK;
}

int vr__item_route(struct vr__ctx *c, int argc, char **argv, char **err)
{
    struct vr_inst_cfg *in = c->inst;
    struct vr_route r = {.type = RTN_UNICAST, .table = RT_TABLE_MAIN};
    bool have_dst = false;
    int i = 0;

    if (in->nroutes >= VR_MAX_ROUTES)
        return vr__fail(c, err, "more than %d virtual_routes", VR_MAX_ROUTES);
    while (i < argc) {
        if (route_type(argv[i], &r.type)) {
            i++;
            continue;
        }
        if (!have_dst && strcmp(argv[i], "src") && strcmp(argv[i], "to") &&
            (strchr(argv[i], '.') || !strcmp(argv[i], "default"))) {
            if (route_dst(c, &r, argv[i], err))
                return LK_CFG_FATAL;
            have_dst = true;
            i++;
            continue;
        }
        if (i + 1 >= argc)
            return vr__fail(c, err, "virtual_routes: '%s' expects a value", argv[i]);
        have_dst = have_dst || !strcmp(argv[i], "to");
        if (route_opt(c, &r, argv[i], argv[i + 1], err))
            return LK_CFG_FATAL;
        i += 2;
    }
    if (!have_dst)
        return vr__fail(c, err, "virtual_routes entry without a destination");
    /* a local route by device only is link scope, as `ip route add` makes it */
    if (!r.gw && r.type == RTN_UNICAST && !r.scope)
        r.scope = RT_SCOPE_LINK;
    in->routes[in->nroutes++] = r;
    return LK_CFG_OK;
}

static int rule_opt(struct vr__ctx *c, struct vr_rule *r, const char *k, const char *v, char **err)
{
    int64_t n;

    if (!strcmp(k, "from") || !strcmp(k, "to")) {
        bool from = !strcmp(k, "from");

        if (!strcmp(v, "all"))
            return LK_CFG_OK;
        if (vr__parse_prefix(v, from ? &r->from : &r->to, from ? &r->from_len : &r->to_len) < 0)
            return vr__fail(c, err, "%s '%s' is not an IPv4 prefix", k, v);
    } else if (!strcmp(k, "table") || !strcmp(k, "lookup")) {
        return parse_table(c, v, &r->table, err);
    } else if (!strcmp(k, "priority") || !strcmp(k, "preference") || !strcmp(k, "pref")) {
        if (lk_parse_int(v, 0, 0xffffffffLL, &n) < 0)
            return vr__fail(c, err, "%s '%s' is not a number", k, v);
        r->priority = (uint32_t)n;
    } else if (!strcmp(k, "fwmark")) {
        if (lk_parse_int(v, 0, 0xffffffffLL, &n) < 0)
            return vr__fail(c, err, "fwmark '%s' is not a number (masks are not supported)", v);
        r->fwmark = (uint32_t)n;
    } else if (!strcmp(k, "iif") || !strcmp(k, "oif")) {
        return vr__ifname(c, !strcmp(k, "iif") ? r->iif : r->oif, v, err);
    } else {
        return vr__fail(c, err,
                        "virtual_rules option '%s' is not supported by vrrpd (from, to, table, "
                        "priority, fwmark, iif, oif are)",
                        k);
    }
    return LK_CFG_OK;
}

int vr__item_rule(struct vr__ctx *c, int argc, char **argv, char **err)
{
    struct vr_inst_cfg *in = c->inst;
    struct vr_rule r = {0};
    int i;

    if (in->nrules >= VR_MAX_ROUTES)
        return vr__fail(c, err, "more than %d virtual_rules", VR_MAX_ROUTES);
    for (i = 0; i < argc; i += 2) {
        if (i + 1 >= argc)
            return vr__fail(c, err, "virtual_rules: '%s' expects a value", argv[i]);
        if (rule_opt(c, &r, argv[i], argv[i + 1], err))
            return LK_CFG_FATAL;
    }
    if (!r.table)
        return vr__fail(c, err, "virtual_rules entry without 'table'");
    in->rules[in->nrules++] = r;
    return LK_CFG_OK;
}
