/* lfmt.c - log-format values; see lfmt.h. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cfglex.h"
#include "lbd/core/tlog.h"
#include "lbd/http/httplog.h"
#include "lbd/http/lfmt.h"

/* The variables; P_CI..P_HOST are also valid in rule values.
 * The order matters: lfmt values (rule arguments) accept only the kinds
 * before P_LOG_FIRST, and timer_of() and put_counter() index arrays by the
 * contiguous runs P_TH..P_TT and P_AC..P_BQ. */
enum part_kind {
    P_TEXT,
    P_SAMPLE,
    P_CI,
    P_CP,
    P_FI,
    P_FP,
    P_HOST,
    P_LOG_FIRST, /* log lines only from here */
    P_F = P_LOG_FIRST,
    P_FT,
    P_B,
    P_S,
    P_SI,
    P_BI, /* %bi %bp: the source address of the server connection */
    P_BP,
    P_SP,
    P_T,   /* accept date, local, with ms */
    P_TR,  /* request date, same */
    P_TRG, /* request date, GMT, "+0000" */
    P_TRL, /* request date, local, with zone */
    P_TG,  /* accept date, GMT */
    P_TL,  /* accept date, local, with zone */
    P_TS,  /* accept date, Unix seconds */
    P_MS,
    P_TH,
    P_TI,
    P_TRQ, /* TR */
    P_TQ,
    P_TW,
    P_TC,
    P_TRS, /* Tr */
    P_TD,
    P_TA,
    P_TT,
    P_ST,
    P_BYTES,
    P_UP,
    P_CC,
    P_CS,
    P_TSC,
    P_TSS,
    P_AC,
    P_FC,
    P_BC,
    P_SC,
    P_RC,
    P_SQ,
    P_BQ,
    P_HR,
    P_HS,
    P_HRL,
    P_HSL,
    P_REQ,
    P_HM,
    P_HU,
    P_HP,
    P_HQ,
    P_HV,
    P_ID,
    P_PID,
    P_RT,
    P_LC,
    P_KIND_MAX
};

#define F_QUOTE (1u << 0)
#define F_HEX   (1u << 1)
#define F_ESC   (1u << 2)

/* A format is a flat list of parts rendered in order: literal text (text,
 * len, NUL-terminated too), a sample expression (expr, owned) or a variable
 * (kind). flags apply to that one part, as %{+Q} written before it. */
struct part {
    uint8_t kind;
    uint8_t flags; /* F_* */
    char *text;
    size_t len;
    struct lb_sexpr *expr;
};

struct lb_lfmt {
    struct part *parts;
    size_t nparts;
    int log; /* a log line format: absent values are "-" */
};

struct lb_lfmt *lb_lfmt_free(struct lb_lfmt *f)
{
    size_t i;

    if (!f)
        return NULL;
    for (i = 0; i < f->nparts; i++) {
        free(f->parts[i].text);
        lb_sexpr_free(f->parts[i].expr);
    }
    free(f->parts);
    free(f);
    return NULL;
}

static struct part *add_part(struct lb_lfmt *f, uint8_t kind)
{
    struct part *p = realloc(f->parts, (f->nparts + 1) * sizeof(*p));

    if (!p)
        return NULL;
    f->parts = p;
    p += f->nparts++;
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    return p;
}

/* Is the text written so far ending with a space? */
static int ends_with_space(const struct lb_lfmt *f)
{
    const struct part *p = f->nparts ? &f->parts[f->nparts - 1] : NULL;

    return p && p->kind == P_TEXT && p->len && p->text[p->len - 1] == ' ';
}

static int add_text_raw(struct lb_lfmt *f, const char *s, size_t n);

/* Text; in a log line format, runs of spaces are one separator (HAProxy
 * merges them, even across a "%{..}o" that writes nothing). */
static int add_text(struct lb_lfmt *f, const char *s, size_t n)
{
    size_t i, start = 0;
    int r;

    if (!f->log)
        return add_text_raw(f, s, n);
    for (i = 0; i < n; i++) {
        if (s[i] != ' ')
            continue;
        if ((r = add_text_raw(f, s + start, i - start)) < 0)
            return r;
        if (f->nparts && !ends_with_space(f) && (r = add_text_raw(f, " ", 1)) < 0)
            return r;
        start = i + 1;
    }
    return add_text_raw(f, s + start, n - start);
}

static int add_text_raw(struct lb_lfmt *f, const char *s, size_t n)
{
    struct part *p;

    if (n == 0)
        return 0;
    /* "%%" joins text: consecutive literals make one part, so rendering does not
     * grow with the number of escapes and lb_lfmt_is_const() sees one part. */
    if (f->nparts && f->parts[f->nparts - 1].kind == P_TEXT) { /* "%%" joins text */
        p = &f->parts[f->nparts - 1];
        char *t = realloc(p->text, p->len + n + 1);

        if (!t)
            return -ENOMEM;
        memcpy(t + p->len, s, n);
        p->len += n;
        t[p->len] = 0;
        p->text = t;
        return 0;
    }
    p = add_part(f, P_TEXT);
    if (!p || !(p->text = strndup(s, n)))
        return -ENOMEM;
    p->len = n;
    return 0;
}

static const struct {
    const char *name;
    uint8_t kind;
} vars[] = {
    {"ci", P_CI},   {"cp", P_CP},  {"fi", P_FI},   {"fp", P_FP},   {"H", P_HOST},  {"f", P_F},
    {"ft", P_FT},   {"b", P_B},    {"s", P_S},     {"si", P_SI},   {"sp", P_SP},   {"bi", P_BI},
    {"bp", P_BP},   {"t", P_T},    {"tr", P_TR},   {"trg", P_TRG}, {"trl", P_TRL}, {"T", P_TG},
    {"Tl", P_TL},   {"Ts", P_TS},  {"ms", P_MS},   {"Th", P_TH},   {"Ti", P_TI},   {"TR", P_TRQ},
    {"Tq", P_TQ},   {"Tw", P_TW},  {"Tc", P_TC},   {"Tr", P_TRS},  {"Td", P_TD},   {"Ta", P_TA},
    {"Tt", P_TT},   {"ST", P_ST},  {"B", P_BYTES}, {"U", P_UP},    {"CC", P_CC},   {"CS", P_CS},
    {"tsc", P_TSC}, {"ts", P_TSS}, {"ac", P_AC},   {"fc", P_FC},   {"bc", P_BC},   {"sc", P_SC},
    {"rc", P_RC},   {"sq", P_SQ},  {"bq", P_BQ},   {"hr", P_HR},   {"hs", P_HS},   {"hrl", P_HRL},
    {"hsl", P_HSL}, {"r", P_REQ},  {"HM", P_HM},   {"HU", P_HU},   {"HP", P_HP},   {"HQ", P_HQ},
    {"HV", P_HV},   {"ID", P_ID},  {"pid", P_PID}, {"rt", P_RT},   {"lc", P_LC},
};

/* HAProxy 2.6 variables lbd does not render yet: refused with that reason.
 * A known HAProxy variable gets "not supported yet" instead of "no such
 * variable": the config is valid HAProxy, only lbd lacks it. */
static const char *const later[] = {"sslc", "sslv"};

static int add_var(struct lb_lfmt *f, const char **sp, uint8_t flags, char **err)
{
    const char *s = *sp;
    struct part *p;
    size_t i, n;

    /* a name is letters only, as HAProxy reads it: "%cp_%fi" is %cp, "_", %fi */
    for (n = 0; s[n] && ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z')); n++)
        ;
    for (i = 0; i < LK_ARRAY_SIZE(vars); i++)
        if (strlen(vars[i].name) == n && strncmp(vars[i].name, s, n) == 0 &&
            (f->log || vars[i].kind < P_LOG_FIRST)) {
            *sp = s + n;
            p = add_part(f, vars[i].kind);
            if (!p)
                return -ENOMEM;
            p->flags = flags;
            return 0;
        }
    /* Outside a log line there is no record for the log variables to read:
     * refused at the config line rather than rendered empty. */
    if (!f->log)
        return lk_cfg_err(err,
                          "log-format variable '%%%.*s' is not supported by lbd in values "
                          "(%%[sample], %%ci, %%cp, %%fi, %%fp, %%H, %%%%)",
                          (int)(n ? n : 1), s);
    for (i = 0; i < LK_ARRAY_SIZE(later); i++)
        if (strlen(later[i]) == n && strncmp(later[i], s, n) == 0)
            return lk_cfg_err(err, "log-format variable '%%%.*s' is not supported by lbd yet",
                              (int)n, s);
    return lk_cfg_err(err,
                      "failed to parse log-format: no such format variable '%.*s'. If you "
                      "wanted to emit the '%%' character verbatim, you need to use '%%%%'",
                      (int)(n ? n : 1), s);
}

/* "%{+Q,-X}": the flags of the next variable; "%{+Q}o" sets them for all
 * that follow. */
static int parse_flags(const char **sp, uint8_t *flags, uint8_t *deflt, char **err)
{
    const char *s = *sp + 1, *e = strchr(s, '}');
    uint8_t v = *deflt, bit;

    if (!e)
        return lk_cfg_err(err, "log-format: missing '}' after '%%{'");
    for (; s < e; s++) {
        if (*s == ',')
            continue;
        if ((*s != '+' && *s != '-') || s + 1 >= e)
            return lk_cfg_err(err, "log-format: flag '%.*s' must be +X or -X", (int)(e - s), s);
        bit = s[1] == 'Q' ? F_QUOTE : s[1] == 'X' ? F_HEX : s[1] == 'E' ? F_ESC : 0;
        if (!bit)
            return lk_cfg_err(err, "log-format: unknown flag '%c' (Q, X, E)", s[1]);
        v = *s == '+' ? (uint8_t)(v | bit) : (uint8_t)(v & ~bit);
        s++;
    }
    *sp = e + 1;
    if (**sp == 'o') {
        *deflt = v;
        (*sp)++;
    }
    *flags = v;
    return 0;
}

/* "%[expr]": the expression ends at the ']' that closes the first '['. */
static int add_sample(struct lb_lfmt *f, const char **sp, unsigned avail, char **err)
{
    const char *s = *sp + 1, *e;
    char buf[1024];
    struct part *p;
    int depth = 0;

    /* Parentheses are counted so a converter argument holding ']' (a regsub
     * pattern such as "[a-z]") does not end the expression early. */
    for (e = s; *e && !(*e == ']' && depth == 0); e++)
        depth += *e == '(' ? 1 : *e == ')' ? -1 : 0;
    if (!*e)
        return lk_cfg_err(err, "missing ']' after '%%[' in '%s'", *sp - 1);
    if ((size_t)(e - s) >= sizeof(buf))
        return lk_cfg_err(err, "sample expression too long");
    memcpy(buf, s, (size_t)(e - s));
    buf[e - s] = 0;
    p = add_part(f, P_SAMPLE);
    if (!p)
        return -ENOMEM;
    *sp = e + 1;
    return lb_sexpr_parse(buf, avail, &p->expr, err);
}

static int parse(const char *text, unsigned avail, int log, struct lb_lfmt **ret, char **err)
{
    struct lb_lfmt *f = calloc(1, sizeof(*f));
    const char *s = text, *pct;
    uint8_t deflt = 0, flags;
    int r = 0;

    if (!f)
        return -ENOMEM;
    f->log = log;
    while (r == 0 && *s) {
        pct = strchr(s, '%');
        if (!pct) {
            r = add_text(f, s, strlen(s));
            break;
        }
        r = add_text(f, s, (size_t)(pct - s));
        s = pct + 1;
        if (r < 0)
            break;
        flags = deflt;
        if (*s == '{') {
            if (!log) {
                r = lk_cfg_err(err,
                               "log-format flags '%%{...}' are not supported by lbd in values");
                break;
            }
            r = parse_flags(&s, &flags, &deflt, err);
            /* "%{..}o" only sets the default flags for what follows; it names no
             * variable itself, so parsing resumes with the text after it. */
            if (r < 0 || (s[-1] == 'o' && s[-2] == '}'))
                continue;
        }
        if (*s == '%') {
            r = add_text(f, "%", 1);
            s++;
        } else if (*s == '[') {
            r = add_sample(f, &s, avail, err);
            if (r == 0)
                f->parts[f->nparts - 1].flags = flags;
        } else {
            r = add_var(f, &s, flags, err);
        }
    }
    if (r < 0) {
        lb_lfmt_free(f);
        return r;
    }
    *ret = f;
    return 0;
}

int lb_lfmt_parse(const char *text, unsigned avail, struct lb_lfmt **ret, char **err)
{
    return parse(text, avail, 0, ret, err);
}

int lb_lfmt_parse_log(const char *text, struct lb_lfmt **ret, char **err)
{
    /* at log time the request and response heads are gone, as in HAProxy */
    return parse(text, 0, 1, ret, err);
}

const char *lb_lfmt_http_only(const struct lb_lfmt *f)
{
    /* HAProxy 2.6 refuses these in a mode tcp proxy */
    static const char *const http[] = {"tr", "trg", "trl", "Ti", "TR", "Tq", "Tr", "Ta",
                                       "CC", "CS",  "r",   "HM", "HU", "HP", "HQ", "HV"};
    size_t i, k, j;

    for (i = 0; f && i < f->nparts; i++)
        for (k = 0; k < LK_ARRAY_SIZE(vars); k++) {
            if (vars[k].kind != f->parts[i].kind)
                continue;
            for (j = 0; j < LK_ARRAY_SIZE(http); j++)
                if (strcmp(http[j], vars[k].name) == 0)
                    return http[j];
        }
    return NULL;
}

int lb_lfmt_uses_back(const struct lb_lfmt *f)
{
    size_t i;

    for (i = 0; f && i < f->nparts; i++)
        if (f->parts[i].kind == P_BI || f->parts[i].kind == P_BP)
            return 1;
    return 0;
}

int lb_lfmt_is_const(const struct lb_lfmt *f)
{
    return f->nparts == 0 || (f->nparts == 1 && f->parts[0].kind == P_TEXT);
}

static size_t put(char *out, size_t at, size_t cap, const char *s, size_t n)
{
    if (at >= cap)
        return at;
    if (n > cap - at)
        n = cap - at;
    memcpy(out + at, s, n);
    return at + n;
}

static size_t put_addr(char *out, size_t at, size_t cap, const struct lk_addr *a, int port)
{
    char buf[LK_ADDR_STRLEN];

    if (!a)
        return put(out, at, cap, "-", 1);
    if (port)
        snprintf(buf, sizeof(buf), "%u", lk_addr_port(a));
    else
        lk_addr_ip_str(a, buf, sizeof(buf));
    return put(out, at, cap, buf, strlen(buf));
}

/* %H: the host name, "" when it cannot be read. gethostname() need not
 * terminate a truncated name (POSIX): this forces it. */
static void host_name(char host[256])
{
    if (gethostname(host, 256) < 0)
        host[0] = 0;
    host[255] = 0;
}

/* ---- log lines ---- */

uint64_t lb_lfmt_next_reqid(void)
{
    /* One counter for all worker threads, as HAProxy's global request counter:
     * %rt must not repeat within the process. Relaxed is enough, only the
     * uniqueness of each value matters. */
    static _Atomic uint64_t next;

    return atomic_fetch_add_explicit(&next, 1, memory_order_relaxed);
}

/* Text as HAProxy's lf_text_len: "-" when absent, "" when absent and
 * quoted; +E backslash-escapes '"', '\\' and ']'. */
static size_t put_str(char *out, size_t at, size_t cap, const char *s, size_t n, uint8_t fl)
{
    size_t i;

    if (!s || n == 0)
        return (fl & F_QUOTE) ? put(out, at, cap, "\"\"", 2) : put(out, at, cap, "-", 1);
    if (fl & F_QUOTE)
        at = put(out, at, cap, "\"", 1);
    if (!(fl & F_ESC))
        at = put(out, at, cap, s, n);
    else
        for (i = 0; i < n; i++) {
            if (s[i] == '"' || s[i] == '\\' || s[i] == ']')
                at = put(out, at, cap, "\\", 1);
            at = put(out, at, cap, s + i, 1);
        }
    if (fl & F_QUOTE)
        at = put(out, at, cap, "\"", 1);
    return at;
}

static size_t put_cstr(char *out, size_t at, size_t cap, const char *s, uint8_t fl)
{
    return put_str(out, at, cap, s, s ? strlen(s) : 0, fl);
}

/* A number; in hexadecimal padded to `hex` digits when not 0 (+X, only
 * where HAProxy honours it). */
static size_t put_num(char *out, size_t at, size_t cap, int64_t v, const char *prefix, int hex)
{
    char buf[32];
    /* HAProxy pads: %Ts to 8 digits, %rt and %pid to 4 */
    int n = hex ? snprintf(buf, sizeof(buf), "%s%0*llX", prefix, hex, (unsigned long long)v)
                : snprintf(buf, sizeof(buf), "%s%lld", prefix, (long long)v);

    return put(out, at, cap, buf, lb_tlog_clamp(n, sizeof(buf)));
}

static size_t put_ip(char *out,
                     size_t at,
                     size_t cap,
                     const struct lk_addr *a,
                     int port,
                     uint8_t fl)
{
    char buf[LK_ADDR_STRLEN];
    const uint8_t *b;
    int n;

    if (!a || (a->u.sa.sa_family != AF_INET && a->u.sa.sa_family != AF_INET6))
        return put_str(out, at, cap, NULL, 0, fl);
    /* +X prints a port as 4 hex digits and an IPv4 address as 8, as HAProxy
     * does; IPv6 addresses stay in text form. */
    if (port && (fl & F_HEX))
        n = snprintf(buf, sizeof(buf), "%04X", lk_addr_port(a));
    else if (port)
        return put_num(out, at, cap, lk_addr_port(a), "", 0);
    else if ((fl & F_HEX) && a->u.sa.sa_family == AF_INET) {
        b = (const uint8_t *)&a->u.in4.sin_addr;
        n = snprintf(buf, sizeof(buf), "%02X%02X%02X%02X", b[0], b[1], b[2], b[3]);
    } else {
        lk_addr_ip_str(a, buf, sizeof(buf));
        return put_cstr(out, at, cap, buf, fl);
    }
    return put(out, at, cap, buf, lb_tlog_clamp(n, sizeof(buf)));
}

/* HAProxy's log dates: "02/Dec/2026:20:33:03.401" (ms) or
 * "02/Dec/2026:20:33:03 +0000" (zone), local time or GMT. */
static size_t put_date(char *out, size_t at, size_t cap, uint64_t wall_us, int gmt, int ms)
{
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(wall_us / 1000000);
    char buf[64], zone[8] = "+0000";
    struct tm tm;
    int n;

    if (gmt)
        gmtime_r(&t, &tm);
    else
        localtime_r(&t, &tm);
    /* The month names are fixed English, as HAProxy writes them, whatever the
     * locale: log parsers expect "Dec", not the local name strftime() gives. */
    if (!gmt && strftime(zone, sizeof(zone), "%z", &tm) == 0)
        zone[0] = 0;
    n = snprintf(buf, sizeof(buf), "%02d/%s/%04d:%02d:%02d:%02d", tm.tm_mday, months[tm.tm_mon],
                 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    at = put(out, at, cap, buf, lb_tlog_clamp(n, sizeof(buf)));
    if (ms)
        n = snprintf(buf, sizeof(buf), ".%03u", (unsigned)(wall_us / 1000 % 1000));
    else
        n = snprintf(buf, sizeof(buf), " %s", zone);
    return put(out, at, cap, buf, lb_tlog_clamp(n, sizeof(buf)));
}

/* The part of the request line a variable names (%HM %HU %HP %HQ %HV).
 * The logged line may be cut (LB_HTTPLOG_REQLINE_MAX) or malformed: every
 * part is found by the spaces actually present and comes out empty rather
 * than reading past the end when one is missing. */
static void reqline_part(const struct lb_httplog_rec *h, int kind, const char **ret, size_t *len)
{
    const char *s = h->reqline, *e = s + h->reqline_len, *sp1, *sp2, *q;

    sp1 = memchr(s, ' ', h->reqline_len);
    sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(e - sp1 - 1)) : NULL;
    if (!sp2)
        sp2 = e;
    if (!sp1)
        sp1 = e;
    q = sp1 < e ? memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1)) : NULL;
    if (!q)
        q = sp2;
    switch (kind) {
    case P_HM:
        *ret = s, *len = (size_t)(sp1 - s);
        break;
    case P_HU:
        *ret = sp1 + 1, *len = sp1 < e ? (size_t)(sp2 - sp1 - 1) : 0;
        break;
    case P_HP:
        *ret = sp1 + 1, *len = sp1 < e ? (size_t)(q - sp1 - 1) : 0;
        break;
    case P_HQ:
        *ret = q, *len = (size_t)(sp2 - q);
        break;
    default:
        *ret = sp2 + 1, *len = sp2 < e ? (size_t)(e - sp2 - 1) : 0;
    }
}

/* Request-line text, escaped as HAProxy (#XX); "<BADREQ>" without one. */
static size_t put_escaped(char *out, size_t at, size_t cap, const char *s, size_t n, uint8_t fl)
{
    char buf[4 * LB_HTTPLOG_REQLINE_MAX];
    size_t k;

    if (n > LB_HTTPLOG_REQLINE_MAX)
        n = LB_HTTPLOG_REQLINE_MAX;
    k = lb_httplog_escape(buf, sizeof(buf), s, n, "");
    if (k == 0)
        return (fl & F_QUOTE) ? put(out, at, cap, "\"\"", 2) : at;
    return put_str(out, at, cap, buf, k, fl);
}

static size_t put_req(char *out,
                      size_t at,
                      size_t cap,
                      const struct lb_logrec *r,
                      int kind,
                      uint8_t fl)
{
    const char *s;
    size_t n;

    if (!r->h || r->h->reqline_len == 0)
        return put_str(out, at, cap, "<BADREQ>", 8, fl);
    if (kind == P_REQ)
        return put_escaped(out, at, cap, r->h->reqline, r->h->reqline_len, fl);
    reqline_part(r->h, kind, &s, &n);
    return put_escaped(out, at, cap, s, n, fl);
}

/* %hr / %hs: "{a|b}"; %hrl / %hsl: "a b", absent ones "-". Nothing when
 * the frontend captures nothing in that direction. */
static size_t put_caps(char *out,
                       size_t at,
                       size_t cap,
                       const char *const *v,
                       size_t nv,
                       int clf,
                       uint8_t fl)
{
    char buf[1024];
    size_t i, n;

    if (!v || nv == 0)
        return at;
    if (!clf) {
        n = lb_httplog_captures(buf, sizeof(buf), v, nv, NULL, 0);
        return put_str(out, at, cap, buf + 1, n > 0 ? n - 1 : 0, fl);
    }
    for (i = 0; i < nv; i++) {
        if (i)
            at = put(out, at, cap, " ", 1);
        /* as HAProxy: '-' for a slot never filled and nothing for an empty
         * value; with %{+Q} each in quotes, and nothing for either */
        if (fl & F_QUOTE)
            at = put(out, at, cap, "\"", 1);
        n = v[i] ? lb_httplog_escape(buf, sizeof(buf), v[i], strlen(v[i]), "{|}") : 0;
        if (!v[i] && !(fl & F_QUOTE))
            at = put(out, at, cap, "-", 1);
        else if (n)
            at = put_str(out, at, cap, buf, n, (uint8_t)(fl & ~F_QUOTE));
        if (fl & F_QUOTE)
            at = put(out, at, cap, "\"", 1);
    }
    return at;
}

/* The timers of HAProxy's section 8.4, ms, -1 when not reached. */
struct timers {
    int64_t th, ti, trq, tw, tc, trs, ta, tt;
};

/* A phase never reached (-1) makes every sum that includes it -1 too, as
 * HAProxy's Tq and Td are -1 then. */
static int64_t sum_or_neg(int64_t a, int64_t b)
{
    return a < 0 || b < 0 ? -1 : a + b;
}

/* Mode tcp has no request phases: TR and Tr are -1, Ta is the whole
 * session (Tt), as HAProxy's tcplog reports them. */
static void get_timers(const struct lb_logrec *r, struct timers *t)
{
    t->th = 0; /* no handshake on plain TCP listeners */
    if (r->h) {
        t->ti = r->ti;
        t->trq = r->h->tr;
        t->tw = r->h->tw;
        t->tc = r->h->tc;
        t->trs = r->h->trsp;
        t->ta = r->h->ta;
        t->tt = t->ta + t->th + t->ti;
    } else {
        t->ti = 0;
        t->trq = -1;
        t->trs = -1;
        t->tw = r->t ? r->t->tw : -1;
        t->tc = r->t ? r->t->tc : -1;
        t->tt = r->t ? r->t->tt : 0;
        t->ta = t->tt;
    }
}

/* The timer of kind P_TH..P_TT (contiguous in enum part_kind). */
static int64_t timer_of(const struct lb_logrec *r, int kind)
{
    struct timers t;
    int64_t v[P_TT - P_TH + 1], d;

    get_timers(r, &t);
    if (!r->h) /* mode tcp: Td is what was not spent queued or connecting */
        d = t.tt - (t.tw > 0 ? t.tw : 0) - (t.tc > 0 ? t.tc : 0);
    else if ((d = sum_or_neg(sum_or_neg(t.trq, t.tw), sum_or_neg(t.tc, t.trs))) >= 0)
        d = t.ta - d;
    v[P_TH - P_TH] = t.th;
    v[P_TI - P_TH] = t.ti;
    v[P_TRQ - P_TH] = t.trq;
    v[P_TQ - P_TH] = sum_or_neg(t.th + t.ti, t.trq);
    v[P_TW - P_TH] = t.tw;
    v[P_TC - P_TH] = t.tc;
    v[P_TRS - P_TH] = t.trs;
    v[P_TD - P_TH] = d;
    v[P_TA - P_TH] = t.ta;
    v[P_TT - P_TH] = t.tt;
    return v[kind - P_TH];
}

/* %t is when the idle time Ti began (the accept for a first request, the end
 * of the previous exchange after that), so that %t + Ti + TR lands on the
 * request's first byte and the timers add up as HAProxy's do. */
static uint64_t accept_wall(const struct lb_logrec *r)
{
    if (r->h)
        return r->h->date_wall_us - (uint64_t)(r->ti > 0 ? r->ti : 0) * 1000;
    return r->t ? r->t->accept_wall_us : 0;
}

/* What httplog and tcplog records share (tlog.h); a zeroed one when r has
 * neither record. */
static const struct lb_logsess *sess_of(const struct lb_logrec *r)
{
    static const struct lb_logsess none;

    return r->h ? &r->h->sess : r->t ? &r->t->sess : &none;
}

/* %ac %fc %bc %sc %rc %sq %bq (P_AC..P_BQ, contiguous); %rc has a '+'
 * when the session was redispatched. */
static size_t put_counter(char *out, size_t at, size_t cap, const struct lb_logrec *r, int kind)
{
    const struct lb_logsess *ls = sess_of(r);
    const int64_t v[] = {ls->actconn, ls->feconn,    ls->beconn,  ls->srvconn,
                         ls->retries, ls->srv_queue, ls->be_queue};
    int plus = kind == P_RC && ls->redispatched;

    return put_num(out, at, cap, v[kind - P_AC], plus ? "+" : "", 0);
}

static size_t put_term(char *out, size_t at, size_t cap, const struct lb_logrec *r, int ck)
{
    char t[4] = {'-', '-', '-', '-'};

    if (r->h)
        memcpy(t, r->h->term, 4);
    else if (r->t)
        memcpy(t, r->t->term, 2);
    return put(out, at, cap, t, ck ? 4 : 2);
}

static size_t put_names(char *out,
                        size_t at,
                        size_t cap,
                        const struct lb_logrec *r,
                        int kind,
                        uint8_t fl)
{
    const struct lb_logsess *ls = sess_of(r);
    const char *fe = ls->frontend, *be = ls->backend, *sv = ls->server;

    if (kind == P_F || kind == P_FT)
        return put_cstr(out, at, cap, fe, fl);
    if (kind == P_B)
        return put_cstr(out, at, cap, be ? be : fe, fl);
    /* No server assigned (rejected, no server up, replied by a rule): HAProxy's
     * "<NOSRV>" lets log readers tell that from a server name. */
    return put_cstr(out, at, cap, sv ? sv : "<NOSRV>", fl);
}

/* One log variable of record r. */
static size_t put_logvar(char *out,
                         size_t at,
                         size_t cap,
                         const struct part *p,
                         const struct lb_logrec *r)
{
    int asap = sess_of(r)->asap;
    uint64_t w = accept_wall(r);

    switch (p->kind) {
    case P_F:
    case P_FT:
    case P_B:
    case P_S:
        return put_names(out, at, cap, r, p->kind, p->flags);
    case P_SI:
    case P_SP:
        return put_ip(out, at, cap, r->srv, p->kind == P_SP, p->flags);
    case P_BI:
    case P_BP:
        return put_ip(out, at, cap, r->back, p->kind == P_BP, p->flags);
    case P_T:
    case P_TG:
    case P_TL:
        return put_date(out, at, cap, w, p->kind == P_TG, p->kind == P_T);
    case P_TR:
    case P_TRG:
    case P_TRL:
        w = r->h ? r->h->date_wall_us : w;
        return put_date(out, at, cap, w, p->kind == P_TRG, p->kind == P_TR);
    case P_TS:
        return put_num(out, at, cap, (int64_t)(w / 1000000), "", (p->flags & F_HEX) ? 8 : 0);
    case P_MS: {
        char b[8];
        int n = snprintf(b, sizeof(b), "%03u", (unsigned)(w / 1000 % 1000));

        return put(out, at, cap, b, lb_tlog_clamp(n, sizeof(b)));
    }
    case P_TA:
    case P_TT:
        return put_num(out, at, cap, timer_of(r, p->kind), asap ? "+" : "", 0);
    case P_ST:
        return put_num(out, at, cap, r->h ? r->h->status : 0, "", 0); /* tcp: 0 */
    case P_BYTES:
        return put_num(out, at, cap,
                       (int64_t)(r->h   ? r->h->bytes
                                 : r->t ? r->t->bytes_read
                                        : 0),
                       asap ? "+" : "", 0);
    case P_UP:
        return put_num(out, at, cap, (int64_t)r->bytes_in, "", 0);
    case P_CC:
    case P_CS:
        return put_str(out, at, cap, NULL, 0, p->flags); /* lbd captures no cookie */
    case P_TSC:
    case P_TSS:
        return put_term(out, at, cap, r, p->kind == P_TSC);
    case P_HR:
    case P_HRL:
        return put_caps(out, at, cap, r->capreq, r->ncapreq, p->kind == P_HRL, p->flags);
    case P_HS:
    case P_HSL:
        return put_caps(out, at, cap, r->caprsp, r->ncaprsp, p->kind == P_HSL, p->flags);
    case P_REQ:
    case P_HM:
    case P_HU:
    case P_HP:
    case P_HQ:
    case P_HV:
        return put_req(out, at, cap, r, p->kind, p->flags);
    case P_ID:
        return put_cstr(out, at, cap, r->unique_id, p->flags);
    case P_PID:
        return put_num(out, at, cap, (int64_t)getpid(), "", (p->flags & F_HEX) ? 4 : 0);
    case P_RT:
        return put_num(out, at, cap, (int64_t)r->reqid, "", (p->flags & F_HEX) ? 4 : 0);
    case P_LC:
        return put_num(out, at, cap, (int64_t)r->log_count, "", 0);
    case P_AC:
    case P_FC:
    case P_BC:
    case P_SC:
    case P_RC:
    case P_SQ:
    case P_BQ:
        return put_counter(out, at, cap, r, p->kind);
    default:
        return put_num(out, at, cap, timer_of(r, p->kind), "", 0);
    }
}

/* A sample: in a value (log 0) a multi-value fetch gives its last value, as
 * HAProxy's hdr() does, and no value renders as nothing; in a log line the
 * first value, "-" when there is none, with the part's flags. Occurrences
 * count list elements, several per field, hence the bound above the field
 * count: it only guards against a fetch that never runs out. */
static size_t put_sample(char *out,
                         size_t at,
                         size_t cap,
                         const struct part *p,
                         struct lb_smp_ctx *c,
                         int log)
{
    struct lb_smp s;
    unsigned occ = 0;

    while (!log && lb_sexpr_multi(p->expr) && occ < 4 * HTTP1_MAX_HDRS &&
           lb_sexpr_eval(p->expr, c, occ + 1, &s))
        occ++;
    if (!lb_sexpr_eval(p->expr, c, occ, &s))
        return log ? put_str(out, at, cap, NULL, 0, p->flags) : at;
    lb_smp_as_str(c, &s);
    return log ? put_str(out, at, cap, s.str, s.len, p->flags) : put(out, at, cap, s.str, s.len);
}

/* One walk over the parts for values and log lines, as HAProxy builds both
 * with one function. r NULL renders a value (header, redirect location):
 * plain addresses and host name, absent samples as nothing, and no log
 * variables (the parser refuses them and their flags there). Otherwise a log
 * line, with "-" for what is absent and the +Q/+X/+E flags applied. */
static size_t render(const struct lb_lfmt *f,
                     struct lb_smp_ctx *c,
                     const struct lb_logrec *r,
                     char *out,
                     size_t cap)
{
    char host[256];
    const struct lk_addr *a;
    size_t i, at = 0;
    int port;

    for (i = 0; i < f->nparts; i++) {
        const struct part *p = &f->parts[i];

        switch (p->kind) {
        case P_TEXT:
            at = put(out, at, cap, p->text, p->len);
            break;
        case P_SAMPLE:
            at = put_sample(out, at, cap, p, c, r != NULL);
            break;
        case P_CI:
        case P_CP:
        case P_FI:
        case P_FP:
            a = p->kind == P_CI || p->kind == P_CP ? c->src : c->dst;
            port = p->kind == P_CP || p->kind == P_FP;
            at = r ? put_ip(out, at, cap, a, port, p->flags) : put_addr(out, at, cap, a, port);
            break;
        case P_HOST:
            host_name(host);
            at = r ? put_cstr(out, at, cap, host, p->flags) : put(out, at, cap, host, strlen(host));
            break;
        default:
            if (r)
                at = put_logvar(out, at, cap, p, r);
        }
    }
    return at;
}

/* Not NUL-terminated: callers use the length. Truncation at cap is silent. */
size_t lb_lfmt_render(const struct lb_lfmt *f, struct lb_smp_ctx *c, char *out, size_t cap)
{
    return render(f, c, NULL, out, cap);
}

size_t lb_lfmt_render_log(const struct lb_lfmt *f,
                          struct lb_smp_ctx *c,
                          const struct lb_logrec *r,
                          char *out,
                          size_t cap)
{
    /* r NULL (only samples and addresses wanted): every variable reads a zeroed
     * record and prints "-" or 0 instead of dereferencing NULL. */
    static const struct lb_logrec none;

    return render(f, c, r ? r : &none, out, cap);
}
