/* master.h - lbd's master process (lbd -W, or "master-worker" in global),
 * HAProxy's master-worker model:
 *
 *  - the master loads the config, binds every listener (one SO_REUSEPORT
 *    socket per frontend bind and worker thread, stats-only listeners,
 *    RUNDIR/lbd.sock and each "stats socket") and holds them; it never
 *    forwards a byte;
 *  - it starts the worker, lbd itself exec'd again with the same arguments
 *    and the sockets inherited (mwlink.h describes the hand-over);
 *  - SIGUSR2 or SIGHUP (or "reload" on the master CLI) reloads: the file
 *    is parsed again; invalid, the error is logged and the running worker
 *    keeps serving; valid, new listeners are bound, a new worker starts on
 *    the same sockets, and once it says "ready" the old one gets SIGTERM
 *    (stops accepting, drains within hard-stop-after); listeners the new
 *    config lacks are closed then. RELOADING=1 ... READY=1 to systemd;
 *  - a worker that dies is replaced at once on the same sockets, so the
 *    connections waiting in their accept queues are served; more than
 *    LB_MASTER_RESPAWNS deaths in 10 s and the master gives up (exit 1);
 *    one whose health lines stop for 5 s (hung) is killed and replaced;
 *  - operator state (MAINT/DRAIN, weights, added servers) goes from each
 *    worker to the master and on to the next worker;
 *  - the master CLI (-S PATH): "show proc", "reload", "subscribe health"
 *    (what vrrpd's track_lbd follows in this mode), "help".
 * SIGTERM/SIGINT: passed to every worker; the master exits when they have. */
#ifndef LB_MASTER_H
#define LB_MASTER_H

#include "common/args.h"

#define LB_MASTER_RESPAWNS 5

/* Run the master until it stops: a->file is read and parsed here (again
 * at each reload), and each worker parses the very text the master
 * validated (a file edited since is not read until the next reload).
 * argv is the process's own, passed to each worker unchanged; a is
 * borrowed. Returns the process exit code. */
int lb_master_run(const struct lk_args *a, char **argv);

#endif
