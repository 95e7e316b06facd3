/* stats.h - HAProxy 2.6's statistics formats from lbd's counters: the
 * "show stat" CSV (same header, same column order, same row width), its
 * JSON form, "show info", "show servers state". Used by the admin socket
 * and the stats page, so both always agree. Control thread only. */
#ifndef LB_STATS_H
#define LB_STATS_H

#include "common/strbuf.h"
#include "lbd/core/proxy_types.h"

struct lb_daemon;

/* Field order of HAProxy 2.6's "show stat" (stats.c's table must match). */
enum lb_stat_field {
    F_PXNAME,
    F_SVNAME,
    F_QCUR,
    F_QMAX,
    F_SCUR,
    F_SMAX,
    F_SLIM,
    F_STOT,
    F_BIN,
    F_BOUT,
    F_DREQ,
    F_DRESP,
    F_EREQ,
    F_ECON,
    F_ERESP,
    F_WRETR,
    F_WREDIS,
    F_STATUS,
    F_WEIGHT,
    F_ACT,
    F_BCK,
    F_CHKFAIL,
    F_CHKDOWN,
    F_LASTCHG,
    F_DOWNTIME,
    F_QLIMIT,
    F_PID,
    F_IID,
    F_SID,
    F_THROTTLE,
    F_LBTOT,
    F_TRACKED,
    F_TYPE,
    F_RATE,
    F_RATE_LIM,
    F_RATE_MAX,
    F_CHECK_STATUS,
    F_CHECK_CODE,
    F_CHECK_DURATION,
    F_HRSP_1XX,
    F_HRSP_2XX,
    F_HRSP_3XX,
    F_HRSP_4XX,
    F_HRSP_5XX,
    F_HRSP_OTHER,
    F_HANAFAIL,
    F_REQ_RATE,
    F_REQ_RATE_MAX,
    F_REQ_TOT,
    F_CLI_ABRT,
    F_SRV_ABRT,
    F_COMP_IN,
    F_COMP_OUT,
    F_COMP_BYP,
    F_COMP_RSP,
    F_LASTSESS,
    F_LAST_CHK,
    F_LAST_AGT,
    F_QTIME,
    F_CTIME,
    F_RTIME,
    F_TTIME,
    F_AGENT_STATUS,
    F_AGENT_CODE,
    F_AGENT_DURATION,
    F_CHECK_DESC,
    F_AGENT_DESC,
    F_CHECK_RISE,
    F_CHECK_FALL,
    F_CHECK_HEALTH,
    F_AGENT_RISE,
    F_AGENT_FALL,
    F_AGENT_HEALTH,
    F_ADDR,
    F_COOKIE,
    F_MODE,
    F_ALGO,
    F_CONN_RATE,
    F_CONN_RATE_MAX,
    F_CONN_TOT,
    F_INTERCEPTED,
    F_DCON,
    F_DSES,
    F_WREW,
    F_CONNECT,
    F_REUSE,
    F_CACHE_LOOKUPS,
    F_CACHE_HITS,
    F_SRV_ICUR,
    F_SRC_ILIM,
    F_QTIME_MAX,
    F_CTIME_MAX,
    F_RTIME_MAX,
    F_TTIME_MAX,
    F_EINT,
    F_IDLE_CONN_CUR,
    F_SAFE_CONN_CUR,
    F_USED_CONN_CUR,
    F_NEED_CONN_EST,
    F_UWEIGHT,
    F_AGG_SERVER_STATUS,
    F_AGG_SERVER_CHECK_STATUS,
    F_AGG_CHECK_STATUS,
    F_SEP,
    F_SSL_SESS,
    F_SSL_REUSED_SESS,
    F_SSL_FAILED_HANDSHAKE,
    F_H2_HEADERS_RCVD,
    F_H2_DATA_RCVD,
    F_H2_SETTINGS_RCVD,
    F_H2_RST_STREAM_RCVD,
    F_H2_GOAWAY_RCVD,
    F_H2_DETECTED_CONN_PROTOCOL_ERRORS,
    F_H2_DETECTED_STRM_PROTOCOL_ERRORS,
    F_H2_RST_STREAM_RESP,
    F_H2_GOAWAY_RESP,
    F_H2_OPEN_CONNECTIONS,
    F_H2_BACKEND_OPEN_STREAMS,
    F_H2_TOTAL_CONNECTIONS,
    F_H2_BACKEND_TOTAL_STREAMS,
    F_H1_OPEN_CONNECTIONS,
    F_H1_OPEN_STREAMS,
    F_H1_TOTAL_CONNECTIONS,
    F_H1_TOTAL_STREAMS,
    F_H1_BYTES_IN,
    F_H1_BYTES_OUT,
    F_H1_SPLICED_BYTES_IN,
    F_H1_SPLICED_BYTES_OUT,
    F_MAX
};
#define LB_STAT_TYPE_FE  (1u << 0)
#define LB_STAT_TYPE_BE  (1u << 1)
#define LB_STAT_TYPE_SRV (1u << 2)
#define LB_STAT_TYPE_ALL 7u

/* Rows selection, as "show stat {iid|-1} {type|-1} {sid|-1}" has it;
 * `proxy` (name) may restrict further (NULL: all), and so may the "stats
 * scope" lines of the stats page's proxy `scope` (NULL: none). */
struct lb_stat_filter {
    int iid;
    unsigned types;
    int sid;
    const char *proxy;
    const struct lb_proxy *scope;
};

/* Does the stats page of proxy PAGE show proxy PX? Yes without "stats
 * scope" lines, else if one names PX, or is "." and PX is PAGE itself. */
int lb_stats_in_scope(const struct lb_proxy *page, const struct lb_proxy *px);

/* CSV: optional header line, then one row per object. */
void lb_stats_csv(struct lk_sb *sb,
                  struct lb_daemon *d,
                  const struct lb_stat_filter *f,
                  int header);

/* HAProxy's "show stat json": an array of rows, each an array of typed
 * fields. */
void lb_stats_json(struct lk_sb *sb, struct lb_daemon *d, const struct lb_stat_filter *f);

/* "show info" as "Key: value" lines, or JSON. */
void lb_stats_info(struct lk_sb *sb, struct lb_daemon *d, int json);

/* "show servers state [backend]": version line, header, one line per server.
 * Returns -ENOENT if the backend does not exist. */
int lb_stats_servers_state(struct lk_sb *sb, struct lb_daemon *d, const char *backend);

/* Status text of a server as the stats show it: "UP", "UP 1/3",
 * "DOWN 1/2", "MAINT", "DRAIN", "no check". */
const char *lb_stats_srv_status(const struct lb_server *s, char *buf, size_t len);

/* Once a second: session and request rates. */
void lb_stats_tick(struct lb_daemon *d);

#endif
