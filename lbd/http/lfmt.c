/* lfmt.c - log-format values; see lfmt.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cfglex.h"
#include "lbd/http/lfmt.h"

enum part_kind { P_TEXT, P_SAMPLE, P_CI, P_CP, P_FI, P_FP, P_HOST };

struct part {
    uint8_t kind;
    char *text;
    size_t len;
    struct lb_sexpr *expr;
};

struct lb_lfmt {
    struct part *parts;
    size_t nparts;
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

static int add_text(struct lb_lfmt *f, const char *s, size_t n)
{
    struct part *p;

    if (n == 0)
        return 0;
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

static int add_var(struct lb_lfmt *f, const char **sp, char **err)
{
    static const struct {
        const char *name;
        uint8_t kind;
    } vars[] = {{"ci", P_CI}, {"cp", P_CP}, {"fi", P_FI}, {"fp", P_FP}, {"H", P_HOST}};
    const char *s = *sp;
    size_t i, n;

    for (n = 0;
         s[n] && (s[n] == '_' || (s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z')); n++)
        ;
    for (i = 0; i < LK_ARRAY_SIZE(vars); i++)
        if (strlen(vars[i].name) == n && strncmp(vars[i].name, s, n) == 0) {
            *sp = s + n;
            return add_part(f, vars[i].kind) ? 0 : -ENOMEM;
        }
    return lk_cfg_err(err,
                      "log-format variable '%%%.*s' is not supported by lbd in values (%%[sample], "
                      "%%ci, %%cp, %%fi, %%fp, %%H, %%%%)",
                      (int)(n ? n : 1), s);
}

/* "%[expr]": the expression ends at the ']' that closes the first '['. */
static int add_sample(struct lb_lfmt *f, const char **sp, unsigned avail, char **err)
{
    const char *s = *sp + 1, *e;
    char buf[1024];
    struct part *p;
    int depth = 0;

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

int lb_lfmt_parse(const char *text, unsigned avail, struct lb_lfmt **ret, char **err)
{
    struct lb_lfmt *f = calloc(1, sizeof(*f));
    const char *s = text, *pct;
    int r = 0;

    if (!f)
        return -ENOMEM;
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
        if (*s == '%') {
            r = add_text(f, "%", 1);
            s++;
        } else if (*s == '[') {
            r = add_sample(f, &s, avail, err);
        } else if (*s == '{') {
            r = lk_cfg_err(err, "log-format flags '%%{...}' are not supported by lbd in values");
        } else {
            r = add_var(f, &s, err);
        }
    }
    if (r < 0) {
        lb_lfmt_free(f);
        return r;
    }
    *ret = f;
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

size_t lb_lfmt_render(const struct lb_lfmt *f, struct lb_smp_ctx *c, char *out, size_t cap)
{
    struct lb_smp s;
    char host[256];
    size_t i, at = 0;

    for (i = 0; i < f->nparts; i++) {
        const struct part *p = &f->parts[i];

        switch (p->kind) {
        case P_TEXT:
            at = put(out, at, cap, p->text, p->len);
            break;
        case P_SAMPLE: {
            unsigned occ = 0;

            /* a multi-value fetch gives its last value, as HAProxy's hdr() does */
            while (lb_sexpr_multi(p->expr) && occ < 4 * HTTP1_MAX_HDRS &&
                   lb_sexpr_eval(p->expr, c, occ + 1, &s))
                occ++;
            if (!lb_sexpr_eval(p->expr, c, occ, &s))
                break;
            lb_smp_as_str(c, &s);
            at = put(out, at, cap, s.str, s.len);
            break;
        }
        case P_CI:
        case P_CP:
            at = put_addr(out, at, cap, c->src, p->kind == P_CP);
            break;
        case P_FI:
        case P_FP:
            at = put_addr(out, at, cap, c->dst, p->kind == P_FP);
            break;
        default:
            if (gethostname(host, sizeof(host)) < 0)
                host[0] = 0;
            host[sizeof(host) - 1] = 0;
            at = put(out, at, cap, host, strlen(host));
        }
    }
    return at;
}
