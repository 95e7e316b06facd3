/* tlog.h - traffic logs: one line per connection (tcplog) or request
 * (httplog) in HAProxy's formats, sent to the proxy's log targets.
 *
 * Each worker thread owns a struct lb_tlog (its sockets), so sending takes
 * no lock. Sends are non-blocking: a full syslog socket drops the line and
 * counts it rather than stalling traffic. */
#ifndef LB_TLOG_H
#define LB_TLOG_H

#include <stdint.h>

#include "lbd/core/proxy_types.h"

struct lb_tlog {
    int udp4, udp6, unix_fd; /* lazily opened, -1 until then */
    uint64_t dropped;
    char hostname[64];
};

/* What tcplog and httplog lines (and log-format's variables) say alike of
 * a session: who, the proxy and server names (NULL: none), the connection
 * counts when it is logged. Both records embed it as `sess`. */
struct lb_logsess {
    const struct lk_addr *client;
    const char *frontend, *backend, *server;
    unsigned actconn, feconn, beconn, srvconn, retries;
    int redispatched;
    unsigned srv_queue, be_queue;
    int asap; /* option logasap: logged early, figures so far marked '+' */
};

/* What a tcplog line says about one connection. Times in ms, -1 when the
 * phase was never reached (HAProxy's convention). */
struct lb_tcplog_rec {
    struct lb_logsess sess;
    uint64_t accept_wall_us;
    int64_t tw, tc, tt;
    uint64_t bytes_read; /* server to client */
    char term[2];
};

/* A worker's log sender (struct embedded by its owner): init marks the
 * sockets unopened (they open on the first line) and reads the host name;
 * fini closes what was opened. Neither fails. */
void lb_tlog_init(struct lb_tlog *t);
void lb_tlog_fini(struct lb_tlog *t);

/* Format a tcplog line (no trailing newline) into buf; returns its length
 * (truncated to len-1). Pure: exposed for tests. */
size_t lb_tcplog_format(char *buf, size_t len, const struct lb_tcplog_rec *r);

/* The start both log formats share: "IP:PORT [DD/Mon/YYYY:HH:MM:SS.mmm] "
 * for CLIENT at wall-clock WALL_US (local time, as HAProxy). Writes at
 * most LEN bytes (NUL included); returns the bytes written, without the
 * NUL. */
size_t lb_tlog_head(char *buf, size_t len, const struct lk_addr *client, uint64_t wall_us);

/* The syslog level of a session's line and whether to send it at all
 * (0), from the frontend's options: dontlog-normal drops sessions that
 * ended normally (termination flags "--"), log-separate-errors sends the
 * others at 'err' (3) instead of 'info' (6), as HAProxy does. */
int lb_tlog_level(const struct lb_proxy *fe, const char term[2], int status);

/* Fill ls's client and names for a session of frontend fe, backend be and
 * server srv (NULL: none), and the counts that read them now: feconn,
 * beconn, srvconn. The caller takes the session itself out of what it no
 * longer holds, and sets the rest. Only reads the proxies and server. */
void lb_logsess_fill(struct lb_logsess *ls,
                     const struct lk_addr *client,
                     const struct lb_proxy *fe,
                     const struct lb_proxy *be,
                     const struct lb_server *srv);

/* snprintf's result N as the bytes it wrote into a buffer of LEN
 * (truncated: at most LEN-1; 0 on an error). */
size_t lb_tlog_clamp(int n, size_t len);

/* The fields both formats log alike, for the struct lb_logsess R of a
 * record of either kind: "FRONTEND BACKEND/SERVER" (the frontend when no backend, <NOSRV> when no
 * server) and "actconn/feconn/beconn/srvconn/[+]retries srv_queue/be_queue"
 * ("+" when redispatched). Use as a printf format piece and its arguments. */
#define LB_TLOG_NAMES_FMT "%s %s/%s"
#define LB_TLOG_NAMES_ARGS(r)                                                                      \
    (r)->frontend, (r)->backend ? (r)->backend : (r)->frontend,                                    \
        (r)->server ? (r)->server : "<NOSRV>"
#define LB_TLOG_CONNS_FMT "%u/%u/%u/%u/%s%u %u/%u"
#define LB_TLOG_CONNS_ARGS(r)                                                                      \
    (r)->actconn, (r)->feconn, (r)->beconn, (r)->srvconn, (r)->redispatched ? "+" : "",            \
        (r)->retries, (r)->srv_queue, (r)->be_queue

/* True if the frontend logs at all (own targets or "log global"). */
int lb_tlog_enabled(const struct lb_proxy *fe, const struct lb_global *g);

/* True if the frontend has a session log format: option tcplog, option
 * httplog or log-format. Without one HAProxy logs no session line, only
 * lb_tlog_connect()'s line when each stream starts. */
int lb_tlog_has_format(const struct lb_proxy *fe);

/* HAProxy's line for a frontend without a log format, sent when a stream
 * starts (a TCP connection, an HTTP request): "Connect from CLI:PORT to
 * LOC:PORT (FE/TCP|HTTP)" at level info. Does nothing when the frontend has
 * a format or no log target. `loc` may be NULL (unknown: "undetermined
 * address", port 0, as HAProxy). */
void lb_tlog_connect(struct lb_tlog *t,
                     const struct lb_proxy *fe,
                     const struct lb_global *g,
                     const struct lk_addr *cli,
                     const struct lk_addr *loc,
                     int http);

/* Send `msg` at syslog level `level` (6 = info) to every target of the
 * frontend (its own, and the global ones with "log global"). */
void lb_tlog_send(struct lb_tlog *t,
                  const struct lb_proxy *fe,
                  const struct lb_global *g,
                  int level,
                  const char *msg,
                  size_t len);

/* The same with RFC 5424 structured data (log-format-sd), sent in that
 * field of the targets whose format is rfc5424 ("-" when sd is NULL or
 * empty) and nowhere else. sd is borrowed for the call. */
struct lb_tlog_sd {
    const char *data;
    size_t len;
};
void lb_tlog_send_sd(struct lb_tlog *t,
                     const struct lb_proxy *fe,
                     const struct lb_global *g,
                     int level,
                     const struct lb_tlog_sd *sd,
                     const char *msg,
                     size_t len);

#endif
