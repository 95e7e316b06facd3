/* hc.c - see hc.h. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/cmdsrv.h"
#include "common/compiler.h"
#include "common/inbuf.h"
#include "common/log.h"
#include "lbd/cfg/check_cfg.h"
#include "lbd/core/daemon.h"
#include "lbd/core/mwlink.h"
#include "lbd/core/server.h"
#include "lbd/core/tlog.h"
#include "lbd/ctl/hc.h"
#include "lbd/ctl/hclog.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define TICK_MS        100
#define LINE_MAX_BYTES (16u << 20) /* a snapshot of many thousand targets */

struct hc_srv {
    char id[FEED_ID_MAX];
    struct lb_server *s;
    struct feed_target t;
    uint64_t last_cum, last_fail; /* passive health: counters at the last tick */
    unsigned consecutive;         /* failed attempts with no success between */
    int known;                    /* a verdict of checkd arrived */
    int admin_sent;               /* LB_SRV_MAINT/DRAIN told to checkd, or UP */
    enum lb_srv_state want;       /* ... and what it says */
    int agent;                    /* the entry of the server's agent-check, not its check */
    int agent_down;               /* agent: its last word was down/fail/stopped */
    char reply[FEED_REASON_MAX];  /* agent: its last reply, applied */
};

struct lb_hc {
    struct lb_daemon *d;
    char *path;
    uv_pipe_t pipe;
    uv_connect_t creq;
    uv_timer_t retry;
    uv_timer_t tick; /* passive health samples, re-applying verdicts */
    int tick_on;
    struct hc_srv *srv;
    size_t nsrv;
    struct lk_inbuf in; /* the feed's partial line */
    uint64_t backoff_ms;
    int pipe_open; /* pipe handle initialised and not closing */
    int connected;
    int stopping;
    int lost_logged; /* "checkd unreachable" said once per outage */
    int synced;      /* first snapshot of this connection handled */
    unsigned handles;
    struct lk_ratelimit rl;
    struct lb_tlog tlog; /* HAProxy's health lines to the backends' log targets */
};

/* ---- configuration -> registrations ---- */

enum lb_srv_state lb_hc_state(enum feed_state st)
{
    /* DRAIN in the feed is an admin state mirrored from lbd: health-wise UP */
    return st == FEED_UP || st == FEED_DRAIN ? LB_SRV_UP
           : st == FEED_MAINT                ? LB_SRV_MAINT
                                             : LB_SRV_DOWN;
}

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

void lb_hc_target(const struct lb_proxy *px, const struct lb_server *s, struct feed_target *t)
{
    char addr[LK_ADDR_STRLEN];
    uint64_t conn;

    feed_target_defaults(t);
    snprintf(t->id, sizeof(t->id), "%s/%s", px->name, s->name);
    /* the address in effect ("set server addr" changes it at run time) */
    copy(t->addr, sizeof(t->addr), lk_addr_str(atomic_load(&s->cur_addr), addr, sizeof(addr)));
    if (s->check_port || s->check_addr[0]) { /* "port N", "addr IP": the check's own */
        lk_addr_ip_str(atomic_load(&s->cur_addr), addr, sizeof(addr));
        if (s->check_addr[0])
            copy(addr, sizeof(addr), s->check_addr);
        memset(t->addr, 0, sizeof(t->addr)); /* the target is compared whole */
        snprintf(t->addr, sizeof(t->addr), strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr,
                 s->check_port ? s->check_port : lk_addr_port(atomic_load(&s->cur_addr)));
    }
    copy(t->owner, sizeof(t->owner), "lbd");
    lb_check_target(px, t); /* kind, request, expectation, users, steps */
    /* HAProxy 2.6 (check-send-proxy in configuration.txt): a send-proxy
     * server's checks send the header too unless they have their own port
     * or address; check-send-proxy sends it always; v2 if the server
     * speaks v2 */
    if (s->check_send_proxy || (s->send_proxy && !s->check_port && !s->check_addr[0]))
        t->send_proxy = s->send_proxy == 2 ? 2 : 1;
    t->inter_ms = s->inter;
    t->fastinter_ms = s->fastinter;
    t->downinter_ms = s->downinter;
    t->rise = s->rise;
    t->fall = s->fall;
    /* HAProxy: without "timeout check" the whole check gets "inter"; with
     * it, the connect gets min(timeout connect, inter), the rest the check
     * timeout */
    conn = px->to.connect ? LK_MIN(px->to.connect, s->inter) : s->inter;
    t->timeout_ms = px->to.check ? conn + px->to.check : s->inter;
    /* an external check has "inter" to exit, whatever "timeout check" says */
    if (t->kind == FEED_KIND_EXTERNAL)
        t->timeout_ms = s->inter;
    lb_check_external_target(px, s, t);
    if (s->init_state == LB_SRV_UP || s->init_state == LB_SRV_DOWN)
        copy(t->init, sizeof(t->init), s->init_state == LB_SRV_UP ? "up" : "down");
}

/* The agent is a separate checkd target ("BE/SRV/agent") with rise = fall =
 * 1: every reply counts at once, as HAProxy applies each agent answer as it
 * comes. */
void lb_hc_agent_target(const struct lb_proxy *px, const struct lb_server *s, struct feed_target *t)
{
    char ip[LK_ADDR_STRLEN];

    feed_target_defaults(t);
    snprintf(t->id, sizeof(t->id), "%s/%s/agent", px->name, s->name);
    lk_addr_ip_str(atomic_load(&s->cur_addr), ip, sizeof(ip));
    if (s->agent_addr[0])
        copy(ip, sizeof(ip), s->agent_addr);
    snprintf(t->addr, sizeof(t->addr), strchr(ip, ':') ? "[%s]:%u" : "%s:%u", ip, s->agent_port);
    copy(t->owner, sizeof(t->owner), "lbd");
    t->kind = FEED_KIND_AGENT;
    t->inter_ms = s->agent_inter ? s->agent_inter : s->inter;
    t->timeout_ms = px->to.check ? px->to.check : t->inter_ms;
    t->rise = t->fall = 1;
    copy(t->agent_send, sizeof(t->agent_send), s->agent_send);
}

int lb_hc_agent_parse(const char *reply, struct lb_agent_reply *out)
{
    char buf[FEED_REASON_MAX], *w, *save = NULL;
    const char *d;
    uint64_t n;
    size_t len;

    *out = (struct lb_agent_reply){.weight_pct = -1, .maxconn = -1};
    copy(buf, sizeof(buf), reply);
    for (w = strtok_r(buf, " \t,\r\n", &save); w; w = strtok_r(NULL, " \t,\r\n", &save)) {
        len = strlen(w);
        if (w[0] == '#') { /* a word starting with '#': the rest describes the state */
            d = reply + (w - buf) + 1;
            d += strspn(d, " \t");
            snprintf(out->desc, sizeof(out->desc), "%.*s", (int)strcspn(d, "\r\n"), d);
            break;
        }
        if (len > 1 && w[len - 1] == '%') {
            w[len - 1] = '\0';
            if (lk_parse_uint(w, 0, 100, &n) == 0)
                out->weight_pct = (int)n;
        } else if (strncmp(w, "maxconn:", 8) == 0) {
            if (lk_parse_uint(w + 8, 0, 10000000, &n) == 0)
                out->maxconn = (int)n;
        } else if (strcmp(w, "ready") == 0 || strcmp(w, "drain") == 0 || strcmp(w, "maint") == 0) {
            out->admin = w[0] == 'r'   ? LB_AGENT_READY
                         : w[0] == 'd' ? LB_AGENT_DRAIN
                                       : LB_AGENT_MAINT;
        } else if (strcmp(w, "up") == 0) {
            out->op = LB_AGENT_UP;
            copy(out->word, sizeof(out->word), w);
        } else if (strcmp(w, "down") == 0 || strcmp(w, "fail") == 0 || strcmp(w, "stopped") == 0) {
            out->op = LB_AGENT_DOWN;
            copy(out->word, sizeof(out->word), w);
        }
        /* anything else is ignored, as HAProxy does ("down#x" is not "down") */
    }
    return 0;
}

/* ---- the feed connection ---- */

/* Linear over the servers with checks: called once per feed status, and a
 * feed line is per change, not per check, so this is not on a hot path. */
static struct hc_srv *lookup(struct lb_hc *h, const char *id)
{
    size_t i;

    for (i = 0; i < h->nsrv; i++)
        if (strcmp(h->srv[i].id, id) == 0)
            return &h->srv[i];
    return NULL;
}

/* The check entry (agent 0) or the agent entry (agent 1) of s. */
static struct hc_srv *by_server(struct lb_hc *h, const struct lb_server *s, int agent)
{
    size_t i;

    for (i = 0; i < h->nsrv; i++)
        if (h->srv[i].s == s && h->srv[i].agent == agent)
            return &h->srv[i];
    return NULL;
}

/* A reason in HAProxy's form, 'DESC[, code: N][, info: "INFO"]', gives
 * show stat's check_desc and last_chk as HAProxy fills them; any other
 * reason is all description. */
static void split_reason(struct lb_server *s, const char *reason)
{
    const char *code = strstr(reason, ", code: "), *info = strstr(reason, ", info: \"");
    const char *end = code ? code : info;
    size_t n;

    n = end ? (size_t)(end - reason) : strlen(reason);
    snprintf(s->check_desc, sizeof(s->check_desc), "%.*s", (int)n, reason);
    s->last_chk[0] = '\0';
    if (info) {
        info += strlen(", info: \"");
        n = strlen(info);
        snprintf(s->last_chk, sizeof(s->last_chk), "%.*s",
                 (int)(n && info[n - 1] == '"' ? n - 1 : n), info);
    }
}

/* The check columns of "show stat" and the stats page (control thread
 * only, as these fields are). */
static void copy_check(struct lb_server *s, const struct feed_status *st)
{
    if (st->result == FEED_RES_INI)
        return; /* not checked yet */
    if (st->health < s->check_health)
        s->chkfail++;
    s->check_health = st->health;
    s->check_code = st->code > 0 ? st->code : 0;
    s->check_duration_ms = (int)LK_MIN(st->latency_us / 1000, (uint64_t)INT32_MAX);
    snprintf(s->check_status, sizeof(s->check_status), "%s", feed_result_name(st->result));
    split_reason(s, st->reason);
    s->last_check_ms = lk_mono_ms();
}

static void hclog(struct lb_hc *h, const struct lb_server *s, int level, const char *line, size_t n)
{
    lb_tlog_send(&h->tlog, s->be, &h->d->cfg->global, level, line, n);
}

/* "option log-health-checks": HAProxy logs each result that moves the
 * health counter (and the first one). */
static void log_check(struct lb_hc *h, const struct lb_server *s, const struct feed_status *st)
{
    char line[FEED_REASON_MAX + 256];
    size_t n;

    n = lb_hclog_check(line, sizeof(line), s, st);
    hclog(h, s, LB_HCLOG_CHECK_LEVEL, line, n);
}

/* HAProxy's "Server B/S is UP|DOWN ..." line (reason NULL: without it),
 * and the one about an empty backend. */
static void log_server_line(struct lb_hc *h,
                            const struct lb_server *s,
                            enum lb_hclog_move move,
                            const char *reason,
                            unsigned duration_ms)
{
    char line[FEED_REASON_MAX + 256];
    size_t n;

    n = lb_hclog_server(line, sizeof(line), s, move, reason, duration_ms);
    hclog(h, s, move == LB_HCMOVE_DOWN ? LB_HCLOG_DOWN_LEVEL : LB_HCLOG_CHECK_LEVEL, line, n);
    /* a stopping server takes no new traffic either: HAProxy says the
     * backend is empty after the last one stops */
    if (move != LB_HCMOVE_UP && lb_hclog_backend_empty(s)) {
        n = (size_t)snprintf(line, sizeof(line), "backend %s has no server available!",
                             s->be->name);
        hclog(h, s, LB_HCLOG_EMPTY_LEVEL, line, LK_MIN(n, sizeof(line) - 1));
    }
}

/* After a check's transition; under log-health-checks the reason was in
 * the check line already. */
static void log_transition(struct lb_hc *h,
                           const struct lb_server *s,
                           const struct feed_status *st,
                           enum lb_srv_state to)
{
    log_server_line(h, s,
                    to == LB_SRV_DRAIN ? LB_HCMOVE_STOPPING
                    : to == LB_SRV_UP  ? LB_HCMOVE_UP
                                       : LB_HCMOVE_DOWN,
                    (s->be->options & LB_OPT_LOG_HEALTH_CHECKS) ? NULL : st->reason,
                    (unsigned)(st->latency_us / 1000));
}

static void hclog(struct lb_hc *h,
                  const struct lb_server *s,
                  int level,
                  const char *line,
                  size_t n);
static void log_server_line(struct lb_hc *h,
                            const struct lb_server *s,
                            enum lb_hclog_move move,
                            const char *reason,
                            unsigned duration_ms);

static void log_admin(struct lb_hc *h, const struct lb_server *s, enum lb_hclog_admin what)
{
    char line[256];
    int level;
    size_t n = lb_hclog_admin(line, sizeof(line), s, what, &level);

    hclog(h, s, level, line, n);
}

/* What check and agent together say: DOWN if either does. */
static enum lb_srv_state agent_health(const struct hc_srv *hs, const struct hc_srv *chk)
{
    if (hs->agent_down)
        return LB_SRV_DOWN;
    return !chk || !chk->known || chk->want == LB_SRV_UP ? LB_SRV_UP : LB_SRV_DOWN;
}

/* drain/maint from the agent, and "ready" out of them (HAProxy's lines) */
static void agent_admin(struct lb_hc *h,
                        struct hc_srv *hs,
                        struct hc_srv *chk,
                        enum lb_agent_admin admin,
                        const char *why)
{
    struct lb_server *s = hs->s;
    enum lb_srv_state cur = (enum lb_srv_state)atomic_load(&s->state), to;

    if (admin == LB_AGENT_DRAIN || admin == LB_AGENT_MAINT) {
        to = admin == LB_AGENT_DRAIN ? LB_SRV_DRAIN : LB_SRV_MAINT;
        if (cur == to)
            return;
        s->agent_mark = to == LB_SRV_DRAIN;
        lb_server_transition(s, to, LB_CAUSE_AGENT, why);
        log_admin(h, s, to == LB_SRV_DRAIN ? LB_HCLOG_DRAIN_ENTER : LB_HCLOG_MAINT_ENTER);
        return;
    }
    to = agent_health(hs, chk);
    s->agent_mark = hs->agent_down;
    lb_server_transition(s, to, LB_CAUSE_AGENT, why);
    log_admin(h, s, cur == LB_SRV_DRAIN ? LB_HCLOG_DRAIN_LEAVE : LB_HCLOG_MAINT_LEAVE);
}

/* The agent's reply ('Layer7 check passed, code: 0, info: "75% drain"'):
 * weight, maxconn, and the state words, through the one transition with
 * the agent as cause. An agent that cannot be reached changes nothing:
 * reachability is the health check's business, as in HAProxy. */
static void apply_agent(struct lb_hc *h,
                        struct hc_srv *hs,
                        struct hc_srv *chk,
                        const struct feed_status *st)
{
    const char *info = strstr(st->reason, ", info: \"");
    struct lb_server *s = hs->s;
    struct lb_agent_reply a;
    char line[FEED_REASON_MAX], why[FEED_REASON_MAX + 256];
    enum lb_srv_state cur = (enum lb_srv_state)atomic_load(&s->state), to;
    size_t n;

    if (st->result != FEED_RES_L7OK || !info || strcmp(hs->reply, st->reason) == 0)
        return;
    copy(hs->reply, sizeof(hs->reply), st->reason);
    info += strlen(", info: \"");
    n = strlen(info);
    snprintf(line, sizeof(line), "%.*s", (int)(n && info[n - 1] == '"' ? n - 1 : n), info);
    lb_hc_agent_parse(line, &a);
    /* HAProxy's words: 'Layer7 wrong status, code: 0, info: "via agent : down (disk full)"' */
    snprintf(why, sizeof(why), "Layer7 %s, code: 0, info: \"via agent : %s%s%s%s\"",
             a.op == LB_AGENT_DOWN ? "wrong status" : "check passed", a.word[0] ? a.word : line,
             a.desc[0] ? " (" : "", a.desc, a.desc[0] ? ")" : "");
    if (a.weight_pct >= 0)
        lb_server_set_weight(s, s->weight * (unsigned)a.weight_pct / 100);
    if (a.maxconn >= 0)
        atomic_store(&s->maxconn, (unsigned)a.maxconn);
    if (a.op != LB_AGENT_NONE)
        hs->agent_down = a.op == LB_AGENT_DOWN;
    if (a.admin == LB_AGENT_DRAIN || a.admin == LB_AGENT_MAINT ||
        (a.admin == LB_AGENT_READY && (cur == LB_SRV_DRAIN || cur == LB_SRV_MAINT))) {
        agent_admin(h, hs, chk, a.admin, why);
        return;
    }
    if (cur != LB_SRV_UP && cur != LB_SRV_DOWN)
        return; /* in drain/maint until "ready" */
    to = agent_health(hs, chk);
    s->agent_mark = hs->agent_down;
    if (to == cur)
        return;
    lb_server_transition(s, to, LB_CAUSE_AGENT, why);
    log_server_line(h, s, to == LB_SRV_UP ? LB_HCMOVE_UP : LB_HCMOVE_DOWN, why,
                    (unsigned)(st->latency_us / 1000));
}

/* The feed is checkd's view; lbd's own state may differ (operator MAINT,
 * agent down, passive health), so a verdict is recorded first (known, want)
 * and then applied only where lbd's state lets it. resync() re-applies it
 * later when the blocking state ends. */
static void apply(struct lb_hc *h, const struct feed_status *st)
{
    struct hc_srv *hs = lookup(h, st->id);
    enum lb_srv_state want, cur;
    char why[sizeof(st->reason) + 64];
    struct hc_srv *ag;
    unsigned prev_health;
    int first;

    if (!hs || (hs->s->flags & LB_SRV_F_DELETED))
        return; /* a target of checkd's own config, or of another lbd */
    if (hs->agent) {
        apply_agent(h, hs, by_server(h, hs->s, 0), st);
        return;
    }
    /* "not checked yet" is no verdict: a checkd that restarted (every
     * target new to it, UP by the default init-state) must not undo the
     * state lbd holds until it has checked; a server without a verdict yet
     * (lbd just started) takes the initial state */
    if (st->result == FEED_RES_INI && hs->known)
        return;
    prev_health = hs->s->check_health;
    first = !hs->s->check_status[0];
    copy_check(hs->s, st);
    if ((hs->s->be->options & LB_OPT_LOG_HEALTH_CHECKS) && st->result != FEED_RES_INI &&
        st->state != FEED_MAINT && (first || st->health != prev_health))
        log_check(h, hs->s, st);
    if (st->state != FEED_MAINT) {
        hs->known = 1;
        hs->want = lb_hc_state(st->state);
    }
    cur = (enum lb_srv_state)atomic_load(&hs->s->state);
    /* operator decisions (MAINT, DRAIN on lbd.sock, "disabled") win; NOLB
     * is the checks' own */
    if (cur != LB_SRV_UP && cur != LB_SRV_DOWN && !(cur == LB_SRV_DRAIN && hs->s->nolb_mark))
        return;
    want = lb_hc_state(st->state);
    /* http-check disable-on-404: an UP server answering 404 takes no new
     * traffic (HAProxy's NOLB, shown as such) until a 2xx/3xx; persistence
     * still reaches it, as a drained server */
    if (want == LB_SRV_UP && st->result == FEED_RES_L7OKC) /* checkd's disable-on-404 only */
        want = LB_SRV_DRAIN;
    if (want == cur || want == LB_SRV_MAINT)
        return;
    hs->s->nolb_mark = want == LB_SRV_DRAIN;
    ag = by_server(h, hs->s, 1);
    if (want == LB_SRV_UP && ag && ag->agent_down)
        return; /* its agent said down: it stays down until the agent says up */
    snprintf(why, sizeof(why), "%s, check duration: %llums (checkd)", st->reason,
             (unsigned long long)(st->latency_us / 1000));
    lb_server_transition(hs->s, want, LB_CAUSE_CHECK, why);
    log_transition(h, hs->s, st, want);
}

static int send_line(struct lb_hc *h, const char *a, const char *b);

/* An id "BACKEND/SERVER" of one of our backends that is not one of our
 * servers any more was registered by an earlier run with another config:
 * drop it, so checkd does not probe servers nobody balances. */
static int stale(struct lb_hc *h, const char *id)
{
    const char *slash = strchr(id, '/');
    struct lb_proxy *px;

    /* an id with a blank or ';' could not be sent back as one word: it is
     * not ours to unregister */
    if (!slash || lookup(h, id) || strpbrk(id, " \t;\\"))
        return 0;
    for (px = h->d->cfg->proxies; px; px = px->next)
        if ((px->cap & LB_CAP_BE) && strlen(px->name) == (size_t)(slash - id) &&
            strncmp(px->name, id, (size_t)(slash - id)) == 0)
            return 1;
    return 0;
}

static void first_snapshot(struct lb_hc *h, const struct feed_msg *m)
{
    size_t i;

    /* only the first snapshot of a connection: later ones answer a
     * resync, and our own registrations are in them by then */
    h->synced = 1;
    for (i = 0; i < m->n; i++) {
        if (!stale(h, m->st[i].id))
            continue;
        lk_log(LK_LOG_INFO, "checkd: %s is no longer in the configuration, unregistering",
               m->st[i].id);
        send_line(h, "unregister ", m->st[i].id);
    }
}

/* One line of the feed (lk_inbuf_lines); never stops the reading. */
static int handle_line(void *ud, char *line, size_t len)
{
    struct lb_hc *h = ud;
    struct feed_msg m;
    size_t i;

    if (feed_msg_decode((const uint8_t *)line, len, &m) < 0) {
        lk_log_rl(&h->rl, LK_LOG_WARNING, "checkd feed: undecodable line ignored");
        return 0;
    }
    if (m.type == FEED_MSG_SNAPSHOT && !h->synced)
        first_snapshot(h, &m);
    switch (m.type) {
    case FEED_MSG_SNAPSHOT:
    case FEED_MSG_EVENT:
        for (i = 0; i < m.n; i++)
            apply(h, &m.st[i]);
        break;
    case FEED_MSG_MISSED:
        lk_log(LK_LOG_WARNING, "checkd feed: %llu events missed, resynchronising",
               (unsigned long long)m.missed);
        break;
    case FEED_MSG_REPLY:
        if (!m.ok)
            lk_log_rl(&h->rl, LK_LOG_WARNING, "checkd refused a registration: %s", m.text);
        break;
    default:
        break; /* removed: keep the last state (fail-static) */
    }
    feed_msg_clear(&m);
    return 0;
}

static void schedule_retry(struct lb_hc *h);

/* The pipe is embedded in struct lb_hc, so nothing is freed here; a reconnect
 * is scheduled unless the daemon is stopping. */
static void pipe_closed(uv_handle_t *hd)
{
    struct lb_hc *h = hd->data;

    h->handles--;
    if (!h->stopping)
        schedule_retry(h);
}

/* Losing checkd keeps every server in its last state (fail-static): with
 * checkd down, marking everything DOWN would turn a monitoring outage into a
 * service outage. */
static void drop(struct lb_hc *h, const char *why)
{
    if (!h->pipe_open)
        return;
    if (!h->lost_logged && !h->stopping)
        lk_log(LK_LOG_WARNING, "checkd %s: %s; servers keep their last known state", h->path, why);
    h->lost_logged = 1;
    h->pipe_open = 0;
    h->connected = 0;
    h->synced = 0;
    lk_inbuf_reset(&h->in);
    uv_close((uv_handle_t *)&h->pipe, pipe_closed);
}

static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct lb_hc *h = st->data;

    if (nread == 0)
        return;
    if (nread < 0 ||
        lk_inbuf_lines(&h->in, buf->base, (size_t)nread, LINE_MAX_BYTES, handle_line, h) < 0)
        drop(h, nread == UV_EOF ? "closed the feed" : "feed read error");
}

/* A line and its write request in one allocation, pinned until write_done():
 * uv_write reads the buffer after returning. */
struct wreq {
    uv_write_t req;
    size_t len;
    char data[];
};

static void write_done(uv_write_t *req, int status)
{
    free(lk_container_of(req, struct wreq, req));
}

static int send_line(struct lb_hc *h, const char *a, const char *b)
{
    size_t la = strlen(a), lb = b ? strlen(b) : 0;
    struct wreq *w = malloc(sizeof(*w) + la + lb + 1);
    uv_buf_t buf;
    int r;

    if (!w)
        return -ENOMEM;
    memcpy(w->data, a, la);
    memcpy(w->data + la, b ? b : "", lb);
    w->data[la + lb] = '\n';
    w->len = la + lb + 1;
    buf = uv_buf_init(w->data, (unsigned)w->len);
    r = uv_write(&w->req, (uv_stream_t *)&h->pipe, &buf, 1, write_done);
    if (r < 0)
        free(w);
    return r;
}

/* Mirror the operator's MAINT or DRAIN of a server in checkd, once per
 * change: "disable health" / "drain health", and "enable health" when it
 * is back in service. */
static int send_admin(struct lb_hc *h, struct hc_srv *hs)
{
    int st = atomic_load(&hs->s->state), want, r;

    /* NOLB (disable-on-404) is checkd's own verdict, not an operator's */
    want = st == LB_SRV_MAINT || (st == LB_SRV_DRAIN && !hs->s->nolb_mark) ? st : LB_SRV_UP;
    if (want == hs->admin_sent)
        return 0;
    /* from one admin state to the other: back to normal first */
    if (want != LB_SRV_UP && hs->admin_sent != LB_SRV_UP)
        r = send_line(h, "enable health ", hs->id);
    else
        r = 0;
    if (r >= 0)
        r = send_line(h,
                      want == LB_SRV_MAINT   ? "disable health "
                      : want == LB_SRV_DRAIN ? "drain health "
                                             : "enable health ",
                      hs->id);
    if (r >= 0)
        hs->admin_sent = want;
    return r;
}

/* A server waiting for run-time DNS has no address to probe yet: it is
 * registered once it has one (lbd/core/dns.c calls lb_hc_server_update). */
static int no_addr(const struct hc_srv *hs)
{
    return atomic_load(&hs->s->cur_addr)->u.sa.sa_family == AF_UNSPEC;
}

/* Subscribe first, so that the snapshot brings the states checkd already
 * holds (an lbd restart keeps them), then register every server. */
static int send_all(struct lb_hc *h)
{
    char *json, *esc;
    size_t i;
    /* subscribe first: a verdict checkd reaches while we register must not
     * fall between the registration and the feed */
    int r = send_line(h, "subscribe", NULL);

    for (i = 0; r >= 0 && i < h->nsrv; i++) {
        if (no_addr(&h->srv[i]))
            continue;
        json = feed_encode_target(&h->srv[i].t);
        esc = json ? feed_cmd_escape(json) : NULL;
        r = esc ? send_line(h, "register ", esc) : -ENOMEM;
        free(json);
        free(esc);
        /* an operator's maintenance or drain outlives checkd restarts */
        h->srv[i].admin_sent = LB_SRV_UP;
        if (r >= 0)
            r = send_admin(h, &h->srv[i]);
    }
    return r;
}

static void connected(uv_connect_t *req, int status)
{
    struct lb_hc *h = req->data;

    if (h->stopping)
        return;
    if (status < 0) {
        drop(h, uv_strerror(status));
        return;
    }
    /* everything is registered again on each connection: a checkd that
     * restarted knows nothing, one that did not answers "updated" */
    if (uv_read_start((uv_stream_t *)&h->pipe, lk_inbuf_scratch, read_cb) < 0 || send_all(h) < 0) {
        drop(h, "cannot talk to it");
        return;
    }
    h->connected = 1;
    h->backoff_ms = BACKOFF_MIN_MS;
    lk_log(h->lost_logged ? LK_LOG_NOTICE : LK_LOG_INFO,
           "checkd %s: following the feed, %zu servers registered", h->path, h->nsrv);
    h->lost_logged = 0;
}

static void connect_now(struct lb_hc *h)
{
    if (lb_mw_jailed(h->d->mw)) { /* checkd.sock is outside the jail */
        lb_mw_ask_checkd(h->d->mw);
        return;
    }
    uv_pipe_init(&h->d->loop, &h->pipe, 0);
    h->pipe.data = h->creq.data = h;
    h->pipe_open = 1;
    h->handles++;
    uv_pipe_connect(&h->creq, &h->pipe, h->path, connected);
}

/* Under a master the chrooted worker cannot connect itself; the master
 * connects and this adopts the socket (fd >= 0) or learns why not. A socket
 * arriving while one is already open (a late answer) is closed. */
void lb_hc_adopt(struct lb_daemon *d, int fd)
{
    struct lb_hc *h = d->hc;

    if (!h || h->stopping || h->pipe_open) {
        if (fd >= 0)
            close(fd);
        return;
    }
    /* said once per outage: a checkd down for an hour is one warning */
    if (fd < 0) {
        if (!h->lost_logged)
            lk_log_errno(fd, LK_LOG_WARNING,
                         "checkd %s (through the master): %m; servers keep their last known state",
                         h->path);
        h->lost_logged = 1;
        schedule_retry(h);
        return;
    }
    uv_pipe_init(&d->loop, &h->pipe, 0);
    h->pipe.data = h->creq.data = h;
    h->pipe_open = 1;
    h->handles++;
    if (uv_pipe_open(&h->pipe, fd) < 0) {
        close(fd);
        drop(h, "cannot use the socket the master passed");
        return;
    }
    connected(&h->creq, 0);
}

static void retry_cb(uv_timer_t *t)
{
    connect_now(t->data);
}

static void schedule_retry(struct lb_hc *h)
{
    uv_timer_start(&h->retry, retry_cb, h->backoff_ms, 0);
    /* 100 ms doubling to 5 s: a checkd restart is noticed within a second,
     * a long outage costs one connect attempt every 5 s */
    h->backoff_ms = LK_MIN(h->backoff_ms * 2, BACKOFF_MAX_MS);
}

/* Every server with "check", with its registration. */
static struct hc_srv *add_entry(struct lb_hc *h, struct lb_server *s, int agent)
{
    struct hc_srv *n = realloc(h->srv, (h->nsrv + 1) * sizeof(*n));

    if (!n)
        return NULL;
    h->srv = n;
    n = &h->srv[h->nsrv++];
    memset(n, 0, sizeof(*n));
    n->s = s;
    n->agent = agent;
    return n;
}

/* Two entries for a server with both "check" and "agent-check": the agent has
 * its own id, target and verdict, combined in agent_health(). */
static int collect(struct lb_hc *h)
{
    struct lb_proxy *px;
    struct lb_server *s;
    struct hc_srv *n;
    unsigned i;

    for (px = h->d->cfg->proxies; px; px = px->next) {
        for (i = 0; (px->cap & LB_CAP_BE) && i < px->nservers; i++) {
            s = px->servers[i];
            if (s->flags & LB_SRV_F_DELETED)
                continue;
            if (s->flags & LB_SRV_F_CHECK) {
                if (!(n = add_entry(h, s, 0)))
                    return -ENOMEM;
                lb_hc_target(px, s, &n->t);
                snprintf(n->id, sizeof(n->id), "%s", n->t.id);
            }
            if (!s->agent)
                continue;
            if (!(n = add_entry(h, s, 1)))
                return -ENOMEM;
            lb_hc_agent_target(px, s, &n->t);
            snprintf(n->id, sizeof(n->id), "%s", n->t.id);
        }
    }
    return 0;
}

/* Passive health, HAProxy's "observe layer4" + "error-limit" + "on-error":
 * the data plane counts attempts (cum_conns) and failed connects
 * (failed_conns) per server; sampled here, a window where every attempt
 * failed adds to a run of failures, any success ends it. A run of
 * error-limit (default 10) is reported to checkd, which applies on-error
 * (mark-down unless set) and probes again at fastinter. With mark-down the
 * server is also taken out here at once, without waiting for the event. */
static void passive_report(struct lb_hc *h, struct hc_srv *hs)
{
    const char *mode = hs->s->on_error[0] ? hs->s->on_error : "mark-down";
    char args[FEED_ID_MAX + 32];

    /* without checkd nothing would bring the server back: passive health
     * only marks a server down when checkd can see it come up again */
    if (!h->connected) {
        lk_log_rl(&h->rl, LK_LOG_WARNING,
                  "Server %s: %u consecutive connection failures, checkd unreachable: "
                  "state left as is",
                  hs->id, hs->consecutive);
        return;
    }
    snprintf(args, sizeof(args), "%s %s", hs->id, mode);
    send_line(h, "report ", args);
    if (strcmp(mode, "mark-down") == 0 && atomic_load(&hs->s->state) == LB_SRV_UP) {
        hs->known = 1;
        hs->want = LB_SRV_DOWN; /* until checkd says otherwise */
        snprintf(args, sizeof(args), "passive health, %u consecutive connection failures",
                 hs->consecutive);
        lb_server_transition(hs->s, LB_SRV_DOWN, LB_CAUSE_PASSIVE, args);
    }
}

static void passive_sample(struct lb_hc *h, struct hc_srv *hs)
{
    uint64_t cum = atomic_load(&hs->s->cum_conns), fail = atomic_load(&hs->s->failed_conns);
    uint64_t dc = cum - hs->last_cum, df = fail - hs->last_fail;

    hs->last_cum = cum;
    hs->last_fail = fail;
    if (dc == 0 && df == 0)
        return;
    /* HAProxy's observe layer4: consecutive failures, reset by any success
     * (between two samples, more attempts than failures means one passed) */
    hs->consecutive = df >= dc ? hs->consecutive + (unsigned)df : 0;
    if (hs->consecutive >= (hs->s->error_limit ? hs->s->error_limit : 10)) {
        passive_report(h, hs);
        hs->consecutive = 0;
    }
}

/* An operator taking a server out of MAINT/DRAIN ("set server state
 * ready") makes it UP whatever its health: checkd only speaks on changes,
 * so its last verdict is applied again here. */
static void resync(struct lb_hc *h, struct hc_srv *hs)
{
    enum lb_srv_state cur = (enum lb_srv_state)atomic_load(&hs->s->state);
    struct hc_srv *ag;

    if (!hs->known || (cur != LB_SRV_UP && cur != LB_SRV_DOWN) || cur == hs->want ||
        (hs->s->flags & LB_SRV_F_DELETED))
        return;
    ag = by_server(h, hs->s, 1);
    if (ag && ag->agent_down)
        return; /* the agent's "down" holds until it says "up" */
    lb_server_transition(hs->s, hs->want, LB_CAUSE_CHECK, "last verdict of checkd (re-applied)");
}

static void tick(uv_timer_t *t)
{
    struct lb_hc *h = t->data;
    size_t i;

    for (i = 0; i < h->nsrv; i++) {
        /* agents have no passive health and no verdict to re-apply */
        if (h->srv[i].agent)
            continue;
        if (h->srv[i].s->observe)
            passive_sample(h, &h->srv[i]);
        resync(h, &h->srv[i]);
    }
}

static void tick_start(struct lb_hc *h)
{
    size_t i;

    uv_timer_init(&h->d->loop, &h->tick);
    h->tick.data = h;
    h->tick_on = 1;
    for (i = 0; i < h->nsrv; i++) {
        h->srv[i].last_cum = atomic_load(&h->srv[i].s->cum_conns);
        h->srv[i].last_fail = atomic_load(&h->srv[i].s->failed_conns);
    }
    uv_timer_start(&h->tick, tick, TICK_MS, TICK_MS);
}

/* Nothing is started without a server that has a check or an agent: then no
 * checkd is needed at all, and lbd runs without one. The tick runs from the
 * start so that passive health counts from the first connection, even before
 * checkd answers. */
int lb_hc_start(struct lb_daemon *d)
{
    struct lb_hc *h = calloc(1, sizeof(*h));
    const char *p = d->cfg->global.checkd_socket;
    int r;

    if (!h)
        return -ENOMEM;
    h->d = d;
    h->backoff_ms = BACKOFF_MIN_MS;
    h->rl = (struct lk_ratelimit)LK_RATELIMIT_INIT(10000, 5);
    lb_tlog_init(&h->tlog);
    r = collect(h);
    if (r < 0 || h->nsrv == 0) {
        free(h->srv);
        free(h);
        return r;
    }
    if (p ? !(h->path = strdup(p)) : asprintf(&h->path, "%s/checkd.sock", d->rundir) < 0) {
        free(h->srv);
        free(h);
        return -ENOMEM;
    }
    uv_timer_init(&d->loop, &h->retry);
    h->retry.data = h;
    h->handles++;
    d->hc = h;
    tick_start(h);
    connect_now(h);
    return 0;
}

static void register_one(struct lb_hc *h, struct hc_srv *hs)
{
    char *json, *esc;

    if (no_addr(hs))
        return;
    json = feed_encode_target(&hs->t);
    esc = json ? feed_cmd_escape(json) : NULL;
    if (esc && h->connected)
        send_line(h, "register ", esc);
    free(json);
    free(esc);
}

void lb_hc_server_update(struct lb_daemon *d, struct lb_server *s)
{
    struct lb_hc *h = d->hc;
    struct hc_srv *hs, *n;

    if (!h || h->stopping || !(s->flags & LB_SRV_F_CHECK))
        return;
    hs = by_server(h, s, 0);
    if (!hs) {
        n = realloc(h->srv, (h->nsrv + 1) * sizeof(*n));
        if (!n)
            return;
        h->srv = n;
        hs = &h->srv[h->nsrv];
        memset(hs, 0, sizeof(*hs));
        hs->s = s;
        h->nsrv++;
    }
    lb_hc_target(s->be, s, &hs->t);
    snprintf(hs->id, sizeof(hs->id), "%s", hs->t.id);
    hs->last_cum = atomic_load(&s->cum_conns);
    hs->last_fail = atomic_load(&s->failed_conns);
    register_one(h, hs); /* when not connected, the reconnect registers it */
}

int lb_hc_synced(const struct lb_daemon *d)
{
    return !d->hc || d->hc->synced;
}

void lb_hc_server_admin(struct lb_daemon *d, struct lb_server *s)
{
    struct lb_hc *h = d->hc;
    struct hc_srv *hs;

    if (!h || h->stopping || !h->connected || !(s->flags & LB_SRV_F_CHECK))
        return;
    hs = by_server(h, s, 0);
    if (hs)
        send_admin(h, hs);
}

void lb_hc_server_deleted(struct lb_daemon *d, struct lb_server *s)
{
    struct lb_hc *h = d->hc;
    struct hc_srv *hs;

    if (!h)
        return;
    while ((hs = by_server(h, s, 0)) || (hs = by_server(h, s, 1))) {
        if (h->connected)
            send_line(h, "unregister ", hs->id);
        *hs = h->srv[--h->nsrv]; /* order does not matter */
    }
}

void lb_hc_stop(struct lb_daemon *d)
{
    struct lb_hc *h = d->hc;

    if (!h || h->stopping)
        return;
    h->stopping = 1;
    uv_close((uv_handle_t *)&h->retry, NULL);
    if (h->tick_on)
        uv_close((uv_handle_t *)&h->tick, NULL);
    drop(h, "stopping");
}

void lb_hc_free(struct lb_daemon *d)
{
    struct lb_hc *h = d->hc;

    if (!h)
        return;
    lb_tlog_fini(&h->tlog);
    free(h->srv);
    lk_inbuf_reset(&h->in);
    free(h->path);
    free(h);
    d->hc = NULL;
}
