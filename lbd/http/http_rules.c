/* http_rules.c - http-request / http-response rules; see http_rules.h. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <fcntl.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cfgkw.h"
#include "common/cfglex.h"
#include "lbd/cfg/cfg.h"
#include "lbd/cfg/errfile.h"
#include "lbd/cfg/http_cfg.h"
#include "lbd/core/stkctr.h"
#include "lbd/http/http_msg.h"
#include "lbd/http/http_rules.h"
#include "lbd/http/vars.h"

enum act {
    A_ALLOW,
    A_DENY,
    A_RETURN,
    A_REDIRECT,
    A_SET_HDR,
    A_ADD_HDR,
    A_DEL_HDR,
    A_REPL_HDR,
    A_REPL_VAL,
    A_SET_PATH,
    A_SET_PATHQ,
    A_SET_QUERY,
    A_SET_URI,
    A_SET_METHOD,
    A_REPL_PATH,
    A_REPL_PATHQ,
    A_REPL_URI,
    A_SET_STATUS,
    A_PROMEX,
    A_AUTH,
    A_TRACK,
    A_SC_INC_GPC0,
    A_SC_SET_GPT0,
    A_SILENT_DROP,
    A_REJECT,
    A_SET_VAR,
    A_SET_VAR_FMT,
    A_SET_SRC,
    A_SET_DST,
    A_UNSET_VAR,
    A_TARPIT,
    A_CLOSE, /* tcp-response content close */
    A_CAPTURE,
};

enum redir { R_LOCATION, R_PREFIX, R_SCHEME };
enum hmatch { HM_STR, HM_BEG, HM_END, HM_SUB, HM_REG };

struct hdr_fmt {
    char *name;
    struct lb_lfmt *fmt;
};

/* One parsed rule, built once at its config line and only read by worker
 * threads afterwards (except `table` and `body`, filled in by
 * lb_rule_resolve() before the config goes live). Every pointer is owned by
 * the rule except body when body_shared and table (the proxy's). A list is
 * kept in config order through `next`: rules run in the order written. */
struct lb_rule {
    struct lb_rule *next;
    uint8_t act, redir, hmatch, drop_query, append_slash, ignore_empty, phase;
    struct lb_cond *cond;
    char *name; /* header name */
    size_t name_len;
    struct lb_lfmt *fmt; /* value, location, body (lf-string) */
    pcre2_code *re;      /* replace-*, del-header -m reg */
    int status;          /* deny/return/redirect/set-status */
    char *reason;
    char *ctype;
    char *body; /* string/file body, or a whole errorfile message */
    size_t body_len;
    uint8_t body_is_msg; /* errorfile: body is a complete HTTP message */
    uint8_t has_body;
    uint8_t errpage;      /* default-errorfiles: the proxy's page for the status */
    uint8_t body_shared;  /* errorfiles NAME: body is the section's (not owned) */
    char *errsec;         /* errorfiles NAME, found after the whole file */
    struct hdr_fmt *hdrs; /* return/deny "hdr N FMT" */
    size_t nhdrs;
    struct lb_sexpr *key;      /* track-sc: the key */
    struct lb_stktable *table; /* track-sc: resolved after the file */
    char *table_name;
    uint8_t ctr;  /* sc number */
    int64_t ival; /* sc-set-gpt0 */
    /* capture: the frontend's slot (request slots for http-request, response
     * slots for http-response); caplen > 0 until the proxy gave the slot an
     * index (lb_rule_capture_claim) for the "len N" form */
    unsigned capid, caplen;
};

/* ---- freeing ---- */

static void rule_free(struct lb_rule *r)
{
    size_t i;

    lb_cond_free(r->cond);
    free(r->name);
    lb_lfmt_free(r->fmt);
    if (r->re)
        pcre2_code_free(r->re);
    free(r->reason);
    free(r->ctype);
    if (!r->body_shared)
        free(r->body);
    free(r->errsec);
    for (i = 0; i < r->nhdrs; i++) {
        free(r->hdrs[i].name);
        lb_lfmt_free(r->hdrs[i].fmt);
    }
    free(r->hdrs);
    lb_sexpr_free(r->key);
    free(r->table_name);
    free(r);
}

struct lb_rule *lb_rule_list_free(struct lb_rule *list)
{
    struct lb_rule *n;

    for (; list; list = n) {
        n = list->next;
        rule_free(list);
    }
    return NULL;
}

/* ---- parsing ---- */

/* Parse state of one rule line. argv is the lexer's (borrowed for the call;
 * whatever the rule keeps is copied); `i` only moves forward, and every
 * action parser stops at "if"/"unless" so the condition is left for
 * lb_cond_parse(). */
struct pctx {
    struct lb_rule *r;
    unsigned avail; /* LB_SMP_USE_* where the rule runs */
    int argc;
    char **argv;
    int i; /* next word */
    char **err;
    int phase_status; /* deny's default: 403 for requests, 502 for responses */
};

/* "if" and "unless" cannot be a value: HAProxy reads them as the start of
 * the condition wherever they appear, and so does lbd. */
static int at_cond(const struct pctx *p)
{
    return p->i >= p->argc || strcmp(p->argv[p->i], "if") == 0 ||
           strcmp(p->argv[p->i], "unless") == 0;
}

static const char *next_word(struct pctx *p)
{
    return at_cond(p) ? NULL : p->argv[p->i++];
}

static int need(struct pctx *p, const char **ret, const char *what)
{
    if (!(*ret = next_word(p)))
        return lk_cfg_err(p->err, "%s: expected %s", p->argv[1], what);
    return 0;
}

static int parse_fmt(struct pctx *p, struct lb_lfmt **ret, const char *text)
{
    return lb_lfmt_parse(text, p->avail, ret, p->err);
}

/* The message's framing is the proxy's business: a rule that changed it
 * would make lbd and the next hop disagree on where a message ends. */
static int framing_hdr(struct pctx *p, const char *name)
{
    if (strcasecmp(name, "content-length") == 0 || strcasecmp(name, "transfer-encoding") == 0)
        return lk_cfg_err(p->err,
                          "%s %s: editing '%s' changes the message framing; not supported by lbd",
                          p->argv[0], p->argv[1], name);
    return 0;
}

static int set_name(struct pctx *p, const char *name)
{
    if (!(p->r->name = strdup(name)))
        return -ENOMEM;
    p->r->name_len = strlen(name);
    return 0;
}

/* Case-sensitive, as HAProxy's replace-header and replace-value patterns:
 * "(?i)" in the pattern asks for the other. */
static int compile(struct pctx *p, pcre2_code **re, const char *pat)
{
    PCRE2_UCHAR msg[120];
    PCRE2_SIZE off;
    int code;

    *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
    if (*re)
        return 0;
    pcre2_get_error_message(code, msg, sizeof(msg));
    return lk_cfg_err(p->err, "%s: invalid regex '%s': %s", p->argv[1], pat, msg);
}

static int pa_hdr_value(struct pctx *p)
{
    const char *n, *v;
    int r;

    if ((r = need(p, &n, "a header name")) < 0 || (r = need(p, &v, "a value")) < 0 ||
        (r = framing_hdr(p, n)) < 0 || (r = set_name(p, n)) < 0)
        return r;
    return parse_fmt(p, &p->r->fmt, v);
}

static int pa_del_hdr(struct pctx *p)
{
    static const char *const m[] = {"str", "beg", "end", "sub", "reg"};
    const char *n, *meth;
    size_t k;
    int r;

    if ((r = need(p, &n, "a header name")) < 0 || (r = framing_hdr(p, n)) < 0 ||
        (r = set_name(p, n)) < 0)
        return r;
    if (at_cond(p))
        return 0;
    if (strcmp(p->argv[p->i], "-m") != 0 || p->i + 1 >= p->argc)
        return lk_cfg_err(p->err, "del-header: expected '-m METHOD' after the name");
    p->i++;
    meth = p->argv[p->i++];
    for (k = 0; k < LK_ARRAY_SIZE(m); k++)
        if (strcmp(meth, m[k]) == 0)
            p->r->hmatch = (uint8_t)k;
    if (k == LK_ARRAY_SIZE(m) && strcmp(meth, m[p->r->hmatch]) != 0)
        return lk_cfg_err(p->err,
                          "del-header: match method '%s' is not supported by lbd "
                          "(str, beg, end, sub, reg)",
                          meth);
    /* -m reg: the name itself is the pattern, matched against field names. */
    if (p->r->hmatch == HM_REG)
        return compile(p, &p->r->re, n);
    return 0;
}

static int pa_replace(struct pctx *p)
{
    const char *n, *re, *fmt;
    int r;

    if ((r = need(p, &n, "a header name")) < 0 || (r = need(p, &re, "a regex")) < 0 ||
        (r = need(p, &fmt, "a replacement")) < 0 || (r = framing_hdr(p, n)) < 0 ||
        (r = set_name(p, n)) < 0 || (r = compile(p, &p->r->re, re)) < 0)
        return r;
    return parse_fmt(p, &p->r->fmt, fmt);
}

/* replace-path / replace-pathq / replace-uri REGEX FMT */
static int pa_replace_uri(struct pctx *p)
{
    const char *re, *fmt;
    int r;

    if ((r = need(p, &re, "a regex")) < 0 || (r = need(p, &fmt, "a replacement")) < 0 ||
        (r = compile(p, &p->r->re, re)) < 0)
        return r;
    return parse_fmt(p, &p->r->fmt, fmt);
}

static int pa_one_fmt(struct pctx *p)
{
    const char *v;
    int r = need(p, &v, "a value");

    return r < 0 ? r : parse_fmt(p, &p->r->fmt, v);
}

static int parse_status(struct pctx *p, const char *s, int lo, int hi)
{
    uint64_t v;

    if (!s || lk_parse_uint(s, (uint64_t)lo, (uint64_t)hi, &v) < 0)
        return lk_cfg_err(p->err, "%s: invalid status '%s' (%d-%d)", p->argv[1], s ? s : "", lo,
                          hi);
    p->r->status = (int)v;
    return 0;
}

static int pa_set_status(struct pctx *p)
{
    const char *s, *reason;
    int r = need(p, &s, "a status");

    if (r < 0 || (r = parse_status(p, s, 100, 999)) < 0)
        return r;
    if (!at_cond(p) && strcmp(p->argv[p->i], "reason") == 0) {
        p->i++;
        if ((r = need(p, &reason, "a reason")) < 0)
            return r;
        if (!(p->r->reason = strdup(reason)))
            return -ENOMEM;
    }
    return 0;
}

static int read_file(struct pctx *p, const char *path, char **ret, size_t *ret_len)
{
    struct stat st;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return lk_cfg_err(p->err, "%s: cannot open '%s': %s", p->argv[1], path, strerror(errno));
    /* 64 KiB bounds what startup reads: a mistyped path (a log file) is refused
     * instead of read whole. */
    if (fstat(fd, &st) < 0 || st.st_size > 65536) {
        close(fd);
        return lk_cfg_err(p->err, "%s: '%s' is larger than 64 KiB", p->argv[1], path);
    }
    *ret = malloc((size_t)st.st_size + 1);
    n = *ret ? read(fd, *ret, (size_t)st.st_size) : -1;
    close(fd);
    if (n != st.st_size)
        return lk_cfg_err(p->err, "%s: cannot read '%s'", p->argv[1], path);
    *ret_len = (size_t)n;
    return 0;
}

static int add_hdr_fmt(struct pctx *p)
{
    const char *n, *v;
    struct hdr_fmt *h;
    int r;

    if ((r = need(p, &n, "a header name")) < 0 || (r = need(p, &v, "a value")) < 0 ||
        (r = framing_hdr(p, n)) < 0)
        return r;
    h = realloc(p->r->hdrs, (p->r->nhdrs + 1) * sizeof(*h));
    if (!h)
        return -ENOMEM;
    p->r->hdrs = h;
    h += p->r->nhdrs++;
    memset(h, 0, sizeof(*h));
    if (!(h->name = strdup(n)))
        return -ENOMEM;
    return parse_fmt(p, &h->fmt, v);
}

/* "errorfile F": read and checked as the errorfile keyword reads it (a
 * complete HTTP message, sent as is). The file's data becomes the rule's
 * own body and is freed with it. */
static int pa_errorfile(struct pctx *p)
{
    static const struct lb_errsrc src = {65536, NULL, "", 0};
    struct lb_errmsg m;
    const char *v;
    int r;

    if ((r = need(p, &v, "a file")) < 0)
        return r;
    r = lb_errfile_load(v, 0, &src, &m, p->err);
    if (r < 0)
        return r;
    p->r->body = m.data;
    p->r->body_len = m.len;
    p->r->has_body = 1;
    p->r->body_is_msg = 1;
    return 0;
}

/* The response options of deny and return. */
/* lf-file FILE: the file's text is a log-format body, read and parsed once
 * here (HAProxy reads it at startup too). */
static int pa_lf_file(struct pctx *p)
{
    const char *v;
    char *text = NULL;
    size_t n = 0;
    int r;

    if ((r = need(p, &v, "a file")) < 0 || (r = read_file(p, v, &text, &n)) < 0)
        goto out;
    text[n] = '\0';
    if (strlen(text) != n) {
        r = lk_cfg_err(p->err, "%s: '%s' holds a NUL byte", p->argv[1], v);
        goto out;
    }
    r = parse_fmt(p, &p->r->fmt, text);
    p->r->has_body = 1;
out:
    free(text);
    return r;
}

static int pa_response(struct pctx *p)
{
    const char *w, *v;
    int r = 0;

    while (r == 0 && (w = next_word(p))) {
        if (strcmp(w, "status") == 0 || strcmp(w, "deny_status") == 0) {
            r = parse_status(p, next_word(p), 200, 599);
        } else if (strcmp(w, "content-type") == 0) {
            if ((r = need(p, &v, "a content type")) == 0 && !(p->r->ctype = strdup(v)))
                r = -ENOMEM;
        } else if (strcmp(w, "string") == 0) {
            if ((r = need(p, &v, "a string")) == 0) {
                p->r->body = strdup(v);
                p->r->body_len = strlen(v);
                p->r->has_body = 1;
                r = p->r->body ? 0 : -ENOMEM;
            }
        } else if (strcmp(w, "lf-string") == 0) {
            if ((r = need(p, &v, "a format")) == 0)
                r = parse_fmt(p, &p->r->fmt, v);
            p->r->has_body = 1;
        } else if (strcmp(w, "file") == 0) {
            if ((r = need(p, &v, "a file")) == 0)
                r = read_file(p, v, &p->r->body, &p->r->body_len);
            p->r->has_body = 1;
        } else if (strcmp(w, "lf-file") == 0) {
            r = pa_lf_file(p);
        } else if (strcmp(w, "errorfile") == 0) {
            r = pa_errorfile(p);
        } else if (strcmp(w, "errorfiles") == 0) {
            if ((r = need(p, &v, "an http-errors section")) == 0 && !(p->r->errsec = strdup(v)))
                r = -ENOMEM;
            p->r->has_body = 1; /* found after the whole file */
            p->r->body_is_msg = 1;
        } else if (strcmp(w, "default-errorfiles") == 0) {
            p->r->has_body = 0;
            p->r->errpage = 1;
        } else if (strcmp(w, "hdr") == 0) {
            r = add_hdr_fmt(p);
        } else {
            r = lk_cfg_err(p->err,
                           "%s: option '%s' is not supported by lbd (status, content-type, "
                           "string, lf-string, file, lf-file, errorfile, default-errorfiles, "
                           "hdr)",
                           p->argv[1], w);
        }
    }
    /* HAProxy refuses a body without content-type; a complete message
     * (errorfile) carries its own. */
    if (r == 0 && p->r->has_body && !p->r->body_is_msg && !p->r->ctype && p->r->body_len)
        r = lk_cfg_err(p->err, "%s: a body needs 'content-type'", p->argv[1]);
    return r;
}

/* Statuses lbd has an error page for (lb_http_errmsg, HAProxy's list). A
 * deny with another status and no body of its own would have nothing to
 * send, so it is refused at its line instead of answering an empty page. */
static int has_page(int st)
{
    static const int pages[] = {200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 414,
                                421, 422, 425, 429, 431, 500, 501, 502, 503, 504, 505};
    size_t i;

    for (i = 0; i < LK_ARRAY_SIZE(pages); i++)
        if (pages[i] == st)
            return 1;
    return 0;
}

static int pa_deny(struct pctx *p)
{
    int r;

    p->r->status = p->phase_status;
    r = pa_response(p);
    if (r == 0 && !p->r->has_body && !p->r->nhdrs && !has_page(p->r->status))
        r = lk_cfg_err(p->err,
                       "%s: status %d has no error page in lbd: give a body (string, file, "
                       "errorfile)",
                       p->argv[1], p->r->status);
    return r;
}

/* tarpit [deny_status N]: the error page comes after the delay; a body
 * of its own is not supported (it would be ignored). */
static int pa_tarpit(struct pctx *p)
{
    int r;

    p->r->status = 500;
    r = pa_response(p);
    if (r == 0 && (p->r->has_body || p->r->nhdrs))
        r = lk_cfg_err(p->err, "tarpit: only 'deny_status N' is supported by lbd");
    if (r == 0 && !has_page(p->r->status))
        r = lk_cfg_err(p->err, "tarpit: status %d has no error page in lbd", p->r->status);
    return r;
}

static int pa_return(struct pctx *p)
{
    p->r->status = 200;
    return pa_response(p);
}

/* redirect location|prefix|scheme V [code N] [drop-query] [append-slash]
 * [ignore-empty], options in any order, as HAProxy reads them. */
static int pa_redirect(struct pctx *p)
{
    static const char *const kinds[] = {"location", "prefix", "scheme"};
    const char *w, *v = NULL;
    uint64_t code = 0;
    size_t i;
    int r;

    p->r->status = 302;
    while ((w = next_word(p))) {
        for (i = 0; i < LK_ARRAY_SIZE(kinds) && strcmp(kinds[i], w) != 0; i++)
            ;
        if (i < LK_ARRAY_SIZE(kinds)) {
            if (v)
                return lk_cfg_err(p->err, "redirect: only one of location, prefix, scheme");
            if ((r = need(p, &v, "a value")) < 0)
                return r;
            p->r->redir = (uint8_t)i;
            if ((r = parse_fmt(p, &p->r->fmt, v)) < 0)
                return r;
        } else if (strcmp(w, "code") == 0) {
            const char *c = next_word(p);

            /* The redirect codes HAProxy 2.6 accepts; 304-306 are no redirects. */
            if (!c || lk_parse_uint(c, 301, 308, &code) < 0 || (code > 303 && code < 307))
                return lk_cfg_err(p->err, "redirect: code must be 301, 302, 303, 307 or 308");
            p->r->status = (int)code;
        } else if (strcmp(w, "drop-query") == 0) {
            p->r->drop_query = 1;
        } else if (strcmp(w, "append-slash") == 0) {
            p->r->append_slash = 1;
        } else if (strcmp(w, "ignore-empty") == 0) {
            p->r->ignore_empty = 1;
        } else {
            return lk_cfg_err(p->err,
                              "redirect: option '%s' is not supported by lbd (location, prefix, "
                              "scheme, code, drop-query, append-slash, ignore-empty)",
                              w);
        }
    }
    if (!v)
        return lk_cfg_err(p->err, "redirect: expected location, prefix or scheme");
    return 0;
}

static int pa_none(struct pctx *p)
{
    return 0;
}

static int pa_auth(struct pctx *p)
{
    const char *w = next_word(p), *v;

    p->r->status = 401;
    if (!w)
        return 0;
    if (strcmp(w, "realm") != 0 || !(v = next_word(p)))
        return lk_cfg_err(p->err, "auth: expected 'auth [realm REALM]'");
    /* The realm goes into a quoted-string of WWW-Authenticate (RFC 9110 section
     * 11.6.1): a '"' would end it early and break the field. */
    if (strchr(v, '"'))
        return lk_cfg_err(p->err, "auth: a realm cannot hold '\"'");
    return (p->r->reason = strdup(v)) ? 0 : -ENOMEM;
}

static int pa_promex(struct pctx *p)
{
    const char *s = next_word(p);

    if (!s || strcmp(s, "prometheus-exporter") != 0)
        return lk_cfg_err(p->err, "use-service: only 'prometheus-exporter' is supported by lbd");
    return 0;
}

/* "track-sc0 KEY [table NAME]" (the counter is in the action's name). */
static int pa_track(struct pctx *p)
{
    const char *k, *w;
    int r;

    /* "track-scN": the table matched the action's exact name, so [8] is a digit
     * 0-2. */
    p->r->ctr = (uint8_t)(p->argv[p->i - 1][8] - '0');
    if ((r = need(p, &k, "a key expression")) < 0 ||
        (r = lb_sexpr_parse(k, p->avail, &p->r->key, p->err)) < 0)
        return r;
    w = next_word(p);
    if (!w)
        return 0;
    if (strcmp(w, "table") != 0 || !(w = next_word(p)))
        return lk_cfg_err(p->err, "%s: expected 'table NAME' after the key", p->argv[p->i - 1]);
    return (p->r->table_name = strdup(w)) ? 0 : -ENOMEM;
}

/* "sc-inc-gpc0(N)", "sc-set-gpt0(N) INT": the counter between parentheses. */
static int pa_sc(struct pctx *p)
{
    const char *a = p->argv[p->i - 1], *v;
    uint64_t n;
    char num[4];
    size_t l = strlen(a);
    int r;

    if (l < 4 || a[l - 1] != ')' || a[l - 3] != '(')
        return lk_cfg_err(p->err, "%s: expected the counter, e.g. sc-inc-gpc0(0)", a);
    num[0] = a[l - 2];
    num[1] = '\0';
    if (lk_parse_uint(num, 0, 2, &n) < 0)
        return lk_cfg_err(p->err, "%s: counter must be 0, 1 or 2", a);
    p->r->ctr = (uint8_t)n;
    if (p->r->act != A_SC_SET_GPT0)
        return 0;
    if ((r = need(p, &v, "a value")) < 0)
        return r;
    /* gpt0 is a 32-bit tag in HAProxy's tables: a value outside 32 bits is
     * refused here rather than cut. */
    if (lk_parse_int(v, INT32_MIN, INT32_MAX, &p->r->ival) < 0)
        return lk_cfg_err(p->err,
                          "%s: the value must be an integer (expressions are not "
                          "supported by lbd)",
                          a);
    return 0;
}

/* set-var(NAME) EXPR, set-var-fmt(NAME) FMT, unset-var(NAME): the name
 * between the parentheses of the action's own word. */
static int pa_var(struct pctx *p)
{
    const char *a = p->argv[p->i - 1], *open = strchr(a, '('), *v;
    size_t l = strlen(a);
    enum lb_var_scope sc;
    int r;

    if (!open || a[l - 1] != ')' || (size_t)(a + l - 1 - open - 1) == 0)
        return lk_cfg_err(p->err, "%s: expected the variable between parentheses", a);
    if (!(p->r->name = strndup(open + 1, (size_t)(a + l - 1 - open - 1))))
        return -ENOMEM;
    p->r->name_len = strlen(p->r->name);
    if ((r = lb_var_name_parse(p->r->name, &sc, p->err)) < 0)
        return r;
    if (p->r->act == A_UNSET_VAR)
        return 0;
    if ((r = need(p, &v, "a value")) < 0)
        return r;
    if (p->r->act == A_SET_VAR_FMT)
        return parse_fmt(p, &p->r->fmt, v);
    return lb_sexpr_parse(v, p->avail, &p->r->key, p->err);
}

/* set-src EXPR / set-dst EXPR: the expression, an address or text read as
 * one (hdr(x-real-ip)). */
static int pa_set_addr(struct pctx *p)
{
    const char *v;
    int r;

    if ((r = need(p, &v, "an expression")) < 0)
        return r;
    return lb_sexpr_parse(v, p->avail, &p->r->key, p->err);
}

/* "capture SAMPLE len N" (requests: a new slot of the frontend, index
 * given by lb_rule_capture_claim) or "capture SAMPLE id N" (a slot the
 * frontend declared, checked by lb_rule_resolve); responses know "id"
 * only, as HAProxy 2.6. */
static int pa_capture(struct pctx *p)
{
    const char *v, *w, *n;
    uint64_t x;
    int r, rsp = p->r->phase == LB_RULE_RSP;

    if ((r = need(p, &v, "a sample expression")) < 0 ||
        (r = lb_sexpr_parse(v, p->avail, &p->r->key, p->err)) < 0)
        return r;
    w = next_word(p);
    if (!w || (strcmp(w, "id") != 0 && (rsp || strcmp(w, "len") != 0)))
        return lk_cfg_err(p->err, "capture: expected '%s' after the sample",
                          rsp ? "id N" : "len N' or 'id N");
    if (!(n = next_word(p)))
        return lk_cfg_err(p->err, "capture: '%s' needs a number", w);
    if (w[0] == 'l') {
        if (lk_parse_uint(n, 1, LB_CAPTURE_MAX, &x) < 0)
            return lk_cfg_err(p->err, "capture: len must be 1-%u", LB_CAPTURE_MAX);
        p->r->caplen = (unsigned)x;
        return 0;
    }
    if (lk_parse_uint(n, 0, UINT32_MAX - 1, &x) < 0)
        return lk_cfg_err(p->err, "capture: invalid id '%s'", n);
    p->r->capid = (unsigned)x;
    return 0;
}

/* Actions, with the phases they exist in (bit 0 request, bit 1 response,
 * bit 2 tcp-request, bit 3 http-after-response, bit 4 tcp-response). */
static const struct {
    const char *name;
    uint8_t act, phases;
    int (*parse)(struct pctx *p);
} actions[] = {
    {"allow", A_ALLOW, 3 | 8, pa_none},
    {"deny", A_DENY, 3, pa_deny},
    {"return", A_RETURN, 3, pa_return},
    {"redirect", A_REDIRECT, 3, pa_redirect},
    {"set-header", A_SET_HDR, 3 | 8, pa_hdr_value},
    {"add-header", A_ADD_HDR, 3 | 8, pa_hdr_value},
    {"del-header", A_DEL_HDR, 3 | 8, pa_del_hdr},
    {"replace-header", A_REPL_HDR, 3 | 8, pa_replace},
    {"replace-value", A_REPL_VAL, 3 | 8, pa_replace},
    {"set-path", A_SET_PATH, 1, pa_one_fmt},
    {"set-pathq", A_SET_PATHQ, 1, pa_one_fmt},
    {"set-query", A_SET_QUERY, 1, pa_one_fmt},
    {"set-uri", A_SET_URI, 1, pa_one_fmt},
    {"set-method", A_SET_METHOD, 1, pa_one_fmt},
    {"replace-path", A_REPL_PATH, 1, pa_replace_uri},
    {"replace-pathq", A_REPL_PATHQ, 1, pa_replace_uri},
    {"replace-uri", A_REPL_URI, 1, pa_replace_uri},
    {"set-status", A_SET_STATUS, 2 | 8, pa_set_status},
    {"use-service", A_PROMEX, 1, pa_promex},
    {"auth", A_AUTH, 1, pa_auth},
    {"track-sc0", A_TRACK, 1 | 4, pa_track},
    {"track-sc1", A_TRACK, 1 | 4, pa_track},
    {"track-sc2", A_TRACK, 1 | 4, pa_track},
    {"sc-inc-gpc0(0)", A_SC_INC_GPC0, 1 | 2 | 4 | 16, pa_sc},
    {"sc-inc-gpc0(1)", A_SC_INC_GPC0, 1 | 2 | 4 | 16, pa_sc},
    {"sc-inc-gpc0(2)", A_SC_INC_GPC0, 1 | 2 | 4 | 16, pa_sc},
    {"sc-set-gpt0(0)", A_SC_SET_GPT0, 1 | 2 | 4 | 16, pa_sc},
    {"sc-set-gpt0(1)", A_SC_SET_GPT0, 1 | 2 | 4 | 16, pa_sc},
    {"sc-set-gpt0(2)", A_SC_SET_GPT0, 1 | 2 | 4 | 16, pa_sc},
    {"silent-drop", A_SILENT_DROP, 1 | 2 | 4 | 16, pa_none},
    {"tarpit", A_TARPIT, 1, pa_tarpit},
    {"accept", A_ALLOW, 4 | 16, pa_none},
    {"set-var(", A_SET_VAR, 1 | 2 | 4 | 8 | 16, pa_var},
    {"set-var-fmt(", A_SET_VAR_FMT, 1 | 2 | 4 | 8 | 16, pa_var},
    {"unset-var(", A_UNSET_VAR, 1 | 2 | 4 | 8 | 16, pa_var},
    {"reject", A_REJECT, 4 | 16, pa_none},
    {"close", A_CLOSE, 16, pa_none},
    {"set-src", A_SET_SRC, 1, pa_set_addr},
    {"set-dst", A_SET_DST, 1, pa_set_addr},
    {"capture", A_CAPTURE, 1 | 2, pa_capture},
};

/* Appended at the tail: rule lists are short and built once, and order of
 * evaluation is the order of the config lines. */
static void append(struct lb_rule **list, struct lb_rule *r)
{
    while (*list)
        list = &(*list)->next;
    *list = r;
}

int lb_rule_parse(struct lb_rule **list,
                  const struct lb_acl_set *acls,
                  enum lb_rule_phase phase,
                  int argc,
                  char **argv,
                  char **err)
{
    struct pctx p = {NULL, LB_SMP_USE_REQ, argc, argv, 1, err, 403};
    unsigned bit = phase == LB_RULE_RSP        ? 2
                   : phase == LB_RULE_AFTER    ? 8
                   : phase == LB_RULE_TCP_RSP  ? 16
                   : phase >= LB_RULE_TCP_CONN ? 4
                                               : 1;
    size_t k;
    int r;

    /* A response rule may read the response head only, as HAProxy refuses
     * request fetches there (sample.h). */
    if (phase == LB_RULE_RSP || phase == LB_RULE_AFTER)
        p.avail = LB_SMP_USE_RSP;
    if (phase == LB_RULE_REDIRECT) /* "redirect KIND ...": the action is the keyword */
        p.i = 0;
    if (phase == LB_RULE_TCP_CONN || phase == LB_RULE_TCP_CONTENT) {
        /* "tcp-request connection|content ACTION" */
        p.i = 2;
        /* before any byte: addresses and counters; content: the payload too */
        p.avail = phase == LB_RULE_TCP_CONTENT ? LB_SMP_USE_PAYLOAD : 0;
    }
    if (phase == LB_RULE_TCP_RSP) { /* "tcp-response content ACTION": the server's bytes */
        p.i = 2;
        p.avail = LB_SMP_USE_RESPAYLOAD;
    }
    if (p.i >= argc)
        return lk_cfg_err(err, "%s: expected an action", argv[0]);
    for (k = 0; k < LK_ARRAY_SIZE(actions); k++) {
        size_t nl = strlen(actions[k].name);

        /* "set-var(txn.x)": the action's name ends at its '(' */
        if ((actions[k].phases & bit) &&
            (strcmp(actions[k].name, argv[p.i]) == 0 ||
             (actions[k].name[nl - 1] == '(' && strncmp(actions[k].name, argv[p.i], nl) == 0)))
            break;
    }
    if (k == LK_ARRAY_SIZE(actions) && phase == LB_RULE_AFTER)
        return lk_cfg_err(err,
                          "http-after-response %s: action not supported by lbd (allow, "
                          "set-header, add-header, del-header, replace-header, replace-value, "
                          "set-status, set-var(V), set-var-fmt(V), unset-var(V))",
                          argv[p.i]);
    if (k == LK_ARRAY_SIZE(actions) && phase == LB_RULE_TCP_RSP)
        return lk_cfg_err(err,
                          "tcp-response content %s: action not supported by lbd (accept, "
                          "reject, close, sc-inc-gpc0(N), sc-set-gpt0(N), set-var(V), "
                          "set-var-fmt(V), unset-var(V), silent-drop)",
                          p.i < argc ? argv[p.i] : "");
    if (k == LK_ARRAY_SIZE(actions) && phase >= LB_RULE_TCP_CONN)
        return lk_cfg_err(err,
                          "tcp-request %s %s: action not supported by lbd (accept, reject, "
                          "track-sc0/1/2, sc-inc-gpc0(N), sc-set-gpt0(N), set-var(V), "
                          "unset-var(V), silent-drop)",
                          argv[1], p.i < argc ? argv[p.i] : "");
    if (k == LK_ARRAY_SIZE(actions))
        return lk_cfg_err(err,
                          "%s %s: action not supported by lbd (allow, deny, return, redirect, "
                          "set-header, add-header, del-header, replace-header, replace-value%s)",
                          argv[0], argv[p.i],
                          phase == LB_RULE_RSP ? ", set-status, capture"
                                               : ", set-path, set-pathq, set-query, set-uri, "
                                                 "set-method, auth, tarpit, track-sc0/1/2, "
                                                 "sc-inc-gpc0(N), sc-set-gpt0(N), set-var(V), "
                                                 "set-var-fmt(V), unset-var(V), silent-drop, "
                                                 "capture, use-service prometheus-exporter");
    p.i++;
    p.r = calloc(1, sizeof(*p.r));
    if (!p.r)
        return -ENOMEM;
    p.r->act = actions[k].act;
    p.r->phase = (uint8_t)phase;
    /* deny's default status: 403 refuses a request; a denied response is the
     * server's fault as the client sees it, hence 502, as in HAProxy. */
    p.phase_status = phase == LB_RULE_RSP || phase == LB_RULE_AFTER ? 502 : 403;
    r = actions[k].parse(&p);
    if (r == 0 && p.i < argc && !at_cond(&p))
        r = lk_cfg_err(err, "%s %s: unexpected '%s'", argv[0], actions[k].name, argv[p.i]);
    if (r == 0 && p.i < argc)
        r = lb_cond_parse(acls, p.avail, argc - p.i, argv + p.i, &p.r->cond, err);
    if (r < 0) {
        rule_free(p.r);
        return r;
    }
    append(list, p.r);
    return 0;
}

/* An http-error page is a "return" rule without a condition: one builder
 * serves both, so a page reads the same whichever way it was configured. */
int lb_rule_parse_reply(struct lb_rule **ret,
                        const struct lb_acl_set *acls,
                        int argc,
                        char **argv,
                        char **err)
{
    struct pctx p = {NULL, LB_SMP_USE_REQ, argc + 1, NULL, 2, err, 0};
    int r, i;

    /* messages name argv[1]: make it the keyword, as for an action */
    p.argv = calloc((size_t)argc + 2, sizeof(*p.argv));
    p.r = calloc(1, sizeof(*p.r));
    if (!p.argv || !p.r) {
        free(p.argv);
        free(p.r);
        return -ENOMEM;
    }
    p.argv[0] = p.argv[1] = argv[0];
    for (i = 1; i < argc; i++)
        p.argv[i + 1] = argv[i];
    p.r->act = A_RETURN;
    p.r->phase = LB_RULE_REQ;
    r = pa_response(&p);
    (void)acls;
    free(p.argv);
    if (r < 0) {
        rule_free(p.r);
        return r;
    }
    *ret = p.r;
    return 0;
}

unsigned lb_rule_list_uses(const struct lb_rule *r)
{
    unsigned u = 0;

    for (; r; r = r->next)
        u |= lb_cond_uses(r->cond) | (r->key ? lb_sexpr_uses(r->key) : 0);
    return u;
}

unsigned lb_rule_capture_claim(struct lb_rule *list, unsigned idx)
{
    unsigned len;

    while (list && list->next)
        list = list->next;
    if (!list || list->act != A_CAPTURE || !list->caplen)
        return 0;
    len = list->caplen;
    list->caplen = 0;
    list->capid = idx;
    return len;
}

int lb_rule_find_promex(const struct lb_rule *list, const struct lb_cond **ret_cond)
{
    for (; list; list = list->next)
        if (list->act == A_PROMEX) {
            *ret_cond = list->cond;
            return 1;
        }
    return 0;
}

/* ---- running ---- */

/* The reason phrase lbd writes in the replies it builds (RFC 9110 section
 * 15 wording). Clients should ignore it (RFC 9112 section 4), so "Other"
 * for an unlisted status is harmless. */
static const char *reason(int status)
{
    static const struct {
        int st;
        const char *r;
    } tab[] = {
        {100, "Continue"},
        {200, "OK"},
        {201, "Created"},
        {202, "Accepted"},
        {204, "No Content"},
        {206, "Partial Content"},
        {301, "Moved Permanently"},
        {302, "Found"},
        {303, "See Other"},
        {304, "Not Modified"},
        {307, "Temporary Redirect"},
        {308, "Permanent Redirect"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {407, "Proxy Authentication Required"},
        {408, "Request Timeout"},
        {409, "Conflict"},
        {410, "Gone"},
        {413, "Payload Too Large"},
        {414, "URI Too Long"},
        {421, "Misdirected Request"},
        {425, "Too Early"},
        {429, "Too Many Requests"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
    };
    size_t i;

    for (i = 0; i < LK_ARRAY_SIZE(tab); i++)
        if (tab[i].st == status)
            return tab[i].r;
    return "Other";
}

#define wb  lb_wb
#define put lb_wb_put

static void puts_(struct wb *w, const char *s)
{
    put(w, s, strlen(s));
}

/* A piece of text an edit puts in place of part of the start line; it points
 * into the rule, the original head or a scratch chunk, never owns. */
struct seg {
    const char *p;
    size_t n;
};

/* One edit of a head: a new start line part and/or a header operation. */
struct edit {
    struct seg meth, uri[3], reason; /* .p NULL: keep */
    int status;                      /* 0: keep */
    const struct lb_rule *r;         /* header operation, or NULL */
    const char *val;                 /* its rendered value */
    size_t vlen;
};

/* Field names compare case-insensitively (RFC 9110 section 5.1). The pcre2
 * match data is per thread: the compiled pattern is shared by every worker,
 * the match data cannot be, and allocating it per field would cost a malloc
 * per header line. */
static int name_hit(const struct lb_rule *r, const uint8_t *n, size_t nl)
{
    static _Thread_local pcre2_match_data *md;
    size_t i;

    switch (r->act == A_DEL_HDR ? r->hmatch : HM_STR) {
    case HM_STR:
        return nl == r->name_len && strncasecmp((const char *)n, r->name, nl) == 0;
    case HM_BEG:
        return nl >= r->name_len && strncasecmp((const char *)n, r->name, r->name_len) == 0;
    case HM_END:
        return nl >= r->name_len &&
               strncasecmp((const char *)n + nl - r->name_len, r->name, r->name_len) == 0;
    case HM_SUB:
        for (i = 0; i + r->name_len <= nl; i++)
            if (strncasecmp((const char *)n + i, r->name, r->name_len) == 0)
                return 1;
        return 0;
    default:
        if (!md && !(md = pcre2_match_data_create(1, NULL)))
            return 0;
        return pcre2_match(r->re, n, nl, 0, 0, md, NULL) >= 0;
    }
}

/* HAProxy's exp_replace: the replacement with \0..\9 taken from the match;
 * the value becomes the whole result. Returns 0 when the regex does not
 * match (the value stays). */
static int regex_put(struct wb *w, const struct edit *e, const uint8_t *v, size_t vl)
{
    static _Thread_local pcre2_match_data *md;
    PCRE2_SIZE *ov;
    const char *t;
    int rc, g;

    if (!md && !(md = pcre2_match_data_create(10, NULL)))
        return 0;
    rc = pcre2_match(e->r->re, v, vl, 0, 0, md, NULL);
    if (rc <= 0)
        return 0;
    ov = pcre2_get_ovector_pointer(md);
    /* A group that did not take part in the match (PCRE2_UNSET) adds nothing,
     * as in HAProxy; "\N" beyond the groups matched is dropped too. */
    for (t = e->val; t < e->val + e->vlen; t++) {
        if (*t == '\\' && t + 1 < e->val + e->vlen && t[1] >= '0' && t[1] <= '9') {
            g = *++t - '0';
            if (g < rc && ov[2 * g] != PCRE2_UNSET)
                put(w, v + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
        } else {
            put(w, t, 1);
        }
    }
    return 1;
}

/* replace-value: each comma-separated element is matched without its
 * surrounding blanks; a replaced element loses them, the others stay as
 * they were (HAProxy's output, compared in tests/integration/http_rules). */
static void put_value_list(struct wb *w, const struct edit *e, const uint8_t *v, size_t vl)
{
    const uint8_t *end = v + vl, *c, *a, *b;

    for (; v <= end; v = c + 1) {
        c = memchr(v, ',', (size_t)(end - v));
        if (!c)
            c = end;
        for (a = v; a < c && (*a == ' ' || *a == '\t'); a++)
            ;
        for (b = c; b > a && (b[-1] == ' ' || b[-1] == '\t'); b--)
            ;
        if (!regex_put(w, e, a, (size_t)(b - a)))
            put(w, v, (size_t)(c - v));
        if (c == end)
            break;
        put(w, ",", 1);
    }
}

/* One field of the rebuilt head, with the rule's operation applied when its
 * name matches: set-header drops every old field of that name (the new one
 * is appended by build()), add-header keeps them all. */
static void put_hdr(struct wb *w, const struct edit *e, const uint8_t *b, const struct http1_hdr *h)
{
    const struct lb_rule *r = e->r;
    int hit = r && name_hit(r, b + h->name_off, h->name_len);

    if (hit && (r->act == A_SET_HDR || r->act == A_DEL_HDR))
        return;
    put(w, b + h->name_off, h->name_len);
    put(w, ": ", 2);
    if (hit && r->act == A_REPL_VAL)
        put_value_list(w, e, b + h->val_off, h->val_len);
    else if (!(hit && r->act == A_REPL_HDR && regex_put(w, e, b + h->val_off, h->val_len)))
        put(w, b + h->val_off, h->val_len);
    put(w, "\r\n", 2);
}

static void put_segs(struct wb *w, const struct seg *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i].p)
            put(w, s[i].p, s[i].n);
}

/* Returns 0 when the result does not fit `cap`: HAProxy's "rewrite failed",
 * which answers 500 (502 for a response) rather than sending a cut head. */
static size_t build(const struct lb_rule_io *io, const struct edit *e, char *out)
{
    const uint8_t *b = io->rsp ? io->smp->rsbuf : io->smp->rqbuf;
    const struct http1_msg *m = io->msg;
    struct wb w = {out, 0, io->cap, 0};
    char sl[16];
    unsigned i;

    if (io->rsp) {
        snprintf(sl, sizeof(sl), "HTTP/1.%d %03d ", m->version ? 1 : 0,
                 e->status ? e->status : m->status);
        puts_(&w, sl);
        if (e->reason.p)
            put(&w, e->reason.p, e->reason.n);
        else
            put(&w, b + m->reason_off, m->reason_len);
    } else {
        if (e->meth.p)
            put(&w, e->meth.p, e->meth.n);
        else
            put(&w, b + m->meth_off, m->meth_len);
        put(&w, " ", 1);
        if (e->uri[0].p || e->uri[1].p || e->uri[2].p)
            put_segs(&w, e->uri, 3);
        else
            put(&w, b + m->uri_off, m->uri_len);
        puts_(&w, m->version ? " HTTP/1.1" : " HTTP/1.0");
    }
    put(&w, "\r\n", 2);
    for (i = 0; i < m->nhdr; i++)
        put_hdr(&w, e, b, &m->hdr[i]);
    if (e->r && (e->r->act == A_SET_HDR || e->r->act == A_ADD_HDR)) {
        put(&w, e->r->name, e->r->name_len);
        put(&w, ": ", 2);
        put(&w, e->val, e->vlen);
        put(&w, "\r\n", 2);
    }
    put(&w, "\r\n", 2);
    return w.over ? 0 : w.len;
}

/* Apply one edit: rebuild into the other buffer, parse it again, and make
 * it current. The framing must come out the same. */
static int apply(struct lb_rule_io *io, const struct edit *e)
{
    int idx = io->cur == 0 ? 1 : 0, r;
    struct http1_msg old = *io->msg;
    char *out = io->get_buf(io->owner, idx);
    size_t len;

    if (!out)
        return -ENOMEM;
    len = build(io, e, out);
    if (len == 0)
        return -ENOSPC;
    http1_msg_init(io->msg, io->max_head, io->in_flags | (io->rsp ? 0 : HTTP1_IN_REWRITE));
    r = io->rsp ? http1_parse_response((const uint8_t *)out, len, io->msg)
                : http1_parse_request((const uint8_t *)out, len, io->msg);
    /* The rebuilt head must parse whole, and with the framing it had: a rule
     * could otherwise smuggle a second request or change where the body ends
     * behind the proxy's back (request smuggling, RFC 9112 section 11.2). On
     * failure the old parse is put back, so the message is as before the rule. */
    if (r != (int)len || io->msg->body != old.body ||
        io->msg->content_length != old.content_length) {
        *io->msg = old;
        return -EINVAL;
    }
    if (io->rsp)
        io->smp->rsbuf = (const uint8_t *)out;
    else
        io->smp->rqbuf = (const uint8_t *)out;
    /* The two lent buffers alternate: the next edit reads this one and writes
     * the other, so no edit copies onto its own input. */
    io->cur = idx;
    io->nrewrites++;
    return 0;
}

/* The request-target split in prefix (scheme://authority), path, query.
 * The three pieces cover the target exactly, so put back together they give
 * it unchanged; the query piece keeps its '?'. */
static void split_uri(const struct lb_rule_io *io, struct seg *pre, struct seg *path, struct seg *q)
{
    const uint8_t *b = io->smp->rqbuf, *u = b + io->msg->uri_off, *p;
    size_t n = io->msg->uri_len;

    lb_smp_req_path(b, io->msg, &p, &path->n);
    path->p = (const char *)p;
    pre->p = (const char *)u;
    pre->n = (size_t)(p - u);
    q->p = path->p + path->n;
    q->n = n - pre->n - path->n;
}

/* replace-path (the path without the query), replace-pathq (path and
 * query), replace-uri (the whole target), as HAProxy 2.6's: nothing when
 * that part is empty or the regex does not match it; else the part becomes
 * the rendered replacement V with \0..\9 taken from the match (what the
 * match left out is dropped, as in HAProxy's exp_replace). */
static int run_replace_uri(struct lb_rule_io *io,
                           const struct lb_rule *r,
                           const char *v,
                           size_t vl,
                           struct edit *e)
{
    struct seg pre, path, q, subj;
    struct wb w = {io->smp->chunk[io->smp->next_chunk++ & 1], 0, LB_SMP_CHUNK, 0};
    struct edit re = {.r = r, .val = v, .vlen = vl};

    split_uri(io, &pre, &path, &q);
    subj = r->act == A_REPL_PATH    ? path
           : r->act == A_REPL_PATHQ ? (struct seg){path.p, path.n + q.n}
                                    : (struct seg){pre.p, pre.n + path.n + q.n};
    if (!subj.n || !regex_put(&w, &re, (const uint8_t *)subj.p, subj.n))
        return 0;
    if (w.over)
        return -ENOSPC;
    e->uri[0] = r->act == A_REPL_URI ? (struct seg){w.p, w.len} : pre;
    if (r->act != A_REPL_URI)
        e->uri[1] = (struct seg){w.p, w.len};
    if (r->act == A_REPL_PATH)
        e->uri[2] = q;
    return apply(io, e);
}

static int run_uri(struct lb_rule_io *io, const struct lb_rule *r, const char *v, size_t vl)
{
    struct edit e;
    struct seg pre, path, q;

    memset(&e, 0, sizeof(e));
    if (r->act == A_REPL_PATH || r->act == A_REPL_PATHQ || r->act == A_REPL_URI)
        return run_replace_uri(io, r, v, vl, &e);
    split_uri(io, &pre, &path, &q);
    switch (r->act) {
    case A_SET_METHOD:
        e.meth = (struct seg){v, vl};
        break;
    case A_SET_URI:
        e.uri[0] = (struct seg){v, vl};
        break;
    case A_SET_PATH:
        e.uri[0] = pre;
        e.uri[1] = (struct seg){v, vl};
        e.uri[2] = q;
        break;
    case A_SET_PATHQ:
        e.uri[0] = pre;
        e.uri[1] = (struct seg){v, vl};
        break;
    default: /* set-query: the '?' goes with an empty query */
        e.uri[0] = pre;
        e.uri[1] = path;
        if (vl) {
            char *qq = io->smp->chunk[io->smp->next_chunk++ & 1];

            if (vl + 1 > LB_SMP_CHUNK)
                return -ENOSPC;
            qq[0] = '?';
            memcpy(qq + 1, v, vl);
            e.uri[2] = (struct seg){qq, vl + 1};
        }
    }
    if (e.uri[0].p == NULL && e.uri[1].p == NULL && e.meth.p == NULL)
        e.uri[0] = (struct seg){"", 0};
    return apply(io, &e);
}

static char *reply_buf(struct lb_rule_io *io)
{
    return io->get_buf(io->owner, 2);
}

/* The redirect reply, as HAProxy builds it: "location" is the value as
 * rendered; "prefix" the value then the original path (and query unless
 * drop-query); "scheme" the value, "://", the Host field, the path. The
 * body is empty (content-length: 0) so the connection stays usable. */
static enum lb_rule_verdict reply_redirect(struct lb_rule_io *io, const struct lb_rule *r)
{
    char loc[LB_SMP_CHUNK], *out = reply_buf(io);
    const struct http1_msg *m = io->smp->rq;
    struct seg pre, path, q;
    struct lb_smp host;
    size_t n;
    struct wb w;

    if (!out)
        return LB_RULE_ERROR;
    w = (struct wb){out, 0, io->cap, 0};
    n = lb_lfmt_render(r->fmt, io->smp, loc, sizeof(loc));
    /* ignore-empty: a value that renders empty (a map miss) skips the rule */
    if (n == 0 && r->ignore_empty)
        return LB_RULE_CONTINUE;
    if (r->redir != R_LOCATION && m) {
        struct wb l = {loc, n, sizeof(loc), 0};

        split_uri(io, &pre, &path, &q);
        if (r->redir == R_SCHEME) {
            put(&l, "://", 3);
            if (http1_hdr_get(m, io->smp->rqbuf, "host", 4, &host.len))
                put(&l, http1_hdr_get(m, io->smp->rqbuf, "host", 4, &host.len), host.len);
        } else if (n == 1 && loc[0] == '/') {
            l.len = 0; /* prefix "/": the original URI alone */
        }
        /* A request for "*" (OPTIONS) or with an empty path redirects to "/": a
         * Location must be a URI reference, and "*" is none. */
        if (path.n == 0 || (path.n == 1 && path.p[0] == '*'))
            put(&l, "/", 1);
        else
            put(&l, path.p, path.n);
        if (r->append_slash && path.n && path.p[path.n - 1] != '/')
            put(&l, "/", 1);
        if (!r->drop_query)
            put(&l, q.p, q.n);
        if (l.over)
            return LB_RULE_ERROR;
        n = l.len;
    }
    {
        char sl[64];

        snprintf(sl, sizeof(sl), "HTTP/1.1 %d %s\r\n", r->status, reason(r->status));
        puts_(&w, sl);
    }
    puts_(&w, "content-length: 0\r\nlocation: ");
    put(&w, loc, n);
    puts_(&w, "\r\n");
    /* HAProxy marks the temporary redirects no-cache: a cache that kept one
     * would send clients to the old place after the rule changes. */
    if (r->status == 302 || r->status == 303 || r->status == 307)
        puts_(&w, "cache-control: no-cache\r\n");
    puts_(&w, "\r\n");
    if (w.over)
        return LB_RULE_ERROR;
    io->status = r->status;
    io->reply = out;
    io->reply_len = w.len;
    return LB_RULE_REPLY;
}

/* set-src / set-dst: the session's address becomes the sample's; the port
 * stays when the family does, else it is 0, as in HAProxy 2.6. A sample
 * that is no address leaves the address as it was. */
static void run_set_addr(struct lb_rule_io *io, const struct lb_rule *r)
{
    struct lk_addr *a = r->act == A_SET_SRC ? io->src_rw : io->dst_rw;
    struct lb_smp v;
    unsigned port;

    if (!a || !lb_sexpr_eval(r->key, io->smp, 0, &v) || !lb_smp_to_addr(io->smp, &v))
        return;
    port = v.addr->u.sa.sa_family == a->u.sa.sa_family ? lk_addr_port(a) : 0;
    if (v.addr != a)
        *a = *v.addr;
    lk_addr_set_port(a, port);
    if (r->act == A_SET_SRC)
        io->smp->src = a;
    else
        io->smp->dst = a;
}

static enum lb_rule_verdict reply_return(struct lb_rule_io *io, const struct lb_rule *r)
{
    char *out, *body = NULL, val[LB_SMP_CHUNK], sl[96];
    size_t blen = 0, i, n;
    struct wb w;

    io->status = r->status;
    /* reply_len 0 tells the session to send the proxy's own error page for
     * io->status (errorfile, http-errors), as a plain deny does in HAProxy. */
    if ((!r->has_body && r->nhdrs == 0 && r->act == A_DENY) || r->errpage) {
        io->reply_len = 0; /* the proxy's error page for the status */
        return LB_RULE_REPLY;
    }
    if (!(out = reply_buf(io)))
        return LB_RULE_ERROR;
    w = (struct wb){out, 0, io->cap, 0};
    if (r->body_is_msg && r->body_len == 0) { /* errorfile /dev/null */
        io->reply_len = 0;
        io->empty = 1;
        return LB_RULE_REPLY;
    }
    if (r->body_is_msg) {
        put(&w, r->body, r->body_len);
        goto done;
    }
    snprintf(sl, sizeof(sl), "HTTP/1.1 %d %s\r\n", r->status, reason(r->status));
    puts_(&w, sl);
    if (r->fmt) { /* into our own buffer: samples write into the chunks */
        blen = lb_lfmt_render(r->fmt, io->smp, val, sizeof(val));
        body = val;
    } else if (r->has_body) {
        body = r->body;
        blen = r->body_len;
    }
    /* A 204 must not carry Content-Length, and in a 304 it would describe the
     * representation, not this empty reply (RFC 9110 section 8.6). */
    if (r->status != 204 && r->status != 304) {
        snprintf(sl, sizeof(sl), "content-length: %zu\r\n", blen);
        puts_(&w, sl);
    }
    if (r->ctype && blen) {
        puts_(&w, "content-type: ");
        puts_(&w, r->ctype);
        puts_(&w, "\r\n");
    }
    for (i = 0; i < r->nhdrs; i++) {
        char hv[1024];

        n = lb_lfmt_render(r->hdrs[i].fmt, io->smp, hv, sizeof(hv));
        if (n == 0) /* HAProxy 2.6 leaves out a reply field that renders empty */
            continue;
        puts_(&w, r->hdrs[i].name);
        puts_(&w, ": ");
        put(&w, hv, n);
        puts_(&w, "\r\n");
    }
    puts_(&w, "\r\n");
    put(&w, body, blen);
done:
    if (w.over)
        return LB_RULE_ERROR;
    io->reply = out;
    io->reply_len = w.len;
    return LB_RULE_REPLY;
}

static int run_edit(struct lb_rule_io *io, const struct lb_rule *r)
{
    char *v = io->smp->chunk[io->smp->next_chunk++ & 1], vbuf[LB_SMP_CHUNK];
    struct edit e;
    size_t n = 0;

    memset(&e, 0, sizeof(e));
    if (r->fmt) {
        /* rendered first, into our own buffer: samples reuse the chunks */
        n = lb_lfmt_render(r->fmt, io->smp, vbuf, sizeof(vbuf));
        v = vbuf;
    }
    switch (r->act) {
    case A_SET_HDR:
    case A_ADD_HDR:
    case A_DEL_HDR:
    case A_REPL_HDR:
    case A_REPL_VAL:
        e.r = r;
        e.val = v;
        e.vlen = n;
        return apply(io, &e);
    case A_SET_STATUS:
        e.status = r->status;
        e.reason = r->reason ? (struct seg){r->reason, strlen(r->reason)}
                             : (struct seg){reason(r->status), strlen(reason(r->status))};
        return apply(io, &e);
    default:
        return run_uri(io, r, v, n);
    }
}

/* The key a sample gives, in the table's type: an address sample as an
 * address key, an integer for an integer table, else the text form.
 * -ENOENT when the sample has no value: the rule then does nothing. */
static int stk_key(struct lb_stktable *t,
                   struct lb_smp_ctx *c,
                   const struct lb_sexpr *e,
                   struct lb_stkkey *k)
{
    struct lb_smp v;
    unsigned occ = 0;

    /* a multi-value fetch gives its last value, as in HAProxy's samples */
    while (lb_sexpr_multi(e) && occ < 4 * HTTP1_MAX_HDRS && lb_sexpr_eval(e, c, occ + 1, &v))
        occ++;
    if (!lb_sexpr_eval(e, c, occ, &v))
        return -ENOENT;
    if (v.type == LB_SMP_ADDR)
        return lb_stk_key_addr(t, v.addr, k);
    if ((v.type == LB_SMP_INT || v.type == LB_SMP_BOOL) && t->type == LB_STK_INT)
        return lb_stk_key_int(t, v.i, k);
    lb_smp_as_str(c, &v);
    return lb_stk_key_str(t, v.str, v.len, k);
}

static void run_track(struct lb_rule_io *io, const struct lb_rule *r)
{
    struct lb_stkkey k;

    if (!io->smp->sc || !r->table || stk_key(r->table, io->smp, r->key, &k) < 0)
        return;
    /* tcp-request connection: the session's; content and http-request: the
     * stream's (each request), as HAProxy attaches them */
    lb_stkctr_track(io->smp->sc, r->ctr, r->table, &k, r->phase != LB_RULE_TCP_CONN,
                    io->smp->now_ms);
}

static void run_var(struct lb_rule_io *io, const struct lb_rule *r)
{
    struct lb_vars *vs = io->smp->vars;
    char buf[LB_SMP_CHUNK];
    struct lb_smp v;
    size_t n;

    if (!vs)
        return;
    if (r->act == A_UNSET_VAR) {
        lb_vars_unset(vs, r->name);
    } else if (r->act == A_SET_VAR_FMT) {
        n = lb_lfmt_render(r->fmt, io->smp, buf, sizeof(buf));
        lb_vars_set_str(vs, r->name, buf, n);
    } else if (lb_sexpr_eval(r->key, io->smp, 0, &v)) {
        /* a failed sample leaves the variable as it was, as in HAProxy */
        if (v.type == LB_SMP_INT || v.type == LB_SMP_BOOL) {
            lb_vars_set_int(vs, r->name, v.i);
        } else {
            lb_smp_as_str(io->smp, &v);
            lb_vars_set_str(vs, r->name, v.str, v.len);
        }
    }
}

/* The sample as text, cut at the slot's length; a sample that fails
 * leaves the slot as it was, as in HAProxy. A slot the frontend does not
 * have (an "id" rule of a backend behind another frontend) is skipped. */
static void run_capture(struct lb_rule_io *io, const struct lb_rule *r)
{
    struct lb_smp_ctx *c = io->smp;
    struct lb_smp v;

    if (!c->caps || !lb_sexpr_eval(r->key, c, 0, &v))
        return;
    lb_smp_as_str(c, &v);
    lb_http_capture_put(c->caph, c->caps, r->phase == LB_RULE_RSP, r->capid, v.str, v.len);
}

/* An untracked counter is ignored, as HAProxy ignores sc-inc-gpc0 on a
 * counter no track-sc rule has set. */
static void run_sc(struct lb_rule_io *io, const struct lb_rule *r)
{
    struct lb_stkctr *c = io->smp->sc ? &io->smp->sc[r->ctr] : NULL;

    if (!c || !c->t)
        return;
    if (r->act == A_SC_INC_GPC0)
        lb_stk_add(c->t, c->e, LB_STK_GPC0, 1, io->smp->now_ms);
    else
        lb_stk_set(c->t, c->e, LB_STK_GPT0, r->ival, io->smp->now_ms);
}

/* Rules run in config order; the first final action (allow, deny, return,
 * redirect, auth, tarpit, reject, silent-drop) ends the list. Edits apply at
 * once, so the next rule's conditions see the edited head, as in HAProxy. */
enum lb_rule_verdict lb_rule_run(const struct lb_rule *r, struct lb_rule_io *io)
{
    for (; r; r = r->next) {
        int hit;

        io->smp->need_more = 0;
        hit = lb_cond_eval(r->cond, io->smp);
        /* a condition on bytes not arrived yet is judged when they are
         * (within tcp-request inspect-delay), as HAProxy does */
        if (io->smp->need_more && (r->phase == LB_RULE_TCP_CONTENT || r->phase == LB_RULE_TCP_RSP))
            return LB_RULE_WAIT;
        if (!hit)
            continue;
        switch (r->act) {
        case A_ALLOW:
            return LB_RULE_ALLOW;
        case A_DENY:
        case A_RETURN:
            return reply_return(io, r);
        case A_REDIRECT: {
            enum lb_rule_verdict rv = reply_redirect(io, r);

            if (rv == LB_RULE_CONTINUE)
                continue; /* ignore-empty and the value rendered empty */
            return rv;
        }
        case A_PROMEX:
            continue; /* the stats page serves it before the rules run */
        case A_REJECT:
            return LB_RULE_REJECT;
        case A_SILENT_DROP:
            return LB_RULE_DROP;
        case A_CLOSE:
            return LB_RULE_CLOSE;
        case A_TARPIT:
            io->status = r->status;
            return LB_RULE_TARPIT;
        case A_TRACK:
            run_track(io, r);
            continue;
        case A_CAPTURE:
            run_capture(io, r);
            continue;
        case A_SC_INC_GPC0:
        case A_SC_SET_GPT0:
            run_sc(io, r);
            continue;
        case A_SET_VAR:
        case A_SET_VAR_FMT:
        case A_UNSET_VAR:
            run_var(io, r);
            continue;
        case A_SET_SRC:
        case A_SET_DST:
            run_set_addr(io, r);
            continue;
        case A_AUTH: /* the proxy's 401 page, with the challenge */
            io->status = 401;
            io->reply_len = 0;
            io->realm = r->reason ? r->reason : io->px_name;
            return LB_RULE_REPLY;
        default:
            if (run_edit(io, r) < 0)
                return LB_RULE_ERROR;
        }
    }
    return LB_RULE_CONTINUE;
}

/* ---- tables, after the whole file ---- */

/* "table NAME" names a proxy (a frontend or backend holding a stick-table
 * line), as HAProxy's does. */
/* A proxy of any kind holding a stick-table: before, "(cap & FE|BE) ==
 * FE|BE" found listen sections only, so "table BACKEND" was refused. */
static struct lb_stktable *table_named(const struct lb_cfg *cfg, const char *name)
{
    return lb_cfg_find_table(cfg, name);
}

/* "errorfiles NAME": the section's page for the rule's status, else (as
 * HAProxy) an empty message with that status. */
static int resolve_errsec(struct lb_rule *r,
                          const struct lb_cfg *cfg,
                          const char *file,
                          unsigned line,
                          char **err)
{
    const struct lb_errslot *e;
    int found;

    e = lb_errsec_slot(cfg, r->errsec, r->status, &found);
    if (!found) {
        lb_cfg_err_append(err, "%s:%u: unknown http-errors section '%s'", file, line, r->errsec);
        return -EINVAL;
    }
    if (e && e->seq && !e->msg.data && !e->reply) { /* the page is /dev/null */
        r->body = NULL;
        r->body_len = 0;
        return 0; /* has_body and body_is_msg stay: an empty message */
    }
    if (!e || !e->msg.data) { /* HAProxy answers an empty message then */
        r->has_body = 0;
        r->body_is_msg = 0;
        return 0;
    }
    r->body = e->msg.data;
    r->body_len = e->msg.len;
    /* The page belongs to the http-errors section, which lives as long as the
     * config: the rule borrows it and rule_free() leaves it alone. */
    r->body_shared = 1;
    return 0;
}

int lb_rule_resolve(struct lb_rule *list, const struct lb_resolve_at *at, char **err)
{
    int ret = 0;

    for (; list; list = list->next) {
        if (list->errsec && resolve_errsec(list, at->cfg, at->file, at->line, err) < 0)
            ret = -EINVAL;
        if (list->act == A_CAPTURE && at->capfe &&
            list->capid >= (list->phase == LB_RULE_RSP ? at->ncaprsp : at->ncapreq)) {
            lb_cfg_err_append(err,
                              "%s:%u: unable to find capture id '%u' referenced by %s capture rule",
                              at->file, at->line, list->capid,
                              list->phase == LB_RULE_RSP ? "http-response" : "http-request");
            ret = -EINVAL;
        }
        if (list->act != A_TRACK)
            continue;
        list->table = list->table_name ? table_named(at->cfg, list->table_name) : at->deftable;
        if (!list->table) {
            lb_cfg_err_append(err, "%s:%u: track-sc%u: %s", at->file, at->line, list->ctr,
                              list->table_name ? "no stick-table in the proxy named by 'table'"
                                               : "this proxy has no stick-table (add one, or "
                                                 "'table NAME')");
            ret = -EINVAL;
        }
    }
    return ret;
}

enum stick_kind { ST_ON, ST_MATCH, ST_STORE, ST_STORE_RSP };

/* One stick rule of a backend, in config order. `table` is set by
 * lb_stick_resolve() (the proxy's, not owned). */
struct lb_stick {
    struct lb_stick *next;
    uint8_t kind;
    struct lb_sexpr *key;
    struct lb_cond *cond;
    char *table_name;
    struct lb_stktable *table;
};

struct lb_stick *lb_stick_list_free(struct lb_stick *list)
{
    struct lb_stick *n;

    for (; list; list = n) {
        n = list->next;
        lb_sexpr_free(list->key);
        lb_cond_free(list->cond);
        free(list->table_name);
        free(list);
    }
    return NULL;
}

/* "stick on" matches then stores, "stick match" only reads, "store-request"
 * only writes. Keys may read the request (or the client's first bytes); in
 * mode tcp the same rules run with the connection's data only, where
 * request fetches have no value. "store-response" writes from what the
 * server sent first (mode tcp: tcp-response's bytes), once per session. */
int lb_stick_parse(struct lb_stick **list,
                   const struct lb_acl_set *acls,
                   int argc,
                   char **argv,
                   char **err)
{
    static const char *const kinds[] = {"on", "match", "store-request", "store-response"};
    struct lb_stick *st, **tail;
    unsigned avail;
    size_t k;
    int i = 3, r;

    for (k = 0; k < LK_ARRAY_SIZE(kinds) && strcmp(kinds[k], argv[1]) != 0; k++)
        ;
    if (k == LK_ARRAY_SIZE(kinds))
        return lk_cfg_err(err,
                          "stick %s: not supported by lbd (on, match, store-request, "
                          "store-response)",
                          argv[1]);
    avail = k == ST_STORE_RSP ? LB_SMP_USE_RSP | LB_SMP_USE_RESPAYLOAD
                              : LB_SMP_USE_REQ | LB_SMP_USE_PAYLOAD;
    if (argc < 3)
        return lk_cfg_err(err, "stick %s: expected a key expression", argv[1]);
    st = calloc(1, sizeof(*st));
    if (!st)
        return -ENOMEM;
    st->kind = (uint8_t)k;
    r = lb_sexpr_parse(argv[2], avail, &st->key, err);
    if (r == 0 && i + 1 < argc && strcmp(argv[i], "table") == 0) {
        st->table_name = strdup(argv[i + 1]);
        r = st->table_name ? 0 : -ENOMEM;
        i += 2;
    }
    if (r == 0 && i < argc)
        r = lb_cond_parse(acls, avail, argc - i, argv + i, &st->cond, err);
    if (r < 0) {
        lb_stick_list_free(st);
        return r;
    }
    for (tail = list; *tail; tail = &(*tail)->next)
        ;
    *tail = st;
    return 0;
}

int lb_stick_resolve(struct lb_stick *list, const struct lb_resolve_at *at, char **err)
{
    int ret = 0;

    for (; list; list = list->next) {
        list->table = list->table_name ? table_named(at->cfg, list->table_name) : at->deftable;
        if (list->table && !(list->table->store & (1u << LB_STK_SERVER_ID)))
            list->table->store |= 1u << LB_STK_SERVER_ID; /* implied, as in HAProxy */
        if (!list->table) {
            lb_cfg_err_append(err,
                              "%s:%u: stick: no stick-table to use (add one to the "
                              "backend, or 'table NAME')",
                              at->file, at->line);
            ret = -EINVAL;
        }
    }
    return ret;
}

/* The first rule whose key finds an entry with a server id wins; 0 means
 * "none" (server ids start at 1). */
unsigned lb_stick_match(const struct lb_stick *st, struct lb_smp_ctx *c)
{
    struct lb_stkentry *e;
    struct lb_stkkey k;
    int64_t id = 0;

    for (; st; st = st->next) {
        if (st->kind == ST_STORE || st->kind == ST_STORE_RSP || !lb_cond_eval(st->cond, c) ||
            stk_key(st->table, c, st->key, &k) < 0)
            continue;
        e = lb_stk_get(st->table, &k, 0, c->now_ms);
        if (!e)
            continue;
        if (lb_stk_read(st->table, e, LB_STK_SERVER_ID, c->now_ms, &id) < 0)
            id = 0;
        lb_stk_release(st->table, e);
        if (id > 0)
            return (unsigned)id;
    }
    return 0;
}

/* Every storing rule whose condition holds writes the chosen server, so
 * several keys (a cookie and the source address) can lead back to it. */
static void store_kind(const struct lb_stick *st, struct lb_smp_ctx *c, unsigned puid, int rsp)
{
    struct lb_stkentry *e;
    struct lb_stkkey k;

    for (; st; st = st->next) {
        if (st->kind == ST_MATCH || (st->kind == ST_STORE_RSP) != rsp ||
            !lb_cond_eval(st->cond, c) || stk_key(st->table, c, st->key, &k) < 0)
            continue;
        e = lb_stk_get(st->table, &k, 1, c->now_ms);
        if (!e)
            continue;
        lb_stk_set(st->table, e, LB_STK_SERVER_ID, puid, c->now_ms);
        lb_stk_release(st->table, e);
    }
}

void lb_stick_store(const struct lb_stick *st, struct lb_smp_ctx *c, unsigned puid)
{
    store_kind(st, c, puid, 0);
}

void lb_stick_store_rsp(const struct lb_stick *st, struct lb_smp_ctx *c, unsigned puid)
{
    store_kind(st, c, puid, 1);
}

unsigned lb_stick_list_uses(const struct lb_stick *st)
{
    unsigned u = 0;

    for (; st; st = st->next)
        u |= lb_sexpr_uses(st->key) | lb_cond_uses(st->cond);
    return u;
}

int lb_stick_has_rsp(const struct lb_stick *st)
{
    for (; st; st = st->next)
        if (st->kind == ST_STORE_RSP)
            return 1;
    return 0;
}

/* ---- with a connection's data only ---- */

/* The chunks (8 KiB) are left uninitialised: they are scratch space,
 * written before they are read. */
static void conn_ctx(struct lb_smp_ctx *c, const struct lb_conn_info *ci, struct lb_stktable *t)
{
    memset(c, 0, offsetof(struct lb_smp_ctx, chunk));
    c->next_chunk = 0;
    c->src = ci->src;
    c->dst = ci->dst;
    c->sc = ci->sc;
    c->vars = ci->vars;
    c->payload = ci->payload;
    c->payload_len = ci->payload_len;
    c->payload_final = ci->payload_final;
    c->res_payload = ci->res_payload;
    c->res_payload_len = ci->res_payload_len;
    c->res_payload_final = ci->res_payload_final;
    c->deftable = t;
    c->now_ms = ci->now_ms;
}

enum lb_rule_verdict lb_rule_run_conn(const struct lb_rule *list,
                                      struct lb_stktable *deftable,
                                      const struct lb_conn_info *ci)
{
    struct lb_smp_ctx c;
    struct lb_rule_io io;

    if (!list)
        return LB_RULE_CONTINUE;
    conn_ctx(&c, ci, deftable);
    /* No message and no lent buffers: a connection rule has no head to edit,
     * and the connection actions never ask for one. */
    memset(&io, 0, sizeof(io));
    io.smp = &c;
    io.cur = -1;
    return lb_rule_run(list, &io);
}

unsigned lb_stick_match_conn(const struct lb_stick *list, const struct lb_conn_info *ci)
{
    struct lb_smp_ctx c;

    if (!list)
        return 0;
    conn_ctx(&c, ci, NULL);
    return lb_stick_match(list, &c);
}

void lb_stick_store_conn(const struct lb_stick *list, const struct lb_conn_info *ci, unsigned puid)
{
    struct lb_smp_ctx c;

    if (!list)
        return;
    conn_ctx(&c, ci, NULL);
    lb_stick_store(list, &c, puid);
}

void lb_stick_store_rsp_conn(const struct lb_stick *list,
                             const struct lb_conn_info *ci,
                             unsigned puid)
{
    struct lb_smp_ctx c;

    if (!list)
        return;
    conn_ctx(&c, ci, NULL);
    lb_stick_store_rsp(list, &c, puid);
}

/* As lb_rule_run(): a condition that needs payload not yet received stops
 * the walk (LB_SWITCH_WAIT) instead of falling through to a later rule,
 * which would pick a backend on incomplete data. */
struct lb_proxy *lb_switch_conn(const struct lb_switch *r, const struct lb_conn_info *ci)
{
    struct lb_smp_ctx c;
    int hit;

    conn_ctx(&c, ci, NULL);
    for (; r; r = r->next) {
        c.need_more = 0;
        hit = lb_cond_eval(r->cond, &c);
        if (c.need_more)
            return LB_SWITCH_WAIT;
        if (hit)
            return r->be;
    }
    return NULL;
}
