/* acl.c - ACLs and conditions; see acl.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cfgkw.h"
#include "common/cfglex.h"
#include "lbd/http/acl.h"

enum fetch { F_PATH = 0, F_URL, F_HDR, F_METHOD, F_SRC, F_TRUE, F_FALSE, F_VERSION, F_MAX };
enum match { M_STR = 0, M_BEG, M_END, M_SUB, M_DIR, M_DOM, M_IP, M_MAX };

struct net {
    int family;
    uint8_t addr[16];
    unsigned bits;
};

struct crit {
    uint8_t fetch, match, icase;
    char *hdr; /* hdr*(NAME) */
    size_t hdr_len;
    char **vals;
    size_t *lens;
    size_t nvals;
    struct net *nets;
    size_t nnets;
};

struct lb_acl {
    struct lb_acl *next;
    char *name;
    struct crit *crits; /* ORed */
    size_t ncrits;
};

static char acl_kw[] = "acl"; /* argv[0] of the lines built here */

struct lb_acl_set {
    struct lb_acl *head;
};

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

/* HAProxy's predefined ACLs that make sense here. */
static const char *const predefined[][4] = {
    {"TRUE", "always_true", NULL, NULL},         {"FALSE", "always_false", NULL, NULL},
    {"HTTP", "always_true", NULL, NULL},         {"METH_GET", "method", "GET", "HEAD"},
    {"METH_HEAD", "method", "HEAD", NULL},       {"METH_POST", "method", "POST", NULL},
    {"METH_PUT", "method", "PUT", NULL},         {"METH_DELETE", "method", "DELETE", NULL},
    {"METH_OPTIONS", "method", "OPTIONS", NULL}, {"HTTP_1.0", "req.ver", "1.0", NULL},
    {"HTTP_1.1", "req.ver", "1.1", NULL},
};

static void crit_fini(struct crit *c)
{
    size_t i;

    for (i = 0; i < c->nvals; i++)
        free(c->vals[i]);
    free(c->vals);
    free(c->lens);
    free(c->nets);
    free(c->hdr);
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
    char *argv[6];
    char *err = NULL;
    size_t i;
    int argc;

    if (!set)
        return NULL;
    for (i = 0; i < LK_ARRAY_SIZE(predefined); i++) {
        argv[0] = acl_kw;
        for (argc = 1; argc < 5 && predefined[i][argc - 1]; argc++)
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

/* "hdr_beg(host)" -> fetch, match, header name. */
static int parse_fetch(struct crit *c, const char *s, char **err)
{
    static const struct {
        const char *name;
        uint8_t fetch, match;
    } tab[] = {
        {"path", F_PATH, M_STR},        {"path_beg", F_PATH, M_BEG},
        {"path_end", F_PATH, M_END},    {"path_sub", F_PATH, M_SUB},
        {"path_dir", F_PATH, M_DIR},    {"url", F_URL, M_STR},
        {"url_beg", F_URL, M_BEG},      {"url_end", F_URL, M_END},
        {"url_sub", F_URL, M_SUB},      {"hdr", F_HDR, M_STR},
        {"hdr_beg", F_HDR, M_BEG},      {"hdr_end", F_HDR, M_END},
        {"hdr_sub", F_HDR, M_SUB},      {"hdr_dom", F_HDR, M_DOM},
        {"method", F_METHOD, M_STR},    {"src", F_SRC, M_IP},
        {"always_true", F_TRUE, M_STR}, {"always_false", F_FALSE, M_STR},
        {"req.ver", F_VERSION, M_STR},
    };
    const char *paren = strchr(s, '(');
    size_t n = paren ? (size_t)(paren - s) : strlen(s), i, e;

    for (i = 0; i < LK_ARRAY_SIZE(tab); i++)
        if (strlen(tab[i].name) == n && strncmp(tab[i].name, s, n) == 0)
            break;
    if (i == LK_ARRAY_SIZE(tab))
        return lk_cfg_err(err,
                          "unsupported ACL criterion '%s' (path, path_beg, path_end, path_sub, "
                          "path_dir, url*, hdr*(name), method, src)",
                          s);
    c->fetch = tab[i].fetch;
    c->match = tab[i].match;
    if (c->fetch != F_HDR)
        return paren ? lk_cfg_err(err, "ACL criterion '%s' takes no argument", s) : 0;
    e = paren ? strcspn(paren + 1, ",)") : 0;
    if (!paren || e == 0 || !strchr(paren, ')'))
        return lk_cfg_err(err, "ACL criterion '%s' needs a header name: hdr(name)", s);
    c->hdr = strndup(paren + 1, e);
    c->hdr_len = e;
    return c->hdr ? 0 : -ENOMEM;
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

static int add_value(struct crit *c, const char *v, char **err)
{
    char **vals;
    size_t *lens;
    struct net *nets;

    if (c->match == M_IP) {
        nets = realloc(c->nets, (c->nnets + 1) * sizeof(*nets));
        if (!nets)
            return -ENOMEM;
        c->nets = nets;
        if (parse_net(&nets[c->nnets], v) < 0)
            return lk_cfg_err(err, "src: invalid address or network '%s'", v);
        c->nnets++;
        return 0;
    }
    vals = realloc(c->vals, (c->nvals + 1) * sizeof(*vals));
    if (vals)
        c->vals = vals;
    lens = realloc(c->lens, (c->nvals + 1) * sizeof(*lens));
    if (lens)
        c->lens = lens;
    if (!vals || !lens || !(c->vals[c->nvals] = strdup(v)))
        return -ENOMEM;
    c->lens[c->nvals++] = strlen(v);
    return 0;
}

static int parse_match_flag(struct crit *c, const char *m, char **err)
{
    static const char *const names[] = {[M_STR] = "str", [M_BEG] = "beg", [M_END] = "end",
                                        [M_SUB] = "sub", [M_DIR] = "dir", [M_DOM] = "dom"};
    size_t i;

    if (c->fetch != F_PATH && c->fetch != F_URL && c->fetch != F_HDR)
        return lk_cfg_err(err, "'-m %s' applies to path, url and hdr criteria only", m);
    for (i = 0; i < LK_ARRAY_SIZE(names); i++)
        if (strcmp(names[i], m) == 0) {
            c->match = (uint8_t)i;
            return 0;
        }
    return lk_cfg_err(err, "unsupported match method '-m %s' (str, beg, end, sub, dir, dom)", m);
}

/* criterion flags and values: argv[0] is the fetch */
static int parse_crit(struct crit *c, int argc, char **argv, char **err)
{
    int i, r, flags = 1;

    r = parse_fetch(c, argv[0], err);
    for (i = 1; i < argc && r == 0; i++) {
        if (flags && strcmp(argv[i], "-i") == 0) {
            c->icase = 1;
        } else if (flags && strcmp(argv[i], "-m") == 0 && i + 1 < argc) {
            r = parse_match_flag(c, argv[++i], err);
        } else if (flags && strcmp(argv[i], "--") == 0) {
            flags = 0;
        } else if (flags && argv[i][0] == '-' && c->fetch != F_SRC) {
            r = lk_cfg_err(err, "unsupported ACL flag '%s' (-i, -m, --)", argv[i]);
        } else {
            flags = 0;
            r = add_value(c, argv[i], err);
        }
    }
    if (r == 0 && c->nvals == 0 && c->nnets == 0 && c->fetch != F_TRUE && c->fetch != F_FALSE)
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

static int parse_terms(const struct lb_acl_set *set,
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
        } else if (!(a = find_acl(set, t))) {
            return lk_cfg_err(err, "unknown ACL '%s' in condition", t);
        }
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
    r = parse_terms(set, c, argc, argv, err);
    if (r < 0) {
        lb_cond_free(c);
        return r;
    }
    *ret_cond = c;
    return 0;
}

/* ---- evaluation ---- */

static int eq(const char *a, const uint8_t *b, size_t n, int icase)
{
    return icase ? strncasecmp(a, (const char *)b, n) == 0 : memcmp(a, b, n) == 0;
}

/* pattern found in v as whole components separated by `delim` */
static int match_delim(const char *p, size_t pl, const uint8_t *v, size_t vl, int icase, char delim)
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

static int match_one(const struct crit *c, size_t k, const uint8_t *v, size_t vl)
{
    const char *p = c->vals[k];
    size_t pl = c->lens[k], i;

    switch (c->match) {
    case M_STR:
        return pl == vl && eq(p, v, vl, c->icase);
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

static int match_str(const struct crit *c, const uint8_t *v, size_t vl)
{
    size_t k;

    for (k = 0; k < c->nvals; k++)
        if (match_one(c, k, v, vl))
            return 1;
    return 0;
}

static int match_src(const struct crit *c, const struct lk_addr *a)
{
    const uint8_t *ip;
    size_t k, full;
    int fam = a ? a->u.sa.sa_family : 0;

    if (fam != AF_INET && fam != AF_INET6)
        return 0;
    ip = fam == AF_INET ? (const uint8_t *)&a->u.in4.sin_addr : a->u.in6.sin6_addr.s6_addr;
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

/* The path of the request-target: absolute-form loses scheme and
 * authority, the query string is cut. */
static void req_path(const struct lb_acl_input *in, const uint8_t **ret, size_t *ret_len)
{
    const uint8_t *u = in->buf + in->m->uri_off;
    size_t n = in->m->uri_len, i;
    const uint8_t *s;

    if (n && u[0] != '/') {
        s = memmem(u, n, "://", 3);
        if (s) {
            s += 3;
            n -= (size_t)(s - u);
            u = s;
            s = memchr(u, '/', n);
            n = s ? n - (size_t)(s - u) : 0;
            u = s ? s : u + n;
        }
    }
    for (i = 0; i < n && u[i] != '?' && u[i] != '#'; i++)
        ;
    *ret = u;
    *ret_len = i;
}

static int match_hdr(const struct crit *c, const struct lb_acl_input *in)
{
    unsigned i;

    for (i = 0; i < in->m->nhdr; i++) {
        const struct http1_hdr *h = &in->m->hdr[i];

        if (h->name_len == c->hdr_len &&
            strncasecmp((const char *)in->buf + h->name_off, c->hdr, c->hdr_len) == 0 &&
            match_str(c, in->buf + h->val_off, h->val_len))
            return 1;
    }
    return 0;
}

static int crit_eval(const struct crit *c, const struct lb_acl_input *in)
{
    const uint8_t *v;
    size_t n;

    switch (c->fetch) {
    case F_PATH:
        req_path(in, &v, &n);
        return match_str(c, v, n);
    case F_URL:
        return match_str(c, in->buf + in->m->uri_off, in->m->uri_len);
    case F_HDR:
        return match_hdr(c, in);
    case F_METHOD:
        return match_str(c, in->buf + in->m->meth_off, in->m->meth_len);
    case F_SRC:
        return match_src(c, in->src);
    case F_TRUE:
        return 1;
    case F_VERSION:
        return match_str(c, (const uint8_t *)(in->m->version ? "1.1" : "1.0"), 3);
    default:
        return 0;
    }
}

static int acl_eval(const struct lb_acl *a, const struct lb_acl_input *in)
{
    size_t i;

    for (i = 0; i < a->ncrits; i++)
        if (crit_eval(&a->crits[i], in))
            return 1;
    return 0;
}

int lb_cond_eval(const struct lb_cond *c, const struct lb_acl_input *in)
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
        if (group && acl_eval(t->acl, in) == t->neg)
            group = 0;
    }
    any |= group;
    return c->unless ? !any : any;
}
