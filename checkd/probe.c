/* probe.c - the stream probe engine shared by tcp, http and mysql, and the
 * dispatch by kind. See probe.h.
 *
 * A stream probe: connect (L4), send the kind's request if any, read until
 * the kind's judge decides or the server closes, all under one timer. The
 * connection is closed with a RST as HAProxy does, so that thousands of
 * checks leave no TIME_WAIT sockets behind. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkd/probe_int.h"
#include "common/clock.h"
#include "common/compiler.h"
#include "common/inbuf.h"
#include "proto/mysql.h"
#include "proto/proxy_proto.h"

#define READ_MAX (64 * 1024) /* a check never needs more; more is a bad answer */

struct stream_probe {
    struct chk_probe base;
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_connect_t creq;
    uv_write_t wreq;
    char *out; /* request, pinned until write_cb */
    size_t out_len;
    struct lk_inbuf in; /* bytes read so far */
    int connected;
    int handles; /* open handles; free on the last close */
};

void chk_result_set(struct chk_result *r, enum feed_result res, int code, const char *fmt, ...)
{
    va_list ap;

    r->result = res;
    r->ok = res == FEED_RES_L4OK || res == FEED_RES_L6OK || res == FEED_RES_L7OK ||
            res == FEED_RES_L7OKC || res == FEED_RES_PROCOK;
    r->code = code;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
    va_end(ap);
}

void chk__probe_finish(struct chk_probe *p, struct chk_result *r)
{
    /* a probe reports once: a timeout racing a read must not count twice */
    if (p->finished)
        return;
    p->finished = 1;
    r->latency_us = lk_mono_us() - p->start_us;
    p->cb(p->ud, r);
}

static void sp_closed(uv_handle_t *h)
{
    struct stream_probe *s = h->data;

    if (--s->handles > 0)
        return;
    free(s->out);
    lk_inbuf_reset(&s->in);
    free(s);
}

static void sp_close(struct stream_probe *s)
{
    if (!uv_is_closing((uv_handle_t *)&s->timer))
        uv_close((uv_handle_t *)&s->timer, sp_closed);
    if (uv_is_closing((uv_handle_t *)&s->tcp))
        return;
    /* RST when connected (no TIME_WAIT); a plain close otherwise */
    if (!s->connected || uv_tcp_close_reset(&s->tcp, sp_closed) < 0)
        uv_close((uv_handle_t *)&s->tcp, sp_closed);
}

static void sp_done(struct stream_probe *s, struct chk_result *r)
{
    chk__probe_finish(&s->base, r);
    sp_close(s);
}

static void sp_cancel(struct chk_probe *p)
{
    struct stream_probe *s = lk_container_of(p, struct stream_probe, base);

    /* cancelled (target removed, maintenance): the owner gets no result */
    p->finished = 1;
    sp_close(s);
}

static void sp_timeout(uv_timer_t *t)
{
    struct stream_probe *s = t->data;
    struct chk_result r = {.code = -1, .read_only = -1};

    /* HAProxy tells a connect timeout (L4TOUT) from a silent server (L7TOUT) */
    if (!s->connected)
        chk_result_haproxy(&r, FEED_RES_L4TOUT, 0, NULL);
    else
        chk_result_set(&r, FEED_RES_L7TOUT, -1, "Layer7 timeout after %llu ms (%zu bytes read)",
                       (unsigned long long)s->base.timeout_ms, s->in.len);
    sp_done(s, &r);
}

/* Ask the kind's judge; returns 1 when decided. */
static int sp_judge(struct stream_probe *s, int eof)
{
    struct chk_result r = {.code = -1, .read_only = -1};
    const struct feed_target *cfg = s->base.cfg;
    int d;

    if (cfg->kind == FEED_KIND_HTTP)
        d = chk_http_judge(cfg, s->in.buf ? s->in.buf : "", s->in.len, eof, &r);
    else
        d = chk_mysql_judge(cfg, (const uint8_t *)(s->in.buf ? s->in.buf : ""), s->in.len, eof, &r);
    if (d)
        sp_done(s, &r);
    return d;
}

static void sp_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct stream_probe *s = st->data;
    struct chk_result r = {.code = -1, .read_only = -1};

    if (s->base.finished || nread == 0)
        return;
    if (nread < 0) {
        if (!sp_judge(s, 1)) {
            chk_result_set(&r, FEED_RES_L7RSP, -1, "Layer7 invalid response: %s after %zu bytes",
                           nread == UV_EOF ? "connection closed" : uv_strerror((int)nread),
                           s->in.len);
            sp_done(s, &r);
        }
        return;
    }
    if (lk_inbuf_append(&s->in, buf->base, (size_t)nread, READ_MAX) < 0) {
        chk_result_set(&r, FEED_RES_L7RSP, -1, "Layer7 invalid response: more than %d bytes",
                       READ_MAX);
        sp_done(s, &r);
        return;
    }
    sp_judge(s, 0);
}

static void sp_written(uv_write_t *w, int status)
{
    /* errors show up on the read side (EPIPE/ECONNRESET) */
}

static void sp_connected(uv_connect_t *req, int status)
{
    struct stream_probe *s = req->data;
    struct chk_result r = {.code = -1, .read_only = -1};
    uv_buf_t b;

    /* the probe was cancelled or timed out while connecting */
    if (s->base.finished || status == UV_ECANCELED)
        return;
    if (status < 0) {
        /* HAProxy's words: 'Layer4 connection problem, info: "Connection refused"' */
        chk_result_haproxy(&r, FEED_RES_L4CON, 0, strerror(-status));
        sp_done(s, &r);
        return;
    }
    s->connected = 1;
    if (s->base.cfg->send_proxy && chk__send_proxy(&s->tcp, s->base.cfg->send_proxy) < 0) {
        chk_result_set(&r, FEED_RES_SOCKERR, -1, "cannot send the PROXY header");
        sp_done(s, &r);
        return;
    }
    /* a plain tcp check: the connection is the whole check */
    if (s->base.cfg->kind == FEED_KIND_TCP) {
        chk_result_haproxy(&r, FEED_RES_L4OK, 0, NULL);
        sp_done(s, &r);
        return;
    }
    if (s->out_len) {
        b = uv_buf_init(s->out, (unsigned)s->out_len);
        s->wreq.data = s;
        uv_write(&s->wreq, (uv_stream_t *)&s->tcp, &b, 1, sp_written);
    }
    if (uv_read_start((uv_stream_t *)&s->tcp, lk_inbuf_scratch, sp_read) < 0) {
        chk_result_set(&r, FEED_RES_SOCKERR, -1, "cannot read from socket");
        sp_done(s, &r);
    }
}

int chk__send_proxy(uv_tcp_t *tcp, unsigned version)
{
    struct sockaddr_storage src, dst;
    int sl = sizeof(src), dl = sizeof(dst), n, r = 0;
    uint8_t hdr[PROXY_PROTO_MAX];
    uv_buf_t b;

    if (version == 1 && (uv_tcp_getsockname(tcp, (struct sockaddr *)&src, &sl) < 0 ||
                         uv_tcp_getpeername(tcp, (struct sockaddr *)&dst, &dl) < 0))
        return -ENOTCONN;
    n = proxy_proto_build((int)version, version == 1 ? (struct sockaddr *)&src : NULL,
                          version == 1 ? (struct sockaddr *)&dst : NULL, hdr, sizeof(hdr));
    if (n < 0)
        return n;
    b = uv_buf_init((char *)hdr, (unsigned)n);
    r = uv_try_write((uv_stream_t *)tcp, &b, 1);
    return r == n ? 0 : r < 0 ? r : -EAGAIN;
}

static int sp_request(struct stream_probe *s)
{
    uint8_t login[128];
    int n;

    if (s->base.cfg->kind == FEED_KIND_HTTP)
        return chk_http_request(s->base.cfg, &s->base.addr, &s->out, &s->out_len);
    if (s->base.cfg->kind != FEED_KIND_MYSQL || !s->base.cfg->user[0])
        return 0;
    /* as HAProxy: login + COM_QUIT at once, without waiting for the greeting */
    n = mysql_check_login(login, sizeof(login), s->base.cfg->user);
    if (n < 0)
        return n;
    s->out = malloc((size_t)n);
    if (!s->out)
        return -ENOMEM;
    memcpy(s->out, login, (size_t)n);
    s->out_len = (size_t)n;
    return 0;
}

static int stream_start(struct chk_probe **ret, struct stream_probe *s)
{
    int r;

    r = sp_request(s);
    if (r < 0) {
        free(s->out);
        free(s);
        return r;
    }
    uv_tcp_init(s->base.loop, &s->tcp);
    uv_timer_init(s->base.loop, &s->timer);
    s->tcp.data = s->timer.data = s->creq.data = s;
    s->handles = 2;
    r = uv_tcp_connect(&s->creq, &s->tcp, &s->base.addr.u.sa, sp_connected);
    if (r < 0) {
        s->base.finished = 1;
        sp_close(s);
        return r;
    }
    /* one timer for the whole check, connect included, as HAProxy's
     * "timeout check" (lbd computes the total it registers) */
    uv_timer_start(&s->timer, sp_timeout, s->base.timeout_ms, 0);
    *ret = &s->base;
    return 0;
}

int chk_probe_start(struct chk_probe **ret,
                    uv_loop_t *loop,
                    const struct chk_probe_what *what,
                    chk_probe_cb cb,
                    void *ud)
{
    const struct feed_target *cfg = what->cfg;
    /* every kind's probe starts from this base: the clock starts here */
    const struct chk_probe base = {.loop = loop,
                                   .cfg = cfg,
                                   .addr = *what->addr,
                                   .timeout_ms = what->timeout_ms ? what->timeout_ms : 2000,
                                   .start_us = lk_mono_us(),
                                   .cb = cb,
                                   .ud = ud};
    struct stream_probe *s;

    if (cfg->kind == FEED_KIND_GALERA)
        return chk__galera_start(ret, &base);
    if (cfg->kind == FEED_KIND_EXTERNAL)
        return chk__external_start(ret, &base);
    if (chk__is_tcpchk(cfg->kind))
        return chk__tcpchk_start(ret, &base);
    s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->base = base;
    s->base.cancel = sp_cancel;
    return stream_start(ret, s);
}

void chk_probe_cancel(struct chk_probe *p)
{
    if (p && !p->finished)
        p->cancel(p);
}
