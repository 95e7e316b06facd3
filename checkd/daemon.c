/* daemon.c - see daemon.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkd/admin.h"
#include "checkd/daemon.h"
#include "checkd/target.h"
#include "common/log.h"
#include "common/sdnotify.h"

/* One per process. The registry runs the probes and holds every target's
 * state; the feed server publishes that state. Both live on the one loop. */
struct chk_daemon {
    uv_loop_t loop;
    uv_signal_t sigterm, sigint, sighup;
    uv_timer_t watchdog;
    struct chk_feedsrv *fs;
    struct chk_registry *reg;
    struct chk_cfg *cfg; /* owned; replaced on reload */
    char *path;          /* config file, NULL without -f */
    char *rundir;
    int stopping;
};

static void stop(struct chk_daemon *d, const char *why)
{
    if (d->stopping)
        return;
    d->stopping = 1;
    lk_sd_notify("STOPPING=1");
    lk_log(LK_LOG_NOTICE, "%s: stopping", why);
    /* probes and sockets are closed now; the loop then runs out of handles
     * and chk_daemon_run() returns */
    d->reg = chk_registry_free(d->reg);
    d->fs = chk_feedsrv_free(d->fs);
    uv_close((uv_handle_t *)&d->sigterm, NULL);
    uv_close((uv_handle_t *)&d->sigint, NULL);
    uv_close((uv_handle_t *)&d->sighup, NULL);
    uv_close((uv_handle_t *)&d->watchdog, NULL);
}

static void on_signal(uv_signal_t *s, int signum)
{
    stop(s->data, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static int add_targets(struct chk_daemon *d, const struct chk_cfg *cfg);

/* Drop the config's targets that the new config no longer has, then add
 * or update the others (update keeps health when address and kind stay). */
static void apply_reload(struct chk_daemon *d, struct chk_cfg *ncfg)
{
    const char **ids = calloc(ncfg->ntargets ? ncfg->ntargets : 1, sizeof(*ids));
    size_t i;
    int removed;

    if (!ids) {
        lk_log(LK_LOG_ERR, "reload: out of memory, keeping the running config");
        chk_cfg_free(ncfg);
        return;
    }
    for (i = 0; i < ncfg->ntargets; i++)
        ids[i] = ncfg->targets[i].id;
    /* only the config file's targets (owner "config"): lbd's registrations
     * survive a checkd reload, so lbd sees no flap */
    removed = chk_registry_prune(d->reg, CHK_OWNER_CONFIG, ids, ncfg->ntargets);
    free(ids);
    add_targets(d, ncfg);
    if (ncfg->nsockets != d->cfg->nsockets ||
        strcmp(ncfg->sockets[0].path, d->cfg->sockets[0].path) != 0)
        lk_log(LK_LOG_WARNING, "reload: socket changes take effect at the next restart");
    lk_log(LK_LOG_NOTICE, "reloaded %s: %zu targets, %d removed", d->path, ncfg->ntargets, removed);
    /* sockets keep pointing into the old config's paths: keep those */
    for (i = 0; i < CHK_MAX_SOCKETS; i++) {
        char *p = ncfg->paths[i];

        ncfg->paths[i] = d->cfg->paths[i];
        d->cfg->paths[i] = p;
        ncfg->sockets[i] = d->cfg->sockets[i];
    }
    ncfg->nsockets = d->cfg->nsockets;
    chk_cfg_free(d->cfg);
    d->cfg = ncfg;
}

static void on_sighup(uv_signal_t *s, int signum)
{
    struct chk_daemon *d = s->data;
    struct chk_cfg *ncfg = NULL;
    char *err = NULL;

    if (!d->path) {
        lk_log(LK_LOG_NOTICE, "SIGHUP: no config file (-f) to reload");
        return;
    }
    /* systemd's reload protocol: RELOADING=1 first, READY=1 when done,
     * also when the new file was refused (the old config keeps running) */
    lk_sd_notify_reloading();
    if (chk_cfg_load(d->path, d->rundir, &ncfg, &err) < 0) {
        lk_log(LK_LOG_ERR, "reload failed, keeping the running config: %s", err ? err : "?");
        free(err);
    } else {
        apply_reload(d, ncfg);
    }
    lk_sd_notify("READY=1");
}

/* Sent from the loop, so a stuck loop (and with it every probe) gets checkd
 * restarted by systemd's watchdog. */
static void on_watchdog(uv_timer_t *t)
{
    lk_sd_notify("WATCHDOG=1");
}

static int make_rundir(const char *dir)
{
    /* the runtime dir may be shared with lbd and vrrpd (/run/lbkit): an
     * existing one is fine */
    if (mkdir(dir, 0755) == 0 || errno == EEXIST)
        return 0;
    return -errno;
}

static int open_sockets(struct chk_daemon *d)
{
    unsigned i;
    int r;

    for (i = 0; i < d->cfg->nsockets; i++) {
        r = chk_feedsrv_listen(d->fs, &d->cfg->sockets[i]);
        if (r < 0)
            return lk_log_errno(r, LK_LOG_ERR, "cannot listen on %s: %m", d->cfg->sockets[i].path);
    }
    return 0;
}

static int add_targets(struct chk_daemon *d, const struct chk_cfg *cfg)
{
    const char *why = NULL;
    size_t i;
    int r;

    for (i = 0; i < cfg->ntargets; i++) {
        r = chk_registry_add(d->reg, &cfg->targets[i], &why);
        /* on a reload: the id is lbd's server, lbd's check goes on */
        if (r == -EEXIST) {
            lk_log(LK_LOG_WARNING, "%s: target %s not applied: %s", d->path, cfg->targets[i].id,
                   why);
        } else if (r < 0) {
            lk_log(LK_LOG_ERR, "target %s: %s", cfg->targets[i].id, why);
            return -EINVAL;
        }
    }
    return 0;
}

int chk_daemon_new(struct chk_daemon **ret,
                   struct chk_cfg *cfg,
                   const char *path,
                   const char *rundir)
{
    struct chk_hooks hooks = {chk_feedsrv_changed, chk_feedsrv_removed, NULL};
    struct chk_daemon *d = calloc(1, sizeof(*d));
    int r = -ENOMEM;

    if (!d || uv_loop_init(&d->loop) < 0) {
        free(d);
        chk_cfg_free(cfg);
        return -ENOMEM;
    }
    d->cfg = cfg;
    d->path = path ? strdup(path) : NULL;
    d->rundir = strdup(rundir);
    uv_signal_init(&d->loop, &d->sigterm);
    uv_signal_init(&d->loop, &d->sigint);
    uv_signal_init(&d->loop, &d->sighup);
    uv_timer_init(&d->loop, &d->watchdog);
    d->sigterm.data = d->sigint.data = d->sighup.data = d->watchdog.data = d;
    /* from here on chk_daemon_free() undoes whatever was built */
    if (!d->rundir || (path && !d->path))
        goto fail;
    d->fs = chk_feedsrv_new(&d->loop, cfg->feed_buffer);
    hooks.ud = d->fs;
    d->reg = d->fs ? chk_registry_new(&d->loop, &hooks, cfg->spread_pct) : NULL;
    if (!d->reg)
        goto fail;
    /* the registry's changes feed the subscribers; the feed's commands
     * (register, maint, drain) reach the registry */
    chk_feedsrv_attach(d->fs, d->reg);
    r = make_rundir(rundir);
    if (r < 0) {
        lk_log_errno(r, LK_LOG_ERR, "cannot create runtime directory %s: %m", rundir);
        goto fail;
    }
    r = open_sockets(d);
    if (r < 0)
        goto fail;
    /* sockets first: a checkd that cannot listen must fail before probing */
    r = add_targets(d, d->cfg);
    if (r < 0)
        goto fail;
    *ret = d;
    return 0;
fail:
    chk_daemon_free(d);
    return r;
}

/* READY=1 after the sockets are listening and the config's targets are
 * registered: a client started after checkd (lbd) can connect and
 * subscribe at once. */
int chk_daemon_run(struct chk_daemon *d)
{
    uint64_t wd = lk_sd_watchdog_ms();

    uv_signal_start(&d->sigterm, on_signal, SIGTERM);
    uv_signal_start(&d->sigint, on_signal, SIGINT);
    uv_signal_start(&d->sighup, on_sighup, SIGHUP);
    if (wd)
        uv_timer_start(&d->watchdog, on_watchdog, wd, wd);
    lk_log(LK_LOG_NOTICE, "checkd %s started: %u targets, feed on %s, pid %d", LBKIT_VERSION,
           chk_registry_count(d->reg), d->cfg->sockets[0].path, (int)getpid());
    lk_sd_notify("READY=1\nSTATUS=checking");
    uv_run(&d->loop, UV_RUN_DEFAULT);
    lk_log(LK_LOG_NOTICE, "checkd stopped");
    return 0;
}

struct chk_daemon *chk_daemon_free(struct chk_daemon *d)
{
    if (!d)
        return NULL;
    if (!d->stopping)
        stop(d, "shutdown");
    uv_run(&d->loop, UV_RUN_DEFAULT); /* let every handle close */
    if (uv_loop_close(&d->loop) != 0)
        lk_log(LK_LOG_DEBUG, "loop closed with open handles");
    chk_cfg_free(d->cfg);
    free(d->path);
    free(d->rundir);
    free(d);
    return NULL;
}
