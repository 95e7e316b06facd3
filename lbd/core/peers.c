/* peers.c - stick tables shared with the peers protocol; see peers.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/clock.h"
#include "common/compiler.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "lbd/cfg/peers_cfg.h"
#include "lbd/core/daemon.h"
#include "lbd/core/peers.h"
#include "lbd/core/proxy_types.h"
#include "lbd/core/stktable.h"
#include "proto/peers.h"

#define TICK_MS         500
#define HEARTBEAT_MS    3000 /* HAProxy's PEER_HEARTBEAT_TIMEOUT */
#define DEAD_MS         5000 /* nothing heard for that long: reconnect */
#define RECONNECT_MS    5000
#define RESYNC_MS       5000 /* wait for a full resync before serving alone */
#define PUSH_BATCH      64
#define OUTQ_MAX        (1u << 20) /* pushes wait while that much is unsent */
#define CONNECT_TIMEOUT 1000

enum sess_state { S_CONNECTING = 0, S_STATUS, S_HELLO, S_ESTAB, S_CLOSED };

/* What one remote peer knows of one of our tables. */
struct rtab {
    uint32_t last_pushed;  /* last local update id sent on this session */
    uint32_t acked;        /* last id the peer acknowledged (kept across sessions) */
    uint32_t last_get;     /* last id of the peer's updates taken */
    uint32_t last_acked;   /* last_get we acknowledged */
    uint64_t remote_id;    /* the peer's number for the table */
    struct peers_def rdef; /* the peer's definition (name not kept) */
    int rdef_ok;
};

struct psess;

struct rpeer {
    struct psec *sec;
    const struct lb_peer *cfg;
    struct psess *sess; /* NULL when none */
    struct rtab *tabs;  /* sec->ntables */
    uint64_t next_connect;
    uint64_t last_hdshk;
    int last_status; /* handshake status code, 0 none yet */
    int no_resync;   /* answered "partial": not asked again */
    unsigned new_conn, proto_err, coll, tx_hbt, rx_hbt;
};

struct ptab {
    struct lb_stktable *t;
    struct peers_def def;
};

struct psec {
    struct lb_peers *P;
    const struct lb_peers_sec *cfg;
    uv_tcp_t listener;
    int listening;
    struct rpeer *peers;
    unsigned npeers;
    struct ptab *tabs;
    unsigned ntables;
    int synced;
    struct rpeer *learning; /* asked for a full resync, or NULL */
    uint64_t resync_deadline;
};

struct psess {
    uv_tcp_t tcp;
    uv_connect_t creq;
    struct psec *sec;
    struct rpeer *peer;
    enum sess_state st;
    int outgoing; /* we connected */
    int teaching; /* sent a full resync, no confirm yet: acks are ignored */
    int tab_in;   /* our table the peer's updates are for, -1 none */
    int tab_out;  /* our table our last update was for, -1 none */
    uint8_t *rbuf;
    size_t rlen, rcap;
    uint64_t last_rx, last_tx, started, estab_at;
};

struct lb_peers {
    struct lb_daemon *d;
    struct psec *secs;
    unsigned nsecs;
    uv_timer_t tick;
    uv_async_t wake;
    int stopping;
    struct lb_stk_snap snaps[PUSH_BATCH];
    uint8_t msg[PEERS_MSG_MAX + 16];
};

struct wreq {
    uv_write_t req;
    uint8_t data[];
};

static void sess_close(struct psess *s, const char *why);

/* ---- output ---- */

/* Each message batch is copied into its own write request: the table's
 * lock is not held while bytes wait in the socket, and libuv keeps the
 * order of writes, which the protocol needs (a definition before its
 * updates, incremental ids). */
static void write_cb(uv_write_t *req, int status)
{
    (void)status;
    free(lk_container_of(req, struct wreq, req));
}

static void sess_send(struct psess *s, const void *buf, size_t len)
{
    struct wreq *w;
    uv_buf_t b;

    if (s->st == S_CLOSED || len == 0)
        return;
    w = malloc(sizeof(*w) + len);
    if (!w) {
        sess_close(s, "out of memory");
        return;
    }
    memcpy(w->data, buf, len);
    b = uv_buf_init((char *)w->data, (unsigned)len);
    if (uv_write(&w->req, (uv_stream_t *)&s->tcp, &b, 1, write_cb) < 0) {
        free(w);
        sess_close(s, "write failed");
        return;
    }
    s->last_tx = lk_mono_ms();
}

static void send_short(struct psess *s, uint8_t cls, uint8_t type)
{
    uint8_t m[2];

    sess_send(s, m, peers_msg_short(m, cls, type));
}

/* HAProxy sends the definition again whenever it changes table rather than
 * a switch message; lbd does the same, so the peer never depends on a
 * definition it may have dropped (a key size it does not share). */
static void send_def(struct psess *s, unsigned ti)
{
    struct lb_peers *P = s->sec->P;
    int n = peers_def_build(P->msg, sizeof(P->msg), &s->sec->tabs[ti].def);

    if (n > 0)
        sess_send(s, P->msg, (size_t)n);
    s->tab_out = (int)ti;
}

/* ---- keys and values between the table and the wire ---- */

/* lbd keeps integer keys as int64 in host order; the protocol carries 32
 * bits big-endian (HAProxy's integer tables are 32-bit). */
static void key_to_wire(const struct lb_stktable *t, const struct lb_stkkey *k, struct peers_upd *u)
{
    int64_t v;
    uint32_t be;

    if (t->type == LB_STK_INT) {
        memcpy(&v, k->data, sizeof(v));
        be = htonl((uint32_t)v);
        memcpy(u->key, &be, 4);
        u->keylen = 4;
        return;
    }
    memcpy(u->key, k->data, k->len);
    u->keylen = k->len;
}

static int key_from_wire(const struct lb_stktable *t,
                         const struct peers_upd *u,
                         struct lb_stkkey *k)
{
    uint32_t be;

    if (t->type == LB_STK_INT) {
        memcpy(&be, u->key, 4);
        return lb_stk_key_int(t, (int64_t)(int32_t)ntohl(be), k);
    }
    if (t->type == LB_STK_STR)
        return lb_stk_key_str(t, (const char *)u->key, u->keylen, k);
    if (u->keylen != t->keylen)
        return -EINVAL;
    memset(k, 0, sizeof(*k));
    memcpy(k->data, u->key, u->keylen);
    k->len = (uint8_t)u->keylen;
    return 0;
}

static void snap_to_upd(const struct lb_stktable *t,
                        const struct lb_stk_snap *sn,
                        struct peers_upd *u)
{
    int d;

    memset(u, 0, sizeof(*u));
    key_to_wire(t, &sn->key, u);
    u->id = sn->upd;
    u->exp_ms = sn->exp_ms;
    for (d = 0; d < LB_STK_DATA_MAX; d++) {
        u->val[d] = (uint64_t)sn->val[d];
        u->ago[d] = sn->ago[d];
        u->curr[d] = sn->curr[d];
        u->prev[d] = sn->prev[d];
    }
}

static void send_upd(struct psess *s, unsigned ti, const struct lb_stk_snap *sn, int timed)
{
    struct lb_peers *P = s->sec->P;
    struct rtab *rt = &s->peer->tabs[ti];
    struct peers_upd u;
    int n;

    if (s->tab_out != (int)ti)
        send_def(s, ti);
    snap_to_upd(s->sec->tabs[ti].t, sn, &u);
    /* the id is implied when it follows the previous one */
    u.with_id = timed || sn->upd != rt->last_pushed + 1;
    u.timed = timed;
    n = peers_upd_build(P->msg, sizeof(P->msg), &s->sec->tabs[ti].def, &u);
    if (n > 0)
        sess_send(s, P->msg, (size_t)n);
}

/* ---- pushing local changes ---- */

/* A slow peer must not make lbd buffer the whole table: pushes stop while
 * a megabyte is unsent and resume from last_pushed on the next wake-up or
 * tick, so nothing is lost, only coalesced. */
static int backlogged(const struct psess *s)
{
    return s->tcp.write_queue_size > OUTQ_MAX;
}

static void push_table(struct psess *s, unsigned ti, uint64_t now)
{
    struct lb_peers *P = s->sec->P;
    struct rtab *rt = &s->peer->tabs[ti];
    unsigned i, n;

    do {
        if (s->st != S_ESTAB || backlogged(s))
            return;
        n = lb_stk_pending(s->sec->tabs[ti].t, rt->last_pushed, P->snaps, PUSH_BATCH, now);
        for (i = 0; i < n; i++) {
            send_upd(s, ti, &P->snaps[i], 0);
            rt->last_pushed = P->snaps[i].upd;
        }
    } while (n == PUSH_BATCH);
}

static void push_sess(struct psess *s, uint64_t now)
{
    unsigned ti;

    for (ti = 0; ti < s->sec->ntables && s->st == S_ESTAB; ti++)
        push_table(s, ti, now);
}

/* Woken by the workers' changes (table_changed); each session asks each
 * table for what follows its own last_pushed, so peers at different points
 * of the backlog are all served from the one update list. */
static void push_all(struct lb_peers *P)
{
    uint64_t now = lk_mono_ms();
    unsigned i, j;

    for (i = 0; i < P->nsecs; i++)
        for (j = 0; j < P->secs[i].npeers; j++)
            if (P->secs[i].peers[j].sess)
                push_sess(P->secs[i].peers[j].sess, now);
}

/* ---- a full resync to the peer (it asked) ---- */

struct teach {
    struct psess *s;
    unsigned ti;
};

static void teach_one(const struct lb_stk_snap *sn, void *arg)
{
    struct teach *tc = arg;

    send_upd(tc->s, tc->ti, sn, 1);
}

/* The answer to a resync request: every entry, with its remaining
 * lifetime (timed updates), then "finished" if we consider ourselves up to
 * date, else "partial" (we are still waiting for our own resync), as
 * HAProxy answers. Acks received until the peer confirms are ignored,
 * since they acknowledge the lesson, not our incremental pushes. */
static void teach(struct psess *s)
{
    struct teach tc = {s, 0};
    uint64_t now = lk_mono_ms();

    s->teaching = 1;
    for (tc.ti = 0; tc.ti < s->sec->ntables; tc.ti++) {
        send_def(s, tc.ti);
        /* everything changed up to now is in the walk: later changes follow
         * as ordinary pushes */
        s->peer->tabs[tc.ti].last_pushed = lb_stk_walk(s->sec->tabs[tc.ti].t, teach_one, &tc, now);
    }
    send_short(s, PEERS_CLASS_CONTROL,
               s->sec->synced ? PEERS_CTL_RESYNCFINISHED : PEERS_CTL_RESYNCPARTIAL);
}

/* ---- what the peer sends ---- */

static int find_table(const struct psec *sec, const struct peers_def *d)
{
    unsigned i;

    for (i = 0; i < sec->ntables; i++)
        if (sec->tabs[i].def.namelen == d->namelen &&
            memcmp(sec->tabs[i].def.name, d->name, d->namelen) == 0)
            return (int)i;
    return -1;
}

/* A definition that does not match ours by key type and size is not an
 * error: its updates are ignored, as HAProxy ignores them. */
static int on_define(struct psess *s, const struct peers_msg *m)
{
    struct peers_def d;
    struct rtab *rt;
    int r = peers_def_parse(m->data, m->len, &d), ti;

    s->tab_in = -1;
    if (r == -EBADMSG)
        return r;
    ti = find_table(s->sec, &d);
    if (r < 0 || ti < 0 || d.keytype != s->sec->tabs[ti].def.keytype ||
        d.keylen != s->sec->tabs[ti].def.keylen)
        return 0;
    rt = &s->peer->tabs[ti];
    rt->rdef = d;
    rt->rdef.name = NULL;
    rt->remote_id = d.id;
    rt->rdef_ok = 1;
    s->tab_in = ti;
    return 0;
}

static int on_switch(struct psess *s, const struct peers_msg *m)
{
    uint64_t id;
    unsigned i;

    s->tab_in = -1;
    if (peers_switch_parse(m->data, m->len, &id) < 0)
        return -EBADMSG;
    for (i = 0; i < s->sec->ntables; i++)
        if (s->peer->tabs[i].rdef_ok && s->peer->tabs[i].remote_id == id)
            s->tab_in = (int)i;
    return 0;
}

/* An update for no known table (none defined yet, or a definition that
 * did not match ours) is skipped whole, as HAProxy skips it; one that does
 * not decode against its definition breaks the session. */
static int on_update(struct psess *s, const struct peers_msg *m)
{
    struct lb_stktable *t;
    struct lb_stk_snap sn;
    struct peers_upd u;
    struct rtab *rt;
    int d;

    if (s->tab_in < 0)
        return 0;
    rt = &s->peer->tabs[s->tab_in];
    t = s->sec->tabs[s->tab_in].t;
    memset(&u, 0, sizeof(u));
    u.id = rt->last_get + 1;
    if (peers_upd_parse(m->type, m->data, m->len, &rt->rdef, &u) < 0)
        return -EBADMSG;
    rt->last_get = u.id;
    memset(&sn, 0, sizeof(sn));
    if (key_from_wire(t, &u, &sn.key) < 0)
        return 0;
    sn.exp_ms = u.exp_ms;
    for (d = 0; d < LB_STK_DATA_MAX; d++) {
        sn.val[d] = (int64_t)u.val[d];
        sn.ago[d] = u.ago[d];
        sn.curr[d] = u.curr[d];
        sn.prev[d] = u.prev[d];
    }
    lb_stk_learn(t, &sn, (uint32_t)(rt->rdef.data & ((1u << LB_STK_DATA_MAX) - 1)), u.timed,
                 lk_mono_ms());
    return 0;
}

static int on_ack(struct psess *s, const struct peers_msg *m)
{
    uint64_t id;
    uint32_t up;

    if (peers_ack_parse(m->data, m->len, &id, &up) < 0)
        return -EBADMSG;
    if (!s->teaching && id >= 1 && id <= s->sec->ntables)
        s->peer->tabs[id - 1].acked = up;
    return 0;
}

static void on_control(struct psess *s, uint8_t type)
{
    struct psec *sec = s->sec;

    switch (type) {
    case PEERS_CTL_RESYNCREQ:
        teach(s);
        break;
    case PEERS_CTL_RESYNCFINISHED:
    case PEERS_CTL_RESYNCPARTIAL:
        if (sec->learning == s->peer) {
            sec->learning = NULL;
            if (type == PEERS_CTL_RESYNCFINISHED)
                sec->synced = 1;
            else
                s->peer->no_resync = 1;
        }
        send_short(s, PEERS_CLASS_CONTROL, PEERS_CTL_RESYNCCONFIRM);
        break;
    case PEERS_CTL_RESYNCCONFIRM:
        s->teaching = 0;
        break;
    case PEERS_CTL_HEARTBEAT:
        s->peer->rx_hbt++;
        break;
    default:
        break;
    }
}

/* Returns 0, or -EBADMSG for a message that breaks the session. */
static int on_msg(struct psess *s, const struct peers_msg *m)
{
    if (m->cls == PEERS_CLASS_CONTROL) {
        on_control(s, m->type);
        return 0;
    }
    if (m->cls == PEERS_CLASS_ERROR)
        return -ECONNABORTED;
    if (m->cls == 255)
        return -EBADMSG;
    if (m->cls != PEERS_CLASS_STKT)
        return 0;
    switch (m->type) {
    case PEERS_STKT_DEFINE:
        return on_define(s, m);
    case PEERS_STKT_SWITCH:
        return on_switch(s, m);
    case PEERS_STKT_UPDATE:
    case PEERS_STKT_INCUPDATE:
    case PEERS_STKT_UPDATE_TIMED:
    case PEERS_STKT_INCUPDATE_TIMED:
        return on_update(s, m);
    case PEERS_STKT_ACK:
        return on_ack(s, m);
    default:
        return 0;
    }
}

/* One ack per table after each batch read, not per update: the peer only
 * keeps the last id it was acknowledged to restart from after a reconnect. */
static void send_acks(struct psess *s)
{
    struct lb_peers *P = s->sec->P;
    struct rtab *rt;
    unsigned i;
    int n;

    for (i = 0; i < s->sec->ntables && s->st == S_ESTAB; i++) {
        rt = &s->peer->tabs[i];
        if (!rt->rdef_ok || rt->last_get == rt->last_acked)
            continue;
        n = peers_ack_build(P->msg, sizeof(P->msg), rt->remote_id, rt->last_get);
        if (n > 0)
            sess_send(s, P->msg, (size_t)n);
        rt->last_acked = rt->last_get;
    }
}

/* ---- session setup ---- */

/* Both directions start here once the handshake succeeded: definitions,
 * our resync request if we are new, then the backlog. */
static void establish(struct psess *s)
{
    struct psec *sec = s->sec;
    struct rpeer *p = s->peer;
    unsigned i;

    s->st = S_ESTAB;
    p->last_status = PEERS_ST_SUCCESS;
    p->last_hdshk = s->estab_at = lk_mono_ms();
    lk_log(LK_LOG_INFO, "peers %s: session with '%s' established (%s)", sec->cfg->sec.name,
           p->cfg->name, s->outgoing ? "outgoing" : "incoming");
    /* resume after what the peer acknowledged last: it has the rest */
    for (i = 0; i < sec->ntables; i++) {
        p->tabs[i].last_pushed = p->tabs[i].acked;
        p->tabs[i].last_get = p->tabs[i].last_acked = 0;
        p->tabs[i].rdef_ok = 0;
        send_def(s, i);
    }
    if (!sec->synced && !sec->learning && !p->no_resync) {
        sec->learning = p;
        send_short(s, PEERS_CLASS_CONTROL, PEERS_CTL_RESYNCREQ);
    }
    push_sess(s, lk_mono_ms());
}

static struct rpeer *peer_named(struct psec *sec, const char *name)
{
    unsigned i;

    for (i = 0; i < sec->npeers; i++)
        if (strcmp(sec->peers[i].cfg->name, name) == 0)
            return &sec->peers[i];
    return NULL;
}

static void reply_status(struct psess *s, int code)
{
    char line[8];
    int n = snprintf(line, sizeof(line), "%d\n", code);

    sess_send(s, line, (size_t)n);
}

/* Both ends connect at start and HAProxy lets a new connection from a peer
 * replace the one it has: two connections crossing would each kill the
 * other. So ours wins when the peer has seen it (our hello is out, or it
 * just answered 200): the peer's gets "try again later", HAProxy's answer
 * to such a duplicate, and keeps ours. Any other session is replaced, as
 * HAProxy does (a restarted peer's new connection). */
static int crossing(const struct psess *old)
{
    return old->outgoing &&
           (old->st == S_STATUS || (old->st == S_ESTAB && lk_mono_ms() - old->estab_at < 2000));
}

/* The caller's three lines: checked against our name and our peers; a
 * known peer that already has a session loses it to this one unless the
 * two connections crossed. */
static int on_hello(struct psess *s)
{
    struct peers_hello h;
    struct rpeer *p;
    int st = 0, n = peers_hello_parse(s->rbuf, s->rlen, &h, &st);

    if (n == 0)
        return s->rlen > PEERS_HELLO_MAX ? (reply_status(s, PEERS_ST_ERRPROTO), -EPROTO) : 0;
    if (n < 0) {
        reply_status(s, st);
        return n;
    }
    if (strcmp(h.to, s->sec->cfg->local->name) != 0) {
        reply_status(s, PEERS_ST_ERRHOST);
        return -EPROTO;
    }
    if (!(p = peer_named(s->sec, h.from))) {
        reply_status(s, PEERS_ST_ERRPEER);
        return -EPROTO;
    }
    if (p->sess && crossing(p->sess)) {
        p->coll++;
        reply_status(s, PEERS_ST_TRYAGAIN);
        return -EAGAIN;
    }
    if (p->sess) {
        p->coll++;
        sess_close(p->sess, "replaced by a new connection from the peer");
    }
    p->sess = s;
    s->peer = p;
    p->new_conn++;
    memmove(s->rbuf, s->rbuf + n, s->rlen - (size_t)n);
    s->rlen -= (size_t)n;
    reply_status(s, PEERS_ST_SUCCESS);
    establish(s);
    return 1;
}

static int on_status(struct psess *s)
{
    int code = 0, n = peers_status_parse(s->rbuf, s->rlen, &code);

    if (n == 0)
        return s->rlen > 16 ? -EPROTO : 0;
    if (n < 0)
        return n;
    s->peer->last_status = code;
    s->peer->last_hdshk = lk_mono_ms();
    if (code != PEERS_ST_SUCCESS)
        return -ECONNREFUSED;
    memmove(s->rbuf, s->rbuf + n, s->rlen - (size_t)n);
    s->rlen -= (size_t)n;
    establish(s);
    return 1;
}

/* Messages until the buffer holds only part of one; a malformed one gets
 * a protocol error message (size limit for an oversized one) before the
 * session closes, as HAProxy answers. */
static int on_messages(struct psess *s)
{
    struct peers_msg m;
    size_t off = 0;
    int n, r = 0;

    while (s->st == S_ESTAB && off < s->rlen) {
        n = peers_msg_parse(s->rbuf + off, s->rlen - off, &m);
        if (n == 0)
            break;
        r = n < 0 ? n : on_msg(s, &m);
        if (r < 0)
            break;
        off += (size_t)n;
    }
    if (r == -EBADMSG || r == -EMSGSIZE) {
        s->peer->proto_err++;
        send_short(s, PEERS_CLASS_ERROR, r == -EMSGSIZE ? PEERS_ERR_SIZELIMIT : PEERS_ERR_PROTOCOL);
        return r;
    }
    if (r < 0)
        return r;
    memmove(s->rbuf, s->rbuf + off, s->rlen - off);
    s->rlen -= off;
    send_acks(s);
    push_sess(s, lk_mono_ms());
    return 0;
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct psess *s = h->data;
    size_t want = s->rlen + 16384;
    uint8_t *nb;

    (void)hint;
    if (s->rcap < want) {
        nb = realloc(s->rbuf, want);
        if (!nb) {
            *buf = uv_buf_init(NULL, 0);
            return;
        }
        s->rbuf = nb;
        s->rcap = want;
    }
    *buf = uv_buf_init((char *)s->rbuf + s->rlen, (unsigned)(s->rcap - s->rlen));
}

static const char *errname(int r)
{
    return r == -EBADMSG    ? "malformed message"
           : r == -EMSGSIZE ? "message too large"
           : r == -EPROTO   ? "handshake refused"
           : r == -EAGAIN   ? "crossed our own connection"
                            : "closed";
}

static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct psess *s = st->data;
    int r = 0;

    (void)buf;
    if (nread < 0) {
        sess_close(s, nread == UV_EOF ? "closed by the peer" : uv_strerror((int)nread));
        return;
    }
    if (nread == 0)
        return;
    s->rlen += (size_t)nread;
    s->last_rx = lk_mono_ms();
    if (s->st == S_HELLO)
        r = on_hello(s);
    else if (s->st == S_STATUS)
        r = on_status(s);
    if (r >= 0 && s->st == S_ESTAB)
        r = on_messages(s);
    if (r < 0)
        sess_close(s, errname(r));
}

static struct psess *sess_new(struct psec *sec)
{
    struct psess *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    if (uv_tcp_init(&sec->P->d->loop, &s->tcp) < 0) {
        free(s);
        return NULL;
    }
    s->tcp.data = s;
    s->sec = sec;
    s->tab_in = s->tab_out = -1;
    s->started = s->last_rx = s->last_tx = lk_mono_ms();
    return s;
}

static void close_cb(uv_handle_t *h)
{
    struct psess *s = h->data;

    free(s->rbuf);
    free(s);
}

static void sess_close(struct psess *s, const char *why)
{
    struct rpeer *p = s->peer;

    if (s->st == S_CLOSED)
        return;
    if (p && p->sess == s) {
        if (s->st == S_ESTAB)
            lk_log(LK_LOG_INFO, "peers %s: session with '%s' closed: %s", s->sec->cfg->sec.name,
                   p->cfg->name, why);
        p->sess = NULL;
        p->next_connect = lk_mono_ms() + RECONNECT_MS;
        if (s->sec->learning == p)
            s->sec->learning = NULL;
    }
    s->st = S_CLOSED;
    uv_close((uv_handle_t *)&s->tcp, close_cb);
}

static void connect_cb(uv_connect_t *req, int status)
{
    struct psess *s = req->handle->data;
    struct lb_peers *P = s->sec->P;
    int n;

    if (s->st == S_CLOSED)
        return;
    if (status < 0) {
        sess_close(s, uv_strerror(status));
        return;
    }
    n = peers_hello_build(P->msg, sizeof(P->msg), s->peer->cfg->name, s->sec->cfg->local->name,
                          (long)getpid());
    s->st = S_STATUS;
    if (n > 0)
        sess_send(s, P->msg, (size_t)n);
    if (uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb) < 0)
        sess_close(s, "cannot read");
}

static void peer_connect(struct rpeer *p)
{
    struct psess *s = sess_new(p->sec);

    p->next_connect = lk_mono_ms() + RECONNECT_MS;
    if (!s)
        return;
    s->peer = p;
    p->sess = s;
    p->new_conn++;
    s->outgoing = 1;
    s->st = S_CONNECTING;
    if (uv_tcp_connect(&s->creq, &s->tcp, &p->cfg->addr.u.sa, connect_cb) < 0)
        sess_close(s, "cannot connect");
}

static void accept_cb(uv_stream_t *l, int status)
{
    struct psec *sec = l->data;
    struct psess *s;

    if (status < 0 || !(s = sess_new(sec)))
        return;
    s->st = S_HELLO;
    if (uv_accept(l, (uv_stream_t *)&s->tcp) < 0 ||
        uv_read_start((uv_stream_t *)&s->tcp, alloc_cb, read_cb) < 0)
        sess_close(s, "accept failed");
}

/* ---- timers ---- */

/* HAProxy closes a session that brings nothing for 5 s, so a heartbeat
 * goes out after 3 s of our own silence; the same 5 s rule applies to the
 * peer. The tick also retries pushes a backlog held back. */
static void tick_sess(struct psess *s, uint64_t now)
{
    if (s->st == S_CONNECTING && now - s->started > CONNECT_TIMEOUT) {
        sess_close(s, "connect timeout");
        return;
    }
    if (s->st == S_STATUS && now - s->started > DEAD_MS) {
        sess_close(s, "no handshake status");
        return;
    }
    if (s->st != S_ESTAB)
        return;
    if (now - s->last_rx >= DEAD_MS) {
        sess_close(s, "nothing received for 5 s");
        return;
    }
    if (now - s->last_tx >= HEARTBEAT_MS) {
        send_short(s, PEERS_CLASS_CONTROL, PEERS_CTL_HEARTBEAT);
        s->peer->tx_hbt++;
    }
    push_sess(s, now);
}

static void tick_cb(uv_timer_t *t)
{
    struct lb_peers *P = t->data;
    uint64_t now = lk_mono_ms();
    struct rpeer *p;
    unsigned i, j;

    for (i = 0; i < P->nsecs; i++) {
        if (!P->secs[i].synced && now >= P->secs[i].resync_deadline)
            P->secs[i].synced = 1;
        for (j = 0; j < P->secs[i].npeers; j++) {
            p = &P->secs[i].peers[j];
            if (p->sess)
                tick_sess(p->sess, now);
            else if (now >= p->next_connect && !P->stopping)
                peer_connect(p);
        }
    }
}

static void wake_cb(uv_async_t *a)
{
    push_all(a->data);
}

/* Called by any worker thread, under the table's lock: only wakes the
 * control loop (uv_async_send is thread-safe and coalesces). */
static void table_changed(void *arg)
{
    uv_async_send(arg);
}

/* ---- start / stop ---- */

/* The peers port is bound by the worker itself, not handed over by the
 * master: a reload's new worker must bind it while the old one is still
 * serving (SO_REUSEPORT), and the master never speaks the protocol. */
static int listen_on(struct psec *sec, const struct lk_addr *a)
{
    int fd, one = 1, r;

    fd = socket(a->u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    /* SO_REUSEPORT: the next worker binds while this one drains */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
        bind(fd, &a->u.sa, a->len) < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    r = uv_tcp_init(&sec->P->d->loop, &sec->listener);
    if (r < 0) {
        close(fd);
        return r;
    }
    sec->listener.data = sec;
    sec->listening = 1;
    r = uv_tcp_open(&sec->listener, fd);
    if (r < 0)
        close(fd);
    return r < 0 ? r : uv_listen((uv_stream_t *)&sec->listener, 128, accept_cb);
}

static void def_of(struct ptab *pt, unsigned id)
{
    static const uint8_t kt[] = {[LB_STK_IP] = PEERS_KT_IPV4,
                                 [LB_STK_IPV6] = PEERS_KT_IPV6,
                                 [LB_STK_INT] = PEERS_KT_SINT,
                                 [LB_STK_STR] = PEERS_KT_STR,
                                 [LB_STK_BIN] = PEERS_KT_BIN};
    const struct lb_stktable *t = pt->t;
    int d;

    memset(&pt->def, 0, sizeof(pt->def));
    pt->def.id = id;
    pt->def.name = t->wire_name ? t->wire_name : t->name;
    pt->def.namelen = strlen(pt->def.name);
    pt->def.keytype = kt[t->type];
    pt->def.keylen = t->wire_keylen;
    pt->def.data = t->store;
    pt->def.expire = t->expire_ms;
    for (d = 0; d < LB_STK_DATA_MAX; d++)
        pt->def.period[d] = t->period_ms[d];
}

static void add_table(struct psec *sec, struct lb_stktable *t)
{
    if (sec->ntables >= sec->cfg->ntables)
        return;
    sec->tabs[sec->ntables].t = t;
    def_of(&sec->tabs[sec->ntables], sec->ntables + 1);
    sec->ntables++;
    pthread_mutex_lock(&t->lock);
    t->on_update = table_changed;
    t->on_update_arg = &sec->P->wake;
    pthread_mutex_unlock(&t->lock);
}

/* Our table ids are 1..n in the order the proxies come in the file;
 * peers match tables by name, the ids only shorten later messages. */
static int sec_init(struct lb_peers *P, struct psec *sec, const struct lb_peers_sec *c)
{
    struct lb_proxy *px;
    unsigned i;

    sec->P = P;
    sec->cfg = c;
    sec->resync_deadline = lk_mono_ms() + RESYNC_MS;
    sec->tabs = calloc(c->ntables ? c->ntables : 1, sizeof(*sec->tabs));
    sec->peers = calloc(c->npeers, sizeof(*sec->peers));
    if (!sec->tabs || !sec->peers)
        return -ENOMEM;
    for (px = P->d->cfg->proxies; px; px = px->next)
        if (px->stk && px->stk->peers == c)
            add_table(sec, px->stk);
    for (i = 0; i < c->nown; i++)
        add_table(sec, c->tables[i]);
    for (i = 0; i < c->npeers; i++) {
        if (c->peers[i].local)
            continue;
        sec->peers[sec->npeers].sec = sec;
        sec->peers[sec->npeers].cfg = &c->peers[i];
        sec->peers[sec->npeers].tabs = calloc(sec->ntables ? sec->ntables : 1, sizeof(struct rtab));
        if (!sec->peers[sec->npeers].tabs)
            return -ENOMEM;
        sec->npeers++;
    }
    /* alone in its section: nobody to learn from */
    sec->synced = sec->npeers == 0;
    return listen_on(sec, c->local->has_addr ? &c->local->addr : &c->bind);
}

int lb_peers_start(struct lb_daemon *d)
{
    const struct lb_peers_sec *c;
    struct lb_cfgsec *s;
    struct lb_peers *P;
    unsigned n = 0;
    int r;

    for (s = d->cfg->peers; (c = lb_peers_sec_of(s)); s = s->next)
        n += c->local && !c->disabled;
    if (!n)
        return 0;
    P = calloc(1, sizeof(*P));
    if (!P || !(P->secs = calloc(n, sizeof(*P->secs)))) {
        free(P);
        return lk_log_errno(-ENOMEM, LK_LOG_ERR, "peers: out of memory");
    }
    P->d = d;
    d->peers = P;
    uv_timer_init(&d->loop, &P->tick);
    P->tick.data = P;
    uv_async_init(&d->loop, &P->wake, wake_cb);
    P->wake.data = P;
    for (s = d->cfg->peers; (c = lb_peers_sec_of(s)); s = s->next) {
        if (!c->local || c->disabled)
            continue;
        r = sec_init(P, &P->secs[P->nsecs++], c);
        if (r < 0)
            return lk_log_errno(r, LK_LOG_ERR, "peers %s: cannot listen as '%s': %s", c->sec.name,
                                c->local->name, uv_strerror(r));
    }
    uv_timer_start(&P->tick, tick_cb, 0, TICK_MS);
    return 0;
}

void lb_peers_stop(struct lb_daemon *d)
{
    struct lb_peers *P = d->peers;
    unsigned i, j;

    if (!P || P->stopping)
        return;
    P->stopping = 1;
    for (i = 0; i < P->nsecs; i++) {
        for (j = 0; j < P->secs[i].npeers; j++)
            if (P->secs[i].peers[j].sess)
                sess_close(P->secs[i].peers[j].sess, "stopping");
        if (P->secs[i].listening)
            uv_close((uv_handle_t *)&P->secs[i].listener, NULL);
        for (j = 0; j < P->secs[i].ntables; j++) {
            pthread_mutex_lock(&P->secs[i].tabs[j].t->lock);
            P->secs[i].tabs[j].t->on_update = NULL;
            pthread_mutex_unlock(&P->secs[i].tabs[j].t->lock);
        }
    }
    uv_close((uv_handle_t *)&P->tick, NULL);
    uv_close((uv_handle_t *)&P->wake, NULL);
}

void lb_peers_free(struct lb_daemon *d)
{
    struct lb_peers *P = d->peers;
    unsigned i, j;

    if (!P)
        return;
    for (i = 0; i < P->nsecs; i++) {
        for (j = 0; j < P->secs[i].npeers; j++)
            free(P->secs[i].peers[j].tabs);
        free(P->secs[i].peers);
        free(P->secs[i].tabs);
    }
    free(P->secs);
    free(P);
    d->peers = NULL;
}

/* ---- show peers ---- */

static const char *status_name(int code)
{
    switch (code) {
    case 0:
        return "NONE";
    case PEERS_ST_SUCCESS:
        return "ESTA";
    case PEERS_ST_TRYAGAIN:
        return "RETR";
    case PEERS_ST_ERRPROTO:
        return "PROT";
    case PEERS_ST_ERRVERSION:
        return "VERS";
    case PEERS_ST_ERRHOST:
        return "NAME";
    case PEERS_ST_ERRPEER:
        return "UNKN";
    default:
        return "CONN";
    }
}

static void show_addr(struct lk_sb *sb, const struct lk_addr *a)
{
    char ip[64];

    lk_addr_ip_str(a, ip, sizeof(ip));
    lk_sb_printf(sb, "%s:%u", ip, lk_addr_port(a));
}

static void show_peer(struct lk_sb *sb, const struct rpeer *p, uint64_t now)
{
    const struct psess *s = p->sess;
    unsigned i;

    lk_sb_printf(sb, "  %p: id=%s(remote,%s) addr=", (const void *)p, p->cfg->name,
                 s && s->st == S_ESTAB ? "active" : "inactive");
    show_addr(sb, &p->cfg->addr);
    lk_sb_printf(sb, " last_status=%s", status_name(p->last_status));
    if (p->last_hdshk)
        lk_sb_printf(sb, " last_hdshk=%llums", (unsigned long long)(now - p->last_hdshk));
    else
        lk_sb_puts(sb, " last_hdshk=<NEVER>");
    lk_sb_printf(sb, "\n        tx_hbt=%u rx_hbt=%u new_conn=%u proto_err=%u coll=%u\n", p->tx_hbt,
                 p->rx_hbt, p->new_conn, p->proto_err, p->coll);
    lk_sb_puts(sb, "        shared tables:\n");
    for (i = 0; i < p->sec->ntables; i++)
        lk_sb_printf(sb,
                     "          local_id=%u remote_id=%llu remote_data=0x%llx\n"
                     "              last_acked=%u last_pushed=%u last_get=%u update=%u\n"
                     "              table: id=%s localupdate=%u\n",
                     i + 1, (unsigned long long)p->tabs[i].remote_id,
                     (unsigned long long)(p->tabs[i].rdef_ok ? p->tabs[i].rdef.data : 0),
                     p->tabs[i].last_acked, p->tabs[i].last_pushed, p->tabs[i].last_get,
                     p->tabs[i].acked, p->sec->tabs[i].t->name, p->sec->tabs[i].t->localupdate);
}

int lb_peers_show(struct lb_daemon *d, const char *name, struct lk_sb *sb)
{
    struct lb_peers *P = d->peers;
    const struct psec *sec;
    uint64_t now = lk_mono_ms();
    unsigned i, j, found = 0;

    for (i = 0; P && i < P->nsecs; i++) {
        sec = &P->secs[i];
        if (name && strcmp(name, sec->cfg->sec.name) != 0)
            continue;
        found++;
        lk_sb_printf(sb, "%p: id=%s disabled=0 resync=%s\n", (const void *)sec, sec->cfg->sec.name,
                     sec->synced ? "finished" : "pending");
        lk_sb_printf(sb, "  %p: id=%s(local,inactive) addr=", (const void *)sec->cfg->local,
                     sec->cfg->local->name);
        show_addr(sb, sec->cfg->local->has_addr ? &sec->cfg->local->addr : &sec->cfg->bind);
        lk_sb_puts(sb, "\n");
        for (j = 0; j < sec->npeers; j++)
            show_peer(sb, &sec->peers[j], now);
        lk_sb_puts(sb, "\n");
    }
    return name && !found ? -ENOENT : 0;
}
