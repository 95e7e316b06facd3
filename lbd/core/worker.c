/* worker.c - worker threads, listeners, pools; see worker.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cfglex.h"
#include "common/clock.h"
#include "common/log.h"
#include "lbd/cfg/cfg.h"
#include "lbd/core/daemon.h"
#include "lbd/core/mwlink.h"
#include "lbd/core/pphs.h"
#include "lbd/core/worker.h"
#include "lbd/ctl/stats_http.h"
#include "lbd/http/http_conn.h"
#include "lbd/http/httpfwd.h"
#include "lbd/tcp/tcpfwd.h"

/* accept4() calls per readiness event: bounded so that one busy listener
 * cannot starve the sessions already on this loop, yet large enough that a
 * connection burst is drained in few wake-ups. */
#define ACCEPT_BATCH 64
#define POOL_KEEP    256 /* free buffers kept per worker */
#define PIPES_KEEP   64
/* The tick runs slowly when idle (heartbeat, idle-close while stopping) and
 * fast while sessions wait in the queue or a listener is paused: both wait
 * for a slot that frees without any event on this loop. */
#define TICK_SLOW_MS 500
#define TICK_FAST_MS 10
#define PIPE_SIZE    (256 * 1024)

static void tick_cb(uv_timer_t *t);

/* Pools are per worker and used only on its thread, so no locking. A pool
 * miss falls back to malloc; the pool only saves the allocator round trip for
 * the common case of many short sessions. */
char *lb_worker_buf_get(struct lb_worker *w)
{
    if (w->npool)
        return w->pool[--w->npool];
    return malloc(w->bufsize);
}

/* Keeps at most pool_cap buffers: after a burst, memory goes back to the
 * allocator instead of staying pinned for the life of the worker. */
void lb_worker_buf_put(struct lb_worker *w, char *buf)
{
    if (!buf)
        return;
    if (w->npool < w->pool_cap) {
        w->pool[w->npool++] = buf;
        return;
    }
    free(buf);
}

/* splice() needs a pipe per direction of a session; creating two descriptors
 * per connection would double the syscalls of a short TCP session, so empty
 * pipes are reused. The caller must only return a pipe it has drained: bytes
 * left in it would leak into the next session. */
int lb_worker_pipe_get(struct lb_worker *w, int fds[2])
{
    if (w->npipes) {
        w->npipes--;
        fds[0] = w->pipes[w->npipes][0];
        fds[1] = w->pipes[w->npipes][1];
        return 0;
    }
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
        return -errno;
    /* a larger pipe moves more per splice call; failure is harmless */
    fcntl(fds[0], F_SETPIPE_SZ, PIPE_SIZE);
    return 0;
}

void lb_worker_pipe_put(struct lb_worker *w, int fds[2])
{
    if (w->npipes < w->pipes_cap) {
        w->pipes[w->npipes][0] = fds[0];
        w->pipes[w->npipes][1] = fds[1];
        w->npipes++;
        return;
    }
    close(fds[0]);
    close(fds[1]);
}

/* uv_timer_start() re-arms from now; calling it on every queue kick would
 * keep pushing the next tick away and starve the heartbeat. */
static void set_tick(struct lb_worker *w, uint64_t ms)
{
    if (uv_timer_get_repeat(&w->tick) != ms)
        uv_timer_start(&w->tick, tick_cb, ms, ms);
}

static void queue_cb(uv_timer_t *t)
{
    lb_tcp_queue_run(t->data);
}

void lb_worker_kick_queue(struct lb_worker *w)
{
    /* run on the next loop iteration, never from inside a session callback */
    if (!uv_is_active((uv_handle_t *)&w->qtimer))
        uv_timer_start(&w->qtimer, queue_cb, 0, 0);
    set_tick(w, TICK_FAST_MS);
}

void lb_worker_timer_arm(uv_timer_t *t, uv_timer_cb cb, uint64_t *armed_at, uint64_t when)
{
    uint64_t now;

    if (!when) {
        if (*armed_at)
            uv_timer_stop(t);
        *armed_at = 0;
        return;
    }
    /* one timer per session, moved only earlier: most events push the
     * deadline later, and a restart per event would cost more than the one
     * early wake-up that re-arms */
    if (*armed_at && *armed_at <= when)
        return;
    now = uv_now(t->loop);
    *armed_at = when;
    uv_timer_start(t, cb, when > now ? when - now : 0, 0);
}

/* ---- listening ---- */

/* The bind line's socket options (v4v6/v6only, defer-accept, tfo,
 * transparent, mss, interface). Returns 0 or -1 with errno. */
static int bind_options(int fd, const struct lb_bind *b)
{
    int one = 1, v = b->v6only, qlen = 256, mss = (int)b->mss, secs = 1;

    if (v >= 0 && b->addr.u.sa.sa_family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v)) < 0)
        return -1;
    if (b->defer_accept && setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof(secs)) < 0)
        return -1;
    if (b->tfo && setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen)) < 0)
        return -1;
    if (b->transparent && setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) < 0)
        return -1;
    if (mss && setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss)) < 0)
        return -1;
    if (b->interface[0] && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, b->interface,
                                      (socklen_t)strlen(b->interface)) < 0)
        return -1;
    return 0;
}

/* TCP_NODELAY and SO_KEEPALIVE set on the listening socket are inherited
 * by every accepted one: one setsockopt per listener instead of one per
 * connection. SO_REUSEPORT lets every worker bind its own socket to the
 * same address, and the kernel spreads new connections across them: no
 * accept lock and no thundering herd between workers. */
int lb_listen_socket(const struct lb_proxy *fe, const struct lb_bind *b, unsigned maxconn, int *ret)
{
    unsigned backlog = b->backlog ? b->backlog : fe->maxconn ? fe->maxconn : maxconn;
    int fd, one = 1, r;

    fd = socket(b->addr.u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (((fe->options | (fe->default_backend ? fe->default_backend->options : 0)) &
         (LB_OPT_TCPKA | LB_OPT_CLITCPKA)))
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
        bind_options(fd, b) < 0 || bind(fd, &b->addr.u.sa, b->addr.len) < 0 ||
        listen(fd, backlog > INT_MAX ? INT_MAX
                   : backlog         ? (int)backlog
                                     : 1024) < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    *ret = fd;
    return 0;
}

/* Both limits are read relaxed: a few connections over maxconn during a race
 * between workers are tolerated, while a lock here would serialise every
 * accept. */
static int over_limit(struct lb_worker *w, const struct lb_proxy *fe)
{
    const struct lb_global *g = &w->cfg->global;

    if (atomic_load_explicit(&w->d->actconn, memory_order_relaxed) >= g->maxconn)
        return 1;
    return fe->maxconn && atomic_load_explicit(&fe->cur_conns, memory_order_relaxed) >= fe->maxconn;
}

/* Stop polling a listener at its limit: the kernel keeps queueing in the
 * backlog (clients wait rather than being reset, as in HAProxy), and the fast
 * tick resumes it when connections close. */
static void pause_listener(struct lb_listener *l)
{
    if (l->paused)
        return;
    l->paused = 1;
    uv_poll_stop(&l->poll);
    set_tick(l->w, TICK_FAST_MS);
}

static void accept_cb(uv_poll_t *p, int status, int events);

static void resume_listeners(struct lb_worker *w)
{
    unsigned i;

    for (i = 0; i < w->nlisteners; i++) {
        struct lb_listener *l = &w->listeners[i];

        if (l->paused && l->fd >= 0 && !over_limit(w, l->fe)) {
            l->paused = 0;
            uv_poll_start(&l->poll, UV_READABLE, accept_cb);
        }
    }
}

static struct lk_ratelimit accept_rl = LK_RATELIMIT_INIT(5000, 5);

/* For a session start that fails before the session owns any handle: nothing
 * is registered with the loop yet, so it may be freed at once (the close-
 * callback rule applies only once a handle is initialised). Balances the
 * actconn increment made in accept_cb(). */
void lb_worker_refuse(struct lb_worker *w, int fd, void *sess)
{
    free(sess);
    close(fd);
    atomic_fetch_sub(&w->d->actconn, 1);
}

static void accept_cb(uv_poll_t *p, int status, int events)
{
    struct lb_listener *l = p->data;
    struct lb_worker *w = l->w;
    struct lk_addr cli;
    int i, fd;

    /* EMFILE and friends leave the connection in the backlog, so the poll would
     * fire again at once and spin; pausing lets the tick retry later. EAGAIN
     * (backlog empty) and per-connection errors such as ECONNABORTED just end
     * this batch. */
    for (i = 0; i < ACCEPT_BATCH; i++) {
        if (over_limit(w, l->fe)) {
            pause_listener(l);
            return;
        }
        cli.len = sizeof(cli.u);
        fd = accept4(l->fd, &cli.u.sa, &cli.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                lk_log_rl(&accept_rl, LK_LOG_ERR, "accept on %s: %m (pausing)", l->bind->spec);
                pause_listener(l);
            }
            return;
        }
        atomic_fetch_add_explicit(&w->d->actconn, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&w->d->cumconn, 1, memory_order_relaxed);
        if (l->bind->accept_proxy)
            lb_pp_start(l, fd, &cli);
        else if (l->fe->mode == LB_MODE_HTTP)
            lb_http_session_start(w, l->fe, fd, &cli, NULL);
        else
            lb_tcp_session_start(w, l->fe, fd, &cli, NULL);
    }
}

/* Under a master (lbd -W) the sockets were bound by the master, one per
 * bind and thread as here, and are inherited. */
static int listener_fd(struct lb_worker *w,
                       const struct lb_proxy *px,
                       const struct lb_bind *b,
                       int *ret)
{
    char key[LB_MW_KEY_MAX];

    if (!w->d->mw)
        return lb_listen_socket(px, b, w->cfg->global.maxconn, ret);
    *ret = lb_mw_take_fd(w->d->mw, lb_mw_key_bind(key, sizeof(key), w->id, px->name, &b->addr));
    return *ret < 0 ? -ENOENT : 0;
}

static int add_listeners(struct lb_worker *w, char **err)
{
    struct lb_proxy *px;
    struct lb_bind *b;
    unsigned n = 0;
    int r;

    for (px = w->cfg->proxies; px; px = px->next)
        for (b = px->binds; b; b = b->next)
            n++;
    /* stats-only proxies are served by the control thread (stats_http.c) */
    w->listeners = calloc(n ? n : 1, sizeof(*w->listeners));
    if (!w->listeners)
        return -ENOMEM;
    for (px = w->cfg->proxies; px; px = px->next) {
        for (b = px->binds; b && !lb_stats_only(px); b = b->next) {
            struct lb_listener *l = &w->listeners[w->nlisteners];

            r = listener_fd(w, px, b, &l->fd);
            if (r < 0) {
                lk_cfg_err(err, "%s:%u: %s '%s': cannot bind %s: %s", b->file, b->line,
                           px->cap & LB_CAP_BE ? "listen" : "frontend", px->name, b->spec,
                           strerror(-r));
                return r;
            }
            l->fe = px;
            l->bind = b;
            l->w = w;
            w->nlisteners++;
        }
    }
    return 0;
}

/* Each worker has its own balancer state per backend (round-robin position,
 * least-conn heap), indexed by proxy uuid, so picking a server takes no lock;
 * only the server counters are shared atomics. */
static int add_balancers(struct lb_worker *w)
{
    struct lb_proxy *px;

    for (px = w->cfg->proxies; px; px = px->next)
        if (px->uuid >= w->nbal)
            w->nbal = px->uuid + 1;
    w->bal = calloc(w->nbal ? w->nbal : 1, sizeof(*w->bal));
    if (!w->bal)
        return -ENOMEM;
    for (px = w->cfg->proxies; px; px = px->next) {
        if (!(px->cap & LB_CAP_BE))
            continue;
        w->bal[px->uuid] = lb_balancer_new(px);
        if (!w->bal[px->uuid])
            return -ENOMEM;
    }
    return 0;
}

/* On failure lb_worker_free() undoes what was built; the loop is only closed
 * if it was initialised (loop_ok). */
int lb_worker_new(struct lb_worker **ret, struct lb_daemon *d, unsigned id, char **err)
{
    struct lb_worker *w;
    int r;

    w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->d = d;
    w->cfg = d->cfg;
    w->id = id;
    w->bufsize = d->cfg->global.bufsize;
    w->pool_cap = POOL_KEEP;
    w->pipes_cap = PIPES_KEEP;
    w->pool = calloc(POOL_KEEP, sizeof(*w->pool));
    w->pipes = calloc(PIPES_KEEP, sizeof(*w->pipes));
    lk_list_init(&w->sessions);
    lk_list_init(&w->queue);
    lk_list_init(&w->pp);
    pthread_mutex_init(&w->req_lock, NULL);
    lb_tlog_init(&w->tlog);
    r = uv_loop_init(&w->loop);
    if (r < 0) {
        free(w->pool);
        free(w->pipes);
        free(w);
        return r;
    }
    w->loop_ok = 1;
    if (!w->pool || !w->pipes) {
        r = -ENOMEM;
        goto fail;
    }
    r = add_listeners(w, err);
    if (r == 0)
        r = add_balancers(w);
    if (r < 0)
        goto fail;
    *ret = w;
    return 0;
fail:
    lb_worker_free(w);
    return r;
}

/* Before the worker started, no poll handle exists for the listener and only
 * the descriptor is closed. */
static void close_listeners(struct lb_worker *w)
{
    unsigned i;

    for (i = 0; i < w->nlisteners; i++) {
        struct lb_listener *l = &w->listeners[i];

        if (l->fd < 0)
            continue;
        if (w->started)
            uv_close((uv_handle_t *)&l->poll, NULL);
        close(l->fd);
        l->fd = -1;
    }
}

/* Closing these three handles and the listeners lets uv_run() return in
 * thread_main once the close callbacks ran; the worker struct itself is freed
 * by the control thread after pthread_join(). */
static void finish_loop(struct lb_worker *w)
{
    if (w->closed)
        return;
    w->closed = 1;
    close_listeners(w);
    uv_close((uv_handle_t *)&w->wake, NULL);
    uv_close((uv_handle_t *)&w->tick, NULL);
    uv_close((uv_handle_t *)&w->qtimer, NULL);
}

/* Room for one more request: doubles the list when full; 0 if out of memory. */
static int kill_room(struct lb_worker *w)
{
    unsigned cap = w->kill_cap ? 2 * w->kill_cap : 16;
    struct lb_server **v;

    if (w->nkill < w->kill_cap)
        return 1;
    v = realloc(w->kill_srv, cap * sizeof(*v));
    if (!v)
        return 0;
    w->kill_srv = v;
    w->kill_cap = cap;
    return 1;
}

/* Called from the control thread. The pending list grows as needed and
 * holds each server once, so it is bounded by the number of servers and no
 * request is lost however many arrive between two wake-ups of this worker;
 * only an allocation failure drops one, and says so. */
void lb_worker_shutdown_server(struct lb_worker *w, struct lb_server *s)
{
    unsigned i;
    int lost = 0;

    pthread_mutex_lock(&w->req_lock);
    for (i = 0; i < w->nkill && w->kill_srv[i] != s; i++)
        continue; /* i < nkill: already pending */
    if (i == w->nkill) {
        if (kill_room(w))
            w->kill_srv[w->nkill++] = s;
        else
            lost = 1;
    }
    pthread_mutex_unlock(&w->req_lock);
    if (lost)
        lk_log(LK_LOG_ERR, "worker %u: out of memory: sessions of %s/%s not shut down", w->id,
               s->be->name, s->name);
    uv_async_send(&w->wake);
}

/* Taken out under the lock so that tearing sessions down, which may take a
 * while, does not hold the control thread waiting on req_lock. */
static void run_kill_requests(struct lb_worker *w)
{
    struct lb_server **pending;
    unsigned n, i;

    pthread_mutex_lock(&w->req_lock);
    pending = w->kill_srv;
    n = w->nkill;
    w->kill_srv = NULL;
    w->nkill = w->kill_cap = 0;
    pthread_mutex_unlock(&w->req_lock);
    for (i = 0; i < n; i++)
        lb_tcp_shutdown_server(w, pending[i]);
    free(pending);
}

/* All requests from the control thread arrive here: shutdown-sessions, then
 * the stop (once), then the abort of every session. A worker that is stopping
 * finishes its loop when its last session is gone, so the thread ends without
 * a separate join signal. */
static void wake_cb(uv_async_t *a)
{
    struct lb_worker *w = a->data;
    int req = atomic_load(&w->stop_requested);

    run_kill_requests(w);
    if (req && !w->stopping) {
        w->stopping = 1;
        close_listeners(w);
        lb_http_stop(w);
    }
    /* a handshake would otherwise hold a graceful stop for "timeout client" */
    if (req)
        lb_pp_abort_all(w);
    if (req == 2) {
        lb_tcp_abort_all(w);
        lb_http_abort_all(w);
    }
    if (w->stopping && w->nsessions == 0)
        finish_loop(w);
}

/* The heartbeat is written here rather than on every event: a loop busy with
 * traffic still ticks, and a loop stuck in a callback stops ticking, which is
 * what lb_daemon_healthy() detects. */
static void tick_cb(uv_timer_t *t)
{
    struct lb_worker *w = t->data;
    unsigned i;
    int paused = 0;

    atomic_store_explicit(&w->heartbeat_ms, lk_mono_ms(), memory_order_relaxed);
    if (w->stopping)
        lb_http_stop_idle(w);
    if (!lk_list_empty(&w->queue))
        lb_tcp_queue_run(w);
    resume_listeners(w);
    for (i = 0; i < w->nlisteners; i++)
        paused |= w->listeners[i].paused;
    if (lk_list_empty(&w->queue) && !paused)
        set_tick(w, TICK_SLOW_MS);
}

static void *thread_main(void *arg)
{
    struct lb_worker *w = arg;

    uv_run(&w->loop, UV_RUN_DEFAULT);
    lb_daemon_worker_done(w->d);
    return NULL;
}

/* Handles are initialised here, on the control thread, before the thread
 * exists: libuv is not thread-safe, and afterwards only wake (async) may be
 * touched from another thread. The heartbeat starts at now so that a worker
 * is not reported stalled before its first tick. */
int lb_worker_start(struct lb_worker *w)
{
    unsigned i;
    int r;

    uv_async_init(&w->loop, &w->wake, wake_cb);
    uv_timer_init(&w->loop, &w->tick);
    uv_timer_init(&w->loop, &w->qtimer);
    w->wake.data = w->tick.data = w->qtimer.data = w;
    uv_timer_start(&w->tick, tick_cb, TICK_SLOW_MS, TICK_SLOW_MS);
    for (i = 0; i < w->nlisteners; i++) {
        struct lb_listener *l = &w->listeners[i];

        uv_poll_init(&w->loop, &l->poll, l->fd);
        l->poll.data = l;
        uv_poll_start(&l->poll, UV_READABLE, accept_cb);
    }
    w->started = 1;
    atomic_store(&w->heartbeat_ms, lk_mono_ms());
    r = pthread_create(&w->tid, NULL, thread_main, w);
    if (r != 0)
        return -r;
    w->running = 1;
    return 0;
}

/* Thread-safe: only an atomic store and uv_async_send(). */
void lb_worker_stop(struct lb_worker *w, int now)
{
    atomic_store(&w->stop_requested, now ? 2 : 1);
    uv_async_send(&w->wake);
}

/* Called by the control thread after the worker's loop has ended (or never
 * ran): the join is what makes touching the worker's state safe. */
struct lb_worker *lb_worker_free(struct lb_worker *w)
{
    unsigned i;

    if (!w)
        return NULL;
    if (w->running)
        pthread_join(w->tid, NULL);
    if (!w->started)
        close_listeners(w);
    for (i = 0; i < w->nbal; i++)
        lb_balancer_free(w->bal[i]);
    free(w->bal);
    free(w->listeners);
    while (w->npool)
        free(w->pool[--w->npool]);
    free(w->pool);
    while (w->npipes) {
        w->npipes--;
        close(w->pipes[w->npipes][0]);
        close(w->pipes[w->npipes][1]);
    }
    free(w->pipes);
    lb_tlog_fini(&w->tlog);
    lb_http_worker_free(w);
    pthread_mutex_destroy(&w->req_lock);
    free(w->kill_srv);
    if (w->loop_ok && uv_loop_close(&w->loop) != 0)
        lk_log(LK_LOG_WARNING, "worker %u: loop closed with open handles", w->id);
    free(w);
    return NULL;
}
