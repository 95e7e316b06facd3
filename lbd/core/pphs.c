/* pphs.c - see pphs.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "lbd/core/pphs.h"
#include "lbd/core/tlog.h"
#include "lbd/http/httpfwd.h"
#include "lbd/tcp/tcpfwd.h"
#include "proto/proxy_proto.h"

/* HAProxy peeks into a buffer of tune.bufsize (16 kB by default): a v2
 * header with more TLVs than that is truncated there as here. */
#define PEEK_MAX 16384

/* HAProxy's connection error codes for the header (CO_ER_PRX_*), in its
 * words; E_NONE: read, the session starts. */
enum pp_err { E_NONE = 0, E_EMPTY, E_ABORT, E_TIMEOUT, E_TRUNC, E_NOHDR, E_BAD, E_PROTO, E_MAX };

static const char *const pp_msg[E_MAX] = {
    [E_EMPTY] = "Connection closed while waiting for PROXY protocol header",
    [E_ABORT] = "Connection error while waiting for PROXY protocol header",
    [E_TIMEOUT] = "Timeout while waiting for PROXY protocol header",
    [E_TRUNC] = "Truncated PROXY protocol header received",
    [E_NOHDR] = "Received something which does not look like a PROXY protocol header",
    [E_BAD] = "Received an invalid PROXY protocol header",
    [E_PROTO] = "Received an unhandled protocol in the PROXY protocol header",
};

struct pphs {
    struct lk_list link; /* in w->pp */
    uv_poll_t poll;
    uv_timer_t timer;
    int handles; /* open handles; freed when the last one closed */
    int fd;
    int done;
    enum pp_err err;
    int quiet; /* aborted by the worker: no log line */
    struct lb_listener *l;
    struct lk_addr peer, src, dst;
    int has_dst;
    uint64_t accept_wall_us;
};

/* What HAProxy logs for an embryonic session that failed: its prefix is
 * the peer's address, the accept date and "frontend/listener" (the bind's
 * name, else its number in the frontend). dontlognull silences the
 * connections that sent nothing. */
static void log_failure(struct pphs *h)
{
    struct lb_worker *w = h->l->w;
    const struct lb_proxy *fe = h->l->fe;
    const struct lb_bind *b = h->l->bind;
    char line[512], id[16];
    size_t n;
    int level = fe->options & LB_OPT_LOG_SEP_ERRORS ? 3 : 6;

    if (h->quiet || !lb_tlog_enabled(fe, &w->cfg->global))
        return;
    if ((fe->options & LB_OPT_DONTLOGNULL) && (h->err == E_EMPTY || h->err == E_ABORT))
        return;
    snprintf(id, sizeof(id), "%u", b->luid);
    n = lb_tlog_head(line, sizeof(line), &h->peer, h->accept_wall_us);
    n += lb_tlog_clamp(snprintf(line + n, sizeof(line) - n, "%s/%s: %s", fe->name,
                                b->name ? b->name : id, pp_msg[h->err]),
                       sizeof(line) - n);
    lb_tlog_send(&w->tlog, fe, &w->cfg->global, level, line, n);
}

/* The last handle is closed: the fd is no longer watched by the loop, so
 * the session may take it (it polls it itself). */
static void closed_cb(uv_handle_t *hd)
{
    struct pphs *h = hd->data;
    struct lb_listener *l = h->l;
    struct lb_worker *w = l->w;

    if (--h->handles)
        return;
    lk_list_del(&h->link);
    w->nsessions--;
    if (h->err == E_NONE) {
        lb_session_start_fn *start =
            l->fe->mode == LB_MODE_HTTP ? lb_http_session_start : lb_tcp_session_start;

        start(w, l->fe, h->fd, &h->src, h->has_dst ? &h->dst : NULL);
    } else {
        log_failure(h);
        lb_worker_refuse(w, h->fd, NULL);
    }
    free(h);
    if (w->stopping && w->nsessions == 0)
        uv_async_send(&w->wake);
}

static void finish(struct pphs *h, enum pp_err err)
{
    if (h->done)
        return;
    h->done = 1;
    h->err = err;
    uv_close((uv_handle_t *)&h->poll, closed_cb);
    uv_close((uv_handle_t *)&h->timer, closed_cb);
}

static void set_addr(struct lk_addr *a, int family, const uint8_t *ip, uint16_t port)
{
    memset(a, 0, sizeof(*a));
    a->u.sa.sa_family = (sa_family_t)family;
    if (family == AF_INET) {
        memcpy(&a->u.in4.sin_addr, ip, 4);
        a->len = sizeof(a->u.in4);
    } else {
        memcpy(&a->u.in6.sin6_addr, ip, 16);
        a->len = sizeof(a->u.in6);
    }
    lk_addr_set_port(a, port);
}

static enum pp_err err_of(int r)
{
    switch (r) {
    case -EAGAIN:
        return E_TRUNC;
    case -ENOMSG:
        return E_NOHDR;
    case -EPROTONOSUPPORT:
        return E_PROTO;
    default:
        return E_BAD;
    }
}

/* As HAProxy: the header is judged on the first bytes that arrive (peeked,
 * so that nothing after it is taken from the session), then exactly its
 * length is consumed. A header split across segments is "truncated". */
static enum pp_err read_header(struct pphs *h)
{
    struct proxy_proto_info pi;
    uint8_t buf[PEEK_MAX];
    ssize_t n;
    int r;

    do
        n = recv(h->fd, buf, sizeof(buf), MSG_PEEK);
    while (n == -1 && errno == EINTR);
    if (n == -1)
        return errno == EAGAIN ? E_MAX : E_ABORT;
    if (n == 0)
        return E_EMPTY;
    memset(&pi, 0, sizeof(pi));
    pi.local = 1;
    r = proxy_proto_parse(buf, (size_t)n, &pi);
    if (r == -EINVAL && !pi.local && pi.family)
        set_addr(&h->peer, pi.family, pi.src, pi.sport); /* see proxy_proto.h */
    if (r < 0)
        return err_of(r);
    if (recv(h->fd, buf, (size_t)r, 0) != r)
        return E_ABORT;
    h->src = h->peer;
    if (!pi.local) {
        set_addr(&h->src, pi.family, pi.src, pi.sport);
        set_addr(&h->dst, pi.family, pi.dst, pi.dport);
        h->has_dst = 1;
    }
    return E_NONE;
}

static void readable_cb(uv_poll_t *p, int status, int events)
{
    struct pphs *h = p->data;
    enum pp_err e = status < 0 ? E_ABORT : read_header(h);

    if (e != E_MAX)
        finish(h, e);
}

static void timeout_cb(uv_timer_t *t)
{
    finish(t->data, E_TIMEOUT);
}

void lb_pp_start(struct lb_listener *l, int fd, const struct lk_addr *peer)
{
    struct lb_worker *w = l->w;
    struct pphs *h = calloc(1, sizeof(*h));

    if (!h || uv_poll_init(&w->loop, &h->poll, fd) < 0) {
        lb_worker_refuse(w, fd, h);
        return;
    }
    h->l = l;
    h->fd = fd;
    h->peer = *peer;
    h->accept_wall_us = lk_wall_us();
    h->poll.data = h->timer.data = h;
    uv_timer_init(&w->loop, &h->timer);
    h->handles = 2;
    lk_list_append(&w->pp, &h->link);
    w->nsessions++;
    if (l->fe->to.client)
        uv_timer_start(&h->timer, timeout_cb, l->fe->to.client, 0);
    uv_poll_start(&h->poll, UV_READABLE, readable_cb);
}

void lb_pp_abort_all(struct lb_worker *w)
{
    struct lk_list *it, *tmp;

    LK_LIST_FOREACH_SAFE (it, tmp, &w->pp) {
        struct pphs *h = LK_LIST_ELEM(it, struct pphs, link);

        h->quiet = 1;
        finish(h, E_ABORT);
    }
}
