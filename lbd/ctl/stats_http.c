/* stats_http.c - see stats_http.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/list.h"
#include "common/log.h"
#include "lbd/core/daemon.h"
#include "lbd/core/mwlink.h"
#include "lbd/core/tlog.h"
#include "lbd/ctl/stats_http.h"
#include "lbd/ctl/stats_page.h"
#include "lbd/http/sample.h"
#include "proto/http1.h"

/* A stats-only proxy is served by the control thread, which also runs the
 * admin sockets and health reporting: every limit here (request size,
 * connections, idle time) keeps a misbehaving client from starving those. */
#define REQ_MAX       (64 * 1024)
#define STATS_BUF0    1024 /* first read buffer of a connection */
#define STATS_MAXCONN 100  /* connections at once per stats proxy without maxconn */
#define IDLE_MS       10000
#define MAX_LISTEN    16

struct listener {
    uv_tcp_t tcp;
    struct lb_daemon *d;
    struct lb_proxy *px;
};

/* One connection, one request: the answer always ends with "connection:
 * close", which keeps the state to one buffer and no keep-alive timers. Freed
 * in conn_closed() once both handles (socket and idle timer) have closed. */
struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t wreq;
    struct lb_daemon *d;
    struct lb_proxy *px;
    struct lk_list link;
    struct lk_addr client;
    char *in;
    size_t len, cap; /* cap: bytes allocated at in (+1 for a NUL) */
    struct lk_sb out;
    struct http1_msg msg; /* parser state across reads */
    int handles, done;
};

/* A client connection a worker handed over (lb_stats_http_adopt): its
 * socket and the bytes the worker had already read from it. */
struct adopted {
    struct adopted *next;
    struct lb_proxy *px;
    int fd;
    size_t len;
    char buf[];
};

struct lb_stats_http {
    struct listener l[MAX_LISTEN];
    unsigned n;
    struct lk_list conns;
    /* hand-overs from the workers: pending is written under lock by any
     * worker thread and taken by the control thread in adopt_cb */
    uv_async_t adopt;
    pthread_mutex_t lock;
    struct adopted *pending;
    int accepting;       /* 0 before start and after stop: hand-overs refused */
    struct lb_tlog tlog; /* the control thread's own log sockets */
};

/* A proxy with "stats enable" that routes to no server at all: its listeners
 * belong to the control thread, not to the workers. */
int lb_stats_only(const struct lb_proxy *px)
{
    return px->stats.enabled && (px->cap & LB_CAP_FE) && px->nservers == 0 &&
           (!px->default_backend || px->default_backend == px);
}

static void conn_closed(uv_handle_t *h)
{
    struct conn *c = h->data;

    if (--c->handles)
        return;
    free(c->in);
    lk_sb_free(&c->out);
    free(c);
}

/* Idempotent: the socket's closing flag is the "already closed" marker, so
 * the idle timer, a read error and the write callback may all call it. */
static void conn_close(struct conn *c)
{
    if (uv_is_closing((uv_handle_t *)&c->tcp))
        return;
    atomic_fetch_sub(&c->px->cur_conns, 1);
    lk_list_del(&c->link);
    uv_close((uv_handle_t *)&c->tcp, conn_closed);
    uv_close((uv_handle_t *)&c->timer, conn_closed);
}

static void written(uv_write_t *w, int status)
{
    conn_close(w->data);
}

/* A complete error response (the request is refused before it is read). */
static void error_reply(struct lk_sb *out, int code)
{
    const char *reason = code == 413   ? "Payload Too Large"
                         : code == 414 ? "URI Too Long"
                         : code == 431 ? "Request Header Fields Too Large"
                         : code == 501 ? "Not Implemented"
                         : code == 505 ? "HTTP Version Not Supported"
                                       : "Bad Request";

    out->len = 0;
    lk_sb_printf(out, "HTTP/1.1 %d %s\r\ncontent-length: 0\r\nconnection: close\r\n\r\n", code,
                 reason);
}

/* Copy field [off, off + n) of buf as a C string into dst[size]; 0 if it
 * does not fit. */
static int copy_field(char *dst, size_t size, const char *buf, size_t off, size_t n)
{
    if (n >= size)
        return 0;
    memcpy(dst, buf + off, n);
    dst[n] = '\0';
    return 1;
}

/* Value of the first header `name` as a C string in buf[size] (cut to
 * fit), or NULL. */
static const char *header_value(const struct http1_msg *m,
                                const char *buf,
                                const char *name,
                                char *dst,
                                size_t size)
{
    size_t n = strlen(name), i;

    for (i = 0; i < m->nhdr; i++) {
        const struct http1_hdr *h = &m->hdr[i];

        if (h->name_len == n && strncasecmp(buf + h->name_off, name, n) == 0) {
            snprintf(dst, size, "%.*s", (int)h->val_len, buf + h->val_off);
            return dst;
        }
    }
    return NULL;
}

/* Called after every read with everything received so far: 0 asks for more
 * bytes, 1 means out holds a complete answer. The parser is the same fuzzed
 * proto/http1 parser the workers use, fed incrementally through m. */
int lb_stats_http_serve(const struct lb_stats_peer *peer,
                        struct http1_msg *m,
                        const char *buf,
                        size_t len,
                        struct lk_sb *out)
{
    const struct lk_addr *client = peer->client;
    struct lb_proxy *px = peer->px;
    char method[16], uri[2048], auth[512];
    struct lb_stats_req rq = {0};
    struct lb_smp_ctx smp = {0};
    int r = http1_parse_request((const uint8_t *)buf, len, m);

    if (r == 0 && len >= REQ_MAX)
        r = -E2BIG, m->err_status = 431;
    if (r == 0)
        return 0;
    if (r < 0) {
        error_reply(out, m->err_status ? m->err_status : 400);
        return 1;
    }
    /* the page reads no chunked bodies: refused, not read as empty */
    if (m->body == HTTP1_BODY_CHUNKED) {
        error_reply(out, 501);
        return 1;
    }
    if (m->body == HTTP1_BODY_CL && m->content_length > REQ_MAX) {
        error_reply(out, 413);
        return 1;
    }
    if (m->body == HTTP1_BODY_CL && len - (size_t)r < m->content_length)
        return 0;
    /* the page's parsers (form body, URI options) read C strings */
    if (memchr(buf, '\0', len)) {
        error_reply(out, 400);
        return 1;
    }
    if (!copy_field(method, sizeof(method), buf, m->meth_off, m->meth_len)) {
        error_reply(out, 501);
        return 1;
    }
    if (!copy_field(uri, sizeof(uri), buf, m->uri_off, m->uri_len)) {
        error_reply(out, 414);
        return 1;
    }
    rq.authorization = header_value(m, buf, "authorization", auth, sizeof(auth));
    rq.method = method;
    rq.uri = uri;
    rq.body = buf + r;
    rq.body_len = m->body == HTTP1_BODY_CL ? (size_t)m->content_length : 0;
    rq.client = client;
    smp.rqbuf = (const uint8_t *)buf;
    smp.rq = m;
    smp.src = client;
    rq.smp = &smp;
    atomic_fetch_add(&px->req_tot, 1);
    /* HAProxy's own 503 page, field for field: it closes afterwards without
     * announcing it in a Connection field (but to a 1.0 client), and so does
     * this one-request connection */
    if (!lb_stats_page_match(px, &rq))
        lk_sb_printf(out,
                     "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\n"
                     "cache-control: no-cache\r\ncontent-type: text/html\r\n%s"
                     "\r\n<html><body><h1>503 Service Unavailable"
                     "</h1>\nNo server is available to handle this request.\n"
                     "</body></html>\n",
                     m->version ? "" : "connection: close\r\n");
    else
        lb_stats_page_respond(peer->d, px, &rq, out);
    return 1;
}

/* Reading stops once the answer is queued: bytes after the request are
 * ignored (no pipelining on a one-request connection). */
static void reply(struct conn *c)
{
    uv_buf_t b;

    c->done = 1;
    uv_read_stop((uv_stream_t *)&c->tcp);
    b = uv_buf_init(c->out.buf, (unsigned)c->out.len);
    c->wreq.data = c;
    if (c->out.oom || uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, written) < 0)
        conn_close(c);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct conn *c = h->data;
    size_t cap = c->cap;
    char *n = c->in;

    /* start small and double up to REQ_MAX: a request is a few hundred
     * bytes, and idle connections must not hold 64 KiB each */
    if (c->len == cap && cap < REQ_MAX) {
        cap = cap ? (cap * 2 < REQ_MAX ? cap * 2 : REQ_MAX) : STATS_BUF0;
        n = realloc(c->in, cap + 1);
        if (n) {
            c->in = n;
            c->cap = cap;
        }
    }
    *b = n && c->len < c->cap ? uv_buf_init(c->in + c->len, (unsigned)(c->cap - c->len))
                              : uv_buf_init(NULL, 0);
}

/* EOF and errors close at once; a request that ends early simply never gets
 * an answer and is reaped by the idle timer. */
static void read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    struct conn *c = st->data;
    if (n < 0) {
        conn_close(c);
        return;
    }
    c->len += (size_t)n;
    if (lb_stats_http_serve(&(struct lb_stats_peer){c->d, c->px, &c->client}, &c->msg, c->in,
                            c->len, &c->out))
        reply(c);
}

/* The idle timer is started once, at accept: it bounds the whole connection
 * (slowloris included), not the gap between reads. */
static void idle_cb(uv_timer_t *t)
{
    conn_close(t->data);
}

/* A connection of px on the control loop, counted in px's cur_conns (the
 * one conn_close() gives back); NULL when out of memory. */
static struct conn *conn_new(struct lb_daemon *d, struct lb_proxy *px)
{
    struct conn *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->d = d;
    c->px = px;
    http1_msg_init(&c->msg, REQ_MAX, 0);
    uv_tcp_init(&d->loop, &c->tcp);
    uv_timer_init(&d->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->handles = 2;
    lk_list_append(&d->stats_http->conns, &c->link);
    if (atomic_fetch_add(&px->cur_conns, 1) + 1 > atomic_load(&px->max_conns_seen))
        atomic_store(&px->max_conns_seen, atomic_load(&px->cur_conns));
    return c;
}

/* The socket is in c->tcp: note the client, bound the connection's life and
 * serve what is already in c->in, reading the rest. `log_connect`: send
 * HAProxy's "Connect from" line of a frontend without a log format (a
 * hand-over's worker has sent it already). */
static void conn_run(struct conn *c, int log_connect)
{
    struct lk_addr loc = {0};
    int len = sizeof(struct sockaddr_storage);

    uv_tcp_getpeername(&c->tcp, &c->client.u.sa, &len);
    c->client.len = (socklen_t)len;
    len = sizeof(loc.u.ss);
    if (log_connect && uv_tcp_getsockname(&c->tcp, &loc.u.sa, &len) == 0) {
        loc.len = (socklen_t)len;
        lb_tlog_connect(&c->d->stats_http->tlog, c->px, &c->d->cfg->global, &c->client, &loc, 1);
    }
    uv_timer_start(&c->timer, idle_cb, IDLE_MS, 0);
    if (c->len && lb_stats_http_serve(&(struct lb_stats_peer){c->d, c->px, &c->client}, &c->msg,
                                      c->in, c->len, &c->out)) {
        reply(c);
        return;
    }
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

static void on_conn(uv_stream_t *srv, int status)
{
    struct listener *l = srv->data;
    struct conn *c;

    if (status < 0 || !(c = conn_new(l->d, l->px)))
        return;
    atomic_fetch_add(&c->px->cum_conns, 1);
    /* over the proxy's maxconn (default STATS_MAXCONN): accepted and
     * closed at once, so a flood cannot hold the control thread's memory */
    if (uv_accept(srv, (uv_stream_t *)&c->tcp) < 0 ||
        atomic_load(&c->px->cur_conns) > (c->px->maxconn ? c->px->maxconn : STATS_MAXCONN)) {
        conn_close(c);
        return;
    }
    conn_run(c, 1);
}

/* One hand-over on the control loop. The worker counted the connection
 * (cum_conns, its log); here it only holds a place in cur_conns while
 * served. A socket libuv cannot take is closed: the client sees a close. */
static void adopt_one(struct lb_daemon *d, struct adopted *a)
{
    struct conn *c = conn_new(d, a->px);
    size_t cap = a->len > STATS_BUF0 ? a->len : STATS_BUF0;

    if (!c) {
        close(a->fd);
        return;
    }
    c->in = malloc(cap + 1);
    if (!c->in || uv_tcp_open(&c->tcp, a->fd) < 0) {
        close(a->fd); /* not libuv's yet: uv_close() will not close it */
        conn_close(c);
        return;
    }
    memcpy(c->in, a->buf, a->len);
    c->len = a->len;
    c->cap = cap;
    conn_run(c, 0);
}

static void adopt_cb(uv_async_t *as)
{
    struct lb_daemon *d = as->data;
    struct lb_stats_http *h = d->stats_http;
    struct adopted *a, *next;

    pthread_mutex_lock(&h->lock);
    a = h->pending;
    h->pending = NULL;
    pthread_mutex_unlock(&h->lock);
    for (; a; a = next) {
        next = a->next;
        adopt_one(d, a);
        free(a);
    }
}

/* Called from worker threads. d->stats_http exists before the workers start
 * and is freed after they are joined; the lock orders a hand-over against
 * lb_stats_http_stop(). */
int lb_stats_http_adopt(struct lb_daemon *d,
                        struct lb_proxy *px,
                        int fd,
                        const char *buf,
                        size_t len)
{
    struct lb_stats_http *h = d->stats_http;
    struct adopted *a;

    if (!h || len > REQ_MAX)
        return -EINVAL;
    a = malloc(sizeof(*a) + len);
    if (!a)
        return -ENOMEM;
    a->px = px;
    a->fd = fd;
    a->len = len;
    memcpy(a->buf, buf, len);
    pthread_mutex_lock(&h->lock);
    if (!h->accepting) {
        pthread_mutex_unlock(&h->lock);
        free(a);
        return -ESHUTDOWN;
    }
    a->next = h->pending;
    h->pending = a;
    uv_async_send(&h->adopt);
    pthread_mutex_unlock(&h->lock);
    return 0;
}

/* Under a master the socket is inherited, so a reload does not refuse
 * connections in between. The listener slot is counted before the bind so
 * lb_stats_http_stop() closes it even when the bind failed. */
static int listen_one(struct lb_daemon *d, struct lb_proxy *px, struct lb_bind *b)
{
    struct lb_stats_http *h = d->stats_http;
    struct listener *l;
    char key[96];
    int r, fd = -1;

    if (h->n >= MAX_LISTEN)
        return -E2BIG;
    if (d->mw) /* bound by the master (lbd -W) */
        fd = lb_mw_take_fd(d->mw, lb_mw_key_http(key, sizeof(key), &b->addr));
    l = &h->l[h->n];
    uv_tcp_init(&d->loop, &l->tcp);
    l->tcp.data = l;
    l->d = d;
    l->px = px;
    h->n++;
    r = d->mw ? (fd >= 0 ? uv_tcp_open(&l->tcp, fd) : UV_ENOENT)
              : uv_tcp_bind(&l->tcp, &b->addr.u.sa, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&l->tcp, 128, on_conn);
    if (r < 0)
        lk_log(LK_LOG_ERR, "%s:%u: listen '%s': cannot bind %s: %s", b->file, b->line, px->name,
               b->spec, uv_strerror(r));
    return r;
}

int lb_stats_http_start(struct lb_daemon *d)
{
    struct lb_proxy *px;
    struct lb_bind *b;
    int r;

    d->stats_http = calloc(1, sizeof(*d->stats_http));
    if (!d->stats_http)
        return -ENOMEM;
    lk_list_init(&d->stats_http->conns);
    pthread_mutex_init(&d->stats_http->lock, NULL);
    uv_async_init(&d->loop, &d->stats_http->adopt, adopt_cb);
    d->stats_http->adopt.data = d;
    d->stats_http->accepting = 1;
    lb_tlog_init(&d->stats_http->tlog);
    for (px = d->cfg->proxies; px; px = px->next) {
        if (!lb_stats_only(px))
            continue;
        for (b = px->binds; b; b = b->next) {
            r = listen_one(d, px, b);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

void lb_stats_http_stop(struct lb_daemon *d)
{
    struct lb_stats_http *h = d->stats_http;
    struct lk_list *it, *nx;
    unsigned i;

    if (!h)
        return;
    for (i = 0; i < h->n; i++)
        uv_close((uv_handle_t *)&h->l[i].tcp, NULL);
    h->n = 0;
    if (h->accepting) {
        struct adopted *a, *next;

        pthread_mutex_lock(&h->lock);
        h->accepting = 0;
        a = h->pending;
        h->pending = NULL;
        pthread_mutex_unlock(&h->lock);
        for (; a; a = next) { /* handed over but not taken: closed */
            next = a->next;
            close(a->fd);
            free(a);
        }
        uv_close((uv_handle_t *)&h->adopt, NULL);
        lb_tlog_fini(&h->tlog);
    }
    LK_LIST_FOREACH_SAFE (it, nx, &h->conns) {
        conn_close(LK_LIST_ELEM(it, struct conn, link));
    }
}
