/* check_cfg.c - see check_cfg.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfgkw.h"
#include "common/cfglex.h"
#include "common/compiler.h"
#include "common/log.h"
#include "lbd/cfg/check_cfg.h"

/* The definition's text fields have checkd's registration sizes: a value
 * that does not fit is refused at its line (text_arg), never cut. */
static int set_text(char *dst, size_t cap, const char *src)
{
    if (strlen(src) >= cap)
        return -E2BIG;
    snprintf(dst, cap, "%s", src);
    return 0;
}

/* "ok-status L7OK": the statuses HAProxy allows for each, less L7OKC
 * (conditionally passed, which lbd has no server state for). */
static int status_arg(const char *kw, const char *v, uint8_t *out)
{
    /* each list is what HAProxy's own parser accepts for that option */
    static const char *const ok[] = {"L7OK", "L6OK", "L4OK", NULL};
    static const char *const bad[] = {"L7RSP", "L7STS", "L6RSP", "L4CON", NULL};
    static const char *const tout[] = {"L7TOUT", "L6TOUT", "L4TOUT", NULL};
    const char *const *set = strcmp(kw, "ok-status") == 0      ? ok
                             : strcmp(kw, "error-status") == 0 ? bad
                                                               : tout;
    size_t i;

    for (i = 0; set[i]; i++)
        if (strcmp(set[i], v) == 0) {
            *out = (uint8_t)feed_result_parse(v);
            return 0;
        }
    return -EINVAL;
}

/* "default" is accepted because it only restates lbd's behaviour (the
 * server's address and check port). Only a literal port: HAProxy's sample-
 * expression ports would need lbd to evaluate samples inside checkd. */
static int parse_connect(struct lb_cfgctx *ctx,
                         int argc,
                         char **argv,
                         struct feed_tcstep *c,
                         char **err)
{
    uint64_t port;
    int i;

    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "default") == 0) {
            continue;
        } else if (strcmp(argv[i], "linger") == 0) {
            c->linger = 1;
        } else if (strcmp(argv[i], "port") == 0 && i + 1 < argc) {
            if (lk_parse_uint(argv[++i], 1, 65535, &port) < 0)
                return lb_cfg_fail(ctx, err,
                                   "tcp-check connect: port expects 1-65535 (a "
                                   "sample expression is not supported by lbd)");
            c->port = (uint16_t)port;
        } else if (strcmp(argv[i], "addr") == 0 && i + 1 < argc) {
            if (set_text(c->addr, sizeof(c->addr), argv[++i]) < 0 ||
                strchr(c->addr, ':') == c->addr)
                return lb_cfg_fail(ctx, err, "tcp-check connect: addr expects an IP address");
        } else if (strcmp(argv[i], "comment") == 0 && i + 1 < argc) {
            set_text(c->comment, sizeof(c->comment), argv[++i]);
        } else {
            return lb_cfg_fail(ctx, err,
                               "tcp-check connect: '%s' is not supported by lbd (default, port N, "
                               "addr IP, linger, comment TEXT; TLS and send-proxy checks are not "
                               "implemented)",
                               argv[i]);
        }
    }
    return 0;
}

static int parse_send(struct lb_cfgctx *ctx,
                      int argc,
                      char **argv,
                      struct feed_tcstep *c,
                      char **err)
{
    int bin = strncmp(argv[1], "send-binary", 11) == 0, n;

    /* send-lf and send-binary-lf are common in published configs with
     * plain text: accepted as such, only real expressions are refused */
    /* a log-format without any %-expression is its literal text */
    if (strstr(argv[1], "-lf") && argc > 2 && strchr(argv[2], '%'))
        return lb_cfg_fail(ctx, err,
                           "tcp-check %s: log-format expressions (%%[...]) are not supported by "
                           "lbd (literal data is)",
                           argv[1]);
    if (argc < 3 || (argc != 3 && (argc != 5 || strcmp(argv[3], "comment") != 0)))
        return lb_cfg_fail(ctx, err, "tcp-check %s: expected 'tcp-check %s DATA [comment TEXT]'",
                           argv[1], argv[1]);
    if (argc == 5)
        set_text(c->comment, sizeof(c->comment), argv[4]);
    if (bin) {
        n = feed_hex_decode(argv[2], c->data, sizeof(c->data));
        if (n < 0)
            return lb_cfg_fail(ctx, err,
                               "tcp-check send-binary: '%s' is not an even-length hex string of "
                               "at most %d bytes",
                               argv[2], FEED_TC_DATA_MAX);
        c->len = (uint16_t)n;
        return 0;
    }
    if (strlen(argv[2]) > sizeof(c->data))
        return lb_cfg_fail(ctx, err, "tcp-check send: more than %d bytes", FEED_TC_DATA_MAX);
    memcpy(c->data, argv[2], strlen(argv[2]));
    c->len = (uint16_t)strlen(argv[2]);
    return 0;
}

/* One option of an expect line at argv[i] (with its value at i + 1): 1 if
 * it was one, 0 if not, -1 with *err set. */
/* A comment longer than its field is dropped rather than refused: it only
 * names the step in messages. The -!! turns lb_cfg_fail's LK_CFG_FATAL into
 * the -1 this function's contract uses. */
static int expect_opt(struct lb_cfgctx *ctx, char **argv, int i, struct feed_tcstep *c, char **err)
{
    const char *k = argv[i], *a = argv[i + 1];
    uint64_t v;

    if (strcmp(k, "min-recv") == 0) {
        if (lk_parse_uint(a, 0, 65536, &v) < 0)
            return -!!lb_cfg_fail(ctx, err, "tcp-check expect: min-recv expects 0-65536");
        c->min_recv = (int32_t)v;
    } else if (strcmp(k, "comment") == 0) {
        set_text(c->comment, sizeof(c->comment), a);
    } else if (strcmp(k, "ok-status") == 0 || strcmp(k, "error-status") == 0 ||
               strcmp(k, "tout-status") == 0) {
        if (status_arg(k, a,
                       strcmp(k, "ok-status") == 0      ? &c->ok_status
                       : strcmp(k, "error-status") == 0 ? &c->err_status
                                                        : &c->tout_status) < 0)
            return -!!lb_cfg_fail(ctx, err,
                                  "tcp-check expect: %s '%s' not supported by lbd (ok-status "
                                  "L7OK|L6OK|L4OK, error-status L7RSP|L7STS|L6RSP|L4CON, "
                                  "tout-status L7TOUT|L6TOUT|L4TOUT)",
                                  k, a);
    } else if (strcmp(k, "on-success") == 0 || strcmp(k, "on-error") == 0) {
        if (strchr(a, '%') || strlen(a) >= FEED_TC_TEXT_MAX)
            return -!!lb_cfg_fail(ctx, err,
                                  "tcp-check expect: %s with a log-format expression is not "
                                  "supported by lbd (plain text of at most %d bytes only)",
                                  k, FEED_TC_TEXT_MAX - 1);
        set_text(k[3] == 's' ? c->on_success : c->on_error, FEED_TC_TEXT_MAX, a);
        if (k[3] == 's')
            c->ok_info = FEED_TC_INFO_TEXT;
        else
            c->err_info = FEED_TC_INFO_TEXT;
    } else {
        return 0;
    }
    return 1;
}

/* The pattern is stored raw (hex decoded for binary); regex patterns are
 * compiled by checkd when it registers the target, so an invalid regex is
 * reported there, not here. */
static int expect_pattern(struct lb_cfgctx *ctx, const char *pat, struct feed_tcstep *c, char **err)
{
    int n;

    if (c->match == FEED_TC_BINARY) {
        n = feed_hex_decode(pat, c->data, sizeof(c->data));
        if (n < 0)
            return lb_cfg_fail(
                ctx, err, "tcp-check expect binary: '%s' is not an even-length hex string", pat);
        c->len = (uint16_t)n;
        return 0;
    }
    if (strlen(pat) > sizeof(c->data))
        return lb_cfg_fail(ctx, err, "tcp-check expect: pattern longer than %d bytes",
                           FEED_TC_DATA_MAX);
    memcpy(c->data, pat, strlen(pat));
    c->len = (uint16_t)strlen(pat);
    return 0;
}

/* Options may come before or after "[!] MATCH PATTERN", as in HAProxy. */
/* A lone "!" negates the match word that follows; "!string" is the same
 * written as one word. Only one match per expect line, as in HAProxy. */
static int parse_expect(struct lb_cfgctx *ctx,
                        int argc,
                        char **argv,
                        struct feed_tcstep *c,
                        char **err)
{
    int i, r, k, seen = 0;
    const char *m;

    for (i = 2; i < argc; i++) {
        r = i + 1 < argc ? expect_opt(ctx, argv, i, c, err) : 0;
        if (r < 0)
            return LK_CFG_FATAL;
        if (r > 0) {
            i++;
            continue;
        }
        m = argv[i];
        if (strcmp(m, "!") == 0 && !seen) {
            c->neg = 1;
            continue;
        }
        if (*m == '!')
            c->neg = 1;
        k = feed_tc_match_parse(m + (*m == '!'));
        /* a name feed_tc_match_parse() knows but HAProxy's tcp-check does not */
        if (k == FEED_TC_LINE)
            k = -1; /* checkd's own (agents), not a tcp-check word */
        /* string-lf/binary-lf with a literal pattern is that pattern */
        if (k < 0 && i + 1 < argc && !strchr(argv[i + 1], '%') &&
            (strcmp(m + (*m == '!'), "string-lf") == 0 ||
             strcmp(m + (*m == '!'), "binary-lf") == 0))
            k = m[(*m == '!')] == 's' ? FEED_TC_STRING : FEED_TC_BINARY;
        if (k < 0 || seen || i + 1 >= argc)
            return lb_cfg_fail(ctx, err,
                               "tcp-check expect: '%s' unexpected; expected '[min-recv N] "
                               "[comment C] [ok-status|error-status|tout-status S] "
                               "[on-success|on-error TEXT] [!] string|rstring|binary|rbinary "
                               "PATTERN' (string-lf, binary-lf, custom and status-code are not "
                               "supported by lbd)",
                               m);
        c->match = (uint8_t)k;
        seen = 1;
        if (expect_pattern(ctx, argv[++i], c, err))
            return LK_CFG_FATAL;
    }
    if (!seen)
        return lb_cfg_fail(ctx, err,
                           "tcp-check expect: a string|rstring|binary|rbinary PATTERN "
                           "is required");
    return 0;
}

/* Each tcp-check line is one step of the sequence checkd runs, in file order.
 * min_recv -1 is "not given" (HAProxy's default: as many bytes as the pattern
 * needs). */
static int parse_step(struct lb_cfgctx *ctx,
                      int argc,
                      char **argv,
                      struct feed_tcstep *c,
                      char **err)
{
    const char *a = argv[1];

    memset(c, 0, sizeof(*c));
    c->min_recv = -1;
    if (strcmp(a, "comment") == 0) {
        c->action = FEED_TC_COMMENT;
        if (argc != 3)
            return lb_cfg_fail(ctx, err, "tcp-check comment: expected one TEXT");
        set_text(c->comment, sizeof(c->comment), argv[2]);
        return 0;
    }
    if (strcmp(a, "connect") == 0) {
        c->action = FEED_TC_CONNECT;
        return parse_connect(ctx, argc, argv, c, err);
    }
    if (strncmp(a, "send", 4) == 0) {
        c->action = FEED_TC_SEND;
        if (strcmp(a, "send") == 0 || strcmp(a, "send-binary") == 0 || strcmp(a, "send-lf") == 0 ||
            strcmp(a, "send-binary-lf") == 0)
            return parse_send(ctx, argc, argv, c, err);
    }
    if (strcmp(a, "expect") == 0) {
        c->action = FEED_TC_EXPECT;
        return parse_expect(ctx, argc, argv, c, err);
    }
    return lb_cfg_fail(ctx, err,
                       "tcp-check %s: not supported by lbd (comment, connect, send, send-binary, "
                       "expect)",
                       a);
}

/* The proxy's check definition, made at its first check keyword. */
/* Created on demand, so a backend without check keywords carries none
 * (lb_check_target() then sends checkd the option's defaults). */
static struct lb_check_cfg *chk_get(struct lb_proxy *px)
{
    if (!px->chk)
        px->chk = calloc(1, sizeof(*px->chk));
    return px->chk;
}

int lb_check_tcpcheck_kw(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_proxy *px = ctx->px;
    struct lb_check_cfg *c;

    /* HAProxy copies a defaults section's tcp-check rules only into
     * backends that have none; lbd keeps them per backend, where they
     * work the same, and refuses them in defaults rather than guess */
    if (!(px->cap & LB_CAP_BE) || (px->cap & LB_CAP_DEF))
        return lb_cfg_fail(ctx, err, "tcp-check: only in backend and listen sections with lbd");
    if (!(c = chk_get(px)))
        return lb_cfg_fail(ctx, err, "out of memory");
    if (!c->tcp.line)
        c->tcp = (struct lb_check_pos){ctx->file, ctx->line};
    if (c->nsteps >= FEED_TC_MAX_STEPS)
        return lb_cfg_fail(ctx, err, "tcp-check: more than %d steps are not supported by lbd",
                           FEED_TC_MAX_STEPS);
    if (parse_step(ctx, argc, argv, &c->steps[c->nsteps], err))
        return LK_CFG_FATAL;
    c->nsteps++;
    return 0;
}

/* A text argument into a fixed field: checkd's registration has the same
 * sizes, so a longer one is refused here rather than cut on the wire. */
static int text_arg(struct lb_cfgctx *ctx,
                    const char *kw,
                    char *dst,
                    size_t cap,
                    const char *v,
                    char **err)
{
    if (set_text(dst, cap, v) < 0)
        return lb_cfg_fail(ctx, err, "%s: '%s' is longer than the %zu bytes lbd supports", kw, v,
                           cap - 1);
    return 0;
}

/* "http-check send [meth M] [uri U] [ver V] [hdr NAME VALUE]... [body B]
 * [comment C]": HAProxy's log-format forms (uri-lf, body-lf, %[...] in a
 * header) are refused, as checkd sends literal requests only. */
static int http_send(struct lb_cfgctx *ctx,
                     struct lb_check_cfg *c,
                     int argc,
                     char **argv,
                     char **err)
{
    static const char kw[] = "http-check send";
    char hdr[FEED_HDR_MAX + 1];
    const char *k;
    int i;

    /* Arguments come in KEY VALUE pairs, except hdr which takes two values; the
     * loop stops at the first word it does not know and the error below names it. */
    for (i = 2; i < argc; i += 2) {
        k = argv[i];
        if (strcmp(k, "hdr") == 0 && i + 2 < argc && c->nhdrs < FEED_MAX_HDRS &&
            !strstr(argv[i + 2], "%[")) {
            snprintf(hdr, sizeof(hdr), "%s: %s", argv[i + 1], argv[i + 2]);
            if (text_arg(ctx, kw, c->hdrs[c->nhdrs++], FEED_HDR_MAX, hdr, err))
                return LK_CFG_FATAL;
            i++;
        } else if (i + 1 >= argc) {
            break;
        } else if (strcmp(k, "meth") == 0) {
            if (text_arg(ctx, kw, c->method, sizeof(c->method), argv[i + 1], err))
                return LK_CFG_FATAL;
        } else if (strcmp(k, "uri") == 0) {
            if (text_arg(ctx, kw, c->uri, sizeof(c->uri), argv[i + 1], err))
                return LK_CFG_FATAL;
        } else if (strcmp(k, "ver") == 0) {
            if (text_arg(ctx, kw, c->version, sizeof(c->version), argv[i + 1], err))
                return LK_CFG_FATAL;
        } else if (strcmp(k, "body") == 0 && strlen(argv[i + 1]) < sizeof(c->body)) {
            set_text(c->body, sizeof(c->body), argv[i + 1]);
        } else if (strcmp(k, "comment") != 0) {
            break; /* a comment names the rule in HAProxy's messages only */
        }
    }
    if (i < argc)
        return lb_cfg_fail(ctx, err,
                           "http-check send: '%s' not supported by lbd (meth M, uri U, ver V, "
                           "at most %d hdr NAME VALUE without %%[...], body B of less than "
                           "512 bytes, comment C; uri-lf and body-lf are not)",
                           argv[i], FEED_MAX_HDRS);
    return 0;
}

/* "http-check expect [comment C] [!] status|rstatus|string|rstring ARG
 * [comment C]" */
/* Comments around the expression are skipped (they only label the rule in
 * HAProxy's logs); anything else than one match and its argument is refused,
 * since checkd evaluates one expectation per check. */
static int http_expect(struct lb_cfgctx *ctx,
                       struct lb_check_cfg *c,
                       int argc,
                       char **argv,
                       char **err)
{
    int i = 2, neg = 0, e = -EINVAL;

    while (i + 1 < argc && strcmp(argv[i], "comment") == 0)
        i += 2;
    if (i < argc && strcmp(argv[i], "!") == 0) {
        neg = 1;
        i++;
    }
    if (i + 2 < argc && strcmp(argv[i + 2], "comment") == 0 && i + 4 == argc)
        argc -= 2;
    if (i + 2 == argc)
        e = feed_expect_parse(argv[i]);
    if (e <= FEED_EXPECT_DEFAULT)
        return lb_cfg_fail(ctx, err,
                           "http-check expect: only '[comment C] [!] status|rstatus|string|rstring "
                           "ARG' is supported by lbd (not hdr, fhdr, string-lf, min-recv, "
                           "*-status, on-success, on-error, status-code)");
    if (text_arg(ctx, "http-check expect", c->expect_arg, sizeof(c->expect_arg), argv[i + 1], err))
        return LK_CFG_FATAL;
    c->expect = (enum feed_expect)e;
    c->expect_not = neg;
    return 0;
}

int lb_check_httpcheck_kw(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_check_cfg *c;
    struct lb_check_pos *at;
    int send = strcmp(argv[1], "send") == 0;

    if (strcmp(argv[1], "comment") == 0 && argc == 3)
        return 0; /* names the rules in HAProxy's messages only */
    if (strcmp(argv[1], "disable-on-404") == 0) {
        if (argc != 2)
            return lb_cfg_fail(ctx, err, "http-check disable-on-404: takes no argument");
        if (!(c = chk_get(ctx->px)))
            return lb_cfg_fail(ctx, err, "out of memory");
        c->disable_404 = 1; /* read by checkd's HTTP check only, as HAProxy's */
        return 0;
    }
    if (!send && strcmp(argv[1], "expect") != 0)
        return lb_cfg_fail(ctx, err,
                           "http-check %s: not supported by lbd (send, expect, comment, "
                           "disable-on-404)",
                           argv[1]);
    if (!(c = chk_get(ctx->px)))
        return lb_cfg_fail(ctx, err, "out of memory");
    /* a refused line fails the load: what it wrote is never used */
    if (send ? http_send(ctx, c, argc, argv, err) : http_expect(ctx, c, argc, argv, err))
        return LK_CFG_FATAL;
    /* HAProxy runs several in sequence; checkd runs one request and one
     * expectation, so a second one (here or in defaults) is refused */
    at = send ? &c->send : &c->expect_at;
    if (at->line)
        return lb_cfg_fail(ctx, err,
                           "http-check %s: a second one (at %s:%u there is one) is not "
                           "supported by lbd: it runs one request and one expectation",
                           argv[1], at->file, at->line);
    *at = (struct lb_check_pos){ctx->file, ctx->line};
    return 0;
}

/* lbd's own keyword (HAProxy has none): checkd logs in and reads
 * wsrep_local_state, as clustercheck does, so a node that is joined but still
 * syncing is not sent traffic. */
int lb_check_galera_kw(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_check_cfg *c;
    int i = 3, pw = 0, donor = 0;

    if (argc >= 3 && strcmp(argv[1], "user") == 0) {
        if (i + 1 < argc && strcmp(argv[i], "password") == 0) {
            pw = i + 1;
            i += 2;
        }
        if (i < argc && strcmp(argv[i], "allow-donor") == 0) {
            donor = 1;
            i++;
        }
    }
    if (argc < 3 || strcmp(argv[1], "user") != 0 || i != argc)
        return lb_cfg_fail(
            ctx, err, "galera-check: expected 'galera-check user U [password P] [allow-donor]'");
    if (!(c = chk_get(ctx->px)))
        return lb_cfg_fail(ctx, err, "out of memory");
    if (text_arg(ctx, "galera-check", c->galera_user, sizeof(c->galera_user), argv[2], err) ||
        (pw && text_arg(ctx, "galera-check", c->galera_password, sizeof(c->galera_password),
                        argv[pw], err)))
        return LK_CFG_FATAL;
    c->galera = 1;
    /* clustercheck's AVAILABLE_WHEN_DONOR: a donor whose state transfer does
     * not block it (mariabackup) keeps taking writes */
    c->galera_allow_donor = donor;
    return 0;
}

/* The version word of "option httpchk GET / HTTP/1.1\r\nHost:\ www": before
 * HAProxy 2.2 extra headers (and a body after an empty line) rode on it,
 * and HAProxy 2.6 still splits them out and sends them as headers; many
 * real files keep that form. The lexer has turned the escapes into CR LF. */
static int httpchk_version(struct lb_cfgctx *ctx, struct lb_check_cfg *c, const char *v, char **err)
{
    static const char kw[] = "option httpchk";
    char *s = strdup(v), *line, *next = NULL, *body;
    int r;

    if (!s)
        return lb_cfg_fail(ctx, err, "out of memory");
    body = strstr(s, "\r\n\r\n");
    if (body) {
        *body = '\0';
        body += 4;
    }
    line = strstr(s, "\r\n");
    if (line) {
        *line = '\0';
        line += 2;
    }
    r = text_arg(ctx, kw, c->version, sizeof(c->version), s, err);
    for (; !r && line && *line; line = next) {
        next = strstr(line, "\r\n");
        if (next) {
            *next = '\0';
            next += 2;
        }
        if (!strchr(line, ':') || c->nhdrs == FEED_MAX_HDRS)
            r = lb_cfg_fail(ctx, err,
                            "%s: '%s' after the version is not a \"Name: value\" header line "
                            "(at most %d)",
                            kw, line, FEED_MAX_HDRS);
        else
            r = text_arg(ctx, kw, c->hdrs[c->nhdrs++], FEED_HDR_MAX, line, err);
    }
    if (!r && body && *body && set_text(c->body, sizeof(c->body), body) < 0)
        r = lb_cfg_fail(ctx, err, "%s: a body of %zu bytes or more is not supported by lbd", kw,
                        sizeof(c->body));
    free(s);
    return r ? LK_CFG_FATAL : 0;
}

/* "option httpchk [METH] [URI] [VER]": one argument is the URI, as in
 * HAProxy. */
static int httpchk_args(struct lb_cfgctx *ctx,
                        struct lb_check_cfg *c,
                        int argc,
                        char **argv,
                        char **err)
{
    static const char kw[] = "option httpchk";

    if (argc == 3)
        return text_arg(ctx, kw, c->uri, sizeof(c->uri), argv[2], err) ? LK_CFG_FATAL : 0;
    if (text_arg(ctx, kw, c->method, sizeof(c->method), argv[2], err) ||
        text_arg(ctx, kw, c->uri, sizeof(c->uri), argv[3], err) ||
        (argc >= 5 && httpchk_version(ctx, c, argv[4], err)))
        return LK_CFG_FATAL;
    return 0;
}

/* The option's arguments were checked for shape in proxy.c; here they are
 * copied into the check definition that checkd receives. */
int lb_check_option_args(struct lb_cfgctx *ctx, int argc, char **argv, char **err)
{
    const char *o = argv[1];
    struct lb_check_cfg *c = chk_get(ctx->px);
    int helo;

    if (!c)
        return lb_cfg_fail(ctx, err, "out of memory");
    if (strcmp(o, "httpchk") == 0)
        return httpchk_args(ctx, c, argc, argv, err);
    if (argc < 4)
        return 0; /* "option smtpchk X" alone: HAProxy's default greeting */
    if (strcmp(o, "mysql-check") == 0 || strcmp(o, "pgsql-check") == 0)
        return text_arg(ctx, o, o[0] == 'm' ? c->mysql_user : c->pgsql_user, sizeof(c->mysql_user),
                        argv[3], err)
                   ? LK_CFG_FATAL
                   : 0;
    /* smtpchk: HAProxy sends "EHLO|HELO domain" as given, anything else as
     * its default */
    helo = strcmp(argv[2], "EHLO") == 0 || strcmp(argv[2], "HELO") == 0;
    if ((size_t)snprintf(c->ehlo, sizeof(c->ehlo), "%s %s", helo ? argv[2] : "HELO",
                         helo ? argv[3] : "localhost") >= sizeof(c->ehlo))
        return lb_cfg_fail(ctx, err, "option smtpchk: domain '%s' too long", argv[3]);
    return 0;
}

/* A plain struct copy: the check definition holds fixed-size arrays only, so
 * defaults and proxy share no pointer. */
int lb_check_cfg_inherit(struct lb_proxy *px, const struct lb_proxy *def)
{
    if (!def->chk)
        return 0;
    px->chk = malloc(sizeof(*px->chk));
    if (!px->chk)
        return -ENOMEM;
    *px->chk = *def->chk;
    return 0;
}

/* An empty field keeps what feed_target_defaults() put in the target. */
static void copy(char *dst, size_t cap, const char *src)
{
    if (src[0])
        snprintf(dst, cap, "%s", src);
}

/* The first matching option in the table wins; options are mutually exclusive
 * anyway (kw_option clears the others), so the order only matters for a hand-
 * built option set. */
static enum feed_kind check_kind(unsigned opts)
{
    static const struct {
        unsigned opt;
        enum feed_kind kind;
    } map[] = {
        {LB_OPT_MYSQL_CHECK, FEED_KIND_MYSQL},       {LB_OPT_HTTPCHK, FEED_KIND_HTTP},
        {LB_OPT_TCP_CHECK, FEED_KIND_TCPCHK},        {LB_OPT_REDIS_CHECK, FEED_KIND_REDIS},
        {LB_OPT_PGSQL_CHECK, FEED_KIND_PGSQL},       {LB_OPT_SMTPCHK, FEED_KIND_SMTP},
        {LB_OPT_SSL_HELLO_CHK, FEED_KIND_SSL_HELLO}, {LB_OPT_EXTERNAL_CHECK, FEED_KIND_EXTERNAL},
    };
    size_t i;

    for (i = 0; i < LK_ARRAY_SIZE(map); i++)
        if (opts & map[i].opt)
            return map[i].kind;
    return FEED_KIND_TCP;
}

void lb_check_target(const struct lb_proxy *px, struct feed_target *t)
{
    const struct lb_check_cfg *c = px->chk;
    unsigned i;

    /* no check keyword but the option: the registration keeps the defaults
     * feed_target_defaults() wrote (HAProxy's OPTIONS / HTTP/1.0) */
    t->kind = check_kind(px->options);
    if (!c)
        return;
    if (t->kind == FEED_KIND_TCPCHK) {
        t->nsteps = c->nsteps;
        memcpy(t->steps, c->steps, sizeof(t->steps));
    }
    /* the request and expectation are kept when galera-check changes the
     * kind (as when they were read in order, whatever the order) */
    if (px->options & LB_OPT_HTTPCHK) {
        copy(t->method, sizeof(t->method), c->method);
        copy(t->uri, sizeof(t->uri), c->uri);
        copy(t->version, sizeof(t->version), c->version);
        copy(t->body, sizeof(t->body), c->body);
        for (i = 0; i < c->nhdrs; i++)
            copy(t->hdrs[t->nhdrs++], FEED_HDR_MAX, c->hdrs[i]);
        t->disable_404 = c->disable_404;
        if (c->expect_at.line) {
            t->expect = c->expect;
            t->expect_not = c->expect_not;
            copy(t->expect_arg, sizeof(t->expect_arg), c->expect_arg);
        }
    }
    if (t->kind == FEED_KIND_MYSQL)
        copy(t->user, sizeof(t->user), c->mysql_user);
    else if (t->kind == FEED_KIND_PGSQL)
        copy(t->user, sizeof(t->user), c->pgsql_user);
    else if (t->kind == FEED_KIND_SMTP)
        copy(t->ehlo, sizeof(t->ehlo), c->ehlo);
    /* galera-check is lbd's own: it replaces whichever check the options
     * asked for, as it did when it was read after them */
    if (c->galera) {
        t->kind = FEED_KIND_GALERA;
        copy(t->user, sizeof(t->user), c->galera_user);
        copy(t->password, sizeof(t->password), c->galera_password);
        t->allow_donor = c->galera_allow_donor;
    }
}

unsigned lb_check_cfg_connect_port(const struct lb_proxy *px)
{
    const struct lb_check_cfg *c = px->chk;
    unsigned i;

    if (!c || !(px->options & LB_OPT_TCP_CHECK))
        return 0;
    /* comments are not rules to HAProxy's "first rule" either */
    for (i = 0; i < c->nsteps && c->steps[i].action == FEED_TC_COMMENT; i++)
        ;
    return i < c->nsteps && c->steps[i].action == FEED_TC_CONNECT ? c->steps[i].port : 0;
}

/* ---- external-check ---- */

/* HAProxy 2.6 takes "external-check" with no argument (preserve-env came
 * later) and runs the command whatever "insecure-fork-wanted" says, after
 * a warning at start. */
int lb_check_kw_global(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;

    if (argv[0][0] == 'e')
        ctx->cfg->global.external_check = 1;
    else
        ctx->cfg->global.insecure_fork = 1;
    return 0;
}

int lb_check_external_kw(int argc, char **argv, void *vctx, char **err)
{
    struct lb_cfgctx *ctx = vctx;
    struct lb_check_cfg *c = chk_get(ctx->px);

    if (!c)
        return lb_cfg_fail(ctx, err, "out of memory");
    if (strcmp(argv[1], "command") == 0) {
        c->ext_cmd_at = (struct lb_check_pos){ctx->file, ctx->line};
        return text_arg(ctx, "external-check command", c->ext_cmd, sizeof(c->ext_cmd), argv[2], err)
                   ? LK_CFG_FATAL
                   : 0;
    }
    if (strcmp(argv[1], "path") == 0)
        return text_arg(ctx, "external-check path", c->ext_path, sizeof(c->ext_path), argv[2], err)
                   ? LK_CFG_FATAL
                   : 0;
    return lb_cfg_fail(ctx, err, "external-check: expected 'command CMD' or 'path PATH', got '%s'",
                       argv[1]);
}

/* A variable that does not fit (a proxy name of 230 bytes) is left out
 * rather than cut. */
static void ext_env(struct feed_target *t, const char *name, const char *value)
{
    int n;

    if (t->next_env >= FEED_EXT_ENV)
        return;
    n = snprintf(t->ext_env[t->next_env], FEED_EXT_MAX, "%s=%s", name, value);
    if (n > 0 && n < FEED_EXT_MAX)
        t->next_env++;
}

/* The proxy's address and port as HAProxy names them: its first bind's,
 * "NOT_USED" in the arguments and "" in the environment for a backend. */
static void ext_proxy(const struct lb_proxy *px, struct feed_target *t)
{
    char ip[LK_ADDR_STRLEN] = "", port[8] = "";

    if (px->binds) {
        lk_addr_ip_str(&px->binds->addr, ip, sizeof(ip));
        snprintf(port, sizeof(port), "%u", lk_addr_port(&px->binds->addr));
    }
    snprintf(t->ext_argv[1], FEED_EXT_MAX, "%s", ip[0] ? ip : "NOT_USED");
    snprintf(t->ext_argv[2], FEED_EXT_MAX, "%s", port[0] ? port : "NOT_USED");
    ext_env(t, "HAPROXY_PROXY_ADDR", ip);
    ext_env(t, "HAPROXY_PROXY_PORT", port);
}

void lb_check_external_target(const struct lb_proxy *px,
                              const struct lb_server *s,
                              struct feed_target *t)
{
    const struct lb_check_cfg *c = px->chk;
    char ip[LK_ADDR_STRLEN], n[24];
    const struct lk_addr *a = atomic_load(&s->cur_addr);

    if (t->kind != FEED_KIND_EXTERNAL || !c)
        return;
    snprintf(t->ext_argv[0], FEED_EXT_MAX, "%s", c->ext_cmd);
    ext_proxy(px, t);
    lk_addr_ip_str(a, ip, sizeof(ip));
    snprintf(t->ext_argv[3], FEED_EXT_MAX, "%s", ip);
    snprintf(t->ext_argv[4], FEED_EXT_MAX, "%u", lk_addr_port(a));
    snprintf(n, sizeof(n), "%u", px->uuid);
    ext_env(t, "HAPROXY_PROXY_ID", n);
    ext_env(t, "HAPROXY_PROXY_NAME", px->name);
    ext_env(t, "HAPROXY_SERVER_ADDR", ip);
    ext_env(t, "HAPROXY_SERVER_PORT", t->ext_argv[4]);
    snprintf(n, sizeof(n), "%u", s->puid);
    ext_env(t, "HAPROXY_SERVER_ID", n);
    ext_env(t, "HAPROXY_SERVER_NAME", s->name);
    snprintf(n, sizeof(n), "%u", atomic_load(&s->maxconn));
    ext_env(t, "HAPROXY_SERVER_MAXCONN", n);
    ext_env(t, "HAPROXY_SERVER_SSL", "0"); /* lbd has no TLS to servers */
    ext_env(t, "HAPROXY_SERVER_PROTO", "tcp");
    ext_env(t, "PATH", c->ext_path);
}

static int validate_external(const struct lb_cfg *cfg, const struct lb_proxy *px, char **err)
{
    const char *kind = px->cap & LB_CAP_FE ? "listen" : "backend";

    if (!cfg->global.external_check)
        return lk_cfg_err(err,
                          "%s:%u: %s '%s': 'option external-check' unable to find required "
                          "'global.external-check'",
                          px->file, px->line, kind, px->name);
    if (!px->chk || !px->chk->ext_cmd[0])
        return lk_cfg_err(err,
                          "%s:%u: %s '%s': 'option external-check' unable to find required "
                          "'external-check command'",
                          px->file, px->line, kind, px->name);
    if (!cfg->global.insecure_fork)
        lk_log(LK_LOG_WARNING,
               "%s:%u: %s '%s': 'insecure-fork-wanted' not enabled in the global section, "
               "'option external-check' will likely fail (HAProxy's warning; lbd's checks run "
               "in checkd, which forks regardless)",
               px->file, px->line, kind, px->name);
    return 0;
}

/* A warning in HAProxy, an error here: tcp-check rules that silently do
 * nothing leave a backend with a plain connect check while the operator
 * believes the protocol is checked. */
int lb_check_validate(const struct lb_cfg *cfg, const struct lb_proxy *px, char **err)
{
    if ((px->options & LB_OPT_EXTERNAL_CHECK) && validate_external(cfg, px, err) < 0)
        return -EINVAL;
    /* galera-check talks through libmariadb, which cannot write a PROXY
     * header first: refused rather than checked without it */
    for (size_t i = 0; px->chk && px->chk->galera && i < px->nservers; i++) {
        const struct lb_server *s = px->servers[i];

        if (s->check_send_proxy ||
            (s->send_proxy && (s->flags & LB_SRV_F_CHECK) && !s->check_port && !s->check_addr[0]))
            return lk_cfg_err(err,
                              "%s:%u: server '%s': galera-check with the PROXY header (send-proxy "
                              "or check-send-proxy) is not supported by lbd; check another port "
                              "('port N')",
                              s->file ? s->file : px->file, s->file ? s->line : px->line, s->name);
    }
    if (px->chk && px->chk->nsteps && !(px->options & LB_OPT_TCP_CHECK))
        return lk_cfg_err(err,
                          "%s:%u: %s '%s': tcp-check rules without 'option tcp-check' (HAProxy "
                          "ignores them with a warning; lbd refuses them)",
                          px->chk->tcp.file, px->chk->tcp.line,
                          px->cap & LB_CAP_FE ? "listen" : "backend", px->name);
    return 0;
}

struct lb_check_cfg *lb_check_cfg_free(struct lb_check_cfg *c)
{
    free(c);
    return NULL;
}
