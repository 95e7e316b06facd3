/* http_conn.c - server connections and the idle pool; see http_conn.h. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lbd/core/proxy_types.h"
#include "lbd/http/http_conn.h"

#define PURGE_EVERY_MS 1000

struct lb_http_worker *lb_http_worker_get(struct lb_worker *w)
{
    struct lb_http_worker *hw = w->http;

    if (hw)
        return hw;
    hw = calloc(1, sizeof(*hw));
    if (!hw)
        return NULL;
    hw->idle = calloc(w->nbal ? w->nbal : 1, sizeof(*hw->idle));
    if (!hw->idle) {
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
        free(hw->idle[i]);
    free(hw->idle);
    free(hw);
    w->http = NULL;
}

static void sconn_closed(uv_handle_t *h)
{
    free(h->data);
}

void lb_sconn_close(struct lb_sconn *c, int rst)
{
    struct linger lg = {1, 0};
    struct lb_http_worker *hw = c->w->http;

    if (!c->owner) { /* idle: leave the pool */
        lk_list_del(&c->link);
        hw->nidle--;
    }
    if (rst)
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    uv_close((uv_handle_t *)&c->poll, sconn_closed);
    close(c->fd);
    c->fd = -1;
}

static void idle_event(struct lb_sconn *c)
{
    /* an idle connection has nothing to say: data or EOF means it is dead */
    lb_sconn_close(c, 0);
}

static void poll_cb(uv_poll_t *p, int status, int events)
{
    struct lb_sconn *c = p->data;

    if (status < 0)
        c->ev = 0; /* libuv stopped the handle */
    if (!c->owner) {
        idle_event(c);
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

static struct lk_list *idle_list(struct lb_http_worker *hw, struct lb_server *srv, int create)
{
    struct lb_proxy *be = srv->be;
    unsigned i;

    if (be->uuid >= hw->w->nbal || srv->idx >= be->servers_cap)
        return NULL;
    /* servers_cap, not nservers: "add server" fills the reserved slots
     * later and must find its list here */
    if (!hw->idle[be->uuid] && create) {
        hw->idle[be->uuid] = calloc(be->servers_cap ? be->servers_cap : 1, sizeof(struct lk_list));
        if (!hw->idle[be->uuid])
            return NULL;
        for (i = 0; i < be->servers_cap; i++)
            lk_list_init(&hw->idle[be->uuid][i]);
    }
    return hw->idle[be->uuid] ? &hw->idle[be->uuid][srv->idx] : NULL;
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

struct lb_sconn *lb_sconn_reuse(struct lb_worker *w,
                                struct lb_server *srv,
                                void *owner,
                                lb_sconn_cb cb)
{
    struct lb_http_worker *hw = w->http;
    struct lk_list *l = hw ? idle_list(hw, srv, 0) : NULL;
    uint64_t now = uv_now(&w->loop);
    struct lb_sconn *c;

    while (l && !lk_list_empty(l)) {
        c = LK_LIST_ELEM(l->prev, struct lb_sconn, link);
        if (now - c->idle_since >= LB_SCONN_IDLE_MS || !sconn_quiet(c) ||
            c->addr != atomic_load_explicit(&srv->cur_addr, memory_order_acquire)) {
            lb_sconn_close(c, 0);
            continue;
        }
        lk_list_del(&c->link);
        hw->nidle--;
        c->owner = owner;
        c->cb = cb;
        c->nreq++;
        /* still polled for UV_READABLE: the owner wants that next anyway */
        return c;
    }
    return NULL;
}

int lb_sconn_connect(struct lb_worker *w,
                     struct lb_server *srv,
                     int keepalive,
                     void *owner,
                     lb_sconn_cb cb,
                     struct lb_sconn **ret)
{
    /* the address in effect: "set server addr" and run-time DNS change it */
    const struct lk_addr *a = atomic_load_explicit(&srv->cur_addr, memory_order_acquire);
    struct lb_sconn *c;
    int fd, one = 1, r;

    fd = socket(a->u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (keepalive)
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    if (connect(fd, &a->u.sa, a->len) < 0 && errno != EINPROGRESS) {
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
    c->owner = owner;
    c->cb = cb;
    c->nreq = 1;
    lk_list_init(&c->link);
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

static void purge_cb(uv_timer_t *t)
{
    struct lb_http_worker *hw = t->data;
    uint64_t now = uv_now(&hw->w->loop);
    struct lk_list *it, *nx;
    unsigned u, i;

    for (u = 0; u < hw->w->nbal && hw->nidle; u++) {
        struct lb_proxy *be = hw->w->bal[u] ? hw->w->bal[u]->be : NULL;

        for (i = 0; be && hw->idle[u] && i < be->servers_cap; i++)
            LK_LIST_FOREACH_SAFE (it, nx, &hw->idle[u][i]) {
                struct lb_sconn *c = LK_LIST_ELEM(it, struct lb_sconn, link);

                if (now - c->idle_since >= LB_SCONN_IDLE_MS)
                    lb_sconn_close(c, 0);
            }
    }
}

static unsigned list_len(const struct lk_list *l)
{
    const struct lk_list *it;
    unsigned n = 0;

    LK_LIST_FOREACH (it, l) {
        n++;
    }
    return n;
}

void lb_sconn_release(struct lb_sconn *c, int keep)
{
    struct lb_http_worker *hw = c->w->http;
    struct lk_list *l = keep && hw && !hw->stopping ? idle_list(hw, c->srv, 1) : NULL;

    /* the exact count is only needed once the worker holds many */
    if (!l || (hw->nidle >= LB_SCONN_IDLE_MAX && list_len(l) >= LB_SCONN_IDLE_MAX)) {
        lb_sconn_close(c, 0);
        return;
    }
    c->owner = NULL;
    c->cb = NULL;
    c->idle_since = uv_now(&c->w->loop);
    lk_list_append(l, &c->link);
    hw->nidle++;
    lb_sconn_want(c, UV_READABLE);
    if (!hw->purge_init) {
        uv_timer_init(&c->w->loop, &hw->purge);
        hw->purge.data = hw;
        hw->purge_init = 1;
        uv_timer_start(&hw->purge, purge_cb, PURGE_EVERY_MS, PURGE_EVERY_MS);
    }
}

void lb_sconn_pool_stop(struct lb_http_worker *hw)
{
    unsigned u, i;

    hw->stopping = 1;
    for (u = 0; u < hw->w->nbal; u++) {
        struct lb_proxy *be = hw->w->bal[u] ? hw->w->bal[u]->be : NULL;

        for (i = 0; be && hw->idle[u] && i < be->servers_cap; i++)
            while (!lk_list_empty(&hw->idle[u][i]))
                lb_sconn_close(LK_LIST_ELEM(hw->idle[u][i].next, struct lb_sconn, link), 0);
    }
    if (hw->purge_init) {
        hw->purge_init = 0;
        uv_close((uv_handle_t *)&hw->purge, NULL);
    }
}
