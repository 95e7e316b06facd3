/* acl.c - ACLs and conditions; see acl.h. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cfgkw.h"
#include "common/cfglex.h"
#include "lbd/http/acl.h"

enum match {
    M_STR = 0,
    M_BEG,
    M_END,
    M_SUB,
    M_DIR,
    M_DOM,
    M_REG,
    M_LEN,
    M_INT,
    M_IP,
    M_FOUND,
    M_BOOL,
    M_BIN
};

static const char *const match_names[] = {
    [M_STR] = "str",     [M_BEG] = "beg",   [M_END] = "end", [M_SUB] = "sub", [M_DIR] = "dir",
    [M_DOM] = "dom",     [M_REG] = "reg",   [M_LEN] = "len", [M_INT] = "int", [M_IP] = "ip",
    [M_FOUND] = "found", [M_BOOL] = "bool", [M_BIN] = "bin",
};

struct net {
    int family;
    uint8_t addr[16];
    unsigned bits;
};

struct range {
    int64_t lo, hi;
};

/* One criterion: an expression and how its value is matched. Only the
 * arrays of its match method are filled (vals/lens for str..dom and bin,
 * res for reg, nets for ip, ranges for int and len); a value matches when
 * any pattern does. Built at the config line, then only read. */
struct crit {
    struct lb_sexpr *expr;
    uint8_t match, icase;
    char **vals; /* str..dom */
    size_t *lens;
    size_t nvals;
    pcre2_code **res; /* reg */
    size_t nres;
    struct net *nets; /* ip */
    size_t nnets;
    struct range *ranges; /* int, len */
    size_t nranges;
};

struct lb_acl {
    struct lb_acl *next;
    char *name;
    struct crit *crits; /* ORed */
    size_t ncrits;
    unsigned uses; /* LB_SMP_USE_* of all criteria */
};

static char acl_kw[] = "acl"; /* argv[0] of the lines built here */

struct lb_acl_set {
    struct lb_acl *head;
};

/* or_before: this term starts a new alternative ("or"/"||" before it).
 * The ACL is the set's (named) or the condition's own inline set's. */
struct term {
    const struct lb_acl *acl;
    uint8_t neg, or_before;
};

struct lb_cond {
    int unless;
    struct term *terms;
    size_t nterms;
    struct lb_acl_set *inl; /* inline { } ACLs this condition owns */
};

/* HAProxy's predefined ACLs that make sense without TLS or TCP inspection. */
static const char *const predefined[][5] = {
    {"TRUE", "always_true", NULL},
    {"FALSE", "always_false", NULL},
    {"HTTP", "always_true", NULL},
    {"HTTP_1.0", "req.ver", "1.0", NULL},
    {"HTTP_1.1", "req.ver", "1.1", NULL},
    {"HTTP_URL_ABS", "url_reg", "^[^/:]*://", NULL},
    {"HTTP_URL_SLASH", "url_beg", "/", NULL},
    {"HTTP_URL_STAR", "url", "*", NULL},
    {"LOCALHOST", "src", "127.0.0.1/8", "::1", NULL},
    {"METH_CONNECT", "method", "CONNECT", NULL},
    {"METH_DELETE", "method", "DELETE", NULL},
    {"METH_GET", "method", "GET", "HEAD", NULL},
    {"METH_HEAD", "method", "HEAD", NULL},
    {"METH_OPTIONS", "method", "OPTIONS", NULL},
    {"METH_POST", "method", "POST", NULL},
    {"METH_PUT", "method", "PUT", NULL},
    {"METH_TRACE", "method", "TRACE", NULL},
};

static void crit_fini(struct crit *c)
{
    size_t i;

    for (i = 0; i < c->nvals; i++)
        free(c->vals[i]);
    for (i = 0; i < c->nres; i++)
        pcre2_code_free(c->res[i]);
    free(c->vals);
    free(c->lens);
    free(c->res);
    free(c->nets);
    free(c->ranges);
    lb_sexpr_free(c->expr);
}

static struct lb_acl *acl_free(struct lb_acl *a)
{
    size_t i;

    for (i = 0; i < a->ncrits; i++)
        crit_fini(&a->crits[i]);
    free(a->crits);
    free(a->name);
    free(a);
    return NULL;
}

struct lb_acl_set *lb_acl_set_free(struct lb_acl_set *set)
{
    struct lb_acl *a, *n;

    if (!set)
        return NULL;
    for (a = set->head; a; a = n) {
        n = a->next;
        acl_free(a);
    }
    free(set);
    return NULL;
}

struct lb_acl_set *lb_acl_set_new(void)
{
    struct lb_acl_set *set = calloc(1, sizeof(*set));
    char *argv[7];
    char *err = NULL;
    size_t i;
    int argc;

    if (!set)
        return NULL;
    for (i = 0; i < LK_ARRAY_SIZE(predefined); i++) {
        argv[0] = acl_kw;
        for (argc = 1; argc < 6 && predefined[i][argc - 1]; argc++)
            argv[argc] = (char *)(uintptr_t)predefined[i][argc - 1];
        if (lb_acl_add(set, argc, argv, &err) < 0) {
            free(err);
            return lb_acl_set_free(set);
        }
    }
    return set;
}

static struct lb_acl *find_acl(const struct lb_acl_set *set, const char *name)
{
    struct lb_acl *a;

    for (a = set ? set->head : NULL; a; a = a->next)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

/* "path_beg", "hdr_sub(host)": HAProxy's derived keywords are a fetch
 * with a match suffix. Returns the match, or -1 when `s` is not one; the
 * fetch's text (without the suffix) goes to buf. */
static int derived(const char *s, char *buf, size_t len)
{
    static const char *const bases[] = {"path", "url",     "base",    "hdr", "shdr", "urlp",
                                        "cook", "req.hdr", "res.hdr", "src", "dst",  "query"};
    static const struct {
        const char *sfx;
        int match;
    } sfx[] = {{"_beg", M_BEG}, {"_end", M_END}, {"_sub", M_SUB}, {"_dir", M_DIR}, {"_dom", M_DOM},
               {"_reg", M_REG}, {"_len", M_LEN}, {"_ip", M_IP},   {"_val", M_INT}, {"_str", M_STR}};
    const char *paren = strchr(s, '(');
    size_t n = paren ? (size_t)(paren - s) : strlen(s), i, k, bl;

    for (i = 0; i < LK_ARRAY_SIZE(bases); i++) {
        bl = strlen(bases[i]);
        if (n <= bl || strncmp(s, bases[i], bl) != 0)
            continue;
        for (k = 0; k < LK_ARRAY_SIZE(sfx); k++)
            if (n - bl == strlen(sfx[k].sfx) && strncmp(s + bl, sfx[k].sfx, n - bl) == 0) {
                snprintf(buf, len, "%s%s", bases[i], paren ? paren : "");
                return sfx[k].match;
            }
    }
    return -1;
}

static int default_match(enum lb_smp_type t)
{
    switch (t) {
    case LB_SMP_INT:
        return M_INT;
    case LB_SMP_ADDR:
        return M_IP;
    case LB_SMP_BOOL:
        return M_BOOL;
    default:
        return M_STR;
    }
}

static int parse_expr(struct crit *c, const char *s, unsigned avail, char **err)
{
    char buf[1024];
    int m = derived(s, buf, sizeof(buf)), r;

    r = lb_sexpr_parse(m >= 0 ? buf : s, avail, &c->expr, err);
    if (r < 0)
        return r;
    if (m >= 0)
        c->match = (uint8_t)m;
    else if (lb_sexpr_nconv(c->expr) > 0) /* converters' output: a string unless -m says */
        c->match = M_STR;
    else
        c->match = (uint8_t)default_match(lb_sexpr_fetch_type(c->expr));
    return 0;
}

static int parse_net(struct net *n, const char *s)
{
    char ip[64];
    const char *slash = strchr(s, '/');
    size_t len = slash ? (size_t)(slash - s) : strlen(s);
    uint64_t bits;

    if (len >= sizeof(ip))
        return -EINVAL;
    memcpy(ip, s, len);
    ip[len] = 0;
    memset(n, 0, sizeof(*n));
    if (inet_pton(AF_INET, ip, n->addr) == 1)
        n->family = AF_INET;
    else if (inet_pton(AF_INET6, ip, n->addr) == 1)
        n->family = AF_INET6;
    else
        return -EINVAL;
    n->bits = n->family == AF_INET ? 32 : 128;
    if (slash && lk_parse_uint(slash + 1, 0, n->bits, &bits) < 0)
        return -EINVAL;
    if (slash)
        n->bits = (unsigned)bits;
    return 0;
}

/* "12", "10:20", ":5", "7:" with an optional operator before it. */
static int parse_range(struct range *r, const char *op, const char *v)
{
    const char *colon = strchr(v, ':');
    int64_t a = INT64_MIN, b = INT64_MAX;
    char lo[32];

    if (colon) {
        if ((size_t)(colon - v) >= sizeof(lo))
            return -EINVAL;
        memcpy(lo, v, (size_t)(colon - v));
        lo[colon - v] = 0;
        if ((lo[0] && lk_parse_int(lo, INT64_MIN, INT64_MAX, &a) < 0) ||
            (colon[1] && lk_parse_int(colon + 1, INT64_MIN, INT64_MAX, &b) < 0))
            return -EINVAL;
    } else {
        if (lk_parse_int(v, INT64_MIN, INT64_MAX, &a) < 0)
            return -EINVAL;
        b = a;
        if (op && strcmp(op, "ge") == 0)
            b = INT64_MAX;
        else if (op && strcmp(op, "gt") == 0)
            a = a + 1, b = INT64_MAX;
        else if (op && strcmp(op, "le") == 0)
            b = a, a = INT64_MIN;
        else if (op && strcmp(op, "lt") == 0)
            b = a - 1, a = INT64_MIN;
    }
    r->lo = a;
    r->hi = b;
    return 0;
}

static int grow(void **p, size_t n, size_t sz)
{
    void *np = realloc(*p, (n + 1) * sz);

    if (!np)
        return -ENOMEM;
    *p = np;
    return 0;
}

static int add_value(struct crit *c, const char *op, const char *v, char **err)
{
    PCRE2_UCHAR msg[120];
    PCRE2_SIZE off;
    int code;

    switch (c->match) {
    case M_IP:
        if (grow((void **)&c->nets, c->nnets, sizeof(*c->nets)) < 0)
            return -ENOMEM;
        if (parse_net(&c->nets[c->nnets], v) < 0)
            return lk_cfg_err(err, "invalid address or network '%s'", v);
        c->nnets++;
        return 0;
    case M_INT:
    case M_LEN:
        if (grow((void **)&c->ranges, c->nranges, sizeof(*c->ranges)) < 0)
            return -ENOMEM;
        if (parse_range(&c->ranges[c->nranges], op, v) < 0)
            return lk_cfg_err(err, "invalid integer or range '%s'", v);
        c->nranges++;
        return 0;
    case M_REG:
        if (grow((void **)&c->res, c->nres, sizeof(*c->res)) < 0)
            return -ENOMEM;
        c->res[c->nres] = pcre2_compile((PCRE2_SPTR)v, PCRE2_ZERO_TERMINATED,
                                        c->icase ? PCRE2_CASELESS : 0, &code, &off, NULL);
        if (!c->res[c->nres]) {
            pcre2_get_error_message(code, msg, sizeof(msg));
            return lk_cfg_err(err, "invalid regex '%s': %s", v, msg);
        }
        c->nres++;
        return 0;
    case M_FOUND:
    case M_BOOL:
        return lk_cfg_err(err, "'-m %s' takes no value, got '%s'", match_names[c->match], v);
    case M_BIN: { /* hex digits: the bytes to match exactly */
        size_t n = strlen(v), k;
        char *b;

        if (n == 0 || n % 2 || strspn(v, "0123456789abcdefABCDEF") != n)
            return lk_cfg_err(err, "'-m bin': '%s' is not an even number of hex digits", v);
        if (grow((void **)&c->vals, c->nvals, sizeof(*c->vals)) < 0 ||
            grow((void **)&c->lens, c->nvals, sizeof(*c->lens)) < 0 || !(b = malloc(n / 2 + 1)))
            return -ENOMEM;
        for (k = 0; k < n / 2; k++) {
            char hx[3] = {v[2 * k], v[2 * k + 1], 0};

            b[k] = (char)strtoul(hx, NULL, 16);
        }
        c->vals[c->nvals] = b;
        c->lens[c->nvals++] = n / 2;
        return 0;
    }
    default:
        if (grow((void **)&c->vals, c->nvals, sizeof(*c->vals)) < 0 ||
            grow((void **)&c->lens, c->nvals, sizeof(*c->lens)) < 0 ||
            !(c->vals[c->nvals] = strdup(v)))
            return -ENOMEM;
        c->lens[c->nvals++] = strlen(v);
        return 0;
    }
}

/* -f FILE: one pattern per line; blank lines and '#' comments skipped. */
static int add_file(struct crit *c, const char *path, char **err)
{
    char line[1024], *p, *e;
    FILE *f = fopen(path, "re");
    int r = 0;

    if (!f)
        return lk_cfg_err(err, "cannot open pattern file '%s': %s", path, strerror(errno));
    while (r == 0 && fgets(line, sizeof(line), f)) {
        for (p = line; *p == ' ' || *p == '\t'; p++)
            ;
        for (e = p + strlen(p); e > p && isspace((unsigned char)e[-1]); e--)
            ;
        *e = '\0';
        if (*p && *p != '#')
            r = add_value(c, NULL, p, err);
    }
    fclose(f);
    return r;
}

static int parse_match_flag(struct crit *c, const char *m, char **err)
{
    size_t i;

    for (i = 0; i < LK_ARRAY_SIZE(match_names); i++)
        if (strcmp(match_names[i], m) == 0) {
            c->match = (uint8_t)i;
            return 0;
        }
    return lk_cfg_err(err,
                      "match method '-m %s' is not supported by lbd (str, beg, end, sub, dir, dom, "
                      "reg, len, int, ip, found, bool, bin)",
                      m);
}

static int is_op(const char *s)
{
    return !strcmp(s, "eq") || !strcmp(s, "ge") || !strcmp(s, "gt") || !strcmp(s, "le") ||
           !strcmp(s, "lt");
}

/* criterion flags and values: argv[0] is the expression */
static int parse_crit(struct crit *c, int argc, char **argv, char **err)
{
    const char *op = NULL;
    int i, r, flags = 1, nfiles = 0;

    /* where the ACL may run is checked where a condition uses it */
    r = parse_expr(c, argv[0],
                   LB_SMP_USE_REQ | LB_SMP_USE_RSP | LB_SMP_USE_PAYLOAD | LB_SMP_USE_RESPAYLOAD,
                   err);
    for (i = 1; i < argc && r == 0; i++) {
        if (flags && strcmp(argv[i], "-i") == 0) {
            c->icase = 1;
        } else if (flags && strcmp(argv[i], "-n") == 0) {
            continue; /* no DNS resolution of patterns: lbd never resolves them */
        } else if (flags && strcmp(argv[i], "-m") == 0 && i + 1 < argc) {
            r = parse_match_flag(c, argv[++i], err);
        } else if (flags && strcmp(argv[i], "-f") == 0 && i + 1 < argc) {
            r = add_file(c, argv[++i], err);
            nfiles++;
        } else if (flags && strcmp(argv[i], "--") == 0) {
            flags = 0;
        } else if (flags && argv[i][0] == '-' && !isdigit((unsigned char)argv[i][1]) &&
                   c->match != M_IP) {
            r = lk_cfg_err(err, "ACL flag '%s' is not supported by lbd (-i, -m, -f, -n, --)",
                           argv[i]);
        } else if ((c->match == M_INT || c->match == M_LEN) && is_op(argv[i])) {
            flags = 0;
            op = argv[i];
        } else {
            flags = 0;
            r = add_value(c, op, argv[i], err);
        }
    }
    if (r == 0 && !nfiles && c->nvals + c->nres + c->nnets + c->nranges == 0 &&
        c->match != M_FOUND && c->match != M_BOOL)
        r = lk_cfg_err(err, "ACL criterion '%s' needs at least one value", argv[0]);
    return r;
}

int lb_acl_add(struct lb_acl_set *set, int argc, char **argv, char **err)
{
    struct lb_acl *a = find_acl(set, argv[1]), *na = NULL;
    struct crit *crits;
    int r;

    if (argc < 3)
        return lk_cfg_err(err, "acl '%s': expected 'acl NAME CRITERION [FLAGS] VALUE...'",
                          argc > 1 ? argv[1] : "");
    if (!a) {
        na = a = calloc(1, sizeof(*a));
        if (!a || !(a->name = strdup(argv[1]))) {
            free(a);
            return -ENOMEM;
        }
    }
    crits = realloc(a->crits, (a->ncrits + 1) * sizeof(*crits));
    if (!crits) {
        r = -ENOMEM;
        goto fail;
    }
    a->crits = crits;
    memset(&crits[a->ncrits], 0, sizeof(*crits));
    r = parse_crit(&crits[a->ncrits], argc - 2, argv + 2, err);
    if (r < 0) {
        crit_fini(&crits[a->ncrits]);
        goto fail;
    }
    a->uses |= lb_sexpr_uses(crits[a->ncrits].expr);
    a->ncrits++;
    if (na) {
        na->next = set->head;
        set->head = na;
    }
    return 0;
fail:
    if (na)
        acl_free(na);
    return r;
}

/* ---- conditions ---- */

struct lb_cond *lb_cond_free(struct lb_cond *c)
{
    if (!c)
        return NULL;
    lb_acl_set_free(c->inl);
    free(c->terms);
    free(c);
    return NULL;
}

unsigned lb_cond_uses(const struct lb_cond *c)
{
    unsigned u = 0;
    size_t i;

    for (i = 0; c && i < c->nterms; i++)
        u |= c->terms[i].acl->uses;
    return u;
}

static int add_term(struct lb_cond *c, const struct lb_acl *a, int neg, int or_before)
{
    struct term *t = realloc(c->terms, (c->nterms + 1) * sizeof(*t));

    if (!t)
        return -ENOMEM;
    c->terms = t;
    t[c->nterms].acl = a;
    t[c->nterms].neg = (uint8_t)neg;
    t[c->nterms].or_before = (uint8_t)or_before;
    c->nterms++;
    return 0;
}

/* "{ CRITERION ... }" starting at argv[*i] == "{": an anonymous ACL. */
static int inline_acl(struct lb_cond *c,
                      int argc,
                      char **argv,
                      int *i,
                      const struct lb_acl **ret,
                      char **err)
{
    char name[32], *av[64];
    int j, n = 2, r;

    if (!c->inl && !(c->inl = calloc(1, sizeof(*c->inl))))
        return -ENOMEM;
    /* Unique within the condition's own inline set, where it is looked up
     * again below; named ACLs live in another set, so the two never collide. */
    snprintf(name, sizeof(name), "{anon%zu}", c->nterms);
    av[0] = acl_kw;
    av[1] = name;
    for (j = *i + 1; j < argc && strcmp(argv[j], "}") != 0; j++) {
        if (n >= (int)LK_ARRAY_SIZE(av))
            return lk_cfg_err(err, "inline ACL too long");
        av[n++] = argv[j];
    }
    if (j == argc)
        return lk_cfg_err(err, "missing '}' after '{'");
    r = lb_acl_add(c->inl, n, av, err);
    if (r < 0)
        return r;
    *i = j;
    *ret = find_acl(c->inl, name);
    return 0;
}

static const struct lb_acl *find_any(const struct lb_acl_set *set, const char *name)
{
    static struct lb_acl_set *builtin;
    const struct lb_acl *a = find_acl(set, name);

    /* conditions without a proxy set (the stats page's) still know
     * TRUE, LOCALHOST, ...: one shared read-only set, built at config time */
    if (!a && !set) {
        if (!builtin)
            builtin = lb_acl_set_new();
        a = find_acl(builtin, name);
    }
    return a;
}

static int parse_terms(const struct lb_acl_set *set,
                       unsigned avail,
                       struct lb_cond *c,
                       int argc,
                       char **argv,
                       char **err)
{
    const struct lb_acl *a;
    int i, neg = 0, orb = 0, r;

    for (i = 1; i < argc; i++) {
        const char *t = argv[i];

        if (strcmp(t, "or") == 0 || strcmp(t, "||") == 0) {
            if (c->nterms == 0 || orb || neg)
                return lk_cfg_err(err, "misplaced '%s' in condition", t);
            orb = 1;
            continue;
        }
        if (strcmp(t, "!") == 0) {
            neg = !neg;
            continue;
        }
        if (t[0] == '!') {
            neg = !neg;
            t++;
        }
        if (strcmp(t, "{") == 0) {
            r = inline_acl(c, argc, argv, &i, &a, err);
            if (r < 0)
                return r;
        } else if (!(a = find_any(set, t))) {
            return lk_cfg_err(err, "unknown ACL '%s' in condition", t);
        }
        if ((a->uses & avail) != a->uses)
            return lk_cfg_err(err, "ACL '%s' reads the %s, which does not exist here", a->name,
                              (a->uses & ~avail & LB_SMP_USE_REQ)       ? "request"
                              : (a->uses & ~avail & LB_SMP_USE_RSP)     ? "response"
                              : (a->uses & ~avail & LB_SMP_USE_PAYLOAD) ? "tcp payload"
                                                                        : "tcp response payload");
        r = add_term(c, a, neg, orb);
        if (r < 0)
            return r;
        neg = orb = 0;
    }
    if (c->nterms == 0 || orb || neg)
        return lk_cfg_err(err, "incomplete condition after '%s'", argv[0]);
    return 0;
}

int lb_cond_parse(const struct lb_acl_set *set,
                  unsigned avail,
                  int argc,
                  char **argv,
                  struct lb_cond **ret_cond,
                  char **err)
{
    struct lb_cond *c;
    int r;

    if (argc < 1 || (strcmp(argv[0], "if") != 0 && strcmp(argv[0], "unless") != 0))
        return lk_cfg_err(err, "expected 'if' or 'unless', got '%s'", argc ? argv[0] : "");
    c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->unless = strcmp(argv[0], "unless") == 0;
    r = parse_terms(set, avail, c, argc, argv, err);
    if (r < 0) {
        lb_cond_free(c);
        return r;
    }
    *ret_cond = c;
    return 0;
}

/* ---- evaluation ---- */

static int eq(const char *a, const char *b, size_t n, int icase)
{
    return icase ? strncasecmp(a, b, n) == 0 : memcmp(a, b, n) == 0;
}

/* pattern found in v as whole components separated by `delim` */
static int match_delim(const char *p, size_t pl, const char *v, size_t vl, int icase, char delim)
{
    size_t i;

    if (pl == 0 || pl > vl)
        return 0;
    for (i = 0; i + pl <= vl; i++) {
        if ((i > 0 && v[i - 1] != delim) || (i + pl < vl && v[i + pl] != delim))
            continue;
        if (eq(p, v + i, pl, icase))
            return 1;
    }
    return 0;
}

static int match_one(const struct crit *c, size_t k, const char *v, size_t vl)
{
    const char *p = c->vals[k];
    size_t pl = c->lens[k], i;

    switch (c->match) {
    case M_STR:
        return pl == vl && eq(p, v, vl, c->icase);
    case M_BIN:
        return pl == vl && memcmp(p, v, vl) == 0;
    case M_BEG:
        return pl <= vl && eq(p, v, pl, c->icase);
    case M_END:
        return pl <= vl && eq(p, v + vl - pl, pl, c->icase);
    case M_SUB:
        for (i = 0; i + pl <= vl; i++)
            if (eq(p, v + i, pl, c->icase))
                return 1;
        return 0;
    case M_DIR:
        return match_delim(p, pl, v, vl, c->icase, '/');
    case M_DOM:
        return match_delim(p, pl, v, vl, c->icase, '.');
    default:
        return 0;
    }
}

static int match_reg(const struct crit *c, const char *v, size_t vl)
{
    /* Per thread, as in http_rules.c: the compiled patterns are shared by the
     * workers, match data cannot be, and one allocation per evaluation would
     * cost a malloc per request. */
    static _Thread_local pcre2_match_data *md;
    size_t k;

    if (!md && !(md = pcre2_match_data_create(1, NULL)))
        return 0;
    for (k = 0; k < c->nres; k++)
        if (pcre2_match(c->res[k], (PCRE2_SPTR)v, vl, 0, 0, md, NULL) >= 0)
            return 1;
    return 0;
}

static int match_ip(const struct crit *c, struct lb_smp *s)
{
    uint8_t buf[16];
    const uint8_t *ip;
    char tmp[64];
    size_t k, full;
    int fam = 0;

    if (s->type == LB_SMP_ADDR && s->addr) {
        fam = s->addr->u.sa.sa_family;
        ip = fam == AF_INET ? (const uint8_t *)&s->addr->u.in4.sin_addr
                            : s->addr->u.in6.sin6_addr.s6_addr;
        /* A string sample (a header such as X-Forwarded-For) matches -m ip when it
         * parses as an address, as HAProxy casts it; anything else never matches. */
    } else if (s->type == LB_SMP_STR && s->len < sizeof(tmp)) {
        memcpy(tmp, s->str, s->len);
        tmp[s->len] = 0;
        fam = inet_pton(AF_INET, tmp, buf) == 1    ? AF_INET
              : inet_pton(AF_INET6, tmp, buf) == 1 ? AF_INET6
                                                   : 0;
        ip = buf;
    } else {
        return 0;
    }
    if (fam != AF_INET && fam != AF_INET6)
        return 0;
    for (k = 0; k < c->nnets; k++) {
        const struct net *n = &c->nets[k];

        if (n->family != fam)
            continue;
        full = n->bits / 8;
        if (memcmp(ip, n->addr, full) != 0)
            continue;
        if (n->bits % 8 && ((ip[full] ^ n->addr[full]) & (0xff00u >> (n->bits % 8)) & 0xff))
            continue;
        return 1;
    }
    return 0;
}

static int match_int(const struct crit *c, int64_t v)
{
    size_t k;

    for (k = 0; k < c->nranges; k++)
        if (v >= c->ranges[k].lo && v <= c->ranges[k].hi)
            return 1;
    return 0;
}

static int to_int(struct lb_smp *s, int64_t *v)
{
    char tmp[32];

    if (s->type == LB_SMP_INT || s->type == LB_SMP_BOOL) {
        *v = s->i;
        return 1;
    }
    if (s->type != LB_SMP_STR || s->len == 0 || s->len >= sizeof(tmp))
        return 0;
    memcpy(tmp, s->str, s->len);
    tmp[s->len] = 0;
    return lk_parse_int(tmp, INT64_MIN, INT64_MAX, v) == 0;
}

static int match_smp(const struct crit *c, struct lb_smp_ctx *ctx, struct lb_smp *s)
{
    int64_t v;
    size_t k;

    switch (c->match) {
    case M_FOUND:
        return 1;
    case M_BOOL:
        return to_int(s, &v) && v != 0;
    case M_INT:
        return to_int(s, &v) && match_int(c, v);
    case M_IP:
        return match_ip(c, s);
    default:
        break;
    }
    lb_smp_as_str(ctx, s);
    if (c->match == M_LEN)
        return match_int(c, (int64_t)s->len);
    if (c->match == M_REG)
        return match_reg(c, s->str, s->len);
    for (k = 0; k < c->nvals; k++)
        if (match_one(c, k, s->str, s->len))
            return 1;
    return 0;
}

/* A multi-value fetch (hdr(NAME) without occurrence) matches when any of
 * its values does, as HAProxy's ACLs try each; the bound only guards a
 * fetch that never runs out. */
static int crit_eval(const struct crit *c, struct lb_smp_ctx *ctx)
{
    struct lb_smp s;
    unsigned occ;

    for (occ = 0; occ < HTTP1_MAX_HDRS * 4; occ++) {
        if (!lb_sexpr_eval(c->expr, ctx, occ, &s))
            return 0;
        if (match_smp(c, ctx, &s))
            return 1;
        if (!lb_sexpr_multi(c->expr))
            return 0;
    }
    return 0;
}

static int acl_eval(const struct lb_acl *a, struct lb_smp_ctx *ctx)
{
    size_t i;

    for (i = 0; i < a->ncrits; i++)
        if (crit_eval(&a->crits[i], ctx))
            return 1;
    return 0;
}

/* Terms of one alternative are ANDed and alternatives ORed, left to right;
 * once a term fails its alternative's other ACLs are not evaluated, so a
 * costly fetch after a cheap failing test costs nothing. */
int lb_cond_eval(const struct lb_cond *c, struct lb_smp_ctx *ctx)
{
    size_t i;
    int group = 1, any = 0;

    if (!c)
        return 1;
    for (i = 0; i < c->nterms; i++) {
        const struct term *t = &c->terms[i];

        if (t->or_before) {
            any |= group;
            group = 1;
        }
        if (group && acl_eval(t->acl, ctx) == t->neg)
            group = 0;
    }
    any |= group;
    return c->unless ? !any : any;
}
