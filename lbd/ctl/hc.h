/* hc.h - lbd's side of health checking: it follows checkd's feed.
 *
 * At start lbd connects to checkd.sock (global "checkd socket PATH",
 * default RUNDIR/checkd.sock), subscribes, and registers every server that
 * carries "check" with the probe parameters of its backend (option httpchk,
 * http-check send/expect, option mysql-check user U, galera-check user U
 * [password P] [allow-donor], timeout check, inter/fastinter/downinter/rise/fall,
 * init-state). Each snapshot and event then sets the server's state with
 * lb_server_transition(); servers an operator put in MAINT or DRAIN are left
 * alone.
 *
 * Passive health: for servers with "observe layer4", a run of
 * "error-limit" (default 10) failed connects on live traffic is reported to
 * checkd ("report ID ON-ERROR"); with on-error mark-down (our default, the
 * issue's wish; HAProxy's default is fastinter) the server also goes DOWN
 * here at once. checkd then probes it at fastinter.
 *
 * Fail-static: when checkd is unreachable or goes away, servers keep their
 * last known state, lbd logs it once, keeps serving, and reconnects with
 * exponential backoff (100 ms .. 5 s), registering again. Because checkd
 * holds the states, a restarted lbd gets them back from the snapshot. */
#ifndef LB_HC_H
#define LB_HC_H

#include "lbd/core/proxy_types.h"
#include "proto/feed.h"

struct lb_daemon;

/* Start following checkd if any server has "check" or "agent-check"
 * (no-op otherwise; d->hc stays NULL). Never fails the daemon for an
 * unreachable checkd, which only means retries: returns 0, or -ENOMEM. */
int lb_hc_start(struct lb_daemon *d);

/* Close the connection and timers (on the control loop, before it ends).
 * Safe to call twice and when never started. */
void lb_hc_stop(struct lb_daemon *d);

/* Free what lb_hc_start() allocated, once the loop has closed the handles. */
void lb_hc_free(struct lb_daemon *d);

/* Run-time changes from lbd's admin socket: a server added with "check"
 * or whose address changed is registered again (a new address restarts
 * its health in checkd); a deleted one is unregistered. No-ops when lbd
 * does not follow checkd. */
void lb_hc_server_update(struct lb_daemon *d, struct lb_server *s);
void lb_hc_server_deleted(struct lb_daemon *d, struct lb_server *s);

/* The worker of a chrooted lbd -W gets its checkd connection from the
 * master (mwlink.c): fd is that connected socket (owned from then on), or
 * a negative errno when the master could not connect (retried with the
 * usual backoff). */
void lb_hc_adopt(struct lb_daemon *d, int fd);

/* True when checkd's states are in (its first snapshot on this connection
 * was applied) or no server is checked. */
int lb_hc_synced(const struct lb_daemon *d);

/* An operator changed the server's admin state (lbd.sock, stats page):
 * MAINT is mirrored in checkd ("disable health"), so the feed shows it and
 * checks pause; leaving MAINT resumes them ("enable health"). */
void lb_hc_server_admin(struct lb_daemon *d, struct lb_server *s);

/* The checkd registration of one server of backend px, written into t
 * (the caller's). px and s are only read; the check keywords were parsed
 * and refused at their line (lbd/cfg/check_cfg.h), so this cannot fail. */
void lb_hc_target(const struct lb_proxy *px, const struct lb_server *s, struct feed_target *t);

/* The checkd registration of server s's agent-check (kind agent, id
 * "BACKEND/SERVER/agent", at agent-addr or the server's IP, agent-port). */
void lb_hc_agent_target(const struct lb_proxy *px,
                        const struct lb_server *s,
                        struct feed_target *t);

/* An agent's reply as HAProxy reads it: words separated by spaces, tabs or
 * commas ("75%", "maxconn:N", "ready", "drain", "maint", "up", "down",
 * "fail", "stopped"), a word starting with "#" begins the description;
 * other words are ignored, as HAProxy ignores them. Returns 0. */
enum lb_agent_admin { LB_AGENT_NOADMIN = 0, LB_AGENT_READY, LB_AGENT_DRAIN, LB_AGENT_MAINT };
enum lb_agent_op { LB_AGENT_NONE = 0, LB_AGENT_UP, LB_AGENT_DOWN };
struct lb_agent_reply {
    int weight_pct; /* -1: not given */
    int maxconn;    /* -1: not given */
    enum lb_agent_admin admin;
    enum lb_agent_op op;
    char word[16]; /* the up/down word as written */
    char desc[128];
};
int lb_hc_agent_parse(const char *reply, struct lb_agent_reply *out);

/* Map a feed state to the server state lbd applies. */
enum lb_srv_state lb_hc_state(enum feed_state st);

#endif
