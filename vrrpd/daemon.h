/* daemon.h - vrrpd as a whole: one loop, the instances of the config, the
 * link monitor, the admin socket, signals and reload.
 *
 * The struct is visible to the modules of vrrpd (inst.c, admin.c); outside
 * vrrpd only the functions are used. */
#ifndef VR_DAEMON_H
#define VR_DAEMON_H

#include <stdbool.h>
#include <uv.h>

#include "common/cmdsrv.h"
#include "common/list.h"
#include "vrrpd/cfg.h"

#define VR_MAX_PENDING 64

struct lk_cmdsrv;
struct vr_linkmon;
struct vr_child;

struct vr_daemon {
    uv_loop_t loop;
    struct vr_cfg *cfg; /* owned; replaced on reload */
    char *cfg_path;     /* NULL: config came from memory, no reload */
    char *rundir;
    struct lk_list insts; /* struct vr_inst */
    struct vr_linkmon *linkmon;
    struct lk_cmdsrv *admin;
    struct lk_cmdsubs subs; /* "subscribe events" connections */
    uv_signal_t sigterm, sigint, sighup;
    uv_timer_t watchdog;
    uv_timer_t retry;               /* instances waiting for their interface */
    int guard_fd;                   /* write end of the guard's pipe (guard.h), -1: none */
    int fifo_fd[2];                 /* notify_fifo, vrrp_notify_fifo (notify.h), -1: none */
    struct vr_child *fifo_child[2]; /* their scripts, NULL: none */
    struct lk_list syncs;           /* struct vr_sync (sync.h) */
    uv_timer_t startup;             /* vrrp_startup_delay */
    struct vr_inst_cfg *pending[VR_MAX_PENDING];
    unsigned npending;
    bool stopping;
    uint64_t started_ms;
    unsigned reloads;
};

/* For -t: every instance's interface exists and every vrrp_script's
 * program can be run, as Keepalived's --config-test checks (the daemon
 * itself waits for a missing interface). 0, or a negative errno with
 * "FILE:LINE: ..." in *err (caller frees). */
int vr_daemon_check_links(const struct vr_cfg *cfg, char **err);

/* Build the daemon around a loaded config (ownership moves in, also on
 * failure). Binds RUNDIR/vrrpd.sock. 0 or a negative errno (logged). */
int vr_daemon_new(struct vr_daemon **ret,
                  struct vr_cfg *cfg,
                  const char *cfg_path,
                  const char *rundir);

/* Start the instances, notify systemd, run until SIGTERM/SIGINT. Returns
 * the process exit code. */
int vr_daemon_run(struct vr_daemon *d);

/* Accepts NULL; returns NULL. After vr_daemon_run() returned. */
struct vr_daemon *vr_daemon_free(struct vr_daemon *d);

/* Reload the config file (SIGHUP): instances whose group is unchanged keep
 * their state (a master stays master); others restart. 0 or -errno. */
int vr_daemon_reload(struct vr_daemon *d);

#endif
