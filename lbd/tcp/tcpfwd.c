/* tcpfwd.c - mode tcp forwarding; see tcpfwd.h for the design. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
#include "lbd/http/lfmt.h"
#include "lbd/http/vars.h"
#include "lbd/tcp/tcpfwd.h"

/* Servers a session remembers as failed, so the balancer skips them on a retry.
 * Past 8 failures the oldest stay remembered and newer ones are not: `retries`
 * bounds the attempts anyway, and dispatch() forgets the list once every server
 * has failed. */
#define MAX_TRIED 8
/* At most one pipe's worth per splice(2): the worker's pool sizes its pipes to
 * 256 KiB (F_SETPIPE_SZ), so one call can fill the pipe and nothing is asked
 * beyond what it can hold. */
#define SPLICE_LEN (256u * 1024)

/* ST_INSPECT: tcp-request inspect-delay, the client's first bytes read and
 * held (not forwarded) until the content rules and use_backend decide.
 * Transitions: NEW -> INSPECT or straight to dispatch(); dispatch() ->
 * CONNECT (a slot taken) or QUEUE (every server at maxconn); QUEUE ->
 * dispatch() again from lb_tcp_queue_run(); a failed CONNECT -> dispatch()
 * again while retries last; CONNECT -> DATA once connected; any state ->
 * CLOSED in finish(). CLOSED lasts until the handles' close callbacks have
 * run, and makes finish() idempotent. */
enum sess_state { ST_NEW = 0, ST_INSPECT, ST_QUEUE, ST_CONNECT, ST_DATA, ST_CLOSED, ST_MAX };

/* One direction of the byte stream. Invariant: while pending(h) the source
 * is not read, so at most one buffer (or one pipe) is held per half. */
struct half {
    char *buf;         /* owned pooled buffer holding [off, len) unsent bytes */
    uint32_t off, len; /* off <= len <= worker bufsize */
    int pfd[2];        /* splice pipe, -1 when none is held */
    uint32_t inpipe;   /* bytes spliced into pfd and not yet out */
    uint8_t bulk;      /* sticky: splice from now on */
    uint8_t eof;       /* the source sent its FIN */
    uint8_t shut;      /* FIN passed on: shutdown(dst, SHUT_WR) done */
    uint64_t bytes;    /* read from the source, for logs and stats */
};

struct sess {
    struct lk_list link; /* worker->sessions, or worker->queue while queued */
    struct lb_worker *w;
    struct lb_proxy *fe, *be;
    struct lb_server *srv; /* holds a slot of srv while set */
    uv_poll_t cp, sp;      /* cp watches cfd; sp watches sfd, set up at the first connect */
    uv_timer_t timer;
    int cfd, sfd;
    int cev, sev; /* events cp/sp poll now, to skip redundant uv_poll_start() */
    /* handles: open uv handles (cp, timer, sp once sp_init); the last close
     * callback frees the session. term: '-' until the first cause of the end. */
    uint8_t state, sp_init, handles, redispatched;
    char term[2];
    struct half c2s, s2c;
    struct lk_addr cli;
    uint64_t accept_wall_us;
    /* t0 accept, tq server assigned (end of queueing), tconn start of the current
     * connect attempt, tc connected, last the last byte moved (idle timeouts),
     * timer_at the deadline the timer is armed for (0: none). */
    uint64_t t0, tq, tconn, tc, last, timer_at; /* monotonic ms */
    unsigned attempts, ntried;                  /* attempts: connects started, the first included */
    int last_err; /* of the last failed connect, for the termination state */
    /* Still set after srv is cleared by a failed connect: the log names it and
     * lb_backend_assigned() tells a redispatch from a retry on the same server. */
    struct lb_server *last_srv;
    struct lb_server *tried[MAX_TRIED];
    struct lb_stkctr sc[LB_STKCTR_N]; /* tracked stick counters */
    struct lk_addr loc;               /* the frontend address (dst), once asked */
    struct lk_addr back;              /* %bi %bp: the server connection's source */
    struct lb_vars vars;              /* set-var */
    uint8_t logged;                   /* option logasap: logged once connected */
    /* tcp-response content / stick store-response: the server's first bytes
     * are held in s2c (not forwarded) until the rules decide, at the latest
     * at rsp_until (0: on the first bytes, no tcp-response inspect-delay). */
    uint8_t rsp_hold;
    uint64_t rsp_until;
};

static void update(struct sess *s);
static void dispatch(struct sess *s);
static void conn_info(struct sess *s, struct lb_conn_info *ci);

static int pending(const struct half *h)
{
    return h->len > h->off || h->inpipe > 0;
}

/* ---- teardown ---- */

/* The session is freed only here, once its last handle is closed (house rule
 * 8): libuv may still deliver callbacks for a handle until its close callback,
 * and those find the session in ST_CLOSED. */
static void handle_closed(uv_handle_t *h)
{
    struct sess *s = h->data;

    if (--s->handles == 0)
        free(s);
}

static void half_release(struct lb_worker *w, struct half *h)
{
    if (h->buf)
        lb_worker_buf_put(w, h->buf);
    h->buf = NULL;
    if (h->pfd[0] >= 0) {
        /* A pipe with bytes still in it cannot go back to the pool: its next user
         * would forward this session's leftovers to another connection. */
        if (h->inpipe) {
            close(h->pfd[0]);
            close(h->pfd[1]);
        } else {
            lb_worker_pipe_put(w, h->pfd);
        }
        h->pfd[0] = h->pfd[1] = -1;
    }
}

/* The frontend address (dst), asked of the kernel the first time something
 * needs it (proxy header, log fields, port mapping): most sessions never
 * do. NULL if the kernel cannot say. */
static const struct lk_addr *sess_loc(struct sess *s)
{
    socklen_t len = sizeof(s->loc.u);

    if (!s->loc.len && getsockname(s->cfd, &s->loc.u.sa, &len) == 0)
        s->loc.len = len;
    return s->loc.len ? &s->loc : NULL;
}

/* Format f (the frontend's log-format or log-format-sd) for record r
 * (lbd/http/lfmt.h). */
static size_t lfmt_line(struct sess *s,
                        const struct lb_lfmt *f,
                        const struct lb_tcplog_rec *r,
                        char *out,
                        size_t cap)
{
    struct lb_smp_ctx c;
    struct lb_logrec lr;

    sess_loc(s);
    memset(&lr, 0, sizeof(lr));
    lr.t = r;
    lr.srv = s->srv                          ? atomic_load(&s->srv->cur_addr)
             : r->sess.server && s->last_srv ? atomic_load(&s->last_srv->cur_addr)
                                             : NULL;
    lr.bytes_in = s->c2s.bytes;
    lr.back = s->back.len ? &s->back : NULL;
    lr.log_count = atomic_fetch_add_explicit(&s->fe->log_count, 1, memory_order_relaxed);
    lr.reqid = lb_lfmt_next_reqid();
    memset(&c, 0, offsetof(struct lb_smp_ctx, chunk));
    c.src = &s->cli;
    c.dst = s->loc.len ? &s->loc : NULL;
    c.sc = s->sc;
    c.vars = &s->vars;
    c.now_ms = uv_now(&s->w->loop);
    return lb_lfmt_render_log(f, &c, &lr, out, cap);
}

/* The tcplog line: at the end, or (option logasap) once connected, with
 * Tt and bytes so far marked '+'. */
static void log_session(struct sess *s, uint64_t now, int asap)
{
    struct lb_daemon *d = s->w->d;
    struct lb_tcplog_rec r;
    char line[1024], sdbuf[1024];
    struct lb_tlog_sd sd = {sdbuf, 0};
    size_t n;
    int level;

    /* without a log format the line was lb_tlog_connect()'s, at accept */
    if (s->logged || !lb_tlog_enabled(s->fe, &s->w->cfg->global) || !lb_tlog_has_format(s->fe))
        return;
    /* With logasap the early line is the only one, as in HAProxy: marking it here
     * makes the call from finish() return above. */
    s->logged = (uint8_t)asap;
    if (!asap && (s->fe->options & LB_OPT_DONTLOGNULL) && s->c2s.bytes == 0 && s->s2c.bytes == 0)
        return;
    /* The record points into the session (client, names): it is formatted and
     * sent before this function returns, so nothing needs copying. */
    memset(&r, 0, sizeof(r));
    lb_logsess_fill(&r.sess, &s->cli, s->fe, s->be, s->srv);
    r.accept_wall_us = s->accept_wall_us;
    r.tw = s->tq ? (int64_t)(s->tq - s->t0) : -1;
    r.tc = s->tc ? (int64_t)(s->tc - s->tconn) : -1;
    r.tt = (int64_t)(now - s->t0);
    r.bytes_read = s->s2c.bytes;
    r.term[0] = s->term[0];
    r.term[1] = s->term[1];
    r.sess.actconn = atomic_load(&d->actconn);
    /* at the end HAProxy has let go of the server and backend already */
    if (!asap && r.sess.beconn && s->be != s->fe)
        r.sess.beconn--;
    if (!asap && r.sess.srvconn)
        r.sess.srvconn--;
    r.sess.retries = s->attempts > 1 ? s->attempts - 1 : 0;
    r.sess.redispatched = s->redispatched;
    r.sess.srv_queue = s->srv ? atomic_load(&s->srv->queued) : 0;
    r.sess.be_queue = s->be ? atomic_load(&s->be->queued) : 0;
    r.sess.asap = asap;
    if (s->fe->logfmt)
        n = lfmt_line(s, s->fe->logfmt, &r, line, sizeof(line));
    else
        n = lb_tcplog_format(line, sizeof(line), &r);
    if ((level = lb_tlog_level(s->fe, s->term, 0)) && s->fe->logsd)
        sd.len = lfmt_line(s, s->fe->logsd, &r, sdbuf, sizeof(sdbuf));
    if (level)
        lb_tlog_send_sd(&s->w->tlog, s->fe, &s->w->cfg->global, level, &sd, line, n);
}

/* SO_LINGER with a zero timeout makes close() send a RST and drop unsent data:
 * the peer learns the connection failed instead of seeing a clean end, which a
 * FIN would wrongly suggest after the other side died. */
/* A socket closed with unread bytes in its receive queue makes the kernel
 * send a reset instead of a FIN (RFC 2525 2.17): a client rejected by
 * tcp-request content before its first bytes were read would see
 * "connection reset". HAProxy drains what is queued before closing; so
 * does lbd, bounded (what arrives later still resets, as with HAProxy). */
static void drain(int fd)
{
    char buf[4096];
    int i;

    for (i = 0; i < 16 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0; i++)
        ;
}

static void close_fd(int fd, int rst, int drain_first)
{
    struct linger lg = {1, 0};

    if (fd < 0)
        return;
    if (rst)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    else if (drain_first)
        drain(fd);
    close(fd);
}

/* Byte counters are added once at the end, not per read: the counters are
 * shared by every worker thread, and an atomic add per read would bounce their
 * cache line on every transfer; stats thus lag for long sessions. A listen section is its own
 * backend (be == fe): counting it twice would double its figures. */
static void count_bytes(struct sess *s)
{
    if (s->srv) {
        atomic_fetch_add_explicit(&s->srv->bytes_in, s->c2s.bytes, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->srv->bytes_out, s->s2c.bytes, memory_order_relaxed);
    }
    if (s->be && s->be != s->fe) {
        atomic_fetch_add_explicit(&s->be->bytes_in, s->c2s.bytes, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->be->bytes_out, s->s2c.bytes, memory_order_relaxed);
    }
    atomic_fetch_add_explicit(&s->fe->bytes_in, s->c2s.bytes, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->fe->bytes_out, s->s2c.bytes, memory_order_relaxed);
}

/* End the session. `term` is HAProxy's two-letter termination state;
 * `rst_cli`/`rst_srv` close that side with a reset instead of a FIN. */
static void finish(struct sess *s, const char *term, int rst_cli, int rst_srv)
{
    struct lb_worker *w = s->w;
    int was_queued = s->state == ST_QUEUE;
    int had_slot = s->srv != NULL;

    if (s->state == ST_CLOSED)
        return;
    /* The first cause wins: what happens after it (a reset from the other side,
     * a timeout while closing) is a consequence and would mislead the log. */
    if (s->term[0] == '-')
        memcpy(s->term, term, 2);
    if (was_queued)
        s->tq = uv_now(&w->loop); /* Tw reports the time spent queued */
    /* Logged before the slots are given back, so the line still counts this
     * session in feconn/beconn/srvconn the way log_session() expects. */
    log_session(s, lk_mono_ms(), 0);
    count_bytes(s);
    lb_stkctr_bytes(s->sc, s->c2s.bytes, s->s2c.bytes, uv_now(&w->loop));
    lb_stkctr_release_all(s->sc, uv_now(&w->loop));
    lb_vars_free(&s->vars);
    s->state = ST_CLOSED;
    lk_list_del(&s->link);
    if (was_queued)
        lb_backend_queue_leave(s->be);
    if (had_slot)
        lb_server_release(s->srv);
    if (s->be && s->be != s->fe)
        atomic_fetch_sub(&s->be->cur_conns, 1);
    atomic_fetch_sub(&s->fe->cur_conns, 1);
    atomic_fetch_sub(&w->d->actconn, 1);
    half_release(w, &s->c2s);
    half_release(w, &s->s2c);
    uv_close((uv_handle_t *)&s->cp, handle_closed);
    if (s->sp_init)
        uv_close((uv_handle_t *)&s->sp, handle_closed);
    uv_close((uv_handle_t *)&s->timer, handle_closed);
    close_fd(s->cfd, rst_cli, 1);
    close_fd(s->sfd, rst_srv, 0);
    w->nsessions--;
    /* A server slot freed here may be the one a queued session waits for. */
    if (had_slot && !lk_list_empty(&w->queue))
        lb_worker_kick_queue(w);
    /* A graceful stop waits for the last session; wake the worker to end its loop. */
    if (w->stopping && w->nsessions == 0)
        uv_async_send(&w->wake);
}

/* ---- timers ---- */

/* Idle limit of an established session, and the side blamed when it runs out
 * ('c' client, 's' server), as HAProxy chooses: `timeout tunnel` replaces both
 * client and server timeouts once data flows; client-fin/server-fin replace
 * them once that side has half-closed, so a peer that sent FIN and never reads
 * does not hold the session for the full idle time. */
static uint64_t idle_timeout(const struct sess *s, char *side)
{
    const struct lb_timeouts *ft = &s->fe->to, *bt = &s->be->to;
    uint64_t cli = ft->client, srv = bt->server;

    if (bt->tunnel) {
        *side = cli && cli < bt->tunnel ? 'c' : 's';
        return bt->tunnel;
    }
    if (s->c2s.eof && ft->client_fin)
        cli = ft->client_fin;
    if (s->s2c.eof && bt->server_fin)
        srv = bt->server_fin;
    if (cli && (!srv || cli <= srv)) {
        *side = 'c';
        return cli;
    }
    *side = 's';
    return srv;
}

/* When the current phase times out (0: never), and who is to blame. */
static uint64_t deadline(const struct sess *s, char *side)
{
    uint64_t t;

    *side = 's';
    switch (s->state) {
    case ST_QUEUE:
        /* HAProxy falls back to `timeout connect` when no `timeout queue` is set. */
        t = s->be->to.queue ? s->be->to.queue : s->be->to.connect;
        return t ? s->t0 + t : 0;
    case ST_CONNECT:
        /* From the start of this attempt: each retry gets the full connect timeout. */
        return s->be->to.connect ? s->tconn + s->be->to.connect : 0;
    case ST_DATA:
        t = idle_timeout(s, side);
        t = t ? s->last + t : 0;
        /* the response inspection ends first when its delay is shorter */
        return s->rsp_hold && s->rsp_until && (!t || s->rsp_until < t) ? s->rsp_until : t;
    case ST_INSPECT:
        *side = 'c';
        return s->t0 + s->fe->http->inspect_delay;
    default:
        return 0;
    }
}

static void inspect(struct sess *s, int final);
static void rsp_decide(struct sess *s, int final);

static void on_timer(uv_timer_t *t);

static void arm(struct sess *s)
{
    char side;

    lb_worker_timer_arm(&s->timer, on_timer, &s->timer_at, deadline(s, &side));
}

static void connect_failed(struct sess *s, int err);

static void on_timer(uv_timer_t *t)
{
    struct sess *s = t->data;
    char side;
    uint64_t at, now = uv_now(&s->w->loop);

    /* lb_worker_timer_arm() only moves a deadline earlier, so the timer may fire
     * before the current phase's deadline (a later one replaced it): re-arm then. */
    s->timer_at = 0;
    at = deadline(s, &side);
    if (!at || at > now) {
        arm(s);
        return;
    }
    switch (s->state) {
    case ST_QUEUE:
        finish(s, "sQ", 0, 0);
        break;
    case ST_CONNECT:
        connect_failed(s, -ETIMEDOUT);
        break;
    case ST_DATA:
        if (s->rsp_hold && s->rsp_until && now >= s->rsp_until) {
            rsp_decide(s, 1); /* the response delay is over: decide with what came */
            if (s->state != ST_CLOSED)
                update(s);
            break;
        }
        finish(s, side == 'c' ? "cD" : "sD", 0, 0);
        break;
    case ST_INSPECT: /* the delay is over: the rules decide with what came */
        inspect(s, 1);
        break;
    default:
        break;
    }
}

/* ---- data movement ---- */

/* Abort counters (stats cli_abrt/srv_abrt) exist per server and backend; an
 * error before a server was assigned counts in neither, as in HAProxy. */
static void note_error(struct sess *s, int client_side)
{
    if (s->srv) {
        atomic_fetch_add_explicit(client_side ? &s->srv->cli_aborts : &s->srv->srv_aborts, 1,
                                  memory_order_relaxed);
        atomic_fetch_add_explicit(client_side ? &s->be->cli_aborts : &s->be->srv_aborts, 1,
                                  memory_order_relaxed);
    }
    /* the side that failed is to blame; the other side gets the reset */
    finish(s, client_side ? "CD" : "SD", !client_side, client_side);
}

/* Write what is pending in h to dst. Returns 0, or -1 if the session died.
 * MSG_NOSIGNAL: a peer that went away must give EPIPE here, not a SIGPIPE
 * that kills the daemon. The buffer goes back to the pool as soon as it is
 * drained, so an idle session holds no buffer at all. */
static int half_flush(struct sess *s, struct half *h, int dst, int dst_is_client)
{
    ssize_t n;

    if (h->len > h->off) {
        n = send(dst, h->buf + h->off, h->len - h->off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno != EAGAIN) {
            note_error(s, dst_is_client);
            return -1;
        }
        if (n > 0)
            h->off += (uint32_t)n;
        if (h->off == h->len) {
            lb_worker_buf_put(s->w, h->buf);
            h->buf = NULL;
            h->off = h->len = 0;
        }
    }
    if (h->inpipe) {
        n = splice(h->pfd[0], NULL, dst, NULL, h->inpipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n < 0 && errno != EAGAIN) {
            note_error(s, dst_is_client);
            return -1;
        }
        if (n > 0)
            h->inpipe -= (uint32_t)n;
        if (h->inpipe == 0) {
            lb_worker_pipe_put(s->w, h->pfd);
            h->pfd[0] = h->pfd[1] = -1;
        }
    }
    /* The FIN must follow the last byte: pass it on only when nothing is left. */
    if (h->eof && !h->shut && !pending(h)) {
        shutdown(dst, SHUT_WR);
        h->shut = 1;
    }
    return 0;
}

/* Read into a fresh pool buffer. It stays with the half only if bytes came:
 * half_flush() then owns it until they are all sent. */
static ssize_t read_copy(struct sess *s, struct half *h, int src)
{
    struct lb_worker *w = s->w;
    ssize_t n;

    h->buf = lb_worker_buf_get(w);
    if (!h->buf)
        return -ENOMEM;
    n = recv(src, h->buf, w->bufsize, MSG_DONTWAIT);
    if (n < 0) {
        n = -errno;
    } else {
        h->off = 0;
        h->len = (uint32_t)n;
        if ((size_t)n == w->bufsize && !w->cfg->global.nosplice)
            h->bulk = 1; /* a full buffer: bulk transfer, splice from now on */
    }
    if (n <= 0) {
        lb_worker_buf_put(w, h->buf);
        h->buf = NULL;
    }
    return n;
}

/* Move bytes from src into this half's pipe without copying them to user
 * space. The pipe is empty when this is called (pending() stops reads), so
 * EAGAIN means the source is empty, never that the pipe is full. */
static ssize_t read_splice(struct sess *s, struct half *h, int src)
{
    ssize_t n;

    if (h->pfd[0] < 0 && lb_worker_pipe_get(s->w, h->pfd) < 0) {
        h->bulk = 0; /* out of pipes: fall back to copying */
        return read_copy(s, h, src);
    }
    n = splice(src, NULL, h->pfd[1], NULL, SPLICE_LEN, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n < 0)
        return -errno;
    h->inpipe = (uint32_t)n;
    return n;
}

/* Bulk halves keep moving while both sides keep up, up to this many
 * rounds per wake-up: each round saved is an epoll_wait saved, and the
 * bound keeps one busy connection from starving the others. */
#define BULK_ROUNDS 8

/* Read from src and forward at once to dst. */
static int half_read(struct sess *s, struct half *h, int src, int dst, int src_is_client)
{
    ssize_t n;
    int round;

    for (round = 0; round < BULK_ROUNDS; round++) {
        n = h->bulk ? read_splice(s, h, src) : read_copy(s, h, src);
        if (n == -EAGAIN)
            return 0;
        if (n < 0) {
            note_error(s, src_is_client);
            return -1;
        }
        if (n == 0)
            h->eof = 1;
        h->bytes += (uint64_t)n;
        s->last = uv_now(&s->w->loop);
        if (half_flush(s, h, dst, !src_is_client) < 0)
            return -1;
        /* Stop after one copy read (the level-triggered poll calls again), at EOF,
         * or when dst could not take everything: reading on would break the one
         * buffer per half bound. */
        if (!h->bulk || h->eof || pending(h))
            break;
    }
    return 0;
}

/* Bytes held for inspection (client bytes in ST_INSPECT, server bytes
 * under rsp_hold): appended to h's one buffer, not forwarded. Returns 1
 * when bytes or the EOF came, 0 when nothing yet, -ENOMEM without a
 * buffer, or a negative errno from recv. */
static int hold_read(struct sess *s, struct half *h, int fd)
{
    ssize_t n;

    if (!h->buf && !(h->buf = lb_worker_buf_get(s->w)))
        return -ENOMEM;
    n = recv(fd, h->buf + h->len, s->w->bufsize - h->len, MSG_DONTWAIT);
    if (n < 0)
        return errno == EAGAIN ? 0 : -errno;
    if (n == 0)
        h->eof = 1;
    h->len += (uint32_t)n;
    h->bytes += (uint64_t)n;
    s->last = uv_now(&s->w->loop);
    return 1;
}

/* ST_INSPECT: append what the client sent, then let the rules look.
 * The payload accumulates in c2s's one buffer and is not forwarded yet: the
 * rules see all of it from the first byte. A full buffer ends the inspection
 * (final) since nothing more could be held, as HAProxy does. */
static void inspect_read(struct sess *s)
{
    struct half *h = &s->c2s;
    int r = hold_read(s, h, s->cfd);

    if (r < 0)
        finish(s, r == -ENOMEM ? "PR" : "CR", r != -ENOMEM, 0);
    else if (r > 0)
        inspect(s, h->eof || h->len == s->w->bufsize);
}

/* What tcp-response content rules and stick store-response see: the
 * server's first bytes, held in s2c. */
static void rsp_info(struct sess *s, struct lb_conn_info *ci, int final)
{
    conn_info(s, ci);
    ci->res_payload = (const uint8_t *)s->s2c.buf;
    ci->res_payload_len = s->s2c.len;
    ci->res_payload_final = final;
}

/* tcp-response close: the server connection ends at once; what it sent
 * still reaches the client, which then gets its FIN, and nothing more of
 * the client's goes to the server. */
static void rsp_close(struct sess *s)
{
    struct half *c = &s->c2s;

    shutdown(s->sfd, SHUT_RDWR);
    s->s2c.eof = 1;
    if (c->buf)
        lb_worker_buf_put(s->w, c->buf);
    c->buf = NULL;
    c->off = c->len = 0;
    c->eof = c->shut = 1;
}

/* The backend's tcp-response content rules on the held bytes (final: no
 * more will come, or no more may be waited for), then stick
 * store-response, then the bytes go on to the client. As HAProxy: no rule
 * or no match accepts; reject ends both sides ("PD", counted as a denied
 * response) without forwarding; silent-drop also resets the client. */
static void rsp_decide(struct sess *s, int final)
{
    const struct lb_http_px *bh = s->be->http;
    enum lb_rule_verdict v;
    struct lb_conn_info ci;

    rsp_info(s, &ci, final);
    v = lb_rule_run_conn(bh->tcp_rsp, s->be->stk, &ci);
    if (v == LB_RULE_WAIT)
        return;
    s->rsp_hold = 0;
    if (v == LB_RULE_REJECT || v == LB_RULE_DROP) {
        atomic_fetch_add(&s->be->denied_resp, 1);
        if (s->fe != s->be)
            atomic_fetch_add(&s->fe->denied_resp, 1);
        finish(s, "PD", v == LB_RULE_DROP, 1);
        return;
    }
    if (bh->sticks)
        lb_stick_store_rsp_conn(bh->sticks, &ci, s->srv->puid);
    if (v == LB_RULE_CLOSE)
        rsp_close(s);
    half_flush(s, &s->s2c, s->cfd, 1);
}

/* Server bytes while they are held (within tcp-response inspect-delay):
 * the rules look at all of them; a full buffer or the server's FIN makes
 * it final. */
static void rsp_read(struct sess *s)
{
    struct half *h = &s->s2c;
    int r = hold_read(s, h, s->sfd);

    if (r == -ENOMEM)
        finish(s, "PD", 0, 0);
    else if (r < 0)
        note_error(s, 0);
    else if (r > 0)
        rsp_decide(s, h->eof || h->len == s->w->bufsize);
}

/* One side is ready: flush what waits to go to it, forward what it sent
 * (client: the client's socket, else the server's), then recompute the
 * polling. Held server bytes (rsp_hold) are neither flushed nor forwarded. */
static void side_ready(struct sess *s, int client, int events)
{
    int fd = client ? s->cfd : s->sfd, peer = client ? s->sfd : s->cfd;

    if ((events & UV_WRITABLE) && !(client && s->rsp_hold) &&
        half_flush(s, client ? &s->s2c : &s->c2s, fd, client) < 0)
        return;
    if (!client && s->rsp_hold) {
        if (events & UV_READABLE)
            rsp_read(s);
    } else if ((events & UV_READABLE) &&
               half_read(s, client ? &s->c2s : &s->s2c, fd, peer, client) < 0) {
        return;
    }
    if (s->state != ST_CLOSED)
        update(s);
}

/* option abortonclose (the backend's, as HAProxy 2.6 reads it): a client
 * that closes while its connection waits in the queue, or while the
 * server has not accepted it yet, is dropped ("CQ", "CC") instead of being
 * served later. Its bytes meanwhile are held in c2s (sent once
 * connected); without the option the client is not read before that. */
static int abort_on_close(const struct sess *s)
{
    return s->be && (s->be->options & LB_OPT_ABORTONCLOSE) &&
           (s->state == ST_QUEUE || s->state == ST_CONNECT);
}

static void waiting_read(struct sess *s)
{
    int r = hold_read(s, &s->c2s, s->cfd);

    if (r == -ENOMEM || r == 0 || (r > 0 && !s->c2s.eof))
        return;
    finish(s, s->state == ST_QUEUE ? "CQ" : "CC", r < 0, 0);
}

static void on_client(uv_poll_t *p, int status, int events)
{
    struct sess *s = p->data;

    if (status < 0) {
        /* libuv stopped the handle on error: keep cev in step so set_poll() restarts it */
        s->cev = 0;
        note_error(s, 1);
        return;
    }
    if (s->state == ST_INSPECT || abort_on_close(s)) {
        if (s->state == ST_INSPECT)
            inspect_read(s);
        else
            waiting_read(s);
        if (s->state != ST_CLOSED)
            update(s);
        return;
    }
    side_ready(s, 1, events);
}

static void connected(struct sess *s);

static void on_server(uv_poll_t *p, int status, int events)
{
    struct sess *s = p->data;
    int err = 0;
    socklen_t len = sizeof(err);

    if (status < 0)
        s->sev = 0; /* libuv stopped the handle (POLLERR) */
    if (s->state == ST_CONNECT) {
        /* A non-blocking connect() completes by making the socket writable, with its
         * outcome in SO_ERROR (connect(2)). On POLLERR libuv says EBADF: the real
         * reason is in SO_ERROR too. */
        if (getsockopt(s->sfd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = -errno;
        else
            err = -err;
        if (!err && status < 0)
            err = -ECONNREFUSED;
        if (err)
            connect_failed(s, err);
        else
            connected(s);
        return;
    }
    if (status < 0) {
        note_error(s, 0);
        return;
    }
    side_ready(s, 0, events);
}

/* Most events leave the interest set as it is: skipping the call saves an
 * epoll_ctl(2) per event. */
static void set_poll(uv_poll_t *p, int *cur, int want, uv_poll_cb cb)
{
    if (want == *cur)
        return;
    *cur = want;
    if (want)
        uv_poll_start(p, want, cb);
    else
        uv_poll_stop(p);
}

/* Recompute what each socket waits for; end the session when both halves
 * are shut. */
static void update(struct sess *s)
{
    int cw = 0, sw = 0;

    if (s->state == ST_DATA) {
        /* Both FINs passed on: a clean end, termination state "--". */
        if (s->c2s.shut && s->s2c.shut) {
            finish(s, "--", 0, 0);
            return;
        }
        /* Backpressure: a source is read only while its half holds nothing, and a
         * destination is watched for writing only while its half does. */
        if (!s->c2s.eof && !pending(&s->c2s))
            cw |= UV_READABLE;
        if (!s->rsp_hold && pending(&s->s2c))
            cw |= UV_WRITABLE;
        /* held server bytes stay until the rules decide: read on while room */
        if (!s->s2c.eof && (s->rsp_hold ? s->s2c.len < s->w->bufsize : !pending(&s->s2c)))
            sw |= UV_READABLE;
        if (pending(&s->c2s))
            sw |= UV_WRITABLE;
    } else if (s->state == ST_CONNECT) {
        sw = UV_WRITABLE;
    }
    if (abort_on_close(s) && !s->c2s.eof && s->c2s.len < s->w->bufsize) {
        cw = UV_READABLE; /* a close while waiting aborts */
    } else if (s->state == ST_INSPECT) {
        cw = s->c2s.eof ? 0 : UV_READABLE;
    }
    set_poll(&s->cp, &s->cev, cw, on_client);
    if (s->sp_init)
        set_poll(&s->sp, &s->sev, sw, on_server);
    arm(s);
}

/* ---- connecting ---- */

/* TCP_NODELAY: bytes are forwarded as they come; Nagle on the server side
 * would delay the client's small writes a second time. SO_KEEPALIVE only on
 * option tcpka or srvtcpka, in the frontend or the backend. */
static void sock_opts(int fd, int keepalive)
{
    int one = 1;

    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (keepalive)
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
}

static int srv_keepalive(const struct sess *s)
{
    return ((s->fe->options | s->be->options) & (LB_OPT_TCPKA | LB_OPT_SRVTCPKA)) != 0;
}

/* send-proxy[-v2]: the PROXY header goes first, before any client byte
 * (c2s is flushed only from ST_DATA on). */
static int send_proxy_header(struct sess *s)
{
    struct lb_conn_info ci;

    conn_info(s, &ci);
    return lb_server_send_proxy(s->srv, s->sfd, &s->cli, ci.dst);
}

/* A PROXY header that cannot be sent counts as a failed connect, so it is
 * retried like one. The header is small and the socket fresh: it fits in the
 * send buffer, and one non-blocking send() is enough. */
static void connected(struct sess *s)
{
    const struct lb_http_px *bh;
    socklen_t len;
    int r;

    if (s->srv->send_proxy && (r = send_proxy_header(s)) < 0) {
        connect_failed(s, r);
        return;
    }
    s->state = ST_DATA;
    s->tc = s->last = uv_now(&s->w->loop);
    len = sizeof(s->back.u);
    if (s->fe->log_back && getsockname(s->sfd, &s->back.u.sa, &len) == 0)
        s->back.len = len;
    bh = s->be->http;
    if (bh && (bh->tcp_rsp || lb_stick_has_rsp(bh->sticks))) {
        s->rsp_hold = 1;
        s->rsp_until = bh->rsp_inspect_delay ? s->tc + bh->rsp_inspect_delay : 0;
        /* Without a tcp-response inspect-delay HAProxy 2.6 runs the rules
         * (and store-response) once, as the connection is established, on
         * what is there: nothing yet. So do we: the corpus's SNI
         * pass-through file stores no server session id, as with HAProxy. */
        if (!s->rsp_until)
            rsp_decide(s, 1);
    }
    if (s->fe->options & LB_OPT_LOGASAP)
        log_session(s, lk_mono_ms(), 1);
    update(s);
}

/* Put the new socket at the fd number the poll handle already watches, so
 * one uv_poll_t serves every attempt of the session. A live uv_poll_t cannot be re-pointed at
 * another fd, and closing it is asynchronous. uv_poll_stop() removes the old socket from epoll
 * first, then dup3() puts the new socket at the old number (closing the old socket). */
static int attach_server_fd(struct sess *s, int fd)
{
    int r;

    if (!s->sp_init) {
        r = uv_poll_init(&s->w->loop, &s->sp, fd);
        if (r < 0)
            return r;
        s->sp.data = s;
        s->sp_init = 1;
        s->handles++;
        s->sfd = fd;
        return 0;
    }
    uv_poll_stop(&s->sp);
    s->sev = 0;
    if (dup3(fd, s->sfd, O_CLOEXEC) < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    close(fd);
    return 0;
}

/* The port the client connected to (the frontend's, asked once per
 * session), plus the server's offset; out of 1..65535 it is left at 0,
 * which connect() refuses, so the attempt fails as a connection error. */
static const struct lk_addr *mapped_addr(struct sess *s,
                                         const struct lb_server *srv,
                                         struct lk_addr *a)
{
    long port;

    sess_loc(s);
    port = (long)lk_addr_port(&s->loc) + srv->port_off;
    lk_addr_set_port(a, port >= 1 && port <= 65535 ? (unsigned)port : 0);
    return a;
}

static void connect_to(struct sess *s, struct lb_server *srv)
{
    /* `set server addr` swaps cur_addr from another thread; acquire pairs with
     * its release store so the address read here is complete. */
    const struct lk_addr *a = atomic_load_explicit(&srv->cur_addr, memory_order_acquire);
    struct lk_addr mapped;
    int fd, r;

    if (srv->port_map) { /* the client's destination port (+N), HAProxy's port mapping */
        mapped = *a;
        a = mapped_addr(s, srv, &mapped);
    }
    s->srv = srv;
    s->attempts++;
    s->tconn = uv_now(&s->w->loop);
    s->state = ST_CONNECT;
    fd = socket(a->u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        connect_failed(s, -errno);
        return;
    }
    sock_opts(fd, srv_keepalive(s));
    r = attach_server_fd(s, fd);
    if (r < 0) {
        connect_failed(s, r);
        return;
    }
    if (connect(s->sfd, &a->u.sa, a->len) == 0) {
        connected(s);
        return;
    }
    if (errno != EINPROGRESS) {
        connect_failed(s, -errno);
        return;
    }
    update(s);
}

/* A dead server under load fails every connection: without the rate limit
 * each one would log a line. */
static struct lk_ratelimit connect_rl = LK_RATELIMIT_INIT(5000, 10);

/* A connect attempt failed (err: negative errno, -ETIMEDOUT for the connect
 * timeout). The slot is given back before the retry, which takes one anew
 * from whichever server it picks (possibly the same one). */
static void connect_failed(struct sess *s, int err)
{
    struct lb_server *srv = s->srv;
    char addr[LK_ADDR_STRLEN];

    s->srv = NULL;
    atomic_fetch_add(&srv->failed_conns, 1);
    atomic_fetch_add(&s->be->failed_conns, 1);
    lb_server_release(srv);
    if (s->ntried < MAX_TRIED)
        s->tried[s->ntried++] = srv;
    lk_log_rl(&connect_rl, LK_LOG_WARNING, "%s/%s (%s): connect failed: %s", s->be->name, srv->name,
              lk_addr_str(srv->cur_addr, addr, sizeof(addr)), strerror(-err));
    s->last_err = err;
    s->last_srv = srv;
    /* `retries N` allows N attempts after the first, as in HAProxy. "sC" is a
     * connect timeout, "SC" a refusal or error. */
    if (s->attempts > (unsigned)s->be->retries) {
        finish(s, err == -ETIMEDOUT ? "sC" : "SC", 0, 0);
        return;
    }
    lb_backend_retry(s->be, srv);
    dispatch(s);
}

/* Slots are shared by all worker threads and another thread may free the one
 * this session waits for: kicking the queue also speeds up the worker's tick,
 * which polls the queue while it is not empty. */
static void enqueue(struct sess *s)
{
    if (s->state == ST_QUEUE)
        return;
    s->state = ST_QUEUE;
    lk_list_del(&s->link);
    lk_list_append(&s->w->queue, &s->link);
    lb_backend_queue_enter(s->be);
    lb_worker_kick_queue(s->w);
    update(s); /* the queue's timeout; the client is read only for abortonclose */
}

static void dequeue(struct sess *s)
{
    if (s->state != ST_QUEUE)
        return;
    lk_list_del(&s->link);
    lk_list_append(&s->w->sessions, &s->link);
    lb_backend_queue_leave(s->be);
    s->tq = uv_now(&s->w->loop);
}

/* The local address is asked once and only when needed (dst samples, PROXY
 * header, log fields): most sessions never need it. */
static void conn_info(struct sess *s, struct lb_conn_info *ci)
{
    sess_loc(s);
    ci->src = &s->cli;
    ci->dst = s->loc.len ? &s->loc : NULL;
    ci->sc = s->sc;
    ci->vars = &s->vars;
    ci->now_ms = uv_now(&s->w->loop);
}

/* stick on|match: the server the table remembers for this connection, if
 * it can take it (a first attempt only: a retry balances). */
static struct lb_server *stick_server(struct sess *s, struct lb_conn_info *ci)
{
    const struct lb_stick *st = s->be->http ? s->be->http->sticks : NULL;
    if (!st || s->attempts > 0)
        return NULL;
    return lb_backend_take_id(s->be, lb_stick_match_conn(st, ci));
}

/* Choose a server and connect, queue, or give up. */
static void dispatch(struct sess *s)
{
    struct lb_balancer *b = lb_worker_balancer(s->w, s->be);
    struct lb_pick_ctx ctx = {&s->cli, NULL, 0, s->tried, s->ntried};
    struct lb_server *srv = NULL;
    enum lb_pick_status st;
    struct lb_conn_info ci;

    conn_info(s, &ci);
    /* stick on payload(...): the client's bytes, held until connected */
    ci.payload = (const uint8_t *)s->c2s.buf;
    ci.payload_len = s->c2s.len;
    ci.payload_final = 1;
    srv = stick_server(s, &ci);
    if (srv) {
        st = LB_PICK_OK;
        goto picked;
    }
    /* LB_PICK_FULL: usable servers exist but all are at maxconn, so the session
     * queues; LB_PICK_NONE: no usable server at all. */
    st = b ? lb_balancer_pick(b, &ctx, &srv) : LB_PICK_NONE;
    if (st == LB_PICK_NONE && s->ntried) {
        /* every server failed once: retry them rather than give up early,
         * since "retries" bounds the attempts */
        s->ntried = ctx.ntried = 0;
        st = lb_balancer_pick(b, &ctx, &srv);
    }
    if (st == LB_PICK_OK && lb_server_take(srv) < 0)
        st = LB_PICK_FULL; /* another thread took the last slot */
picked:
    if (st == LB_PICK_OK && s->be->http && s->be->http->sticks)
        lb_stick_store_conn(s->be->http->sticks, &ci, srv->puid);
    switch (st) {
    case LB_PICK_OK:
        if (s->state == ST_QUEUE)
            dequeue(s);
        else if (!s->tq)
            s->tq = uv_now(&s->w->loop);
        if (lb_backend_assigned(s->be, srv, s->last_srv, s->t0))
            s->redispatched = 1;
        connect_to(s, srv);
        break;
    case LB_PICK_FULL:
        enqueue(s);
        break;
    default:
        finish(s, s->last_err == -ETIMEDOUT ? "sC" : "SC", 0, 0);
        break;
    }
}

/* FIFO order. dispatch() unlinks a session it connects or ends, hence the
 * _SAFE loop; one that still finds no slot stays where it is. */
void lb_tcp_queue_run(struct lb_worker *w)
{
    struct lk_list *it, *nx;

    LK_LIST_FOREACH_SAFE (it, nx, &w->queue) {
        dispatch(LK_LIST_ELEM(it, struct sess, link));
    }
}

unsigned lb_tcp_shutdown_server(struct lb_worker *w, struct lb_server *srv)
{
    struct lk_list *it, *nx;
    unsigned n = 0;

    LK_LIST_FOREACH_SAFE (it, nx, &w->sessions) {
        struct sess *s = LK_LIST_ELEM(it, struct sess, link);

        if (s->srv == srv && s->state != ST_CLOSED) {
            finish(s, "KD", 1, 1);
            n++;
        }
    }
    return n;
}

void lb_tcp_abort_all(struct lb_worker *w)
{
    struct lk_list *it, *nx;

    LK_LIST_FOREACH_SAFE (it, nx, &w->queue) {
        finish(LK_LIST_ELEM(it, struct sess, link), "KQ", 0, 0);
    }
    LK_LIST_FOREACH_SAFE (it, nx, &w->sessions) {
        finish(LK_LIST_ELEM(it, struct sess, link), "KD", 1, 1);
    }
}

static void half_init(struct half *h)
{
    memset(h, 0, sizeof(*h));
    h->pfd[0] = h->pfd[1] = -1;
}

/* The backend a session goes to: it changes the backend's counts. */
static void set_backend(struct sess *s, struct lb_proxy *be)
{
    if (be == s->be)
        return;
    if (s->be && s->be != s->fe)
        atomic_fetch_sub(&s->be->cur_conns, 1);
    s->be = be;
    if (be != s->fe) {
        atomic_fetch_add(&be->cur_conns, 1);
        atomic_fetch_add(&be->cum_conns, 1);
    }
}

/* tcp-request content rules and use_backend with the payload so far
 * (final: no more will come). Returns 1 when decided (the session goes on
 * to its backend or has ended), 0 to wait for more bytes.
 * Order as HAProxy: the frontend's tcp-request content rules, then
 * use_backend, then the chosen backend's own content rules (skipped for a
 * listen section, whose rules already ran as frontend). A reject or drop
 * skips the rest; drop (silent-drop) closes the client with a reset. */
static int content(struct sess *s, int final)
{
    const struct lb_http_px *fh = s->fe->http, *bh;
    enum lb_rule_verdict v = LB_RULE_CONTINUE;
    struct lb_proxy *be;
    struct lb_conn_info ci;

    conn_info(s, &ci);
    ci.payload = (const uint8_t *)s->c2s.buf;
    ci.payload_len = s->c2s.len;
    ci.payload_final = final;
    if (fh)
        v = lb_rule_run_conn(fh->tcp_content, s->fe->stk, &ci);
    if (v == LB_RULE_WAIT)
        return 0;
    if (v != LB_RULE_REJECT && v != LB_RULE_DROP && fh && fh->switching) {
        be = lb_switch_conn(fh->switching, &ci);
        if (be == LB_SWITCH_WAIT)
            return 0;
        if (be)
            set_backend(s, be);
    }
    bh = s->be ? s->be->http : NULL;
    if (v != LB_RULE_REJECT && v != LB_RULE_DROP && bh && bh != fh)
        v = lb_rule_run_conn(bh->tcp_content, s->be->stk, &ci);
    if (v == LB_RULE_WAIT)
        return 0;
    if (v == LB_RULE_REJECT || v == LB_RULE_DROP) {
        atomic_fetch_add(&s->fe->denied_conn, 1);
        finish(s, "PR", v == LB_RULE_DROP, 0);
    } else if (!s->be) {
        finish(s, "SC", 0, 0); /* no default backend and no rule matched */
    } else {
        dispatch(s);
    }
    return 1;
}

static void inspect(struct sess *s, int final)
{
    if (content(s, final) == 0 && final) /* nothing more will come */
        content(s, 1);
}

/* tcp-request connection rules, then the content rules: at once, or after
 * the first bytes when the frontend has an inspect-delay. Returns 0 when
 * the session moves on (waits, dispatched or ended). */
static int tcp_rules(struct sess *s)
{
    const struct lb_http_px *fh = s->fe->http;
    enum lb_rule_verdict v = LB_RULE_CONTINUE;
    struct lb_conn_info ci;

    if (fh && fh->tcp_conn) {
        conn_info(s, &ci);
        v = lb_rule_run_conn(fh->tcp_conn, s->fe->stk, &ci);
        if (v == LB_RULE_REJECT || v == LB_RULE_DROP) {
            atomic_fetch_add(&s->fe->denied_conn, 1);
            finish(s, "PR", v == LB_RULE_DROP, 0);
            return 0;
        }
    }
    if (fh && fh->inspect_delay) {
        s->state = ST_INSPECT;
        update(s);
        return 0;
    }
    content(s, 1);
    return 0;
}

void lb_tcp_session_start(struct lb_worker *w,
                          struct lb_proxy *fe,
                          int fd,
                          const struct lk_addr *client,
                          const struct lk_addr *local)
{
    struct sess *s;

    if (!fe->default_backend && !(fe->http && fe->http->switching)) {
        /* nothing to forward to: closed, as HAProxy does */
        atomic_fetch_add(&fe->cum_conns, 1);
        lb_worker_refuse(w, fd, NULL);
        return;
    }
    s = calloc(1, sizeof(*s));
    if (!s || uv_poll_init(&w->loop, &s->cp, fd) < 0) {
        lb_worker_refuse(w, fd, s);
        return;
    }
    s->w = w;
    s->fe = fe;
    s->be = fe->default_backend;
    s->cfd = fd;
    s->sfd = -1;
    s->cli = *client;
    if (local)
        s->loc = *local;
    s->term[0] = s->term[1] = '-';
    s->accept_wall_us = lk_wall_us();
    if (lb_tlog_enabled(fe, &w->cfg->global) && !lb_tlog_has_format(fe))
        lb_tlog_connect(&w->tlog, fe, &w->cfg->global, client, sess_loc(s), 0);
    s->t0 = uv_now(&w->loop);
    s->cp.data = s;
    uv_timer_init(&w->loop, &s->timer);
    s->timer.data = s;
    s->handles = 2;
    half_init(&s->c2s);
    half_init(&s->s2c);
    lk_list_append(&w->sessions, &s->link);
    w->nsessions++;
    atomic_fetch_add(&fe->cur_conns, 1);
    atomic_fetch_add(&fe->cum_conns, 1);
    if (s->be && s->be != fe) {
        atomic_fetch_add(&s->be->cur_conns, 1);
        atomic_fetch_add(&s->be->cum_conns, 1);
    }
    /* TCP_NODELAY and SO_KEEPALIVE come from the listening socket */
    tcp_rules(s);
}
