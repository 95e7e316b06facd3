/* stats_http.h - serves the stats page of proxies that do nothing else
 * ("listen stats" with "stats enable" and no server) from the control
 * thread, where the counters it shows are written. One request per
 * connection (Connection: close), requests of at most 64 KiB. */
#ifndef LB_STATS_HTTP_H
#define LB_STATS_HTTP_H

struct lb_daemon;
struct lb_proxy;

/* 1 if px only serves statistics (its binds belong to the control thread). */
int lb_stats_only(const struct lb_proxy *px);

/* Bind the stats-only proxies' addresses. 0, or a negative errno (logged
 * with the bind's FILE:LINE). */
int lb_stats_http_start(struct lb_daemon *d);

/* Close listeners and connections. */
void lb_stats_http_stop(struct lb_daemon *d);

#endif
