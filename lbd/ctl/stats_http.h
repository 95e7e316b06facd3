/* stats_http.h - serves the stats page of proxies that do nothing else
 * ("listen stats" with "stats enable" and no server) from the control
 * thread, where the counters it shows are written, and the stats requests
 * workers hand over from proxies that also forward. One request per
 * connection (Connection: close), requests of at most 64 KiB. */
#ifndef LB_STATS_HTTP_H
#define LB_STATS_HTTP_H

#include <stddef.h>

struct http1_msg;
struct lb_daemon;
struct lb_proxy;
struct lk_addr;
struct lk_sb;

/* 1 if px only serves statistics (its binds belong to the control thread). */
int lb_stats_only(const struct lb_proxy *px);

/* Where a stats request comes from: the daemon, the stats-only proxy it
 * reached and the client's address. Borrowed for the call. */
struct lb_stats_peer {
    struct lb_daemon *d;
    struct lb_proxy *px;
    const struct lk_addr *client;
};

/* Answer the request at the start of buf[0, len) from peer->client to the
 * stats-only proxy peer->px: the head goes through proto/http1 (so whatever it
 * refuses gets its status: 400, 414, 431, 501, 505), a chunked body is
 * refused (501), a Content-Length body over 64 KiB gets 413. m carries the
 * parser state across calls (http1_msg_init() before the first one, then
 * the same m with a longer buf holding the same first bytes). Returns 1
 * when out holds the whole response (the connection is then closed), 0
 * when more bytes are needed. No I/O: this is the fuzzed entry point. */
int lb_stats_http_serve(const struct lb_stats_peer *peer,
                        struct http1_msg *m,
                        const char *buf,
                        size_t len,
                        struct lk_sb *out);

/* Bind the stats-only proxies' addresses. 0, or a negative errno (logged
 * with the bind's FILE:LINE). */
int lb_stats_http_start(struct lb_daemon *d);

/* Called on a worker thread: the worker found a request for px's stats page
 * in a proxy that also forwards (HAProxy serves the page from any proxy
 * whose "stats uri" matches), and the control thread, which owns the state
 * the page shows, answers it. fd is the client socket, given over: on 0 the
 * control thread owns it and closes it after one answer ("connection:
 * close"); on a negative errno (stopping, out of memory, a request over
 * 64 KiB) it is still the caller's. buf[0, len) holds the bytes already read
 * from fd, the request head first; copied. */
int lb_stats_http_adopt(struct lb_daemon *d,
                        struct lb_proxy *px,
                        int fd,
                        const char *buf,
                        size_t len);

/* Close listeners and connections; hand-overs are refused from now on. */
void lb_stats_http_stop(struct lb_daemon *d);

#endif
