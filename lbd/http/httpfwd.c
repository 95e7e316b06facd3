/* httpfwd.c - mode http sessions; see httpfwd.h for the design.
 *
 * A session is a small state machine driven by run(): every event (client
 * or server readable/writable, timer) does its one read, then run() moves
 * bytes as far as they go and recomputes what each socket waits for. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "lbd/cfg/http_cfg.h"
#include "lbd/core/backend.h"
#include "lbd/core/balance.h"
#include "lbd/core/daemon.h"
#include "lbd/core/server.h"
#include "lbd/core/stkctr.h"
#include "lbd/core/tlog.h"
#include "lbd/ctl/errors.h"
#include "lbd/ctl/stats_http.h"
#include "lbd/http/comp.h"
#include "lbd/http/http_conn.h"
#include "lbd/http/http_msg.h"
#include "lbd/http/httpfwd.h"
#include "lbd/http/httplog.h"
#include "lbd/http/lfmt.h"
#include "lbd/http/vars.h"
#include "proto/http1.h"

/* HEAD_RESERVE: room kept free past a head for what lbd adds (HAProxy's
 * maxrewrite). MAX_TRIED: failed servers remembered per request. DRAIN_MS:
 * how long the client's input is drained after an error reply before the
 * close (H_DRAIN). MAX_STEPS bounds run()'s loop per event so one session
 * cannot starve the worker. QUEUE_POLL_MS: how often a queued request looks
 * for a free slot. */
#define HEAD_RESERVE  1024u
#define MAX_TRIED     8
#define REQLINE_MAX   LB_HTTPLOG_REQLINE_MAX
#define DRAIN_MS      1000
#define MAX_STEPS     32
#define QUEUE_POLL_MS 5
#define SPLICE_MIN    (64u * 1024) /* bodies at least this large are spliced */
#define SPLICE_LEN    (256u * 1024)

/* Session states. WAIT_REQ: reading a request head (or idle between
 * requests); QUEUE/CONNECT: a server is being found or connected; XFER: the
 * request and response move (rq and rs track each direction's part: head,
 * body, done); TUNNEL: after a 101, bytes flow both ways
 * unparsed; ERROR: sending lbd's own reply; DRAIN: that reply is out and
 * the client's remaining input is read and dropped before the close;
 * TARPIT: holding a denied request; CLOSED: finish() ran, waiting for the
 * handles' close callbacks. */
enum hstate {
    H_WAIT_REQ = 0,
    H_QUEUE,
    H_CONNECT,
    H_XFER,
    H_TUNNEL,
    H_ERROR,
    H_DRAIN,
    H_TARPIT, /* http-request tarpit: waiting out `timeout tarpit` */
    H_CLOSED,
    H_MAX
};
enum { RQ_HEAD = 0, RQ_BODY, RQ_DONE };
enum { RS_HEAD = 0, RS_BODY, RS_DONE };

struct hsess {
    struct lk_list link; /* hw->sessions */
    struct lb_worker *w;
    struct lb_proxy *fe, *be;
    struct lb_server *srv;     /* holds a slot of srv while set */
    struct lb_server *log_srv; /* last server tried, for the log */
    struct lb_sconn *sc;
    struct lk_list parked; /* idle server connections private to this client (lb_sconn_park) */
    uv_poll_t cp;
    uv_timer_t timer;
    int cfd, cev;
    uint8_t state, rq, rs, handles;
    /* first: no request served yet on this connection; in_txn: a request has
     * started (there is something to log); cli_close/srv_close: that side asked
     * for the connection to end after this exchange. c_eof/s_eof: that side's
     * FIN (or an error) was seen; c_shut/s_shut: lbd shut its writing side. */
    uint8_t first, in_txn, cli_close, srv_close, upgrade, tunnel_pending;
    uint8_t c_eof, s_eof, c_shut, s_shut, got_rsp, reused, no_reuse, be_counted;
    uint8_t redispatched;
    uint8_t prefer_last;      /* a server asked for NTLM/Negotiate: stay on it */
    uint8_t reply_ka;         /* a rule's reply keeps the connection (return, redirect) */
    uint8_t in_after;         /* http-after-response runs: its own failure is not edited */
    uint8_t rq_parsed;        /* the request head parsed: lbd's answers get after-response */
    int8_t comp_algo;         /* compression: the request's algorithm (-1: none) */
    struct lb_comp_stream *z; /* compressing this response's body, or NULL */
    char *zbuf;               /* its output (pooled), held while compressing */
    uint32_t zoff, zlen;      /* output not yet sent: zbuf[zoff, zlen) */
    uint8_t nolog;            /* monitor-uri requests are not logged, as in HAProxy */
    uint8_t handed;           /* cfd was given to the control thread (stats page) */
    uint8_t logged;           /* option logasap: the line went out with the response head */
    char *caps;               /* captured header values (frontend's capture lines), or NULL */
    struct lb_vars vars;      /* set-var: the session's and the transaction's */
    uint8_t body_sent;        /* request body bytes left for a server: no retry */
    char term[2], ck_in, ck_out;
    uint8_t ignore_prst; /* an ignore-persist rule holds for this request */
    int status;
    unsigned progress;
    struct lk_addr cli;
    /* cbuf: client input; sbuf: server input; obuf: the rebuilt request head
     * to send; rbuf: the rebuilt response head (or lbd's reply). Each is a
     * pooled bufsize buffer taken when bytes arrive and given back as soon as
     * it is empty, so an idle keep-alive connection holds none. */
    char *cbuf, *sbuf, *obuf, *rbuf; /* pooled; NULL when not held */
    char *hbuf[2];                   /* heads rebuilt by http rules (pooled) */
    const uint8_t *rqh;              /* the request head when rules rebuilt it */
    struct lk_addr loc;              /* the frontend address (dst), once asked */
    struct lk_addr back;             /* %bi %bp: the server connection's source */
    uint8_t has_loc;
    struct lb_stkctr stk[LB_STKCTR_N]; /* tracked stick counters (sc0..sc2) */
    const char *rout;                  /* bytes for the client: rbuf or an error page */
    uint32_t coff, clen, cfwd;         /* client input [coff, clen); cfwd: body ready */
    uint32_t soff, slen, sfwd;         /* server input, same */
    uint32_t olen, osent, rlen, rsent;
    uint32_t head_base;        /* where the request head starts in cbuf */
    uint32_t rsp_hold;         /* length of a parsed response head held back */
    uint32_t key_off, key_len; /* balance uri/hdr key, in cbuf */
    /* body bytes still to forward (Content-Length or the current chunk) */
    uint64_t req_left, rsp_left;
    int pfd[2];      /* splice pipe for a large response body, -1 when none */
    uint32_t inpipe; /* body bytes in it */
    int cpfd[2];     /* same for a large request body */
    uint32_t cinpipe;
    struct http1_chunk rqch, rsch;
    uint64_t t_req_wall;
    /* Monotonic ms of each step of the current request, for HAProxy's timers
     * (Ti, TR, Tw, Tc, Tr, Ta); 0 for a step not reached. last: the last byte
     * moved, for the idle timeouts; timer_at: the deadline armed. */
    uint64_t t_idle, t_req, t_head, t_conn, t_connected, t_sent, t_rsp, t_err, last, timer_at;
    uint64_t t_queue, t_dequeue;
    uint64_t bytes_in, bytes_out;
    unsigned attempts, ntried;
    struct lb_server *tried[MAX_TRIED];
    uint16_t reqline_len;
    char reqline[REQLINE_MAX];
    uint8_t has_uid, has_reqid; /* this request's unique-id and %rt, once made */
    uint64_t reqid;
    char uid[128];
    char setck[256];
    struct http1_msg req, rsp;
};

static void run(struct hsess *s);
static void assign(struct hsess *s);
static void send_error(struct hsess *s, int status, const char *term);
static void linger_close(struct hsess *s);
static void pipe_release(struct hsess *s);
static void end_txn(struct hsess *s);

static struct lk_ratelimit conn_rl = LK_RATELIMIT_INIT(5000, 10);

static uint64_t now_ms(const struct hsess *s)
{
    return uv_now(&s->w->loop);
}

/* The largest head lbd accepts: the rebuilt head (fields removed, others
 * added) must fit the same buffer size, so HEAD_RESERVE stays free. */
static uint32_t head_max(const struct lb_worker *w)
{
    return w->bufsize > 2 * HEAD_RESERVE ? w->bufsize - HEAD_RESERVE : w->bufsize / 2;
}

/* An option set in either section applies, as HAProxy merges frontend and
 * backend options for an HTTP transaction. */
static unsigned opts(const struct hsess *s)
{
    return s->fe->options | (s->be ? s->be->options : 0);
}

static char *buf_take(struct hsess *s, char **b)
{
    if (!*b)
        *b = lb_worker_buf_get(s->w);
    return *b;
}

static void buf_drop(struct hsess *s, char **b)
{
    if (*b)
        lb_worker_buf_put(s->w, *b);
    *b = NULL;
}

/* The end of a compressed body (or of its exchange): stream and buffer go. */
static void comp_drop(struct hsess *s)
{
    s->z = lb_comp_stream_free(s->z);
    buf_drop(s, &s->zbuf);
    s->zoff = s->zlen = 0;
}

static void heads_drop(struct hsess *s)
{
    buf_drop(s, &s->hbuf[0]);
    buf_drop(s, &s->hbuf[1]);
    s->rqh = NULL;
}

/* The request head: where it was read, or its rebuilt copy. */
static const uint8_t *req_head(const struct hsess *s)
{
    return s->rqh ? s->rqh : (const uint8_t *)s->cbuf + s->head_base;
}

/* ---- logging and counters ---- */

#define INC(x) atomic_fetch_add_explicit(&(x), 1, memory_order_relaxed)

/* Per-request counters of the stats (show stat, the stats page, metrics).
 * hrsp[] is per status class, 1xx..5xx, [5] for "other". A 403 that rules
 * produced ("PR") is a denied request; other proxy-side or client-side
 * errors while reading the request are failed requests; a 502 is counted
 * against the server that gave it, as HAProxy's eresp. */
static void count_txn(struct hsess *s)
{
    int st = s->status, cls = st >= 100 && st < 600 ? st / 100 - 1 : 5;

    INC(s->fe->req_tot);
    if (st > 0) {
        INC(s->fe->hrsp[cls]);
        if (s->be && s->be != s->fe)
            INC(s->be->hrsp[cls]);
        if (s->log_srv)
            INC(s->log_srv->hrsp[cls]);
    }
    if (s->be && s->be != s->fe)
        INC(s->be->req_tot);
    if (st == 403 && s->term[0] == 'P' && s->term[1] == 'R')
        INC(s->fe->denied_req);
    else if (s->term[1] == 'R' && (s->term[0] == 'P' || s->term[0] == 'c'))
        INC(s->fe->failed_req);
    if (st == 502 && s->be) {
        INC(s->be->failed_resp);
        if (s->log_srv)
            INC(s->log_srv->failed_resp);
    }
}

static void emit_log(struct hsess *s, int asap);
static void smp_init(struct hsess *s, struct lb_smp_ctx *c);

/* The end of one transaction: counters, stick counters and the txn
 * variables first, then the line (already sent with logasap). unique-id and
 * %rt are per request, so they are dropped for the next one. */
static void log_txn(struct hsess *s)
{
    uint64_t now = now_ms(s);

    if (s->in_txn) {
        count_txn(s);
        lb_stkctr_request_end(s->stk, s->status, s->bytes_in, s->bytes_out, now);
        lb_vars_end_txn(&s->vars);
    }
    if (!s->logged)
        emit_log(s, 0);
    s->has_uid = s->has_reqid = 0; /* the next request makes its own */
}

/* This request's number (%rt), taken when first asked. */
static uint64_t txn_reqid(struct hsess *s)
{
    if (!s->has_reqid) {
        s->reqid = lb_lfmt_next_reqid();
        s->has_reqid = 1;
    }
    return s->reqid;
}

/* This request's unique-id-format value, made when first asked (the
 * header, the log), or NULL without one. */
static const char *txn_uid(struct hsess *s)
{
    struct lb_httplog_rec r;
    struct lb_logrec lr;
    struct lb_smp_ctx c;
    size_t n;

    if (!s->fe->uidfmt)
        return NULL;
    if (s->has_uid)
        return s->uid;
    /* a format that reads %[unique-id] itself gets the empty string, not a loop */
    s->uid[0] = 0;
    s->has_uid = 1;
    memset(&r, 0, sizeof(r));
    memset(&lr, 0, sizeof(lr));
    r.sess.client = &s->cli;
    r.date_wall_us = s->t_req_wall;
    r.sess.frontend = s->fe->name;
    r.reqline = s->reqline;
    r.reqline_len = s->reqline_len;
    lr.h = &r;
    lr.ti = s->t_req > s->t_idle ? (int64_t)(s->t_req - s->t_idle) : 0;
    lr.reqid = txn_reqid(s);
    smp_init(s, &c);
    /* It may first be asked at log time, when the heads are gone: it never
     * reads them, so the header and the log show one value whichever asks first. */
    c.rq = NULL;
    n = lb_lfmt_render_log(s->fe->uidfmt, &c, &lr, s->uid, sizeof(s->uid) - 1);
    s->uid[n] = 0;
    s->has_uid = 1;
    return s->uid;
}

/* Format f (the frontend's log-format or log-format-sd) for record r
 * (lbd/http/lfmt.h). */
static size_t lfmt_line(struct hsess *s,
                        const struct lb_lfmt *f,
                        const struct lb_httplog_rec *r,
                        const char *const *caps,
                        size_t nreq,
                        size_t nrsp,
                        char *out,
                        size_t cap)
{
    struct lb_smp_ctx c;
    struct lb_logrec lr;

    memset(&lr, 0, sizeof(lr));
    lr.h = r;
    lr.srv = s->log_srv ? atomic_load(&s->log_srv->cur_addr) : NULL;
    lr.back = s->back.len ? &s->back : NULL;
    lr.ti = s->t_req > s->t_idle ? (int64_t)(s->t_req - s->t_idle) : 0;
    lr.bytes_in = s->bytes_in;
    if (s->fe->http && s->fe->http->ncapreq)
        lr.capreq = caps, lr.ncapreq = nreq;
    if (s->fe->http && s->fe->http->ncaprsp)
        lr.caprsp = caps + nreq, lr.ncaprsp = nrsp;
    lr.log_count = atomic_fetch_add_explicit(&s->fe->log_count, 1, memory_order_relaxed);
    lr.reqid = txn_reqid(s);
    lr.unique_id = txn_uid(s);
    smp_init(s, &c);
    c.rq = NULL; /* the heads are not for log-format samples (as HAProxy) */
    return lb_lfmt_render_log(f, &c, &lr, out, cap);
}

/* The httplog line; asap (option logasap): sent with the response head,
 * the total time and bytes so far marked '+', as HAProxy does. */
static void emit_log(struct hsess *s, int asap)
{
    int level;
    const struct lb_global *g = &s->w->cfg->global;
    struct lb_httplog_rec r;
    uint64_t now = now_ms(s);
    char line[1024], capbuf[512], sdbuf[1024];
    struct lb_tlog_sd sd = {sdbuf, 0};
    const char *v[64];
    size_t n, ncap = 0, nreq = 0;

    /* without a log format the line was lb_tlog_connect()'s, at the start */
    if (!s->in_txn || s->nolog || !lb_tlog_enabled(s->fe, g) || !lb_tlog_has_format(s->fe))
        return;
    memset(&r, 0, sizeof(r));
    lb_logsess_fill(&r.sess, &s->cli, s->fe, s->be, s->log_srv);
    r.date_wall_us = s->t_req_wall;
    r.tr = s->t_head ? (int64_t)(s->t_head - s->t_req) : -1;
    r.tw = s->t_queue  ? (int64_t)((s->t_dequeue ? s->t_dequeue : now) - s->t_queue)
           : s->t_conn ? 0
                       : -1;
    r.tc = s->t_connected ? (int64_t)(s->t_connected - s->t_conn) : -1;
    r.trsp = s->t_rsp && s->t_connected ? (int64_t)(s->t_rsp - s->t_connected) : -1;
    r.ta = (int64_t)(now - s->t_req);
    r.status = s->status ? s->status : -1;
    r.bytes = asap ? s->rlen : s->bytes_out;
    r.sess.asap = asap;
    memcpy(r.term, s->term, 2);
    r.term[2] = s->ck_in;
    r.term[3] = s->ck_out;
    r.sess.actconn = atomic_load(&s->w->d->actconn);
    /* at the end HAProxy has let go of the server and backend already */
    if (!asap && r.sess.beconn && s->be_counted)
        r.sess.beconn--;
    if (!asap && r.sess.srvconn && s->srv == s->log_srv)
        r.sess.srvconn--;
    r.sess.retries = s->attempts > 1 ? s->attempts - 1 : 0;
    r.sess.redispatched = s->redispatched;
    r.reqline = s->reqline;
    r.reqline_len = s->reqline_len;
    /* the slots' values in order, request ones first; NULL: not filled */
    if (s->caps) {
        const struct lb_http_px *h = s->fe->http;
        size_t i;

        for (i = 0; i < h->ncapreq + h->ncaprsp && ncap < LK_ARRAY_SIZE(v); i++)
            v[ncap++] = i < h->ncapreq ? lb_http_capture_get(h, s->caps, 0, i)
                                       : lb_http_capture_get(h, s->caps, 1, i - h->ncapreq);
        nreq = LK_MIN(h->ncapreq, ncap);
        lb_httplog_captures(capbuf, sizeof(capbuf), v, nreq, v + nreq, ncap - nreq);
        r.captures = capbuf;
    }
    if (s->fe->logfmt)
        n = lfmt_line(s, s->fe->logfmt, &r, v, nreq, ncap - nreq, line, sizeof(line));
    else
        n = lb_httplog_format(line, sizeof(line), &r);
    level = lb_tlog_level(s->fe, s->term, s->status);
    if (level && s->fe->logsd)
        sd.len = lfmt_line(s, s->fe->logsd, &r, v, nreq, ncap - nreq, sdbuf, sizeof(sdbuf));
    if (level)
        lb_tlog_send_sd(&s->w->tlog, s->fe, g, level, &sd, line, n);
}

/* Added at the end of each transaction and zeroed: a long keep-alive
 * connection shows its traffic in the stats request by request, not only
 * when it closes. */
static void count_bytes(struct hsess *s)
{
    if (s->log_srv) {
        atomic_fetch_add_explicit(&s->log_srv->bytes_in, s->bytes_in, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->log_srv->bytes_out, s->bytes_out, memory_order_relaxed);
    }
    if (s->be && s->be != s->fe) {
        atomic_fetch_add_explicit(&s->be->bytes_in, s->bytes_in, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->be->bytes_out, s->bytes_out, memory_order_relaxed);
    }
    atomic_fetch_add_explicit(&s->fe->bytes_in, s->bytes_in, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->fe->bytes_out, s->bytes_out, memory_order_relaxed);
    s->bytes_in = s->bytes_out = 0;
}

/* ---- teardown ---- */

static void handle_closed(uv_handle_t *h)
{
    struct hsess *s = h->data;

    if (--s->handles == 0)
        free(s);
}

/* At most LB_SCONN_SESS_MAX entries: counting is cheaper than keeping a
 * counter in step with the connections that unlink themselves when closed. */
static unsigned nparked(const struct hsess *s)
{
    const struct lk_list *it;
    unsigned n = 0;

    LK_LIST_FOREACH (it, &s->parked) {
        n++;
    }
    return n;
}

/* Give the server connection back and the slot: if `keep`, a private
 * connection stays with this client connection (HAProxy's session
 * connections), others go to the pool. */
static void drop_server(struct hsess *s, int keep, int rst)
{
    if (s->sc) {
        if (keep && s->sc->priv)
            lb_sconn_park(s->sc, &s->parked, nparked(s));
        else if (keep)
            lb_sconn_release(s->sc, 1);
        else
            lb_sconn_close(s->sc, rst);
        s->sc = NULL;
    }
    if (s->srv) {
        lb_server_release(s->srv);
        s->srv = NULL;
    }
}

/* be_counted: this session holds one of the backend's cur_conns, taken
 * when a request is routed there and given back at its end. A keep-alive
 * connection may switch backends between requests, and must give back
 * exactly what it took. */
static void uncount_backend(struct hsess *s)
{
    if (s->be_counted)
        atomic_fetch_sub(&s->be->cur_conns, 1);
    s->be_counted = 0;
}

/* End the session: log, count and give back everything at once, then close
 * the handles; the memory goes in the last close callback. The first
 * termination cause is kept (later ones are consequences). Parked private
 * server connections belong to this client and die with it. */
static void finish(struct hsess *s, const char *term, int rst)
{
    struct lb_worker *w = s->w;
    struct linger lg = {1, 0};

    if (s->state == H_CLOSED)
        return;
    if (term && s->term[0] == '-')
        memcpy(s->term, term, 2);
    if (s->state == H_QUEUE)
        lb_backend_queue_leave(s->be);
    log_txn(s);
    count_bytes(s);
    lb_stkctr_release_all(s->stk, now_ms(s));
    drop_server(s, 0, rst);
    while (!lk_list_empty(&s->parked))
        lb_sconn_close(LK_LIST_ELEM(s->parked.next, struct lb_sconn, link), 0);
    uncount_backend(s);
    s->state = H_CLOSED;
    lk_list_del(&s->link);
    atomic_fetch_sub(&s->fe->cur_conns, 1);
    atomic_fetch_sub(&w->d->actconn, 1);
    buf_drop(s, &s->cbuf);
    buf_drop(s, &s->sbuf);
    buf_drop(s, &s->obuf);
    buf_drop(s, &s->rbuf);
    heads_drop(s);
    comp_drop(s);
    pipe_release(s);
    free(s->caps);
    s->caps = NULL;
    lb_vars_free(&s->vars);
    uv_close((uv_handle_t *)&s->cp, handle_closed);
    uv_close((uv_handle_t *)&s->timer, handle_closed);
    if (rst)
        setsockopt(s->cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    if (!s->handed)
        close(s->cfd);
    w->nsessions--;
    if (w->stopping && w->nsessions == 0)
        uv_async_send(&w->wake);
}

/* ---- socket I/O: bytes moved, or a negative errno (rd: -EAGAIN when
 * nothing is there; wr: 0 when the socket is full) ---- */

/* EINTR counts as "nothing now": the poll will report the socket again, and
 * retrying here would only delay the other sessions. */
static ssize_t rd(int fd, char *b, size_t room)
{
    ssize_t n = recv(fd, b, room, MSG_DONTWAIT);

    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno;
    return n;
}

/* Send; returns bytes sent (0 if the socket is full) or a negative errno. */
static ssize_t wr(int fd, const char *b, size_t n)
{
    ssize_t r = send(fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT);

    if (r < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
    return r;
}

static ssize_t send_cli(struct hsess *s, const char *b, size_t n)
{
    ssize_t r = wr(s->cfd, b, n);

    if (r < 0) {
        finish(s, "CD", 1);
        return -1;
    }
    if (r > 0) {
        s->bytes_out += (uint64_t)r;
        s->last = now_ms(s);
        s->progress++;
    }
    return r;
}

/* A failed send to the server is seen as the server closing. */
static ssize_t send_srv(struct hsess *s, const char *b, size_t n)
{
    ssize_t r = wr(s->sc->fd, b, n);

    if (r < 0) {
        s->s_eof = 1;
        s->progress++;
        return 0;
    }
    if (r > 0) {
        s->last = now_ms(s);
        s->progress++;
    }
    return r;
}

/* Moves unread bytes to the start of the buffer, only between messages
 * (a head waiting to be parsed): parsed offsets point into the buffer, so
 * it must not move while a parsed head is in use. */
static void compact(char *b, uint32_t *off, uint32_t *len)
{
    if (*off == 0)
        return;
    memmove(b, b + *off, *len - *off);
    *len -= *off;
    *off = 0;
}

/* What a read of either kind (recv, splice) did, once it did not have to
 * wait: progress in any case, the activity time when bytes came, the side's
 * end (*eof) at EOF or on an error. Returns the bytes, 0 for none. */
static uint32_t got(struct hsess *s, ssize_t n, uint8_t *eof)
{
    s->progress++;
    if (n <= 0) {
        *eof = 1;
        return 0;
    }
    s->last = now_ms(s);
    return (uint32_t)n;
}

/* Either direction's read into its pooled buffer b, input [*off, *len):
 * compacted first when between messages (at_head). A full buffer stops
 * reading: the state machine must consume before more is read
 * (backpressure). Returns the bytes read, 0 when none (full, EAGAIN, or EOF
 * and errors, which set *eof). */
static uint32_t read_in(struct hsess *s,
                        int fd,
                        char *b,
                        uint32_t *off,
                        uint32_t *len,
                        int at_head,
                        uint8_t *eof)
{
    uint32_t got_n;
    ssize_t n;

    if (at_head)
        compact(b, off, len);
    if (*len >= s->w->bufsize)
        return 0;
    n = rd(fd, b + *len, s->w->bufsize - *len);
    if (n == -EAGAIN)
        return 0;
    got_n = got(s, n, eof);
    *len += got_n;
    return got_n;
}

static int splice_req_body(const struct hsess *s);
static void read_splice_req(struct hsess *s);

static void read_client(struct hsess *s)
{
    int wait_req = s->state == H_WAIT_REQ;
    uint32_t n;

    if (splice_req_body(s)) {
        read_splice_req(s);
        if (s->cpfd[0] >= 0)
            return;
    }

    if (!buf_take(s, &s->cbuf)) {
        finish(s, "PR", 1);
        return;
    }
    n = read_in(s, s->cfd, s->cbuf, &s->coff, &s->clen, wait_req, &s->c_eof);
    /* The first byte of a request starts its clock (TR, and %tr's date). */
    if (n && wait_req && s->clen - n == s->coff) {
        s->t_req = now_ms(s);
        s->t_req_wall = lk_wall_us();
    }
    s->bytes_in += n;
}

/* A large Content-Length body moves from socket to socket through a pipe
 * (zero copy), once the bytes read with the head are out. */
static int splice_body(const struct hsess *s)
{
    if (s->pfd[0] >= 0)
        return 1;
    return s->rs == RS_BODY && s->rsp.body == HTTP1_BODY_CL && s->soff == s->slen &&
           s->rsent == s->rlen && s->rsp_left >= SPLICE_MIN && !s->w->cfg->global.nosplice && !s->z;
}

/* Either direction's splice read: up to `want` bytes from fd into the pipe
 * pfd, taken from the worker's pool on first use (pfd[0] stays -1 when the
 * pool has none: the caller reads into a buffer instead). Returns the bytes
 * moved, 0 when none moved (*eof set at EOF or error). */
static uint32_t splice_in(struct hsess *s, int fd, int pfd[2], uint64_t want, uint8_t *eof)
{
    ssize_t n;

    if (pfd[0] < 0 && lb_worker_pipe_get(s->w, pfd) < 0) {
        /* No pipe left: the body is copied through the buffer instead, which is
         * slower but correct. */
        pfd[0] = pfd[1] = -1;
        return 0;
    }
    if (want == 0)
        return 0;
    /* Never more than the body's remaining length (the caller's `want`): the
     * bytes after it belong to the next message and must be parsed, not
     * spliced. */
    n = splice(fd, NULL, pfd[1], NULL, (size_t)LK_MIN(want, SPLICE_LEN),
               SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    return got(s, n, eof);
}

static void read_splice(struct hsess *s)
{
    s->inpipe += splice_in(s, s->sc->fd, s->pfd, s->rsp_left - s->inpipe, &s->s_eof);
}

static void one_pipe_release(struct lb_worker *w, int pfd[2], uint32_t *inpipe)
{
    if (pfd[0] < 0)
        return;
    if (*inpipe) { /* data left in it: not reusable */
        close(pfd[0]);
        close(pfd[1]);
    } else {
        lb_worker_pipe_put(w, pfd);
    }
    pfd[0] = pfd[1] = -1;
    *inpipe = 0;
}

static void pipe_release(struct hsess *s)
{
    one_pipe_release(s->w, s->pfd, &s->inpipe);
    one_pipe_release(s->w, s->cpfd, &s->cinpipe);
}

/* A large Content-Length request body (uploads) takes the same path. */
static int splice_req_body(const struct hsess *s)
{
    if (s->cpfd[0] >= 0)
        return s->rq == RQ_BODY;
    return s->state == H_XFER && s->rq == RQ_BODY && s->req.body == HTTP1_BODY_CL &&
           s->coff == s->clen && s->req_left >= SPLICE_MIN && !s->w->cfg->global.nosplice;
}

static void read_splice_req(struct hsess *s)
{
    uint32_t n = splice_in(s, s->cfd, s->cpfd, s->req_left - s->cinpipe, &s->c_eof);

    s->cinpipe += n;
    s->bytes_in += n;
}

static void read_server(struct hsess *s)
{
    if (splice_body(s)) {
        read_splice(s);
        if (s->pfd[0] >= 0)
            return;
    }
    if (!buf_take(s, &s->sbuf)) {
        s->s_eof = 1;
        return;
    }
    read_in(s, s->sc->fd, s->sbuf, &s->soff, &s->slen, s->rs == RS_HEAD, &s->s_eof);
}

/* ---- a request arrives ---- */

static void note_reqline(struct hsess *s)
{
    const char *p = s->cbuf ? s->cbuf + s->coff : "";
    size_t n = s->cbuf ? s->clen - s->coff : 0, i;

    while (n && (*p == '\r' || *p == '\n')) {
        p++;
        n--;
    }
    for (i = 0; i < n && i < REQLINE_MAX && p[i] != '\r' && p[i] != '\n'; i++)
        ;
    memcpy(s->reqline, p, i);
    s->reqline_len = (uint16_t)i;
}

/* ---- http rules ---- */

/* The buffers lent to the rules (lb_rule_io.get_buf): 0 and 1 alternate for
 * rebuilt heads, 2 holds a reply. All are the session's pooled buffers, so
 * they are freed with the session like the others. */
static char *rules_buf(void *owner, int idx)
{
    struct hsess *s = owner;

    return buf_take(s, idx == 2 ? &s->rbuf : &s->hbuf[idx]);
}

/* The frontend address, asked of the kernel once per connection. */
static void smp_dst(struct hsess *s)
{
    socklen_t len = sizeof(s->loc.u);

    if (!s->has_loc && getsockname(s->cfd, &s->loc.u.sa, &len) == 0) {
        s->loc.len = len;
        s->has_loc = 1;
    }
}

static const char *uid_of(void *arg)
{
    return txn_uid(arg);
}

/* The sample context of this session's current request. The request head
 * is read where it is now (rebuilt or not); a response fetch sees nothing
 * until rsp_io() adds the response. */
static void smp_init(struct hsess *s, struct lb_smp_ctx *c)
{
    c->rqbuf = req_head(s);
    c->rq = &s->req;
    c->rsbuf = NULL;
    c->rs = NULL;
    c->src = &s->cli;
    smp_dst(s);
    c->dst = s->has_loc ? &s->loc : NULL;
    c->sc = s->stk;
    c->vars = &s->vars;
    c->deftable = NULL;
    c->now_ms = now_ms(s);
    c->next_chunk = 0;
    c->next_abuf = 0;
    c->need_more = 0;
    c->fe_name = s->fe->name;
    c->first_req = s->first;
    c->srv_name = NULL;
    c->srv_id = 0;
    /* before use_backend the frontend is the backend, as in HAProxy */
    c->be_name = s->be ? s->be->name : s->fe->name;
    c->reqline = s->reqline;
    c->reqline_len = s->reqline_len;
    c->caps = s->caps;
    c->caph = s->fe->http;
    c->uid = uid_of;
    c->uid_arg = s;
}

/* in_flags carries "answer to a HEAD" into the reparse of an edited
 * response head, or its body framing would be read wrong. */
static void io_init(struct hsess *s, struct lb_rule_io *io, struct lb_smp_ctx *c, int rsp)
{
    memset(io, 0, sizeof(*io));
    io->smp = c;
    io->rsp = rsp;
    io->msg = rsp ? &s->rsp : &s->req;
    io->get_buf = rules_buf;
    io->owner = s;
    io->cap = s->w->bufsize;
    io->cur = -1;
    io->max_head = head_max(s->w);
    io->in_flags = rsp ? s->rsp.in_flags : 0;
}

/* A defaults section's rules run before the proxy's own (HAProxy 2.5+). */
static enum lb_rule_verdict run_rules(const struct lb_http_px *h, struct lb_rule_io *io)
{
    enum lb_rule_verdict v;

    if (!h)
        return LB_RULE_CONTINUE;
    if ((v = run_rules(h->def, io)) != LB_RULE_CONTINUE)
        return v;
    v = lb_rule_run(io->rsp ? h->rsprules : h->reqrules, io);
    if (v == LB_RULE_CONTINUE && !io->rsp)
        v = lb_rule_run(h->redirects, io);
    return v;
}

static void send_msg(struct hsess *s, int status, const char *data, size_t len, const char *term);

/* http-request auth: the proxy's 401 page with the Basic challenge added
 * to its head.
 * The field is put after the page's last header line and before its empty
 * line, so a custom 401 errorfile keeps its own fields and body. */
static void send_challenge(struct hsess *s, const char *realm)
{
    const struct lb_errmsg *m = lb_http_errmsg(s->be ? s->be : s->fe, s->fe, 401);
    const char *end = m ? memmem(m->data, m->len, "\r\n\r\n", 4) : NULL;
    struct lb_wb w = {NULL, 0, s->w->bufsize, 0};
    size_t head;

    if (!end || !(w.p = buf_take(s, &s->rbuf))) {
        send_error(s, 500, "PR");
        return;
    }
    head = (size_t)(end - m->data) + 2;
    lb_wb_put(&w, m->data, head);
    lb_wb_put(&w, "www-authenticate: Basic realm=\"", 31);
    lb_wb_put(&w, realm, strlen(realm));
    lb_wb_put(&w, "\"\r\n", 3);
    lb_wb_put(&w, m->data + head, m->len - head);
    if (w.over) {
        send_error(s, 500, "PR");
        return;
    }
    send_msg(s, 401, w.p, w.len, "PR");
}

/* A rule's verdict: 0 to go on, -1 when the exchange was answered. */
static int rules_verdict(struct hsess *s, struct lb_rule_io *io, enum lb_rule_verdict v)
{
    if (v == LB_RULE_TARPIT) { /* the answer comes late: deadline(), expired() */
        atomic_fetch_add(&s->fe->denied_req, 1);
        drop_server(s, 0, 1);
        s->status = io->status;
        s->state = H_TARPIT;
        s->t_err = now_ms(s);
        s->progress++;
        return -1;
    }
    if (v == LB_RULE_REJECT || v == LB_RULE_DROP) { /* no answer at all */
        atomic_fetch_add(&s->fe->denied_req, 1);
        finish(s, io->rsp ? "PH" : "PR", v == LB_RULE_DROP);
        return -1;
    }
    if (v == LB_RULE_ERROR) {
        send_error(s, io->rsp ? 502 : 500, io->rsp ? "PH" : "PR");
        return -1;
    }
    if (v != LB_RULE_REPLY)
        return 0;
    if (io->realm)
        send_challenge(s, io->realm);
    else if (io->empty)
        send_msg(s, io->status, "", 0, io->rsp ? "PH" : "PR");
    else if (io->reply_len == 0)
        send_error(s, io->status, io->rsp ? "PH" : "PR");
    else /* return and redirect are answered locally (HAProxy's "LR") */
        send_msg(s, io->status, io->reply, io->reply_len,
                 io->status == 403 || io->rsp ? (io->rsp ? "PH" : "PR") : "LR");
    /* as HAProxy, the connection stays open when nothing of the request is
     * left to read and the client did not ask to close.
     * Only a request without a body qualifies: its unread body would otherwise
     * be parsed as the next request. HTTP/1.0 needs an explicit keep-alive
     * (RFC 9112 section 9.3); a stopping worker closes anyway. */
    /* an empty answer (errorfile /dev/null) closes: the client has nothing
     * else to tell the request ended by */
    s->reply_ka = !io->rsp && s->state == H_ERROR && s->rlen > 0 &&
                  s->req.body == HTTP1_BODY_NONE && !(s->req.flags & HTTP1_F_CONN_CLOSE) &&
                  (s->req.version || (s->req.flags & HTTP1_F_CONN_KA)) && !s->w->stopping;
    if (s->reply_ka)
        s->cli_close = 0;
    return -1;
}

/* http-request rules and redirects of px. Returns 0, or -1 when answered. */
static int req_rules(struct hsess *s, const struct lb_proxy *px)
{
    struct lb_smp_ctx c;
    struct lb_rule_io io;
    enum lb_rule_verdict v;

    if (!px->http ||
        (!px->http->reqrules && !px->http->redirects && !px->http->def && !px->http->tcp_content))
        return 0;
    smp_init(s, &c);
    c.deftable = px->stk;
    c.be_name = px->name;
    io_init(s, &io, &c, 0);
    io.src_rw = &s->cli;
    if (s->has_loc) /* smp_init asked the kernel for it */
        io.dst_rw = &s->loc;
    io.px_name = px->name;
    if (s->rqh) /* the frontend rebuilt it already: keep that buffer */
        io.cur = s->rqh == (const uint8_t *)s->hbuf[0] ? 0 : 1;
    /* HAProxy's order: tcp-request content, then http-request rules */
    v = lb_rule_run(px->http->tcp_content, &io);
    if (v == LB_RULE_CONTINUE || v == LB_RULE_ALLOW)
        v = run_rules(px->http, &io);
    /* The rules' result becomes the request head; the other rebuilt buffer is
     * free again. */
    if (io.cur >= 0) {
        s->rqh = c.rqbuf;
        buf_drop(s, &s->hbuf[io.cur ? 0 : 1]);
    }
    return rules_verdict(s, &io, v);
}

/* Rules on the response head `head` (parsed in s->rsp): the request head
 * may be gone, so request fetches are refused at config time. */
static void rsp_io(struct hsess *s,
                   struct lb_smp_ctx *c,
                   struct lb_rule_io *io,
                   const uint8_t *head)
{
    smp_init(s, c);
    c->rq = NULL;
    c->rqbuf = NULL;
    c->rsbuf = head;
    c->rs = &s->rsp;
    c->srv_name = s->log_srv && s->got_rsp ? s->log_srv->name : NULL;
    c->srv_id = s->log_srv ? s->log_srv->puid : 0;
    io_init(s, io, c, 1);
}

/* http-response rules: the backend's, then the frontend's. Returns 0 with
 * *head the head to forward, or -1 when answered. */
static int rsp_rules(struct hsess *s, const uint8_t **head)
{
    const struct lb_proxy *pxs[2] = {s->be, s->fe != s->be ? s->fe : NULL};
    enum lb_rule_verdict v = LB_RULE_CONTINUE;
    struct lb_smp_ctx c;
    struct lb_rule_io io;
    int i;

    *head = (const uint8_t *)s->sbuf + s->soff;
    for (i = 0; i < 2; i++)
        if (pxs[i] && pxs[i]->http && (pxs[i]->http->rsprules || pxs[i]->http->def))
            break;
    if (i == 2)
        return 0;
    rsp_io(s, &c, &io, *head);
    s->rqh = NULL; /* its buffers are reused for the response */
    for (i = 0; i < 2 && v == LB_RULE_CONTINUE; i++)
        if (pxs[i])
            v = run_rules(pxs[i]->http, &io);
    if (io.cur >= 0)
        *head = c.rsbuf;
    s->status = s->rsp.status;
    return rules_verdict(s, &io, v);
}

/* A defaults section's http-after-response rules run before the proxy's;
 * allow ends one proxy's list only, as in HAProxy: an allow among the
 * defaults' rules skips the proxy's own (reg-test default_rules), the
 * other proxy's still run. */
static enum lb_rule_verdict run_after(const struct lb_http_px *h, struct lb_rule_io *io)
{
    enum lb_rule_verdict v;

    if (!h)
        return LB_RULE_CONTINUE;
    if ((v = run_after(h->def, io)) == LB_RULE_ERROR || v == LB_RULE_ALLOW)
        return v;
    v = lb_rule_run(h->afterrules, io);
    return v == LB_RULE_ERROR || v == LB_RULE_ALLOW ? v : LB_RULE_CONTINUE;
}

static int has_after(const struct lb_proxy *px)
{
    const struct lb_http_px *h;

    for (h = px ? px->http : NULL; h; h = h->def)
        if (h->afterrules)
            return 1;
    return 0;
}

/* http-after-response: the backend's rules, then the frontend's, on the
 * response head *head parsed in s->rsp, the server's or lbd's own. Returns
 * 0 with *head the head to send (rebuilt into hbuf when edited), or -1
 * when a rewrite failed. */
static int after_rules(struct hsess *s, const uint8_t **head)
{
    const struct lb_proxy *pxs[2] = {s->be, s->fe != s->be ? s->fe : NULL};
    enum lb_rule_verdict v = LB_RULE_CONTINUE;
    struct lb_smp_ctx c;
    struct lb_rule_io io;
    int i;

    if (!has_after(pxs[0]) && !has_after(pxs[1]))
        return 0;
    rsp_io(s, &c, &io, *head); /* in_flags: a HEAD's answer keeps its framing */
    for (i = 0; i < 2; i++)
        if (s->hbuf[i] && *head == (const uint8_t *)s->hbuf[i])
            io.cur = i;
    s->rqh = NULL; /* its buffers are reused for the response */
    /* allow ends one proxy's rules: the other proxy's still run */
    for (i = 0; i < 2 && v != LB_RULE_ERROR; i++)
        if (pxs[i])
            v = run_after(pxs[i]->http, &io);
    if (v == LB_RULE_ERROR)
        return -1;
    if (io.cur >= 0)
        *head = c.rsbuf;
    s->status = s->rsp.status;
    return 0;
}

/* lbd's own answer data[0, len) through http-after-response: the result
 * is the rebuilt head followed by the body, in the head's buffer. Returns
 * 0 when no rule applies (errors of the request parsing stage, as in
 * HAProxy, where its multiplexer answers them), 1 with *data / *len
 * updated, or -1: answer the built-in 500 instead, as HAProxy does when
 * its rules fail. */
static int after_own(struct hsess *s, const char **data, size_t *len)
{
    const uint8_t *head = (const uint8_t *)*data;
    size_t body;
    int r;

    /* in_after: lbd's answer to a failed after-response rule is not run through
     * the rules again, or a rule that always fails would loop. */
    if (!s->rq_parsed || s->in_after || !*len || (!has_after(s->be) && !has_after(s->fe)))
        return 0;
    http1_msg_init(&s->rsp, head_max(s->w), 0);
    r = http1_parse_response(head, *len, &s->rsp);
    if (r <= 0)
        return 0; /* validated at load time: cannot happen */
    body = *len - (size_t)r;
    s->in_after = 1;
    if (after_rules(s, &head) < 0)
        return -1;
    if (head == (const uint8_t *)*data)
        return 1;
    if (s->rsp.head_len + body > s->w->bufsize)
        return -1; /* HAProxy: no room left for the rules' edits */
    memcpy((char *)(uintptr_t)head + s->rsp.head_len, *data + r, body);
    *data = (const char *)head;
    *len = s->rsp.head_len + body;
    return 1;
}

/* Copy the last occurrence of each captured header into its slot, cut at
 * its len; a header that is absent leaves its slot unfilled ('-' in %hrl),
 * as do slots without a header name, which the capture rules fill. The last
 * occurrence wins, as HAProxy's capture request header. */
static void capture(struct hsess *s, int rsp, const uint8_t *buf, const struct http1_msg *m)
{
    const struct lb_http_px *h = s->fe->http;
    const struct lb_capture *c = rsp ? h->caprsp : h->capreq;
    size_t i, n = rsp ? h->ncaprsp : h->ncapreq;
    unsigned k;

    for (i = 0; i < n; i++) {
        const uint8_t *v = NULL;
        size_t vl = 0;

        for (k = 0; c[i].name && k < m->nhdr; k++)
            if (m->hdr[k].name_len == c[i].name_len &&
                strncasecmp((const char *)buf + m->hdr[k].name_off, c[i].name, c[i].name_len) ==
                    0) {
                v = buf + m->hdr[k].val_off;
                vl = m->hdr[k].val_len;
            }
        if (v)
            lb_http_capture_put(h, s->caps, rsp, i, (const char *)v, vl);
    }
}

static void capture_request(struct hsess *s)
{
    const struct lb_http_px *h = s->fe->http;

    if (!h || !h->capsize)
        return;
    /* No memory for captures: the request is served and logged without them,
     * rather than refused over a log detail. */
    if (!s->caps && !(s->caps = malloc(h->capsize)))
        return;
    memset(s->caps, 0, h->capsize);
    capture(s, 0, req_head(s), &s->req);
}

static void capture_response(struct hsess *s)
{
    if (!s->caps || !s->fe->http->ncaprsp)
        return;
    capture(s, 1, (const uint8_t *)s->sbuf + s->soff, &s->rsp);
}

/* monitor-uri: a request for exactly that URI is answered here, 200 or
 * 503 when "monitor fail" holds, and not logged. Returns 1 if answered. */
static int monitor(struct hsess *s)
{
    const struct lb_http_px *h = s->fe->http;
    const uint8_t *u = req_head(s) + s->req.uri_off, *p;
    size_t n = s->req.uri_len, pl;
    struct lb_smp_ctx c;
    struct lb_rule_io io;
    int st = 200;

    if (!h || !h->monitor_uri)
        return 0;
    if (h->monitor_uri[0] == '/') { /* the path and query of an absolute target */
        lb_smp_req_path(req_head(s), &s->req, &p, &pl);
        n -= (size_t)(p - u);
        u = p;
    }
    if (n != h->monitor_len || memcmp(u, h->monitor_uri, n) != 0)
        return 0;
    if (h->monitor_fail) {
        smp_init(s, &c);
        st = lb_cond_eval(h->monitor_fail, &c) ? 503 : 200;
    }
    s->nolog = 1;
    memset(&io, 0, sizeof(io));
    io.status = st;
    rules_verdict(s, &io, LB_RULE_REPLY);
    return 1;
}

/* "stats uri" in a proxy that also forwards: HAProxy serves its page for
 * any request whose path starts with the URI (after the proxy's http-request
 * rules) and forwards the rest. The page is built on the control thread,
 * which owns what it shows, so the client connection goes there with the
 * bytes read so far (the head as the rules left it, then any body) and ends
 * here without a log line. Returns 1 when the request was handed over. */
static int stats_handoff(struct hsess *s, struct lb_proxy *px, uint32_t head_len)
{
    const char *uri = px->stats.uri ? px->stats.uri : "/haproxy?stats";
    size_t ul = strlen(uri), pl, body = s->clen - (s->head_base + head_len);
    const uint8_t *p;
    char *copy;
    int fd = s->cfd;

    if (!px->stats.enabled || lb_stats_only(px))
        return 0;
    lb_smp_req_path(req_head(s), &s->req, &p, &pl);
    if (pl < ul || memcmp(p, uri, ul) != 0)
        return 0;
    copy = malloc((size_t)s->req.head_len + body + 1);
    if (!copy) {
        send_error(s, 500, "PR");
        return 1;
    }
    memcpy(copy, req_head(s), s->req.head_len);
    memcpy(copy + s->req.head_len, s->cbuf + s->head_base + head_len, body);
    /* finished first: its poll leaves this loop's epoll before the
     * control thread adds the socket to its own */
    s->handed = s->nolog = 1;
    finish(s, NULL, 0);
    if (lb_stats_http_adopt(s->w->d, px, fd, copy, s->req.head_len + body) < 0)
        close(fd); /* stopping or out of memory: the client sees a close */
    free(copy);
    return 1;
}

/* use_backend: the first rule whose condition holds. A name built from
 * samples that names no http backend ends the search: the default
 * backend then serves, as in HAProxy. */
static struct lb_proxy *route(struct hsess *s)
{
    const struct lb_switch *r;
    struct lb_smp_ctx c;
    struct lb_proxy *be;
    char name[256];
    size_t n;

    if (!s->fe->http || !s->fe->http->switching)
        return s->fe->default_backend;
    smp_init(s, &c);
    for (r = s->fe->http->switching; r; r = r->next) {
        if (!lb_cond_eval(r->cond, &c))
            continue;
        if (!r->dyn)
            return r->be;
        /* use_backend with a log-format name ("be_%[req.hdr(host)]"): looked up
         * per request among the config's backends; a mode tcp one cannot serve an
         * HTTP request. */
        n = lb_lfmt_render(r->dyn, &c, name, sizeof(name) - 1);
        name[n] = '\0';
        be = lb_cfg_find_proxy(s->w->cfg, name, LB_CAP_BE);
        return be && be->mode == LB_MODE_HTTP ? be : s->fe->default_backend;
    }
    return s->fe->default_backend;
}

/* The key of balance uri (path without query) or hdr(name), kept as an
 * offset into the request head: the balancer reads it in assign(), which
 * may run again on a retry while the head is still in place. */
static void balance_key(struct hsess *s)
{
    const uint8_t *b = req_head(s), *v;
    size_t n = 0;

    s->key_len = 0;
    if (s->be->algo == LB_ALGO_URI) {
        const char *k = (const char *)b + s->req.uri_off;

        n = lb_balance_uri_key(&s->be->lbprm, &k, s->req.uri_len);
        v = (const uint8_t *)k;
    } else if (s->be->algo == LB_ALGO_HDR && s->be->algo_arg) {
        v = http1_hdr_get(&s->req, b, s->be->algo_arg, strlen(s->be->algo_arg), &n);
        if (!v)
            return;
    } else {
        return;
    }
    s->key_off = (uint32_t)(v - b);
    s->key_len = (uint32_t)n;
}

/* The compression settings that apply: the backend's when it has
 * algorithms (types), else the frontend's, as HAProxy looks them up. */
static const struct lb_comp_cfg *comp_cfg(const struct hsess *s, int types)
{
    const struct lb_comp_cfg *b = s->be && s->be->http ? s->be->http->comp : NULL;
    const struct lb_comp_cfg *f = s->fe->http ? s->fe->http->comp : NULL;

    if (b && (types ? b->ntypes : b->nalgos))
        return b;
    return f && (types ? f->ntypes : f->nalgos) ? f : NULL;
}

/* compression offload in either proxy, once Accept-Encoding chose */
static int comp_offload(const struct hsess *s, int asked)
{
    const struct lb_comp_cfg *b = s->be->http ? s->be->http->comp : NULL;
    const struct lb_comp_cfg *f = s->fe->http ? s->fe->http->comp : NULL;

    return asked && ((b && b->offload) || (f && f->offload));
}

/* Whether address a is in the "except" network of ff (forwardfor's or
 * originalto's arguments). */
static int net_excepted(const struct lb_fwdfor *ff, const struct lk_addr *a)
{
    const uint8_t *ip;
    int i, len;

    if (ff->except_af != a->u.sa.sa_family)
        return 0;
    ip = ff->except_af == AF_INET ? (const uint8_t *)&a->u.in4.sin_addr
                                  : (const uint8_t *)&a->u.in6.sin6_addr;
    len = ff->except_af == AF_INET ? 4 : 16;
    for (i = 0; i < len; i++)
        if ((ip[i] & ff->mask[i]) != ff->net[i])
            return 0;
    return 1;
}

/* Whether the client's address is in px's "option forwardfor except" network. */
static int ff_excepted(const struct lb_proxy *px, const struct lk_addr *a)
{
    return (px->options & LB_OPT_FORWARDFOR) && net_excepted(&px->ff, a);
}

/* option originalto, as HAProxy 2.6: "<Name>: <the address the client
 * reached>" with the backend's field name if it has the option, else the
 * frontend's; not when that address is in either proxy's except network.
 * Returns the "Name: " to add, or NULL. */
static const char *ot_field(struct hsess *s)
{
    const struct lb_proxy *fe = s->fe, *be = s->be;
    int bon = be && (be->options & LB_OPT_ORIGINALTO);

    if (!(fe->options & LB_OPT_ORIGINALTO) && !bon)
        return NULL;
    smp_dst(s);
    if (!s->has_loc || (s->loc.u.sa.sa_family != AF_INET && s->loc.u.sa.sa_family != AF_INET6) ||
        net_excepted(&fe->ot, &s->loc) || (be && net_excepted(&be->ot, &s->loc)))
        return NULL;
    return bon ? be->ot.hdr : fe->ot.hdr;
}

/* option forwardfor, as HAProxy 2.6: the backend's field name if it has the
 * option, else the frontend's; not added when either proxy excepts the
 * client, nor when neither says "always" (if-none) and the request has
 * the field. Returns the "Name: " to add, or NULL. */
static const char *ff_field(const struct hsess *s)
{
    const struct lb_proxy *fe = s->fe, *be = s->be;
    int fon = (fe->options & LB_OPT_FORWARDFOR) != 0, bon = be && (be->options & LB_OPT_FORWARDFOR);
    const char *name;
    size_t nl;
    unsigned i;

    if (!fon && !bon)
        return NULL;
    name = bon ? be->ff.hdr : fe->ff.hdr;
    if ((s->cli.u.sa.sa_family != AF_INET && s->cli.u.sa.sa_family != AF_INET6) ||
        ff_excepted(fe, &s->cli) || (be && ff_excepted(be, &s->cli)))
        return NULL;
    if ((fon && fe->ff.always) || (bon && be->ff.always))
        return name;
    nl = strlen(name) - 2;
    for (i = 0; i < s->req.nhdr; i++)
        if (s->req.hdr[i].name_len == nl &&
            strncasecmp((const char *)req_head(s) + s->req.hdr[i].name_off, name, nl) == 0)
            return NULL;
    return name;
}

/* Accept-Encoding is read before the head is rebuilt: compression offload
 * removes it from what the server sees, so the server sends the body plain
 * and lbd compresses it. */
static int build_request(struct hsess *s)
{
    const struct lb_http_px *bh = s->be->http;
    struct lb_req_edit e;
    int r, asked;

    s->comp_algo = (int8_t)lb_comp_pick(comp_cfg(s, 0), req_head(s), &s->req, &asked);
    memset(&e, 0, sizeof(e));
    e.drop_field = comp_offload(s, asked) ? "accept-encoding" : NULL;
    e.conn_close = s->srv_close;
    /* an HTTP/1.0 request closes by default (RFC 9112 section 9.3): ask the
     * server to keep the connection for reuse */
    e.conn_ka = !s->srv_close && s->req.version == 0;
    e.upgrade = s->upgrade;
    e.xff_name = ff_field(s);
    e.xff = e.xff_name ? &s->cli : NULL;
    e.xot_name = ot_field(s);
    e.xot = e.xot_name ? &s->loc : NULL;
    e.uid_field = s->fe->uidhdr;
    e.uid = s->fe->uidhdr ? txn_uid(s) : NULL;
    if (bh && bh->cookie && (bh->cookie_flags & LB_COOKIE_INDIRECT)) {
        e.drop_cookie = bh->cookie;
        e.drop_cookie_len = bh->cookie_len;
    }
    if (!buf_take(s, &s->obuf))
        return -ENOMEM;
    r = lb_http_build_request(s->obuf, s->w->bufsize, req_head(s), &s->req, &e);
    if (r < 0)
        return r;
    s->olen = (uint32_t)r;
    s->osent = 0;
    return 0;
}

/* Connection behaviour of this exchange, from both messages' and the
 * proxies' settings. */
static void connection_mode(struct hsess *s)
{
    const struct http1_msg *m = &s->req;
    unsigned o = opts(s);

    s->cli_close = (m->flags & HTTP1_F_CONN_CLOSE) ||
                   (m->version == 0 && !(m->flags & HTTP1_F_CONN_KA)) || (o & LB_OPT_HTTPCLOSE) ||
                   s->w->stopping;
    s->upgrade = (m->flags & HTTP1_F_CONN_UPGRADE) && (m->flags & HTTP1_F_UPGRADE);
    /* An upgraded connection becomes a tunnel and can never go back to a pool. */
    s->srv_close = (o & (LB_OPT_HTTPCLOSE | LB_OPT_HTTP_SERVER_CLOSE)) || s->upgrade;
}

/* A response to HEAD has no body whatever its Content-Length says (RFC
 * 9110 section 9.3.2): the response parser must know before it starts. */
static void start_body(struct hsess *s)
{
    s->rq = RQ_HEAD;
    s->rs = RS_HEAD;
    s->req_left = s->req.body == HTTP1_BODY_CL ? s->req.content_length : 0;
    memset(&s->rqch, 0, sizeof(s->rqch));
    memset(&s->rsch, 0, sizeof(s->rsch));
    http1_msg_init(&s->rsp, head_max(s->w), s->req.method == HTTP1_M_HEAD ? HTTP1_IN_HEAD_REQ : 0);
}

/* A request head was parsed: HAProxy's order of processing. monitor-uri
 * comes first and skips every rule; then the frontend's rules, use_backend
 * and the backend's rules (a listen section's run once); then the backend's
 * counters, the connection mode, the rebuilt head and a server. An answer
 * from a rule ends the transaction here; head_len is consumed only when the
 * connection stays open for another request (reply_ka). */
static void start_txn(struct hsess *s, int head_len)
{
    s->t_head = now_ms(s);
    s->head_base = s->coff;
    s->in_txn = s->rq_parsed = 1;
    s->progress++;
    smp_dst(s);
    lb_tlog_connect(&s->w->tlog, s->fe, &s->w->cfg->global, &s->cli, s->has_loc ? &s->loc : NULL,
                    1);
    note_reqline(s);
    s->rqh = NULL;
    capture_request(s);
    if (monitor(s)) {
        if (s->reply_ka)
            s->coff += (uint32_t)head_len;
        return;
    }
    lb_stkctr_request(s->stk, now_ms(s));
    if (req_rules(s, s->fe) < 0) {
        if (s->reply_ka)
            s->coff += (uint32_t)head_len; /* answered: the head is consumed */
        return;
    }
    if (stats_handoff(s, s->fe, (uint32_t)head_len))
        return;
    if (!(s->be = route(s))) {
        send_error(s, 503, "SC");
        return;
    }
    if (s->be != s->fe && req_rules(s, s->be) < 0) {
        if (s->reply_ka)
            s->coff += (uint32_t)head_len;
        return;
    }
    if (s->be != s->fe && stats_handoff(s, s->be, (uint32_t)head_len))
        return;
    if (s->be != s->fe) {
        atomic_fetch_add(&s->be->cur_conns, 1);
        atomic_fetch_add(&s->be->cum_conns, 1);
        s->be_counted = 1;
    }
    connection_mode(s);
    balance_key(s);
    if (build_request(s) < 0) {
        send_error(s, 500, "PR");
        return;
    }
    s->coff += (uint32_t)head_len;
    start_body(s);
    assign(s);
}

static void wait_req_step(struct hsess *s)
{
    int r;

    if (s->clen > s->coff) {
        r = http1_parse_request((const uint8_t *)s->cbuf + s->coff, s->clen - s->coff, &s->req);
        if (r > 0) {
            start_txn(s, r);
            return;
        }
        if (r < 0) {
            lb_errors_capture(s->w->d->errors, &(struct lb_err_event){.px = s->fe,
                                                                      .dir = LB_ERR_REQ,
                                                                      .client = &s->cli,
                                                                      .buf = s->cbuf + s->coff,
                                                                      .len = s->clen - s->coff,
                                                                      .err_off = s->req.err_off});
            note_reqline(s);
            s->in_txn = 1;
            /* The parser chose the status (400, 414, 431, 501...); the bytes are kept
             * for "show errors", as HAProxy captures invalid requests. */
            send_error(s, s->req.err_status, "PR");
            return;
        }
        if (s->c_eof) /* closed in the middle of a request */
            finish(s, "CR", 0);
        return;
    }
    if (s->c_eof || s->w->stopping)
        finish(s, NULL, 0);
}

/* ---- choosing a server and connecting ---- */

/* use-server: the server of the first rule whose condition holds and
 * whose server is usable (a down one is skipped, as HAProxy skips it
 * without "option persist"); before stickiness and cookies. */
static struct lb_server *use_server(struct hsess *s)
{
    const struct lb_switch *r;
    struct lb_smp_ctx c;

    if (!s->be->http || !s->be->http->usesrv)
        return NULL;
    smp_init(s, &c);
    for (r = s->be->http->usesrv; r; r = r->next)
        if (lb_cond_eval(r->cond, &c) && lb_server_usable(r->srv) && lb_server_take(r->srv) == 0)
            return r->srv;
    return NULL;
}

/* ignore-persist: does one of the backend's conditions hold (HAProxy
 * decides once per request, before any server is chosen)? */
static int persist_ignored(struct hsess *s)
{
    const struct lb_switch *r;
    struct lb_smp_ctx c;

    if (!s->be->http || !s->be->http->ignore_persist)
        return 0;
    smp_init(s, &c);
    for (r = s->be->http->ignore_persist; r; r = r->next)
        if (lb_cond_eval(r->cond, &c))
            return 1;
    return 0;
}

/* Persistence: the server named by the request's cookie, if usable.
 * ck_in/ck_out are HAProxy's cookie status letters for the log: N no
 * cookie, I a cookie naming no server, D its server is down, V valid, U
 * present but not used (ignore-persist); '-' when the backend has no
 * cookie persistence. */
static int persist_target(const struct lb_server *srv)
{
    int st = atomic_load_explicit(&srv->state, memory_order_relaxed);

    return st == LB_SRV_DRAIN || (st == LB_SRV_UP && lb_server_usable(srv));
}

static struct lb_server *cookie_server(struct hsess *s)
{
    const struct lb_http_px *bh = s->be->http;
    const uint8_t *v;
    struct lb_server *srv;
    size_t n;
    unsigned i;

    if (!bh || !bh->cookie) {
        s->ck_in = s->ck_out = '-';
        return NULL;
    }
    s->ck_in = s->ck_out = 'N';
    v = lb_http_cookie_find(req_head(s), &s->req, bh->cookie, bh->cookie_len, &n);
    if (!v)
        return NULL;
    if (s->ignore_prst) {
        s->ck_in = 'U';
        return NULL;
    }
    s->ck_in = 'I';
    for (i = 0; i < s->be->nservers; i++) {
        srv = s->be->servers[i];
        if (!srv->cookie || strlen(srv->cookie) != n || memcmp(srv->cookie, v, n) != 0)
            continue;
        /* HAProxy 2.6 follows the cookie to any server not stopped: a
         * drained one (operator, agent, disable-on-404's NOLB) keeps its
         * persistent clients, which is what draining is for */
        if (!persist_target(srv) || lb_server_take(srv) < 0) {
            s->ck_in = 'D';
            return NULL;
        }
        s->ck_in = 'V';
        return srv;
    }
    return NULL;
}

/* A server by the balancing algorithm; *full is set when usable servers
 * exist but all are at their maxconn (the request waits). */
static struct lb_server *balance_server(struct hsess *s, unsigned ntried, int *full)
{
    struct lb_balancer *b = lb_worker_balancer(s->w, s->be);
    struct lb_pick_ctx ctx = {&s->cli, NULL, 0, s->tried, ntried};
    struct lb_server *srv = NULL;
    enum lb_pick_status st;

    if (s->key_len) {
        ctx.key = (const char *)req_head(s) + s->key_off;
        ctx.key_len = s->key_len;
    }
    st = b ? lb_balancer_pick(b, &ctx, &srv) : LB_PICK_NONE;
    if (st == LB_PICK_OK && lb_server_take(srv) < 0)
        st = LB_PICK_FULL; /* another thread took the last slot */
    if (st == LB_PICK_FULL)
        *full = 1;
    return st == LB_PICK_OK ? srv : NULL;
}

static void sconn_cb(struct lb_sconn *c, void *owner, int status, int events);
static void conn_failed(struct hsess *s, int err);

static void connected(struct hsess *s)
{
    socklen_t len = sizeof(s->back.u);

    /* asked only for a log format that shows it: one syscall per request */
    s->back.len = 0;
    if (s->fe->log_back && getsockname(s->sc->fd, &s->back.u.sa, &len) == 0)
        s->back.len = len;
    s->state = H_XFER;
    s->t_connected = now_ms(s);
    s->last = s->t_connected;
    s->progress++;
}

static int reuse_mode(const struct hsess *s)
{
    return s->be->http ? s->be->http->reuse : LB_REUSE_SAFE;
}

/* HAProxy 2.6 counts a first request whose failures are all retried
 * (retry-on all-retryable-errors) as safe to send on an idle connection. */
static int retry_safe(const struct hsess *s)
{
    return s->be->http && (s->be->http->retry_on & LB_RETRY_ALL_RETRYABLE);
}

/* An idle connection for this request (http-reuse, as HAProxy 2.6's
 * connect_server): this client connection's own one to the server first;
 * then from the pool, a later request of a client connection takes any
 * (one never reused first), a first request none ("safe"), only one that
 * carried two requests ("aggressive"), or such one else any ("always").
 * A later request that dies on a stale connection is answered by closing
 * the client connection (see server_gone), which clients retry; a first
 * request could only get a 502. */
static struct lb_sconn *reuse_conn(struct hsess *s)
{
    int mode = reuse_mode(s);
    struct lb_sconn *c;

    if (s->no_reuse || s->srv_close)
        return NULL;
    c = lb_sconn_unpark(&s->parked, s->srv, s, sconn_cb);
    if (c || mode == LB_REUSE_NEVER)
        return c;
    if (!s->first || retry_safe(s)) {
        c = lb_sconn_reuse(s->w, s->srv, LB_SCONN_IDLE, s, sconn_cb);
        return c ? c : lb_sconn_reuse(s->w, s->srv, LB_SCONN_SAFE, s, sconn_cb);
    }
    if (mode >= LB_REUSE_AGGRESSIVE &&
        (c = lb_sconn_reuse(s->w, s->srv, LB_SCONN_SAFE, s, sconn_cb)))
        return c;
    if (mode == LB_REUSE_ALWAYS)
        return lb_sconn_reuse(s->w, s->srv, LB_SCONN_IDLE, s, sconn_cb);
    return NULL;
}

/* A port-mapped server (no port in its address): the port the client
 * connected to plus the server's offset, as HAProxy's mapped ports, or 0
 * when that falls out of 1..65535. */
static unsigned mapped_port(struct hsess *s)
{
    long port;

    smp_dst(s);
    port = (s->has_loc ? (long)lk_addr_port(&s->loc) : 0) + s->srv->port_off;
    return port >= 1 && port <= 65535 ? (unsigned)port : 0;
}

/* A reused idle connection is already connected: the request goes out at
 * once, without the connect phase (Tc is then 0). */
static void open_conn(struct hsess *s)
{
    int ka = (opts(s) & (LB_OPT_TCPKA | LB_OPT_SRVTCPKA)) != 0, r;
    unsigned port;

    s->t_conn = now_ms(s);
    s->log_srv = s->srv;
    if ((s->sc = reuse_conn(s))) {
        s->reused = 1;
        connected(s);
        return;
    }
    s->reused = 0;
    port = s->srv->port_map ? mapped_port(s) : 0;
    /* a mapped port out of range fails as a connection error, as in mode tcp */
    r = s->srv->port_map && !port ? -EADDRNOTAVAIL
                                  : lb_sconn_connect(s->w, s->srv, port, ka, s, sconn_cb, &s->sc);
    if (r < 0) {
        conn_failed(s, r);
        return;
    }
    /* never: the connection belongs to this client connection */
    s->sc->priv = reuse_mode(s) == LB_REUSE_NEVER;
    /* send-proxy: the header names this client (HAProxy 2.6 hashes it
     * into the connection's reuse key), so no other client may use it;
     * a port-mapped server's connection goes to this client's port, which
     * HAProxy hashes in too: lbd keeps it for this client connection */
    s->sc->priv |= s->srv->send_proxy != 0 || s->srv->port_map;
    s->state = H_CONNECT;
    s->progress++;
}

/* Wait for a server slot: run() retries assign() every QUEUE_POLL_MS
 * until `timeout queue` (else `timeout connect`) runs out. Polling keeps
 * queued requests independent of mode tcp's queue and costs nothing when
 * no server has a maxconn. */
static void enqueue(struct hsess *s)
{
    if (s->state != H_QUEUE) {
        s->state = H_QUEUE;
        s->t_queue = now_ms(s);
        lb_backend_queue_enter(s->be);
    }
    s->progress++;
}

static void dequeue(struct hsess *s)
{
    if (s->state == H_QUEUE) {
        lb_backend_queue_leave(s->be);
        s->t_dequeue = now_ms(s);
        s->state = H_XFER;
    }
}

/* stick on|match: the server the table remembers for this request (a
 * first attempt only). */
static struct lb_server *stick_server(struct hsess *s, struct lb_smp_ctx *c)
{
    if (s->attempts > 0)
        return NULL;
    return lb_backend_take_id(s->be, lb_stick_match(s->be->http->sticks, c));
}

/* The server of a connection parked by this client connection, if usable
 * (HAProxy's SESS_FL_PREFER_LAST, set by NTLM/Negotiate). */
static struct lb_server *parked_server(struct hsess *s)
{
    struct lk_list *it;

    LK_LIST_FOREACH (it, &s->parked) {
        struct lb_server *srv = LK_LIST_ELEM(it, struct lb_sconn, link)->srv;

        if (srv->be == s->be && lb_server_usable(srv) && lb_server_take(srv) == 0)
            return srv;
    }
    return NULL;
}

/* The server for this attempt, in HAProxy's order: use-server, stick
 * tables, the persistence cookie, the server of a private connection
 * (NTLM/Negotiate), then the balancer. Persistence holds for a first
 * attempt only: a retry goes where the balancer says, avoiding the servers
 * that failed. */
static void assign(struct hsess *s)
{
    const struct lb_stick *sticks = s->be->http ? s->be->http->sticks : NULL;
    struct lb_server *srv = NULL;
    struct lb_smp_ctx c;
    int full = 0;

    if (s->attempts == 0)
        s->ignore_prst = (uint8_t)persist_ignored(s);
    if (s->attempts == 0)
        srv = use_server(s);
    if (sticks) {
        smp_init(s, &c);
        if (!srv)
            srv = stick_server(s, &c);
    }
    if (!srv && s->attempts == 0)
        srv = cookie_server(s);
    if (!srv && s->attempts == 0 && s->prefer_last)
        srv = parked_server(s);
    if (!srv)
        srv = balance_server(s, s->ntried, &full);
    if (!srv && s->ntried) /* every server failed once: any of them again */
        srv = balance_server(s, 0, &full);
    if (!srv && full) {
        enqueue(s);
        return;
    }
    dequeue(s);
    if (!srv) {
        send_error(s, 503, "SC");
        return;
    }
    /* log_srv is the server of the previous, failed attempt */
    if (lb_backend_assigned(s->be, srv, s->attempts ? s->log_srv : NULL, now_ms(s)))
        s->redispatched = 1;
    s->srv = srv;
    s->attempts++;
    if (sticks)
        lb_stick_store(sticks, &c, srv->puid);
    open_conn(s);
}

/* Retry on another server if retry-on and `retries` allow.
 * `what` is the failure (LB_RETRY_*): retry-on lists those that may be
 * retried, as HAProxy 2.6's. failed NULL: not the server's fault (a stale
 * reused connection), so it is not excluded from the next pick. */
static int retry(struct hsess *s, struct lb_server *failed, unsigned what)
{
    const struct lb_http_px *bh = s->be->http;

    if (failed && s->ntried < MAX_TRIED)
        s->tried[s->ntried++] = failed;
    if (!bh || !(bh->retry_on & what) || s->attempts > (unsigned)s->be->retries)
        return 0;
    /* body bytes already sent are gone from cbuf: the next server would
     * get the head and only the rest, read as framing (smuggling) */
    if (s->body_sent)
        return 0;
    lb_backend_retry(s->be, failed);
    s->osent = 0;
    s->rq = RQ_HEAD;
    s->s_eof = 0;
    s->soff = s->slen = s->rsp_hold = 0;
    s->got_rsp = 0;
    http1_msg_init(&s->rsp, head_max(s->w), s->rsp.in_flags);
    assign(s);
    return 1;
}

static void conn_failed(struct hsess *s, int err)
{
    struct lb_server *srv = s->srv;
    char addr[LK_ADDR_STRLEN];

    atomic_fetch_add(&srv->failed_conns, 1);
    lk_log_rl(&conn_rl, LK_LOG_WARNING, "%s/%s (%s): connect failed: %s", s->be->name, srv->name,
              lk_addr_str(&srv->addr, addr, sizeof(addr)), strerror(-err));
    drop_server(s, 0, 1);
    s->state = H_XFER; /* not connecting any more */
    if (!retry(s, srv, LB_RETRY_CONN_FAILURE))
        send_error(s, 503, err == -ETIMEDOUT ? "sC" : "SC");
}

/* ---- request body ---- */

/* A chunked body in either direction: move *fwd (the bytes of body[0,
 * avail) known to be framing-complete, ready to go) over the chunks
 * received since. Returns -1 if the chunked framing is invalid. */
static int chunks_ready(struct http1_chunk *ch, const char *body, uint32_t avail, uint32_t *fwd)
{
    int r;

    if (ch->state == HTTP1_CH_DONE || avail == *fwd)
        return 0;
    r = http1_chunk_scan((const uint8_t *)body + *fwd, avail - *fwd, ch);
    if (r < 0)
        return -1;
    *fwd += (uint32_t)r;
    return 0;
}

/* How many bytes at coff are request body ready to go (s->cfwd). Returns
 * -1 if the chunked framing is invalid.
 * Chunked bodies are forwarded only as far as the scanner validated their
 * framing: a bad size line is answered 400 before it reaches the server,
 * which could read it differently (request smuggling, RFC 9112 section
 * 11.2). */
static int req_body_ready(struct hsess *s)
{
    uint32_t avail = s->clen - s->coff;

    if (s->req.body == HTTP1_BODY_CL) {
        s->cfwd = s->req_left < avail ? (uint32_t)s->req_left : avail;
        return 0;
    }
    return chunks_ready(&s->rqch, s->cbuf + s->coff, avail, &s->cfwd);
}

static int req_body_done(const struct hsess *s)
{
    if (s->req.body == HTTP1_BODY_CL)
        return s->req_left == 0;
    return s->rqch.state == HTTP1_CH_DONE;
}

/* Once body bytes are out the request cannot be retried: they are gone
 * from cbuf (see retry()). */
static void req_body_sent(struct hsess *s, uint32_t n)
{
    if (n)
        s->body_sent = 1;
    s->coff += n;
    s->cfwd -= n;
    if (s->req.body == HTTP1_BODY_CL)
        s->req_left -= n;
}

/* The request head and the body bytes already here, in one sendmsg(). */
static int req_head_step(struct hsess *s)
{
    uint32_t h = s->olen - s->osent, b = 0;
    struct iovec iov[2];
    struct msghdr mh;
    ssize_t n;

    if (s->req.body != HTTP1_BODY_NONE) {
        if (req_body_ready(s) < 0) {
            send_error(s, 400, "PD");
            return -1;
        }
        b = s->cfwd;
    }
    iov[0] = (struct iovec){s->obuf + s->osent, h};
    iov[1] = (struct iovec){s->cbuf + s->coff, b};
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = iov;
    mh.msg_iovlen = b ? 2 : 1;
    n = sendmsg(s->sc->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        s->s_eof = 1; /* seen as the server closing */
        s->progress++;
        return 0;
    }
    if (n <= 0)
        return 0;
    s->last = now_ms(s);
    s->progress++;
    s->osent += (uint32_t)LK_MIN((uint32_t)n, h);
    if ((uint32_t)n > h)
        req_body_sent(s, (uint32_t)n - h);
    return 0;
}

/* Send the request head, then body bytes. Returns -1 if the session ended. */
static int req_step(struct hsess *s)
{
    ssize_t n;

    if (s->osent < s->olen) {
        if (req_head_step(s) < 0)
            return -1;
        if (s->osent < s->olen)
            return 0;
        s->t_sent = now_ms(s);
        s->rq = s->req.body == HTTP1_BODY_NONE ? RQ_DONE : RQ_BODY;
    }
    if (s->rq != RQ_BODY)
        return 0;
    if (req_body_ready(s) < 0) {
        send_error(s, 400, "PD");
        return -1;
    }
    if (s->cfwd) {
        n = send_srv(s, s->cbuf + s->coff, s->cfwd);
        req_body_sent(s, (uint32_t)n);
    }
    if (s->cfwd == 0 && s->cinpipe) {
        n = splice(s->cpfd[0], NULL, s->sc->fd, NULL, s->cinpipe,
                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            s->s_eof = 1; /* seen as the server closing */
        if (n > 0) {
            s->body_sent = 1;
            s->cinpipe -= (uint32_t)n;
            s->req_left -= (uint64_t)n;
            s->last = now_ms(s);
            s->progress++;
        }
    }
    if (s->cfwd == 0 && s->cinpipe == 0 && req_body_done(s)) {
        one_pipe_release(s->w, s->cpfd, &s->cinpipe);
        s->rq = RQ_DONE;
        s->t_sent = now_ms(s);
        s->progress++;
    }
    if (s->coff == s->clen) /* body consumed: the head is not needed any more */
        s->coff = s->clen = 0;
    return 0;
}

/* ---- response ---- */

/* cookie insert: a Set-Cookie naming the server, unless the request already
 * carried a valid one (HAProxy does not insert again then). A value too long
 * for setck is not sent rather than cut. The server's own cookie of that
 * name is removed, as HAProxy removes it; with "preserve" it is kept and
 * nothing is inserted. */
static int srv_sets_cookie(const struct hsess *s, const uint8_t *b, const char *name, size_t nl)
{
    unsigned i;

    for (i = 0; i < s->rsp.nhdr; i++) {
        const struct http1_hdr *h = &s->rsp.hdr[i];

        if (h->name_len == 10 &&
            strncasecmp((const char *)b + h->name_off, "set-cookie", 10) == 0 && h->val_len > nl &&
            memcmp(b + h->val_off, name, nl) == 0 && b[h->val_off + nl] == '=')
            return 1;
    }
    return 0;
}

static void set_cookie_value(struct hsess *s, const uint8_t *head, struct lb_rsp_edit *e)
{
    const struct lb_http_px *bh = s->be->http;
    const struct lb_server *srv = s->log_srv;
    int n;

    if (!bh || !bh->cookie || !(bh->cookie_flags & LB_COOKIE_INSERT))
        return;
    if (bh->cookie_flags & LB_COOKIE_PRESERVE) {
        if (srv_sets_cookie(s, head, bh->cookie, bh->cookie_len))
            return;
    } else {
        e->drop_setcookie = bh->cookie;
        e->drop_setcookie_len = bh->cookie_len;
    }
    if (!srv || !srv->cookie || s->ck_in == 'V' || s->ignore_prst)
        return;
    n = snprintf(s->setck, sizeof(s->setck), "%s=%s; path=/%s%s%s%s", bh->cookie, srv->cookie,
                 bh->cookie_domain ? "; domain=" : "", bh->cookie_domain ? bh->cookie_domain : "",
                 (bh->cookie_flags & LB_COOKIE_HTTPONLY) ? "; HttpOnly" : "",
                 (bh->cookie_flags & LB_COOKIE_SECURE) ? "; Secure" : "");
    if (n < 0 || (size_t)n >= sizeof(s->setck))
        return;
    e->set_cookie = s->setck;
    e->nocache = (bh->cookie_flags & LB_COOKIE_NOCACHE) != 0;
    s->ck_out = 'I';
}

/* Rebuild the response head (interim or final) into rbuf for the client. */
static int out_head(struct hsess *s, const uint8_t *head, const struct lb_rsp_edit *e)
{
    int r;

    if (!buf_take(s, &s->rbuf))
        return -ENOMEM;
    r = lb_http_build_response(s->rbuf, s->w->bufsize, head, &s->rsp, e);
    if (r < 0)
        return r;
    s->rout = s->rbuf;
    s->rlen = (uint32_t)r;
    s->rsent = 0;
    return 0;
}

/* Compress this response if it qualifies (comp.h): the head built in rbuf
 * is rewritten and the body goes through a stream. Returns 0 (also when
 * it does not qualify) or a negative errno. */
static int comp_start(struct hsess *s, const uint8_t *head)
{
    int r;

    if (s->comp_algo < 0 || s->tunnel_pending ||
        !lb_comp_response_ok(comp_cfg(s, 1), head, &s->rsp, &s->req))
        return 0;
    r = lb_comp_edit_head(s->rbuf, s->rlen, s->w->bufsize, s->comp_algo);
    if (r < 0)
        return r;
    s->rlen = (uint32_t)r;
    if (!(s->z = lb_comp_stream_new(s->comp_algo)))
        return -ENOMEM;
    return 0;
}

static int interim_head(struct hsess *s, int len)
{
    struct lb_rsp_edit e;

    memset(&e, 0, sizeof(e));
    e.version = 1;
    /* HTTP/1.0 clients know no 1xx: drop it */
    if (s->req.version && out_head(s, (const uint8_t *)s->sbuf + s->soff, &e) < 0) {
        send_error(s, 502, "PH");
        return -1;
    }
    s->soff += (uint32_t)len;
    http1_msg_init(&s->rsp, head_max(s->w), s->rsp.in_flags);
    s->progress++;
    return 0;
}

static int final_head(struct hsess *s, int len)
{
    const struct http1_msg *m = &s->rsp;
    const uint8_t *head;
    struct lb_rsp_edit e;

    s->t_rsp = now_ms(s);
    s->status = m->status;
    capture_response(s);
    if (m->status != 101 && rsp_rules(s, &head) < 0)
        return -1;
    if (m->status == 101)
        head = (const uint8_t *)s->sbuf + s->soff;
    else if (after_rules(s, &head) < 0) {
        s->in_after = 1; /* HAProxy's 500, not edited again */
        send_error(s, 500, "PH");
        return -1;
    }
    /* A 101 the client did not ask for: the server's protocol switch would
     * leave the client reading bytes it never agreed to. */
    if (m->status == 101 && !s->upgrade) {
        send_error(s, 502, "PH");
        return -1;
    }
    s->tunnel_pending = m->status == 101;
    /* A body delimited by the close, or a request not fully sent, leaves no
     * clean point for another exchange on either connection. */
    if (m->body == HTTP1_BODY_EOF || s->rq != RQ_DONE)
        s->cli_close = s->srv_close = 1;
    if ((m->flags & HTTP1_F_CONN_CLOSE) || (m->version == 0 && !(m->flags & HTTP1_F_CONN_KA)))
        s->srv_close = 1;
    memset(&e, 0, sizeof(e));
    e.version = m->version;
    e.upgrade = s->tunnel_pending;
    e.conn_close = s->cli_close;
    e.conn_ka = !s->cli_close && s->req.version == 0;
    set_cookie_value(s, head, &e);
    if (out_head(s, head, &e) < 0 || comp_start(s, head) < 0) {
        send_error(s, 502, "PH");
        return -1;
    }
    if (opts(s) & LB_OPT_LOGASAP) {
        emit_log(s, 1);
        s->logged = 1;
    }
    s->soff += (uint32_t)len;
    s->rs = m->body == HTTP1_BODY_NONE ? RS_DONE : RS_BODY;
    s->rsp_left = m->body == HTTP1_BODY_CL ? m->content_length : 0;
    s->progress++;
    return 0;
}

/* A small response whose body is not all here yet is held back until it
 * is: servers that write head and body separately (Werkzeug does) and die
 * in between then cost nothing, as nothing reached the client and the
 * request can be retried. */
static int hold_small_response(const struct hsess *s)
{
    const struct http1_msg *m = &s->rsp;

    return m->body == HTTP1_BODY_CL && s->soff + s->rsp_hold + m->content_length <= s->w->bufsize &&
           s->slen - s->soff - s->rsp_hold < m->content_length;
}

/* The server answered junk: close its connection (it must not stay
 * polled for a session that moves on) and retry elsewhere if allowed. */
static int junk_retry(struct hsess *s)
{
    struct lb_server *srv = s->srv;

    s->no_reuse = 1;
    drop_server(s, 0, 1);
    return retry(s, srv, LB_RETRY_JUNK_RESPONSE);
}

/* One value of a WWW-/Proxy-Authenticate list naming NTLM or Negotiate
 * (HAProxy matches "NTLM" and "Nego" at the start of each value). */
static int conn_auth_value(const uint8_t *v, size_t n)
{
    size_t i = 0, j;

    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        if (n - i >= 4 && (strncasecmp((const char *)v + i, "NTLM", 4) == 0 ||
                           strncasecmp((const char *)v + i, "Nego", 4) == 0))
            return 1;
        for (j = i; j < n && v[j] != ','; j++)
            ;
        i = j;
    }
    return 0;
}

/* Connection-based authentication (NTLM, Negotiate) ties the server
 * connection to this client connection: HAProxy makes it private and
 * prefers its server for the client's next requests. */
static void private_auth(struct hsess *s)
{
    const char *name = s->rsp.status == 401 ? "www-authenticate" : "proxy-authenticate";
    const uint8_t *b = (const uint8_t *)s->sbuf + s->soff;
    const struct http1_hdr *h;
    unsigned i;

    if ((s->rsp.status != 401 && s->rsp.status != 407) || !s->sc)
        return;
    for (i = 0; i < s->rsp.nhdr; i++) {
        h = &s->rsp.hdr[i];
        if (h->name_len == strlen(name) &&
            strncasecmp((const char *)b + h->name_off, name, h->name_len) == 0 &&
            conn_auth_value(b + h->val_off, h->val_len)) {
            s->sc->priv = 1;
            s->prefer_last = 1;
            return;
        }
    }
}

/* The next response head is parsed only once the previous one is sent: rbuf
 * holds one rebuilt head at a time. */
static int rsp_head(struct hsess *s)
{
    int r;

    if (s->slen == s->soff || s->rsent < s->rlen)
        return 0;
    if (!s->rsp_hold) {
        r = http1_parse_response((const uint8_t *)s->sbuf + s->soff, s->slen - s->soff, &s->rsp);
        if (r == 0)
            return 0;
        if (r < 0) {
            s->srv_close = 1;
            lb_errors_capture(s->w->d->errors, &(struct lb_err_event){.px = s->be,
                                                                      .dir = LB_ERR_RSP,
                                                                      .srv = s->srv,
                                                                      .client = &s->cli,
                                                                      .buf = s->sbuf + s->soff,
                                                                      .len = s->slen - s->soff,
                                                                      .err_off = s->rsp.err_off});
            if (!s->bytes_out && junk_retry(s))
                return -1;
            send_error(s, 502, "PH");
            return -1;
        }
        s->got_rsp = 1;
        private_auth(s);
        if (s->rsp.status < 200 && s->rsp.status != 101)
            return interim_head(s, r);
        s->rsp_hold = (uint32_t)r;
    }
    if (hold_small_response(s))
        return 0;
    r = (int)s->rsp_hold;
    s->rsp_hold = 0;
    return final_head(s, r);
}

static int rsp_body_ready(struct hsess *s)
{
    uint32_t avail = s->slen - s->soff;

    if (s->rsp.body == HTTP1_BODY_CL) {
        s->sfwd = s->rsp_left < avail ? (uint32_t)s->rsp_left : avail;
        return 0;
    }
    if (s->rsp.body == HTTP1_BODY_EOF) {
        s->sfwd = avail;
        return 0;
    }
    return chunks_ready(&s->rsch, s->sbuf + s->soff, avail, &s->sfwd);
}

static int rsp_body_done(const struct hsess *s)
{
    switch (s->rsp.body) {
    case HTTP1_BODY_CL:
        return s->rsp_left == 0;
    case HTTP1_BODY_CHUNKED:
        return s->rsch.state == HTTP1_CH_DONE;
    default:
        return s->s_eof && s->soff == s->slen;
    }
}

static int send_pipe(struct hsess *s)
{
    ssize_t n = splice(s->pfd[0], NULL, s->cfd, NULL, s->inpipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        finish(s, "CD", 1);
        return -1;
    }
    if (n <= 0)
        return 0;
    s->inpipe -= (uint32_t)n;
    s->rsp_left -= (uint64_t)n;
    s->bytes_out += (uint64_t)n;
    s->last = now_ms(s);
    s->progress++;
    return 0;
}

/* The next payload bytes of the server's body in sbuf: chunk framing is
 * walked (and dropped) here. Returns their count at *ret (0: none yet),
 * with *ret_end set when the body ends with them, or -1 on bad framing. */
static int comp_input(struct hsess *s, const uint8_t **ret, size_t *ret_n, int *ret_end)
{
    const uint8_t *p = (const uint8_t *)s->sbuf + s->soff;
    size_t avail = s->slen - s->soff;

    *ret = p;
    *ret_n = 0;
    if (s->rsp.body == HTTP1_BODY_CL) {
        *ret_n = (size_t)LK_MIN(s->rsp_left, avail);
        *ret_end = s->rsp_left == *ret_n;
        return 0;
    }
    /* chunked: framing bytes one by one (a few per chunk), then data */
    while (avail && s->rsch.state != HTTP1_CH_DATA && s->rsch.state != HTTP1_CH_DONE) {
        if (http1_chunk_scan(p, 1, &s->rsch) < 0)
            return -1;
        p++;
        avail--;
        s->soff++;
    }
    *ret = p;
    if (s->rsch.state == HTTP1_CH_DATA)
        *ret_n = (size_t)LK_MIN(s->rsch.left, avail);
    *ret_end = s->rsch.state == HTTP1_CH_DONE;
    return 0;
}

/* Compressed body: send what the stream produced, then feed it what the
 * server sent, one output buffer at a time (backpressure: no input is
 * taken while output waits). */
static int rsp_comp(struct hsess *s)
{
    struct lb_comp_chunk c;
    const uint8_t *in;
    size_t n;
    ssize_t w;
    int end, r;

    for (;;) {
        if (s->zoff < s->zlen) {
            if ((w = send_cli(s, s->zbuf + s->zoff, s->zlen - s->zoff)) < 0)
                return -1;
            s->zoff += (uint32_t)w;
            if (s->zoff < s->zlen)
                return 0;
        }
        if (lb_comp_stream_done(s->z)) {
            s->rs = RS_DONE; /* the terminating chunk is out */
            comp_drop(s);
            s->progress++;
            return 0;
        }
        if (comp_input(s, &in, &n, &end) < 0) {
            finish(s, "SD", 1); /* the head went out: all we can do is cut */
            return -1;
        }
        if (!n && !end && s->zoff == 0 && s->zlen == 0 && s->zbuf == NULL)
            return 0; /* nothing fed yet, nothing to flush */
        if (!buf_take(s, &s->zbuf)) {
            finish(s, "PD", 1);
            return -1;
        }
        c.buf = s->zbuf;
        c.cap = s->w->bufsize;
        r = lb_comp_stream_step(s->z, in, n, end, &c);
        if (r < 0) {
            finish(s, "PD", 1);
            return -1;
        }
        s->soff += (uint32_t)c.used;
        if (s->rsp.body == HTTP1_BODY_CL)
            s->rsp_left -= c.used;
        else if (c.used)
            http1_chunk_scan(in, c.used, &s->rsch); /* data bytes: only counted */
        if (s->soff == s->slen)
            s->soff = s->slen = 0;
        s->zoff = (uint32_t)c.off;
        s->zlen = (uint32_t)(c.off + c.len);
        if (!c.len && !c.used && r == 0)
            return 0; /* waiting for the server */
    }
}

static int rsp_body(struct hsess *s)
{
    ssize_t n;

    if (s->z)
        return rsp_comp(s);

    if (rsp_body_ready(s) < 0) {
        finish(s, "SD", 1); /* the head went out: all we can do is cut */
        return -1;
    }
    if (s->sfwd) {
        n = send_cli(s, s->sbuf + s->soff, s->sfwd);
        if (n < 0)
            return -1;
        s->soff += (uint32_t)n;
        s->sfwd -= (uint32_t)n;
        if (s->rsp.body == HTTP1_BODY_CL)
            s->rsp_left -= (uint64_t)n;
    }
    if (s->sfwd == 0 && s->inpipe && send_pipe(s) < 0)
        return -1;
    if (s->sfwd == 0 && s->inpipe == 0 && rsp_body_done(s)) {
        s->rs = RS_DONE;
        pipe_release(s);
        s->progress++;
    }
    if (s->soff == s->slen)
        s->soff = s->slen = 0;
    return 0;
}

/* Send the pending head and whatever body bytes are ready with one
 * sendmsg(): one syscall and one segment for a small response. */
static int flush_head(struct hsess *s)
{
    struct iovec iov[2];
    struct msghdr mh;
    ssize_t n;
    uint32_t h = s->rlen - s->rsent, b;

    if (s->rs == RS_BODY && !s->z && rsp_body_ready(s) < 0) {
        /* bad framing in the same read as the head: nothing reached the
         * client yet, so it gets a 502 (send_error cuts otherwise) */
        send_error(s, 502, "SD");
        return -1;
    }
    b = s->rs == RS_BODY && !s->z ? s->sfwd : 0;
    iov[0] = (struct iovec){(void *)(uintptr_t)(s->rout + s->rsent), h};
    iov[1] = (struct iovec){s->sbuf ? s->sbuf + s->soff : NULL, b};
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = iov;
    mh.msg_iovlen = b ? 2 : 1;
    n = sendmsg(s->cfd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        finish(s, "CD", 1);
        return -1;
    }
    if (n <= 0)
        return 0;
    s->bytes_out += (uint64_t)n;
    s->last = now_ms(s);
    s->progress++;
    s->rsent += (uint32_t)LK_MIN((uint32_t)n, h);
    if ((uint32_t)n > h) {
        b = (uint32_t)n - h;
        s->soff += b;
        s->sfwd -= b;
        if (s->rsp.body == HTTP1_BODY_CL)
            s->rsp_left -= b;
    }
    return 0;
}

static int rsp_step(struct hsess *s)
{
    if (s->rs == RS_HEAD && s->rsent == s->rlen && rsp_head(s) < 0)
        return -1;
    if (s->rsent < s->rlen) {
        if (flush_head(s) < 0)
            return -1;
        if (s->rsent < s->rlen)
            return 0;
    }
    if (s->rs == RS_BODY)
        return rsp_body(s);
    return 0;
}

/* ---- end of an exchange ---- */

/* Back to waiting for a request: everything per transaction is reset;
 * what belongs to the connection (parked server connections, prefer_last,
 * sess variables, stick counters, captures buffer) stays. */
static void reset_txn(struct hsess *s)
{
    s->state = H_WAIT_REQ;
    s->first = s->in_txn = s->upgrade = s->tunnel_pending = 0;
    s->rq = RQ_HEAD;
    s->rs = RS_HEAD;
    s->olen = s->osent = s->rlen = s->rsent = s->cfwd = s->sfwd = 0;
    s->rout = NULL;
    s->status = 0;
    s->attempts = s->ntried = 0;
    s->redispatched = s->got_rsp = s->reused = s->no_reuse = s->body_sent = 0;
    s->nolog = s->logged = s->in_after = s->rq_parsed = 0;
    s->comp_algo = -1;
    s->rsp_hold = 0;
    s->s_eof = 0;
    s->t_head = s->t_conn = s->t_connected = s->t_sent = s->t_rsp = 0;
    s->back.len = 0;
    s->t_queue = s->t_dequeue = 0;
    s->term[0] = s->term[1] = '-';
    s->ck_in = s->ck_out = '-';
    s->ignore_prst = 0;
    s->be = NULL;
    s->log_srv = NULL;
    s->key_len = 0;
}

static void end_txn(struct hsess *s)
{
    /* The server connection is reused only if clean: no close asked, and no
     * byte after the response, which would be taken for the next answer. */
    int keep = !s->srv_close && s->slen == s->soff;

    log_txn(s);
    count_bytes(s);
    drop_server(s, keep, 0);
    uncount_backend(s);
    if (s->cli_close || s->w->stopping) {
        s->in_txn = 0;
        if (s->rq != RQ_DONE || s->clen > s->coff)
            linger_close(s); /* request bytes left unread: see linger_close() */
        else
            finish(s, NULL, 0);
        return;
    }
    reset_txn(s);
    buf_drop(s, &s->obuf);
    buf_drop(s, &s->rbuf);
    heads_drop(s);
    comp_drop(s);
    s->soff = s->slen = 0;
    buf_drop(s, &s->sbuf);
    if (s->coff == s->clen) {
        s->coff = s->clen = 0;
        buf_drop(s, &s->cbuf);
    }
    http1_msg_init(&s->req, head_max(s->w), 0);
    /* Ti of the next request counts from here. */
    s->t_idle = s->t_req = now_ms(s);
    s->t_req_wall = lk_wall_us();
    s->progress++;
}

/* Is the rest of the response body already read (the server may close)? */
static int rsp_in_buffer(const struct hsess *s)
{
    switch (s->rsp.body) {
    case HTTP1_BODY_CL:
        return s->rsp_left <= (uint64_t)(s->slen - s->soff) + s->inpipe;
    case HTTP1_BODY_CHUNKED:
        return s->rsch.state == HTTP1_CH_DONE;
    case HTTP1_BODY_EOF: /* the body ends when the server closes: read until then */
        return s->s_eof;
    default:
        return 1;
    }
}

/* Same for the request body (a client may half-close after sending). */
static int req_in_buffer(const struct hsess *s)
{
    if (s->req.body == HTTP1_BODY_CL)
        return s->req_left <= (uint64_t)(s->clen - s->coff) + s->cinpipe;
    return s->rqch.state == HTTP1_CH_DONE;
}

/* The server closed (or failed) before the response was complete. */
static void server_gone(struct hsess *s)
{
    struct lb_server *srv = s->srv;
    /* Only idempotent requests without a body are resent after an empty
     * response (RFC 9110 section 9.2.2): the server may have acted on it. */
    int retryable = http1_method_idempotent(s->req.method) && s->req.body == HTTP1_BODY_NONE;

    if (s->rs == RS_HEAD && !s->bytes_out) {
        /* empty (or cut, but nothing of it sent yet) response: a stale
         * reused connection is not the server's fault, retry on a new
         * one; a fresh one that dies is */
        s->no_reuse = 1;
        s->rsp_hold = 0;
        drop_server(s, 0, 1);
        if (retryable &&
            retry(s, s->reused && s->slen == s->soff ? NULL : srv, LB_RETRY_EMPTY_RESPONSE))
            return;
        if (!s->first) {
            /* HAProxy's abort_keep_alive: a later request of a keep-alive
             * client connection is answered by closing it, unlogged, so
             * that the client retries it */
            s->nolog = 1;
            finish(s, NULL, 0);
            return;
        }
        send_error(s, 502, "SH");
        return;
    }
    if (s->rs == RS_HEAD) {
        send_error(s, 502, "SH");
        return;
    }
    finish(s, "SD", 1); /* truncated body */
}

/* option abortonclose as HAProxy 2.6 applies it to HTTP/1: its client side
 * watches for the close only with the frontend's option (so, from a
 * defaults section: a frontend cannot set it), and the backend's decides
 * the abort. */
static int abort_on_close(const struct hsess *s)
{
    return s->be && (s->fe->options & s->be->options & LB_OPT_ABORTONCLOSE);
}

/* One round of an exchange: send what can go each way, then judge the
 * ends. A server EOF matters only when the response still needs its bytes;
 * after a complete response it is the server's usual close. */
static void xfer_step(struct hsess *s)
{
    if (req_step(s) < 0 || rsp_step(s) < 0 || s->state != H_XFER)
        return;
    if (s->s_eof &&
        ((s->rs == RS_HEAD && s->rsent == s->rlen) || (s->rs == RS_BODY && !rsp_in_buffer(s)))) {
        server_gone(s);
        return;
    }
    if (s->c_eof && s->rq == RQ_BODY && !req_in_buffer(s)) {
        finish(s, "CD", 1); /* client aborted its upload */
        return;
    }
    /* abortonclose: the request is out, its response not begun; HAProxy
     * 2.6 closes the server connection and logs CH with status 400 */
    if (s->c_eof && s->rq == RQ_DONE && s->rs == RS_HEAD && s->slen == s->soff &&
        abort_on_close(s)) {
        s->status = 400;
        finish(s, "CH", 1);
        return;
    }
    if (s->rs == RS_DONE && s->rsent == s->rlen) {
        if (s->tunnel_pending) {
            s->state = H_TUNNEL;
            s->progress++;
            return;
        }
        end_txn(s);
    }
}

/* ---- tunnel (after 101 Switching Protocols) ---- */

/* After a 101 the bytes are opaque: forwarded as they come both ways, each
 * FIN passed on once its side's bytes are out, and the session ends when
 * both directions are shut (as mode tcp's half-close). */
static void tunnel_step(struct hsess *s)
{
    ssize_t n;

    if (s->coff < s->clen) {
        n = send_srv(s, s->cbuf + s->coff, s->clen - s->coff);
        s->coff += (uint32_t)n;
    }
    if (s->coff == s->clen)
        s->coff = s->clen = 0;
    if (s->soff < s->slen) {
        n = send_cli(s, s->sbuf + s->soff, s->slen - s->soff);
        if (n < 0)
            return;
        s->soff += (uint32_t)n;
    }
    if (s->soff == s->slen)
        s->soff = s->slen = 0;
    if (s->c_eof && s->coff == s->clen && !s->s_shut && s->sc) {
        shutdown(s->sc->fd, SHUT_WR);
        s->s_shut = 1;
    }
    if (s->s_eof && s->soff == s->slen && !s->c_shut) {
        shutdown(s->cfd, SHUT_WR);
        s->c_shut = 1;
    }
    if (s->c_shut && s->s_shut)
        finish(s, NULL, 0);
}

/* ---- errors ---- */

/* Lingering close: stop sending, keep reading (and dropping) a little, so
 * that unread request bytes do not turn our close into a reset that could
 * destroy the last response before the client reads it. */
static void linger_close(struct hsess *s)
{
    drop_server(s, 0, 1);
    shutdown(s->cfd, SHUT_WR);
    s->state = H_DRAIN;
    s->t_err = now_ms(s);
    s->progress++;
}

/* Answer with an error page and close, unless the response already
 * started, in which case the connection is cut. */
static void send_error(struct hsess *s, int status, const char *term)
{
    const struct lb_proxy *px = s->be ? s->be : s->fe; /* HAProxy: backend first */
    const struct lb_errslot *slot = lb_http_errslot(px, s->fe, status);
    const struct lb_errmsg *m;
    struct lb_smp_ctx c;
    struct lb_rule_io io;

    if (slot && slot->reply && !s->bytes_out && !s->rsent) {
        /* http-error with a built body: made now, as "return" makes it */
        smp_init(s, &c);
        if (!s->in_txn || s->state == H_XFER || !s->cbuf) {
            /* the head may be gone once its body flowed: no request */
            c.rq = NULL;
            c.rqbuf = NULL;
        }
        io_init(s, &io, &c, 0);
        io.px_name = px->name;
        if (lb_rule_run(slot->reply, &io) == LB_RULE_REPLY && io.reply_len) {
            send_msg(s, status, io.reply, io.reply_len, term);
            return;
        }
    }
    m = lb_http_errmsg(px, s->fe, status);
    send_msg(s, status, m ? m->data : NULL, m ? m->len : 0, term);
}

/* Answer the client with a whole message (an error page, a rule's reply)
 * and close: nothing of it may have been sent yet. */
static void send_msg(struct hsess *s, int status, const char *data, size_t len, const char *term)
{
    int r;

    if (s->term[0] == '-')
        memcpy(s->term, term, 2);
    if (s->bytes_out || s->rsent || !data) {
        finish(s, term, 1);
        return;
    }
    drop_server(s, 0, 1);
    s->status = status;
    r = after_own(s, &data, &len);
    if (r < 0) {
        const struct lb_errmsg *m = lb_http_errmsg(NULL, NULL, 500);

        s->status = 500;
        data = m ? m->data : "";
        len = m ? m->len : 0;
    } else if (r > 0) { /* set-status is logged */
        s->status = s->rsp.status;
    }
    s->cli_close = 1;
    s->rout = data;
    s->rlen = (uint32_t)len;
    s->rsent = 0;
    s->state = H_ERROR;
    s->t_err = now_ms(s);
    s->progress++;
}

static void error_step(struct hsess *s)
{
    ssize_t n;

    if (s->rsent < s->rlen) {
        n = send_cli(s, s->rout + s->rsent, s->rlen - s->rsent);
        if (n < 0)
            return;
        s->rsent += (uint32_t)n;
        if (s->rsent < s->rlen)
            return;
    }
    if (s->reply_ka) { /* the next request may follow on this connection */
        s->reply_ka = 0;
        end_txn(s);
        return;
    }
    log_txn(s);
    count_bytes(s);
    s->in_txn = 0;
    linger_close(s);
}

/* H_DRAIN: the reply is out and the write side shut; what the client still
 * sends is dropped until it closes or DRAIN_MS runs out. */
static void drain_step(struct hsess *s)
{
    s->coff = s->clen = 0;
    if (s->c_eof)
        finish(s, NULL, 0);
}

/* ---- timers ---- */

/* Timeouts are 0 when not set ("never"): these helpers keep that meaning
 * through the fallbacks HAProxy applies. */
static uint64_t at(uint64_t base, uint64_t t)
{
    return t ? base + t : 0;
}

static uint64_t first_set(uint64_t a, uint64_t b, uint64_t c)
{
    return a ? a : b ? b : c;
}

static uint64_t min_set(uint64_t a, uint64_t b)
{
    if (!a || !b)
        return a ? a : b;
    return a < b ? a : b;
}

/* When the current phase times out (0: never), with HAProxy's fallbacks: a
 * request head gets `timeout http-request`, else client; an idle
 * keep-alive connection `timeout http-keep-alive`, then http-request, then
 * client; waiting for the response head `timeout server`; data in flight
 * the shorter of client and server; a tunnel `timeout tunnel`, else the
 * longer of client and server. Queueing polls (see enqueue()). */
static uint64_t deadline(const struct hsess *s)
{
    const struct lb_timeouts *ft = &s->fe->to, *bt = s->be ? &s->be->to : ft;

    switch (s->state) {
    case H_WAIT_REQ:
        if (s->clen > s->coff || s->first)
            return at(s->clen > s->coff ? s->t_req : s->t_idle,
                      first_set(ft->http_request, ft->client, 0));
        return at(s->t_idle, first_set(ft->http_keep_alive, ft->http_request, ft->client));
    case H_QUEUE:
        return now_ms(s) + QUEUE_POLL_MS; /* the queue deadline: queue_expired() */
    case H_CONNECT:
        return at(s->t_conn, bt->connect);
    case H_XFER:
        if (s->rs == RS_HEAD && s->rq == RQ_DONE)
            return at(s->t_sent, bt->server);
        return at(s->last, min_set(ft->client, bt->server));
    case H_TUNNEL:
        return at(s->last, first_set(bt->tunnel, LK_MAX(ft->client, bt->server), 0));
    case H_ERROR:
    case H_DRAIN:
        return s->t_err + (s->state == H_DRAIN ? DRAIN_MS : first_set(ft->client, 5000, 0));
    case H_TARPIT: /* HAProxy: timeout tarpit, else timeout connect */
        return s->t_err + first_set(ft->tarpit, bt->tarpit, first_set(bt->connect, 5000, 0));
    default:
        return 0;
    }
}

static void on_timer(uv_timer_t *t);

static void arm(struct hsess *s)
{
    lb_worker_timer_arm(&s->timer, on_timer, &s->timer_at, deadline(s));
}

static int queue_expired(const struct hsess *s)
{
    uint64_t t = first_set(s->be->to.queue, s->be->to.connect, 0);

    return t && now_ms(s) >= s->t_queue + t;
}

static void expired(struct hsess *s)
{
    switch (s->state) {
    case H_QUEUE:
        if (queue_expired(s)) {
            dequeue(s);
            send_error(s, 503, "sQ");
        } else {
            assign(s);
        }
        break;
    case H_WAIT_REQ:
        if (s->clen > s->coff || s->first) {
            note_reqline(s);
            s->in_txn = s->clen > s->coff;
            /* A partial request (or a first one never sent) gets 408; an idle
             * keep-alive connection just closes, as there is no request to answer. */
            send_error(s, 408, "cR");
        } else {
            finish(s, NULL, 0); /* idle keep-alive connection */
        }
        break;
    case H_CONNECT:
        conn_failed(s, -ETIMEDOUT);
        break;
    case H_XFER:
        if (s->rs == RS_HEAD && s->rq == RQ_DONE)
            send_error(s, 504, "sH");
        else if (s->rq == RQ_BODY)
            send_error(s, 408, "cD");
        else /* blame the side we wait for: a client not reading, or the server */
            finish(s, (s->rsent < s->rlen || s->sfwd || s->inpipe) ? "cD" : "sD", 1);
        break;
    case H_TUNNEL:
        finish(s, "cD", 0);
        break;
    case H_TARPIT:
        s->state = H_XFER; /* so that send_msg answers instead of closing */
        send_error(s, s->status, "PT");
        break;
    default:
        finish(s, NULL, 0);
        break;
    }
}

/* A queued request retries assign() on every poll, due or not. */
static void on_timer(uv_timer_t *t)
{
    struct hsess *s = t->data;
    uint64_t when;

    s->timer_at = 0;
    when = deadline(s);
    if (s->state == H_QUEUE || (when && when <= now_ms(s)))
        expired(s);
    run(s);
}

/* ---- event plumbing ---- */

/* What the client socket waits for in each state. Reading is the
 * backpressure point: a request body is read only when the last bytes are
 * out, and nothing is read into a full buffer. */
static int client_events(const struct hsess *s)
{
    int ev = 0;
    uint32_t bs = s->w->bufsize;

    switch (s->state) {
    case H_WAIT_REQ:
    case H_DRAIN:
        return s->c_eof ? 0 : UV_READABLE;
    case H_XFER:
        /* while the request body flows: when its bytes are out. Once it is
         * complete, pipelined requests may be read ahead into free space
         * (and the poll stays as it is: no epoll_ctl per request) */
        if (s->rq == RQ_BODY && !s->c_eof && s->cfwd == 0 && s->cinpipe == 0 && !req_in_buffer(s) &&
            s->clen < bs)
            ev |= UV_READABLE;
        if (s->rq == RQ_DONE && !s->c_eof && s->clen < bs)
            ev |= UV_READABLE;
        if (s->rsent < s->rlen || s->sfwd || s->inpipe || s->zoff < s->zlen)
            ev |= UV_WRITABLE;
        return ev;
    case H_TUNNEL:
        if (!s->c_eof && s->coff == s->clen)
            ev |= UV_READABLE;
        if (s->soff < s->slen)
            ev |= UV_WRITABLE;
        return ev;
    case H_ERROR:
        return UV_WRITABLE;
    case H_QUEUE:
    case H_CONNECT:
        return abort_on_close(s) && !s->c_eof && s->clen < bs ? UV_READABLE : 0;
    default:
        return 0;
    }
}

/* Likewise for the server: the response body is read only when the client
 * took the last bytes. */
static int server_events(const struct hsess *s)
{
    int ev = 0;
    uint32_t bs = s->w->bufsize;

    switch (s->state) {
    case H_CONNECT:
        return UV_WRITABLE;
    case H_XFER:
        if (s->osent < s->olen || (s->rq == RQ_BODY && (s->cfwd || s->cinpipe)))
            ev |= UV_WRITABLE;
        if (!s->s_eof && s->slen < bs &&
            (s->rs == RS_HEAD ||
             (s->rs == RS_BODY && s->sfwd == 0 && s->inpipe == 0 && !rsp_in_buffer(s))))
            ev |= UV_READABLE;
        return ev;
    case H_TUNNEL:
        if (!s->s_eof && s->soff == s->slen)
            ev |= UV_READABLE;
        if (s->coff < s->clen)
            ev |= UV_WRITABLE;
        return ev;
    default:
        return 0;
    }
}

static void on_client(uv_poll_t *p, int status, int events);

static void update(struct hsess *s)
{
    int cw = client_events(s);

    if (cw != s->cev) {
        s->cev = cw;
        if (cw)
            uv_poll_start(&s->cp, cw, on_client);
        else
            uv_poll_stop(&s->cp);
    }
    if (s->sc)
        lb_sconn_want(s->sc, server_events(s));
    arm(s);
}

static void step(struct hsess *s)
{
    switch (s->state) {
    case H_WAIT_REQ:
        wait_req_step(s);
        break;
    case H_XFER:
        xfer_step(s);
        break;
    case H_TUNNEL:
        tunnel_step(s);
        break;
    case H_ERROR:
        error_step(s);
        break;
    case H_DRAIN:
        drain_step(s);
        break;
    case H_QUEUE:
    case H_CONNECT:
        /* abortonclose: the client left before a server took the request
         * (HAProxy's CQ, CC: no status, nothing sent) */
        if (s->c_eof && abort_on_close(s))
            finish(s, s->state == H_QUEUE ? "CQ" : "CC", 0);
        break;
    default:
        break;
    }
}

/* Steps repeat while they make progress (s->progress changes), up to
 * MAX_STEPS: one event may complete several phases (head sent, response
 * read, next pipelined request parsed) without a loop iteration each. */
static void run(struct hsess *s)
{
    unsigned i, before;

    for (i = 0; i < MAX_STEPS && s->state != H_CLOSED; i++) {
        before = s->progress;
        step(s);
        if (before == s->progress)
            break;
    }
    if (s->state != H_CLOSED)
        update(s);
}

static void on_client(uv_poll_t *p, int status, int events)
{
    struct hsess *s = p->data;

    if (status < 0) {
        s->cev = 0; /* libuv stopped the handle */
        finish(s, s->state == H_WAIT_REQ ? "CR" : "CD", 1);
        return;
    }
    if (events & UV_READABLE)
        read_client(s);
    if (s->state != H_CLOSED)
        run(s);
}

/* send-proxy[-v2]: the PROXY header, first on a new server connection,
 * before the request (written from H_XFER on). */
static int send_proxy_header(struct hsess *s, const struct lb_sconn *c)
{
    smp_dst(s);
    return lb_server_send_proxy(s->srv, c->fd, &s->cli, s->has_loc ? &s->loc : NULL);
}

/* Events of the server connection this session owns; the connect outcome
 * (H_CONNECT), or data and errors afterwards. */
static void sconn_cb(struct lb_sconn *c, void *owner, int status, int events)
{
    struct hsess *s = owner;
    int err;

    if (s->state == H_CONNECT) {
        err = lb_sconn_error(c);
        if (!err && status < 0)
            err = -ECONNREFUSED;
        if (!err && s->srv->send_proxy)
            err = send_proxy_header(s, c);
        if (err)
            conn_failed(s, err);
        else
            connected(s);
    } else if (status < 0) {
        s->s_eof = 1;
        s->progress++;
    } else if (events & UV_READABLE) {
        read_server(s);
    }
    if (s->state != H_CLOSED)
        run(s);
}

/* ---- sessions ---- */

/* tcp-request connection rules, before any byte is read. Returns 0 to
 * go on, -1 when the connection was closed. */
static int conn_rules(struct hsess *s)
{
    const struct lb_http_px *h = s->fe->http;
    struct lb_conn_info ci;
    enum lb_rule_verdict v;

    if (!h || !h->tcp_conn)
        return 0;
    smp_dst(s);
    ci.src = &s->cli;
    ci.dst = s->has_loc ? &s->loc : NULL;
    ci.sc = s->stk;
    ci.vars = &s->vars;
    ci.now_ms = now_ms(s);
    v = lb_rule_run_conn(h->tcp_conn, s->fe->stk, &ci);
    if (v != LB_RULE_REJECT && v != LB_RULE_DROP)
        return 0;
    atomic_fetch_add(&s->fe->denied_conn, 1);
    finish(s, "PR", v == LB_RULE_DROP);
    return -1;
}

void lb_http_session_start(struct lb_worker *w,
                           struct lb_proxy *fe,
                           int fd,
                           const struct lk_addr *client,
                           const struct lk_addr *local)
{
    struct lb_http_worker *hw = lb_http_worker_get(w);
    struct hsess *s = hw ? malloc(sizeof(*s)) : NULL;

    /* the two parsed heads are written as they are parsed: not cleared */
    if (s) {
        memset(s, 0, offsetof(struct hsess, req));
        lk_list_init(&s->parked);
    }
    if (!s || uv_poll_init(&w->loop, &s->cp, fd) < 0) {
        lb_worker_refuse(w, fd, s);
        return;
    }
    s->w = w;
    s->fe = fe;
    s->cfd = fd;
    s->cli = *client;
    if (local) {
        s->loc = *local;
        s->has_loc = 1;
    }
    s->cp.data = s;
    uv_timer_init(&w->loop, &s->timer);
    s->timer.data = s;
    s->handles = 2;
    reset_txn(s);
    s->pfd[0] = s->pfd[1] = s->cpfd[0] = s->cpfd[1] = -1;
    s->first = 1;
    http1_msg_init(&s->req, head_max(w), 0);
    s->t_idle = s->t_req = now_ms(s);
    s->t_req_wall = lk_wall_us();
    lk_list_append(&hw->sessions, &s->link);
    w->nsessions++;
    atomic_fetch_add(&fe->cur_conns, 1);
    atomic_fetch_add(&fe->cum_conns, 1);
    /* TCP_NODELAY and SO_KEEPALIVE come from the listening socket */
    if (conn_rules(s) == 0)
        run(s);
}

/* A keep-alive connection idle for less than this may have a request on
 * the wire already: closing it would fail that request (clients do not
 * retry), so it gets one more answer, with "Connection: close". A fresh
 * connection always gets its first request served. */
#define STOP_IDLE_MS 1000

/* Every session is told to close after its current exchange; only idle
 * connections past STOP_IDLE_MS close now. */
void lb_http_stop_idle(struct lb_worker *w)
{
    struct lb_http_worker *hw = w->http;
    struct lk_list *it, *nx;

    if (!hw)
        return;
    LK_LIST_FOREACH_SAFE (it, nx, &hw->sessions) {
        struct hsess *s = LK_LIST_ELEM(it, struct hsess, link);

        s->cli_close = 1;
        if (s->state == H_WAIT_REQ && s->clen == s->coff && !s->first &&
            now_ms(s) >= s->t_idle + STOP_IDLE_MS)
            finish(s, NULL, 0);
    }
}

void lb_http_stop(struct lb_worker *w)
{
    if (!w->http)
        return;
    lb_sconn_pool_stop(w->http);
    lb_http_stop_idle(w);
}

void lb_http_abort_all(struct lb_worker *w)
{
    struct lb_http_worker *hw = w->http;
    struct lk_list *it, *nx;

    if (!hw)
        return;
    LK_LIST_FOREACH_SAFE (it, nx, &hw->sessions) {
        finish(LK_LIST_ELEM(it, struct hsess, link), "KD", 1);
    }
}
