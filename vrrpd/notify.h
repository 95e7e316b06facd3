/* notify.h - Keepalived's notify interface: the notify scripts of
 * instances and sync groups, and the notify FIFOs.
 *
 * FIFOs (global_defs notify_fifo / vrrp_notify_fifo): vrrpd creates the
 * FIFO if it is missing (mode 0600, owned by the configured user), starts
 * its *_fifo_script with the FIFO's path as last argument, and writes one
 * line per event, as Keepalived does:
 *   INSTANCE "VI_1" MASTER 100        (MASTER, BACKUP, FAULT, STOP)
 *   INSTANCE "VI_1" MASTER_PRIORITY 90 (notify_priority_changes)
 *   GROUP "G1" BACKUP 0               (vrrp_sync_group)
 * The FIFO is held open read-write and written without blocking: a reader
 * that stops reading loses lines (logged), it never stalls the loop. At
 * stop the FIFO is closed (the reader sees EOF after the STOP lines) and the
 * script gets SIGTERM. */
#ifndef VR_NOTIFY_H
#define VR_NOTIFY_H

#include "vrrpd/cfg.h"

struct vr_daemon;

/* Open the configured FIFOs and start their scripts. 0, or a negative
 * errno (logged) if a FIFO could not be created or opened. */
int vr_notify_start(struct vr_daemon *d);

/* Close the FIFOs (after the last STOP lines). */
void vr_notify_close(struct vr_daemon *d);

/* SIGTERM to the FIFO scripts still running; at the very end. */
void vr_notify_kill(struct vr_daemon *d);

/* One line `KIND "NAME" STATE PRIO` to every FIFO. kind is "INSTANCE" or
 * "GROUP". */
void vr_notify_fifo(struct vr_daemon *d,
                    const char *kind,
                    const char *name,
                    const char *state,
                    unsigned prio);

/* Run script k of n (no command: nothing) with extra arguments; `who`
 * names the instance or group in messages. Never waits for it. */
void vr_notify_run(struct vr_daemon *d,
                   const char *who,
                   const struct vr_notify_cfg *n,
                   enum vr_notify_slot k,
                   const char *const *extra);

/* What a state change runs and writes: the state's own script of `scripts`
 * (master, backup, fault, stop), then "notify" with KIND NAME STATE PRIO,
 * then the FIFO line. */
void vr_notify_state(struct vr_daemon *d,
                     const char *kind,
                     const char *name,
                     const char *state,
                     unsigned prio,
                     const struct vr_notify_cfg *scripts);

#endif
