/* cfglex.c - see cfglex.h. */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfglex.h"
#include "common/strbuf.h"

#define MAX_DEPTH    8
#define MAX_FILESIZE (16u << 20)

/* One source being read; sources form a stack for includes. Names are kept
 * until the lexer is freed because lines hand out pointers to them. */
struct src {
    struct src *up;
    char *name;
    char *text;
    size_t pos, len;
    unsigned line;
    char **pending; /* include: files still to open after this one */
    size_t npending, ipending;
};

struct lk_cfglex {
    unsigned flags;
    struct src *top;
    int depth;
    char **names; /* every file name ever opened, freed at the end */
    size_t nnames;
    char buf[8192]; /* unescaped arguments of the current line */
};

int lk_cfg_err(char **err, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    va_start(ap, fmt);
    s = lk_vfmt(fmt, ap);
    va_end(ap);
    if (err) {
        free(*err);
        *err = s;
    } else {
        free(s);
    }
    return -EINVAL;
}

int lk_cfg_read_file(const char *path, char **ret, size_t *ret_len)
{
    FILE *f;
    char *buf = NULL;
    size_t cap = 0, len = 0, n;
    int r = 0;

    f = fopen(path, "re");
    if (!f)
        return -errno;
    do {
        /* fread into a doubling buffer: /proc-like files and pipes have no
         * size to stat, and a config past MAX_FILESIZE is refused, not read */
        if (cap - len < 4096) {
            char *nb;

            cap = cap ? cap * 2 : 8192;
            if (cap > MAX_FILESIZE) {
                r = -EFBIG;
                goto out;
            }
            nb = realloc(buf, cap + 1);
            if (!nb) {
                r = -ENOMEM;
                goto out;
            }
            buf = nb;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    if (ferror(f)) {
        r = -EIO;
        goto out;
    }
    /* NUL-terminated: the lexer may use string functions on a line's end */
    buf[len] = '\0';
    *ret = buf;
    *ret_len = len;
    buf = NULL;
out:
    free(buf);
    fclose(f);
    return r;
}

static int push_src(struct lk_cfglex *lx, const char *name, char *text, size_t len)
{
    struct src *s;
    char **names;

    s = calloc(1, sizeof(*s));
    names = realloc(lx->names, (lx->nnames + 1) * sizeof(*names));
    if (!s || !names) {
        free(s);
        if (names)
            lx->names = names;
        return -ENOMEM;
    }
    lx->names = names;
    s->name = strdup(name);
    if (!s->name) {
        free(s);
        return -ENOMEM;
    }
    /* names outlive their source: every line's FILE:LINE points into them
     * until the lexer is freed, long after an include was popped */
    lx->names[lx->nnames++] = s->name;
    s->text = text;
    s->len = len;
    s->up = lx->top;
    lx->top = s;
    lx->depth++;
    return 0;
}

static int push_file(struct lk_cfglex *lx, const char *path, char **err)
{
    char *text = NULL;
    size_t len = 0;
    int r;

    /* an include of itself would recurse forever: the depth bounds it */
    if (lx->depth >= MAX_DEPTH)
        return lk_cfg_err(err, "%s: includes nested deeper than %d", path, MAX_DEPTH);
    r = lk_cfg_read_file(path, &text, &len);
    if (r < 0) {
        lk_cfg_err(err, "cannot read '%s': %s", path, strerror(-r));
        return r;
    }
    r = push_src(lx, path, text, len);
    if (r < 0)
        free(text);
    return r;
}

static struct src *pop_src(struct lk_cfglex *lx)
{
    struct src *s = lx->top;
    size_t i;

    /* the file's text and its pending includes go; its name stays (names) */
    lx->top = s->up;
    lx->depth--;
    for (i = 0; i < s->npending; i++)
        free(s->pending[i]);
    free(s->pending);
    free(s->text);
    free(s);
    return lx->top;
}

int lk_cfglex_open_file(struct lk_cfglex **ret, const char *path, unsigned flags, char **err)
{
    struct lk_cfglex *lx;
    int r;

    lx = calloc(1, sizeof(*lx));
    if (!lx)
        return -ENOMEM;
    lx->flags = flags;
    r = push_file(lx, path, err);
    if (r < 0) {
        lk_cfglex_free(lx);
        return r;
    }
    *ret = lx;
    return 0;
}

int lk_cfg_load(const char *name,
                const char *text,
                unsigned flags,
                lk_cfg_load_fn load,
                void *ret,
                char **err)
{
    struct lk_cfglex *lx = NULL;
    int r;

    /* text given: the config the master handed a worker (lbd -W), or a
     * unit test's; else the file on disk */
    if (text)
        r = lk_cfglex_open_mem(&lx, name, text, flags);
    else
        r = lk_cfglex_open_file(&lx, name, flags, err);
    if (r < 0)
        return r;
    r = load(lx, name, ret, err);
    lk_cfglex_free(lx);
    return r;
}

int lk_cfglex_open_mem(struct lk_cfglex **ret, const char *name, const char *text, unsigned flags)
{
    struct lk_cfglex *lx;
    char *copy;
    int r;

    lx = calloc(1, sizeof(*lx));
    copy = strdup(text);
    if (!lx || !copy) {
        free(lx);
        free(copy);
        return -ENOMEM;
    }
    lx->flags = flags;
    r = push_src(lx, name, copy, strlen(copy));
    if (r < 0) {
        free(copy);
        lk_cfglex_free(lx);
        return r;
    }
    *ret = lx;
    return 0;
}

struct lk_cfglex *lk_cfglex_free(struct lk_cfglex *lx)
{
    size_t i;

    if (!lx)
        return NULL;
    while (lx->top)
        pop_src(lx);
    for (i = 0; i < lx->nnames; i++)
        free(lx->names[i]);
    free(lx->names);
    free(lx);
    return NULL;
}

static int is_comment_start(const struct lk_cfglex *lx, char c)
{
    /* keepalived also takes '!' for a comment; HAProxy does not */
    return c == '#' || (c == '!' && (lx->flags & LK_CFGLEX_BANG));
}

static int is_brace(const struct lk_cfglex *lx, char c)
{
    /* keepalived's blocks: a brace is a word of its own even when glued to
     * another ("vrrp_instance VI_1{"); HAProxy has no braces but in ACLs */
    return (c == '{' || c == '}') && (lx->flags & LK_CFGLEX_BRACES);
}

/* A backslash escape at p (p[0] == '\\', p + 1 < end), as HAProxy reads
 * them: \\ \" \' \# \$ and space stand for themselves, \r \n \t for
 * controls, \xHH for a byte; any other backslash is kept with its character
 * (regex back-references such as \1 reach the rule intact). Returns the
 * position after the escape. */
static const char *lex_escape(const char *p, const char *end, char **o)
{
    static const char hex[] = "0123456789abcdef";
    const char *h1, *h2;

    switch (p[1]) {
    case '\\':
    case '"':
    case '\'':
    case '#':
    case '$':
    case ' ':
        *(*o)++ = p[1];
        return p + 2;
    case 'r':
        *(*o)++ = '\r';
        return p + 2;
    case 'n':
        *(*o)++ = '\n';
        return p + 2;
    case 't':
        *(*o)++ = '\t';
        return p + 2;
    case 'x':
        if (p + 3 < end && (h1 = strchr(hex, tolower((unsigned char)p[2]))) && p[2] &&
            (h2 = strchr(hex, tolower((unsigned char)p[3]))) && p[3]) {
            *(*o)++ = (char)((h1 - hex) * 16 + (h2 - hex));
            return p + 4;
        }
        break;
    default:
        break;
    }
    /* unknown escapes keep their backslash: "\d" in a regex must reach
     * the regex compiler as HAProxy hands it over */
    *(*o)++ = '\\';
    return p + 1;
}

/* A control byte no real config contains, chosen so that the expansion
 * can mark word boundaries in place; a "\x1e" escape in the same line
 * would split there too (HAProxy's own marker has the same limit). */
#define WORD_SPLIT '\x1e' /* ${NAME[*]}: a word boundary inside one lexed word */

static int is_name(char c, int first)
{
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (!first && c >= '0' && c <= '9');
}

/* "$NAME", "${NAME}", "${NAME-default}", "${NAME[*]}" at p (p[0] == '$').
 * Writes the value and returns the position after the reference; a '$'
 * that starts none is written as itself. */
static const char *lex_env(const char *p, const char *end, char **o, const char *oend)
{
    const char *n = p + 1, *ne, *def = NULL, *defe = NULL, *v, *close;
    char name[128];
    int braces = n < end && *n == '{', split = 0;

    if (braces)
        n++;
    for (ne = n; ne < end && is_name(*ne, ne == n); ne++)
        ;
    /* "$5", "$ ": not a variable reference, the '$' is text */
    if (ne == n || (size_t)(ne - n) >= sizeof(name)) {
        *(*o)++ = '$';
        return p + 1;
    }
    close = ne;
    if (braces) {
        if (close + 3 <= end && memcmp(close, "[*]", 3) == 0) {
            split = 1;
            close += 3;
        } else if (close < end && *close == '-') {
            def = close + 1;
            close = memchr(def, '}', (size_t)(end - def));
            defe = close;
        }
        if (!close || close >= end || *close != '}') {
            *(*o)++ = '$';
            return p + 1;
        }
        close++;
    }
    memcpy(name, n, (size_t)(ne - n));
    name[ne - n] = '\0';
    /* an unset variable is empty (HAProxy), unless a default is given */
    v = getenv(name);
    if (!v && def) {
        for (; def < defe && *o < oend; def++)
            *(*o)++ = *def;
        return close;
    }
    for (; v && *v && *o < oend; v++)
        *(*o)++ = split && *v == ' ' ? WORD_SPLIT : *v;
    return close;
}

/* Copy one quoted string starting after the opening quote. Returns the
 * position after the closing quote, or NULL if the line ends first. */
static const char *lex_quoted(const char *p,
                              const char *end,
                              char q,
                              char **o,
                              const char *oend,
                              int env)
{
    while (p < end && *p != q) {
        if (q == '"' && *p == '\\' && p + 1 < end)
            p = lex_escape(p, end, o);
        /* single quotes keep everything literal, as in a shell and in HAProxy */
        else if (q == '"' && *p == '$' && env)
            p = lex_env(p, end, o, oend);
        else
            *(*o)++ = *p++;
        if (*o >= oend)
            return NULL;
    }
    return p < end ? p + 1 : NULL;
}

/* ${NAME[*]} left WORD_SPLIT marks: each becomes a word boundary. */
static int split_words(struct lk_cfgline *out, char **err)
{
    int i, j;
    char *m;

    for (i = 0; i < out->argc; i++) {
        m = strchr(out->argv[i], WORD_SPLIT);
        if (!m)
            continue;
        if (out->argc >= LK_CFG_MAX_ARGS)
            return lk_cfg_err(err, "%s:%u: %s", out->file, out->line, "too many arguments");
        *m = '\0';
        /* shift the later words up to make room for the new one */
        for (j = out->argc; j > i + 1; j--)
            out->argv[j] = out->argv[j - 1];
        out->argv[i + 1] = m + 1;
        out->argc++;
    }
    out->argv[out->argc] = NULL;
    return 0;
}

/* Split [p, end) into out->argv. Returns 0 or a negative errno. */
static int lex_line(struct lk_cfglex *lx,
                    const char *p,
                    const char *end,
                    struct lk_cfgline *out,
                    char **err)
{
    char *o = lx->buf, *oend = lx->buf + sizeof(lx->buf) - 1;

    out->argc = 0;
    for (;;) {
        /* CRLF files from Windows editors: '\r' is a blank */
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
            p++;
        if (p >= end || is_comment_start(lx, *p))
            break;
        if (out->argc >= LK_CFG_MAX_ARGS)
            return lk_cfg_err(err, "%s:%u: %s", out->file, out->line, "too many arguments");
        out->argv[out->argc++] = o;
        if (is_brace(lx, *p)) {
            *o++ = *p++;
            *o++ = '\0';
            continue;
        }
        while (p < end && *p != ' ' && *p != '\t' && *p != '\r' && !is_brace(lx, *p)) {
            /* quotes may start mid-word (HAProxy: hdr("x y")): the word goes on
             * after the closing quote */
            if (*p == '"' || *p == '\'') {
                p = lex_quoted(p + 1, end, *p, &o, oend, (lx->flags & LK_CFGLEX_ENV) != 0);
                if (!p)
                    return lk_cfg_err(err, "%s:%u: %s", out->file, out->line,
                                      "unterminated quote or line too long");
                continue;
            }
            if (*p == '\\' && p + 1 < end) {
                p = lex_escape(p, end, &o);
                if (o >= oend)
                    return lk_cfg_err(err, "%s:%u: %s", out->file, out->line, "line too long");
                continue;
            }
            if (*p == '#' && (lx->flags & LK_CFGLEX_BRACES))
                break; /* keepalived: a comment may follow a word directly */
            *o++ = *p++;
            if (o >= oend)
                return lk_cfg_err(err, "%s:%u: %s", out->file, out->line, "line too long");
        }
        *o++ = '\0';
        if (o >= oend)
            return lk_cfg_err(err, "%s:%u: %s", out->file, out->line, "line too long");
        if (p < end && *p == '#')
            break;
    }
    out->argv[out->argc] = NULL;
    /* HAProxy expands ${NAME[*]} into several words: done once the line
     * is whole, so that quoting around it still applies */
    return (lx->flags & LK_CFGLEX_ENV) ? split_words(out, err) : 0;
}

static int start_include(struct lk_cfglex *lx, struct lk_cfgline *ln, char **err)
{
    glob_t g;
    struct src *s = lx->top;
    size_t i;
    int r;

    if (ln->argc != 2)
        return lk_cfg_err(err, "%s:%u: 'include' takes exactly one file pattern", ln->file,
                          ln->line);
    /* keepalived's include takes a glob; the files are read in glob's
     * sorted order, each where the include line stands */
    r = glob(ln->argv[1], 0, NULL, &g);
    if (r == GLOB_NOMATCH)
        return lk_cfg_err(err, "%s:%u: include: no file matches '%s'", ln->file, ln->line,
                          ln->argv[1]);
    if (r != 0)
        return lk_cfg_err(err, "%s:%u: include: cannot expand '%s'", ln->file, ln->line,
                          ln->argv[1]);
    s->pending = calloc(g.gl_pathc, sizeof(char *));
    if (!s->pending) {
        globfree(&g);
        return -ENOMEM;
    }
    for (i = 0; i < g.gl_pathc; i++) {
        s->pending[i] = strdup(g.gl_pathv[i]);
        if (!s->pending[i]) {
            globfree(&g);
            return -ENOMEM;
        }
        s->npending++;
    }
    globfree(&g);
    return 0;
}

/* Open the next file an include statement asked for, if any is left. */
static int next_pending(struct lk_cfglex *lx, char **err)
{
    struct src *s = lx->top;

    if (!s || s->ipending >= s->npending)
        return 0;
    return push_file(lx, s->pending[s->ipending++], err) < 0 ? -EINVAL : 1;
}

int lk_cfglex_next(struct lk_cfglex *lx, struct lk_cfgline *out, char **err)
{
    struct src *s;
    const char *p, *nl, *end;
    int r;

    for (;;) {
        /* an include's files are read before the line after the include */
        r = next_pending(lx, err);
        if (r < 0)
            return r;
        s = lx->top;
        if (!s)
            return 0;
        if (s->pos >= s->len) {
            if (!s->up)
                return 0;
            pop_src(lx);
            continue;
        }
        p = s->text + s->pos;
        end = s->text + s->len;
        nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            nl = end;
        s->pos = (size_t)(nl - s->text) + 1;
        s->line++;
        /* a NUL would end the line early for every string function after
         * this: a binary file given as a config is refused, not misread */
        if (memchr(p, '\0', (size_t)(nl - p)))
            return lk_cfg_err(err, "%s:%u: NUL byte in config", s->name, s->line);
        out->file = s->name;
        out->line = s->line;
        while (p < nl && (*p == ' ' || *p == '\t'))
            p++;
        /* ';' starts a comment line in keepalived's files */
        if ((lx->flags & LK_CFGLEX_SEMI) && p < nl && *p == ';')
            continue;
        r = lex_line(lx, p, nl, out, err);
        if (r < 0)
            return r;
        if (out->argc == 0)
            continue;
        if ((lx->flags & LK_CFGLEX_INCLUDE) && strcmp(out->argv[0], "include") == 0) {
            r = start_include(lx, out, err);
            if (r < 0)
                return r;
            continue;
        }
        return 1;
    }
}

const char *lk_cfgfiles_intern(struct lk_cfgfiles *f, const char *name)
{
    char **v;
    size_t k;

    for (k = f->n; k > 0; k--) /* the last one first: lines come in runs */
        if (!strcmp(f->v[k - 1], name))
            return f->v[k - 1];
    v = realloc(f->v, (f->n + 1) * sizeof(*v));
    if (!v)
        return NULL;
    f->v = v;
    v[f->n] = strdup(name);
    return v[f->n] ? v[f->n++] : NULL;
}

void lk_cfgfiles_free(struct lk_cfgfiles *f)
{
    while (f->n)
        free(f->v[--f->n]);
    free(f->v);
    f->v = NULL;
}
