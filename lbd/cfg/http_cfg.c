/* http_cfg.c - compile the mode http keywords of each proxy; see http_cfg.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cfgkw.h"
#include "common/cfglex.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "lbd/cfg/cfg.h"
#include "lbd/cfg/http_cfg.h"
#include "lbd/cfg/proxy.h"
#include "lbd/core/server.h"
#include "lbd/core/stktable.h"

/* lbd's own error pages: HAProxy's layout (status line, no-cache, a small
 * HTML body; no Connection field, as HAProxy: whether the connection stays
 * open is decided when one is sent), our wording but for 401 and 407, whose
 * page is HAProxy's (clients and the reg-tests compare its length). */
static const struct {
    int status;
    const char *reason, *text;
} builtin[] = {
    {200, "OK", "Service ready."},
    {400, "Bad request", "Your browser sent an invalid request."},
    {401, "Unauthorized", "You need a valid user and password to access this content."},
    {403, "Forbidden", "Request forbidden by administrative rules."},
    {404, "Not Found", "The requested resource was not found."},
    {405, "Method Not Allowed", "This resource does not accept the request's method."},
    {407, "Unauthorized", "You need a valid user and password to access this content."},
    {408, "Request Time-out", "Your browser didn't send a complete request in time."},
    {410, "Gone", "This resource is gone for good."},
    {413, "Payload Too Large", "The request body is larger than this server accepts."},
    {414, "URI Too Long", "The request line is longer than this server accepts."},
    {421, "Misdirected Request", "This server is not authoritative for the request."},
    {422, "Unprocessable Content", "The request could not be processed."},
    {425, "Too Early", "The request was sent as early data."},
    {429, "Too Many Requests", "Too many requests were sent in a short time; try again later."},
    {431, "Request Header Fields Too Large",
     "The request headers are larger than this server accepts."},
    {500, "Internal Server Error", "An internal server error occurred."},
    {501, "Not Implemented",
     "The server does not support the functionality required by the request."},
    {502, "Bad Gateway", "The server returned an invalid or incomplete response."},
    {503, "Service Unavailable", "No server is available to handle this request."},
    {504, "Gateway Time-out", "The server didn't respond in time."},
    {505, "HTTP Version Not Supported", "The HTTP version of the request is not supported."},
};

/* Built once, on first use, from whichever thread needs one first: the pages
 * are immutable afterwards and shared by every worker. A failed allocation
 * leaves data NULL and the lookup falls through to the 500. */
static struct lb_errmsg builtin_msgs[LK_ARRAY_SIZE(builtin)];
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void builtin_init(void)
{
    char body[512], *m;
    size_t i;
    int bl, n;

    for (i = 0; i < LK_ARRAY_SIZE(builtin); i++) {
        bl = snprintf(body, sizeof(body), "<html><body><h1>%d %s</h1>\n%s\n</body></html>\n",
                      builtin[i].status, builtin[i].reason, builtin[i].text);
        n = asprintf(&m,
                     "HTTP/1.1 %d %s\r\ncontent-length: %d\r\ncache-control: no-cache\r\n"
                     "content-type: text/html\r\n\r\n%s",
                     builtin[i].status, builtin[i].reason, bl, body);
        builtin_msgs[i].status = builtin[i].status;
        builtin_msgs[i].data = n < 0 ? NULL : m;
        builtin_msgs[i].len = n < 0 ? 0 : (size_t)n;
    }
}

/* The frontend's pages first, then the backend's (px2), as HAProxy looks them
 * up: a backend's errorfile serves the requests routed to it, a frontend's
 * covers what never reached a backend. */
const struct lb_errslot *lb_http_errslot(const struct lb_proxy *px,
                                         const struct lb_proxy *px2,
                                         int status)
{
    const struct lb_errslot *e = NULL;

    if (px && px->http)
        e = lb_errpages_get(&px->http->errpages, status);
    if (!e && px2 && px2->http)
        e = lb_errpages_get(&px2->http->errpages, status);
    return e;
}

/* Always returns a page when memory allowed building the built-ins: a status
 * without its own page gets the 500 one, never nothing, so the caller can
 * always answer. An http-error with a "reply" is built per request by the
 * caller, hence skipped here. */
const struct lb_errmsg *lb_http_errmsg(const struct lb_proxy *px,
                                       const struct lb_proxy *px2,
                                       int status)
{
    const struct lb_errslot *e = lb_http_errslot(px, px2, status);
    size_t i;

    if (e && !e->reply)
        return &e->msg;
    pthread_once(&builtin_once, builtin_init);
    for (i = 0; i < LK_ARRAY_SIZE(builtin); i++)
        if (builtin_msgs[i].status == status && builtin_msgs[i].data)
            return &builtin_msgs[i];
    for (i = 0; i < LK_ARRAY_SIZE(builtin); i++)
        if (builtin_msgs[i].status == 500 && builtin_msgs[i].data)
            return &builtin_msgs[i];
    return NULL;
}

static struct lb_switch *switch_free(struct lb_switch *r)
{
    struct lb_switch *n;

    for (; r; r = n) {
        n = r->next;
        lb_cond_free(r->cond);
        lb_lfmt_free(r->dyn);
        free(r->name);
        free(r);
    }
    return NULL;
}

struct lb_http_px *lb_http_px_free(struct lb_http_px *h)
{
    size_t i;

    if (!h)
        return NULL;
    switch_free(h->switching);
    switch_free(h->usesrv);
    switch_free(h->ignore_persist);
    lb_rule_list_free(h->reqrules);
    lb_rule_list_free(h->rsprules);
    lb_rule_list_free(h->afterrules);
    lb_rule_list_free(h->redirects);
    lb_rule_list_free(h->tcp_conn);
    lb_rule_list_free(h->tcp_content);
    lb_rule_list_free(h->tcp_rsp);
    lb_stick_list_free(h->sticks);
    lb_acl_set_free(h->acls);
    lb_errpages_clear(&h->errpages);
    lb_comp_cfg_free(h->comp);
    free(h->cookie);
    free(h->cookie_domain);
    free(h->monitor_uri);
    lb_cond_free(h->monitor_fail);
    for (i = 0; i < h->ncapreq; i++)
        free(h->capreq[i].name);
    for (i = 0; i < h->ncaprsp; i++)
        free(h->caprsp[i].name);
    free(h->capreq);
    free(h->caprsp);
    free(h);
    return NULL;
}

/* Created lazily: a mode tcp proxy without acl or rules never allocates the
 * http part. retry-on's default is HAProxy's (conn-failure and empty-
 * response). */
struct lb_http_px *lb_http_px_get(struct lb_proxy *px)
{
    struct lb_http_px *h = px->http;

    if (h)
        return h;
    h = calloc(1, sizeof(*h));
    if (!h || !(h->acls = lb_acl_set_new())) {
        free(h);
        return NULL;
    }
    h->retry_on = LB_RETRY_CONN_FAILURE | LB_RETRY_EMPTY_RESPONSE;
    px->http = h;
    return h;
}

/* HAProxy's inheritance for the http part: the defaults' rules are not copied
 * but chained (h->def), so they run before the proxy's own rules and are
 * parsed once. Error pages and compression are copied. monitor-uri applies to
 * frontends, retry/reuse/cookie to backends. */
int lb_http_px_inherit(struct lb_proxy *px, const struct lb_proxy *def)
{
    const struct lb_http_px *d = def->http;
    struct lb_http_px *h;

    if (!d)
        return 0;
    if (!(h = lb_http_px_get(px)))
        return -ENOMEM;
    /* the defaults' own rules run first; a defaults "from" another keeps
     * the chain through its own def pointer */
    h->def = (d->reqrules || d->rsprules || d->afterrules || d->redirects || d->def) ? d : NULL;
    h->rules_file = d->rules_file;
    h->rules_line = d->rules_line;
    if (lb_errpages_inherit(&h->errpages, &d->errpages) < 0 ||
        (d->comp && !(h->comp = lb_comp_cfg_dup(d->comp))))
        return -ENOMEM;
    if (d->monitor_uri && (px->cap & (LB_CAP_FE | LB_CAP_DEF))) {
        if (!(h->monitor_uri = strdup(d->monitor_uri)))
            return -ENOMEM;
        h->monitor_len = d->monitor_len;
    }
    if (!(px->cap & (LB_CAP_BE | LB_CAP_DEF)))
        return 0; /* backend settings mean nothing to a frontend, as in HAProxy */
    h->retry_on = d->retry_on;
    h->reuse = d->reuse;
    h->cookie_flags = d->cookie_flags;
    h->cookie_len = d->cookie_len;
    if ((d->cookie && !(h->cookie = strdup(d->cookie))) ||
        (d->cookie_domain && !(h->cookie_domain = strdup(d->cookie_domain))))
        return -ENOMEM;
    return 0;
}

/* ---- keyword handlers: argv is the line's words, quotes removed ---- */

/* A module's message becomes "FILE:LINE: frontend 'x': ..." */
/* Takes ownership of msg (a module's error text, or NULL on OOM) and returns
 * LK_CFG_FATAL, so handlers can end with "return fail(...)". */
static int fail(struct lb_cfgctx *ctx, char **err, int r, char *msg)
{
    int ret;

    if (r == -ENOMEM && !msg)
        ret = lb_cfg_fail(ctx, err, "out of memory");
    else if (ctx->px->name)
        ret = lb_cfg_fail(ctx, err, "%s '%s': %s", lb_proxy_kind(ctx->px), ctx->px->name,
                          msg ? msg : "invalid");
    else
        ret = lb_cfg_fail(ctx, err, "defaults: %s", msg ? msg : "invalid");
    free(msg);
    return ret;
}

static int pfail(struct lb_cfgctx *ctx, char **err, const char *fmt, ...) LK_PRINTF(3, 4);

static int pfail(struct lb_cfgctx *ctx, char **err, const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = lk_vfmt(fmt, ap);
    va_end(ap);
    return fail(ctx, err, msg ? -EINVAL : -ENOMEM, msg);
}

static struct lb_http_px *http_of(struct lb_cfgctx *ctx)
{
    return lb_http_px_get(ctx->px);
}

/* The condition parsers of later lines look ACLs up by name in h->acls, so an
 * acl must be declared before the rule that uses it, as in HAProxy. */
static int kw_acl(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_http_px *h = ctx->px->http;
    char *msg = NULL;
    int r = lb_acl_add(h->acls, argc, argv, &msg);

    return r < 0 ? fail(ctx, err, r, msg) : 0;
}

/* A use_backend target is kept by name and resolved after the whole file
 * (resolve_proxy), because the backend may be defined further down. A name
 * containing %[...] is compiled into a log-format expression and looked up
 * per request. */
static int kw_use_backend(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_http_px *h = ctx->px->http;
    struct lb_switch *r, **tail;
    char *msg = NULL;
    int ret = 0;

    if (!(r = calloc(1, sizeof(*r))))
        return fail(ctx, err, -ENOMEM, NULL);
    r->file = ctx->file;
    r->line = ctx->line;
    if (!(r->name = strdup(argv[1])))
        ret = -ENOMEM;
    else if (strstr(argv[1], "%[") && argv[0][3] == '-')
        ret = -EINVAL,
        msg = strdup("use-server: a name built from samples is not supported by lbd");
    else if (strstr(argv[1], "%[")) /* a name built per request, from samples */
        ret = lb_lfmt_parse(argv[1], LB_SMP_USE_REQ, &r->dyn, &msg);
    if (ret == 0 && argc > 2)
        /* the mode may come later in the section: what the condition
         * reads is checked against it after the file (resolve_proxy) */
        ret = lb_cond_parse(h->acls, LB_SMP_USE_REQ | LB_SMP_USE_PAYLOAD, argc - 2, argv + 2,
                            &r->cond, &msg);
    if (ret < 0) {
        switch_free(r);
        return fail(ctx, err, ret, msg);
    }
    /* use_backend or use-server (argv[0][3] is '_' or '-') */
    for (tail = argv[0][3] == '-' ? &h->usesrv : &h->switching; *tail; tail = &(*tail)->next)
        ;
    *tail = r;
    return 0;
}

/* "ignore-persist if|unless COND" (backend, listen): a request for which
 * one holds does not follow its persistence cookie, and gets none, as
 * HAProxy 2.6's SF_IGNORE_PRST. In a frontend HAProxy warns and drops it
 * (no backend side: no persistence to ignore); so does lbd. */
static int kw_ignore_persist(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_http_px *h;
    struct lb_switch *r, **tail;
    char *msg = NULL;
    int ret;

    if (!(ctx->px->cap & LB_CAP_BE)) {
        lk_log(LK_LOG_WARNING,
               "%s:%u: 'ignore-persist' ignored because %s '%s' has no backend "
               "capability",
               ctx->file, ctx->line, lb_proxy_kind(ctx->px), ctx->px->name);
        return LK_CFG_WARN;
    }
    if (strcmp(argv[1], "if") != 0 && strcmp(argv[1], "unless") != 0)
        return fail(ctx, err, -EINVAL,
                    strdup("'ignore-persist' requires either 'if' or 'unless' followed by a "
                           "condition"));
    h = http_of(ctx);
    if (!h || !(r = calloc(1, sizeof(*r))))
        return fail(ctx, err, -ENOMEM, NULL);
    r->file = ctx->file;
    r->line = ctx->line;
    ret = lb_cond_parse(h->acls, LB_SMP_USE_REQ, argc - 1, argv + 1, &r->cond, &msg);
    if (ret < 0) {
        switch_free(r);
        return fail(ctx, err, ret, msg);
    }
    for (tail = &h->ignore_persist; *tail; tail = &(*tail)->next)
        ;
    *tail = r;
    return 0;
}

/* The first rule's line is kept as the position of errors that concern the
 * rule list as a whole (e.g. http rules in a mode tcp proxy), which
 * resolve_proxy() can only detect once the mode is final. */
static int add_rule(struct lb_cfgctx *ctx,
                    struct lb_rule **(*list)(struct lb_http_px *),
                    enum lb_rule_phase phase,
                    int argc,
                    char **argv,
                    char **err)
{
    struct lb_http_px *h = ctx->px->http;
    char *msg = NULL;
    int r;

    r = lb_rule_parse(list(h), h->acls, phase, argc, argv, &msg);
    if (r < 0)
        return fail(ctx, err, r, msg);
    if (!h->rules_file) {
        h->rules_file = ctx->file;
        h->rules_line = ctx->line;
    }
    return 0;
}

static struct lb_rule **req_list(struct lb_http_px *h)
{
    return &h->reqrules;
}

static struct lb_rule **rsp_list(struct lb_http_px *h)
{
    return &h->rsprules;
}

static struct lb_rule **redirect_list(struct lb_http_px *h)
{
    return &h->redirects;
}

static int add_slot(struct lb_cfgctx *ctx, int rsp, const char *name, unsigned len, char **err);

/* "http-request capture SAMPLE len N" declares a slot of its own in the
 * frontend, numbered with the other request captures in config order. */
static int kw_http_request(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_http_px *h;
    unsigned len;
    int r = add_rule(ctx, req_list, LB_RULE_REQ, argc, argv, err);

    if (r) /* a refusal (LK_CFG_* flags, as every handler returns) */
        return r;
    h = ctx->px->http;
    if (!(len = lb_rule_capture_claim(h->reqrules, (unsigned)h->ncapreq)))
        return 0;
    if (ctx->px->cap & LB_CAP_DEF)
        return pfail(ctx, err,
                     "http-request capture: 'len' is not supported in defaults by lbd "
                     "(write it in each frontend)");
    if (!(ctx->px->cap & LB_CAP_FE))
        return pfail(ctx, err,
                     "http-request capture: proxy '%s' has no frontend capability "
                     "(use 'id N' with a slot its frontend declares)",
                     ctx->px->name);
    return add_slot(ctx, 0, NULL, len, err);
}

static int kw_http_response(int argc, char **argv, void *vctx, char **err)
{
    return add_rule(vctx, rsp_list, LB_RULE_RSP, argc, argv, err);
}

static struct lb_rule **after_list(struct lb_http_px *h)
{
    return &h->afterrules;
}

/* In an anonymous defaults section HAProxy 2.6 refuses it, with these words;
 * lbd does the same, so a config valid for one is valid for the other. */
static int kw_http_after(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    if ((ctx->px->cap & LB_CAP_DEF) && !ctx->px->name) /* HAProxy's rule, and words */
        return lb_cfg_fail(ctx, err,
                           "'http-after-response' not allowed in anonymous 'defaults' section.");
    return add_rule(vctx, after_list, LB_RULE_AFTER, argc, argv, err);
}

static int kw_redirect(int argc, char **argv, void *vctx, char **err)
{
    return add_rule(vctx, redirect_list, LB_RULE_REDIRECT, argc, argv, err);
}

static struct lb_rule **tcp_conn_list(struct lb_http_px *h)
{
    return &h->tcp_conn;
}

static struct lb_rule **tcp_content_list(struct lb_http_px *h)
{
    return &h->tcp_content;
}

/* The first stick/track/tcp-request line of a proxy: the position reported by
 * errors about that rule set as a whole. */
static void note_line(struct lb_cfgctx *ctx, struct lb_http_px *h)
{
    if (!h->stick_file) {
        h->stick_file = ctx->file;
        h->stick_line = ctx->line;
    }
}

/* inspect-delay is how long tcp-request content rules may wait for payload
 * (req.len, req.ssl_*) before they are evaluated on what came; bounded at an
 * hour, far past any sane client hello. */
static int kw_tcp_request(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    int r;

    if (strcmp(argv[1], "inspect-delay") == 0) {
        struct lb_http_px *h = ctx->px->http;

        if (argc != 3 || lk_parse_time_ms(argv[2], 1, 3600000, &h->inspect_delay) < 0)
            return pfail(ctx, err, "tcp-request inspect-delay: expected a time, got '%s'",
                         argc > 2 ? argv[2] : "");
        note_line(ctx, h);
        return 0;
    }
    if (argc < 3 || (strcmp(argv[1], "connection") != 0 && strcmp(argv[1], "content") != 0))
        return pfail(ctx, err, "tcp-request %s: not supported by lbd (connection, content)",
                     argv[1]);
    if (strcmp(argv[1], "connection") == 0)
        r = add_rule(ctx, tcp_conn_list, LB_RULE_TCP_CONN, argc, argv, err);
    else
        r = add_rule(ctx, tcp_content_list, LB_RULE_TCP_CONTENT, argc, argv, err);
    if (r == 0)
        note_line(ctx, ctx->px->http);
    return r;
}

static struct lb_rule **tcp_rsp_list(struct lb_http_px *h)
{
    return &h->tcp_rsp;
}

/* tcp-response: rules on what the server sends first, before it reaches
 * the client (lbd/tcp/tcpfwd.c); inspect-delay is how long they may wait
 * for more of it, as tcp-request's. */
static int kw_tcp_response(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_http_px *h = ctx->px->http;

    if (strcmp(argv[1], "inspect-delay") == 0) {
        if (argc != 3 || lk_parse_time_ms(argv[2], 1, 3600000, &h->rsp_inspect_delay) < 0)
            return pfail(ctx, err, "tcp-response inspect-delay: expected a time, got '%s'",
                         argc > 2 ? argv[2] : "");
        note_line(ctx, h);
        return 0;
    }
    if (argc < 3 || strcmp(argv[1], "content") != 0)
        return pfail(ctx, err, "tcp-response %s: not supported by lbd (content, inspect-delay)",
                     argv[1]);
    note_line(ctx, h);
    return add_rule(ctx, tcp_rsp_list, LB_RULE_TCP_RSP, argc, argv, err);
}

/* Each capture adds len+2 bytes to the capture space every request carries
 * (capsize). Request slots come first, then response ones, each in config
 * order: that order is their id and their place in %hr / %hs. A slot
 * without a name is filled by capture rules only. */
static int add_slot(struct lb_cfgctx *ctx, int rsp, const char *name, unsigned len, char **err)
{
    struct lb_http_px *h = ctx->px->http;
    struct lb_capture **v = rsp ? &h->caprsp : &h->capreq, *c;
    size_t *n = rsp ? &h->ncaprsp : &h->ncapreq;

    c = realloc(*v, (*n + 1) * sizeof(*c));
    if (!c)
        return fail(ctx, err, -ENOMEM, NULL);
    *v = c;
    c += (*n)++;
    c->len = len;
    c->name = NULL;
    c->name_len = name ? strlen(name) : 0;
    if (name && !(c->name = strdup(name)))
        return fail(ctx, err, -ENOMEM, NULL);
    h->capsize += c->len + 2; /* see slot_at() */
    return 0;
}

/* "capture request|response header NAME len N"; "capture cookie" is
 * refused as lbd does not implement it. */
static int kw_capture(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    uint64_t len;

    if (argc != 6 || strcmp(argv[2], "header") != 0 || strcmp(argv[4], "len") != 0 ||
        (strcmp(argv[1], "request") != 0 && strcmp(argv[1], "response") != 0))
        return pfail(ctx, err,
                     "capture: expected 'capture request|response header NAME len N' (capture "
                     "cookie is not supported by lbd)");
    if (lk_parse_uint(argv[5], 1, LB_CAPTURE_MAX, &len) < 0)
        return pfail(ctx, err, "capture: len must be 1-%u", LB_CAPTURE_MAX);
    return add_slot(ctx, argv[1][2] == 's', argv[3], (unsigned)len, err);
}

/* "declare capture request|response len N": a slot for capture rules
 * ("capture ... id N", in this frontend or in its backends). */
static int kw_declare(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    uint64_t len;

    if (argc != 5 || strcmp(argv[1], "capture") != 0 || strcmp(argv[3], "len") != 0 ||
        (strcmp(argv[2], "request") != 0 && strcmp(argv[2], "response") != 0))
        return pfail(ctx, err, "declare: expected 'declare capture request|response len N'");
    if (lk_parse_uint(argv[4], 1, LB_CAPTURE_MAX, &len) < 0)
        return pfail(ctx, err, "declare capture: len must be 1-%u", LB_CAPTURE_MAX);
    return add_slot(ctx, argv[2][2] == 's', NULL, (unsigned)len, err);
}

/* A slot is a "filled" byte (0 until a value is put: HAProxy logs '-' for
 * a slot never filled, nothing for an empty value), up to len bytes of text
 * and a NUL. *len: the slot's length; NULL if there is no such slot. */
static char *slot_at(const struct lb_http_px *h,
                     const char *caps,
                     int rsp,
                     size_t idx,
                     unsigned *len)
{
    size_t i, off = 0;

    if (!h || !caps || idx >= (rsp ? h->ncaprsp : h->ncapreq))
        return NULL;
    for (i = 0; i < h->ncapreq && (rsp || i < idx); i++)
        off += h->capreq[i].len + 2;
    for (i = 0; rsp && i < idx; i++)
        off += h->caprsp[i].len + 2;
    *len = rsp ? h->caprsp[idx].len : h->capreq[idx].len;
    return (char *)(uintptr_t)caps + off;
}

void lb_http_capture_put(const struct lb_http_px *h,
                         char *caps,
                         int rsp,
                         size_t idx,
                         const char *v,
                         size_t n)
{
    unsigned len;
    char *slot = slot_at(h, caps, rsp, idx, &len);

    if (!slot)
        return;
    n = LK_MIN(n, (size_t)len);
    slot[0] = 1;
    memcpy(slot + 1, v, n);
    slot[1 + n] = '\0';
}

const char *lb_http_capture_get(const struct lb_http_px *h, const char *caps, int rsp, size_t idx)
{
    unsigned len;
    const char *slot = slot_at(h, caps, rsp, idx, &len);

    return slot && slot[0] ? slot + 1 : NULL;
}

/* monitor-uri answers 200 on that path without a backend (load balancer
 * health probes); "monitor fail" turns it into a 503 when its condition
 * holds. A value starting with '/' is matched against the request's path
 * (and query), anything else against the whole target, as HAProxy 2.6. */
static int kw_monitor_uri(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_http_px *h = ctx->px->http;

    if (!argv[1][0])
        return pfail(ctx, err, "monitor-uri: expected a URI");
    free(h->monitor_uri);
    if (!(h->monitor_uri = strdup(argv[1])))
        return fail(ctx, err, -ENOMEM, NULL);
    h->monitor_len = strlen(argv[1]);
    return 0;
}

static int kw_monitor(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_http_px *h = ctx->px->http;
    char *msg = NULL;
    int r;

    if (strcmp(argv[1], "fail") != 0 || argc < 4)
        return pfail(ctx, err, "monitor: expected 'monitor fail if|unless COND'");
    lb_cond_free(h->monitor_fail);
    h->monitor_fail = NULL;
    r = lb_cond_parse(h->acls, LB_SMP_USE_REQ, argc - 2, argv + 2, &h->monitor_fail, &msg);
    return r < 0 ? fail(ctx, err, r, msg) : 0;
}

/* The table is named after its proxy, as in HAProxy, which is how "table
 * NAME" in track-sc and stick rules finds it. */
static int kw_stick_table(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    char *msg = NULL;
    int r;

    if (ctx->px->stk)
        return pfail(ctx, err, "stick-table: only one per proxy");
    r = lb_stk_parse(ctx->px->name, argc, argv, &ctx->px->stk, &msg);
    if (r < 0)
        return fail(ctx, err, r, msg);
    ctx->px->stk->file = ctx->file;
    ctx->px->stk->line = ctx->line;
    return 0;
}

static int kw_stick(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_http_px *h = ctx->px->http;
    char *msg = NULL;
    int r;

    r = lb_stick_parse(&h->sticks, h->acls, argc, argv, &msg);
    if (r < 0)
        return fail(ctx, err, r, msg);
    note_line(ctx, h);
    return 0;
}

static int cookie_opt(struct lb_http_px *h, int argc, char **argv, int *i, char **err)
{
    static const struct {
        const char *name;
        unsigned flag;
    } opts[] = {
        {"insert", LB_COOKIE_INSERT},   {"indirect", LB_COOKIE_INDIRECT},
        {"nocache", LB_COOKIE_NOCACHE}, {"httponly", LB_COOKIE_HTTPONLY},
        {"secure", LB_COOKIE_SECURE},   {"preserve", LB_COOKIE_PRESERVE},
    };
    size_t k;

    for (k = 0; k < LK_ARRAY_SIZE(opts); k++)
        if (strcmp(argv[*i], opts[k].name) == 0) {
            h->cookie_flags |= opts[k].flag;
            return 0;
        }
    if (strcmp(argv[*i], "domain") == 0 && *i + 1 < argc) {
        free(h->cookie_domain);
        h->cookie_domain = strdup(argv[++*i]);
        return h->cookie_domain ? 0 : -ENOMEM;
    }
    return lk_cfg_err(err,
                      "cookie: option '%s' is not supported by lbd (insert, indirect, "
                      "nocache, httponly, secure, preserve, domain D)",
                      argv[*i]);
}

/* A new cookie line replaces the previous one entirely, options included.
 * Only insert mode is implemented: rewrite and prefix would need to edit the
 * server's own cookie, which lbd does not do, so they are refused rather than
 * treated as insert. */
static int kw_cookie(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_http_px *h = ctx->px->http;
    char *msg = NULL;
    int i, r = 0;

    free(h->cookie);
    h->cookie = strdup(argv[1]);
    if (!h->cookie)
        return fail(ctx, err, -ENOMEM, NULL);
    h->cookie_len = strlen(h->cookie);
    h->cookie_flags = 0;
    for (i = 2; i < argc && r == 0; i++)
        r = cookie_opt(h, argc, argv, &i, &msg);
    if (r == 0 && !(h->cookie_flags & LB_COOKIE_INSERT))
        r = lk_cfg_err(&msg, "cookie %s: only 'insert' mode is supported by lbd", argv[1]);
    return r < 0 ? fail(ctx, err, r, msg) : 0;
}

/* errorfile, errorfiles, http-error (lbd/cfg/errfile.c reads them into
 * the proxy's pages) and compression (lbd/http/comp.c): the module's
 * warning passes, its message gets our prefix. */
static int kw_errpages(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_http_px *h = http_of(ctx);
    size_t bs = ctx->cfg->global.bufsize ? ctx->cfg->global.bufsize : 16384;
    struct lb_errsrc src = {bs, h ? h->acls : NULL, ctx->file, ctx->line};
    char *msg = NULL;
    int r;

    if (!h)
        return fail(ctx, err, -ENOMEM, NULL);
    if (strcmp(argv[0], "errorfile") == 0)
        r = lb_errpages_errorfile(&h->errpages, argc, argv, &src, &msg);
    else if (strcmp(argv[0], "errorfiles") == 0)
        r = lb_errpages_errorfiles(&h->errpages, argc, argv, &src, &msg);
    else if (strncmp(argv[0], "errorloc", 8) == 0)
        r = lb_errpages_errorloc(&h->errpages, argc, argv, &msg);
    else if (strcmp(argv[0], "http-error") == 0)
        r = lb_errpages_http_error(&h->errpages, argc, argv, &src, &msg);
    else if ((r = lb_comp_kw(&h->comp, (ctx->px->cap & LB_CAP_DEF) != 0, argc, argv, &msg)) == 1) {
        lk_log(LK_LOG_WARNING, "%s:%u: %s", ctx->file, ctx->line, msg ? msg : "");
        r = LK_CFG_WARN; /* compression's warning */
    }
    if (r >= 0) {
        free(msg);
        return r;
    }
    return fail(ctx, err, r, msg);
}

/* A retry-on line replaces the previous policy (and the default). */
static int kw_retry_on(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_http_px *h = ctx->px->http;
    int i;

    h->retry_on = 0;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "none") == 0)
            h->retry_on = 0;
        else if (strcmp(argv[i], "conn-failure") == 0)
            h->retry_on |= LB_RETRY_CONN_FAILURE;
        else if (strcmp(argv[i], "empty-response") == 0)
            h->retry_on |= LB_RETRY_EMPTY_RESPONSE;
        else if (strcmp(argv[i], "junk-response") == 0)
            h->retry_on |= LB_RETRY_JUNK_RESPONSE;
        else if (strcmp(argv[i], "all-retryable-errors") == 0)
            h->retry_on |= LB_RETRY_CONN_FAILURE | LB_RETRY_EMPTY_RESPONSE |
                           LB_RETRY_JUNK_RESPONSE | LB_RETRY_ALL_RETRYABLE;
        else /* a retry policy half applied changes what a client sees: refuse */
            return pfail(ctx, err,
                         "retry-on %s: not supported by lbd (none, conn-failure, "
                         "empty-response, junk-response, all-retryable-errors)",
                         argv[i]);
    }
    return 0;
}

/* http-reuse: which idle server connections a request may take over (HAProxy
 * 2.6's modes, default safe), applied by lbd/http/http_conn.c. */
static int kw_http_reuse(int argc, char **argv, void *vctx, char **err)
{
    static const char *const modes[LB_REUSE_MAX] = {"safe", "never", "aggressive", "always"};
    struct lb_cfgctx *ctx = vctx;
    struct lb_http_px *h = ctx->px->http;
    int i;

    for (i = 0; i < LB_REUSE_MAX; i++)
        if (strcmp(argv[1], modes[i]) == 0) {
            h->reuse = i;
            return 0;
        }
    return pfail(ctx, err, "http-reuse: expected never, safe, aggressive or always, got '%s'",
                 argv[1]);
}

/* ---- after the whole file ---- */

/* Rules from a defaults section count too, since they run in the proxy. */
static int after_rules_in(const struct lb_http_px *h)
{
    for (; h; h = h->def)
        if (h->afterrules)
            return 1;
    return 0;
}

/* Everything that needs the final mode or other proxies: error pages naming
 * http-errors sections, use_backend/use-server targets, table references of
 * rules, and which samples a condition may read in that mode. Errors are
 * appended so that one "lbd -c" lists them all. */
static int resolve_proxy(struct lb_cfg *cfg, struct lb_proxy *px, char **err)
{
    struct lb_http_px *h = px->http;
    struct lb_switch *r;
    struct lb_resolve_at rules_at, stick_at;
    char who[300];
    int ret = 0;

    if (!h)
        return 0;
    snprintf(who, sizeof(who), "%s '%s'", lb_proxy_kind(px), px->name);
    /* a stats-only proxy (lb_stats_only) is served by the control thread,
     * which runs no rules: refused rather than ignored */
    if (px->stats.enabled && (px->cap & LB_CAP_FE) && px->nservers == 0 &&
        (!px->default_backend || px->default_backend == px) && after_rules_in(h)) {
        lb_cfg_err_append(err,
                          "%s:%u: %s: http-after-response on a stats page is not supported by "
                          "lbd",
                          h->rules_file, h->rules_line, who);
        ret = -EINVAL;
    }
    if (lb_errpages_resolve(&h->errpages, cfg, who, err) < 0)
        ret = -EINVAL;
    for (r = h->switching; r; r = r->next) {
        unsigned bad =
            lb_cond_uses(r->cond) & (px->mode == LB_MODE_TCP ? LB_SMP_USE_REQ : LB_SMP_USE_PAYLOAD);

        if (r->dyn && px->mode == LB_MODE_TCP) {
            lb_cfg_err_append(err,
                              "%s:%u: %s '%s': use_backend with a name built from samples "
                              "is supported in mode http only by lbd",
                              r->file, r->line, lb_proxy_kind(px), px->name);
            ret = -EINVAL;
        }
        (void)bad;
    }
    for (r = h->switching; r; r = r->next) {
        unsigned bad =
            lb_cond_uses(r->cond) & (px->mode == LB_MODE_TCP ? LB_SMP_USE_REQ : LB_SMP_USE_PAYLOAD);

        if (bad) {
            lb_cfg_err_append(err,
                              "%s:%u: %s '%s': use_backend: the condition reads %s, which "
                              "mode %s does not have",
                              r->file, r->line, lb_proxy_kind(px), px->name,
                              bad & LB_SMP_USE_REQ ? "HTTP" : "the tcp payload",
                              px->mode == LB_MODE_TCP ? "tcp" : "http");
            ret = -EINVAL;
        }
    }
    if (px->mode == LB_MODE_HTTP && (lb_rule_list_uses(h->tcp_content) & LB_SMP_USE_PAYLOAD)) {
        lb_cfg_err_append(err,
                          "%s:%u: %s '%s': tcp-request content on the payload (req.len, "
                          "req.payload, req.ssl_*) is supported in mode tcp only by lbd",
                          h->stick_file, h->stick_line, lb_proxy_kind(px), px->name);
        ret = -EINVAL;
    }
    /* mode http parses messages, not the first bytes: rules on those are
     * refused there rather than run on nothing */
    if (px->mode == LB_MODE_HTTP &&
        (h->tcp_rsp || h->rsp_inspect_delay ||
         (lb_stick_list_uses(h->sticks) & (LB_SMP_USE_PAYLOAD | LB_SMP_USE_RESPAYLOAD)) ||
         lb_stick_has_rsp(h->sticks))) {
        lb_cfg_err_append(err,
                          "%s:%u: %s '%s': tcp-response, stick store-response and stick rules "
                          "on the payload are supported in mode tcp only by lbd",
                          h->stick_file, h->stick_line, lb_proxy_kind(px), px->name);
        ret = -EINVAL;
    }
    if (px->mode == LB_MODE_TCP &&
        (h->reqrules || h->rsprules || h->afterrules || h->redirects || h->def)) {
        lb_cfg_err_append(err, "%s:%u: %s '%s': http rules are not supported in mode tcp by lbd",
                          h->rules_file, h->rules_line, lb_proxy_kind(px), px->name);
        return -EINVAL;
    }
    rules_at = (struct lb_resolve_at){.cfg = cfg,
                                      .deftable = px->stk,
                                      .file = h->rules_file,
                                      .line = h->rules_line,
                                      .capfe = (px->cap & LB_CAP_FE) != 0,
                                      .ncapreq = h->ncapreq,
                                      .ncaprsp = h->ncaprsp};
    stick_at = (struct lb_resolve_at){
        .cfg = cfg, .deftable = px->stk, .file = h->stick_file, .line = h->stick_line};
    if (lb_rule_resolve(h->reqrules, &rules_at, err) < 0 ||
        lb_rule_resolve(h->rsprules, &rules_at, err) < 0 ||
        lb_rule_resolve(h->tcp_conn, &stick_at, err) < 0 ||
        lb_rule_resolve(h->tcp_content, &stick_at, err) < 0 ||
        lb_rule_resolve(h->tcp_rsp, &stick_at, err) < 0 ||
        lb_stick_resolve(h->sticks, &stick_at, err) < 0)
        ret = -EINVAL;
    for (r = h->usesrv; r; r = r->next) {
        r->srv = lb_server_find(px, r->name);
        if (!r->srv || px->mode != LB_MODE_HTTP) {
            lb_cfg_err_append(err,
                              r->srv ? "%s:%u: %s '%s': use-server %s: supported in mode http "
                                       "only by lbd"
                                     : "%s:%u: %s '%s': use-server: no server '%s'",
                              r->file, r->line, lb_proxy_kind(px), px->name, r->name);
            ret = -EINVAL;
        }
    }
    for (r = h->switching; r; r = r->next) {
        if (r->dyn)
            continue; /* found per request (lbd/http/httpfwd.c route) */
        r->be = lb_cfg_find_proxy(cfg, r->name, LB_CAP_BE);
        if (!r->be || r->be->mode != px->mode) {
            lb_cfg_err_append(err, "%s:%u: %s '%s': use_backend: no backend '%s' in mode %s",
                              r->file, r->line, lb_proxy_kind(px), px->name, r->name,
                              px->mode == LB_MODE_TCP ? "tcp" : "http");
            ret = -EINVAL;
        }
    }
    return ret;
}

/* Every mode http proxy gets its http part here even without a keyword of its
 * own, so the forwarding path never tests h for NULL. */
int lb_http_cfg_resolve(struct lb_cfg *cfg, char **err)
{
    struct lb_proxy *px;
    int ret = 0;

    for (px = cfg->proxies; px; px = px->next) {
        if (px->mode == LB_MODE_HTTP && !lb_http_px_get(px)) {
            lk_cfg_err(err, "out of memory");
            return -ENOMEM;
        }
        if (resolve_proxy(cfg, px, err) < 0)
            ret = -EINVAL;
    }
    return ret;
}

const struct lk_cfgkw lb_http_kws[] = {
    {"acl", kw_acl, 2, -1, LB_KW_FB | LB_KW_HTTP},
    {"use_backend", kw_use_backend, 1, -1, LB_KW_F | LB_KW_HTTP},
    {"use-server", kw_use_backend, 1, -1, LB_KW_B | LB_KW_HTTP},
    {"ignore-persist", kw_ignore_persist, 2, -1, LB_KW_FB},
    {"http-request", kw_http_request, 1, -1, LB_KW_D | LB_KW_FB | LB_KW_HTTP},
    {"http-response", kw_http_response, 1, -1, LB_KW_D | LB_KW_FB | LB_KW_HTTP},
    {"http-after-response", kw_http_after, 1, -1, LB_KW_D | LB_KW_FB | LB_KW_HTTP},
    {"redirect", kw_redirect, 2, -1, LB_KW_FB | LB_KW_HTTP},
    {"cookie", kw_cookie, 1, -1, LB_KW_D | LB_KW_B | LB_KW_HTTP},
    {"errorfile", kw_errpages, 0, -1, LB_KW_D | LB_KW_FB},
    {"errorfiles", kw_errpages, 0, -1, LB_KW_D | LB_KW_FB},
    {"http-error", kw_errpages, 0, -1, LB_KW_D | LB_KW_FB},
    {"compression", kw_errpages, 0, -1, LB_KW_D | LB_KW_FB},
    {"errorloc", kw_errpages, 0, -1, LB_KW_D | LB_KW_FB},
    {"errorloc302", kw_errpages, 0, -1, LB_KW_D | LB_KW_FB},
    {"errorloc303", kw_errpages, 0, -1, LB_KW_D | LB_KW_FB},
    {"retry-on", kw_retry_on, 1, -1, LB_KW_D | LB_KW_B | LB_KW_HTTP},
    {"http-reuse", kw_http_reuse, 1, 1, LB_KW_D | LB_KW_B | LB_KW_HTTP},
    {"tcp-request", kw_tcp_request, 1, -1, LB_KW_FB | LB_KW_HTTP},
    {"tcp-response", kw_tcp_response, 1, -1, LB_KW_B | LB_KW_HTTP},
    {"stick-table", kw_stick_table, 2, -1, LB_KW_FB},
    {"stick", kw_stick, 2, -1, LB_KW_B | LB_KW_HTTP},
    {"monitor-uri", kw_monitor_uri, 1, 1, LB_KW_D | LB_KW_F | LB_KW_HTTP},
    {"monitor", kw_monitor, 3, -1, LB_KW_F | LB_KW_HTTP},
    {"capture", kw_capture, 1, -1, LB_KW_F | LB_KW_HTTP},
    {"declare", kw_declare, 1, -1, LB_KW_F | LB_KW_HTTP},
    {NULL, NULL, 0, 0, 0},
};
