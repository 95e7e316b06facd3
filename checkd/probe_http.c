/* probe_http.c - HAProxy's "option httpchk [METH] [URI] [VER]", "http-check
 * send hdr NAME VALUE" and "http-check expect [!] status N | rstatus RE |
 * string S" (see probe.h). */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checkd/probe_int.h"
#include "common/compiler.h"

static int has_header(const struct feed_target *cfg, const char *name)
{
    size_t n = strlen(name);
    unsigned i;

    /* header names are case-insensitive: a configured "host:" replaces ours */
    for (i = 0; i < cfg->nhdrs; i++)
        if (strncasecmp(cfg->hdrs[i], name, n) == 0 && cfg->hdrs[i][n] == ':')
            return 1;
    return 0;
}

int chk_http_request(const struct feed_target *cfg,
                     const struct lk_addr *addr,
                     char **ret_buf,
                     size_t *ret_len)
{
    const char *ver = cfg->version[0] ? cfg->version : "HTTP/1.0";
    char *buf = NULL, host[LK_ADDR_STRLEN];
    size_t len = 0;
    FILE *f;
    unsigned i;

    /* a memstream: the request's size is only known once written; the
     * buffer is the probe's until its write completes */
    f = open_memstream(&buf, &len);
    if (!f)
        return -ENOMEM;
    /* HAProxy's defaults: "OPTIONS / HTTP/1.0" */
    fprintf(f, "%s %s %s\r\n", cfg->method[0] ? cfg->method : "OPTIONS",
            cfg->uri[0] ? cfg->uri : "/", ver);
    for (i = 0; i < cfg->nhdrs && i < FEED_MAX_HDRS; i++)
        fprintf(f, "%s\r\n", cfg->hdrs[i]);
    /* HTTP/1.1 needs a Host; closing lets a body-matching rule see EOF */
    if (strcmp(ver, "HTTP/1.1") == 0 && !has_header(cfg, "host"))
        fprintf(f, "Host: %s\r\n", lk_addr_str(addr, host, sizeof(host)));
    if (!has_header(cfg, "connection"))
        fprintf(f, "Connection: close\r\n");
    /* HAProxy adds the length of "http-check send body" itself */
    if (cfg->body[0])
        fprintf(f, "Content-Length: %zu\r\n", strlen(cfg->body));
    fprintf(f, "User-Agent: lbkit-checkd\r\n\r\n%s", cfg->body);
    if (fclose(f) != 0) {
        free(buf);
        return -ENOMEM;
    }
    *ret_buf = buf;
    *ret_len = len;
    return 0;
}

/* "HTTP/1.x NNN ..." -> status, or -EBADMSG; -EAGAIN without a full line. */
static int status_line(const char *buf, size_t len)
{
    const char *eol = memchr(buf, '\n', len);

    if (!eol)
        /* no whole line yet: wait, unless what came cannot start a status
         * line (a server speaking another protocol fails at once) */
        return len > 8 && strncmp(buf, "HTTP/", LK_MIN(len, 5)) != 0 ? -EBADMSG : -EAGAIN;
    if (eol - buf < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ' || buf[9] < '1' ||
        buf[9] > '5' || buf[10] < '0' || buf[10] > '9' || buf[11] < '0' || buf[11] > '9')
        return -EBADMSG;
    return (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
}

/* The status line's reason phrase ("Service Unavailable"), which HAProxy
 * puts in a wrong-status reason as its info; "" when there is none. The
 * line was checked by status_line(): 12 bytes at least, then ' ' REASON. */
static void reason_phrase(const char *buf, size_t len, char *out, size_t cap)
{
    const char *eol = memchr(buf, '\n', len), *p = buf + 12;
    size_t n;

    out[0] = '\0';
    if (!eol || p >= eol || *p != ' ')
        return;
    p++;
    n = (size_t)(eol - p);
    if (n && p[n - 1] == '\r')
        n--;
    snprintf(out, cap, "%.*s", (int)LK_MIN(n, cap - 1), p);
}

/* "200" or "200-399". */
static int status_match(const char *spec, int code)
{
    unsigned long lo, hi;
    char *end;

    lo = strtoul(spec, &end, 10);
    hi = lo;
    if (*end == '-')
        hi = strtoul(end + 1, &end, 10);
    return *end == '\0' && (unsigned long)code >= lo && (unsigned long)code <= hi;
}

static int status_spec_ok(const char *spec)
{
    unsigned long lo, hi;
    char *end;

    lo = strtoul(spec, &end, 10);
    if (end == spec)
        return 0;
    hi = lo;
    if (*end == '-')
        hi = strtoul(end + 1, &end, 10);
    return *end == '\0' && lo >= 100 && hi <= 999 && lo <= hi;
}

int chk__regex_match(const char *re, const char *s)
{
    regex_t rx;
    int m;

    /* compiled per check: patterns are short and checks seconds apart;
     * the pattern was validated at registration (chk_probe_validate) */
    if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
        return 0;
    m = regexec(&rx, s, 0, NULL, 0) == 0;
    regfree(&rx);
    return m;
}

static const char *body_of(const char *buf, size_t len)
{
    const char *b = strstr(buf, "\r\n\r\n");

    if (b)
        return b + 4;
    /* a server that ends its lines with bare LF, as some health endpoints do */
    b = strstr(buf, "\n\n");
    return b ? b + 2 : NULL;
}

/* Decide on the status line alone (everything but "string"). The reasons
 * are HAProxy 2.6's words, so log alerting written for it matches. */
static void judge_status(const struct feed_target *cfg,
                         const char *buf,
                         size_t len,
                         int code,
                         struct chk_result *r)
{
    char num[8], phrase[64];
    int m;

    snprintf(num, sizeof(num), "%d", code);
    if (cfg->expect == FEED_EXPECT_STATUS)
        m = status_match(cfg->expect_arg, code);
    else if (cfg->expect == FEED_EXPECT_RSTATUS)
        m = chk__regex_match(cfg->expect_arg, num);
    else
        /* no expect rule: HAProxy passes 2xx and 3xx */
        m = code >= 200 && code < 400;
    if (cfg->expect_not && cfg->expect != FEED_EXPECT_DEFAULT)
        m = !m;
    if (m) {
        chk_result_set(r, FEED_RES_L7OK, code, "Layer7 check passed, code: %d", code);
        return;
    }
    reason_phrase(buf, len, phrase, sizeof(phrase));
    if (phrase[0])
        chk_result_set(r, FEED_RES_L7STS, code, "Layer7 wrong status, code: %d, info: \"%s\"", code,
                       phrase);
    else
        chk_result_set(r, FEED_RES_L7STS, code, "Layer7 wrong status, code: %d", code);
}

int chk_http_judge(const struct feed_target *cfg,
                   const char *buf,
                   size_t len,
                   int eof,
                   struct chk_result *r)
{
    const char *body;
    int code = status_line(buf, len), m;

    if (code == -EAGAIN && !eof)
        return 0;
    if (code < 0) {
        chk_result_set(r, FEED_RES_L7RSP, -1, "Layer7 invalid response: %s",
                       len ? "not an HTTP status line" : "empty response");
        return 1;
    }
    /* disable-on-404 comes before any expect rule, as in HAProxy 2.6: a
     * 404 is a soft stop whatever the rule asks */
    if (cfg->disable_404 && code == 404) {
        chk_result_set(r, FEED_RES_L7OKC, code, "Layer7 check conditionally passed, code: %d",
                       code);
        return 1;
    }
    if (cfg->expect != FEED_EXPECT_STRING && cfg->expect != FEED_EXPECT_RSTRING) {
        judge_status(cfg, buf, len, code, r);
        return 1;
    }
    body = body_of(buf, len);
    /* HAProxy judges a missing body before any match, negated or not */
    if (!body || !*body) {
        if (!eof)
            return 0;
        chk_result_set(r, FEED_RES_L7RSP, code,
                       "Layer7 invalid response, info: \"HTTP content check could not find a "
                       "response body\"");
        return 1;
    }
    if (cfg->expect == FEED_EXPECT_STRING)
        m = body && strstr(body, cfg->expect_arg) != NULL;
    else
        m = body && chk__regex_match(cfg->expect_arg, body);
    /* a match decides at once; a miss only at EOF, since the body arrives
     * in pieces (the request asked for Connection: close) */
    if (!m && !eof)
        return 0; /* the string may still come */
    if (cfg->expect_not)
        m = !m;
    if (m)
        chk_result_set(r, FEED_RES_L7OK, code, "Layer7 check passed, code: %d", code);
    else
        chk_result_set(r, FEED_RES_L7RSP, code, "Layer7 invalid response, info: \"%s\"",
                       cfg->expect_not ? "HTTP check matched unwanted content"
                                       : "HTTP content check did not match");
    return 1;
}

int chk_probe_validate(const struct feed_target *cfg, const char **why)
{
    regex_t rx;

    if (chk__is_tcpchk(cfg->kind))
        return chk__tcpchk_validate(cfg, why);
    if (cfg->kind == FEED_KIND_EXTERNAL && !cfg->ext_argv[0][0]) {
        *why = "external check without a command";
        return -EINVAL;
    }
    if (cfg->kind == FEED_KIND_HTTP &&
        (cfg->expect == FEED_EXPECT_RSTATUS || cfg->expect == FEED_EXPECT_RSTRING)) {
        if (regcomp(&rx, cfg->expect_arg, REG_EXTENDED | REG_NOSUB) != 0) {
            *why = cfg->expect == FEED_EXPECT_RSTATUS
                       ? "http-check expect rstatus: invalid regular expression"
                       : "http-check expect rstring: invalid regular expression";
            return -EINVAL;
        }
        regfree(&rx);
    }
    if (cfg->kind == FEED_KIND_HTTP && cfg->expect == FEED_EXPECT_STATUS &&
        !status_spec_ok(cfg->expect_arg)) {
        *why = "http-check expect status: expected N or N-M";
        return -EINVAL;
    }
    if (cfg->kind == FEED_KIND_GALERA && !cfg->user[0]) {
        *why = "galera check: a user is required";
        return -EINVAL;
    }
    if (cfg->kind == FEED_KIND_MYSQL && strlen(cfg->user) > 32) {
        *why = "mysql-check: user name longer than 32 bytes";
        return -EINVAL;
    }
    return 0;
}
