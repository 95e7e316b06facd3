/* daemon.c - vrrpd's loop, signals, reload (see daemon.h). */
#include "vrrpd/daemon.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cfglex.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sdnotify.h"
#include "vrrpd/admin.h"
#include "vrrpd/guard.h"
#include "vrrpd/inst.h"
#include "vrrpd/notify.h"
#include "vrrpd/os/caps.h"
#include "vrrpd/os/netlink.h"
#include "vrrpd/spawn.h"
#include "vrrpd/sync.h"

/* SHUTDOWN_MAX_MS bounds how long vr_daemon_free() lets notify scripts and
 * handle closes run after the masters resigned; systemd's stop timeout is
 * longer, so vrrpd exits on its own terms. */
#define SHUTDOWN_MAX_MS 3000
#define RETRY_MS        1000

static int add_inst(struct vr_daemon *d, struct vr_inst_cfg *c, bool start);

/* The pending list is copied and emptied first: add_inst() re-queues an
 * instance whose interface is still not ready, so each pass starts from the
 * configs that were waiting. */
static void retry_cb(uv_timer_t *t)
{
    struct vr_daemon *d = t->data;
    struct vr_inst_cfg *waiting[VR_MAX_PENDING];
    unsigned k, n = d->npending;

    if (d->stopping)
        return;
    memcpy(waiting, d->pending, n * sizeof(waiting[0]));
    d->npending = 0;
    for (k = 0; k < n; k++)
        if (add_inst(d, waiting[k], true) < 0)
            lk_log(LK_LOG_ERR, "(%s) could not start on %s", waiting[k]->name, waiting[k]->ifname);
    if (!d->npending)
        uv_timer_stop(&d->retry);
}

/* Any link event may be the one a pending instance waits for (a veth created,
 * an address added), so pending instances are retried before the running ones
 * learn about the link. */
static void on_link(int ifindex, bool up, void *ud)
{
    struct vr_daemon *d = ud;
    struct lk_list *it, *nx;

    if (d->npending)
        retry_cb(&d->retry);

    LK_LIST_FOREACH_SAFE (it, nx, &d->insts)
        vr_inst_link_changed(LK_LIST_ELEM(it, struct vr_inst, link), ifindex, up);
}

static void stop_all(struct vr_daemon *d)
{
    struct lk_list *it, *nx;

    LK_LIST_FOREACH_SAFE (it, nx, &d->insts)
        vr_inst_stop(LK_LIST_ELEM(it, struct vr_inst, link));
}

/* Instances stop first: each master sends priority 0 (RFC 5798 6.4.3 on
 * shutdown), removes its VIPs and runs notify_stop, so the backup takes over
 * within Skew_Time instead of Master_Down_Interval. The loop then ends once
 * the remaining handles are closed. */
static void begin_stop(struct vr_daemon *d, const char *why)
{
    if (d->stopping)
        return;
    d->stopping = true;
    lk_sd_notify("STOPPING=1");
    lk_log(LK_LOG_NOTICE, "%s: stopping (masters resign with priority 0)", why);
    stop_all(d);
    vr_admin_stop(d);
    vr_linkmon_stop(d->linkmon);
    d->linkmon = NULL;
    uv_close((uv_handle_t *)&d->sigterm, NULL);
    uv_close((uv_handle_t *)&d->sigint, NULL);
    uv_close((uv_handle_t *)&d->sighup, NULL);
    uv_close((uv_handle_t *)&d->watchdog, NULL);
    uv_close((uv_handle_t *)&d->retry, NULL);
    uv_close((uv_handle_t *)&d->startup, NULL);
    d->npending = 0;
    /* after the instances' STOP lines: the reader sees them, then EOF */
    vr_notify_close(d);
}

/* SIGHUP is Keepalived's reload signal. READY=1 is sent after a failed reload
 * too: RELOADING=1 must always be ended, and the old config keeps running. */
static void signal_cb(uv_signal_t *s, int signum)
{
    struct vr_daemon *d = s->data;

    if (signum == SIGHUP) {
        lk_sd_notify_reloading();
        if (vr_daemon_reload(d) == 0)
            d->reloads++;
        lk_sd_notify("READY=1");
        return;
    }
    begin_stop(d, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* Sent from the loop itself, so a loop stuck in a callback stops the watchdog
 * and systemd restarts vrrpd. */
static void watchdog_cb(uv_timer_t *t)
{
    lk_sd_notify("WATCHDOG=1");
}

static void retry_cb(uv_timer_t *t);

/* An instance whose interface is missing or has no IPv4 (IPv6: link-local) address yet (boot
 * order, a veth created later) waits for it instead of failing: checked on
 * every link event and once a second. */
static int add_pending(struct vr_daemon *d, struct vr_inst_cfg *c)
{
    if (d->npending >= VR_MAX_PENDING)
        return -ENOSPC;
    lk_log(LK_LOG_WARNING, "(%s) waiting for interface %s (and its %s address)", c->name, c->ifname,
           c->family == AF_INET6 ? "IPv6 link-local" : "IPv4");
    d->pending[d->npending++] = c;
    if (!uv_is_active((uv_handle_t *)&d->retry))
        uv_timer_start(&d->retry, retry_cb, RETRY_MS, RETRY_MS);
    return 0;
}

/* The interface exists and has the instance's source: an IPv4 address,
 * or for IPv6 a link-local one (RFC 5798 5.1.2.1; it appears a moment
 * after the link comes up). */
static bool link_ready(const struct vr_inst_cfg *c)
{
    static const uint8_t zero[16];
    struct vr_link l;

    if (vr_link_get(c->ifname, &l) < 0)
        return false;
    if (c->family == AF_INET6)
        return memcmp(l.ll6, zero, 16) || memcmp(c->ucast_src6, zero, 16);
    return l.addr || c->ucast_src;
}

/* Create (and start) an instance for cfg. 0, also when it waits for its
 * interface; a negative errno (logged) for anything else. */
static int add_inst(struct vr_daemon *d, struct vr_inst_cfg *c, bool start)
{
    struct vr_inst *i = NULL;
    int r;

    if (!link_ready(c))
        return add_pending(d, c);
    r = vr_inst_new(&i, d, c);
    if (r < 0)
        return r;
    lk_list_append(&d->insts, &i->link);
    if (start)
        vr_inst_start(i);
    return 0;
}

/* A coarse check done for --config-test only: the program of the command
 * line (its first word, split as it will be run), an absolute path or
 * found in PATH as a shell would, executable; nothing is run. */
static bool script_found(const char *cmd)
{
    char line[512], path[768], *argv[33];
    const char *p = getenv("PATH"), *e;

    if (snprintf(line, sizeof(line), "%s", cmd) >= (int)sizeof(line))
        return false;
    if (vr_spawn_split(line, argv, 32) < 1 || !argv[0][0])
        return false;
    if (strchr(argv[0], '/'))
        return access(argv[0], X_OK) == 0;
    for (p = p ? p : "/usr/bin:/bin"; *p; p = *e ? e + 1 : e) {
        e = strchr(p, ':');
        e = e ? e : p + strlen(p);
        snprintf(path, sizeof(path), "%.*s/%s", (int)(e - p), p, argv[0]);
        if (access(path, X_OK) == 0)
            return true;
    }
    return false;
}

/* As Keepalived's --config-test: a tracked script that cannot be run
 * (Keepalived disables it, so the instance would not track it). */
static int check_scripts(const struct vr_cfg *cfg, char **err)
{
    struct lk_list *it;

    LK_LIST_FOREACH (it, &cfg->scripts) {
        const struct vr_script_cfg *s = LK_LIST_ELEM(it, struct vr_script_cfg, link);

        if (!script_found(s->script))
            return lk_cfg_err(err,
                              "%s: vrrp_script '%s': '%s' is not found or not executable "
                              "(Keepalived disables such a check)",
                              cfg->file, s->name, s->script);
    }
    return 0;
}

/* For "vrrpd -t" (Keepalived's --config-test): interfaces that do not exist
 * yet are reported although the daemon itself would wait for them, since a
 * test run is usually meant to catch typos. */
int vr_daemon_check_links(const struct vr_cfg *cfg, char **err)
{
    struct lk_list *it;
    struct vr_link l;

    LK_LIST_FOREACH (it, &cfg->instances) {
        const struct vr_inst_cfg *c = LK_LIST_ELEM(it, struct vr_inst_cfg, link);

        if (vr_link_get(c->ifname, &l) == 0)
            continue;
        lk_cfg_err(err,
                   "%s:%u: vrrp_instance '%s': interface '%s' does not exist (vrrpd itself "
                   "would wait for it)",
                   c->file, c->line, c->name, c->ifname);
        return -ENODEV;
    }
    return check_scripts(cfg, err);
}

/* Instances are built but not started: the election starts in
 * vr_daemon_run(), after privileges are dropped and the guard runs, so no
 * instance can become master without the guard holding its will. Takes
 * ownership of cfg even on failure; on failure *ret is still set and must be
 * freed with vr_daemon_free(). */
int vr_daemon_new(struct vr_daemon **ret,
                  struct vr_cfg *cfg,
                  const char *cfg_path,
                  const char *rundir)
{
    struct vr_daemon *d = calloc(1, sizeof(*d));
    struct lk_list *it;
    int r;

    if (!d) {
        vr_cfg_free(cfg);
        return -ENOMEM;
    }
    d->cfg = cfg;
    d->cfg_path = cfg_path ? strdup(cfg_path) : NULL;
    d->rundir = strdup(rundir);
    lk_list_init(&d->insts);
    lk_cmdsubs_init(&d->subs);
    /* dropped at max_out only, as vrrpd always did: no stall deadline */
    d->subs.stall_ms = 0;
    d->started_ms = lk_mono_ms();
    d->guard_fd = -1;
    d->fifo_fd[0] = d->fifo_fd[1] = -1;
    lk_list_init(&d->syncs);
    r = uv_loop_init(&d->loop);
    if (r < 0) {
        free(d);
        vr_cfg_free(cfg);
        return r;
    }
    uv_signal_init(&d->loop, &d->sigterm);
    uv_signal_init(&d->loop, &d->sigint);
    uv_signal_init(&d->loop, &d->sighup);
    uv_timer_init(&d->loop, &d->watchdog);
    uv_timer_init(&d->loop, &d->retry);
    uv_timer_init(&d->loop, &d->startup);
    d->retry.data = d->startup.data = d;
    d->sigterm.data = d->sigint.data = d->sighup.data = d;
    if (mkdir(rundir, 0755) == -1 && errno != EEXIST)
        lk_log(LK_LOG_WARNING, "cannot create %s: %s", rundir, strerror(errno));
    r = vr_sync_build(d);
    if (r == 0)
        r = vr_admin_start(d);
    if (r == 0)
        r = vr_linkmon_start(&d->linkmon, &d->loop, on_link, d);
    LK_LIST_FOREACH (it, &cfg->instances)
        if (r == 0)
            r = add_inst(d, LK_LIST_ELEM(it, struct vr_inst_cfg, link), false);
    *ret = d;
    return r;
}

static void start_insts(struct vr_daemon *d)
{
    struct lk_list *it, *nx;

    LK_LIST_FOREACH_SAFE (it, nx, &d->insts)
        vr_inst_start(LK_LIST_ELEM(it, struct vr_inst, link));
}

static void startup_cb(uv_timer_t *t)
{
    struct vr_daemon *d = t->data;

    lk_log(LK_LOG_NOTICE, "vrrp_startup_delay over: starting the instances");
    start_insts(d);
}

/* Does any script run as a user other than vrrpd's own? */
/* Capabilities needed to switch user (CAP_SETUID/SETGID) are kept only if
 * some script or FIFO reader runs as another user. */
static bool switches_user(const struct vr_cfg *cfg)
{
    struct lk_list *it;
    unsigned k;

    if (cfg->script_user || cfg->fifo.user || cfg->vrrp_fifo.user)
        return true;
    LK_LIST_FOREACH (it, &cfg->scripts)
        if (LK_LIST_ELEM(it, struct vr_script_cfg, link)->user)
            return true;
    LK_LIST_FOREACH (it, &cfg->instances)
        for (k = 0; k < VR_NOTIFY_MAX; k++)
            if (LK_LIST_ELEM(it, struct vr_inst_cfg, link)->notify.user[k])
                return true;
    LK_LIST_FOREACH (it, &cfg->syncs)
        for (k = 0; k < VR_NOTIFY_MAX; k++)
            if (LK_LIST_ELEM(it, struct vr_sync_cfg, link)->notify.user[k])
                return true;
    return false;
}

/* vrrp_priority and vrrp_no_swap, while we still may (CAP_SYS_NICE,
 * CAP_IPC_LOCK). */
static void process_settings(const struct vr_cfg *cfg)
{
    if (cfg->nice && setpriority(PRIO_PROCESS, 0, cfg->nice) == -1)
        lk_log(LK_LOG_WARNING, "vrrp_priority %d: %s", cfg->nice, strerror(errno));
    if (cfg->no_swap && mlockall(MCL_CURRENT | MCL_FUTURE) == -1)
        lk_log(LK_LOG_WARNING, "vrrp_no_swap: mlockall: %s", strerror(errno));
}

static void limit_caps(const struct vr_cfg *cfg)
{
    int r = vr_caps_limit(switches_user(cfg));

    if (r < 0)
        lk_log(LK_LOG_WARNING, "could not limit capabilities: %s", strerror(-r));
    else
        lk_log(LK_LOG_INFO, "capabilities limited to 0x%llx", vr_caps_effective());
}

int vr_daemon_run(struct vr_daemon *d)
{
    uint64_t wd = lk_sd_watchdog_ms();

    /* sockets and the admin socket are open: from here on vrrpd (and the
     * guard, and every script) needs only the network capabilities */
    process_settings(d->cfg);
    limit_caps(d->cfg);
    /* before the instances start: the first Master hands over its will */
    char wills[PATH_MAX];

    /* the wills file outlives vrrpd and its guard (systemd's ExecStopPost
     * runs it, vrrpd --resign); one left by a run nobody cleaned up after
     * is run now, before any instance starts */
    snprintf(wills, sizeof(wills), "%s/vrrpd.wills", d->rundir);
    if (vr_guard_resign(wills) > 0)
        lk_log(LK_LOG_NOTICE, "%s: resigned for the masters of a vrrpd that was killed", wills);
    d->guard_fd = vr_guard_start(wills);
    if (d->guard_fd < 0)
        lk_log(LK_LOG_WARNING, "no guard process (%s): a crash of vrrpd would leave its VIPs",
               strerror(-d->guard_fd));
    if (vr_notify_start(d) < 0)
        lk_log(LK_LOG_WARNING, "notify fifo unavailable: its events are not written");
    /* vrrp_startup_delay: links that carry traffic only some time after
     * boot (bonds) must not make us master before we hear the others */
    if (d->cfg->startup_delay_ms)
        uv_timer_start(&d->startup, startup_cb, d->cfg->startup_delay_ms, 0);
    else
        start_insts(d);
    uv_signal_start(&d->sigterm, signal_cb, SIGTERM);
    uv_signal_start(&d->sigint, signal_cb, SIGINT);
    uv_signal_start(&d->sighup, signal_cb, SIGHUP);
    if (wd)
        uv_timer_start(&d->watchdog, watchdog_cb, wd, wd);
    lk_log(LK_LOG_NOTICE, "vrrpd %s started, pid %d", LBKIT_VERSION, (int)getpid());
    lk_sd_notify("READY=1\nSTATUS=running");
    uv_run(&d->loop, UV_RUN_DEFAULT);
    lk_log(LK_LOG_NOTICE, "vrrpd stopped");
    return 0;
}

static void guard_cb(uv_timer_t *t)
{
    uv_stop(t->loop);
}

/* FIFO scripts that do not end at EOF get SIGTERM, as Keepalived sends. */
static void fifo_kill_cb(uv_timer_t *t)
{
    vr_notify_kill(t->data);
}

/* Runs the loop once more so that the masters' priority-0 adverts, VIP
 * removals and notify scripts complete before the process exits; the two
 * unref'ed timers only bound that time and do not keep the loop alive. */
struct vr_daemon *vr_daemon_free(struct vr_daemon *d)
{
    uv_timer_t guard, fifo_kill;

    if (!d)
        return NULL;
    begin_stop(d, "shutdown");
    uv_timer_init(&d->loop, &fifo_kill);
    fifo_kill.data = d;
    uv_timer_start(&fifo_kill, fifo_kill_cb, 300, 0);
    uv_unref((uv_handle_t *)&fifo_kill);
    /* let handles close and script children exit, but not forever: an
     * unref'ed guard timer stops the loop after SHUTDOWN_MAX_MS */
    uv_timer_init(&d->loop, &guard);
    uv_timer_start(&guard, guard_cb, SHUTDOWN_MAX_MS, 0);
    uv_unref((uv_handle_t *)&guard);
    uv_run(&d->loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&guard, NULL);
    uv_close((uv_handle_t *)&fifo_kill, NULL);
    vr_notify_kill(d);
    uv_run(&d->loop, UV_RUN_NOWAIT);
    if (uv_loop_close(&d->loop) != 0)
        lk_log(LK_LOG_DEBUG, "loop closed with open handles");
    /* every will was revoked as the instances stopped: the guard exits */
    if (d->guard_fd >= 0)
        close(d->guard_fd);
    vr_sync_free_all(d);
    vr_cfg_free(d->cfg);
    free(d->cfg_path);
    free(d->rundir);
    free(d);
    return NULL;
}

static struct vr_inst *find_inst(struct vr_daemon *d, const char *name)
{
    struct lk_list *it;

    LK_LIST_FOREACH (it, &d->insts) {
        struct vr_inst *i = LK_LIST_ELEM(it, struct vr_inst, link);

        if (!strcmp(i->cfg->name, name))
            return i;
    }
    return NULL;
}

/* Parse into a new config first: an invalid file changes nothing. An instance
 * whose group, addresses and timing are unchanged keeps its state (a master
 * stays master, no VIP flaps); any other is stopped (resigning) and started
 * afresh from the new config, as Keepalived does. The old config is freed
 * last, once nothing points into it. */
int vr_daemon_reload(struct vr_daemon *d)
{
    struct vr_cfg *nc = NULL, *old = d->cfg;
    struct lk_list *it, *nx;
    char *err = NULL;
    int r;

    if (!d->cfg_path)
        return lk_log_errno(-ENOENT, LK_LOG_WARNING, "reload: no configuration file");
    r = vr_cfg_load_file(d->cfg_path, &nc, &err);
    if (r < 0) {
        lk_log(LK_LOG_ERR, "reload refused, keeping the running configuration: %s", err);
        free(err);
        return r;
    }
    d->cfg = nc;
    d->npending = 0; /* they point into the old config; re-added below */
    /* instances gone or changed stop (and resign); unchanged ones keep
     * their state and take the new settings in place */
    LK_LIST_FOREACH_SAFE (it, nx, &d->insts) {
        struct vr_inst *i = LK_LIST_ELEM(it, struct vr_inst, link);
        struct vr_inst_cfg *c = vr_cfg_find_inst(nc, i->cfg->name);

        if (c && vr_inst_cfg_same(i->cfg, c)) {
            vr_inst_reconfigure(i, c);
            lk_log(LK_LOG_NOTICE, "(%s) reloaded in place, staying %s", c->name,
                   vr_state_name(i->fsm.state));
        } else {
            vr_inst_stop(i);
        }
    }
    /* the groups now point into the new config, keeping their state */
    if (vr_sync_build(d) < 0)
        lk_log(LK_LOG_ERR, "reload: sync groups not rebuilt");
    LK_LIST_FOREACH (it, &nc->instances) {
        struct vr_inst_cfg *c = LK_LIST_ELEM(it, struct vr_inst_cfg, link);

        if (!find_inst(d, c->name) && add_inst(d, c, true) < 0)
            lk_log(LK_LOG_ERR, "(%s) could not start after reload", c->name);
    }
    vr_cfg_free(old);
    if (nc->fifo_states_on_reload)
        LK_LIST_FOREACH (it, &d->insts) {
            const struct vr_inst *i = LK_LIST_ELEM(it, struct vr_inst, link);
            enum vr_state st = i->fsm.state;

            vr_notify_fifo(d, "INSTANCE", i->cfg->name,
                           st == VR_STATE_INIT ? "STOP" : vr_state_name(st), i->prio_now);
        }
    if (nc->fifo_states_on_reload)
        vr_sync_write_states(d);
    lk_log(LK_LOG_NOTICE, "configuration reloaded from %s", d->cfg_path);
    return 0;
}
