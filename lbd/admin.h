/* admin.h - lbd's admin sockets: RUNDIR/lbd.sock (level admin) and each
 * "stats socket" of the config, all speaking HAProxy's runtime API framing
 * (common/cmdsrv.h).
 *
 * Health contract with vrrpd ("subscribe health"): the connection stays
 * open and lbd writes one line every 500 ms and at once on a change:
 *     health ok <detail>
 *     health fail <reason>
 * EOF means lbd died or is stopping; no line for longer than the
 * subscriber's timeout means lbd's control loop is hung. See
 * lb_daemon_healthy() for what "ok" means. */
#ifndef LB_ADMIN_H
#define LB_ADMIN_H

struct lb_daemon;
struct lb_admin;

/* Bind the sockets. Returns 0 or a negative errno (logged). */
int lb_admin_start(struct lb_daemon *d);

/* Start the health heartbeat (after the workers run). */
void lb_admin_run(struct lb_daemon *d);

/* Close every socket and subscriber (lbd is stopping). */
void lb_admin_stop(struct lb_daemon *d);

/* Free what lb_admin_start() allocated, after the loop has closed it. */
void lb_admin_free(struct lb_daemon *d);

#endif
