/* check_cfg.c - see check_cfg.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfgkw.h"
#include "common/cfglex.h"
#include "common/compiler.h"
#include "lbd/cfg/check_cfg.h"

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

int lb_check_tcpcheck_kw(struct lb_cfgctx *ctx, int argc, char **argv, char **err)
{
    struct lb_proxy *px = ctx->px;

    if (!(px->cap & LB_CAP_BE) || (px->cap & LB_CAP_DEF))
        return lb_cfg_fail(ctx, err, "tcp-check: only in backend and listen sections with lbd");
    if (!px->chk) {
        px->chk = calloc(1, sizeof(*px->chk));
        if (!px->chk)
            return lb_cfg_fail(ctx, err, "out of memory");
        px->chk->file = ctx->file;
        px->chk->line = ctx->line;
    }
    if (px->chk->nsteps >= FEED_TC_MAX_STEPS)
        return lb_cfg_fail(ctx, err, "tcp-check: more than %d steps are not supported by lbd",
                           FEED_TC_MAX_STEPS);
    if (parse_step(ctx, argc, argv, &px->chk->steps[px->chk->nsteps], err))
        return LK_CFG_FATAL;
    px->chk->nsteps++;
    return 0;
}

int lb_check_validate(const struct lb_proxy *px, char **err)
{
    if (px->chk && px->chk->nsteps && !(px->options & LB_OPT_TCP_CHECK))
        return lk_cfg_err(err,
                          "%s:%u: %s '%s': tcp-check rules without 'option tcp-check' (HAProxy "
                          "ignores them with a warning; lbd refuses them)",
                          px->chk->file, px->chk->line, px->cap & LB_CAP_FE ? "listen" : "backend",
                          px->name);
    return 0;
}

struct lb_check_cfg *lb_check_cfg_free(struct lb_check_cfg *c)
{
    free(c);
    return NULL;
}
