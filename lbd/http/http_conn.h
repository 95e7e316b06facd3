/* http_conn.h - connections to servers for mode http, and the per-worker
 * pool of idle ones (HAProxy's http-reuse).
 *
 * A struct lb_sconn is an object of its own, not part of a session: a
 * session borrows it for one request/response exchange and gives it back;
 * if the exchange left the connection clean (complete response, keep-alive
 * on both ends) it goes to its server's idle list in the worker, where it
 * is watched for the server closing it, and the next request to that
 * server on this thread may take it (LIFO, so few connections stay warm).
 * Idle connections are closed after LB_SCONN_IDLE_MS, when the list of a
 * server is full, and when the worker stops.
 *
 * Lifetime: the lb_sconn is freed in the close callback of its poll handle;
 * owners drop their pointer when they release or close it. */
#ifndef LB_HTTP_CONN_H
#define LB_HTTP_CONN_H

#include <stdint.h>
#include <uv.h>

#include "common/list.h"
#include "lbd/core/worker.h"

#define LB_SCONN_IDLE_MS  10000
#define LB_SCONN_IDLE_MAX 256 /* idle connections per server and worker */

struct lb_sconn;

/* Events for the owner (same meaning as uv_poll_cb). */
typedef void (*lb_sconn_cb)(struct lb_sconn *c, void *owner, int status, int events);

struct lb_sconn {
    uv_poll_t poll;
    int fd;
    int ev; /* events polled now */
    struct lb_server *srv;
    const struct lk_addr *addr; /* srv->cur_addr when connected: reused only while current */
    struct lb_worker *w;
    void *owner; /* NULL while idle */
    lb_sconn_cb cb;
    struct lk_list link; /* in the idle list */
    uint64_t idle_since; /* loop ms */
    uint32_t nreq;       /* requests it carried */
};

/* Per-worker mode http state (w->http), created on first use. */
struct lb_http_worker {
    struct lb_worker *w;
    struct lk_list sessions; /* httpfwd.c sessions */
    struct lk_list **idle;   /* [proxy uuid][server idx] lists, allocated per backend */
    unsigned nidle;
    uv_timer_t purge;
    int purge_init, stopping;
};

/* The worker's mode http state; NULL on OOM. */
struct lb_http_worker *lb_http_worker_get(struct lb_worker *w);

/* Close idle connections and refuse new ones (worker stopping). */
void lb_sconn_pool_stop(struct lb_http_worker *hw);

/* Free what lb_http_worker_get allocated (handles must be closed). */
void lb_http_worker_free(struct lb_worker *w);

/* An idle connection to srv, now owned by `owner` (cb gets its events), or
 * NULL if none is idle. */
struct lb_sconn *lb_sconn_reuse(struct lb_worker *w,
                                struct lb_server *srv,
                                void *owner,
                                lb_sconn_cb cb);

/* Start a non-blocking connect to srv: 0 and *ret (poll for UV_WRITABLE to
 * see it complete), or a negative errno. */
int lb_sconn_connect(struct lb_worker *w,
                     struct lb_server *srv,
                     int keepalive,
                     void *owner,
                     lb_sconn_cb cb,
                     struct lb_sconn **ret);

/* 0 once connected, or the connect error (negative errno). */
int lb_sconn_error(const struct lb_sconn *c);

/* Poll for these UV_* events on behalf of the owner. */
void lb_sconn_want(struct lb_sconn *c, int events);

/* The owner is done: keep it idle if `keep` and there is room, else close. */
void lb_sconn_release(struct lb_sconn *c, int keep);

/* Close now; `rst` sends a reset instead of a FIN. */
void lb_sconn_close(struct lb_sconn *c, int rst);

#endif
