/* admin.h - lbd's admin sockets: RUNDIR/lbd.sock (level admin) and each
 * "stats socket" of the config, all speaking HAProxy's runtime API framing
 * (common/cmdsrv.h).
 *
 * Health contract with vrrpd ("subscribe health"): the connection stays
 * open and lbd writes one line every 500 ms (a change therefore reaches
 * vrrpd within 500 ms; vrrpd's own timeout catches a hung lbd):
 *     health ok <detail>
 *     health fail <reason>
 * EOF means lbd died or is stopping; no line for longer than the
 * subscriber's timeout means lbd's control loop is hung. See
 * lb_daemon_healthy() for what "ok" means. */
#ifndef LB_ADMIN_H
#define LB_ADMIN_H

#include "lbd/core/proxy_types.h"

struct lb_daemon;
struct lb_admin;

/* Bind the sockets. Returns 0 or a negative errno (logged). */
int lb_admin_start(struct lb_daemon *d);

/* Start the health heartbeat (after the workers run). */
void lb_admin_run(struct lb_daemon *d);

/* Close every socket and subscriber (lbd is stopping). */
void lb_admin_stop(struct lb_daemon *d);

/* Change a server's admin state as an operator does (lbd.sock, stats page):
 * workers see it at once, checkd's feed mirrors MAINT/DRAIN, health UP/DOWN
 * reset the check counter, DOWN honours on-marked-down; logged with `by`. */
void lb_admin_set_server_state(struct lb_daemon *d,
                               struct lb_server *s,
                               enum lb_srv_state st,
                               const char *by);

/* "add server BE/NAME ARGS..." without a client (how a new worker re-adds
 * the servers of the previous one, mwlink.c): ARGS are the words after
 * BE/NAME, borrowed. Returns 0, or -EINVAL with HAProxy's refusal in *err
 * (owned by the caller): name taken, invalid line, no room left. */
int lb_admin_add_server(struct lb_daemon *d,
                        struct lb_proxy *be,
                        const char *name,
                        int argc,
                        char **argv,
                        char **err);

/* Free what lb_admin_start() allocated, after the loop has closed it. */
void lb_admin_free(struct lb_daemon *d);

#endif
