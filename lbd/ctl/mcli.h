/* mcli.h - the master CLI of lbd -W (-S PATH), HAProxy's master socket:
 * "show proc", "reload", "show health", "subscribe health", "help", with
 * the framing of every lbkit socket (common/cmdsrv.h). The master
 * (core/master.c) supplies the answers through lb_mcli_ops.
 *
 * "subscribe health" is the track_lbd contract of lbd.sock (ctl/admin.h):
 * one line every 500 ms, "health ok DETAIL" or "health fail REASON"; EOF
 * when the master is gone or stopping. */
#ifndef LB_MCLI_H
#define LB_MCLI_H

#include <stddef.h>
#include <uv.h>

#include "common/strbuf.h"

struct lb_mcli;

struct lb_mcli_ops {
    /* Append the "show proc" table to sb. */
    void (*show_proc)(void *ud, struct lk_sb *sb);
    /* Start a reload: 0 when a new worker is starting, -EBUSY when one
     * already is, -ESHUTDOWN when stopping, another negative errno when
     * the file is invalid or cannot be applied (logged by the master). */
    int (*reload)(void *ud);
    /* 1 if healthy; a one-line detail or reason into why. */
    int (*healthy)(void *ud, char *why, size_t len);
};

/* Listen on path (mode 0600, level admin) on loop. ops and ud are
 * borrowed for the CLI's lifetime. Returns 0 or a negative errno (logged). */
int lb_mcli_start(struct lb_mcli **ret,
                  uv_loop_t *loop,
                  const char *path,
                  const struct lb_mcli_ops *ops,
                  void *ud);

/* Close the socket (the file is removed) and every subscriber; freed once
 * the loop has closed the handles. NULL-safe. */
void lb_mcli_stop(struct lb_mcli *c);

#endif
