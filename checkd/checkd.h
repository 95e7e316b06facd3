/* checkd.h - the checkd daemon object: one loop, the target registry, the
 * feed sockets, signals and systemd notification. main.c parses arguments
 * and calls these. */
#ifndef CHK_CHECKD_H
#define CHK_CHECKD_H

#include "checkd/conf.h"

struct chk_daemon;

/* Build the daemon on its own loop: create the runtime directory, bind
 * every socket, register the config's targets. Logs why on failure and
 * returns a negative errno. The config must outlive the daemon. */
int chk_daemon_new(struct chk_daemon **ret, const struct chk_cfg *cfg, const char *rundir);

/* Notify systemd, run until SIGTERM/SIGINT; returns the exit code. */
int chk_daemon_run(struct chk_daemon *d);

/* NULL-safe; returns NULL. */
struct chk_daemon *chk_daemon_free(struct chk_daemon *d);

#endif
