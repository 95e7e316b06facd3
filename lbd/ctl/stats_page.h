/* stats_page.h - the statistics page of "listen stats" (HAProxy's
 * "stats enable"): HTML with auto-refresh, ";csv", ";json", ";up",
 * ";norefresh" suffixes, a Prometheus exposition, HTTP basic auth and the
 * admin actions of "stats admin". It builds complete HTTP responses from
 * a parsed request; the transport lives in stats_http.c, which serves
 * proxies that do nothing else (a "stats uri" inside a forwarding proxy
 * is not intercepted, docs/http.md).
 * Control thread only. */
#ifndef LB_STATS_PAGE_H
#define LB_STATS_PAGE_H

#include <stddef.h>

#include "common/addr.h"
#include "common/strbuf.h"
#include "lbd/core/proxy_types.h"
#include "lbd/http/sample.h"

struct lb_daemon;

struct lb_stats_req {
    const char *method;
    const char *uri;           /* path and query, NUL-terminated */
    const char *authorization; /* header value or NULL */
    const char *body;          /* POST body (admin actions) or NULL */
    size_t body_len;
    const struct lk_addr *client;
    struct lb_smp_ctx *smp; /* the parsed request, for rule conditions */
};

/* Does this request belong to the stats page or metrics of proxy px?
 * Returns 1 if so, else 0; rq is only read. */
int lb_stats_page_match(const struct lb_proxy *px, const struct lb_stats_req *rq);

/* Build the full HTTP/1.1 response (status line, headers, body) into out.
 * Returns the HTTP status code. */
int lb_stats_page_respond(struct lb_daemon *d,
                          struct lb_proxy *px,
                          const struct lb_stats_req *rq,
                          struct lk_sb *out);

/* Prometheus text exposition of every proxy and server. */
void lb_stats_prometheus(struct lk_sb *sb, struct lb_daemon *d);

/* Constant-time check of "Basic <base64(user:pass)>" against the proxy's
 * "stats auth" list. 1 if allowed (or if no auth is configured). */
int lb_stats_auth_ok(const struct lb_proxy *px, const char *authorization);

#endif
