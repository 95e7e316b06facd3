/* cfg_int.h - what cfg.c shares with the modules that hold other keyword
 * families of Keepalived's dialect (cfg_track.c: track_file and
 * vrrp_track_process; cfg_sync.c: vrrp_sync_group; cfg_route.c:
 * virtual_ipaddress options, virtual_routes and virtual_rules). Internal
 * to the config loader: nothing outside vrrpd/cfg*.c includes it. */
#ifndef VR_CFG_INT_H
#define VR_CFG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/cfgkw.h"
#include "common/cfglex.h"
#include "common/compiler.h"
#include "vrrpd/cfg.h"

#define VR__UNSET UINT32_MAX

/* The blocks of the dialect; a keyword's table entry names, in its flags,
 * the block it opens. */
enum vr__blk {
    BLK_TOP = 0,
    BLK_GLOBAL,
    BLK_SCRIPT,
    BLK_INST,
    BLK_AUTH,
    BLK_VIPS,
    BLK_VIPS_EXCL,
    BLK_TSCRIPT,
    BLK_TIFACE,
    BLK_PEERS,
    BLK_LBD,
    BLK_TFILE,     /* track_file NAME { } */
    BLK_TPROC,     /* vrrp_track_process NAME { } */
    BLK_TFILE_REF, /* track_file { } in an instance */
    BLK_TPROC_REF, /* track_process { } in an instance */
    BLK_SYNC,      /* vrrp_sync_group NAME { } */
    BLK_SYNC_GRP,  /* its group { } */
    BLK_ROUTES,    /* virtual_routes { } */
    BLK_RULES,     /* virtual_rules { } */
    BLK_SKIP,      /* accepted for compatibility, content ignored */
    BLK_MAX
};

/* Parser state handed to every handler (no current_* globals): the block
 * being filled, and where the statement is. */
struct vr__ctx {
    struct vr_cfg *cfg;
    struct vr_inst_cfg *inst;
    struct vr_script_cfg *script;
    struct vr_tfile_cfg *tfile;
    struct vr_tproc_cfg *tproc;
    struct vr_sync_cfg *sync;
    const char *file; /* owned by cfg->files */
    unsigned line;
};

/* Set *err to "FILE:LINE: message" for the statement `c` (a struct
 * vr__ctx *) is reading; returns LK_CFG_FATAL. */
static inline const struct vr__ctx *vr__ctxof(const struct vr__ctx *c)
{
    return c; /* the type check of vr__fail's first argument */
}
#define vr__fail(c, err, ...)                                                                      \
    lk_cfg_fail_at((err), vr__ctxof(c)->file, vr__ctxof(c)->line, __VA_ARGS__)

/* Log "FILE:LINE: what" as a warning; returns LK_CFG_OK. */
int vr__warn(const struct vr__ctx *c, const char *what);

/* "1", "0.5", "0.05": a decimal with at most `digits` fractional digits, as
 * an integer count of 10^-digits units, bounded by max. 0 or -EINVAL /
 * -ERANGE. */
int vr__parse_fixed(const char *s, unsigned digits, uint64_t max, uint64_t *ret);

/* argv[i] as an integer in [min, max] into *ret; LK_CFG_FATAL with a
 * message naming the keyword otherwise. */
int vr__num(const struct vr__ctx *c,
            char **argv,
            int i,
            int64_t min,
            int64_t max,
            int64_t *ret,
            char **err);

/* "weight W [reverse]" of vrrp_script, track_file and track_process: W in
 * [-lim, lim] into *ret_w, whether "reverse" follows into *ret_rev (both
 * only on success); LK_CFG_OK or LK_CFG_FATAL with a message. */
int vr__weight(const struct vr__ctx *c,
               int argc,
               char **argv,
               int64_t lim,
               int *ret_w,
               bool *ret_rev,
               char **err);

/* The value helpers below share one contract: c names the line being read,
 * the result is written only on success, and they return LK_CFG_OK or
 * LK_CFG_FATAL with "FILE:LINE: ..." in *err (caller-owned).
 *
 * argv[i]: seconds with up to three decimals, as Keepalived's timers, into
 * milliseconds. */
int vr__secs_ms(const struct vr__ctx *c, char **argv, int i, uint32_t *ret, char **err);

/* Replace *dst with a copy of s (the old string is freed; *dst is owned by
 * the config object it belongs to). */
int vr__dupstr(const struct vr__ctx *c, char **dst, const char *s, char **err);

/* Replace *dst with argv[from..] joined with spaces (commands may be written
 * quoted or not). */
int vr__join_args(const struct vr__ctx *c, char **dst, int argc, char **argv, int from, char **err);

/* Dotted IPv4 into *ret (network order). 0 or -EINVAL. */
int vr__parse_ip(const char *s, uint32_t *ret);

/* "A.B.C.D[/N]" (default /32) into *ret_addr / *ret_prefix. 0 or -EINVAL. */
int vr__parse_prefix(const char *s, uint32_t *ret_addr, uint8_t *ret_prefix);
/* IPv6 ADDR[/N] (N 0..128, default 128) into 16 bytes. 0 or -EINVAL. */
int vr__parse_prefix6(const char *s, uint8_t ret_addr[16], uint8_t *ret_prefix);

/* on|yes|true|1 -> 1, off|no|false|0 -> 0, else -1. */
int vr__parse_onoff(const char *s);

/* An interface name that fits IF_NAMESIZE into dst. */
int vr__ifname(const struct vr__ctx *c, char dst[IF_NAMESIZE], const char *name, char **err);

/* One list entry "NAME [weight N] [reverse|noreverse]" into tab[*n], then
 * ++*n. LK_CFG_OK, or LK_CFG_FATAL with *err (table full, bad weight). */
int vr__item_track(struct vr__ctx *c,
                   struct vr_track_ref *tab,
                   unsigned *n,
                   int argc,
                   char **argv,
                   char **err);

/* The element of `list` whose `char *` name at name_off equals name;
 * link_off is the offset of its struct lk_list. NULL if none. The element is owned by the list's
 * owner. */
void *vr__find_named(const struct lk_list *list,
                     size_t link_off,
                     size_t name_off,
                     const char *name);

#define VR__FIND(list, type, n)                                                                    \
    ((type *)vr__find_named((list), offsetof(type, link), offsetof(type, name), (n)))

/* A kind of named block (vrrp_script, vrrp_instance, ...): its keyword,
 * the size of its struct and where the struct keeps its lk_list link and
 * its `char *` name. */
struct vr__named {
    const char *what;
    size_t size, link_off, name_off;
};

/* Open block `name` of kind k: a zeroed struct with its name copied,
 * appended to list. NULL with *err filled (FILE:LINE, for LK_CFG_FATAL) when
 * the list has one of that name already ("WHAT 'NAME' is defined twice")
 * or on OOM. */
void *vr__named_new(const struct vr__ctx *c,
                    struct lk_list *list,
                    const struct vr__named *k,
                    const char *name,
                    char **err);

#define VR__NAMED_NEW(c, list, type, what, n, err)                                                 \
    ((type *)vr__named_new((c), (list),                                                            \
                           &(const struct vr__named){(what), sizeof(type), offsetof(type, link),   \
                                                     offsetof(type, name)},                        \
                           (n), (err)))

/* notify_master/backup/fault/stop or notify (argv[0]) CMD [USER [GROUP]]
 * into its slot of n. As Keepalived, the words after the command are the
 * user and group (a command with arguments is quoted); a user or group
 * that does not exist is refused (Keepalived drops such a script). */
int vr__kw_notify(struct vr__ctx *c, struct vr_notify_cfg *n, int argc, char **argv, char **err);

/* The rows of those keywords in a keyword table, handled by fn (which finds
 * its vr_notify_cfg and calls vr__kw_notify()): instances and sync groups
 * accept the same five, the names vr__kw_notify() knows (one row a line,
 * as in the tables, hence no clang-format). */
/* clang-format off */
#define VR__NOTIFY_KWS(fn)                                                                         \
    {"notify_master", (fn), 1, 3, 0},                                                              \
    {"notify_backup", (fn), 1, 3, 0},                                                              \
    {"notify_fault", (fn), 1, 3, 0},                                                               \
    {"notify_stop", (fn), 1, 3, 0},                                                                \
    {"notify", (fn), 1, 3, 0}
/* clang-format on */

/* The handler of the keywords that only set (or clear) a bool or read one
 * bounded integer, in every block: the keyword must be in cfg.c's
 * field_kws, which says where the field lives and its range. Returns
 * LK_CFG_OK (with a warning for words after a flag) or LK_CFG_FATAL with a
 * message naming the keyword. */
int vr__kw_field(int argc, char **argv, void *ctx, char **err);

/* Free n's strings (not n). */
void vr__notify_cfg_free(struct vr_notify_cfg *n);

/* Keyword tables of the other modules. */
extern const struct lk_cfgkw vr__tfile_kws[];
extern const struct lk_cfgkw vr__tproc_kws[];
extern const struct lk_cfgkw vr__sync_kws[];

/* Block openers of cfg_track.c / cfg_sync.c, for cfg.c's tables: create the
 * named object in the config (which owns it) and make it current in ctx.
 * LK_CFG_OK, or LK_CFG_FATAL with *err (duplicate name, OOM). */
int vr__kw_tfile_block(int argc, char **argv, void *ctx, char **err);
int vr__kw_tproc_block(int argc, char **argv, void *ctx, char **err);
int vr__kw_sync_block(int argc, char **argv, void *ctx, char **err);

/* List items of virtual_ipaddress options, virtual_routes, virtual_rules
 * (cfg_route.c) and sync group members (cfg_sync.c): each parses one
 * line's words into the current instance or group. LK_CFG_OK, or
 * LK_CFG_FATAL with "FILE:LINE: ..." in *err. */
int vr__vip_opts(struct vr__ctx *c, struct vr_vip *v, int argc, char **argv, char **err);
int vr__item_route(struct vr__ctx *c, int argc, char **argv, char **err);
int vr__item_rule(struct vr__ctx *c, int argc, char **argv, char **err);
int vr__item_sync_member(struct vr__ctx *c, int argc, char **argv, char **err);

/* End of load: check references and apply the group rules (cfg_sync.c,
 * cfg_track.c). 0 or -EINVAL with *err. */
int vr__validate_syncs(struct vr_cfg *cfg, char **err);
int vr__validate_tracks(struct vr_cfg *cfg, char **err);

/* Free what cfg_track.c / cfg_sync.c put in cfg. */
void vr__free_tracks(struct vr_cfg *cfg);
void vr__free_syncs(struct vr_cfg *cfg);

#endif
