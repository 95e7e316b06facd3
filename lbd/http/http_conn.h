/* http_conn.h - connections to servers for mode http, and the per-worker
 * pool of idle ones (HAProxy's http-reuse).
 *
 * A struct lb_sconn is an object of its own, not part of a session: a
 * session borrows it for one request/response exchange and gives it back.
 * If the exchange left the connection clean (complete response, keep-alive
 * on both ends) it becomes idle, in one of two places:
 * - a session's own list (lb_sconn_park) when it is private to that client
 *   connection (http-reuse never, or a server asking for NTLM/Negotiate
 *   authentication), as HAProxy's session connections;
 * - else its server's pool in the worker (lb_sconn_release), on the "idle"
 *   list if it carried one request, the "safe" list once it carried more
 *   (HAProxy's two lists: a safe connection proved that the server keeps
 *   connections alive). The pool keeps what HAProxy 2.6 keeps: up to
 *   pool-max-conn, and beyond the first one only as many as the estimated
 *   need (the most connections in use at once lately) plus pool-low-conn;
 *   every pool-purge-delay, half of the surplus over that estimate is closed
 *   and the estimate decays toward the current use.
 * An idle connection is watched for the server closing it or sending
 * anything (either closes it); a non-blocking peek checks it again when it
 * is taken back.
 *
 * Lifetime: the lb_sconn is freed in the close callback of its poll handle;
 * owners drop their pointer when they release or close it. */
#ifndef LB_HTTP_CONN_H
#define LB_HTTP_CONN_H

#include <stdint.h>
#include <uv.h>

#include "common/list.h"
#include "lbd/core/worker.h"

#define LB_SCONN_SESS_MAX 10 /* private idle connections per session (max-session-srv-conns) */

struct lb_sconn;
struct lb_sconn_pool;

/* Events for the owner (same meaning as uv_poll_cb). */
typedef void (*lb_sconn_cb)(struct lb_sconn *c, void *owner, int status, int events);

struct lb_sconn {
    uv_poll_t poll;
    int fd;
    int ev; /* events polled now */
    struct lb_server *srv;
    const struct lk_addr *addr; /* srv->cur_addr when connected: reused only while current */
    struct lb_worker *w;
    struct lb_sconn_pool *pool; /* its server's pool in this worker, or NULL (no memory) */
    void *owner;                /* NULL while idle */
    lb_sconn_cb cb;
    struct lk_list link; /* in a pool list or a session's list while idle */
    uint8_t parked;      /* idle in a session's list, not in the pool */
    uint8_t priv;        /* private to its client session: never pooled */
    uint8_t safe;        /* on the pool's safe list */
    uint32_t nreq;       /* requests it carried */
};

/* Per-worker mode http state (w->http), created on first use. */
struct lb_http_worker {
    struct lb_worker *w;
    struct lk_list sessions;      /* httpfwd.c sessions */
    struct lb_sconn_pool **pools; /* [proxy uuid][server idx], allocated per backend */
    unsigned nidle;
    uv_timer_t purge;
    int purge_init, stopping;
};

/* Which pool list lb_sconn_reuse takes from. */
enum lb_sconn_list { LB_SCONN_IDLE = 0, LB_SCONN_SAFE, LB_SCONN_LIST_MAX };

/* The worker's mode http state, created on the first call and owned by w
 * (freed by lb_http_worker_free()); NULL on OOM. Worker thread only. */
struct lb_http_worker *lb_http_worker_get(struct lb_worker *w);

/* Close every pooled idle connection, stop the purge timer, and make
 * later releases and parks close instead (worker stopping). Connections in
 * use stay with their owners. */
void lb_sconn_pool_stop(struct lb_http_worker *hw);

/* Free what lb_http_worker_get allocated and clear w->http; NULL-safe on
 * w->http. The purge timer must be closed (lb_sconn_pool_stop()) and the
 * loop run, and no lb_sconn may still point at a pool. */
void lb_http_worker_free(struct lb_worker *w);

/* An idle connection to srv from the pool's list `which`, most recently
 * used first, now owned by `owner` (cb gets its events, still polled for
 * UV_READABLE), or NULL if none is idle there. Dead ones met on the way are
 * closed. The caller must end its ownership with lb_sconn_release(),
 * lb_sconn_park() or lb_sconn_close(). */
struct lb_sconn *lb_sconn_reuse(struct lb_worker *w,
                                struct lb_server *srv,
                                enum lb_sconn_list which,
                                void *owner,
                                lb_sconn_cb cb);

/* Start a non-blocking connect to srv's current address, on `port` when
 * it is not 0 (a port-mapped server), with SO_KEEPALIVE if `keepalive`:
 * 0 and *ret, owned by `owner` as for
 * lb_sconn_reuse() (poll for UV_WRITABLE to see it complete, then
 * lb_sconn_error()), or a negative errno with *ret untouched. Takes no
 * server slot: that is the caller's business. */
int lb_sconn_connect(struct lb_worker *w,
                     struct lb_server *srv,
                     unsigned port,
                     int keepalive,
                     void *owner,
                     lb_sconn_cb cb,
                     struct lb_sconn **ret);

/* 0 once connected (or still in progress), or the connect error as a
 * negative errno, read from SO_ERROR. */
int lb_sconn_error(const struct lb_sconn *c);

/* Poll for these UV_* events on behalf of the owner (0: stop polling);
 * the owner's cb runs with them. A no-op when they do not change. */
void lb_sconn_want(struct lb_sconn *c, int events);

/* The owner is done: keep it in the pool if `keep` and the pool admits
 * it, else close. A private connection is closed (park it instead).
 * Either way the caller must drop its pointer: a closed lb_sconn is freed
 * in its close callback, a pooled one may be closed by the server. */
void lb_sconn_release(struct lb_sconn *c, int keep);

/* The owner is done and keeps the connection idle in its own list `l`
 * (a session's private connections), watched like pooled ones; closed
 * instead when the list holds LB_SCONN_SESS_MAX (n: their count) or the
 * worker stops. The list is the caller's; a parked connection the server
 * closes unlinks itself, so the caller must close the rest before freeing
 * l (lb_sconn_close() on each). */
void lb_sconn_park(struct lb_sconn *c, struct lk_list *l, unsigned n);

/* A parked connection to srv from list `l`, now owned by `owner`, or NULL.
 * Dead ones met on the way (bytes or EOF waiting, address changed) are
 * closed. */
struct lb_sconn *lb_sconn_unpark(struct lk_list *l,
                                 struct lb_server *srv,
                                 void *owner,
                                 lb_sconn_cb cb);

/* Close now; `rst` sends a reset instead of a FIN. Parked or pooled
 * connections leave their list. c is freed in its close callback: the
 * caller must not use it after this call. */
void lb_sconn_close(struct lb_sconn *c, int rst);

#endif
