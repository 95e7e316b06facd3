/* cfg.c - Keepalived's config dialect for vrrpd (see cfg.h).
 *
 * A line may hold several statements when braces are glued to it
 * ("virtual_ipaddress { 10.0.0.1 }"): a statement ends at '{' (it opens a
 * block), '}' (it closes one) or the end of the line. Blocks that hold
 * keywords look them up in a table; list blocks (virtual_ipaddress,
 * track_script, ...) hand each statement to one item handler. */
#include "vrrpd/cfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cfgkw.h"
#include "common/cfglex.h"
#include "common/log.h"
#include "proto/vrrp_pkt.h"
#include "vrrpd/cfg_int.h"

/* Keepalived's lexer rules: braces are tokens of their own, '!' starts a
 * comment like '#', and "include GLOB" reads files in place. MAX_DEPTH bounds
 * block nesting (vrrp_sync_group > group is the deepest real one), so a file
 * of unbalanced braces cannot recurse without end. */
#define LEX_FLAGS (LK_CFGLEX_BRACES | LK_CFGLEX_BANG | LK_CFGLEX_INCLUDE)
#define MAX_DEPTH 8
#define UNSET     VR__UNSET

static const char *const blk_names[BLK_MAX] = {
    [BLK_TOP] = "top level",
    [BLK_GLOBAL] = "global_defs",
    [BLK_SCRIPT] = "vrrp_script",
    [BLK_INST] = "vrrp_instance",
    [BLK_AUTH] = "authentication",
    [BLK_VIPS] = "virtual_ipaddress",
    [BLK_VIPS_EXCL] = "virtual_ipaddress_excluded",
    [BLK_TSCRIPT] = "track_script",
    [BLK_TIFACE] = "track_interface",
    [BLK_PEERS] = "unicast_peer",
    [BLK_LBD] = "track_lbd",
    [BLK_TFILE] = "track_file",
    [BLK_TPROC] = "vrrp_track_process",
    [BLK_TFILE_REF] = "track_file",
    [BLK_TPROC_REF] = "track_process",
    [BLK_SYNC] = "vrrp_sync_group",
    [BLK_SYNC_GRP] = "group",
    [BLK_ROUTES] = "virtual_routes",
    [BLK_RULES] = "virtual_rules",
    [BLK_SKIP] = "ignored",
};

static const struct lk_cfgkw *const tables[BLK_MAX];

/* Warnings go to the log with FILE:LINE at once and do not fail the load, as
 * Keepalived's config-test reports them. */
int vr__warn(const struct vr__ctx *c, const char *what)
{
    lk_log(LK_LOG_WARNING, "%s:%u: %s", c->file, c->line, what);
    return LK_CFG_OK;
}

/* Keepalived writes times as decimal seconds ("0.5", "1.25"); reading them as
 * integers scaled by 10^digits avoids floating point, so "0.1" is exactly 100
 * ms. More fractional digits than `digits` are refused rather than rounded,
 * and the running value is checked against max before each multiply, so a
 * long digit string cannot overflow. */
int vr__parse_fixed(const char *s, unsigned digits, uint64_t max, uint64_t *ret)
{
    uint64_t v = 0;
    unsigned frac = 0;
    int dot = 0, any = 0;

    for (; *s; s++) {
        if (*s == '.' && !dot) {
            dot = 1;
            continue;
        }
        if (*s < '0' || *s > '9' || (dot && frac == digits) || v > max * 10)
            return -EINVAL;
        v = v * 10 + (uint64_t)(*s - '0');
        frac += (unsigned)dot;
        any = 1;
    }
    for (; frac < digits; frac++)
        v *= 10;
    if (!any || v > max)
        return -ERANGE;
    *ret = v;
    return 0;
}

int vr__num(const struct vr__ctx *c,
            char **argv,
            int i,
            int64_t min,
            int64_t max,
            int64_t *ret,
            char **err)
{
    if (lk_parse_int(argv[i], min, max, ret) < 0)
        return vr__fail(c, err, "'%s': '%s' is not a number in [%lld, %lld]", argv[0], argv[i],
                        (long long)min, (long long)max);
    return LK_CFG_OK;
}

/* "weight N [reverse]" of track_script/track_interface/track_file: lim is the
 * bound the caller's block allows (Keepalived: 254 for scripts). */
int vr__weight(const struct vr__ctx *c,
               int argc,
               char **argv,
               int64_t lim,
               int *ret_w,
               bool *ret_rev,
               char **err)
{
    int64_t w;

    if (vr__num(c, argv, 1, -lim, lim, &w, err))
        return LK_CFG_FATAL;
    if (argc > 2 && strcmp(argv[2], "reverse") != 0)
        return vr__fail(c, err, "'weight %s %s': expected 'reverse' after the weight", argv[1],
                        argv[2]);
    *ret_w = (int)w;
    *ret_rev = argc > 2;
    return LK_CFG_OK;
}

int vr__secs_ms(const struct vr__ctx *c, char **argv, int i, uint32_t *ret, char **err)
{
    uint64_t v;

    if (vr__parse_fixed(argv[i], 3, 3600 * 1000, &v) < 0)
        return vr__fail(c, err, "'%s': '%s' is not a time in seconds (0 to 3600, e.g. 1 or 0.5)",
                        argv[0], argv[i]);
    *ret = (uint32_t)v;
    return LK_CFG_OK;
}

int vr__dupstr(const struct vr__ctx *c, char **dst, const char *s, char **err)
{
    free(*dst);
    *dst = strdup(s);
    return *dst ? LK_CFG_OK : vr__fail(c, err, "out of memory");
}

/* Keepalived's "script" takes the rest of the line as the command. The words
 * (quotes already removed by the lexer) are joined with single spaces, and
 * spawn.c splits the command again with lk_cmd_split(): a quoted argument
 * that holds a space becomes two arguments when the script runs. */
int vr__join_args(const struct vr__ctx *c, char **dst, int argc, char **argv, int from, char **err)
{
    size_t len = 0;
    int i;

    for (i = from; i < argc; i++)
        len += strlen(argv[i]) + 1;
    free(*dst);
    *dst = calloc(1, len + 1);
    if (!*dst)
        return vr__fail(c, err, "out of memory");
    for (i = from; i < argc; i++) {
        if (i > from)
            strncat(*dst, " ", len);
        strncat(*dst, argv[i], len);
    }
    return LK_CFG_OK;
}

int vr__parse_ip(const char *s, uint32_t *ret)
{
    struct in_addr a;

    if (inet_pton(AF_INET, s, &a) != 1)
        return -EINVAL;
    *ret = a.s_addr;
    return 0;
}

/* ---- global_defs ---------------------------------------------------- */

/* The handler of block openers whose block does the work
 * (virtual_ipaddress, track_script...), and of Keepalived keywords vrrpd
 * has nothing to act on (mail alerts, lvs_id, debug): accepted so stock
 * configs load. */
static int kw_ignore(int argc, char **argv, void *ctx, char **err)
{
    return LK_CFG_OK;
}

static int kw_router_id(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;

    return vr__dupstr(c, &c->cfg->router_id, argv[1], err);
}

/* Keepalived 2.2 reads no word after nopreempt, preempt and
 * enable_script_security: "nopreempt 1" and even "enable_script_security 0"
 * set the flag. vrrpd does the same, so that such files behave as they do
 * under Keepalived, and says so, since a "0" was probably meant as "off". */
static int flag_words(const struct vr__ctx *c, int argc, char **argv)
{
    char what[200];

    if (argc < 2)
        return LK_CFG_OK;
    snprintf(what, sizeof(what),
             "'%s' reads no value: '%s' is not read and '%s' is in effect, as in Keepalived 2.2",
             argv[0], argv[1], argv[0]);
    return vr__warn(c, what);
}

/* Inside a vrrp_script block it is that script's user; in global_defs the
 * default for every script. Existence is checked when scripts are checked
 * (script_security), not here, so a missing user does not stop a config
 * without scripts from loading. */
static int kw_script_user(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;
    char **user = c->script ? &c->script->user : &c->cfg->script_user;
    char **group = c->script ? &c->script->group : &c->cfg->script_group;

    if (vr__dupstr(c, user, argv[1], err))
        return LK_CFG_FATAL;
    return argc > 2 ? vr__dupstr(c, group, argv[2], err) : LK_CFG_OK;
}

static int kw_version(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;
    int64_t v;

    if (vr__num(c, argv, 1, 2, 3, &v, err))
        return LK_CFG_FATAL;
    if (c->inst) {
        c->inst->version = (uint8_t)v;
        c->inst->version_set = true;
    } else {
        c->cfg->version = (uint8_t)v;
    }
    return LK_CFG_OK;
}

int vr__parse_onoff(const char *s)
{
    if (!strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "1"))
        return 1;
    if (!strcmp(s, "off") || !strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "0"))
        return 0;
    return -1;
}

/* On in global_defs applies to every instance without its own setting
 * (fast_set records that the instance chose). */
static int kw_fast_takeover(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;
    int v = argc > 1 ? vr__parse_onoff(argv[1]) : 1;

    if (v < 0)
        return vr__fail(c, err, "'fast_takeover' expects on or off, not '%s'", argv[1]);
    if (c->inst) {
        c->inst->fast_takeover = v;
        c->inst->fast_set = true;
    } else {
        c->cfg->fast_takeover = v;
    }
    return LK_CFG_OK;
}

static int kw_lower_prio(struct vr__ctx *c, const char *k, char **argv, char **err);

/* garp_master_* and garp_lower_prio_* in an instance, their vrrp_ forms in
 * global_defs */
static int kw_garp(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;
    const char *k = argv[0] + (strncmp(argv[0], "vrrp_", 5) == 0 ? 5 : 0);
    uint32_t *delay = c->inst ? &c->inst->garp_delay_ms : &c->cfg->garp_delay_ms;
    uint32_t *refresh = c->inst ? &c->inst->garp_refresh_ms : &c->cfg->garp_refresh_ms;
    unsigned *rep = c->inst ? &c->inst->garp_repeat : &c->cfg->garp_repeat;
    unsigned *rrep = c->inst ? &c->inst->garp_refresh_repeat : &c->cfg->garp_refresh_repeat;
    int64_t v;

    if (!strncmp(k, "garp_lower_prio_", 16))
        return kw_lower_prio(c, k, argv, err);
    if (!strcmp(k, "garp_master_delay"))
        return vr__secs_ms(c, argv, 1, delay, err);
    if (!strcmp(k, "garp_master_refresh"))
        return vr__secs_ms(c, argv, 1, refresh, err);
    if (vr__num(c, argv, 1, 1, 255, &v, err))
        return LK_CFG_FATAL;
    if (!strcmp(k, "garp_master_repeat"))
        *rep = (unsigned)v;
    else
        *rrep = (unsigned)v;
    return LK_CFG_OK;
}

static int kw_lower_prio(struct vr__ctx *c, const char *k, char **argv, char **err)
{
    uint32_t *delay =
        c->inst ? &c->inst->garp_lower_prio_delay_ms : &c->cfg->garp_lower_prio_delay_ms;
    unsigned *rep = c->inst ? &c->inst->garp_lower_prio_repeat : &c->cfg->garp_lower_prio_repeat;
    int64_t v;

    if (!strcmp(k, "garp_lower_prio_delay")) {
        if (c->inst)
            c->inst->lower_prio_delay_set = true;
        return vr__secs_ms(c, argv, 1, delay, err);
    }
    /* 0: no gratuitous ARP at all on a lower-priority advertisement */
    if (vr__num(c, argv, 1, 0, 255, &v, err))
        return LK_CFG_FATAL;
    *rep = (unsigned)v;
    return LK_CFG_OK;
}

/* Booleans an instance takes from global_defs (the vrrp_ form) unless it
 * sets its own: where each lives. */
static const struct inst_bool {
    const char *name;
    size_t global, inst, set;
} inst_bools[] = {
    {"higher_prio_send_advert", offsetof(struct vr_cfg, higher_prio_send_advert),
     offsetof(struct vr_inst_cfg, higher_prio_send_advert), offsetof(struct vr_inst_cfg, hpsa_set)},
    {"notify_priority_changes", offsetof(struct vr_cfg, notify_prio_changes),
     offsetof(struct vr_inst_cfg, notify_prio_changes), offsetof(struct vr_inst_cfg, npc_set)},
    {"check_unicast_src", offsetof(struct vr_cfg, check_unicast_src),
     offsetof(struct vr_inst_cfg, check_unicast_src), offsetof(struct vr_inst_cfg, cus_set)},
    {"lower_prio_no_advert", offsetof(struct vr_cfg, lower_prio_no_advert),
     offsetof(struct vr_inst_cfg, lower_prio_no_advert), offsetof(struct vr_inst_cfg, lpna_set)},
};

/* The inst_bools offsets point at bool fields of either struct, so one
 * handler serves the four keywords in both places. */
#define FIELD(base, off) ((bool *)(void *)((char *)(uintptr_t)(base) + (off)))

static int kw_inst_bool(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;
    const char *k = argv[0] + (strncmp(argv[0], "vrrp_", 5) == 0 ? 5 : 0);
    int v = argc > 1 ? vr__parse_onoff(argv[1]) : 1;
    const struct inst_bool *b = inst_bools;

    if (v < 0)
        return vr__fail(c, err, "'%s' expects on or off, not '%s'", argv[0], argv[1]);
    while (strcmp(b->name, k) != 0)
        b++; /* the tables below only name these */
    if (!c->inst) {
        *FIELD(c->cfg, b->global) = v;
        return LK_CFG_OK;
    }
    *FIELD(c->inst, b->inst) = v;
    *FIELD(c->inst, b->set) = true;
    return LK_CFG_OK;
}

/* Keywords whose whole effect is one field of global_defs (cfg), the open
 * vrrp_instance (inst), vrrp_script (script) or track_process (tproc): a
 * bool they set (clear: nopreempt) or an integer in [min, max]. One handler
 * and this table instead of a handler each. */
enum field_in { IN_CFG, IN_INST, IN_SCRIPT, IN_TPROC };
enum field_type { T_TRUE, T_FALSE, T_U8, T_UINT };

static const struct field_kw {
    const char *name;
    enum field_in in;
    enum field_type type;
    size_t off;
    int64_t min, max;
} field_kws[] = {
#define BOOL_KW(name, in, type, st, f)                                                             \
    {                                                                                              \
        name, in, type, offsetof(st, f), 0, 0                                                      \
    }
    BOOL_KW("enable_script_security", IN_CFG, T_TRUE, struct vr_cfg, script_security),
    BOOL_KW("vrrp_no_swap", IN_CFG, T_TRUE, struct vr_cfg, no_swap),
    BOOL_KW("fifo_write_vrrp_states_on_reload",
            IN_CFG,
            T_TRUE,
            struct vr_cfg,
            fifo_states_on_reload),
    BOOL_KW("init_fail", IN_SCRIPT, T_TRUE, struct vr_script_cfg, init_fail),
    BOOL_KW("preempt", IN_INST, T_TRUE, struct vr_inst_cfg, preempt),
    BOOL_KW("nopreempt", IN_INST, T_FALSE, struct vr_inst_cfg, preempt),
    BOOL_KW("vmac_xmit_base", IN_INST, T_TRUE, struct vr_inst_cfg, vmac_xmit_base),
    BOOL_KW("native_ipv6", IN_INST, T_TRUE, struct vr_inst_cfg, native_ipv6),
    BOOL_KW("full_command", IN_TPROC, T_TRUE, struct vr_tproc_cfg, full_command),
#undef BOOL_KW
    /* priority 255 is reserved for the address owner (RFC 5798 5.2.4), which
     * Keepalived also accepts here */
    {"virtual_router_id", IN_INST, T_U8, offsetof(struct vr_inst_cfg, vrid), 1, 255},
    {"priority", IN_INST, T_U8, offsetof(struct vr_inst_cfg, priority), 1, 255},
    {"rise", IN_SCRIPT, T_UINT, offsetof(struct vr_script_cfg, rise), 1, 1000},
    {"fall", IN_SCRIPT, T_UINT, offsetof(struct vr_script_cfg, fall), 1, 1000},
    {"quorum", IN_TPROC, T_UINT, offsetof(struct vr_tproc_cfg, quorum), 1, 65535},
    {"quorum_max", IN_TPROC, T_UINT, offsetof(struct vr_tproc_cfg, quorum_max), 0, 65535},
};

/* Words after a flag are only possible where the keyword table allows them
 * (Keepalived reads none, flag_words() says so). */
int vr__kw_field(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;
    void *const base[] = {
        [IN_CFG] = c->cfg, [IN_INST] = c->inst, [IN_SCRIPT] = c->script, [IN_TPROC] = c->tproc};
    const struct field_kw *f = field_kws;
    char *at;
    int64_t v;

    while (strcmp(f->name, argv[0]) != 0)
        f++; /* the keyword tables only name these */
    at = (char *)base[f->in] + f->off;
    if (f->type == T_TRUE || f->type == T_FALSE) {
        *(bool *)(void *)at = f->type == T_TRUE;
        return flag_words(c, argc, argv);
    }
    if (vr__num(c, argv, 1, f->min, f->max, &v, err))
        return LK_CFG_FATAL;
    if (f->type == T_U8)
        *(uint8_t *)(void *)at = (uint8_t)v;
    else
        *(unsigned *)(void *)at = (unsigned)v;
    return LK_CFG_OK;
}

/* vrrp_priority N (nice value): applied at start */
static int kw_nice(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;
    int64_t v;

    if (vr__num(c, argv, 1, -20, 19, &v, err))
        return LK_CFG_FATAL;
    c->cfg->nice = (int)v;
    return LK_CFG_OK;
}

/* The other halves of Keepalived (checker, LVS, BFD) are not in vrrpd:
 * their process settings have nothing to apply to. */
static int kw_other_process(int argc, char **argv, void *ctx, char **err)
{
    return LK_CFG_OK;
}

static int kw_startup_delay(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;

    return vr__secs_ms(c, argv, 1, &c->cfg->startup_delay_ms, err);
}

/* notify_fifo PATH [user [group]], notify_fifo_script CMD [user [group]],
 * and the vrrp_ forms: vrrpd only has VRRP events, so both fifos get the
 * same lines, as Keepalived writes its VRRP events to both. */
static int kw_fifo(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;
    const char *k = argv[0] + (strncmp(argv[0], "vrrp_", 5) == 0 ? 5 : 0);
    struct vr_fifo_cfg *f = k == argv[0] ? &c->cfg->fifo : &c->cfg->vrrp_fifo;
    int r;

    if (!strcmp(k, "notify_fifo")) {
        r = vr__dupstr(c, &f->path, argv[1], err);
    } else {
        r = vr__dupstr(c, &f->script, argv[1], err);
        if (!r && argc > 2)
            r = vr__dupstr(c, &f->user, argv[2], err);
        if (!r && argc > 3)
            r = vr__dupstr(c, &f->group, argv[3], err);
    }
    return r;
}

/* vrrp_min_garp: one GARP at once, no second burst (Keepalived) */
/* Keepalived's vrrp_min_garp: one gratuitous ARP on becoming master, no
 * delayed second burst. */
static int kw_min_garp(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;
    int v = argc > 1 ? vr__parse_onoff(argv[1]) : 1;

    if (v < 0)
        return vr__fail(c, err, "'%s' expects on or off, not '%s'", argv[0], argv[1]);
    if (v) {
        c->cfg->garp_repeat = 1;
        c->cfg->garp_delay_ms = 0;
    }
    return LK_CFG_OK;
}

static int kw_garp_interval(int argc, char **argv, void *ctx, char **err)
{
    const bool gna = !strcmp(argv[0], "vrrp_gna_interval"); /* IPv6's */
    struct vr__ctx *c = ctx;
    uint64_t us;

    /* Keepalived's resolution is the microsecond */
    if (vr__parse_fixed(argv[1], 6, 4294967295ULL, &us) < 0)
        return vr__fail(c, err, "'%s': '%s' is not a time in seconds (e.g. 0.001)", argv[0],
                        argv[1]);
    /* Keepalived's --config-test refuses 0 (its range starts at 1 us) */
    if (!us)
        return vr__warn(c, gna ? "vrrp_gna_interval 0 is outside Keepalived's range: the default "
                                 "(no delay between neighbour advertisements) applies"
                               : "vrrp_garp_interval 0 is outside Keepalived's range: the default "
                                 "(no delay between gratuitous ARPs) applies");
    /* vrrpd's timers count milliseconds: a shorter gap is rounded up */
    if (gna)
        c->cfg->gna_interval_ms = (uint32_t)((us + 999) / 1000);
    else
        c->cfg->garp_interval_ms = (uint32_t)((us + 999) / 1000);
    return LK_CFG_OK;
}

/* Keepalived adds firewall rules for accept/no-accept mode; vrrpd never
 * blocks traffic to the VIPs, which is what Keepalived does without
 * vrrp_strict. Warned so the difference is visible. */
static int kw_firewall(int argc, char **argv, void *ctx, char **err)
{
    return vr__warn(ctx, "vrrp_iptables/nftables accepted: vrrpd adds no firewall rules (no "
                         "accept-mode filtering, as without vrrp_strict)");
}

static int kw_strict(int argc, char **argv, void *ctx, char **err)
{
    return vr__warn(ctx, "'vrrp_strict' is accepted but not enforced");
}

/* ---- vrrp_script ---------------------------------------------------- */

/* Keepalived's defaults for a tracking script: every second, one success and
 * one failure to change state. */
static int kw_script_block(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;
    struct vr_script_cfg *s;

    s = VR__NAMED_NEW(c, &c->cfg->scripts, struct vr_script_cfg, "vrrp_script", argv[1], err);
    if (!s)
        return LK_CFG_FATAL;
    s->interval_ms = 1000;
    s->rise = s->fall = 1;
    c->script = s;
    return LK_CFG_OK;
}

static int kw_script(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;

    return vr__join_args(c, &c->script->script, argc, argv, 1, err);
}

static int kw_script_num(int argc, char **argv, void *ctx, char **err)
{
    struct vr_script_cfg *s = ((struct vr__ctx *)ctx)->script;
    struct vr__ctx *c = ctx;

    if (!strcmp(argv[0], "interval"))
        return vr__secs_ms(c, argv, 1, &s->interval_ms, err);
    if (!strcmp(argv[0], "weight"))
        return vr__weight(c, argc, argv, 254, &s->weight, &s->reverse, err);
    return vr__secs_ms(c, argv, 1, &s->timeout_ms, err);
}

/* ---- vrrp_instance -------------------------------------------------- */

/* Keepalived's instance defaults: priority 100, preemption on, advert_int 1 s
 * (in centiseconds, as the VRRPv3 Max Advertise Interval field is); UNSET
 * marks settings inherited from global_defs at the end. */
static int kw_inst_block(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;
    struct vr_inst_cfg *i;

    i = VR__NAMED_NEW(c, &c->cfg->instances, struct vr_inst_cfg, "vrrp_instance", argv[1], err);
    if (!i)
        return LK_CFG_FATAL;
    i->file = c->file; /* owned by cfg->files: valid as long as cfg */
    i->line = c->line;
    i->priority = 100;
    i->preempt = true;
    i->adver_raw_cs = 100;
    i->lbd.timeout_ms = 1500;
    i->garp_delay_ms = i->garp_refresh_ms = UNSET;
    i->garp_lower_prio_repeat = UNSET;
    c->inst = i;
    return LK_CFG_OK;
}

int vr__ifname(const struct vr__ctx *c, char dst[IF_NAMESIZE], const char *name, char **err)
{
    if (strlen(name) >= IF_NAMESIZE)
        return vr__fail(c, err, "interface name '%s' is too long", name);
    snprintf(dst, IF_NAMESIZE, "%s", name);
    return LK_CFG_OK;
}

static int kw_interface(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;

    return vr__ifname(c, c->inst->ifname, argv[1], err);
}

static int kw_default_interface(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;

    return vr__ifname(c, c->cfg->default_ifname, argv[1], err);
}

static int kw_state(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;

    if (strcmp(argv[1], "MASTER") && strcmp(argv[1], "BACKUP"))
        return vr__fail(c, err, "'state' expects MASTER or BACKUP, not '%s'", argv[1]);
    c->inst->want_master = !strcmp(argv[1], "MASTER");
    return LK_CFG_OK;
}

/* advert_int is held in centiseconds because that is the VRRPv3 wire unit
 * (RFC 5798 5.2.7); VRRPv2 converts it to whole seconds when the instance is
 * built. (virtual_router_id and priority are field_kws entries.) */
static int kw_inst_num(int argc, char **argv, void *ctx, char **err)
{
    struct vr_inst_cfg *i = ((struct vr__ctx *)ctx)->inst;
    struct vr__ctx *c = ctx;
    uint64_t cs;

    if (!strcmp(argv[0], "advert_int")) {
        if (vr__parse_fixed(argv[1], 2, 255 * 100, &cs) < 0 || cs == 0)
            return vr__fail(
                c, err, "'advert_int': '%s' is not an interval in seconds (0.01 to 255)", argv[1]);
        i->adver_raw_cs = (uint32_t)cs;
        i->adver_set = true;
        return LK_CFG_OK;
    }
    return vr__secs_ms(c, argv, 1, &i->preempt_delay_ms, err);
}

/* use_vmac [NAME]: the VIPs go on a macvlan link with the virtual router
 * MAC 00:00:5e:00:01:VRID (RFC 5798 7.3), so that a failover changes no
 * client's ARP entry; named vrrp.VRID unless NAME is given, as in
 * Keepalived. (vmac_xmit_base, adverts from the parent interface, is a
 * flag_kws entry.) */
static int kw_use_vmac(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;

    if (argc > 1 && strlen(argv[1]) >= sizeof(c->inst->vmac_name))
        return vr__fail(c, err, "use_vmac name '%s' is longer than %zu characters", argv[1],
                        sizeof(c->inst->vmac_name) - 1);
    c->inst->vmac = true;
    if (argc > 1)
        snprintf(c->inst->vmac_name, sizeof(c->inst->vmac_name), "%s", argv[1]);
    return LK_CFG_OK;
}

static int kw_ucast_src(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;

    uint8_t len;

    /* a prefix length is accepted and ignored by Keepalived (templates
     * write the interface's A.B.C.D/N); the source is the address */
    if (vr__parse_prefix(argv[1], &c->inst->ucast_src, &len) < 0 &&
        vr__parse_prefix6(argv[1], c->inst->ucast_src6, &len) < 0)
        return vr__fail(c, err, "'%s': '%s' is not an IPv4 or IPv6 address", argv[0], argv[1]);
    return LK_CFG_OK;
}

/* A user that does not exist would make Keepalived drop the script silently;
 * vrrpd refuses it at its line so the failure is not discovered at the first
 * state change. */
int vr__kw_notify(struct vr__ctx *c, struct vr_notify_cfg *n, int argc, char **argv, char **err)
{
    static const char *const names[VR_NOTIFY_ANY] = {"notify_master", "notify_backup",
                                                     "notify_fault", "notify_stop"};
    unsigned k = 0;

    while (k < VR_NOTIFY_ANY && strcmp(argv[0], names[k]) != 0)
        k++;
    if (argc > 2 && !getpwnam(argv[2]))
        return vr__fail(c, err,
                        "'%s': user '%s' does not exist (Keepalived drops such a script; quote "
                        "the command if '%s' is one of its arguments)",
                        argv[0], argv[2], argv[2]);
    if (argc > 3 && !getgrnam(argv[3]))
        return vr__fail(c, err, "'%s': group '%s' does not exist", argv[0], argv[3]);
    if (vr__dupstr(c, &n->cmd[k], argv[1], err))
        return LK_CFG_FATAL;
    free(n->user[k]);
    free(n->group[k]);
    n->user[k] = n->group[k] = NULL;
    if (argc > 2 && vr__dupstr(c, &n->user[k], argv[2], err))
        return LK_CFG_FATAL;
    return argc > 3 ? vr__dupstr(c, &n->group[k], argv[3], err) : LK_CFG_OK;
}

void vr__notify_cfg_free(struct vr_notify_cfg *n)
{
    unsigned k;

    for (k = 0; k < VR_NOTIFY_MAX; k++) {
        free(n->cmd[k]);
        free(n->user[k]);
        free(n->group[k]);
    }
}

static int kw_notify(int argc, char **argv, void *ctx, char **err)
{
    return vr__kw_notify(ctx, &((struct vr__ctx *)ctx)->inst->notify, argc, argv, err);
}

static int kw_inst_fifo(int argc, char **argv, void *ctx, char **err)
{
    return vr__fail(ctx, err,
                    "'%s' belongs in global_defs (Keepalived has no per-instance FIFO): its "
                    "lines name the instance",
                    argv[0]);
}

/* LVS is Keepalived's other half; lbd does the load balancing here. The
 * IPVS connection sync daemon (lvs_sync_daemon in global_defs, or the
 * deprecated lvs_sync_daemon_interface of an instance) follows the VRRP
 * state to copy IPVS connections to the backup: without IPVS there is
 * nothing to copy, but vrrpd cannot tell whether other tools made IPVS
 * rules, so the line is refused with that said rather than dropped. */
static int kw_lvs(int argc, char **argv, void *ctx, char **err)
{
    if (!strncmp(argv[0], "lvs_sync_daemon", 15))
        return vr__fail(ctx, err,
                        "'%s' (LVS connection sync) is not supported by vrrpd: it has no IPVS "
                        "sync daemon; remove the line unless IPVS rules need their connections "
                        "copied to the backup",
                        argv[0]);
    return vr__fail(ctx, err,
                    "'%s' (LVS) is not supported by vrrpd: vrrpd is only the VRRP half of "
                    "Keepalived; balance with lbd (docs/lbd.md)",
                    argv[0]);
}

static int kw_unsupported(int argc, char **argv, void *ctx, char **err)
{
    return vr__fail(ctx, err, "'%s' is not supported by vrrpd", argv[0]);
}

/* ---- authentication ------------------------------------------------- */

/* Only PASS: AH authentication was removed from VRRP by RFC 3768 and VRRPv3
 * has no authentication at all (RFC 5798 9), so a v3 instance sends no auth
 * data whatever is configured. */
static int kw_auth_type(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;

    if (strcmp(argv[1], "PASS") != 0)
        return vr__fail(c, err,
                        "auth_type '%s' is not supported (PASS is; AH was dropped by "
                        "RFC 3768)",
                        argv[1]);
    c->inst->auth_type = VRRP_PKT_AUTH_PASS;
    return LK_CFG_OK;
}

static int kw_auth_pass(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;
    size_t n = strlen(argv[1]);

    /* Keepalived keeps the first 8 characters, and so does the wire */
    if (n > sizeof(c->inst->auth))
        lk_log(LK_LOG_WARNING, "%s:%u: auth_pass is longer than 8 characters: truncated", c->file,
               c->line);
    memset(c->inst->auth, 0, sizeof(c->inst->auth));
    memcpy(c->inst->auth, argv[1], LK_MIN(n, sizeof(c->inst->auth)));
    return LK_CFG_OK;
}

/* ---- list blocks ---------------------------------------------------- */

static int item_vip(struct vr__ctx *c, int argc, char **argv, bool excluded, char **err)
{
    struct vr_inst_cfg *in = c->inst;
    struct vr_vip v = {.family = AF_INET, .prefix = 32, .excluded = excluded};

    if (in->nvips >= VR_MAX_VIPS)
        return vr__fail(c, err, "more than %d virtual addresses", VR_MAX_VIPS);
    if (vr__parse_prefix(argv[0], &v.addr, &v.prefix) < 0) {
        v.family = AF_INET6;
        if (vr__parse_prefix6(argv[0], v.addr6, &v.prefix) < 0)
            return vr__fail(c, err, "'%s' is not an IPv4 or IPv6 address", argv[0]);
    }
    /* Keepalived: the first advertised address sets the instance's family
     * (unless native_ipv6) and one advertisement carries one family (RFC
     * 5798 5.2.9); it drops a mismatch with an error, vrrpd refuses it.
     * virtual_ipaddress_excluded may hold either family (dual stack). */
    if (!excluded && in->family && v.family != in->family)
        return vr__fail(c, err,
                        "'%s': address family must match the instance's (%s, set by its first "
                        "virtual_ipaddress); put it in virtual_ipaddress_excluded or in another "
                        "vrrp_instance",
                        argv[0], in->family == AF_INET6 ? "IPv6" : "IPv4");
    if (!excluded && !in->family)
        in->family = v.family;
    if (vr__vip_opts(c, &v, argc, argv, err))
        return LK_CFG_FATAL;
    in->vips[in->nvips++] = v;
    return LK_CFG_OK;
}

int vr__item_track(struct vr__ctx *c,
                   struct vr_track_ref *tab,
                   unsigned *n,
                   int argc,
                   char **argv,
                   char **err)
{
    struct vr_track_ref *t;
    int64_t w;

    if (*n >= VR_MAX_TRACK)
        return vr__fail(c, err, "more than %d tracked items", VR_MAX_TRACK);
    if (strlen(argv[0]) >= VR_NAME_MAX)
        return vr__fail(c, err, "name '%s' is too long", argv[0]);
    t = &tab[*n];
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", argv[0]);
    if (argc >= 3 && !strcmp(argv[1], "weight")) {
        if (lk_parse_int(argv[2], -254, 254, &w) < 0)
            return vr__fail(c, err, "weight '%s' is not in [-254, 254]", argv[2]);
        t->weight = (int)w;
        t->has_weight = true;
    }
    if (argc == 4 && (!strcmp(argv[3], "reverse") || !strcmp(argv[3], "noreverse")))
        t->reverse = !strcmp(argv[3], "reverse");
    else if (argc != 1 && argc != 3)
        return vr__fail(c, err, "expected 'NAME [weight N [reverse|noreverse]]'");
    if (argc == 3 && !t->has_weight)
        return vr__fail(c, err, "expected 'NAME [weight N [reverse|noreverse]]'");
    (*n)++;
    return LK_CFG_OK;
}

/* A peer is an address alone: Keepalived's per-peer options (min_ttl,
 * max_ttl) are refused by the argc check rather than ignored. */
static int item_peer(struct vr__ctx *c, int argc, char **argv, char **err)
{
    struct vr_inst_cfg *in = c->inst;

    if (in->npeers + in->npeers6 >= VR_MAX_PEERS)
        return vr__fail(c, err, "more than %d unicast peers", VR_MAX_PEERS);
    uint8_t len;

    if (argc == 1 && vr__parse_prefix6(argv[0], in->peers6[in->npeers6], &len) == 0) {
        in->npeers6++;
        return LK_CFG_OK;
    }
    if (vr__parse_prefix(argv[0], &in->peers[in->npeers], &len) < 0 || argc > 1)
        return vr__fail(c, err, "unicast_peer '%s' is not an IPv4 or IPv6 address", argv[0]);
    in->npeers++;
    return LK_CFG_OK;
}

/* Each list block hands its lines to one item parser; lines of a block vrrpd
 * skips entirely (BLK_SKIP) never reach here. */
static int list_item(struct vr__ctx *c, enum vr__blk b, int argc, char **argv, char **err)
{
    switch (b) {
    case BLK_VIPS:
        return item_vip(c, argc, argv, false, err);
    case BLK_VIPS_EXCL:
        return item_vip(c, argc, argv, true, err);
    case BLK_TSCRIPT:
        return vr__item_track(c, c->inst->scripts, &c->inst->nscripts, argc, argv, err);
    case BLK_TIFACE:
        return vr__item_track(c, c->inst->ifaces, &c->inst->nifaces, argc, argv, err);
    case BLK_PEERS:
        return item_peer(c, argc, argv, err);
    case BLK_TFILE_REF:
        return vr__item_track(c, c->inst->tfiles, &c->inst->ntfiles, argc, argv, err);
    case BLK_TPROC_REF:
        return vr__item_track(c, c->inst->tprocs, &c->inst->ntprocs, argc, argv, err);
    case BLK_ROUTES:
        return vr__item_route(c, argc, argv, err);
    case BLK_RULES:
        return vr__item_rule(c, argc, argv, err);
    case BLK_SYNC_GRP:
        return vr__item_sync_member(c, argc, argv, err);
    default:
        return LK_CFG_OK;
    }
}

/* ---- track_lbd ------------------------------------------------------ */

/* track_lbd is vrrpd's own block (Keepalived has none): weight is a priority
 * penalty while lbd reports unhealthy (0 means FAULT, as a track_script
 * without weight), timeout how long lbd may stay silent. */
static int kw_lbd(int argc, char **argv, void *ctx, char **err)
{
    struct vr_lbd_cfg *l = &((struct vr__ctx *)ctx)->inst->lbd;
    struct vr__ctx *c = ctx;
    uint64_t ms;
    int64_t v;

    if (!strcmp(argv[0], "socket"))
        return vr__dupstr(c, &l->socket, argv[1], err);
    if (!strcmp(argv[0], "weight")) {
        if (vr__num(c, argv, 1, -254, 0, &v, err))
            return LK_CFG_FATAL;
        l->weight = (int)v;
        return LK_CFG_OK;
    }
    /* timeout: milliseconds by default, HAProxy units accepted */
    if (lk_parse_time_ms(argv[1], 1, 60000, &ms) < 0 || ms < 100)
        return vr__fail(c, err, "track_lbd timeout '%s' is not in [100ms, 60s]", argv[1]);
    l->timeout_ms = (uint32_t)ms;
    return LK_CFG_OK;
}

/* ---- driver --------------------------------------------------------- */

struct parser {
    struct vr__ctx c;
    enum vr__blk stack[MAX_DEPTH];
    int depth;
    /* a block keyword ended its line without '{': Keepalived accepts the
     * '{' as the first token of the next line */
    const char *await_file;
    unsigned await_line;
    char await_kw[32];
};

/* List blocks hold items, not keywords: their lines are never looked up in a
 * keyword table, so a VIP that happens to look like a keyword is still an
 * address. */
static bool is_list(enum vr__blk b)
{
    return b == BLK_VIPS || b == BLK_VIPS_EXCL || b == BLK_TSCRIPT || b == BLK_TIFACE ||
           b == BLK_PEERS || b == BLK_TFILE_REF || b == BLK_TPROC_REF || b == BLK_ROUTES ||
           b == BLK_RULES || b == BLK_SYNC_GRP;
}

/* The block a keyword belongs to when it is not the one it was written in
 * ("enable_script_security" at the top level instead of in global_defs):
 * spelling suggestions cannot find it, its name is right. NULL if none. */
static const char *home_block(enum vr__blk b, const char *kw)
{
    int k;

    for (k = 0; k < BLK_MAX; k++)
        if (k != (int)b && tables[k] && lk_cfgkw_find(tables[k], kw))
            return blk_names[k];
    return NULL;
}

/* Keepalived warns of an unknown keyword and goes on without it; vrrpd
 * refuses it (nothing accepted and ignored), with the best hint it has: the
 * block it belongs in, global_defs' vrrp_ form of an instance keyword
 * ("garp_master_delay" -> "vrrp_garp_master_delay"), or a spelling. */
static int unknown(struct parser *p, enum vr__blk b, const char *kw, char **err)
{
    const char *home = home_block(b, kw), *hint = lk_cfgkw_suggest(tables[b], kw);
    char vrrp_form[64];

    snprintf(vrrp_form, sizeof(vrrp_form), "vrrp_%s", kw);
    if (home && lk_cfgkw_find(tables[b], vrrp_form))
        return vr__fail(&p->c, err,
                        "unknown keyword '%s' in '%s' block: it is a '%s' keyword; here it is "
                        "'%s'",
                        kw, blk_names[b], home, vrrp_form);
    if (home)
        return vr__fail(&p->c, err, "unknown keyword '%s' in '%s' block: it belongs in '%s'", kw,
                        blk_names[b], home);
    return vr__fail(&p->c, err, "unknown keyword '%s' in '%s' block" LK_CFGKW_HINT_FMT, kw,
                    blk_names[b], LK_CFGKW_HINT_ARGS(hint));
}

static int push(struct parser *p, enum vr__blk b, char **err)
{
    if (p->depth + 1 >= MAX_DEPTH)
        return vr__fail(&p->c, err, "blocks nested too deep");
    p->stack[++p->depth] = b;
    return LK_CFG_OK;
}

/* One statement: argv[0] is a keyword (or a list item); `opens` when it
 * was followed by '{'. */
/* A keyword's flags field names the block it opens (0: a plain keyword), so
 * the table alone says which keywords take a block; the handler runs before
 * the push, so it can set c->inst and the like for the block's keywords. */
static int statement(struct parser *p, int argc, char **argv, bool opens, char **err)
{
    enum vr__blk b = p->stack[p->depth];
    const struct lk_cfgkw *kw;
    int r;

    if (b == BLK_SKIP)
        return opens ? push(p, BLK_SKIP, err) : LK_CFG_OK;
    if (is_list(b)) {
        if (opens)
            return vr__fail(&p->c, err, "unexpected '{' in '%s' block", blk_names[b]);
        return list_item(&p->c, b, argc, argv, err);
    }
    kw = lk_cfgkw_find(tables[b], argv[0]);
    if (!kw)
        return unknown(p, b, argv[0], err);
    if (!lk_cfgkw_nargs_ok(kw, argc - 1))
        return vr__fail(&p->c, err, "'%s' expects %d to %d arguments, got %d", argv[0],
                        kw->min_args, kw->max_args, argc - 1);
    if (kw->flags && !opens) {
        p->await_file = p->c.file;
        p->await_line = p->c.line;
        snprintf(p->await_kw, sizeof(p->await_kw), "%s", argv[0]);
    }
    if (!kw->flags && opens)
        return vr__fail(&p->c, err, "'%s' does not take a block", argv[0]);
    r = kw->fn(argc, argv, &p->c, err);
    if (r & LK_CFG_FATAL)
        return r;
    return kw->flags ? push(p, (enum vr__blk)kw->flags, err) : LK_CFG_OK;
}

/* Leaving a block clears the pointer its opener set, so a keyword that needs
 * an enclosing instance cannot reach the previous one by mistake. */
static int close_block(struct parser *p, char **err)
{
    enum vr__blk b = p->stack[p->depth];

    if (p->depth == 0)
        return vr__fail(&p->c, err, "'}' without an open block");
    if (b == BLK_SCRIPT)
        p->c.script = NULL;
    if (b == BLK_INST)
        p->c.inst = NULL;
    if (b == BLK_TFILE)
        p->c.tfile = NULL;
    if (b == BLK_TPROC)
        p->c.tproc = NULL;
    if (b == BLK_SYNC)
        p->c.sync = NULL;
    p->depth--;
    return LK_CFG_OK;
}

/* The '{' a block keyword's line lacked did not come first on the next
 * line (or the file ended). */
static int await_fail(struct parser *p, char **err)
{
    p->c.file = p->await_file;
    p->c.line = p->await_line;
    p->await_line = 0;
    return vr__fail(&p->c, err, "'%s' must be followed by a '{' block", p->await_kw);
}

/* Split a line into statements at braces. */
/* Braces split a line into statements: "vrrp_instance VI_1 {" and "}" and
 * "virtual_ipaddress { 10.0.0.1 }" all work, as in Keepalived. i runs one
 * past the last word so the trailing statement of the line is handled by the
 * same code as the others. */
static int parse_line(struct parser *p, struct lk_cfgline *ln, char **err)
{
    int i, start = 0, r = 0;

    if (p->await_line) {
        if (ln->argc == 0 || strcmp(ln->argv[0], "{"))
            return await_fail(p, err);
        p->await_line = 0;
        start = 1;
    }
    p->c.file = lk_cfgfiles_intern(&p->c.cfg->files, ln->file);
    p->c.line = ln->line;
    if (!p->c.file) {
        lk_cfg_err(err, "out of memory");
        return LK_CFG_FATAL;
    }
    for (i = start; i <= ln->argc && !(r & LK_CFG_FATAL); i++) {
        const char *t = i < ln->argc ? ln->argv[i] : NULL;
        bool open = t && !strcmp(t, "{"), close = t && !strcmp(t, "}");

        if (t && !open && !close)
            continue;
        if (i > start)
            r = statement(p, i - start, ln->argv + start, open, err);
        else if (open)
            r = vr__fail(&p->c, err, "'{' without a keyword");
        if (close && !(r & LK_CFG_FATAL))
            r = close_block(p, err);
        start = i + 1;
    }
    return r;
}

static int inst_fail(const struct vr_inst_cfg *i, char **err, const char *what)
{
    lk_cfg_err(err, "%s:%u: vrrp_instance '%s': %s", i->file, i->line, i->name, what);
    return -EINVAL;
}

/* Keepalived's defaults: the lower-priority GARP burst repeats
 * garp_master_repeat, and its second burst (when a delay is configured)
 * comes after garp_lower_prio_delay; the booleans come from global_defs. */
static void resolve_lower_prio(const struct vr_cfg *cfg, struct vr_inst_cfg *i)
{
    unsigned k;

    if (i->garp_lower_prio_repeat == UNSET)
        i->garp_lower_prio_repeat =
            cfg->garp_lower_prio_repeat == UNSET ? i->garp_repeat : cfg->garp_lower_prio_repeat;
    if (!i->lower_prio_delay_set && cfg->garp_lower_prio_delay_ms != UNSET) {
        i->garp_lower_prio_delay_ms = cfg->garp_lower_prio_delay_ms;
        i->lower_prio_delay_set = true;
    }
    for (k = 0; k < LK_ARRAY_SIZE(inst_bools); k++)
        if (!*FIELD(i, inst_bools[k].set))
            *FIELD(i, inst_bools[k].inst) = *FIELD(cfg, inst_bools[k].global);
}

/* The instance's address family, Keepalived's way, and the version it
 * allows. */
/* Keepalived decides an instance's family from its first virtual_ipaddress;
 * mixing families within one VRRP group is invalid (RFC 5798 5.2.9: one
 * advertisement carries one family), so every address-like setting is checked
 * against it. */
static int resolve_family(struct vr_cfg *cfg, struct vr_inst_cfg *i, char **err)
{
    static const uint8_t zero[16];

    if (i->native_ipv6 && i->family == AF_INET)
        return inst_fail(i, err,
                         "native_ipv6 with an IPv4 virtual_ipaddress: move the IPv4 addresses "
                         "to virtual_ipaddress_excluded or to another vrrp_instance");
    if (!i->family)
        i->family = i->native_ipv6 ? AF_INET6 : AF_INET;
    if (i->family == AF_INET && memcmp(i->ucast_src6, zero, 16) != 0)
        return inst_fail(i, err, "an IPv6 unicast_src_ip / mcast_src_ip in an IPv4 instance");
    if (i->family == AF_INET6 && i->ucast_src)
        return inst_fail(i, err, "an IPv4 unicast_src_ip / mcast_src_ip in an IPv6 instance");
    /* one family per group: its peers speak the instance's */
    if (i->family == AF_INET6 && i->npeers)
        return inst_fail(i, err, "an IPv4 unicast_peer in an IPv6 instance");
    if (i->family == AF_INET && i->npeers6)
        return inst_fail(i, err, "an IPv6 unicast_peer in an IPv4 instance");
    if (i->family != AF_INET6)
        return 0;
    /* VRRPv2 is IPv4 only (RFC 3768). Keepalived sends a non-standard v2
     * over IPv6 when told (with vrrp_strict it switches to 3); no RFC 5798
     * router accepts it, so vrrpd refuses it. The global default (2) does
     * not count: an IPv6 instance runs version 3, as in Keepalived. */
    if (i->version_set && i->version == 2)
        return inst_fail(i, err,
                         "VRRP version 2 is IPv4 only (RFC 3768): an IPv6 instance runs version "
                         "3; remove 'version 2' from this instance");
    i->version = 3;
    i->version_set = true;
    return 0;
}

/* Per-instance settings fall back to global_defs here, once the whole file is
 * read, because global_defs may come after the instances. VRRPv2's Adver Int
 * field is whole seconds (RFC 3768 5.3.7), VRRPv3's Max Adver Int is 12 bits
 * of centiseconds (RFC 5798 5.2.7). */
static int resolve_timing(struct vr_cfg *cfg, struct vr_inst_cfg *i, char **err)
{
    if (resolve_family(cfg, i, err) < 0)
        return -EINVAL;
    if (!i->version_set)
        i->version = cfg->version;
    if (!i->fast_set)
        i->fast_takeover = cfg->fast_takeover;
    if (i->version == 2 && i->adver_raw_cs % 100)
        return inst_fail(i, err,
                         "advert_int must be whole seconds with VRRP version 2 "
                         "(use vrrp_version 3 for sub-second intervals)");
    if (i->version == 3 && i->adver_raw_cs > VRRP_PKT_V3_MAX_INT)
        return inst_fail(i, err, "advert_int is at most 40.95 s with VRRP version 3");
    i->adver_cs = (uint16_t)i->adver_raw_cs;
    if (i->garp_delay_ms == UNSET)
        i->garp_delay_ms = cfg->garp_delay_ms;
    if (i->garp_refresh_ms == UNSET)
        i->garp_refresh_ms = cfg->garp_refresh_ms;
    if (!i->garp_repeat)
        i->garp_repeat = cfg->garp_repeat;
    if (!i->garp_refresh_repeat)
        i->garp_refresh_repeat = cfg->garp_refresh_repeat;
    resolve_lower_prio(cfg, i);
    return 0;
}

/* Checks that need the whole file (named scripts, the default interface,
 * other instances). The first error stops validation: later instances may
 * fail only because of the first one. */
static int validate_inst(struct vr_cfg *cfg, struct vr_inst_cfg *i, char **err)
{
    struct lk_list *it;
    unsigned k;

    /* global_defs may come after the instance: resolved here, at the end */
    if (!i->ifname[0])
        snprintf(i->ifname, sizeof(i->ifname), "%s", cfg->default_ifname);
    if (!i->ifname[0])
        return inst_fail(i, err, "'interface' is missing (and no default_interface)");
    if (!i->vrid)
        return inst_fail(i, err, "'virtual_router_id' is missing");
    if (i->vmac && !i->vmac_name[0])
        snprintf(i->vmac_name, sizeof(i->vmac_name), "vrrp.%u", i->vrid);
    if (i->vmac && !strcmp(i->vmac_name, i->ifname))
        return inst_fail(i, err, "use_vmac names the instance's own interface");
    /* as Keepalived: allowed with a warning, for cloud setups where a
     * notify_master script moves an elastic IP instead */
    if (!i->nvips)
        lk_log(LK_LOG_WARNING,
               "%s:%u: vrrp_instance '%s': no virtual_ipaddress; only the state (and the notify "
               "scripts) will change",
               i->file, i->line, i->name);
    for (k = 0; k < i->nscripts; k++)
        if (!vr_cfg_find_script(cfg, i->scripts[k].name)) {
            lk_cfg_err(err,
                       "%s:%u: vrrp_instance '%s': track_script '%s' is not defined (Keepalived "
                       "drops it with a warning and runs untracked): define the vrrp_script or "
                       "remove the line",
                       i->file, i->line, i->name, i->scripts[k].name);
            return -EINVAL;
        }
    for (k = 0; k < i->nifaces; k++)
        if (!strcmp(i->ifaces[k].name, i->ifname))
            lk_log(LK_LOG_WARNING,
                   "%s:%u: vrrp_instance '%s': track_interface %s is its own interface: tracked "
                   "anyway (its link going down is a FAULT)",
                   i->file, i->line, i->name, i->ifname);
    if (i->lbd.socket && !i->lbd.weight)
        lk_log(LK_LOG_NOTICE, "(%s) track_lbd without weight: lbd failure means FAULT", i->name);
    /* the family first: the duplicate check below needs it */
    if (resolve_timing(cfg, i, err) < 0)
        return -EINVAL;
    if (i->vmac && i->family == AF_INET6)
        return inst_fail(i, err,
                         "use_vmac with an IPv6 instance is not supported by vrrpd (IPv4 "
                         "instances only)");
    LK_LIST_FOREACH (it, &cfg->instances) {
        struct vr_inst_cfg *o = LK_LIST_ELEM(it, struct vr_inst_cfg, link);

        if (o == i)
            break; /* report the second of a pair */
        /* IPv4 and IPv6 groups are separate (RFC 5798 5.2.3): one VRID
         * may serve both, as Keepalived allows */
        if (o->vrid == i->vrid && !strcmp(o->ifname, i->ifname) && o->family == i->family)
            return inst_fail(i, err, "another instance has the same interface, family and VRID");
    }
    if (i->version == 3 && i->auth_type)
        lk_log(LK_LOG_WARNING, "(%s) authentication is not part of VRRP version 3: ignored",
               i->name);
    if (i->version == 3)
        i->auth_type = VRRP_PKT_AUTH_NONE;
    return 0;
}

/* The user a script runs as is root: no user (we run it as ourselves), a
 * user whose uid is 0, or an unknown one (script_start falls back to us). */
static bool runs_as_root(const char *user)
{
    const struct passwd *pw = user ? getpwnam(user) : NULL;

    return pw ? pw->pw_uid == 0 : geteuid() == 0;
}

/* As Keepalived, which reports it ("SECURITY VIOLATION", its -t fails, its
 * daemon runs the scripts): a vrrp_script that will run as root while
 * enable_script_security is off, so nothing checks who can rewrite it. */
static void warn_root_scripts(const struct vr_cfg *cfg)
{
    struct lk_list *it;

    if (cfg->script_security)
        return;
    LK_LIST_FOREACH (it, &cfg->scripts) {
        struct vr_script_cfg *s = LK_LIST_ELEM(it, struct vr_script_cfg, link);

        if (runs_as_root(s->user ? s->user : cfg->script_user)) {
            lk_log(LK_LOG_WARNING,
                   "%s: vrrp_script '%s' runs as root and enable_script_security is not set: a "
                   "script others can rewrite is not refused (Keepalived calls this a SECURITY "
                   "VIOLATION)",
                   cfg->file, s->name);
            return;
        }
    }
}

static int validate(struct vr_cfg *cfg, char **err)
{
    struct lk_list *it;
    int r;

    LK_LIST_FOREACH (it, &cfg->scripts) {
        struct vr_script_cfg *s = LK_LIST_ELEM(it, struct vr_script_cfg, link);

        if (!s->script) {
            lk_cfg_err(err, "%s: vrrp_script '%s' has no 'script'", cfg->file, s->name);
            return -EINVAL;
        }
    }
    LK_LIST_FOREACH (it, &cfg->instances) {
        r = validate_inst(cfg, LK_LIST_ELEM(it, struct vr_inst_cfg, link), err);
        if (r < 0)
            return r;
    }
    warn_root_scripts(cfg);
    r = vr__validate_tracks(cfg, err);
    return r < 0 ? r : vr__validate_syncs(cfg, err);
}

/* Keepalived's global defaults; instances take them in resolve_timing()
 * unless they set their own. */
static struct vr_cfg *cfg_new(const char *name)
{
    struct vr_cfg *cfg = calloc(1, sizeof(*cfg));

    if (!cfg)
        return NULL;
    lk_list_init(&cfg->scripts);
    lk_list_init(&cfg->instances);
    lk_list_init(&cfg->tfiles);
    lk_list_init(&cfg->tprocs);
    lk_list_init(&cfg->syncs);
    cfg->file = strdup(name);
    cfg->garp_lower_prio_delay_ms = UNSET;
    cfg->garp_lower_prio_repeat = UNSET;
    cfg->version = 2;
    cfg->fast_takeover = true;
    /* Keepalived's defaults: 5 GARPs at once, 5 more after 5 s */
    cfg->garp_delay_ms = 5000;
    cfg->garp_repeat = 5;
    cfg->garp_refresh_repeat = 1;
    if (!cfg->file)
        lk_free(cfg);
    return cfg;
}

/* an lk_cfg_load_fn: ret is a struct vr_cfg ** */
/* Unlike lbd's loader, this stops at the first error: Keepalived's config-
 * test does the same, and block structure errors make every following line
 * meaningless anyway. */
static int load(struct lk_cfglex *lx, const char *name, void *ret, char **err)
{
    struct parser p = {0};
    struct lk_cfgline ln;
    int r;

    p.c.cfg = cfg_new(name);
    if (!p.c.cfg)
        return -ENOMEM;
    p.c.file = name;
    while ((r = lk_cfglex_next(lx, &ln, err)) > 0) {
        if (parse_line(&p, &ln, err) & LK_CFG_FATAL) {
            r = -EINVAL;
            break;
        }
    }
    if (r == 0 && p.await_line) {
        await_fail(&p, err);
        r = -EINVAL;
    }
    if (r == 0 && p.depth > 0) {
        lk_cfg_err(err, "%s: end of file inside a '%s' block (missing '}')", name,
                   blk_names[p.stack[p.depth]]);
        r = -EINVAL;
    }
    if (r == 0)
        r = validate(p.c.cfg, err);
    if (r < 0) {
        vr_cfg_free(p.c.cfg);
        return r;
    }
    *(struct vr_cfg **)ret = p.c.cfg;
    return 0;
}

int vr_cfg_load_file(const char *path, struct vr_cfg **ret, char **err)
{
    return lk_cfg_load(path, NULL, LEX_FLAGS, load, ret, err);
}

int vr_cfg_load_mem(const char *name, const char *text, struct vr_cfg **ret, char **err)
{
    return lk_cfg_load(name, text, LEX_FLAGS, load, ret, err);
}

static void inst_free(struct vr_inst_cfg *i)
{
    free(i->name);
    free(i->lbd.socket);
    vr__notify_cfg_free(&i->notify);
    free(i);
}

static void fifo_free(struct vr_fifo_cfg *f)
{
    free(f->path);
    free(f->script);
    free(f->user);
    free(f->group);
}

struct vr_cfg *vr_cfg_free(struct vr_cfg *cfg)
{
    struct lk_list *it, *nx;

    if (!cfg)
        return NULL;
    LK_LIST_FOREACH_SAFE (it, nx, &cfg->scripts) {
        struct vr_script_cfg *s = LK_LIST_ELEM(it, struct vr_script_cfg, link);

        free(s->name);
        free(s->script);
        free(s->user);
        free(s->group);
        free(s);
    }
    LK_LIST_FOREACH_SAFE (it, nx, &cfg->instances)
        inst_free(LK_LIST_ELEM(it, struct vr_inst_cfg, link));
    vr__free_tracks(cfg);
    vr__free_syncs(cfg);
    fifo_free(&cfg->fifo);
    fifo_free(&cfg->vrrp_fifo);
    lk_cfgfiles_free(&cfg->files);
    free(cfg->file);
    free(cfg->router_id);
    free(cfg->script_user);
    free(cfg->script_group);
    free(cfg);
    return NULL;
}

void *vr__find_named(const struct lk_list *list, size_t link_off, size_t name_off, const char *name)
{
    const struct lk_list *it;

    for (it = list->next; it != list; it = it->next) {
        char *elem = (char *)(uintptr_t)it - link_off;

        if (!strcmp(*(char **)(void *)(elem + name_off), name))
            return elem;
    }
    return NULL;
}

void *vr__named_new(const struct vr__ctx *c,
                    struct lk_list *list,
                    const struct vr__named *k,
                    const char *name,
                    char **err)
{
    char *elem;

    if (vr__find_named(list, k->link_off, k->name_off, name)) {
        vr__fail(c, err, "%s '%s' is defined twice", k->what, name);
        return NULL;
    }
    elem = calloc(1, k->size);
    if (!elem || !(*(char **)(void *)(elem + k->name_off) = strdup(name))) {
        free(elem);
        vr__fail(c, err, "out of memory");
        return NULL;
    }
    lk_list_append(list, (struct lk_list *)(void *)(elem + k->link_off));
    return elem;
}

struct vr_script_cfg *vr_cfg_find_script(const struct vr_cfg *cfg, const char *name)
{
    return VR__FIND(&cfg->scripts, struct vr_script_cfg, name);
}

struct vr_inst_cfg *vr_cfg_find_inst(const struct vr_cfg *cfg, const char *name)
{
    return VR__FIND(&cfg->instances, struct vr_inst_cfg, name);
}

int vr_inst_cfg_same(const struct vr_inst_cfg *a, const struct vr_inst_cfg *b)
{
    /* what peers and clients see: the group, its addresses, its timing */
    return !strcmp(a->name, b->name) && !strcmp(a->ifname, b->ifname) && a->vrid == b->vrid &&
           a->version == b->version && a->adver_cs == b->adver_cs && a->auth_type == b->auth_type &&
           !memcmp(a->auth, b->auth, sizeof(a->auth)) && a->family == b->family &&
           a->nvips == b->nvips && !memcmp(a->vips, b->vips, sizeof(a->vips[0]) * a->nvips) &&
           a->ucast_src == b->ucast_src && a->npeers == b->npeers &&
           !memcmp(a->peers, b->peers, sizeof(a->peers[0]) * a->npeers) &&
           !memcmp(a->ucast_src6, b->ucast_src6, 16) && a->npeers6 == b->npeers6 &&
           a->vmac == b->vmac && a->vmac_xmit_base == b->vmac_xmit_base &&
           !strcmp(a->vmac_name, b->vmac_name) &&
           !memcmp(a->peers6, b->peers6, sizeof(a->peers6[0]) * a->npeers6);
}

/* ---- keyword tables (flags: the block a keyword opens) -------------- */

static const struct lk_cfgkw top_kws[] = {
    {"global_defs", kw_ignore, 0, 0, BLK_GLOBAL},
    {"vrrp_script", kw_script_block, 1, 1, BLK_SCRIPT},
    {"vrrp_instance", kw_inst_block, 1, 1, BLK_INST},
    {"vrrp_sync_group", vr__kw_sync_block, 1, 1, BLK_SYNC},
    {"track_file", vr__kw_tfile_block, 1, 1, BLK_TFILE},
    {"vrrp_track_file", vr__kw_tfile_block, 1, 1, BLK_TFILE},
    {"vrrp_track_process", vr__kw_tproc_block, 1, 1, BLK_TPROC},
    {"virtual_server", kw_lvs, 0, -1, BLK_SKIP},
    {"virtual_server_group", kw_lvs, 0, -1, BLK_SKIP},
    {"static_ipaddress", kw_unsupported, 0, -1, BLK_SKIP},
    {"static_routes", kw_unsupported, 0, -1, BLK_SKIP},
    {0},
};

/* Instance settings global_defs gives a default for, under the instance
 * keyword's name with "vrrp_" in front (Keepalived's inheritance): kw_garp
 * and kw_inst_bool tell the two forms apart, so both tables list them from
 * here. One row a line, as in the tables, hence no clang-format. */
/* clang-format off */
#define INHERITED_KWS(prefix)                                                                      \
    {prefix "garp_master_delay", kw_garp, 1, 1, 0},                                                \
    {prefix "garp_master_repeat", kw_garp, 1, 1, 0},                                               \
    {prefix "garp_master_refresh", kw_garp, 1, 1, 0},                                              \
    {prefix "garp_master_refresh_repeat", kw_garp, 1, 1, 0},                                       \
    {prefix "garp_lower_prio_delay", kw_garp, 1, 1, 0},                                            \
    {prefix "garp_lower_prio_repeat", kw_garp, 1, 1, 0},                                           \
    {prefix "higher_prio_send_advert", kw_inst_bool, 0, 1, 0},                                     \
    {prefix "notify_priority_changes", kw_inst_bool, 0, 1, 0}
/* clang-format on */

static const struct lk_cfgkw global_kws[] = {
    {"router_id", kw_router_id, 1, 1, 0},
    {"enable_script_security", vr__kw_field, 0, -1, 0},
    {"script_user", kw_script_user, 1, 2, 0},
    {"vrrp_version", kw_version, 1, 1, 0},
    {"fast_takeover", kw_fast_takeover, 0, 1, 0},
    INHERITED_KWS("vrrp_"),
    {"vrrp_startup_delay", kw_startup_delay, 1, 1, 0},
    {"notify_fifo", kw_fifo, 1, 3, 0},
    {"notify_fifo_script", kw_fifo, 1, 3, 0},
    {"vrrp_notify_fifo", kw_fifo, 1, 3, 0},
    {"vrrp_notify_fifo_script", kw_fifo, 1, 3, 0},
    {"vrrp_strict", kw_strict, 0, 0, 0},
    {"vrrp_min_garp", kw_min_garp, 0, 1, 0},
    {"vrrp_iptables", kw_firewall, 0, 2, 0},
    {"nftables", kw_firewall, 0, 1, 0},
    {"vrrp_check_unicast_src", kw_inst_bool, 0, 1, 0},
    {"vrrp_lower_prio_no_advert", kw_inst_bool, 0, 1, 0},
    {"vrrp_priority", kw_nice, 1, 1, 0},
    {"vrrp_no_swap", vr__kw_field, 0, 0, 0},
    {"checker_priority", kw_other_process, 1, 1, 0},
    {"checker_no_swap", kw_other_process, 0, 0, 0},
    {"bfd_priority", kw_other_process, 1, 1, 0},
    {"bfd_no_swap", kw_other_process, 0, 0, 0},
    {"lvs_flush", kw_other_process, 0, 0, 0},
    {"fifo_write_vrrp_states_on_reload", vr__kw_field, 0, 0, 0},
    {"default_interface", kw_default_interface, 1, 1, 0},
    {"notification_email", kw_ignore, 0, 0, BLK_SKIP},
    {"notification_email_from", kw_ignore, 1, 1, 0},
    {"smtp_server", kw_ignore, 1, 2, 0},
    {"smtp_connect_timeout", kw_ignore, 1, 1, 0},
    {"vrrp_skip_check_adv_addr", kw_ignore, 0, 0, 0},
    {"vrrp_garp_interval", kw_garp_interval, 1, 1, 0},
    {"vrrp_gna_interval", kw_garp_interval, 1, 1, 0},
    {"max_auto_priority", kw_ignore, 0, 1, 0},
    {"lvs_id", kw_ignore, 1, 1, 0},
    {"lvs_sync_daemon", kw_lvs, 0, -1, 0},
    {0},
};

static const struct lk_cfgkw script_kws[] = {
    {"script", kw_script, 1, -1, 0},
    {"interval", kw_script_num, 1, 1, 0},
    {"timeout", kw_script_num, 1, 1, 0},
    {"weight", kw_script_num, 1, 2, 0},
    {"rise", vr__kw_field, 1, 1, 0},
    {"fall", vr__kw_field, 1, 1, 0},
    {"user", kw_script_user, 1, 2, 0},
    {"init_fail", vr__kw_field, 0, 0, 0},
    {0},
};

static const struct lk_cfgkw inst_kws[] = {
    {"interface", kw_interface, 1, 1, 0},
    {"state", kw_state, 1, 1, 0},
    {"virtual_router_id", vr__kw_field, 1, 1, 0},
    {"priority", vr__kw_field, 1, 1, 0},
    {"advert_int", kw_inst_num, 1, 1, 0},
    {"preempt_delay", kw_inst_num, 1, 1, 0},
    {"preempt", vr__kw_field, 0, -1, 0},
    {"nopreempt", vr__kw_field, 0, -1, 0},
    {"vrrp_version", kw_version, 1, 1, 0},
    {"version", kw_version, 1, 1, 0},
    {"fast_takeover", kw_fast_takeover, 0, 1, 0},
    {"authentication", kw_ignore, 0, 0, BLK_AUTH},
    {"virtual_ipaddress", kw_ignore, 0, 0, BLK_VIPS},
    {"virtual_ipaddress_excluded", kw_ignore, 0, 0, BLK_VIPS_EXCL},
    {"track_script", kw_ignore, 0, 0, BLK_TSCRIPT},
    {"track_interface", kw_ignore, 0, 0, BLK_TIFACE},
    {"track_lbd", kw_ignore, 0, 0, BLK_LBD},
    {"unicast_peer", kw_ignore, 0, 0, BLK_PEERS},
    {"unicast_src_ip", kw_ucast_src, 1, 1, 0},
    {"mcast_src_ip", kw_ucast_src, 1, 1, 0},
    {"native_ipv6", vr__kw_field, 0, 0, 0},
    VR__NOTIFY_KWS(kw_notify),
    INHERITED_KWS(""),
    {"notify_fifo", kw_inst_fifo, 0, -1, 0},
    {"check_unicast_src", kw_inst_bool, 0, 1, 0},
    {"lower_prio_no_advert", kw_inst_bool, 0, 1, 0},
    {"debug", kw_ignore, 0, 1, 0},
    {"notify_fifo_script", kw_inst_fifo, 0, -1, 0},
    {"track_file", kw_ignore, 0, 0, BLK_TFILE_REF},
    {"track_process", kw_ignore, 0, 0, BLK_TPROC_REF},
    {"virtual_routes", kw_ignore, 0, 0, BLK_ROUTES},
    {"virtual_rules", kw_ignore, 0, 0, BLK_RULES},
    {"dont_track_primary", kw_ignore, 0, 0, 0},
    {"smtp_alert", kw_ignore, 0, 1, 0},
    {"accept", kw_ignore, 0, 0, 0},
    {"no_accept", kw_ignore, 0, 0, 0},
    {"use_vmac", kw_use_vmac, 0, 1, 0},
    {"vmac_xmit_base", vr__kw_field, 0, 0, 0},
    {"lvs_sync_daemon_interface", kw_lvs, 0, -1, 0},
    {0},
};

static const struct lk_cfgkw auth_kws[] = {
    {"auth_type", kw_auth_type, 1, 1, 0},
    {"auth_pass", kw_auth_pass, 1, 1, 0},
    {0},
};

static const struct lk_cfgkw lbd_kws[] = {
    {"socket", kw_lbd, 1, 1, 0},
    {"weight", kw_lbd, 1, 1, 0},
    {"timeout", kw_lbd, 1, 1, 0},
    {0},
};

static const struct lk_cfgkw empty_kws[] = {{0}};

static const struct lk_cfgkw *const tables[BLK_MAX] = {
    [BLK_TOP] = top_kws,         [BLK_GLOBAL] = global_kws,   [BLK_SCRIPT] = script_kws,
    [BLK_INST] = inst_kws,       [BLK_AUTH] = auth_kws,       [BLK_VIPS] = empty_kws,
    [BLK_VIPS_EXCL] = empty_kws, [BLK_TSCRIPT] = empty_kws,   [BLK_TIFACE] = empty_kws,
    [BLK_PEERS] = empty_kws,     [BLK_LBD] = lbd_kws,         [BLK_SKIP] = empty_kws,
    [BLK_TFILE] = vr__tfile_kws, [BLK_TPROC] = vr__tproc_kws, [BLK_SYNC] = vr__sync_kws,
    [BLK_TFILE_REF] = empty_kws, [BLK_TPROC_REF] = empty_kws, [BLK_SYNC_GRP] = empty_kws,
    [BLK_ROUTES] = empty_kws,    [BLK_RULES] = empty_kws,
};
