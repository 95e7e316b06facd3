/* http_cfg.h - the mode http keywords of a proxy: acl, use_backend,
 * http-request, http-response, redirect, cookie, errorfile, retry-on,
 * http-reuse.
 *
 * Each keyword is parsed at its own line into typed structures in
 * px->http (ACLs, rule lists, settings): the handlers sit in lb_http_kws
 * at the bottom of http_cfg.c, beside the code they configure. Names that
 * may be defined later in the file (use_backend's backend) are resolved
 * once the whole file is read (lb_http_cfg_resolve). Worker threads only
 * read the result. A defaults section's rules are shared read-only by the
 * proxies that use it (they run first, as in HAProxy). */
#ifndef LB_HTTP_CFG_H
#define LB_HTTP_CFG_H

#include <stddef.h>

#include "common/cfgkw.h"
#include "lbd/cfg/errfile.h"
#include "lbd/core/proxy_types.h"
#include "lbd/http/acl.h"
#include "lbd/http/comp.h"
#include "lbd/http/http_rules.h"

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
#define LB_RETRY_ALL_RETRYABLE  (1u << 3) /* all-retryable-errors: first requests may reuse */

/* cookie options */
#define LB_COOKIE_INSERT   (1u << 0)
#define LB_COOKIE_INDIRECT (1u << 1)
#define LB_COOKIE_NOCACHE  (1u << 2)
#define LB_COOKIE_HTTPONLY (1u << 3)
#define LB_COOKIE_SECURE   (1u << 4)
#define LB_COOKIE_PRESERVE (1u << 5)

/* A capture slot of a frontend: "capture request|response header NAME len
 * N" (name set), "declare capture request|response len N" or "http-request
 * capture SAMPLE len N" (name NULL: filled by capture rules). Logged
 * between braces (%hr, %hs); read by capture.req.hdr(ID) / .res.hdr(ID). */
#define LB_CAPTURE_MAX 1024u
struct lb_capture {
    char *name;
    size_t name_len;
    unsigned len;
};

/* use_backend NAME [if|unless COND], and use-server NAME [if|unless COND]
 * in a backend (srv set, be NULL) */
struct lb_switch {
    struct lb_switch *next;
    struct lb_cond *cond; /* NULL: always */
    char *name;
    struct lb_proxy *be;   /* resolved after the whole file is read */
    struct lb_server *srv; /* use-server: resolved after the file too */
    struct lb_lfmt *dyn;   /* "use_backend %[...]": the name, per request */
    const char *file;
    unsigned line;
};

struct lb_http_px {
    struct lb_acl_set *acls;
    struct lb_switch *switching;      /* use_backend, in order */
    struct lb_switch *usesrv;         /* use-server, in order */
    struct lb_switch *ignore_persist; /* "ignore-persist if|unless COND": conditions only */
    struct lb_rule *reqrules;         /* http-request, in order */
    struct lb_rule *rsprules;         /* http-response, in order */
    struct lb_rule *afterrules;       /* http-after-response: every response, lbd's own too */
    struct lb_rule *redirects;        /* redirect statements (after http-request) */
    struct lb_rule *tcp_conn;         /* tcp-request connection (any mode) */
    struct lb_rule *tcp_content;      /* tcp-request content (any mode) */
    struct lb_rule *tcp_rsp;          /* tcp-response content (backends, mode tcp) */
    struct lb_stick *sticks;          /* stick on|match|store-request|store-response */
    uint64_t inspect_delay;           /* tcp-request inspect-delay (ms), 0: none */
    uint64_t rsp_inspect_delay;       /* tcp-response inspect-delay (ms), 0: none */
    const char *stick_file;           /* first stick / tcp-request line */
    unsigned stick_line;
    const struct lb_http_px *def; /* the defaults' rules, run first (not owned) */
    const char *rules_file;       /* first rule line, for mode tcp refusals */
    unsigned rules_line;
    char *cookie; /* cookie NAME; NULL: no persistence */
    size_t cookie_len;
    unsigned cookie_flags; /* LB_COOKIE_* */
    char *cookie_domain;
    unsigned retry_on;                  /* LB_RETRY_* */
    int reuse;                          /* enum lb_reuse */
    struct lb_errpages errpages;        /* errorfile, errorfiles, http-error */
    struct lb_comp_cfg *comp;           /* compression algo|type|offload, or NULL */
    struct lb_capture *capreq, *caprsp; /* "capture request|response header" */
    size_t ncapreq, ncaprsp;
    size_t capsize;    /* bytes a session needs to hold every capture */
    char *monitor_uri; /* answered 200 (503 if monitor_fail) and not logged */
    size_t monitor_len;
    struct lb_cond *monitor_fail; /* "monitor fail if|unless COND" */
};

/* The http keywords of proxy sections (LB_CAP_* in flags); the config
 * parser looks here after lb_proxy_kws. Handlers take struct lb_cfgctx;
 * those flagged LB_KW_HTTP find ctx->px->http already made. */
extern const struct lk_cfgkw lb_http_kws[];

/* The proxy's http settings, created with HAProxy's defaults on first
 * use. NULL on OOM. The result is owned by px (freed with it). */
struct lb_http_px *lb_http_px_get(struct lb_proxy *px);

/* A new proxy inherits from defaults `def`: settings are copied (the
 * backend ones only into proxies that are backends), rules are shared.
 * Returns 0 or -ENOMEM. */
int lb_http_px_inherit(struct lb_proxy *px, const struct lb_proxy *def);

/* After the whole file: resolve use_backend names, refuse http rules in
 * mode tcp. Returns 0, or a negative errno with every error appended to
 * *err as "FILE:LINE: ...". */
int lb_http_cfg_resolve(struct lb_cfg *cfg, char **err);

/* NULL-safe; returns NULL. */
struct lb_http_px *lb_http_px_free(struct lb_http_px *h);

/* The error response to send for `status`: the page `px` (the backend,
 * or the frontend before one is chosen) sets, then `px2`'s (the
 * frontend), as HAProxy looks them up, else lbd's built-in page. Never
 * NULL for the statuses lbd generates (400, 403, 408, 414, 431, 500, 501,
 * 502, 503, 504, 505). A slot with an http-error reply rule is returned
 * by lb_http_errslot instead. The message is owned by the config or static (built-ins): never freed
 * by the caller. */
const struct lb_errmsg *lb_http_errmsg(const struct lb_proxy *px,
                                       const struct lb_proxy *px2,
                                       int status);

/* The capture slots of a session: `caps` is its capture space (h->capsize
 * bytes, zeroed at each request: every slot unfilled), h the frontend's
 * config that lays the slots out, request slots first (rsp 0) then response
 * ones, each numbered from 0 in config order. lb_http_capture_put() fills
 * slot idx with v[n] cut at the slot's len; lb_http_capture_get() returns
 * its NUL-terminated text (pointing into caps), or NULL when the slot was
 * not filled. Both do nothing / return NULL for a NULL h or caps or an idx
 * h does not have. */
void lb_http_capture_put(const struct lb_http_px *h,
                         char *caps,
                         int rsp,
                         size_t idx,
                         const char *v,
                         size_t n);
const char *lb_http_capture_get(const struct lb_http_px *h, const char *caps, int rsp, size_t idx);

/* The configured page for `status` (px first, then px2), or NULL: the
 * built-in one applies. The slot is owned by the proxy's config. */
const struct lb_errslot *lb_http_errslot(const struct lb_proxy *px,
                                         const struct lb_proxy *px2,
                                         int status);

#endif
