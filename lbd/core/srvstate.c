/* srvstate.c - loading HAProxy's server-state file; see srvstate.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "lbd/cfg/cfg.h"
#include "lbd/core/server.h"
#include "lbd/core/srvstate.h"

/* HAProxy's admin-state bits in the file */
#define ADMF_FMAINT 0x01u /* forced maintenance (operator) */
#define ADMF_CMAINT 0x04u /* "disabled" in the configuration */
#define ADMF_FDRAIN 0x08u /* forced drain (operator) */
/* operational states */
#define OPST_STOPPED  0
#define OPST_STARTING 1
#define OPST_RUNNING  2

/* the fields lbd uses, by position in a version 1 line */
enum {
    F_BE_ID = 0,
    F_BE_NAME,
    F_SRV_ID,
    F_SRV_NAME,
    F_SRV_ADDR,
    F_OP_STATE,
    F_ADMIN_STATE,
    F_UWEIGHT,
    F_IWEIGHT,
    F_LAST_CHANGE,
    F_MIN = 19 /* HAProxy 2.6 writes 25, older ones 19 */
};

/* The handlers share this so that an overlong path is refused at its
 * keyword's line instead of being silently truncated into another file. */
static int copy_arg(struct lb_cfgctx *ctx, char *dst, size_t len, const char *v, char **err)
{
    if (strlen(v) >= len)
        return lb_cfg_fail(ctx, err, "%s: path too long", "server-state");
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

int lb_srvstate_kw_global(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_global *g = &ctx->cfg->global;

    (void)argc;
    if (strcmp(argv[0], "server-state-base") == 0)
        return copy_arg(ctx, g->srv_state_base, sizeof(g->srv_state_base), argv[1], err);
    return copy_arg(ctx, g->srv_state_file, sizeof(g->srv_state_file), argv[1], err);
}

int lb_srvstate_kw_load(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    (void)argc;
    if (strcmp(argv[1], "global") == 0)
        ctx->px->srv_state_load = LB_SRVSTATE_GLOBAL;
    else if (strcmp(argv[1], "local") == 0)
        ctx->px->srv_state_load = LB_SRVSTATE_LOCAL;
    else if (strcmp(argv[1], "none") == 0)
        ctx->px->srv_state_load = LB_SRVSTATE_NONE;
    else
        return lb_cfg_fail(ctx, err,
                           "load-server-state-from-file: expected 'global', 'local' or 'none', "
                           "got '%s'",
                           argv[1]);
    return 0;
}

/* HAProxy's "server-state-file-name" without argument, or with "use-backend-
 * name", means the backend's own name; "" stores that. */
int lb_srvstate_kw_name(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    const char *v = argc > 1 ? argv[1] : "use-backend-name";

    if (strcmp(v, "use-backend-name") == 0)
        v = "";
    return copy_arg(ctx, ctx->px->srv_state_name, sizeof(ctx->px->srv_state_name), v, err);
}

/* A relative name is under server-state-base, as HAProxy resolves it. */
static void state_path(const struct lb_global *g, const char *name, char *out, size_t len)
{
    if (name[0] != '/' && g->srv_state_base[0])
        snprintf(out, len, "%s/%s", g->srv_state_base, name);
    else
        snprintf(out, len, "%s", name);
}

/* The file is space separated and has no quoting (HAProxy writes server names
 * and addresses, which contain neither). */
static int split(char *line, char **f, int max)
{
    int n = 0;
    char *save = NULL, *t;

    for (t = strtok_r(line, " \t\r\n", &save); t && n < max; t = strtok_r(NULL, " \t\r\n", &save))
        f[n++] = t;
    return n;
}

/* HAProxy 2.6's rules (srv_state_srv_update): the file's operator MAINT
 * comes back unless the configuration changed "disabled" since (then the
 * configuration wins); DRAIN comes back on an enabled server unless it only
 * came from a zero configured weight that is no longer zero; the run-time
 * weight only if the configured weight is unchanged; a STOPPED server
 * with checks starts DOWN (health 0) until its checks raise it. */
/* Only the primitive lb_server_set_state() is used: this runs while the
 * config is loaded, before any observer, log target or checkd exists, so a
 * restored state is not an event to report. A server waiting for DNS
 * (dns_maint) keeps its MAINT whatever the file says. The file's last-change
 * age is kept so "show stat" reports the same lastchg as the previous
 * process. */
static void apply_line(struct lb_server *s, char **f, uint64_t now)
{
    unsigned admin = (unsigned)strtoul(f[F_ADMIN_STATE], NULL, 10);
    int op = (int)strtol(f[F_OP_STATE], NULL, 10);
    unsigned uw = (unsigned)strtoul(f[F_UWEIGHT], NULL, 10);
    unsigned iw = (unsigned)strtoul(f[F_IWEIGHT], NULL, 10);
    unsigned long long since = strtoull(f[F_LAST_CHANGE], NULL, 10);
    int cfg_maint = !!(s->flags & LB_SRV_F_DISABLED), file_cmaint = !!(admin & ADMF_CMAINT);
    int maint = cfg_maint;

    if (file_cmaint == cfg_maint) {
        if ((admin & ADMF_FMAINT) && !cfg_maint)
            maint = 1;
        else if (!(admin & ADMF_FMAINT) && cfg_maint)
            maint = 0;
    }
    if (iw == s->weight && uw <= 256)
        lb_server_set_weight(s, uw);
    if ((s->flags & LB_SRV_F_CHECK) && op == OPST_STOPPED)
        s->check_health = 0;
    else if ((s->flags & LB_SRV_F_CHECK) && op == OPST_RUNNING)
        s->check_health = s->rise + s->fall - 1;
    if (maint && !s->dns_maint)
        lb_server_set_state(s, LB_SRV_MAINT);
    else if (!s->dns_maint && (admin & ADMF_FDRAIN) && (iw > 0 || s->weight == 0))
        lb_server_set_state(s, LB_SRV_DRAIN);
    else if (!s->dns_maint && (s->flags & LB_SRV_F_CHECK) && op == OPST_STOPPED)
        lb_server_set_state(s, LB_SRV_DOWN);
    else if (!s->dns_maint)
        lb_server_set_state(s, LB_SRV_UP);
    s->last_change_ms = now > since * 1000 ? now - since * 1000 : 0;
}

/* Read one file; `only` restricts it to one backend (a local file), NULL
 * applies each line to the backend it names that loads the global file. */
/* Problems in the file are warnings, never errors: the file is written by a
 * previous run and may name servers since removed from the config; refusing
 * to start because of it would turn a stale file into an outage. */
static unsigned load_file(struct lb_cfg *cfg, const char *path, struct lb_proxy *only)
{
    char line[4096], *f[32];
    unsigned n = 0, lineno = 0;
    uint64_t now = lk_mono_ms();
    FILE *fp = fopen(path, "r");
    int nf;

    if (!fp) {
        lk_log(LK_LOG_WARNING, "server-state file '%s': %m (servers keep their configured state)",
               path);
        return 0;
    }
    while (fgets(line, sizeof(line), fp)) {
        struct lb_proxy *px;
        struct lb_server *s;

        lineno++;
        if (lineno == 1) {
            if (strtol(line, NULL, 10) != 1) {
                lk_log(LK_LOG_WARNING, "server-state file '%s': version '%.20s' is not 1", path,
                       line);
                break;
            }
            continue;
        }
        if (line[0] == '#' || line[0] == '\n')
            continue;
        nf = split(line, f, 32);
        if (nf < F_MIN) {
            lk_log(LK_LOG_WARNING, "%s:%u: %d fields, a version 1 line has at least %d", path,
                   lineno, nf, F_MIN);
            continue;
        }
        px = only ? (strcmp(only->name, f[F_BE_NAME]) == 0 ? only : NULL)
                  : lb_cfg_find_proxy(cfg, f[F_BE_NAME], LB_CAP_BE);
        if (!px || (!only && px->srv_state_load != LB_SRVSTATE_GLOBAL))
            continue;
        s = lb_server_find(px, f[F_SRV_NAME]);
        if (!s) {
            lk_log(LK_LOG_WARNING, "%s:%u: backend '%s' has no server '%s'", path, lineno, px->name,
                   f[F_SRV_NAME]);
            continue;
        }
        apply_line(s, f, now);
        n++;
    }
    fclose(fp);
    return n;
}

/* Local files first, then the global one, as HAProxy does; a backend listed
 * in neither keeps its configured state. */
unsigned lb_srvstate_apply(struct lb_cfg *cfg)
{
    const struct lb_global *g = &cfg->global;
    struct lb_proxy *px;
    char path[1100];
    unsigned n = 0;
    int global = 0;

    for (px = cfg->proxies; px; px = px->next) {
        if (!(px->cap & LB_CAP_BE))
            continue;
        if (px->srv_state_load == LB_SRVSTATE_GLOBAL)
            global = 1;
        if (px->srv_state_load != LB_SRVSTATE_LOCAL)
            continue;
        state_path(g, px->srv_state_name[0] ? px->srv_state_name : px->name, path, sizeof(path));
        n += load_file(cfg, path, px);
    }
    if (global && g->srv_state_file[0]) {
        state_path(g, g->srv_state_file, path, sizeof(path));
        n += load_file(cfg, path, NULL);
    } else if (global) {
        lk_log(LK_LOG_WARNING, "load-server-state-from-file global without a global "
                               "'server-state-file': nothing loaded");
    }
    if (n)
        lk_log(LK_LOG_INFO, "server-state: %u servers restored", n);
    return n;
}
