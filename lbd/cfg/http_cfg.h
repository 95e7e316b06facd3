/* http_cfg.h - the mode http keywords of a proxy, compiled once after the
 * whole config is read: acl, use_backend, http-request deny|allow, cookie,
 * errorfile, retry-on, http-reuse.
 *
 * proxy.c stores these keyword lines verbatim in px->extra (so that
 * defaults sections pass them on like any other setting); this module turns
 * them into px->http. Worker threads only read the result. */
#ifndef LB_HTTP_CFG_H
#define LB_HTTP_CFG_H

#include <stddef.h>

#include "lbd/core/proxy_types.h"
#include "lbd/http/acl.h"

enum lb_reuse {
    LB_REUSE_SAFE = 0,
    LB_REUSE_NEVER,
    LB_REUSE_AGGRESSIVE,
    LB_REUSE_ALWAYS,
    LB_REUSE_MAX
};

/* retry-on */
#define LB_RETRY_CONN_FAILURE   (1u << 0)
#define LB_RETRY_EMPTY_RESPONSE (1u << 1)
#define LB_RETRY_JUNK_RESPONSE  (1u << 2)

/* cookie options */
#define LB_COOKIE_INSERT   (1u << 0)
#define LB_COOKIE_INDIRECT (1u << 1)
#define LB_COOKIE_NOCACHE  (1u << 2)
#define LB_COOKIE_HTTPONLY (1u << 3)
#define LB_COOKIE_SECURE   (1u << 4)
#define LB_COOKIE_PRESERVE (1u << 5)

struct lb_http_rule {
    struct lb_http_rule *next;
    struct lb_cond *cond; /* NULL: always */
    struct lb_proxy *be;  /* use_backend */
    int deny_status;      /* http-request deny: status; 0 for allow */
};

/* A canned or configured error response: a complete HTTP message. */
struct lb_errmsg {
    int status;
    char *data;
    size_t len;
};

#define LB_HTTP_NERR 16

struct lb_http_px {
    struct lb_acl_set *acls;
    struct lb_http_rule *switching; /* use_backend, in order */
    struct lb_http_rule *reqrules;  /* http-request, in order */
    char *cookie;                   /* cookie NAME; NULL: no persistence */
    size_t cookie_len;
    unsigned cookie_flags; /* LB_COOKIE_* */
    char *cookie_domain;
    unsigned retry_on; /* LB_RETRY_* */
    int reuse;         /* enum lb_reuse */
    struct lb_errmsg errfiles[LB_HTTP_NERR];
    size_t nerrfiles;
};

/* Compile px->extra into px->http for every proxy of mode http. Returns 0,
 * or a negative errno with *err = "FILE:LINE: proxy 'NAME': ...". */
int lb_http_cfg_compile(struct lb_cfg *cfg, char **err);

/* NULL-safe; returns NULL. */
struct lb_http_px *lb_http_px_free(struct lb_http_px *h);

/* The error response to send for `status`: the errorfile of `px` (then of
 * `px2`), else lbd's built-in page. Never NULL for the statuses lbd
 * generates (400, 403, 408, 414, 431, 500, 501, 502, 503, 504, 505). */
const struct lb_errmsg *lb_http_errmsg(const struct lb_proxy *px,
                                       const struct lb_proxy *px2,
                                       int status);

#endif
