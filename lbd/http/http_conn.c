/* http_conn.c - server connections and the idle pool; see http_conn.h. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/compiler.h"
#include "lbd/core/proxy_types.h"
#include "lbd/http/http_conn.h"

#define PURGE_EVERY_MS 1000 /* granularity of pool-purge-delay */

/* One server's idle connections in one worker, and HAProxy's estimate of
 * how many it needs. */
struct lb_sconn_pool {
    struct lk_list l[LB_SCONN_LIST_MAX]; /* oldest first */
    unsigned n[LB_SCONN_LIST_MAX];
    unsigned used;       /* connections in use (parked ones count) */
    unsigned max_used;   /* most in use at once since the last purge */
    unsigned est_need;   /* decaying estimate of the need */
    uint64_t next_purge; /* loop ms; 0: no idle connection, no purge due */
};

struct lb_http_worker *lb_http_worker_get(struct lb_worker *w)
{
    struct lb_http_worker *hw = w->http;

    if (hw)
        return hw;
    hw = calloc(1, sizeof(*hw));
    if (!hw)
        return NULL;
    /* One slot per backend (indexed by uuid, as w->bal); each backend's array of
     * per-server pools is allocated on its first connection (pool_of()), so
     * backends that never see mode http traffic cost one pointer. */
    hw->pools = calloc(w->nbal ? w->nbal : 1, sizeof(*hw->pools));
    if (!hw->pools) {
        free(hw);
        return NULL;
    }
    hw->w = w;
    lk_list_init(&hw->sessions);
    w->http = hw;
    return hw;
}

void lb_http_worker_free(struct lb_worker *w)
{
    struct lb_http_worker *hw = w->http;
    unsigned i;

    if (!hw)
        return;
    for (i = 0; i < w->nbal; i++)
        free(hw->pools[i]);
    free(hw->pools);
    free(hw);
    w->http = NULL;
}

/* The only place an lb_sconn is freed: after uv_close(), libuv may still
 * touch the handle until this callback runs. */
static void sconn_closed(uv_handle_t *h)
{
    free(h->data);
}

/* Take an idle connection out of the pool or its session's list. */
static void unlink_idle(struct lb_sconn *c)
{
    struct lb_http_worker *hw = c->w->http;

    lk_list_del(&c->link);
    lk_list_init(&c->link);
    if (c->parked) {
        c->parked = 0;
        return;
    }
    c->pool->n[c->safe]--;
    hw->nidle--;
    atomic_fetch_sub_explicit(&c->srv->pool_idle, 1, memory_order_relaxed);
    if (c->safe)
        atomic_fetch_sub_explicit(&c->srv->pool_safe, 1, memory_order_relaxed);
}

/* HAProxy's srv_use_conn: count it in use, raise the estimates. */
static void use_conn(struct lb_sconn *c)
{
    struct lb_sconn_pool *p = c->pool;

    if (!p)
        return;
    p->used++;
    p->max_used = LK_MAX(p->max_used, p->used);
    p->est_need = LK_MAX(p->est_need, p->used);
    atomic_fetch_add_explicit(&c->srv->pool_used, 1, memory_order_relaxed);
    atomic_store_explicit(&c->srv->pool_need, p->est_need, memory_order_relaxed);
}

static void unuse_conn(struct lb_sconn *c)
{
    c->pool->used--;
    atomic_fetch_sub_explicit(&c->srv->pool_used, 1, memory_order_relaxed);
}

/* The fd is closed at once, not in the close callback: the server sees the
 * FIN (or RST) now, and the handle no longer polls it after uv_close(). */
void lb_sconn_close(struct lb_sconn *c, int rst)
{
    struct linger lg = {1, 0};
    int pooled = !c->owner && !c->parked;

    if (!c->owner)
        unlink_idle(c);
    if (!pooled && c->pool) /* owned or parked: counted in use */
        unuse_conn(c);
    if (rst)
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    uv_close((uv_handle_t *)&c->poll, sconn_closed);
    close(c->fd);
    c->fd = -1;
}

static void poll_cb(uv_poll_t *p, int status, int events)
{
    struct lb_sconn *c = p->data;

    if (status < 0)
        c->ev = 0; /* libuv stopped the handle */
    if (!c->owner) {
        /* an idle connection has nothing to say: data or EOF means it is dead */
        lb_sconn_close(c, 0);
        return;
    }
    c->cb(c, c->owner, status, events);
}

void lb_sconn_want(struct lb_sconn *c, int events)
{
    if (events == c->ev)
        return;
    c->ev = events;
    if (events)
        uv_poll_start(&c->poll, events, poll_cb);
    else
        uv_poll_stop(&c->poll);
}

static struct lb_sconn_pool *pool_of(struct lb_http_worker *hw, struct lb_server *srv, int create)
{
    struct lb_proxy *be = srv->be;
    struct lb_sconn_pool *p;
    unsigned i, k;

    if (be->uuid >= hw->w->nbal || srv->idx >= be->servers_cap)
        return NULL;
    /* servers_cap, not nservers: "add server" fills the reserved slots
     * later and must find its pool here */
    if (!hw->pools[be->uuid] && create) {
        p = calloc(be->servers_cap ? be->servers_cap : 1, sizeof(*p));
        if (!p)
            return NULL;
        for (i = 0; i < be->servers_cap; i++)
            for (k = 0; k < LB_SCONN_LIST_MAX; k++)
                lk_list_init(&p[i].l[k]);
        hw->pools[be->uuid] = p;
    }
    return hw->pools[be->uuid] ? &hw->pools[be->uuid][srv->idx] : NULL;
}

/* An idle connection must have nothing to read: bytes the server sent
 * after its response (or its FIN) would be taken as the next answer. The
 * poll callback closes such a connection, but only on the next loop
 * iteration; a session reusing it in the same iteration checks here. */
static int sconn_quiet(const struct lb_sconn *c)
{
    char b;

    /* EWOULDBLOCK is EAGAIN on Linux */
    return recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

/* Still usable: quiet, and to the server's current address. */
static int sconn_usable(const struct lb_sconn *c)
{
    return sconn_quiet(c) &&
           c->addr == atomic_load_explicit(&c->srv->cur_addr, memory_order_acquire);
}

/* Hand idle connection c to owner: 1, or 0 when it turned out dead (then
 * it is closed). */
static int take(struct lb_sconn *c, void *owner, lb_sconn_cb cb)
{
    int pooled = !c->parked;

    if (!sconn_usable(c)) {
        lb_sconn_close(c, 0);
        return 0;
    }
    unlink_idle(c);
    c->owner = owner;
    c->cb = cb;
    /* Counted as a new request on it: from its second one it is "safe" when
     * given back (HAProxy's proof that the server keeps connections alive). */
    c->nreq++;
    atomic_fetch_add_explicit(&c->srv->conn_reuse, 1, memory_order_relaxed);
    if (pooled)
        use_conn(c);
    /* still polled for UV_READABLE: the owner wants that next anyway */
    return 1;
}

struct lb_sconn *lb_sconn_reuse(struct lb_worker *w,
                                struct lb_server *srv,
                                enum lb_sconn_list which,
                                void *owner,
                                lb_sconn_cb cb)
{
    struct lb_http_worker *hw = w->http;
    struct lb_sconn_pool *p = hw ? pool_of(hw, srv, 0) : NULL;
    struct lb_sconn *c;

    /* most recently used first: few connections stay warm */
    while (p && !lk_list_empty(&p->l[which])) {
        c = LK_LIST_ELEM(p->l[which].prev, struct lb_sconn, link);
        if (take(c, owner, cb))
            return c;
    }
    return NULL;
}

struct lb_sconn *lb_sconn_unpark(struct lk_list *l,
                                 struct lb_server *srv,
                                 void *owner,
                                 lb_sconn_cb cb)
{
    struct lk_list *it, *nx;

    LK_LIST_FOREACH_SAFE (it, nx, l) {
        struct lb_sconn *c = LK_LIST_ELEM(it, struct lb_sconn, link);

        if (c->srv == srv && take(c, owner, cb))
            return c;
    }
    return NULL;
}

int lb_sconn_connect(struct lb_worker *w,
                     struct lb_server *srv,
                     unsigned port,
                     int keepalive,
                     void *owner,
                     lb_sconn_cb cb,
                     struct lb_sconn **ret)
{
    /* the address in effect: "set server addr" and run-time DNS change it */
    const struct lk_addr *a = atomic_load_explicit(&srv->cur_addr, memory_order_acquire);
    struct lb_http_worker *hw = lb_http_worker_get(w);
    struct lk_addr mapped;
    struct lb_sconn *c;
    int fd, one = 1, r;

    fd = socket(a->u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (keepalive)
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    /* Connected at once or in progress, both are success here: the owner learns
     * the outcome from UV_WRITABLE and lb_sconn_error(), as for any
     * non-blocking connect. */
    mapped = *a;
    if (port)
        lk_addr_set_port(&mapped, port);
    if (connect(fd, &mapped.u.sa, mapped.len) < 0 && errno != EINPROGRESS) {
        r = -errno;
        close(fd);
        return r;
    }
    c = calloc(1, sizeof(*c));
    if (!c || uv_poll_init(&w->loop, &c->poll, fd) < 0) {
        free(c);
        close(fd);
        return -ENOMEM;
    }
    c->poll.data = c;
    c->addr = a;
    c->fd = fd;
    c->srv = srv;
    c->w = w;
    c->pool = hw ? pool_of(hw, srv, 1) : NULL; /* none: it is closed after use */
    c->owner = owner;
    c->cb = cb;
    c->nreq = 1;
    lk_list_init(&c->link);
    use_conn(c);
    atomic_fetch_add_explicit(&srv->conn_connect, 1, memory_order_relaxed);
    *ret = c;
    return 0;
}

int lb_sconn_error(const struct lb_sconn *c)
{
    int err = 0;
    socklen_t len = sizeof(err);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return -errno;
    return -err;
}

/* HAProxy's srv_cleanup_idle_conns for one pool: close half of the idle
 * connections beyond the estimated need (never-used kind first, oldest
 * first), then let the estimate decay toward the current use. */
static void purge_pool(struct lb_sconn_pool *p, struct lb_server *srv, uint64_t now)
{
    long idle = (long)(p->n[LB_SCONN_IDLE] + p->n[LB_SCONN_SAFE]);
    long exceed = (long)p->used + idle - (long)LK_MAX(p->max_used, p->est_need);
    long kill = exceed > 0 ? exceed / 2 + (exceed & 1) : 0;
    unsigned k;

    p->est_need = LK_MAX((p->est_need + p->max_used) / 2, p->max_used);
    p->max_used = p->used;
    atomic_store_explicit(&srv->pool_need, p->est_need, memory_order_relaxed);
    for (k = 0; k < LB_SCONN_LIST_MAX; k++)
        while (kill > 0 && !lk_list_empty(&p->l[k])) {
            lb_sconn_close(LK_LIST_ELEM(p->l[k].next, struct lb_sconn, link), 0);
            kill--;
        }
    p->next_purge =
        p->n[LB_SCONN_IDLE] + p->n[LB_SCONN_SAFE] ? now + LK_MAX(srv->pool_purge_ms, 1) : 0;
}

/* One timer per worker for every pool, at PURGE_EVERY_MS: each pool keeps its
 * own due time (next_purge), so pool-purge-delay is honoured to within a
 * second without a timer per server. */
static void purge_cb(uv_timer_t *t)
{
    struct lb_http_worker *hw = t->data;
    uint64_t now = uv_now(&hw->w->loop);
    unsigned u, i;

    for (u = 0; u < hw->w->nbal && hw->nidle; u++) {
        struct lb_proxy *be = hw->w->bal[u] ? hw->w->bal[u]->be : NULL;
        struct lb_sconn_pool *p = hw->pools[u];

        for (i = 0; be && p && i < be->nservers; i++)
            if (p[i].next_purge && now >= p[i].next_purge)
                purge_pool(&p[i], be->servers[i], now);
    }
}

/* HAProxy 2.6's srv_add_to_idle_list test: the first idle connection of
 * its kind is kept, further ones only within the estimated need plus
 * pool-low-conn, and never more than pool-max-conn for the server. */
static int pool_admits(const struct lb_sconn *c, const struct lb_sconn_pool *p, int safe)
{
    const struct lb_server *srv = c->srv;
    unsigned idle = p->n[LB_SCONN_IDLE] + p->n[LB_SCONN_SAFE];

    /* A private connection belongs to its client (NTLM, http-reuse never);
     * pool-purge-delay 0 or pool-max-conn 0 disable idle connections, as in
     * HAProxy. pool_idle is per server, summed over every worker, since
     * pool-max-conn bounds the whole process. */
    if (c->priv || srv->pool_purge_ms == 0 || srv->pool_max == 0)
        return 0;
    if (srv->pool_max > 0 &&
        atomic_load_explicit(&srv->pool_idle, memory_order_relaxed) >= (unsigned)srv->pool_max)
        return 0;
    if (p->n[LB_SCONN_SAFE] == 0 && (safe || p->n[LB_SCONN_IDLE] == 0))
        return 1;
    /* p->used still counts c, as HAProxy's curr_used_conns does here */
    return p->used + idle <= LK_MAX(p->used, p->est_need) + srv->pool_low;
}

/* Started with the first idle connection: a worker that never pools has no
 * timer running. lb_sconn_pool_stop() closes it. */
static void purge_timer_start(struct lb_http_worker *hw)
{
    if (hw->purge_init)
        return;
    uv_timer_init(&hw->w->loop, &hw->purge);
    hw->purge.data = hw;
    hw->purge_init = 1;
    uv_timer_start(&hw->purge, purge_cb, PURGE_EVERY_MS, PURGE_EVERY_MS);
}

void lb_sconn_release(struct lb_sconn *c, int keep)
{
    struct lb_http_worker *hw = c->w->http;
    struct lb_sconn_pool *p = c->pool;
    int safe = c->nreq >= 2;

    /* A stopping worker keeps nothing idle, or its loop would never empty. */
    if (!keep || !p || !hw || hw->stopping || !pool_admits(c, p, safe)) {
        lb_sconn_close(c, 0);
        return;
    }
    unuse_conn(c);
    c->owner = NULL;
    c->cb = NULL;
    c->safe = (uint8_t)safe;
    lk_list_append(&p->l[safe], &c->link);
    p->n[safe]++;
    hw->nidle++;
    atomic_fetch_add_explicit(&c->srv->pool_idle, 1, memory_order_relaxed);
    if (safe)
        atomic_fetch_add_explicit(&c->srv->pool_safe, 1, memory_order_relaxed);
    if (!p->next_purge)
        p->next_purge = uv_now(&c->w->loop) + c->srv->pool_purge_ms;
    lb_sconn_want(c, UV_READABLE);
    purge_timer_start(hw);
}

void lb_sconn_park(struct lb_sconn *c, struct lk_list *l, unsigned n)
{
    struct lb_http_worker *hw = c->w->http;

    /* max-session-srv-conns: a client must not hold more idle server connections
     * than this, whatever it asks for. */
    if (!hw || hw->stopping || n >= LB_SCONN_SESS_MAX) {
        lb_sconn_close(c, 0);
        return;
    }
    c->owner = NULL;
    c->cb = NULL;
    c->parked = 1;
    lk_list_append(l, &c->link);
    lb_sconn_want(c, UV_READABLE);
}

void lb_sconn_pool_stop(struct lb_http_worker *hw)
{
    unsigned u, i, k;

    hw->stopping = 1;
    for (u = 0; u < hw->w->nbal; u++) {
        struct lb_proxy *be = hw->w->bal[u] ? hw->w->bal[u]->be : NULL;
        struct lb_sconn_pool *p = hw->pools[u];

        for (i = 0; be && p && i < be->servers_cap; i++)
            for (k = 0; k < LB_SCONN_LIST_MAX; k++)
                while (!lk_list_empty(&p[i].l[k]))
                    lb_sconn_close(LK_LIST_ELEM(p[i].l[k].next, struct lb_sconn, link), 0);
    }
    if (hw->purge_init) {
        hw->purge_init = 0;
        uv_close((uv_handle_t *)&hw->purge, NULL);
    }
}
