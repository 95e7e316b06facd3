/* daemon.c - the daemon object; see daemon.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/cmdsrv.h"
#include "common/log.h"
#include "common/sdnotify.h"
#include "lbd/cfg/cfg.h"
#include "lbd/core/daemon.h"
#include "lbd/core/dns.h"
#include "lbd/core/mwlink.h"
#include "lbd/core/peers.h"
#include "lbd/core/server.h"
#include "lbd/core/worker.h"
#include "lbd/ctl/admin.h"
#include "lbd/ctl/errors.h"
#include "lbd/ctl/hc.h"
#include "lbd/ctl/stats_http.h"

/* Used when "hard-stop-after" is not set: HAProxy waits for ever, but a stop
 * that never ends leaves systemd to SIGKILL us with connections in an unknown
 * state, so lbd bounds the drain itself. */
#define DEFAULT_GRACE_MS 30000

/* now=0 asks each worker to close its listeners and let sessions finish;
 * now=1 closes every session at once. Workers skipped as NULL are those
 * start_workers() never built. */
static void stop_workers(struct lb_daemon *d, int now)
{
    unsigned i;

    for (i = 0; i < d->nworkers; i++)
        if (d->workers[i])
            lb_worker_stop(d->workers[i], now);
}

static void grace_cb(uv_timer_t *t)
{
    struct lb_daemon *d = t->data;

    lk_log(LK_LOG_WARNING, "grace period over: closing %u remaining connections",
           atomic_load(&d->actconn));
    stop_workers(d, 1);
}

/* The control-plane services, in one list for the graceful stop and for
 * lb_daemon_free() after a failed start, so that a service added to lbd is
 * stopped on both paths. Each stop function accepts a service that never
 * started or started half way. */
static void stop_services(struct lb_daemon *d)
{
    lb_admin_stop(d);
    lb_hc_stop(d);
    lb_dns_stop(d);
    lb_peers_stop(d);
    lb_stats_http_stop(d);
    lb_mw_stop(d->mw);
}

/* The graceful stop, as HAProxy's soft-stop: listeners close first so the
 * kernel refuses new connections, established sessions get "grace" ms. Control-plane services stop
 * before the workers so nothing hands work to a worker that is draining. A second SIGTERM/SIGINT
 * skips the wait.
 *
 * The grace timer is unref'd: it must not keep the loop alive once every
 * worker has reported done (workers_done_cb closes it then), it only bounds
 * how long that may take. */
static void begin_stop(struct lb_daemon *d, const char *why)
{
    uint64_t grace =
        d->cfg->global.hard_stop_after_ms ? d->cfg->global.hard_stop_after_ms : DEFAULT_GRACE_MS;

    if (d->stopping) {
        lk_log(LK_LOG_NOTICE, "%s again: closing all connections now", why);
        stop_workers(d, 1);
        return;
    }
    d->stopping = 1;
    lk_sd_notify("STOPPING=1");
    lk_log(LK_LOG_NOTICE, "%s: no longer accepting; %u connections get up to %llu ms to finish",
           why, atomic_load(&d->actconn), (unsigned long long)grace);
    stop_services(d);
    stop_workers(d, 0);
    uv_timer_start(&d->grace, grace_cb, grace, 0);
    uv_unref((uv_handle_t *)&d->grace);
}

static void signal_cb(uv_signal_t *s, int signum)
{
    struct lb_daemon *d = s->data;

    /* SIGHUP is HAProxy's reload signal; lbd reloads only through its master
     * (lbd -W), which keeps the listeners across workers, so say so rather
     * than ignore the signal silently. */
    if (signum == SIGHUP) {
        lk_log(LK_LOG_WARNING, "SIGHUP: %s",
               d->mw ? "reloads are the master's: signal it"
                     : "reload needs master-worker mode (lbd -W); "
                       "restart lbd to apply a new configuration");
        return;
    }
    begin_stop(d, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* The master-worker channel closed: the master died or was killed. A worker
 * without its master cannot be reloaded or stopped by the service manager, so
 * it stops rather than run orphaned. */
static void master_gone(struct lb_daemon *d)
{
    if (!d->stopping) /* a stopping worker has closed the channel itself */
        begin_stop(d, "master process gone");
}

static void workers_done_cb(uv_async_t *a);

/* Workers run on their own threads; uv_async_send is the one libuv call that
 * is safe from another thread. Several sends may coalesce into one callback,
 * hence the counter rather than counting callbacks. */
void lb_daemon_worker_done(struct lb_daemon *d)
{
    atomic_fetch_add(&d->workers_done, 1);
    uv_async_send(&d->done_async);
}

/* Once the last worker is done, close the control loop's own handles so
 * uv_run() returns. Admin, hc, dns and stats handles were closed by
 * begin_stop(); nothing here is freed, the handles live in *d until
 * lb_daemon_free(). */
static void workers_done_cb(uv_async_t *a)
{
    struct lb_daemon *d = a->data;

    if (atomic_load(&d->workers_done) < d->nworkers)
        return;
    uv_close((uv_handle_t *)&d->done_async, NULL);
    uv_close((uv_handle_t *)&d->sigterm, NULL);
    uv_close((uv_handle_t *)&d->sigint, NULL);
    uv_close((uv_handle_t *)&d->sighup, NULL);
    uv_close((uv_handle_t *)&d->grace, NULL);
    uv_close((uv_handle_t *)&d->health_tick, NULL);
}

void lb_daemon_shutdown_server(struct lb_daemon *d, struct lb_server *s)
{
    unsigned i;

    for (i = 0; i < d->nworkers; i++)
        lb_worker_shutdown_server(d->workers[i], s);
}

/* Called by vrrpd's track_lbd probe through the admin socket. A false
 * "healthy" would keep the VIP on a box that cannot serve, so each test is
 * one that a failing box actually fails: a worker loop that has not ticked
 * for 2 s (the heartbeat timer runs every few hundred ms) is stuck, and a
 * frontend whose default backend has no usable server would only answer with
 * 503s or resets. */
int lb_daemon_healthy(struct lb_daemon *d, char *why, size_t len)
{
    uint64_t now = lk_mono_ms(), hb;
    struct lb_proxy *px;
    unsigned i;

    if (d->stopping) {
        snprintf(why, len, "stopping");
        return 0;
    }
    for (i = 0; i < d->nworkers; i++) {
        hb = atomic_load(&d->workers[i]->heartbeat_ms);
        if (now > hb + 2000) {
            snprintf(why, len, "worker %u stalled for %llu ms", i, (unsigned long long)(now - hb));
            return 0;
        }
    }
    for (px = d->cfg->proxies; px; px = px->next) {
        struct lb_proxy *be = px->default_backend;

        if (!(px->cap & LB_CAP_FE) || !be || !be->nservers)
            continue;
        for (i = 0; i < be->nservers; i++)
            if (lb_server_usable(be->servers[i]))
                break;
        if (i == be->nservers) {
            snprintf(why, len, "backend '%s' has no server available", be->name);
            return 0;
        }
    }
    snprintf(why, len, "%u listeners, %u workers", d->workers ? d->workers[0]->nlisteners : 0,
             d->nworkers);
    return 1;
}

/* An existing directory is fine: it is shared across restarts, and its mode
 * is the administrator's business once created. */
static int make_rundir(const char *dir)
{
    if (mkdir(dir, 0755) == 0 || errno == EEXIST)
        return 0;
    return -errno;
}

static int write_pidfile(const char *path)
{
    char buf[32];
    int fd, n, r = 0;

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
    if (write(fd, buf, (size_t)n) != n)
        r = -EIO;
    close(fd);
    return r;
}

/* Order matters: setgroups and setgid need root, so they come before setuid;
 * dropping supplementary groups stops a worker from keeping root's groups
 * (e.g. disk or adm) after the switch. */
static int drop_privileges(const struct lb_global *g)
{
    if (g->gid != (gid_t)-1 && (setgroups(0, NULL) < 0 || setgid(g->gid) < 0))
        return -errno;
    if (g->uid != (uid_t)-1 && setuid(g->uid) < 0)
        return -errno;
    /* a changed uid makes the process undumpable; set-dumpable asks back */
    if (g->dumpable && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
        return -errno;
    return 0;
}

/* "ulimit-n N": the descriptor limit, raised before any socket is made. */
static int apply_ulimit(const struct lb_global *g)
{
    struct rlimit rl = {g->ulimit_n, g->ulimit_n};

    if (!g->ulimit_n || setrlimit(RLIMIT_NOFILE, &rl) == 0)
        return 0;
    return -errno;
}

/* On failure nworkers is cut to the workers built so far, so lb_daemon_free()
 * frees exactly those. */
static int start_workers(struct lb_daemon *d)
{
    char *err = NULL;
    unsigned i;
    int r;

    d->nworkers = d->cfg->global.nbthread;
    d->workers = calloc(d->nworkers, sizeof(*d->workers));
    if (!d->workers)
        return -ENOMEM;
    for (i = 0; i < d->nworkers; i++) {
        r = lb_worker_new(&d->workers[i], d, i, &err);
        if (r < 0) {
            lk_log(LK_LOG_ERR, "%s", err ? err : strerror(-r));
            free(err);
            d->nworkers = i;
            return r;
        }
    }
    return 0;
}

/* Initialised in one place, before anything can fail, so that
 * lb_daemon_free() may close every one of them unconditionally. */
static void init_loop_handles(struct lb_daemon *d)
{
    uv_signal_init(&d->loop, &d->sigterm);
    uv_signal_init(&d->loop, &d->sigint);
    uv_signal_init(&d->loop, &d->sighup);
    uv_timer_init(&d->loop, &d->grace);
    uv_timer_init(&d->loop, &d->health_tick);
    uv_async_init(&d->loop, &d->done_async, workers_done_cb);
    d->sigterm.data = d->sigint.data = d->sighup.data = d;
    d->grace.data = d->health_tick.data = d->done_async.data = d;
}

/* What follows a server state change, whoever caused it: an operator's
 * decision is mirrored to checkd (so the feed and monitoring agree with
 * the admin socket), and a server going DOWN with on-marked-down
 * shutdown-sessions cuts its sessions so that clients (MariaDB ones
 * especially) reconnect to a healthy server at once. A non-backup server
 * coming back UP (from DOWN or MAINT) with an effective weight and
 * on-marked-up shutdown-backup-sessions cuts the sessions of every backup
 * server of its backend, as HAProxy does, so they move back to it. */
static void shutdown_backups(struct lb_daemon *d, struct lb_proxy *be)
{
    unsigned i, n = atomic_load(&be->nservers);

    for (i = 0; i < n; i++) {
        unsigned f = atomic_load(&be->servers[i]->flags);

        if ((f & LB_SRV_F_BACKUP) && !(f & LB_SRV_F_DELETED))
            lb_daemon_shutdown_server(d, be->servers[i]);
    }
}

static void server_changed(void *ctx,
                           struct lb_server *s,
                           enum lb_srv_state old,
                           enum lb_srv_state now,
                           enum lb_srv_cause cause)
{
    struct lb_daemon *d = ctx;

    if (cause == LB_CAUSE_OPERATOR) {
        lb_hc_server_admin(d, s);
        lb_mw_note_admin(d->mw, s, now);
    }
    if (now == LB_SRV_DOWN && old != LB_SRV_DOWN && s->shutdown_on_down)
        lb_daemon_shutdown_server(d, s);
    if (now == LB_SRV_UP && (old == LB_SRV_DOWN || old == LB_SRV_MAINT) && s->shutdown_bk_on_up &&
        !(atomic_load(&s->flags) & LB_SRV_F_BACKUP) && atomic_load(&s->cur_weight) > 0)
        shutdown_backups(d, s->be);
}

/* One observer for all proxies: backends built at run time ("add backend"
 * does not exist, but "add server" does) inherit it through their proxy, so
 * every server state change reaches server_changed(). */
static void observe_servers(struct lb_daemon *d)
{
    struct lb_proxy *px;

    d->srv_observer.changed = server_changed;
    d->srv_observer.ctx = d;
    for (px = d->cfg->proxies; px; px = px->next)
        px->srv_observer = &d->srv_observer;
}

/* Order of the steps: ulimit before any socket; listeners (in the workers)
 * and admin sockets while still root, so privileged ports and root-owned run
 * directories work; the master's saved state before the first client can see
 * a server; pidfile, chroot, then privileges last. A failed ulimit is only a
 * warning, as in HAProxy: the daemon still works with fewer connections. */
int lb_daemon_new(struct lb_daemon **ret, struct lb_cfg *cfg, const char *rundir, struct lb_mw *mw)
{
    struct lb_daemon *d;
    int r;

    d = calloc(1, sizeof(*d));
    if (!d) {
        lb_mw_free(mw);
        return -ENOMEM;
    }
    d->mw = mw;
    d->cfg = cfg;
    d->rundir = strdup(rundir);
    d->start_wall_us = lk_wall_us();
    d->start_mono_ms = lk_mono_ms();
    r = uv_loop_init(&d->loop);
    if (r < 0) {
        lb_mw_free(mw);
        free(d->rundir);
        free(d);
        return r;
    }
    init_loop_handles(d);
    observe_servers(d);
    r = apply_ulimit(&cfg->global);
    if (r < 0)
        lk_log_errno(r, LK_LOG_WARNING, "ulimit-n %u: %m", cfg->global.ulimit_n);
    d->errors = lb_errors_new(cfg);
    r = d->errors ? make_rundir(rundir) : -ENOMEM;
    if (r < 0) {
        lk_log_errno(r, LK_LOG_ERR, "cannot create runtime directory %s: %m", rundir);
        goto fail;
    }
    /* before the workers: they hand stats requests to it (stats_http.h) */
    r = lb_stats_http_start(d);
    if (r < 0)
        goto fail;
    r = start_workers(d);
    if (r < 0)
        goto fail;
    r = lb_admin_start(d);
    if (r < 0)
        goto fail;
    lb_mw_apply_state(d->mw, d);
    /* under a master the pidfile names the master, which wrote it */
    if (!mw && cfg->global.pidfile && (r = write_pidfile(cfg->global.pidfile)) < 0) {
        lk_log_errno(r, LK_LOG_ERR, "cannot write pidfile %s: %m", cfg->global.pidfile);
        goto fail;
    }
    /* the jail: after the sockets and files are in, before giving up root */
    if (cfg->global.chroot && mw && (r = lb_mw_chroot(mw, cfg->global.chroot)) < 0)
        goto fail;
    r = drop_privileges(&cfg->global);
    if (r < 0) {
        lk_log_errno(r, LK_LOG_ERR, "cannot drop privileges: %m");
        goto fail;
    }
    *ret = d;
    return 0;
fail:
    lb_daemon_free(d);
    return r;
}

int lb_daemon_run(struct lb_daemon *d)
{
    unsigned i;
    int r;

    /* A worker that cannot start stops the whole daemon: a load balancer with
     * fewer threads than configured would silently serve less than its capacity,
     * which the operator sized on purpose. The loop still runs so the started
     * workers drain and report done. */
    for (i = 0; i < d->nworkers; i++) {
        r = lb_worker_start(d->workers[i]);
        if (r < 0) {
            lk_log_errno(r, LK_LOG_ERR, "cannot start worker thread: %m");
            d->nworkers = i;
            d->exit_code = 1;
            begin_stop(d, "startup failure");
            break;
        }
    }
    uv_signal_start(&d->sigterm, signal_cb, SIGTERM);
    uv_signal_start(&d->sigint, signal_cb, SIGINT);
    uv_signal_start(&d->sighup, signal_cb, SIGHUP);
    lb_admin_run(d);
    /* first: a jailed worker reaches checkd through the master */
    if (d->mw && lb_mw_start(d->mw, d, master_gone) < 0) {
        lk_log(LK_LOG_ERR, "cannot talk to the master process: stopping");
        d->exit_code = 1;
        begin_stop(d, "no master");
    }
    if (!d->stopping && lb_hc_start(d) < 0)
        lk_log(LK_LOG_WARNING, "health checks via checkd are not running");
    /* Unlike checkd, DNS failure is fatal: servers that only have a hostname
     * would stay in MAINT for ever. */
    if (lb_dns_start(d) < 0) {
        d->exit_code = 1;
        begin_stop(d, "run-time DNS failure");
    }
    /* a peers port taken means the tables would silently stop being shared */
    if (!d->stopping && lb_peers_start(d) < 0) {
        d->exit_code = 1;
        begin_stop(d, "peers listener failure");
    }
    lk_log(LK_LOG_NOTICE, "lbd %s started: %u worker thread%s, pid %d", LBKIT_VERSION, d->nworkers,
           d->nworkers == 1 ? "" : "s", (int)getpid());
    /* READY only now: systemd orders dependants (vrrpd, monitoring) after us, and
     * they expect listeners to be bound and the admin socket to answer. */
    lk_sd_notify("READY=1\nSTATUS=serving");
    uv_run(&d->loop, UV_RUN_DEFAULT);
    lk_log(LK_LOG_NOTICE, "lbd stopped");
    return d->exit_code;
}

struct lb_daemon *lb_daemon_free(struct lb_daemon *d)
{
    unsigned i;

    if (!d)
        return NULL;
    /* Reached without begin_stop() when lb_daemon_new() failed half way: the
     * services may be half started, and each stop function accepts that. */
    if (!d->stopping)
        stop_services(d);
    for (i = 0; i < d->nworkers; i++)
        lb_worker_free(d->workers[i]);
    free(d->workers);
    /* Workers that never ran never report done: close the control handles
     * directly (nworkers = 0 satisfies the check in workers_done_cb), then run
     * the loop once so their close callbacks fire before uv_loop_close(). */
    if (atomic_load(&d->workers_done) < d->nworkers || !d->nworkers) {
        d->nworkers = 0;
        workers_done_cb(&d->done_async);
    }
    uv_run(&d->loop, UV_RUN_NOWAIT);
    if (uv_loop_close(&d->loop) != 0)
        lk_log(LK_LOG_DEBUG, "control loop closed with open handles");
    lb_admin_free(d);
    lb_hc_free(d);
    lb_dns_free(d);
    lb_peers_free(d);
    free(d->stats_http);
    lb_errors_free(d->errors);
    lb_mw_free(d->mw);
    free(d->rundir);
    free(d);
    return NULL;
}
