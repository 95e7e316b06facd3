/* daemon.h - the lbd daemon object: config, worker threads, control loop
 * (signals, admin sockets), process-wide counters. main.c only parses
 * arguments and calls these. */
#ifndef LB_LBD_H
#define LB_LBD_H

#include <stdatomic.h>
#include <stdint.h>
#include <uv.h>

#include "lbd/core/proxy_types.h"
#include "lbd/core/server.h"

struct lb_hc;
struct lb_mw;
struct lb_worker;
struct lk_cmdsrv;

struct lb_daemon {
    struct lb_cfg *cfg;
    uv_loop_t loop; /* control loop: signals, admin sockets, health */
    uv_signal_t sigterm, sigint, sighup;
    uv_timer_t grace, health_tick;
    uv_async_t done_async; /* workers report their end through it */
    struct lb_worker **workers;
    unsigned nworkers;
    char *rundir;
    uint64_t start_wall_us;
    uint64_t start_mono_ms;
    _Atomic unsigned actconn; /* current connections, all frontends */
    _Atomic uint64_t cumconn;
    _Atomic unsigned workers_done;
    int stopping;
    int exit_code;
    struct lb_admin *admin_state;        /* admin.c */
    struct lb_hc *hc;                    /* hc.c: checkd feed follower, NULL without checks */
    struct lb_stats_http *stats_http;    /* stats_http.c */
    struct lb_errors *errors;            /* errors.c: "show errors" captures */
    struct lb_dns *dns;                  /* dns.c: run-time resolution, NULL without it */
    struct lb_peers *peers;              /* peers.c: shared stick tables, NULL without them */
    struct lb_srv_observer srv_observer; /* server state changes, see observe() */
    struct lb_mw *mw;                    /* mwlink.c: our master (lbd -W), or NULL */
};

/* Build the daemon: bind every listener and admin socket (or, with `mw`,
 * take them from the master and apply the state it handed over), but
 * start no thread yet. Takes ownership of mw (may be NULL) even on
 * failure. On failure returns a negative errno and has logged why. */
int lb_daemon_new(struct lb_daemon **ret, struct lb_cfg *cfg, const char *rundir, struct lb_mw *mw);

/* Start workers, notify systemd, run until stopped; returns the exit code. */
int lb_daemon_run(struct lb_daemon *d);

/* NULL-safe; returns NULL. Does not free the config. */
struct lb_daemon *lb_daemon_free(struct lb_daemon *d);

/* Called by a worker thread when it has finished (thread-safe). */
void lb_daemon_worker_done(struct lb_daemon *d);

/* Close the sessions of server `s` in every worker (asynchronously). */
void lb_daemon_shutdown_server(struct lb_daemon *d, struct lb_server *s);

/* lbd's own notion of healthy, the contract vrrpd's track_lbd relies on:
 * listeners bound, every worker loop ticked within the last 2 s, and the
 * default_backend of every frontend has at least one usable server
 * (use_backend targets are not looked at). Writes a
 * one-line reason into why. Returns 1 if healthy. */
int lb_daemon_healthy(struct lb_daemon *d, char *why, size_t len);

#endif
