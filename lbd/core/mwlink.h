/* mwlink.h - the worker's side of master-worker mode (lbd -W): the
 * listening sockets it inherits instead of binding, its control channel
 * to the master, and the operator state it carries over to the next
 * worker (docs/lbd.md, "Master-worker").
 *
 * The master (master.c) starts a worker by exec'ing lbd again with
 * LBD_MW_ENV set to "ctl=FD;state=FD;cfg=FD;KEY=FD;..." where cfg is the
 * configuration text the master validated (the worker parses that, not
 * the file, which may have changed), each KEY names one listening socket
 * (lb_mw_key_*) and FD is its number in the worker.
 *
 * Control channel, one line per message, both ways on a socketpair:
 *   worker -> master  "ready"                    serving; stop the old one
 *                     "health ok|fail WHY"        every 500 ms
 *                     "state-begin", "state LINE"..., "state-end"
 *                                                the operator state, sent
 *                                                after every change
 *                     "checkd"                   (chroot) connect to checkd
 *                                                for me
 *   master -> worker  "checkd ok" + the connected socket (SCM_RIGHTS), or
 *                     "checkd fail ERRNO"
 * EOF from the master (it died) makes the worker stop as on SIGTERM, so
 * that no orphan keeps serving.
 *
 * State lines (the master keeps the last set and hands it to the next
 * worker through the "state" memfd):
 *   add BE SRV ARGS...     a server added with "add server BE/SRV ARGS"
 *   admin BE SRV maint|drain
 *   weight BE SRV N
 * The next worker applies them after loading its config; lines naming a
 * backend or server the new config lacks are dropped. */
#ifndef LB_MWLINK_H
#define LB_MWLINK_H

#include <stddef.h>
#include <uv.h>

#include "lbd/core/proxy_types.h"

#define LB_MW_ENV "LBD_MW"

struct lb_daemon;
struct lb_mw;

/* Room for any key below (both sides must cut a long one alike). */
#define LB_MW_KEY_MAX 512

/* Key of the listening socket of bind `a` of proxy `proxy` for worker
 * thread `thread` ("T0@127.0.0.1:80/web"), of a stats-only listener ("H@ADDR") and of
 * a Unix admin socket ("U@PATH"). Write into buf, return buf. Each writes into the caller's buf
 * (len bytes) and returns buf. */
const char *lb_mw_key_bind(char *buf,
                           size_t len,
                           unsigned thread,
                           const char *proxy,
                           const struct lk_addr *a);
const char *lb_mw_key_http(char *buf, size_t len, const struct lk_addr *a);
const char *lb_mw_key_unix(char *buf, size_t len, const char *path);

/* Read LBD_MW_ENV (and unset it, so nothing we run inherits it). *ret is
 * NULL when lbd was not started by a master. Returns 0, or a negative
 * errno if the variable is malformed (logged). The link is the caller's, freed with lb_mw_free()
 * (or handed to lb_daemon_new(), which takes it). */
int lb_mw_from_env(struct lb_mw **ret);

/* The inherited socket for `key`, or -1 if the master passed none. The
 * caller owns it from then on; a second call for the same key gets -1. */
int lb_mw_take_fd(struct lb_mw *m, const char *key);

/* Parse the configuration text the master validated (its "cfg" memfd),
 * named `name` in messages. As lb_cfg_load_mem(); -EINVAL with *err when
 * the master passed none. */
int lb_mw_load_cfg(struct lb_mw *m, const char *name, struct lb_cfg **ret, char **err);

/* Apply the state the master handed over (see above) to d's config.
 * Control thread, before the workers start. Returns the lines applied. */
int lb_mw_apply_state(struct lb_mw *m, struct lb_daemon *d);

/* Open the control channel on d's loop and tell the master "ready" once
 * checkd's first snapshot arrived (or after 2 s without it). Master EOF
 * calls gone(d). Returns 0 or a negative errno. */
int lb_mw_start(struct lb_mw *m, struct lb_daemon *d, void (*gone)(struct lb_daemon *d));

/* Enter the "chroot" jail (and chdir there): after the sockets are taken
 * and the config read, before dropping privileges. From then on checkd is
 * reached through the master (lb_mw_ask_checkd()). 0 or a negative errno
 * (logged). */
int lb_mw_chroot(struct lb_mw *m, const char *dir);

/* True once lb_mw_chroot() succeeded: paths outside the jail are gone. */
int lb_mw_jailed(const struct lb_mw *m);

/* Ask the master for a connection to checkd (the master knows where it
 * listens); the answer goes to lb_hc_adopt(). */
void lb_mw_ask_checkd(struct lb_mw *m);

/* Close the control channel (the loop frees it). */
void lb_mw_stop(struct lb_mw *m);

/* Report lbd's own health to the master (lb_daemon_healthy()'s verdict). */
void lb_mw_health(struct lb_mw *m, int ok, const char *why);

/* Operator decisions to carry over. NULL-safe on m. note_admin takes
 * LB_SRV_MAINT, LB_SRV_DRAIN, or LB_SRV_UP (clears the note); args of
 * note_add are the words after "add server BE/SRV", borrowed. Each call
 * sends the new set to the master. */
void lb_mw_note_admin(struct lb_mw *m, const struct lb_server *s, enum lb_srv_state st);
void lb_mw_note_weight(struct lb_mw *m, const struct lb_server *s, unsigned w);
void lb_mw_note_add(struct lb_mw *m, const struct lb_server *s, int argc, char **argv);
void lb_mw_note_del(struct lb_mw *m, const struct lb_server *s);

/* NULL-safe; closes untaken fds; returns NULL. Call lb_mw_stop() and run
 * the loop first if lb_mw_start() succeeded. */
struct lb_mw *lb_mw_free(struct lb_mw *m);

#endif
