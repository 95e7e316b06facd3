/* backend.h - what both modes (tcp/tcpfwd.c, http/httpfwd.c) report to a
 * backend while they assign a server: queueing at maxconn, retries,
 * redispatches and the time of the last new session. One place writes the
 * counters that "show stat", the stats page and Prometheus read (qcur,
 * qmax, wretr, wredis, lastsess; per server: retries, redispatches,
 * lastsess), so the two modes cannot drift apart.
 *
 * lbd queues per backend, not per server (a request waits for whichever
 * server frees a slot first), so a server's own qcur/qmax stay 0, which
 * is what HAProxy shows for servers no request was bound to.
 *
 * All functions are called from worker threads: counters are relaxed
 * atomics, the maximum is raised with a compare-and-swap loop so that two
 * threads never lower it. */
#ifndef LB_BACKEND_H
#define LB_BACKEND_H

#include <stdint.h>

struct lb_proxy;
struct lb_server;

/* A session starts waiting in BE's queue. */
void lb_backend_queue_enter(struct lb_proxy *be);

/* A session stops waiting in BE's queue (served, timed out or closed). */
void lb_backend_queue_leave(struct lb_proxy *be);

/* A connection attempt to SRV failed and the session tries again. */
void lb_backend_retry(struct lb_proxy *be, struct lb_server *srv);

/* The session got SRV at monotonic time NOW_MS. PREV is the server of an
 * earlier failed attempt (NULL on a first attempt): a different server
 * counts a redispatch on PREV and on BE. Returns 1 if it was one, else 0. */
int lb_backend_assigned(struct lb_proxy *be,
                        struct lb_server *srv,
                        struct lb_server *prev,
                        uint64_t now_ms);

/* HAProxy's be_usable_srv(), what nbsrv(BE) returns: the usable (UP,
 * weight above 0) active servers of BE; without any, 1 if a backup is
 * usable (only the first serves), or every usable backup with option
 * allbackups. Thread-safe. */
unsigned lb_backend_usable_servers(const struct lb_proxy *be);

/* The server of BE whose id (puid) is `id`, with a slot taken for the
 * caller, when it is usable and has room; else NULL (persistence by stick
 * table: the session then balances as usual). */
struct lb_server *lb_backend_take_id(struct lb_proxy *be, unsigned id);

#endif
