/* probe_tcpchk.c - HAProxy 2.6's tcp-check engine: "option tcp-check" with
 * its "tcp-check connect|send|send-binary|expect|comment" steps, and the
 * protocol checks HAProxy builds as step lists (option redis-check,
 * pgsql-check, smtpchk, ssl-hello-chk). See probe.h.
 *
 * Steps run in order on one connection (a later "connect" replaces it).
 * A send empties the receive buffer; consecutive expects look at the same
 * bytes. Results and info texts follow HAProxy's (show stat check_status
 * and last_chk), so lbd's reports read as HAProxy's do: a step is numbered
 * as its line among the backend's tcp-check lines, the implicit first
 * connect is the "initial connection step". */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checkd/probe_int.h"
#include "common/compiler.h"
#include "common/inbuf.h"

/* Received bytes kept per step: a reply larger than this is judged on its
 * first 64 KiB, which any expect pattern of a health check fits in. */
#define TC_READ_MAX (64 * 1024)

enum tc_eval { TC_CONTINUE, TC_WAIT, TC_STOP };

struct tc_probe {
    struct chk_probe base;
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_connect_t creq;
    uv_write_t wreq[FEED_TC_MAX_STEPS + 1]; /* one per send step: writes may overlap */
    struct feed_tcstep *steps;              /* a copy: builtin lists are made per probe */
    unsigned n;
    unsigned cur;       /* step being run */
    int last;           /* last step run to completion, -1 none */
    int implicit;       /* steps[0] is the connect HAProxy adds (step id 0) */
    struct lk_inbuf in; /* received since the last send */
    int eof;
    int connected;  /* the current connection is established */
    int connecting; /* a connect is in flight */
    int tcp_open;   /* the tcp handle is initialised and not closing */
    int handles;    /* open handles; free on the last close */
    int reconnect;  /* the tcp handle is closing to connect again */
};

static void tc_run(struct tc_probe *p);

/* ---- built-in step lists (HAProxy's protocol checks) ---- */

static struct feed_tcstep *add(struct feed_tcstep *s, unsigned *n, enum feed_tc_action a)
{
    struct feed_tcstep *c = &s[(*n)++];

    memset(c, 0, sizeof(*c));
    c->action = (uint8_t)a;
    c->min_recv = -1;
    return c;
}

static void set_data(struct feed_tcstep *c, const void *d, size_t len)
{
    len = LK_MIN(len, sizeof(c->data));
    memcpy(c->data, d, len);
    c->len = (uint16_t)len;
}

static struct feed_tcstep *add_expect(struct feed_tcstep *s,
                                      unsigned *n,
                                      enum feed_tc_match m,
                                      const char *pattern,
                                      int min_recv,
                                      enum feed_result err)
{
    struct feed_tcstep *c = add(s, n, FEED_TC_EXPECT);

    c->match = (uint8_t)m;
    set_data(c, pattern, strlen(pattern));
    c->min_recv = min_recv;
    c->err_status = (uint8_t)err;
    return c;
}

/* An SSLv3 ClientHello offering the 39 most common ciphers, as HAProxy's
 * ssl-hello-chk sends; gmt_unix_time is the probe's start. */
/* HAProxy's ssl-hello-chk: an SSLv3 ClientHello with a fixed list of cipher
 * suites, enough to make any TLS server answer with a handshake record (0x16)
 * or an alert (0x15); the contents are not otherwise meaningful. The
 * timestamp is the "gmt_unix_time" field. */
static size_t ssl_hello(uint8_t *b, uint32_t now)
{
    static const uint8_t head[] = {0x16, 0x03, 0x00, 0x00, 0x79, 0x01,
                                   0x00, 0x00, 0x75, 0x03, 0x00};
    static const char rnd[28] = "LBKIT-CHECKD-SSL-HELLO-CHK\r\n";
    size_t n = 0;
    unsigned c;

    memcpy(b, head, sizeof(head));
    n += sizeof(head);
    b[n++] = (uint8_t)(now >> 24);
    b[n++] = (uint8_t)(now >> 16);
    b[n++] = (uint8_t)(now >> 8);
    b[n++] = (uint8_t)now;
    memcpy(b + n, rnd, sizeof(rnd));
    n += sizeof(rnd);
    b[n++] = 0x00; /* no session id */
    b[n++] = 0x00;
    b[n++] = 0x4e; /* 78 bytes of cipher suites: 0x01..0x1b, 0x2f..0x3a */
    for (c = 0x01; c <= 0x3a; c++) {
        if (c > 0x1b && c < 0x2f)
            continue;
        b[n++] = 0x00;
        b[n++] = (uint8_t)c;
    }
    b[n++] = 0x01; /* one compression method: null */
    b[n++] = 0x00;
    return n;
}

/* HAProxy's pgsql-check as tcp-check steps: a StartupMessage for the user,
 * then an ErrorResponse ('E') is a failure with its text as info, and an
 * Authentication request of a known kind means the server is up and accepting
 * logins (the check never authenticates). */
static void builtin_pgsql(const struct feed_target *cfg, struct feed_tcstep *s, unsigned *n)
{
    uint8_t pkt[FEED_TC_DATA_MAX];
    size_t ulen = strnlen(cfg->user, sizeof(cfg->user)), len = 15 + ulen;
    struct feed_tcstep *c;

    add(s, n, FEED_TC_CONNECT)->linger = 1;
    /* StartupMessage: length, protocol 3.0, "user" U, end of parameters */
    pkt[0] = pkt[1] = 0;
    pkt[2] = (uint8_t)(len >> 8);
    pkt[3] = (uint8_t)len;
    memcpy(pkt + 4, "\0\3\0\0user\0", 9);
    memcpy(pkt + 13, cfg->user, ulen);
    pkt[13 + ulen] = pkt[14 + ulen] = 0;
    set_data(add(s, n, FEED_TC_SEND), pkt, len);
    c = add_expect(s, n, FEED_TC_RSTRING, "^E", 5, FEED_RES_L7RSP);
    c->neg = 1;
    c->err_info = FEED_TC_INFO_CSTR; /* the severity field of the ErrorResponse */
    c->info_off = 6;
    /* AuthenticationOk, CleartextPassword, MD5Password, ... */
    c = add_expect(s, n, FEED_TC_RBINARY, "^52000000(08|0A|0C)000000(00|02|03|04|05|06)", 9,
                   FEED_RES_L7STS);
    c->ok_info = c->err_info = FEED_TC_INFO_TEXT;
    snprintf(c->on_success, sizeof(c->on_success), "PostgreSQL server is ok");
    snprintf(c->on_error, sizeof(c->on_error), "PostgreSQL unknown error");
}

static void builtin_smtp(const struct feed_target *cfg, struct feed_tcstep *s, unsigned *n)
{
    char cmd[sizeof(cfg->ehlo) + 2];
    struct feed_tcstep *c;
    int len;

    add(s, n, FEED_TC_CONNECT)->linger = 1;
    c = add_expect(s, n, FEED_TC_RSTRING, "^[0-9]{3}[ \r]", 4, FEED_RES_L7RSP);
    c->err_info = FEED_TC_INFO_LINE;
    c = add_expect(s, n, FEED_TC_RSTRING, "^2[0-9]{2}[ \r]", 4, FEED_RES_L7STS);
    c->err_info = FEED_TC_INFO_LINE;
    c->info_off = 4;
    c->code_digits = 1;
    len = snprintf(cmd, sizeof(cmd), "%s\r\n", cfg->ehlo[0] ? cfg->ehlo : "HELO localhost");
    set_data(add(s, n, FEED_TC_SEND), cmd, (size_t)len);
    c = add_expect(s, n, FEED_TC_RSTRING, "^2[0-9]{2}[- \r]", 4, FEED_RES_L7STS);
    /* HAProxy 2.6 sends QUIT only once a multi-line EHLO answer ("250-...")
     * has its last line ("250 ..."): seen side by side with HAProxy */
    c->multiline = 1;
    c->err_info = FEED_TC_INFO_LINE;
    c->info_off = 4;
    c->code_digits = 1;
    /* HAProxy 2.6 says goodbye: the answer to QUIT ("221 Bye") is the info */
    set_data(add(s, n, FEED_TC_SEND), "QUIT\r\n", 6);
    c = add_expect(s, n, FEED_TC_RSTRING, "^2[0-9]{2}[- \r]", 4, FEED_RES_L7STS);
    c->err_info = c->ok_info = FEED_TC_INFO_LINE;
    c->info_off = 4;
    c->code_digits = 1;
}

/* The steps a probe of cfg runs, into s (FEED_TC_MAX_STEPS). */
/* HAProxy builds its protocol checks (redis, ssl-hello, pgsql, smtp) out of
 * tcp-check rules; doing the same here means one engine runs them all, and
 * their messages and step numbers match HAProxy's. */
static unsigned build_steps(const struct feed_target *cfg, struct feed_tcstep *s)
{
    static const char ping[] = "*1\r\n$4\r\nPING\r\n";
    uint8_t hello[160];
    struct feed_tcstep *c;
    unsigned n = 0;

    switch (cfg->kind) {
    case FEED_KIND_REDIS:
        set_data(add(s, &n, FEED_TC_SEND), ping, sizeof(ping) - 1);
        c = add_expect(s, &n, FEED_TC_STRING, "+PONG\r\n", -1, FEED_RES_L7STS);
        c->err_info = FEED_TC_INFO_LINE;
        c->ok_info = FEED_TC_INFO_TEXT;
        snprintf(c->on_success, sizeof(c->on_success), "Redis server is ok");
        break;
    case FEED_KIND_SSL_HELLO:
        set_data(add(s, &n, FEED_TC_SEND), hello, ssl_hello(hello, (uint32_t)time(NULL)));
        c = add_expect(s, &n, FEED_TC_RBINARY, "^1[56]", 5, FEED_RES_L6RSP);
        c->ok_status = FEED_RES_L6OK;
        c->tout_status = FEED_RES_L6TOUT;
        break;
    case FEED_KIND_PGSQL:
        builtin_pgsql(cfg, s, &n);
        break;
    case FEED_KIND_SMTP:
        builtin_smtp(cfg, s, &n);
        break;
    case FEED_KIND_AGENT:
        /* the agent's first line ("75% drain", "down#disk full") */
        if (cfg->agent_send[0])
            set_data(add(s, &n, FEED_TC_SEND), cfg->agent_send,
                     strnlen(cfg->agent_send, sizeof(cfg->agent_send)));
        c = add_expect(s, &n, FEED_TC_LINE, "", -1, FEED_RES_L7RSP);
        c->ok_info = FEED_TC_INFO_LINE;
        break;
    default:
        n = LK_MIN(cfg->nsteps, (unsigned)FEED_TC_MAX_STEPS);
        memcpy(s, cfg->steps, n * sizeof(*s));
        break;
    }
    return n;
}

/* ---- results ---- */

static const char *const status_desc[FEED_RES_MAX] = {
    "Initializing",
    "Socket error",
    "Layer4 check passed",
    "Layer4 timeout",
    "Layer4 connection problem",
    "Layer6 check passed",
    "Layer6 timeout",
    "Layer6 invalid response",
    "Layer7 check passed",
    "Layer7 check conditionally passed",
    "Layer7 timeout",
    "Layer7 invalid response",
    "Layer7 wrong status",
    "External check error",
    "External check timeout",
    "External check passed",
};

void chk_result_haproxy(struct chk_result *r, enum feed_result res, int code, const char *info)
{
    int with_code = res == FEED_RES_L7OK || res == FEED_RES_L7OKC || res == FEED_RES_L7STS ||
                    res >= FEED_RES_PROCERR;
    char c[32] = "";

    if (with_code)
        snprintf(c, sizeof(c), ", code: %d", code);
    chk_result_set(r, res, with_code ? code : -1, "%s%s%s%s%s", status_desc[res], c,
                   info && info[0] ? ", info: \"" : "", info ? info : "",
                   info && info[0] ? "\"" : "");
}

/* HAProxy's step id: the line's position, 0 for the implicit connect. */
static unsigned step_id(const struct tc_probe *p, unsigned i)
{
    return p->implicit ? i : i + 1;
}

static int is_tcpcheck(const struct tc_probe *p)
{
    return p->base.cfg->kind == FEED_KIND_TCPCHK;
}

/* The info text of a step's success or failure from what was received. */
static void info_from(const struct tc_probe *p,
                      const struct feed_tcstep *c,
                      int ok,
                      char *out,
                      size_t cap)
{
    enum feed_tc_info mode = ok ? c->ok_info : c->err_info;
    const char *b = p->in.buf + LK_MIN((size_t)c->info_off, p->in.len);
    size_t n;

    out[0] = '\0';
    if (mode == FEED_TC_INFO_TEXT) {
        snprintf(out, cap, "%s", ok ? c->on_success : c->on_error);
    } else if (mode == FEED_TC_INFO_LINE) {
        b += strspn(b, " ");
        n = strcspn(b, "\r\n");
        snprintf(out, cap, "%.*s", (int)n, b);
    } else if (mode == FEED_TC_INFO_CSTR) {
        snprintf(out, cap, "%s", b);
    }
}

static const char *match_word(const struct feed_tcstep *c)
{
    static const char *const w[FEED_TC_MATCH_MAX] = {"", " (regex)", " (binary)", " (binary regex)",
                                                     " (line)"};

    return c->match < FEED_TC_MATCH_MAX ? w[c->match] : "";
}

/* "TCPCHK did not match content 'X' at step N" and its siblings. */
static void expect_error_text(const struct tc_probe *p, int matched, char *out, size_t cap)
{
    const struct feed_tcstep *c = &p->steps[p->cur];
    char what[FEED_TC_DATA_MAX + 8];
    size_t n = strlen(out);

    if (n == 0 && is_tcpcheck(p)) {
        if (c->match == FEED_TC_STRING)
            snprintf(what, sizeof(what), " '%.*s'", (int)c->len, (const char *)c->data);
        else
            snprintf(what, sizeof(what), "%s", match_word(c));
        /* a long pattern is cut: the text is a log line, not data */
        if (snprintf(out, cap, "TCPCHK %s%s at step %u",
                     matched ? "matched unwanted content" : "did not match content", what,
                     step_id(p, p->cur)) < 0)
            out[0] = '\0';
    }
    n = strlen(out);
    if (c->comment[0] && n < cap)
        snprintf(out + n, cap - n, " comment: %s", c->comment);
}

/* The comment that names step i in connection and timeout reports: its
 * own, or that of the comment lines just before it. */
static const char *step_comment(const struct tc_probe *p, unsigned i)
{
    if (p->steps[i].comment[0] || p->implicit)
        return p->steps[i].comment;
    while (i-- > 0 && p->steps[i].action == FEED_TC_COMMENT)
        if (p->steps[i].comment[0])
            return p->steps[i].comment;
    return "";
}

/* " at step N of tcp-check (connect port 6379)" + " comment: 'C'" */
static void where(const struct tc_probe *p, const char *err, char *out, size_t cap)
{
    const struct feed_tcstep *c = &p->steps[p->cur];
    const char *cm = step_comment(p, p->cur);
    char what[FEED_TC_DATA_MAX + 32];

    if (!is_tcpcheck(p)) {
        /* HAProxy's protocol checks report the error alone */
        snprintf(out, cap, "%s", err);
        return;
    }
    if (p->implicit && p->cur == 0) {
        snprintf(out, cap, "%s at initial connection step of tcp-check", err);
        return;
    }
    if (c->action == FEED_TC_CONNECT && c->port)
        snprintf(what, sizeof(what), "connect port %u", c->port);
    else if (c->action == FEED_TC_CONNECT)
        snprintf(what, sizeof(what), "connect");
    else if (c->action == FEED_TC_EXPECT && c->match == FEED_TC_STRING)
        snprintf(what, sizeof(what), "expect string '%.*s'", (int)c->len, (const char *)c->data);
    else if (c->action == FEED_TC_EXPECT)
        snprintf(what, sizeof(what), "expect%s",
                 c->match == FEED_TC_BINARY    ? " binary"
                 : c->match == FEED_TC_RBINARY ? " binary regex"
                                               : " regex");
    else
        snprintf(what, sizeof(what), "send");
    if (snprintf(out, cap, "%s at step %u of tcp-check (%s)%s%s%s", err, step_id(p, p->cur), what,
                 cm[0] ? " comment: '" : "", cm, cm[0] ? "'" : "") < 0)
        out[0] = '\0'; /* a long comment is cut, as above */
}

/* ---- the connection ---- */

static void tc_closed(uv_handle_t *h)
{
    struct tc_probe *p = h->data;

    if (--p->handles > 0) {
        if (h == (uv_handle_t *)&p->tcp && p->reconnect && !p->base.finished) {
            p->reconnect = 0;
            tc_run(p); /* the next connect step starts on a fresh handle */
        }
        return;
    }
    lk_inbuf_reset(&p->in);
    free(p->steps);
    free(p);
}

/* Close the connection: RST (no TIME_WAIT) unless the step asked to linger. */
static void close_tcp(struct tc_probe *p)
{
    int linger =
        p->last >= 0 && p->steps[p->last].action == FEED_TC_CONNECT && p->steps[p->last].linger;

    if (!p->tcp_open)
        return;
    p->tcp_open = 0;
    if (!p->connected || linger || uv_tcp_close_reset(&p->tcp, tc_closed) < 0)
        uv_close((uv_handle_t *)&p->tcp, tc_closed);
}

static void tc_done(struct tc_probe *p, struct chk_result *r)
{
    chk__probe_finish(&p->base, r);
    p->reconnect = 0;
    if (!uv_is_closing((uv_handle_t *)&p->timer))
        uv_close((uv_handle_t *)&p->timer, tc_closed);
    close_tcp(p);
}

static void tc_cancel(struct chk_probe *b)
{
    struct tc_probe *p = lk_container_of(b, struct tc_probe, base);
    struct chk_result r = {.code = -1, .read_only = -1};

    b->finished = 1;
    tc_done(p, &r);
}

static void tc_fail(struct tc_probe *p, enum feed_result res, const char *info)
{
    struct chk_result r = {.code = -1, .read_only = -1};

    chk_result_haproxy(&r, res, 0, info);
    tc_done(p, &r);
}

static void tc_timeout(uv_timer_t *t)
{
    struct tc_probe *p = t->data;
    const struct feed_tcstep *c = &p->steps[LK_MIN(p->cur, p->n - 1)];
    enum feed_result res = FEED_RES_L7TOUT;
    char info[FEED_REASON_MAX];

    if (p->connecting)
        res = FEED_RES_L4TOUT;
    else if (c->action == FEED_TC_EXPECT && c->tout_status)
        res = (enum feed_result)c->tout_status;
    where(p, "", info, sizeof(info));
    tc_fail(p, res, info);
}

static void tc_kick(uv_timer_t *t)
{
    struct tc_probe *p = t->data;

    uv_timer_start(t, tc_timeout, p->base.timeout_ms, 0);
    tc_run(p);
}

static void tc_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct tc_probe *p = st->data;
    int r;

    if (p->base.finished || nread == 0)
        return;
    r = nread < 0 ? -EPIPE : lk_inbuf_append(&p->in, buf->base, (size_t)nread, TC_READ_MAX);
    if (r == -ENOMEM) {
        tc_fail(p, FEED_RES_SOCKERR, "out of memory");
        return;
    }
    if (r < 0) {
        p->eof = 1; /* closed, reset, or more than any check needs */
        uv_read_stop(st);
    }
    if (p->cur < p->n && p->steps[p->cur].action == FEED_TC_EXPECT)
        tc_run(p);
}

static void tc_connected(uv_connect_t *req, int status)
{
    struct tc_probe *p = req->data;
    const struct feed_tcstep *c;
    char info[FEED_REASON_MAX], err[64];

    if (p->base.finished || status == UV_ECANCELED)
        return;
    p->connecting = 0;
    if (status < 0) {
        /* HAProxy's words are strerror's: "Connection refused" */
        snprintf(err, sizeof(err), "%s", strerror(-status));
        where(p, err, info, sizeof(info));
        tc_fail(p, FEED_RES_L4CON, info);
        return;
    }
    p->connected = 1;
    /* the PROXY header on connects to the target's own address (HAProxy:
     * not on a check with its own port or address, never to an agent) */
    c = &p->steps[p->cur];
    if (p->base.cfg->send_proxy && p->base.cfg->kind != FEED_KIND_AGENT && !c->port &&
        !c->addr[0] && chk__send_proxy(&p->tcp, p->base.cfg->send_proxy) < 0) {
        tc_fail(p, FEED_RES_SOCKERR, "cannot send the PROXY header");
        return;
    }
    if (uv_read_start((uv_stream_t *)&p->tcp, lk_inbuf_scratch, tc_read) < 0) {
        tc_fail(p, FEED_RES_SOCKERR, "cannot read from socket");
        return;
    }
    p->last = (int)p->cur++;
    tc_run(p);
}

static int tc_connect(struct tc_probe *p, const struct feed_tcstep *c)
{
    struct lk_addr a = p->base.addr;
    int r;

    unsigned port = c->port ? c->port : lk_addr_port(&p->base.addr);

    if (c->addr[0] && lk_addr_parse(c->addr, LK_ADDR_PORT_OPTIONAL, &a) < 0)
        return -EINVAL;
    if (a.u.sa.sa_family == AF_INET6)
        a.u.in6.sin6_port = htons((uint16_t)port);
    else
        a.u.in4.sin_port = htons((uint16_t)port);
    uv_tcp_init(p->base.loop, &p->tcp);
    p->tcp.data = p;
    p->tcp_open = 1;
    p->handles++;
    p->connected = 0;
    lk_inbuf_consume(&p->in, p->in.len);
    p->eof = 0;
    r = uv_tcp_connect(&p->creq, &p->tcp, &a.u.sa, tc_connected);
    p->connecting = r == 0;
    return r;
}

/* ---- steps ---- */

/* rbinary patterns match against the hex dump of what was received, as
 * HAProxy does, so a regex can describe binary replies. */
static int tc_match(const struct tc_probe *p, const struct feed_tcstep *c)
{
    char re[FEED_TC_DATA_MAX + 1], *hex;
    size_t i;
    int m;

    if (c->match == FEED_TC_LINE)
        return p->in.len > 0 && (memchr(p->in.buf, '\n', p->in.len) || p->eof);
    if (c->match == FEED_TC_STRING || c->match == FEED_TC_BINARY)
        return c->len == 0 ||
               (p->in.len >= c->len && memmem(p->in.buf, p->in.len, c->data, c->len));
    snprintf(re, sizeof(re), "%.*s", (int)c->len, (const char *)c->data);
    if (c->match == FEED_TC_RSTRING)
        return chk__regex_match(re, p->in.buf ? p->in.buf : "");
    hex = malloc(2 * p->in.len + 1);
    if (!hex)
        return 0;
    for (i = 0; i < p->in.len; i++)
        snprintf(hex + 2 * i, 3, "%02X", (uint8_t)p->in.buf[i]);
    hex[2 * p->in.len] = '\0';
    m = chk__regex_match(re, hex);
    free(hex);
    return m;
}

/* A reply whose last line came: some line is "NNN " or "NNN\r" (not the
 * "NNN-" of a continued one). */
static int reply_complete(const uint8_t *b, size_t n)
{
    size_t i;

    for (i = 0; i + 3 < n; i++) {
        if (i > 0 && b[i - 1] != '\n')
            continue;
        if (b[i] >= '0' && b[i] <= '9' && b[i + 1] >= '0' && b[i + 1] <= '9' && b[i + 2] >= '0' &&
            b[i + 2] <= '9' && (b[i + 3] == ' ' || b[i + 3] == '\r' || b[i + 3] == '\n'))
            return 1;
    }
    return 0;
}

/* TC_WAIT keeps reading: a string match needs at least its length, a min-recv
 * its byte count, and a multi-line SMTP reply its last line. EOF ends the
 * waiting, and the match is then judged on what arrived. */
static enum tc_eval tc_expect(struct tc_probe *p)
{
    const struct feed_tcstep *c = &p->steps[p->cur];
    enum feed_result err = c->err_status ? (enum feed_result)c->err_status : FEED_RES_L7RSP;
    char info[FEED_REASON_MAX] = "";
    int m;

    if (!p->eof && c->multiline && !reply_complete((const uint8_t *)p->in.buf, p->in.len))
        return TC_WAIT;
    if (!p->eof &&
        (((c->match == FEED_TC_STRING || c->match == FEED_TC_BINARY) && p->in.len < c->len) ||
         (c->min_recv > 0 && p->in.len < (size_t)c->min_recv)))
        return TC_WAIT;
    if (p->eof && p->in.len == 0) {
        snprintf(info, sizeof(info), "TCPCHK got an empty response at step %u", step_id(p, p->cur));
        expect_error_text(p, 0, info, sizeof(info));
        tc_fail(p, err, info);
        return TC_STOP;
    }
    m = tc_match(p, c);
    if (!m && !p->eof && c->min_recv == -1)
        return TC_WAIT;
    if (m ^ c->neg)
        return TC_CONTINUE;
    info_from(p, c, 0, info, sizeof(info));
    expect_error_text(p, m, info, sizeof(info));
    tc_fail(p, err, info);
    return TC_STOP;
}

/* The receive buffer is emptied before each send so an expect only ever sees
 * the reply to the request just before it. Several sends may be in flight at
 * once, hence one write request per step. */
static void tc_send(struct tc_probe *p, struct feed_tcstep *c)
{
    uv_buf_t b = uv_buf_init((char *)c->data, c->len);

    /* the answer to this send is what the next expects look at */
    lk_inbuf_consume(&p->in, p->in.len);
    if (c->len)
        uv_write(&p->wreq[p->cur], (uv_stream_t *)&p->tcp, &b, 1, NULL);
}

/* Every step passed: HAProxy's verdict depends on the last one run. */
static void tc_success(struct tc_probe *p)
{
    struct chk_result r = {.code = -1, .read_only = -1};
    const struct feed_tcstep *c = p->last >= 0 ? &p->steps[p->last] : NULL;
    char info[FEED_REASON_MAX] = "";
    int code = 0;

    if (c && c->action == FEED_TC_EXPECT) {
        info_from(p, c, 1, info, sizeof(info));
        if (!info[0] && c->ok_info == FEED_TC_INFO_NONE && is_tcpcheck(p))
            snprintf(info, sizeof(info), "(tcp-check)");
        if (c->code_digits && p->in.len >= 3)
            code = (p->in.buf[0] - '0') * 100 + (p->in.buf[1] - '0') * 10 + (p->in.buf[2] - '0');
        chk_result_haproxy(&r, c->ok_status ? (enum feed_result)c->ok_status : FEED_RES_L7OK, code,
                           info);
    } else if (c && c->action == FEED_TC_CONNECT) {
        chk_result_haproxy(&r, FEED_RES_L4OK, 0,
                           p->implicit && p->last == 0 ? NULL : "(tcp-check)");
    } else {
        chk_result_haproxy(&r, FEED_RES_L7OK, 0, "(tcp-check)");
    }
    tc_done(p, &r);
}

/* Run steps until one waits for the network, fails, or all passed. */
/* The loop guard bounds the steps run per call even if a step list were
 * malformed; a connect step returns to the loop and resumes from the connect
 * callback. */
static void tc_run(struct tc_probe *p)
{
    const struct feed_tcstep *c;
    unsigned guard;

    for (guard = 0; p->cur < p->n && guard <= FEED_TC_MAX_STEPS; guard++) {
        c = &p->steps[p->cur];
        if (c->action == FEED_TC_COMMENT) {
            p->cur++;
        } else if (c->action == FEED_TC_CONNECT) {
            if (p->tcp_open) {
                p->reconnect = 1; /* tc_closed() comes back here */
                close_tcp(p);
                return;
            }
            if (tc_connect(p, c) < 0)
                tc_fail(p, FEED_RES_SOCKERR, "cannot connect");
            return;
        } else if (c->action == FEED_TC_SEND) {
            tc_send(p, &p->steps[p->cur]);
            p->last = (int)p->cur++;
        } else {
            switch (tc_expect(p)) {
            case TC_CONTINUE:
                p->last = (int)p->cur++;
                break;
            case TC_WAIT:
                return;
            case TC_STOP:
                return;
            }
        }
    }
    tc_success(p);
}

int chk__tcpchk_start(struct chk_probe **ret, const struct chk_probe *base)
{
    struct feed_tcstep s[FEED_TC_MAX_STEPS + 1];
    struct tc_probe *p;
    unsigned n, first;

    n = build_steps(base->cfg, s + 1);
    for (first = 1; first <= n && s[first].action == FEED_TC_COMMENT; first++)
        ;
    p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    /* HAProxy connects first when the first step is not a connect */
    p->implicit = first > n || s[first].action != FEED_TC_CONNECT;
    if (p->implicit) {
        memset(&s[0], 0, sizeof(s[0]));
        s[0].action = FEED_TC_CONNECT;
    }
    p->n = n + (unsigned)p->implicit;
    p->steps = malloc(p->n * sizeof(*p->steps));
    if (!p->steps) {
        free(p);
        return -ENOMEM;
    }
    memcpy(p->steps, s + !p->implicit, p->n * sizeof(*p->steps));
    p->base = *base;
    p->base.cancel = tc_cancel;
    p->last = -1;
    uv_timer_init(base->loop, &p->timer);
    p->timer.data = p->creq.data = p;
    p->handles = 1; /* each connect adds its tcp handle */
    /* the first step runs from the loop: the callback must never run
     * before the caller has the probe pointer */
    uv_timer_start(&p->timer, tc_kick, 0, 0);
    *ret = &p->base;
    return 0;
}

int chk__tcpchk_validate(const struct feed_target *cfg, const char **why)
{
    char re[FEED_TC_DATA_MAX + 1];
    regex_t rx;
    unsigned i;

    for (i = 0; i < cfg->nsteps && i < FEED_TC_MAX_STEPS; i++) {
        const struct feed_tcstep *c = &cfg->steps[i];

        if (c->action != FEED_TC_EXPECT ||
            (c->match != FEED_TC_RSTRING && c->match != FEED_TC_RBINARY))
            continue;
        snprintf(re, sizeof(re), "%.*s", (int)c->len, (const char *)c->data);
        if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0) {
            *why = "tcp-check expect: invalid regular expression";
            return -EINVAL;
        }
        regfree(&rx);
    }
    if (cfg->kind == FEED_KIND_PGSQL && (!cfg->user[0] || strlen(cfg->user) > 63)) {
        *why = "pgsql-check: a user name of 1 to 63 bytes is required";
        return -EINVAL;
    }
    return 0;
}
