/* daemon.h - the checkd daemon object: one loop, the target registry, the
 * feed sockets, signals and systemd notification. main.c parses arguments
 * and calls these. */
#ifndef CHK_CHECKD_H
#define CHK_CHECKD_H

#include "checkd/cfg.h"

struct chk_daemon;

/* Build the daemon on its own loop: create the runtime directory, bind
 * every socket, register the config's targets. The daemon takes the config
 * (freed with it, or replaced on reload); `path` (may be NULL) is re-read
 * on SIGHUP. Logs why on failure and returns a negative errno (the config
 * is freed then too). */
int chk_daemon_new(struct chk_daemon **ret,
                   struct chk_cfg *cfg,
                   const char *path,
                   const char *rundir);

/* Notify systemd, run until SIGTERM/SIGINT; returns the exit code. SIGHUP
 * reloads the config file: targets are added, updated in place (their
 * health kept when address and kind are unchanged) or removed; socket
 * changes need a restart. A config that does not parse is logged and the
 * running one kept. */
int chk_daemon_run(struct chk_daemon *d);

/* NULL-safe; returns NULL. */
struct chk_daemon *chk_daemon_free(struct chk_daemon *d);

#endif
