/* worker.h - one worker thread: its own uv loop, its own SO_REUSEPORT
 * listening sockets, its own balancer state, buffer and pipe pools and log
 * sockets. Nothing on the forwarding path is shared with other workers
 * except the server/proxy counters, which are atomics.
 *
 * Buffer ownership: a worker's pool hands out bufsize-byte buffers. A
 * session holds one only while it has bytes it could not write yet; an
 * idle connection holds none (lazy allocation). */
#ifndef LB_WORKER_H
#define LB_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <uv.h>

#include "common/list.h"
#include "lbd/core/balance.h"
#include "lbd/core/tlog.h"

struct lb_daemon;
struct lb_http_worker;

struct lb_listener {
    uv_poll_t poll;
    int fd;
    int paused;
    struct lb_proxy *fe;
    struct lb_bind *bind;
    struct lb_worker *w;
};

struct lb_worker {
    uv_loop_t loop;
    pthread_t tid;
    unsigned id;
    struct lb_daemon *d;
    struct lb_cfg *cfg;
    uv_async_t wake;
    uv_timer_t tick;
    uv_timer_t qtimer; /* runs the queue on the next iteration */
    struct lb_listener *listeners;
    unsigned nlisteners;
    struct lb_balancer **bal; /* indexed by proxy uuid */
    unsigned nbal;
    char **pool; /* free buffers */
    unsigned npool, pool_cap;
    int (*pipes)[2]; /* free splice pipes */
    unsigned npipes, pipes_cap;
    struct lk_list sessions;
    struct lk_list queue; /* sessions waiting for a server slot */
    struct lk_list pp;    /* accept-proxy handshakes (pphs.c), counted in nsessions */
    unsigned nsessions;
    struct lb_tlog tlog;
    struct lb_http_worker *http; /* mode http state (http_conn.h), lazily created */
    unsigned bufsize;
    int stopping, started, running, closed, loop_ok;
    _Atomic int stop_requested;    /* 1: graceful, 2: abort sessions */
    _Atomic uint64_t heartbeat_ms; /* last tick, read by the health check */
    pthread_mutex_t req_lock;      /* guards kill_srv: requests from the control thread */
    struct lb_server **kill_srv;   /* nkill pending shutdown-sessions, each server once */
    unsigned nkill, kill_cap;
};

/* A listening socket for bind `b` of frontend `fe` as a worker makes it
 * (SO_REUSEPORT, the frontend's socket options), also used by the master
 * of lbd -W. Its backlog, as HAProxy's: the bind's `backlog`, else the
 * frontend's maxconn, else the global one `maxconn` (the kernel caps it at
 * net.core.somaxconn). 0 and *ret (owned by the caller, non-blocking,
 * close-on-exec) or a negative errno. */
int lb_listen_socket(const struct lb_proxy *fe,
                     const struct lb_bind *b,
                     unsigned maxconn,
                     int *ret);

/* Create a worker and its listening sockets (bound now, so that an address
 * in use is an error at start, before any thread runs). Returns 0 or a
 * negative errno; *err names the failing bind. */
int lb_worker_new(struct lb_worker **ret, struct lb_daemon *d, unsigned id, char **err);

/* Initialise the worker's loop handles and start its thread, which runs
 * until lb_worker_stop() and then calls lb_daemon_worker_done(). Control
 * thread, once. 0, or a negative errno from pthread_create (the handles
 * then stay for lb_worker_free() to close). */
int lb_worker_start(struct lb_worker *w);

/* Ask the worker to stop accepting and to exit once its sessions are done
 * (or immediately if `now`). Thread-safe. */
void lb_worker_stop(struct lb_worker *w, int now);

/* Close every session of this worker connected to `s` (admin "shutdown
 * sessions server", checkd's on-marked-down shutdown-sessions).
 * Thread-safe; done asynchronously in the worker. */
void lb_worker_shutdown_server(struct lb_worker *w, struct lb_server *s);

/* Join the thread and free everything; NULL-safe, returns NULL. */
struct lb_worker *lb_worker_free(struct lb_worker *w);

/* Buffer pool: never NULL unless out of memory. A buffer from get is the caller's until given back
 * with put (or freed); put accepts NULL. */
char *lb_worker_buf_get(struct lb_worker *w);
void lb_worker_buf_put(struct lb_worker *w, char *buf);

/* Splice pipe pool: 0 and fds, or a negative errno. */
int lb_worker_pipe_get(struct lb_worker *w, int fds[2]);
void lb_worker_pipe_put(struct lb_worker *w, int fds[2]);

/* How a worker hands an accepted client socket `fd` of frontend `fe` to the
 * forwarding code of fe's mode (lb_tcp_session_start, lb_http_session_start),
 * on w's loop thread. The session owns fd from here on, on failure too (it
 * is then closed and the global connection slot given back); `client` (the
 * peer) and `local` (the address it reached; NULL: asked of the kernel when
 * needed; accept-proxy passes the PROXY header's) are copied. fe, its
 * backends and servers belong to w's config and must outlive the session.
 * The session frees itself when the connection ends; nothing is returned,
 * the outcome shows in the log and the counters. */
typedef void lb_session_start_fn(struct lb_worker *w,
                                 struct lb_proxy *fe,
                                 int fd,
                                 const struct lk_addr *client,
                                 const struct lk_addr *local);

/* A server slot may have been freed: give queued sessions a chance. */
void lb_worker_kick_queue(struct lb_worker *w);

/* An accepted fd whose session could not start (no memory, nothing to
 * forward to): frees `sess` (may be NULL), closes fd and gives back the
 * global connection slot accept_cb() took, or maxconn would shrink by
 * one for every failed start. */
void lb_worker_refuse(struct lb_worker *w, int fd, void *sess);

/* A session's one deadline timer: arm `t` (a one-shot calling `cb`) for
 * `when`, a uv_now() time in ms of t's loop, or stop it when `when` is 0.
 * *armed_at is the deadline pending (0: none); an earlier pending one is
 * kept, as the callback re-arms itself when it fires early. The callback
 * must set *armed_at to 0 when it runs. */
void lb_worker_timer_arm(uv_timer_t *t, uv_timer_cb cb, uint64_t *armed_at, uint64_t when);

/* Per-thread balancer of a backend. */
static inline struct lb_balancer *lb_worker_balancer(struct lb_worker *w, const struct lb_proxy *be)
{
    return be->uuid < w->nbal ? w->bal[be->uuid] : NULL;
}

#endif
