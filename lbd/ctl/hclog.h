/* hclog.h - HAProxy's health log lines, word for word, for lbd to send to
 * a backend's log targets (pure formatting):
 *
 *   Health check for server B/S succeeded, reason: Layer7 check passed,
 *     code: 0, info: "(tcp-check)", check duration: 1ms, status: 3/3 UP.
 *   Server B/S is DOWN, reason: Layer4 connection problem, info: "...",
 *     check duration: 0ms. 1 active and 0 backup servers left. 0 sessions
 *     active, 0 requeued, 0 remaining in queue.
 *   Server B/S is UP, reason: ..., check duration: 0ms. 2 active and 0
 *     backup servers online. 0 sessions requeued, 0 total in queue.
 *   backend B has no server available!
 * A backup server's lines start "Backup Server"; " Running on backup."
 * follows the counts when only backups are left.
 *
 * With "option log-health-checks" HAProxy logs every check result that
 * moves the health counter, and leaves the reason out of the Server lines
 * (the check line gave it). */
#ifndef LB_HCLOG_H
#define LB_HCLOG_H

#include <stddef.h>

#include "lbd/core/proxy_types.h"

/* Syslog levels HAProxy uses for these lines. */
#define LB_HCLOG_CHECK_LEVEL 5 /* notice: health check results, servers UP */
#define LB_HCLOG_DOWN_LEVEL  1 /* alert: a server DOWN */
#define LB_HCLOG_EMPTY_LEVEL 0 /* emerg: the backend has no server left */

struct feed_status; /* proto/feed.h */

/* One check result of server s, as checkd's feed gives it (st, only
 * read): passed or not, its reason (HAProxy's "DESC[, code: N][, info:
 * \"I\"]"), its duration, the health counter after it and the state after
 * it. Writes at most len bytes (NUL included); returns the length without
 * the NUL. */
size_t lb_hclog_check(char *buf,
                      size_t len,
                      const struct lb_server *s,
                      const struct feed_status *st);

/* Where a check or an agent moved a server: DOWN, UP, or "stopping" (UP
 * but taking no new traffic: http-check disable-on-404, HAProxy's NOLB). */
enum lb_hclog_move { LB_HCMOVE_DOWN, LB_HCMOVE_UP, LB_HCMOVE_STOPPING };

/* Server s went UP, DOWN or stopping (state already applied, so the counts
 * of servers left include it as it is now: a stopping server is not one of
 * the active ones, as in HAProxy's line). reason NULL: HAProxy's form under
 * log-health-checks. Same contract as lb_hclog_check(). */
size_t lb_hclog_server(char *buf,
                       size_t len,
                       const struct lb_server *s,
                       enum lb_hclog_move move,
                       const char *reason,
                       unsigned duration_ms);

/* An agent's (or an operator's) drain and maintenance, HAProxy's words:
 *   Server B/S enters drain state. N active and M backup servers online. ...
 *   Server B/S is UP (leaving forced drain).
 *   Server B/S is going DOWN for maintenance. N active and M backup servers left. ...
 *   Server B/S is UP/READY (leaving forced maintenance).
 * `level` gets the syslog level HAProxy uses for it. Writes the line into
 * buf (no newline) and returns its length, cut to len-1. */
enum lb_hclog_admin {
    LB_HCLOG_DRAIN_ENTER,
    LB_HCLOG_DRAIN_LEAVE,
    LB_HCLOG_MAINT_ENTER,
    LB_HCLOG_MAINT_LEAVE
};
size_t lb_hclog_admin(char *buf,
                      size_t len,
                      const struct lb_server *s,
                      enum lb_hclog_admin what,
                      int *level);

/* 1 if no server of s's backend is UP any more. */
int lb_hclog_backend_empty(const struct lb_server *s);

#endif
