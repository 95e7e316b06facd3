/* stats_http.c - see stats_http.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/list.h"
#include "common/log.h"
#include "lbd/core/daemon.h"
#include "lbd/ctl/stats_http.h"
#include "lbd/ctl/stats_page.h"

#define REQ_MAX    (64 * 1024)
#define IDLE_MS    10000
#define MAX_LISTEN 16

struct listener {
    uv_tcp_t tcp;
    struct lb_daemon *d;
    struct lb_proxy *px;
};

struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t wreq;
    struct lb_daemon *d;
    struct lb_proxy *px;
    struct lk_list link;
    struct lk_addr client;
    char *in;
    size_t len;
    struct lk_sb out;
    int handles, done;
};

struct lb_stats_http {
    struct listener l[MAX_LISTEN];
    unsigned n;
    struct lk_list conns;
};

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

/* Value of header `name` in the head [start, end), copied into buf. */
static const char *header(const char *head, const char *name, char *buf, size_t len)
{
    size_t n = strlen(name);
    const char *p = strstr(head, "\r\n"), *e;

    while (p && p[2] != '\r') {
        p += 2;
        e = strstr(p, "\r\n");
        if (!e)
            return NULL;
        if ((size_t)(e - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            p += n + 1;
            while (*p == ' ' || *p == '\t')
                p++;
            snprintf(buf, len, "%.*s", (int)(e - p), p);
            return buf;
        }
        p = e;
    }
    return NULL;
}

static void reply(struct conn *c, int code)
{
    uv_buf_t b;

    if (code)
        c->out.len = 0;
    if (code == 400)
        lk_sb_puts(&c->out, "HTTP/1.1 400 Bad request\r\ncontent-length: 0\r\n"
                            "connection: close\r\n\r\n");
    else if (code == 413)
        lk_sb_puts(&c->out, "HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\n"
                            "connection: close\r\n\r\n");
    c->done = 1;
    uv_read_stop((uv_stream_t *)&c->tcp);
    b = uv_buf_init(c->out.buf, (unsigned)c->out.len);
    c->wreq.data = c;
    if (c->out.oom || uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, written) < 0)
        conn_close(c);
}

/* A complete request is in c->in: answer it. Returns 0 if more bytes are
 * needed (body not complete yet). */
static int handle(struct conn *c, const char *hend)
{
    char method[16], uri[2048], auth[512], clen[32];
    struct lb_stats_req rq = {0};
    size_t body_off = (size_t)(hend - c->in) + 4, blen = 0;

    if (sscanf(c->in, "%15s %2047s HTTP/1.%*1[01]", method, uri) != 2) {
        reply(c, 400);
        return 1;
    }
    if (header(c->in, "content-length", clen, sizeof(clen)))
        blen = strtoul(clen, NULL, 10);
    if (blen > REQ_MAX) {
        reply(c, 413);
        return 1;
    }
    if (c->len < body_off + blen)
        return 0;
    rq.method = method;
    rq.uri = uri;
    rq.authorization = header(c->in, "authorization", auth, sizeof(auth));
    rq.body = c->in + body_off;
    rq.body_len = blen;
    rq.client = &c->client;
    atomic_fetch_add(&c->px->req_tot, 1);
    if (!lb_stats_page_match(c->px, uri)) {
        lk_sb_puts(&c->out, "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\n"
                            "cache-control: no-cache\r\ncontent-type: text/html\r\n"
                            "connection: close\r\n\r\n<html><body><h1>503 Service Unavailable"
                            "</h1>\nNo server is available to handle this request.\n"
                            "</body></html>\n");
    } else {
        lb_stats_page_respond(c->d, c->px, &rq, &c->out);
    }
    reply(c, 0);
    return 1;
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct conn *c = h->data;
    char *n = c->len < REQ_MAX ? realloc(c->in, REQ_MAX + 1) : NULL;

    if (n)
        c->in = n;
    *b = n ? uv_buf_init(c->in + c->len, (unsigned)(REQ_MAX - c->len)) : uv_buf_init(NULL, 0);
}

static void read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    struct conn *c = st->data;
    const char *hend;

    if (n < 0) {
        conn_close(c);
        return;
    }
    c->len += (size_t)n;
    c->in[c->len] = '\0';
    if (memchr(c->in, '\0', c->len)) {
        reply(c, 400);
        return;
    }
    hend = strstr(c->in, "\r\n\r\n");
    if (hend) {
        handle(c, hend);
        return;
    }
    if (c->len >= REQ_MAX)
        reply(c, 400);
}

static void idle_cb(uv_timer_t *t)
{
    conn_close(t->data);
}

static void on_conn(uv_stream_t *srv, int status)
{
    struct listener *l = srv->data;
    struct lb_stats_http *h = l->d->stats_http;
    struct conn *c;
    int len = sizeof(struct sockaddr_storage);

    if (status < 0 || !(c = calloc(1, sizeof(*c))))
        return;
    c->d = l->d;
    c->px = l->px;
    uv_tcp_init(&l->d->loop, &c->tcp);
    uv_timer_init(&l->d->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->handles = 2;
    lk_list_append(&h->conns, &c->link);
    if (atomic_fetch_add(&c->px->cur_conns, 1) + 1 > atomic_load(&c->px->max_conns_seen))
        atomic_store(&c->px->max_conns_seen, atomic_load(&c->px->cur_conns));
    atomic_fetch_add(&c->px->cum_conns, 1);
    if (uv_accept(srv, (uv_stream_t *)&c->tcp) < 0) {
        conn_close(c);
        return;
    }
    uv_tcp_getpeername(&c->tcp, &c->client.u.sa, &len);
    c->client.len = (socklen_t)len;
    uv_timer_start(&c->timer, idle_cb, IDLE_MS, 0);
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

static int listen_one(struct lb_daemon *d, struct lb_proxy *px, struct lb_bind *b)
{
    struct lb_stats_http *h = d->stats_http;
    struct listener *l;
    int r;

    if (h->n >= MAX_LISTEN)
        return -E2BIG;
    l = &h->l[h->n];
    uv_tcp_init(&d->loop, &l->tcp);
    l->tcp.data = l;
    l->d = d;
    l->px = px;
    h->n++;
    r = uv_tcp_bind(&l->tcp, &b->addr.u.sa, 0);
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
    LK_LIST_FOREACH_SAFE (it, nx, &h->conns) {
        conn_close(LK_LIST_ELEM(it, struct conn, link));
    }
}
