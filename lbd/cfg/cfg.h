/* cfg.h - lbd's config: HAProxy's dialect read into struct lb_cfg.
 *
 * Sections: global, defaults [NAME], frontend NAME [from DEF], backend NAME
 * [from DEF], listen NAME [ADDR:PORT] [from DEF]. Each section's keywords
 * live in a table at the bottom of the module that owns them (cfg.c for
 * global, proxy.c, server.c). Anything unknown is an error naming FILE:LINE,
 * the keyword and the section, with a hint when a known keyword is close.
 * Warnings (keywords accepted but without effect) are logged once. */
#ifndef LB_CFG_H
#define LB_CFG_H

#include "common/cfgkw.h"
#include "lbd/core/proxy_types.h"

/* Parser state handed to every keyword handler (no current_* globals). */
struct lb_cfgctx {
    struct lb_cfg *cfg;
    struct lb_proxy *px; /* section being read; NULL in global */
    const char *file;
    unsigned line;
    struct lb_userlist *ul;     /* userlist section being read */
    struct lb_resolvers *res;   /* resolvers section being read */
    struct lb_errsec *es;       /* http-errors section being read */
    struct lb_peers_sec *peers; /* peers section being read */
};

/* Which sections accept a proxy keyword: LB_CAP_* bits in lk_cfgkw.flags,
 * with short names for the keyword, option and timeout tables (proxy.c,
 * http_cfg.c): D defaults, F frontend, B backend; a listen section has both
 * F and B. */
#define LB_KW_D  LB_CAP_DEF
#define LB_KW_F  LB_CAP_FE
#define LB_KW_B  LB_CAP_BE
#define LB_KW_FB (LB_CAP_FE | LB_CAP_BE)
/* Not a section: the handler configures px->http, which the parser creates
 * (lb_http_px_get()) before it runs, so the handler finds ctx->px->http set
 * and out of memory is reported in one place. */
#define LB_KW_HTTP (1u << 8)

/* Parse and validate a config file. On success *ret owns everything; on
 * failure *err is "FILE:LINE: ..." (malloc'ed) and a negative errno is
 * returned. */
int lb_cfg_load_file(const char *path, struct lb_cfg **ret, char **err);

/* Same for a config held in memory; `name` is used as FILE in messages.
 * text is borrowed (only read during the call). Same returns and
 * ownership as lb_cfg_load_file(). */
int lb_cfg_load_mem(const char *name, const char *text, struct lb_cfg **ret, char **err);

/* Free a config and everything it owns; accepts NULL, returns NULL. */
struct lb_cfg *lb_cfg_free(struct lb_cfg *cfg);

/* Look up a proxy by name having all of the `cap` bits (0: any proxy).
 * Returns the proxy, owned by cfg, or NULL. */
struct lb_proxy *lb_cfg_find_proxy(const struct lb_cfg *cfg, const char *name, unsigned cap);

struct lb_stktable;

/* The stick table of the proxy called `name` (a backend, frontend or
 * listen section: "table NAME", src_X(NAME)), owned by cfg; NULL if that
 * proxy does not exist or has no stick-table. */
struct lb_stktable *lb_cfg_find_table(const struct lb_cfg *cfg, const char *name);

/* Format "FILE:LINE: msg" into *err for the line `ctx` (a struct
 * lb_cfgctx *) is reading and return LK_CFG_FATAL. */
static inline const struct lb_cfgctx *lb__cfgctx(const struct lb_cfgctx *c)
{
    return c; /* the type check of lb_cfg_fail's first argument */
}
#define lb_cfg_fail(ctx, err, ...)                                                                 \
    lk_cfg_fail_at((err), lb__cfgctx(ctx)->file, lb__cfgctx(ctx)->line, __VA_ARGS__)

/* An address with HAProxy's ${NAME} expanded (unset: empty), as HAProxy
 * expands addresses (bind, server, log) even unquoted. Returns `in` when
 * it has none, else `out` (len bytes). out (len bytes) is the caller's; the result points to in or
 * out, so it lives as long as they do. */
const char *lb_cfg_env_addr(const char *in, char *out, size_t len);

/* Append a formatted message to *all, one message a line (the way lbd -c
 * lists every error of a file). *all may be NULL; it stays caller-owned. */
void lb_cfg_err_append(char **all, const char *fmt, ...) LK_PRINTF(2, 3);

/* Read a bounded number/time argument for keyword argv[0]; on error fills
 * *err and returns LK_CFG_FATAL. */
int lb_cfg_uint(const struct lb_cfgctx *ctx,
                char **argv,
                int i,
                uint64_t min,
                uint64_t max,
                uint64_t *ret,
                char **err);
int lb_cfg_time(const struct lb_cfgctx *ctx, char **argv, int i, uint64_t *ret, char **err);

/* argv[first..argc-1] joined by single spaces (HAProxy's description
 * texts), a malloc'ed string; NULL when memory ran out. */
char *lb_cfg_join(int argc, char **argv, int first);

/* Parse a "log" line (global or proxy form, argv[0] == "log") into a new
 * target appended to *list. */
int lb_cfg_parse_log(const struct lb_cfgctx *ctx,
                     int argc,
                     char **argv,
                     struct lb_logtarget **list,
                     char **err);

/* Free a list of log targets; returns NULL. */
struct lb_logtarget *lb_logtargets_free(struct lb_logtarget *l);

/* Deep copy of a list of log targets (defaults inheritance): 0 and *ret, a
 * list the caller frees with lb_logtargets_free(), or -ENOMEM with nothing
 * allocated. src may be NULL (an empty list). */
int lb_logtargets_dup(const struct lb_logtarget *src, struct lb_logtarget **ret);

/* "chroot" needs master-worker mode (-W or "master-worker"): 0, or
 * -EINVAL with "FILE:LINE: ..." in *err (caller-owned). */
int lb_cfg_check_chroot(const struct lb_cfg *cfg, int master_worker, char **err);

extern const struct lk_cfgkw lb_global_kws[];

#endif
