/* http_cfg.c - compile the mode http keywords of each proxy; see http_cfg.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cfgkw.h"
#include "common/cfglex.h"
#include "common/log.h"
#include "lbd/cfg/cfg.h"
#include "lbd/cfg/http_cfg.h"
#include "lbd/cfg/proxy.h"

#define MAX_ARGS 64

/* lbd's own error pages: HAProxy's layout (status line, no-cache, a small
 * HTML body, connection: close), our wording. */
static const struct {
    int status;
    const char *reason, *text;
} builtin[] = {
    {400, "Bad request", "Your browser sent an invalid request."},
    {403, "Forbidden", "Request forbidden by administrative rules."},
    {408, "Request Time-out", "Your browser didn't send a complete request in time."},
    {414, "URI Too Long", "The request line is longer than this server accepts."},
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
                     "content-type: text/html\r\nconnection: close\r\n\r\n%s",
                     builtin[i].status, builtin[i].reason, bl, body);
        builtin_msgs[i].status = builtin[i].status;
        builtin_msgs[i].data = n < 0 ? NULL : m;
        builtin_msgs[i].len = n < 0 ? 0 : (size_t)n;
    }
}

static const struct lb_errmsg *px_errfile(const struct lb_proxy *px, int status)
{
    const struct lb_http_px *h = px ? px->http : NULL;
    size_t i;

    for (i = 0; h && i < h->nerrfiles; i++)
        if (h->errfiles[i].status == status)
            return &h->errfiles[i];
    return NULL;
}

const struct lb_errmsg *lb_http_errmsg(const struct lb_proxy *px,
                                       const struct lb_proxy *px2,
                                       int status)
{
    const struct lb_errmsg *e;
    size_t i;

    if ((e = px_errfile(px, status)) || (e = px_errfile(px2, status)))
        return e;
    pthread_once(&builtin_once, builtin_init);
    for (i = 0; i < LK_ARRAY_SIZE(builtin); i++)
        if (builtin_msgs[i].status == status && builtin_msgs[i].data)
            return &builtin_msgs[i];
    for (i = 0; i < LK_ARRAY_SIZE(builtin); i++)
        if (builtin_msgs[i].status == 500 && builtin_msgs[i].data)
            return &builtin_msgs[i];
    return NULL;
}

static struct lb_http_rule *rules_free(struct lb_http_rule *r)
{
    struct lb_http_rule *n;

    for (; r; r = n) {
        n = r->next;
        lb_cond_free(r->cond);
        free(r);
    }
    return NULL;
}

struct lb_http_px *lb_http_px_free(struct lb_http_px *h)
{
    size_t i;

    if (!h)
        return NULL;
    rules_free(h->switching);
    rules_free(h->reqrules);
    lb_acl_set_free(h->acls);
    for (i = 0; i < h->nerrfiles; i++)
        free(h->errfiles[i].data);
    free(h->cookie);
    free(h->cookie_domain);
    free(h);
    return NULL;
}

/* ---- keyword compilers: argv is the stored line split at spaces ---- */

static void rule_append(struct lb_http_rule **head, struct lb_http_rule *r)
{
    while (*head)
        head = &(*head)->next;
    *head = r;
}

static int kw_use_backend(struct lb_cfg *cfg,
                          struct lb_http_px *h,
                          int argc,
                          char **argv,
                          char **err)
{
    struct lb_http_rule *r;
    int ret;

    r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->be = lb_cfg_find_proxy(cfg, argv[1], LB_CAP_BE);
    if (!r->be || r->be->mode != LB_MODE_HTTP) {
        free(r);
        return lk_cfg_err(err, "use_backend: no backend '%s' in mode http", argv[1]);
    }
    ret = lb_cond_parse(h->acls, argc - 2, argv + 2, &r->cond, err);
    if (ret < 0) {
        free(r);
        return ret;
    }
    rule_append(&h->switching, r);
    return 0;
}

static int kw_http_request(struct lb_http_px *h, int argc, char **argv, char **err)
{
    struct lb_http_rule *r;
    int i = 2, ret;
    uint64_t st = 403;

    if (strcmp(argv[1], "deny") != 0 && strcmp(argv[1], "allow") != 0)
        return 0; /* use-service: the stats page's; others are refused at their line */
    if (strcmp(argv[1], "deny") == 0 && argc > 3 && strcmp(argv[2], "deny_status") == 0) {
        if (lk_parse_uint(argv[3], 200, 599, &st) < 0)
            return lk_cfg_err(err, "http-request deny: invalid deny_status '%s'", argv[3]);
        i = 4;
    }
    r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->deny_status = strcmp(argv[1], "deny") == 0 ? (int)st : 0;
    if (i < argc) {
        ret = lb_cond_parse(h->acls, argc - i, argv + i, &r->cond, err);
        if (ret < 0) {
            free(r);
            return ret;
        }
    }
    rule_append(&h->reqrules, r);
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

static int kw_cookie(struct lb_http_px *h, int argc, char **argv, char **err)
{
    int i, r;

    free(h->cookie);
    h->cookie = strdup(argv[1]);
    if (!h->cookie)
        return -ENOMEM;
    h->cookie_len = strlen(h->cookie);
    h->cookie_flags = 0;
    for (i = 2; i < argc; i++) {
        r = cookie_opt(h, argc, argv, &i, err);
        if (r < 0)
            return r;
    }
    if (!(h->cookie_flags & LB_COOKIE_INSERT))
        return lk_cfg_err(err, "cookie %s: only 'insert' mode is supported by lbd", argv[1]);
    return 0;
}

static int read_errorfile(const char *path, char **ret, size_t *ret_len)
{
    struct stat st;
    char *data;
    ssize_t n;
    int fd, r = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0 || st.st_size > 65536) {
        close(fd);
        return -EFBIG;
    }
    data = malloc((size_t)st.st_size + 1);
    n = data ? read(fd, data, (size_t)st.st_size) : -1;
    if (n != st.st_size) {
        free(data);
        r = -EIO;
    } else {
        *ret = data;
        *ret_len = (size_t)n;
    }
    close(fd);
    return r;
}

static int kw_errorfile(struct lb_http_px *h, int argc, char **argv, char **err)
{
    struct lb_errmsg *e = NULL;
    uint64_t code;
    size_t i;
    int r;

    if (argc != 3 || lk_parse_uint(argv[1], 200, 599, &code) < 0)
        return lk_cfg_err(err, "errorfile: expected 'errorfile CODE FILE'");
    for (i = 0; i < h->nerrfiles; i++)
        if (h->errfiles[i].status == (int)code)
            e = &h->errfiles[i];
    if (!e && h->nerrfiles == LB_HTTP_NERR)
        return lk_cfg_err(err, "errorfile: too many error files");
    if (!e)
        e = &h->errfiles[h->nerrfiles++];
    free(e->data);
    e->data = NULL;
    e->status = (int)code;
    r = read_errorfile(argv[2], &e->data, &e->len);
    if (r < 0)
        return lk_cfg_err(err, "errorfile: cannot read '%s': %s", argv[2], strerror(-r));
    return 0;
}

static int kw_retry_on(struct lb_http_px *h, int argc, char **argv, char **err)
{
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
            h->retry_on |= LB_RETRY_CONN_FAILURE | LB_RETRY_EMPTY_RESPONSE | LB_RETRY_JUNK_RESPONSE;
        else /* a retry policy half applied changes what a client sees: refuse */
            return lk_cfg_err(err,
                              "retry-on %s: not supported by lbd (none, conn-failure, "
                              "empty-response, junk-response, all-retryable-errors)",
                              argv[i]);
    }
    return 0;
}

static int kw_http_reuse(struct lb_http_px *h, int argc, char **argv, char **err)
{
    static const char *const modes[LB_REUSE_MAX] = {"safe", "never", "aggressive", "always"};
    int i;

    for (i = 0; i < LB_REUSE_MAX; i++)
        if (strcmp(argv[1], modes[i]) == 0) {
            h->reuse = i;
            return 0;
        }
    return lk_cfg_err(err, "http-reuse: expected never, safe, aggressive or always, got '%s'",
                      argv[1]);
}

/* One stored line. Keywords of other modules (options, stats, checks) are
 * skipped; backend-only keywords inherited by a frontend from defaults are
 * ignored there, as HAProxy does. */
static int compile_line(struct lb_cfg *cfg, struct lb_proxy *px, int argc, char **argv, char **err)
{
    struct lb_http_px *h = px->http;
    const char *k = argv[0];
    int be = (px->cap & LB_CAP_BE) != 0, fe = (px->cap & LB_CAP_FE) != 0;

    if (strcmp(k, "acl") == 0)
        return lb_acl_add(h->acls, argc, argv, err);
    if (strcmp(k, "use_backend") == 0 && fe)
        return kw_use_backend(cfg, h, argc, argv, err);
    if (strcmp(k, "http-request") == 0)
        return kw_http_request(h, argc, argv, err);
    if (strcmp(k, "cookie") == 0 && be)
        return kw_cookie(h, argc, argv, err);
    if (strcmp(k, "errorfile") == 0)
        return kw_errorfile(h, argc, argv, err);
    if (strcmp(k, "retry-on") == 0 && be)
        return kw_retry_on(h, argc, argv, err);
    if (strcmp(k, "http-reuse") == 0 && be)
        return kw_http_reuse(h, argc, argv, err);
    return 0;
}

static int split(char *line, char **argv)
{
    char *save = NULL, *t;
    int n = 0;

    for (t = strtok_r(line, " ", &save); t && n < MAX_ARGS; t = strtok_r(NULL, " ", &save)) {
        argv[n++] = t;
        for (; *t; t++)
            if (*t == LB_CFG_WORD_SPACE)
                *t = ' ';
    }
    return n;
}

static int compile_proxy(struct lb_cfg *cfg, struct lb_proxy *px, char **err)
{
    char *argv[MAX_ARGS], *line, *one;
    size_t i;
    int argc, r = 0, r1;

    px->http = calloc(1, sizeof(*px->http));
    if (!px->http || !(px->http->acls = lb_acl_set_new()))
        return -ENOMEM;
    px->http->retry_on = LB_RETRY_CONN_FAILURE | LB_RETRY_EMPTY_RESPONSE;
    /* every bad line is reported at its own FILE:LINE, all of them */
    for (i = 0; i < px->nextra; i++) {
        line = strdup(px->extra[i]);
        if (!line)
            return -ENOMEM;
        argc = split(line, argv);
        one = NULL;
        r1 = argc > 0 ? compile_line(cfg, px, argc, argv, &one) : 0;
        free(line);
        if (r1 == -ENOMEM) {
            free(one);
            return r1;
        }
        if (r1 < 0) {
            r = r1;
            lb_cfg_err_append(err, "%s:%u: %s '%s': %s", px->extra_file[i], px->extra_line[i],
                              lb_proxy_kind(px), px->name, one ? one : "invalid");
        }
        free(one);
    }
    return r;
}

int lb_http_cfg_compile(struct lb_cfg *cfg, char **err)
{
    struct lb_proxy *px;
    int r, ret = 0;

    for (px = cfg->proxies; px; px = px->next) {
        if (px->mode != LB_MODE_HTTP || px->http)
            continue;
        r = compile_proxy(cfg, px, err);
        if (r == -ENOMEM) {
            lk_cfg_err(err, "out of memory");
            return r;
        }
        if (r < 0)
            ret = r;
    }
    return ret;
}
