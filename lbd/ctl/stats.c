/* stats.c - see stats.h. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/clock.h"
#include "lbd/cfg/proxy.h"
#include "lbd/core/daemon.h"
#include "lbd/core/server.h"
#include "lbd/core/worker.h"
#include "lbd/ctl/stats.h"

/* The header of Debian's HAProxy 2.6.12, field by field. */
/* Tools that parse "show stat" (haproxy_exporter, hatop, monitoring scripts)
 * index columns by position or by this header, so every field of that version
 * is emitted, in its order, even those lbd leaves empty. */
static const char *const field_names[F_MAX] = {
    "pxname",
    "svname",
    "qcur",
    "qmax",
    "scur",
    "smax",
    "slim",
    "stot",
    "bin",
    "bout",
    "dreq",
    "dresp",
    "ereq",
    "econ",
    "eresp",
    "wretr",
    "wredis",
    "status",
    "weight",
    "act",
    "bck",
    "chkfail",
    "chkdown",
    "lastchg",
    "downtime",
    "qlimit",
    "pid",
    "iid",
    "sid",
    "throttle",
    "lbtot",
    "tracked",
    "type",
    "rate",
    "rate_lim",
    "rate_max",
    "check_status",
    "check_code",
    "check_duration",
    "hrsp_1xx",
    "hrsp_2xx",
    "hrsp_3xx",
    "hrsp_4xx",
    "hrsp_5xx",
    "hrsp_other",
    "hanafail",
    "req_rate",
    "req_rate_max",
    "req_tot",
    "cli_abrt",
    "srv_abrt",
    "comp_in",
    "comp_out",
    "comp_byp",
    "comp_rsp",
    "lastsess",
    "last_chk",
    "last_agt",
    "qtime",
    "ctime",
    "rtime",
    "ttime",
    "agent_status",
    "agent_code",
    "agent_duration",
    "check_desc",
    "agent_desc",
    "check_rise",
    "check_fall",
    "check_health",
    "agent_rise",
    "agent_fall",
    "agent_health",
    "addr",
    "cookie",
    "mode",
    "algo",
    "conn_rate",
    "conn_rate_max",
    "conn_tot",
    "intercepted",
    "dcon",
    "dses",
    "wrew",
    "connect",
    "reuse",
    "cache_lookups",
    "cache_hits",
    "srv_icur",
    "src_ilim",
    "qtime_max",
    "ctime_max",
    "rtime_max",
    "ttime_max",
    "eint",
    "idle_conn_cur",
    "safe_conn_cur",
    "used_conn_cur",
    "need_conn_est",
    "uweight",
    "agg_server_status",
    "agg_server_check_status",
    "agg_check_status",
    "-",
    "ssl_sess",
    "ssl_reused_sess",
    "ssl_failed_handshake",
    "h2_headers_rcvd",
    "h2_data_rcvd",
    "h2_settings_rcvd",
    "h2_rst_stream_rcvd",
    "h2_goaway_rcvd",
    "h2_detected_conn_protocol_errors",
    "h2_detected_strm_protocol_errors",
    "h2_rst_stream_resp",
    "h2_goaway_resp",
    "h2_open_connections",
    "h2_backend_open_streams",
    "h2_total_connections",
    "h2_backend_total_streams",
    "h1_open_connections",
    "h1_open_streams",
    "h1_total_connections",
    "h1_total_streams",
    "h1_bytes_in",
    "h1_bytes_out",
    "h1_spliced_bytes_in",
    "h1_spliced_bytes_out",
};

/* One row under construction: values point into `arena`; NULL is empty. */
/* A row is built on the stack and written out at once, so walking a large
 * config allocates nothing per row. A field that would overflow the arena is
 * left empty rather than truncated: an empty CSV cell is valid, a cut number
 * is a wrong one. */
struct row {
    const char *v[F_MAX];
    char arena[4096];
    size_t used;
};

static void put_str(struct row *r, enum lb_stat_field f, const char *s)
{
    size_t n = strlen(s) + 1;

    if (r->used + n > sizeof(r->arena))
        return;
    memcpy(r->arena + r->used, s, n);
    r->v[f] = r->arena + r->used;
    r->used += n;
}

static void put_u64(struct row *r, enum lb_stat_field f, uint64_t v)
{
    char tmp[24];

    snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
    put_str(r, f, tmp);
}

static void put_s64(struct row *r, enum lb_stat_field f, int64_t v)
{
    char tmp[24];

    snprintf(tmp, sizeof(tmp), "%" PRId64, v);
    put_str(r, f, tmp);
}

/* Counters are read relaxed and one by one: a row is a snapshot that may mix
 * values from slightly different instants, as HAProxy's is. */
#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)

static uint64_t secs_since(uint64_t then_ms, uint64_t now)
{
    return then_ms && now > then_ms ? (now - then_ms) / 1000 : 0;
}

/* HAProxy's status words, including the transitional "UP 1/3" (up, but the
 * last check failed once of fall=3) and "DOWN 1/2" (rising), so dashboards
 * and scripts that match them work unchanged. buf is used only for those two
 * forms. */
const char *lb_stats_srv_status(const struct lb_server *s, char *buf, size_t len)
{
    int st = LD(s->state);
    unsigned full = s->rise + s->fall - 1;

    if (st == LB_SRV_MAINT)
        return s->dns_maint ? "MAINT (resolution)" : "MAINT";
    /* HAProxy names the agent when its word put the server there */
    if (st == LB_SRV_DRAIN)
        return s->nolb_mark ? "NOLB" : s->agent_mark ? "DRAIN (agent)" : "DRAIN";
    if (st == LB_SRV_DOWN && s->agent_mark)
        return "DOWN (agent)";
    if (!(s->flags & LB_SRV_F_CHECK) || !s->check_status[0])
        return st == LB_SRV_UP ? ((s->flags & LB_SRV_F_CHECK) ? "UP" : "no check") : "DOWN";
    if (st == LB_SRV_UP) {
        if (s->check_health >= full)
            return "UP";
        snprintf(buf, len, "UP %u/%u", s->check_health - s->rise + 1, s->fall);
        return buf;
    }
    if (s->check_health == 0)
        return "DOWN";
    snprintf(buf, len, "DOWN %u/%u", s->check_health, s->rise);
    return buf;
}

/* The module counters after the "-" separator (SSL, h2, h1): lbd has none
 * of these, so they are zeros; server rows stop after the SSL block, as
 * the 2.6.12 output this table copies does. */
static void put_modules(struct row *r, int zeros)
{
    int f;

    for (f = F_SEP + 1; f < F_MAX; f++)
        if (zeros || f <= F_SSL_FAILED_HANDSHAKE)
            put_u64(r, (enum lb_stat_field)f, 0);
}

/* pid is always 1: HAProxy's process number within nbproc, which is 1 since
 * 2.5. */
static void fill_common(struct row *r, const struct lb_proxy *px, const char *svname, unsigned type)
{
    put_str(r, F_PXNAME, px->name);
    put_str(r, F_SVNAME, svname);
    put_u64(r, F_PID, 1);
    put_u64(r, F_IID, px->uuid);
    put_u64(r, F_TYPE, type);
    put_str(r, F_MODE, px->mode == LB_MODE_HTTP ? "http" : "tcp");
}

static void fill_http(struct row *r, const _Atomic uint64_t *hrsp)
{
    static const enum lb_stat_field f[6] = {F_HRSP_1XX, F_HRSP_2XX, F_HRSP_3XX,
                                            F_HRSP_4XX, F_HRSP_5XX, F_HRSP_OTHER};
    int i;

    for (i = 0; i < 6; i++)
        put_u64(r, f[i], atomic_load_explicit(&hrsp[i], memory_order_relaxed));
}

/* The session counters of every row kind, and the aborts and seconds since
 * the last session (-1: none yet) of backend and server rows: struct
 * lb_proxy and struct lb_server name these fields alike. */
#define PUT_SESSIONS(r, o)                                                                         \
    do {                                                                                           \
        put_u64((r), F_SCUR, LD((o)->cur_conns));                                                  \
        put_u64((r), F_SMAX, LD((o)->max_conns_seen));                                             \
        put_u64((r), F_STOT, LD((o)->cum_conns));                                                  \
        put_u64((r), F_BIN, LD((o)->bytes_in));                                                    \
        put_u64((r), F_BOUT, LD((o)->bytes_out));                                                  \
    } while (0)
#define PUT_ABORTS(r, o, now)                                                                      \
    put_aborts((r), LD((o)->cli_aborts), LD((o)->srv_aborts), LD((o)->last_sess_ms), (now))

static void put_aborts(struct row *r, uint64_t cli, uint64_t srv, uint64_t last_ms, uint64_t now)
{
    put_u64(r, F_CLI_ABRT, cli);
    put_u64(r, F_SRV_ABRT, srv);
    put_s64(r, F_LASTSESS, last_ms ? (int64_t)secs_since(last_ms, now) : -1);
}

/* Connection errors, response errors, retries and redispatches: the
 * server side's counters, in backend and server rows. */
static void put_srv_err(struct row *r, uint64_t con, uint64_t rsp, uint64_t retr, uint64_t redis)
{
    put_u64(r, F_ECON, con);
    put_u64(r, F_ERESP, rsp);
    put_u64(r, F_WRETR, retr);
    put_u64(r, F_WREDIS, redis);
}

/* slim falls back to the global maxconn because that is the limit that
 * actually applies to a frontend without its own. */
static void fill_frontend(struct row *r, struct lb_daemon *d, const struct lb_proxy *px)
{
    unsigned slim = px->maxconn ? px->maxconn : d->cfg->global.maxconn;

    fill_common(r, px, "FRONTEND", 0);
    PUT_SESSIONS(r, px);
    put_u64(r, F_SLIM, slim);
    put_u64(r, F_DREQ, LD(px->denied_req));
    put_u64(r, F_DRESP, LD(px->denied_resp));
    put_u64(r, F_EREQ, LD(px->failed_req));
    put_str(r, F_STATUS, d->stopping ? "STOP" : LD(px->cur_conns) >= slim ? "FULL" : "OPEN");
    put_u64(r, F_SID, 0);
    put_u64(r, F_RATE, px->rate);
    put_u64(r, F_RATE_LIM, 0);
    put_u64(r, F_RATE_MAX, px->rate_max);
    if (px->mode == LB_MODE_HTTP) {
        fill_http(r, px->hrsp);
        put_u64(r, F_REQ_RATE, px->req_rate);
        put_u64(r, F_REQ_RATE_MAX, px->req_rate_max);
        put_u64(r, F_REQ_TOT, LD(px->req_tot));
    }
    put_u64(r, F_CONN_RATE, px->rate);
    put_u64(r, F_CONN_RATE_MAX, px->rate_max);
    put_u64(r, F_CONN_TOT, LD(px->cum_conns));
    put_u64(r, F_INTERCEPTED, 0);
    put_u64(r, F_DCON, LD(px->denied_conn));
    put_u64(r, F_DSES, 0);
    put_modules(r, 1);
}

/* Backend aggregates of the servers in use: HAProxy's weight (effective
 * weights, a slowstart's ramp included, in whole units rounded up) and
 * uweight (weights in effect), and their counts. The backend's weights are
 * those of its active servers, or of its backups when none is active,
 * because that is what it serves with. */
static void backend_weights(const struct lb_proxy *be,
                            unsigned *w,
                            unsigned *uw,
                            unsigned *act,
                            unsigned *bck)
{
    unsigned i, wa = 0, wb = 0, ea = 0, eb = 0;

    *act = *bck = 0;
    for (i = 0; i < be->nservers; i++) {
        const struct lb_server *s = be->servers[i];

        if (!lb_server_usable(s))
            continue;
        if (s->flags & LB_SRV_F_BACKUP) {
            ++*bck;
            wb += LD(s->cur_weight);
            eb += lb_server_eweight(s);
        } else {
            ++*act;
            wa += LD(s->cur_weight);
            ea += lb_server_eweight(s);
        }
    }
    *uw = *act ? wa : wb;
    *w = ((*act ? ea : eb) + LB_WEIGHT_SCALE - 1) / LB_WEIGHT_SCALE;
}

/* The backend's server connections opened and reused: its servers' sums. */
static void backend_pool(struct row *r, const struct lb_proxy *px)
{
    uint64_t conn = 0, reuse = 0;
    unsigned i;

    for (i = 0; i < px->nservers; i++) {
        conn += LD(px->servers[i]->conn_connect);
        reuse += LD(px->servers[i]->conn_reuse);
    }
    put_u64(r, F_CONNECT, conn);
    put_u64(r, F_REUSE, reuse);
}

/* A server's weight as HAProxy shows it: the effective weight in whole
 * units rounded up, and, while slowstart ramps it up (and the server is
 * not draining), the throttle: the percentage of its weight it has. */
static void fill_weight(struct row *r, const struct lb_server *s, uint64_t now)
{
    unsigned uw = LD(s->cur_weight), ew = lb_server_eweight_at(s, now);
    uint64_t since = LD(s->warm_since_ms);

    put_u64(r, F_WEIGHT, (ew + LB_WEIGHT_SCALE - 1) / LB_WEIGHT_SCALE);
    if (uw && since && lb_slowstart_w16(s->slowstart_ms, since, now) < LB_WEIGHT_SCALE)
        put_u64(r, F_THROTTLE, (100u * ew + LB_WEIGHT_SCALE - 1) / (LB_WEIGHT_SCALE * uw));
}

static void fill_backend(struct row *r,
                         struct lb_daemon *d,
                         const struct lb_proxy *px,
                         uint64_t now)
{
    unsigned w, uw, act, bck;

    backend_weights(px, &w, &uw, &act, &bck);
    fill_common(r, px, "BACKEND", 1);
    put_u64(r, F_QCUR, LD(px->queued));
    put_u64(r, F_QMAX, LD(px->max_queued));
    PUT_SESSIONS(r, px);
    /* HAProxy's default fullconn: a tenth of the process maxconn, rounded up */
    put_u64(r, F_SLIM,
            px->fullconn  ? px->fullconn
            : px->maxconn ? px->maxconn
                          : (d->cfg->global.maxconn + 9) / 10);
    put_u64(r, F_DREQ, LD(px->denied_req));
    put_u64(r, F_DRESP, LD(px->denied_resp));
    put_srv_err(r, LD(px->failed_conns), LD(px->failed_resp), LD(px->wretr), LD(px->wredis));
    /* A backend without servers reports UP, as HAProxy does (it may only serve
     * redirects or the stats page). */
    put_str(r, F_STATUS, act + bck || !px->nservers ? "UP" : "DOWN");
    put_u64(r, F_WEIGHT, w);
    put_u64(r, F_ACT, act);
    put_u64(r, F_BCK, bck);
    put_u64(r, F_CHKDOWN, 0);
    put_u64(r, F_LASTCHG,
            secs_since(px->last_change_ms ? px->last_change_ms : d->start_mono_ms, now));
    put_u64(r, F_DOWNTIME, 0);
    put_u64(r, F_SID, 0);
    put_u64(r, F_LBTOT, LD(px->cum_conns));
    put_u64(r, F_RATE, px->rate);
    put_u64(r, F_RATE_MAX, px->rate_max);
    if (px->mode == LB_MODE_HTTP) {
        fill_http(r, px->hrsp);
        put_u64(r, F_REQ_TOT, LD(px->req_tot));
        backend_pool(r, px);
    }
    PUT_ABORTS(r, px, now);
    put_str(r, F_ALGO, lb_algo_name(px->algo));
    put_u64(r, F_UWEIGHT, uw);
    put_modules(r, 1);
}

/* Check columns stay empty until checkd has reported once, so "no result yet"
 * is not shown as a failure; the rise/fall/health numbers are always there
 * for servers with "check". */
static void fill_check(struct row *r, const struct lb_server *s)
{
    if (!(s->flags & LB_SRV_F_CHECK))
        return;
    if (s->check_status[0]) {
        put_str(r, F_CHECK_STATUS, s->check_status);
        if (s->check_code)
            put_u64(r, F_CHECK_CODE, (uint64_t)s->check_code);
        if (s->check_duration_ms >= 0)
            put_u64(r, F_CHECK_DURATION, (uint64_t)s->check_duration_ms);
        put_str(r, F_CHECK_DESC, s->check_desc);
        if (s->last_chk[0])
            put_str(r, F_LAST_CHK, s->last_chk);
    }
    put_u64(r, F_CHKFAIL, s->chkfail);
    put_u64(r, F_CHECK_RISE, s->rise);
    put_u64(r, F_CHECK_FALL, s->fall);
    put_u64(r, F_CHECK_HEALTH, s->check_health);
}

/* mode http server connections: opened, reused, idle (all, never reused,
 * safe), in use, the estimated need (lbd/http/http_conn.c) */
static void fill_pool(struct row *r, const struct lb_server *s)
{
    unsigned idle = LD(s->pool_idle), safe = LD(s->pool_safe);

    put_u64(r, F_CONNECT, LD(s->conn_connect));
    put_u64(r, F_REUSE, LD(s->conn_reuse));
    put_u64(r, F_SRV_ICUR, idle);
    put_u64(r, F_IDLE_CONN_CUR, idle - safe);
    put_u64(r, F_SAFE_CONN_CUR, safe);
    put_u64(r, F_USED_CONN_CUR, LD(s->pool_used));
    put_u64(r, F_NEED_CONN_EST, LD(s->pool_need));
}

/* lastchg and downtime are computed at the time of the dump from the
 * monotonic clock; an ongoing DOWN period is added to downtime so the value
 * grows while the server is down, as HAProxy's does. */
static void fill_server(struct row *r, const struct lb_server *s, uint64_t now)
{
    char buf[32], addr[LK_ADDR_STRLEN];
    int st = LD(s->state);

    fill_common(r, s->be, s->name, 2);
    put_u64(r, F_QCUR, LD(s->queued));
    put_u64(r, F_QMAX, LD(s->max_queued));
    PUT_SESSIONS(r, s);
    if (s->maxconn)
        put_u64(r, F_SLIM, s->maxconn);
    put_u64(r, F_DRESP, 0);
    put_srv_err(r, LD(s->failed_conns), LD(s->failed_resp), LD(s->retries), LD(s->redispatches));
    put_str(r, F_STATUS, lb_stats_srv_status(s, buf, sizeof(buf)));
    fill_weight(r, s, now);
    put_u64(r, F_ACT, (s->flags & LB_SRV_F_BACKUP) ? 0 : 1);
    put_u64(r, F_BCK, (s->flags & LB_SRV_F_BACKUP) ? 1 : 0);
    put_u64(r, F_CHKDOWN, s->chkdown);
    put_u64(r, F_LASTCHG, secs_since(s->last_change_ms, now));
    put_u64(
        r, F_DOWNTIME,
        (s->downtime_ms + (st == LB_SRV_DOWN && s->down_since_ms ? now - s->down_since_ms : 0)) /
            1000);
    put_u64(r, F_SID, s->puid);
    put_u64(r, F_LBTOT, LD(s->cum_conns));
    put_u64(r, F_RATE, s->rate);
    put_u64(r, F_RATE_MAX, s->rate_max);
    fill_check(r, s);
    if (s->be->mode == LB_MODE_HTTP) {
        fill_http(r, s->hrsp);
        fill_pool(r, s);
    }
    PUT_ABORTS(r, s, now);
    /* a server waiting for its name to resolve has no address yet */
    if (s->cur_addr->u.sa.sa_family != AF_UNSPEC)
        put_str(r, F_ADDR, lk_addr_str(s->cur_addr, addr, sizeof(addr)));
    if (s->cookie)
        put_str(r, F_COOKIE, s->cookie);
    put_u64(r, F_UWEIGHT, LD(s->cur_weight));
    put_modules(r, 0);
}

/* ---- output ---- */

typedef void (*row_fn)(struct lk_sb *sb, const struct row *r, int first);

/* As HAProxy's csv_enc(): a value with a comma, quote or line break is
 * quoted, its quotes doubled (check info texts can have them). */
/* Values come from server state and check texts (check_desc is checkd's
 * text), so they may contain commas; quoting keeps the columns aligned. */
static void csv_value(struct lk_sb *sb, const char *v)
{
    const char *p;

    if (!strpbrk(v, ",\"\r\n")) {
        lk_sb_puts(sb, v);
        return;
    }
    lk_sb_append(sb, "\"", 1);
    for (p = v; *p; p++) {
        if (*p == '"')
            lk_sb_append(sb, "\"", 1);
        lk_sb_append(sb, p, 1);
    }
    lk_sb_append(sb, "\"", 1);
}

static void csv_row(struct lk_sb *sb, const struct row *r, int first)
{
    int f;

    for (f = 0; f < F_MAX; f++) {
        if (r->v[f])
            csv_value(sb, r->v[f]);
        lk_sb_append(sb, ",", 1);
    }
    lk_sb_append(sb, "\n", 1);
}

static const char *const obj_types[3] = {"Frontend", "Backend", "Server"};

/* HAProxy's typed JSON: each field an object with its position, name and
 * tags. A value that parses as an integer is typed s64/u64, anything else
 * str; F_TYPE is always the first digit of a row's type (0 FE, 1 BE, 2
 * server). */
static json_t *json_field(const struct row *r, int f)
{
    const char *v = r->v[f];
    char *end;
    long long n;
    json_t *val;

    errno = 0;
    n = strtoll(v, &end, 10);
    if (*v && !*end && errno == 0)
        val = json_pack("{s:s, s:I}", "type", n < 0 ? "s64" : "u64", "value", (json_int_t)n);
    else
        val = json_pack("{s:s, s:s}", "type", "str", "value", v);
    return json_pack("{s:s, s:I, s:I, s:{s:i, s:s}, s:i, s:{s:s, s:s, s:s}, s:o}", "objType",
                     obj_types[r->v[F_TYPE][0] - '0'], "proxyId",
                     (json_int_t)strtoll(r->v[F_IID], NULL, 10), "id",
                     (json_int_t)strtoll(r->v[F_SID], NULL, 10), "field", "pos", f, "name",
                     field_names[f], "processNum", 1, "tags", "origin", "Metric", "nature", "Gauge",
                     "scope", "Service", "value", val);
}

static void json_row(struct lk_sb *sb, const struct row *r, int first)
{
    json_t *arr = json_array();
    char *s;
    int f;

    for (f = 0; f < F_MAX; f++)
        if (r->v[f])
            json_array_append_new(arr, json_field(r, f));
    s = json_dumps(arr, JSON_COMPACT);
    if (!first)
        lk_sb_append(sb, ",", 1);
    if (s)
        lk_sb_puts(sb, s);
    free(s);
    json_decref(arr);
}

int lb_stats_in_scope(const struct lb_proxy *page, const struct lb_proxy *px)
{
    size_t i;

    if (!page->stats.nscope)
        return 1;
    for (i = 0; i < page->stats.nscope; i++)
        if (strcmp(page->stats.scope[i], px->name) == 0 ||
            (strcmp(page->stats.scope[i], ".") == 0 && page == px))
            return 1;
    return 0;
}

static int want_px(const struct lb_stat_filter *f, const struct lb_proxy *px)
{
    if (f->iid >= 0 && (unsigned)f->iid != px->uuid)
        return 0;
    if (f->scope && !lb_stats_in_scope(f->scope, px))
        return 0;
    return !f->proxy || strcmp(f->proxy, px->name) == 0;
}

/* HAProxy's order: each proxy's frontend row, then its servers, then its
 * backend row. sid > 0 selects one server and so excludes the aggregate rows.
 * Deleted servers vanish from the output. */
static void walk(struct lk_sb *sb, struct lb_daemon *d, const struct lb_stat_filter *f, row_fn fn)
{
    uint64_t now = lk_mono_ms();
    struct lb_proxy *px;
    struct row r;
    unsigned i;
    int first = 1;

    for (px = d->cfg->proxies; px; px = px->next) {
        if (!want_px(f, px))
            continue;
        if ((px->cap & LB_CAP_FE) && (f->types & LB_STAT_TYPE_FE) && f->sid <= 0) {
            memset(&r, 0, sizeof(r));
            fill_frontend(&r, d, px);
            fn(sb, &r, first);
            first = 0;
        }
        for (i = 0; (px->cap & LB_CAP_BE) && (f->types & LB_STAT_TYPE_SRV) && i < px->nservers;
             i++) {
            if ((f->sid >= 0 && (unsigned)f->sid != px->servers[i]->puid) ||
                (px->servers[i]->flags & LB_SRV_F_DELETED))
                continue;
            memset(&r, 0, sizeof(r));
            fill_server(&r, px->servers[i], now);
            fn(sb, &r, first);
            first = 0;
        }
        if ((px->cap & LB_CAP_BE) && (f->types & LB_STAT_TYPE_BE) && f->sid <= 0) {
            memset(&r, 0, sizeof(r));
            fill_backend(&r, d, px, now);
            fn(sb, &r, first);
            first = 0;
        }
    }
}

/* header 0 gives the rows alone, for a caller that compares or appends
 * rows (the unit tests do); both CLI and stats page print the header. */
void lb_stats_csv(struct lk_sb *sb, struct lb_daemon *d, const struct lb_stat_filter *f, int header)
{
    int i;

    if (header) {
        lk_sb_puts(sb, "# ");
        for (i = 0; i < F_MAX; i++) {
            lk_sb_puts(sb, field_names[i]);
            lk_sb_append(sb, ",", 1);
        }
        lk_sb_append(sb, "\n", 1);
    }
    walk(sb, d, f, csv_row);
}

void lb_stats_json(struct lk_sb *sb, struct lb_daemon *d, const struct lb_stat_filter *f)
{
    lk_sb_append(sb, "[", 1);
    walk(sb, d, f, json_row);
    lk_sb_puts(sb, "]\n");
}

/* ---- show info ---- */

struct info_kv {
    const char *k;
    char v[64];
};

static unsigned count_listeners(const struct lb_cfg *cfg)
{
    const struct lb_proxy *px;
    const struct lb_bind *b;
    unsigned n = 0;

    for (px = cfg->proxies; px; px = px->next)
        for (b = px->binds; b; b = b->next)
            n++;
    return n;
}

/* Sums over the frontends for "show info". */
struct fe_sums {
    uint64_t bytes_out, req_tot;
    unsigned rate, rate_max;
};

static struct fe_sums fe_sums(const struct lb_cfg *cfg)
{
    struct fe_sums t = {0, 0, 0, 0};
    const struct lb_proxy *px;

    for (px = cfg->proxies; px; px = px->next)
        if (px->cap & LB_CAP_FE) {
            t.bytes_out += LD(px->bytes_out);
            t.req_tot += LD(px->req_tot);
            t.rate += px->rate;
            t.rate_max += px->rate_max;
        }
    return t;
}

/* Every key of HAProxy 2.6's "show info", in its order (hatop and
 * haproxy_exporter read them by name): lbd's values where it has the
 * thing, 0 for what it has not (TLS, compression, peers, pipes, pools). */
/* kv has room for every key; values longer than 63 characters (a very long
 * node name) are cut. */
static size_t info_fill(struct lb_daemon *d, struct info_kv *kv, size_t max)
{
    static const char *const zero[] = {
        "MaxSslConns", "CurrSslConns", "CumSslConns", "Maxpipes", "PipesUsed", "PipesFree",
    };
    static const char *const zero2[] = {
        "SslRate",
        "SslRateLimit",
        "MaxSslRate",
        "SslFrontendKeyRate",
        "SslFrontendMaxKeyRate",
        "SslFrontendSessionReuse_pct",
        "SslBackendKeyRate",
        "SslBackendMaxKeyRate",
        "SslCacheLookups",
        "SslCacheMisses",
        "CompressBpsIn",
        "CompressBpsOut",
        "CompressBpsRateLim",
    };
    uint64_t up = (lk_mono_ms() - d->start_mono_ms) / 1000;
    struct fe_sums t = fe_sums(d->cfg);
    struct rlimit rl = {0, 0};
    char host[64] = "";
    size_t n = 0, i;

    gethostname(host, sizeof(host) - 1);
    getrlimit(RLIMIT_NOFILE, &rl);
#define KV(key, ...)                                                                               \
    do {                                                                                           \
        if (n < max) {                                                                             \
            kv[n].k = key;                                                                         \
            snprintf(kv[n].v, sizeof(kv[n].v), __VA_ARGS__);                                       \
            n++;                                                                                   \
        }                                                                                          \
    } while (0)
    KV("Name", "lbd");
    KV("Version", "%s", LBKIT_VERSION);
    KV("Release_date", "2026/11/26");
    KV("Nbthread", "%u", d->nworkers);
    KV("Nbproc", "1");
    KV("Process_num", "1");
    KV("Pid", "%d", (int)getpid());
    KV("Uptime", "%llud %lluh%02llum%02llus", (unsigned long long)up / 86400,
       (unsigned long long)up / 3600 % 24, (unsigned long long)up / 60 % 60,
       (unsigned long long)up % 60);
    KV("Uptime_sec", "%llu", (unsigned long long)up);
    KV("Memmax_MB", "0");
    KV("PoolAlloc_MB", "0");
    KV("PoolUsed_MB", "0");
    KV("PoolFailed", "0");
    KV("Ulimit-n", "%llu", (unsigned long long)rl.rlim_cur);
    KV("Maxsock", "%llu", (unsigned long long)rl.rlim_cur);
    KV("Maxconn", "%u", d->cfg->global.maxconn);
    KV("Hard_maxconn", "%u", d->cfg->global.maxconn);
    KV("CurrConns", "%u", LD(d->actconn));
    KV("CumConns", "%llu", (unsigned long long)LD(d->cumconn));
    KV("CumReq", "%llu", (unsigned long long)t.req_tot);
    for (i = 0; i < LK_ARRAY_SIZE(zero); i++)
        KV(zero[i], "0");
    KV("ConnRate", "%u", t.rate);
    KV("ConnRateLimit", "0");
    KV("MaxConnRate", "%u", t.rate_max);
    KV("SessRate", "%u", t.rate);
    KV("SessRateLimit", "0");
    KV("MaxSessRate", "%u", t.rate_max);
    for (i = 0; i < LK_ARRAY_SIZE(zero2); i++)
        KV(zero2[i], "0");
    KV("Tasks", "%u", LD(d->actconn) + d->nworkers);
    KV("Run_queue", "0");
    KV("Idle_pct", "100");
    KV("node", "%s", d->cfg->global.node ? d->cfg->global.node : host);
    KV("Stopping", "%d", d->stopping);
    KV("Jobs", "%u", LD(d->actconn) + count_listeners(d->cfg));
    KV("Unstoppable Jobs", "0");
    KV("Listeners", "%u", count_listeners(d->cfg));
    KV("ActivePeers", "0");
    KV("ConnectedPeers", "0");
    KV("DroppedLogs", "0");
    KV("BusyPolling", "0");
    KV("FailedResolutions", "0");
    KV("TotalBytesOut", "%llu", (unsigned long long)t.bytes_out);
    KV("TotalSplicdedBytesOut", "0"); /* sic: HAProxy's spelling */
    KV("BytesOutRate", "0");
    KV("DebugCommandsIssued", "0");
    KV("CumRecvLogs", "0");
    KV("Build info", "lbd %s", LBKIT_VERSION);
    KV("Memmax_bytes", "0");
    KV("PoolAlloc_bytes", "0");
    KV("PoolUsed_bytes", "0");
    KV("Start_time_sec", "%llu", (unsigned long long)(d->start_wall_us / 1000000));
    KV("Tainted", "0");
#undef KV
    return n;
}

void lb_stats_info(struct lk_sb *sb, struct lb_daemon *d, int json)
{
    struct info_kv kv[80];
    size_t n = info_fill(d, kv, LK_ARRAY_SIZE(kv)), i;
    json_t *arr;
    char *s;

    if (!json) {
        for (i = 0; i < n; i++)
            lk_sb_printf(sb, "%s: %s\n", kv[i].k, kv[i].v);
        return;
    }
    arr = json_array();
    for (i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:{s:i, s:s}, s:i, s:{s:s, s:s}}", "field", "pos",
                                             (int)i, "name", kv[i].k, "processNum", 1, "value",
                                             "type", "str", "value", kv[i].v));
    s = json_dumps(arr, JSON_COMPACT);
    if (s)
        lk_sb_printf(sb, "%s\n", s);
    free(s);
    json_decref(arr);
}

/* ---- show servers state ---- */

/* HAProxy 2.6's version 1 server-state format, the one srvstate.c reads back:
 * a file written with "show servers state" lets the next start restore the
 * operator's decisions. The numbers are HAProxy's enums (op_state 2 running /
 * 0 stopped, check state 6 or 14, health state 3 up / 1 down), so that each
 * column means what it means in HAProxy's file. */
static void server_state_line(struct lk_sb *sb, const struct lb_server *s, uint64_t now)
{
    /* DRAIN is an admin flag in HAProxy: the server stays RUNNING (2) */
    static const int op_state[LB_SRV_STATE_MAX] = {2, 0, 0, 2};
    char ip[LK_ADDR_STRLEN] = "-";
    int st = LD(s->state);
    /* HAProxy's admin flags: 0x01 forced MAINT, 0x08 forced DRAIN, 0x20
     * MAINT for want of an address (resolution) */
    unsigned admin = st == LB_SRV_DRAIN ? 8u : st != LB_SRV_MAINT ? 0u : s->dns_maint ? 32u : 1u;
    /* and 0x40 once an SRV record gave it its name, a flag HAProxy 2.6
     * keeps (it clears it for "set server fqdn" once the name resolves) */
    unsigned srvname = s->fqdn_set ? 64u : 0u;

    if (s->cur_addr->u.sa.sa_family != AF_UNSPEC)
        lk_addr_ip_str(s->cur_addr, ip, sizeof(ip));
    lk_sb_printf(
        sb, "%u %s %u %s %s %d %u %u %u %llu %d %d %u %d 0 0 0 %s %u %s 0 0 - - 0\n", s->be->uuid,
        s->be->name, s->puid, s->name, ip, op_state[st], admin | srvname, LD(s->cur_weight),
        s->weight, (unsigned long long)secs_since(s->last_change_ms, now),
        s->check_status[0] ? 6 : 0, st == LB_SRV_UP ? 3 : 1, s->check_health,
        (s->flags & LB_SRV_F_CHECK) ? (admin ? 14 : 6) : 0, s->fqdn && s->resolvers ? s->fqdn : "-",
        s->cur_addr->u.sa.sa_family != AF_UNSPEC ? lk_addr_port(s->cur_addr) : s->dns_port,
        s->srvrecord ? s->srvrecord : "-");
}

int lb_stats_servers_state(struct lk_sb *sb, struct lb_daemon *d, const char *backend)
{
    uint64_t now = lk_mono_ms();
    struct lb_proxy *px;
    unsigned i;

    if (backend && !lb_cfg_find_proxy(d->cfg, backend, LB_CAP_BE))
        return -ENOENT;
    lk_sb_puts(sb, "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state "
                   "srv_uweight srv_iweight srv_time_since_last_change srv_check_status "
                   "srv_check_result srv_check_health srv_check_state srv_agent_state "
                   "bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl "
                   "srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n");
    for (px = d->cfg->proxies; px; px = px->next) {
        if (!(px->cap & LB_CAP_BE) || (backend && strcmp(px->name, backend) != 0))
            continue;
        for (i = 0; i < px->nservers; i++)
            if (!(px->servers[i]->flags & LB_SRV_F_DELETED))
                server_state_line(sb, px->servers[i], now);
    }
    return 0;
}

/* ---- rates ---- */

/* Rates are per second, sampled from the cumulative counters once a
 * second by the control thread (admin.c's health tick): the workers only
 * ever increment the totals, and rate, prev and max are written here
 * alone. The step assumes the total never decreases. */
static void rate_step(uint64_t cum, uint64_t *prev, unsigned *rate, unsigned *max)
{
    *rate = (unsigned)(cum - *prev);
    *prev = cum;
    if (*rate > *max)
        *max = *rate;
}

void lb_stats_tick(struct lb_daemon *d)
{
    struct lb_proxy *px;
    unsigned i;

    for (px = d->cfg->proxies; px; px = px->next) {
        rate_step(LD(px->cum_conns), &px->rate_prev, &px->rate, &px->rate_max);
        rate_step(LD(px->req_tot), &px->req_rate_prev, &px->req_rate, &px->req_rate_max);
        for (i = 0; (px->cap & LB_CAP_BE) && i < px->nservers; i++) {
            struct lb_server *s = px->servers[i];

            rate_step(LD(s->cum_conns), &s->rate_prev, &s->rate, &s->rate_max);
        }
    }
}
