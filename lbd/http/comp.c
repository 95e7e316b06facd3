/* comp.c - HTTP compression; see comp.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "common/cfglex.h"
#include "common/compiler.h"
#include "common/log.h"
#include "lbd/http/comp.h"

/* raw-deflate answers a "deflate" request with a bare deflate stream, as
 * HAProxy's: against RFC 9110 section 8.4.1.2, but some browsers (old MSIE,
 * Safari) decode it better than the zlib stream the standard asks for. */
static const struct {
    const char *cfg, *ua; /* the config word, the Accept-Encoding token */
} algo_names[LB_COMP_ALGO_MAX] = {
    [LB_COMP_IDENTITY] = {"identity", "identity"},
    [LB_COMP_GZIP] = {"gzip", "gzip"},
    [LB_COMP_DEFLATE] = {"deflate", "deflate"},
    [LB_COMP_RAW_DEFLATE] = {"raw-deflate", "deflate"},
};

/* ---- config ---- */

static int add_algos(struct lb_comp_cfg *c, int argc, char **argv, char **err)
{
    int i, k;

    if (argc < 3)
        return lk_cfg_err(err, "'compression' expects <algorithm>.");
    for (i = 2; i < argc; i++) {
        for (k = 0; k < LB_COMP_ALGO_MAX && strcmp(argv[i], algo_names[k].cfg) != 0; k++)
            ;
        if (k == LB_COMP_ALGO_MAX)
            return lk_cfg_err(err, "'compression' : '%s' is not a supported algorithm.", argv[i]);
        if (c->nalgos == LB_COMP_MAX_ALGOS)
            return lk_cfg_err(err, "'compression' : too many algorithms");
        /* HAProxy puts each new one at the head of its list: on equal
         * preference ("*"), the last configured wins */
        memmove(c->algos + 1, c->algos, c->nalgos);
        c->algos[0] = (uint8_t)k;
        c->nalgos++;
    }
    return 0;
}

/* Types are kept as given and matched as prefixes of Content-Type, so
 * "text/html" also covers "text/html; charset=utf-8". */
static int add_types(struct lb_comp_cfg *c, int argc, char **argv, char **err)
{
    char **t;
    int i;

    if (argc < 3)
        return lk_cfg_err(err, "'compression' expects <type>.");
    t = realloc(c->types, (c->ntypes + (size_t)argc) * sizeof(*t));
    if (!t)
        return -ENOMEM;
    c->types = t;
    for (i = 2; i < argc; i++) {
        if (!(t[c->ntypes] = strdup(argv[i])))
            return -ENOMEM;
        c->ntypes++;
    }
    return 0;
}

int lb_comp_kw(struct lb_comp_cfg **cfg, int defaults, int argc, char **argv, char **err)
{
    struct lb_comp_cfg *c = *cfg;

    if (argc < 2 || (strcmp(argv[1], "algo") != 0 && strcmp(argv[1], "type") != 0 &&
                     strcmp(argv[1], "offload") != 0))
        return lk_cfg_err(err, "'compression' expects 'algo', 'type' or 'offload'");
    if (!c && !(c = *cfg = calloc(1, sizeof(*c))))
        return -ENOMEM;
    if (strcmp(argv[1], "algo") == 0)
        return add_algos(c, argc, argv, err);
    if (strcmp(argv[1], "type") == 0)
        return add_types(c, argc, argv, err);
    if (defaults) { /* HAProxy's warning: offload is per proxy */
        lk_cfg_err(err, "'compression' : 'offload' ignored in 'defaults' section.");
        return 1;
    }
    c->offload = 1;
    return 0;
}

struct lb_comp_cfg *lb_comp_cfg_dup(const struct lb_comp_cfg *c)
{
    struct lb_comp_cfg *d = calloc(1, sizeof(*d));
    size_t i;

    if (!d)
        return NULL;
    memcpy(d->algos, c->algos, sizeof(d->algos));
    d->nalgos = c->nalgos;
    d->offload = 0; /* never inherited: refused in defaults */
    if (c->ntypes && !(d->types = calloc(c->ntypes, sizeof(*d->types))))
        return lb_comp_cfg_free(d);
    for (i = 0; i < c->ntypes; i++) {
        if (!(d->types[i] = strdup(c->types[i])))
            return lb_comp_cfg_free(d);
        d->ntypes++;
    }
    return d;
}

struct lb_comp_cfg *lb_comp_cfg_free(struct lb_comp_cfg *c)
{
    size_t i;

    if (!c)
        return NULL;
    for (i = 0; i < c->ntypes; i++)
        free(c->types[i]);
    free(c->types);
    free(c);
    return NULL;
}

/* ---- request ---- */

static int name_is(const uint8_t *buf, const struct http1_hdr *h, const char *name)
{
    size_t n = strlen(name);

    return h->name_len == n && strncasecmp((const char *)buf + h->name_off, name, n) == 0;
}

/* RFC 9110 section 5.6.2 tchar: a coding name ends at the first byte that
 * cannot be part of a token (';' of a parameter, blank, ','). */
static int is_token(uint8_t c)
{
    return c > 32 && c < 127 && !strchr("()<>@,;:\\\"/[]?={}", c);
}

/* "q=0.5" as thousandths (HAProxy's http_parse_qvalue). RFC 9110 section
 * 12.4.2 allows at most three decimals: more are ignored. Anything not
 * starting with 0 or 1 is q=0, i.e. "not acceptable". */
static int qvalue(const uint8_t *p, const uint8_t *end)
{
    int q = 0, scale = 1000;

    if (p < end && *p == '1')
        return 1000;
    if (p >= end || *p != '0')
        return 0;
    if (++p < end && *p == '.')
        for (p++; p < end && *p >= '0' && *p <= '9' && scale > 1; p++) {
            scale /= 10;
            q += (*p - '0') * scale;
        }
    return q;
}

/* The q-value of one list element: the first "q=" parameter, else 1. */
static int element_q(const uint8_t *p, const uint8_t *end)
{
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p >= end || *p != ';')
            return 1000;
        for (p++; p < end && (*p == ' ' || *p == '\t'); p++)
            ;
        if (end - p >= 2 && p[0] == 'q' && p[1] == '=')
            return qvalue(p + 2, end);
        while (p < end && *p != ';')
            p++;
    }
    return 1000;
}

/* Walk one Accept-Encoding value's elements; *best is the algorithm
 * chosen so far with *best_q. */
static void pick_value(const struct lb_comp_cfg *c,
                       const uint8_t *v,
                       const uint8_t *end,
                       int *best,
                       int *best_q)
{
    const uint8_t *e, *t;
    size_t k, tl;
    int q;

    for (; v < end; v = e + 1) {
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        if (v >= end) /* also tells gcc the length below is not negative */
            break;
        e = memchr(v, ',', (size_t)(end - v));
        if (!e)
            e = end;
        for (t = v; t < e && is_token(*t) && *t != ';'; t++)
            ;
        tl = (size_t)(t - v);
        q = element_q(t, e);
        /* Strictly better only: on equal q the client's first listed coding stays,
         * and q=0 ("not acceptable", RFC 9110 section 12.5.3) never wins. */
        if (q <= *best_q || v == e)
            continue;
        for (k = 0; k < c->nalgos; k++) {
            const char *ua = algo_names[c->algos[k]].ua;

            /* "*" takes lbd's first algorithm: the last one configured, as HAProxy. */
            if (*v == '*' || (tl == strlen(ua) && strncasecmp((const char *)v, ua, tl) == 0)) {
                *best = c->algos[k];
                *best_q = q;
                break;
            }
        }
    }
}

/* HAProxy leaves old browsers announcing "Mozilla/4" alone (their
 * decompression is known to be broken), unless MSIE 6 with XP SP2 or MSIE 7
 * and later. The fixed offsets are those of "Mozilla/4.0 (compatible; MSIE
 * N.", the only layout those browsers sent. */
static int old_agent(const uint8_t *ua, size_t n)
{
    return n >= 9 && memcmp(ua, "Mozilla/4", 9) == 0 &&
           (n < 31 || memcmp(ua + 25, "MSIE ", 5) != 0 || ua[30] < '6' ||
            (ua[30] == '6' && (n < 54 || memcmp(ua + 51, "SV1", 3) != 0)));
}

int lb_comp_pick(const struct lb_comp_cfg *c,
                 const uint8_t *buf,
                 const struct http1_msg *m,
                 int *ret_asked)
{
    int best = -1, best_q = 0;
    unsigned i;
    size_t k;

    *ret_asked = 0;
    if (!c || !c->nalgos)
        return -1;
    for (i = 0; i < m->nhdr; i++)
        if (name_is(buf, &m->hdr[i], "user-agent")) {
            if (old_agent(buf + m->hdr[i].val_off, m->hdr[i].val_len))
                return -1;
            break;
        }
    for (i = 0; i < m->nhdr; i++)
        if (name_is(buf, &m->hdr[i], "accept-encoding"))
            pick_value(c, buf + m->hdr[i].val_off, buf + m->hdr[i].val_off + m->hdr[i].val_len,
                       &best, &best_q);
    *ret_asked = best >= 0;
    if (best >= 0)
        return best;
    for (k = 0; k < c->nalgos; k++) /* identity needs no header */
        if (c->algos[k] == LB_COMP_IDENTITY)
            return LB_COMP_IDENTITY;
    return -1;
}

/* ---- response ---- */

static int etag_valid(const uint8_t *v, size_t n)
{
    if (n >= 2 && v[0] == 'W' && v[1] == '/') {
        v += 2;
        n -= 2;
    }
    return n >= 2 && v[0] == '"' && v[n - 1] == '"';
}

static int type_ok(const struct lb_comp_cfg *types, const uint8_t *v, size_t n)
{
    size_t k, tl;

    if (n >= 9 && strncasecmp((const char *)v, "multipart", 9) == 0)
        return 0;
    if (!types || !types->ntypes)
        return 1;
    for (k = 0; k < types->ntypes; k++) {
        tl = strlen(types->types[k]);
        if (n >= tl && strncasecmp((const char *)v, types->types[k], tl) == 0)
            return 1;
    }
    return 0;
}

int lb_comp_response_ok(const struct lb_comp_cfg *types,
                        const uint8_t *buf,
                        const struct http1_msg *m,
                        const struct http1_msg *req)
{
    const struct http1_hdr *h;
    int etags = 0, ctype = 0;
    unsigned i;

    /* HTTP/1.1 both ways: the compressed body goes out chunked, which a 1.0
     * client cannot read. HEAD has no body; HAProxy keeps to 200-203 (204 and
     * 304 have no body, 206 ranges count uncompressed bytes) and to bodies
     * framed by Content-Length or chunked. */
    if (m->version != 1 || req->version != 1 || req->method == HTTP1_M_HEAD || m->status < 200 ||
        m->status > 203 || (m->body != HTTP1_BODY_CL && m->body != HTTP1_BODY_CHUNKED))
        return 0;
    for (i = 0; i < m->nhdr; i++) {
        h = &m->hdr[i];
        if (name_is(buf, h, "content-encoding"))
            return 0;
        /* RFC 9110 section 7.7: no-transform forbids a proxy to change the content;
         * an already encoded body is left as it is; several ETags or a malformed one
         * could not be made weak consistently. */
        if (name_is(buf, h, "cache-control") &&
            http1_list_has(buf + h->val_off, h->val_len, "no-transform", 12))
            return 0;
        if (name_is(buf, h, "etag") && (++etags > 1 || !etag_valid(buf + h->val_off, h->val_len)))
            return 0;
        if (name_is(buf, h, "content-type") && !ctype++ &&
            !type_ok(types, buf + h->val_off, h->val_len))
            return 0;
    }
    /* no Content-Type while the config lists types: not compressed */
    return ctype || !types || !types->ntypes;
}

static int line_is(const char *l, size_t n, const char *name)
{
    size_t nl = strlen(name);

    return n > nl && l[nl] == ':' && strncasecmp(l, name, nl) == 0;
}

/* The compressed length is unknown ahead, hence chunked framing and no
 * Content-Length. A strong ETag names these exact bytes, which change: it
 * becomes weak (RFC 9110 section 8.8.1). Vary: Accept-Encoding tells caches
 * the body depends on that field. */
int lb_comp_edit_head(char *head, size_t len, size_t cap, int algo)
{
    char *p = head, *end = head + len, *eol;
    size_t n, o = 0;
    int te = 0;
    char add[128];
    int al;

    /* in place: lines only shrink (Content-Length goes) or grow by "W/"
     * (moved with memmove), additions go before the final empty line */
    while (p < end && (eol = memmem(p, (size_t)(end - p), "\r\n", 2)) && eol != p) {
        n = (size_t)(eol - p) + 2;
        if (line_is(p, n, "content-length")) {
            memmove(p, p + n, (size_t)(end - p) - n);
            end -= n;
            continue;
        }
        te |= line_is(p, n, "transfer-encoding");
        if (line_is(p, n, "etag")) {
            char *v = p + 5;

            while (*v == ' ' || *v == '\t')
                v++;
            if (*v == '"') { /* a strong ETag becomes weak, as HAProxy makes it */
                if ((size_t)(end - head) + 2 > cap)
                    return -ENOSPC;
                memmove(v + 2, v, (size_t)(end - v));
                memcpy(v, "W/", 2);
                end += 2;
                n += 2;
            }
        }
        p += n;
    }
    o = (size_t)(p - head); /* the final empty line */
    al = snprintf(add, sizeof(add), "%sVary: Accept-Encoding\r\n%s%s%s\r\n",
                  te ? "" : "Transfer-Encoding: chunked\r\n",
                  algo == LB_COMP_IDENTITY ? "" : "Content-Encoding: ",
                  algo == LB_COMP_IDENTITY ? "" : algo_names[algo].ua,
                  algo == LB_COMP_IDENTITY ? "" : "\r\n");
    if (al < 0 || (size_t)(end - head) + (size_t)al - 2 > cap)
        return -ENOSPC;
    memmove(head + o + (size_t)al - 2, head + o, (size_t)(end - head) - o);
    memcpy(head + o, add, (size_t)al - 2);
    return (int)((size_t)(end - head) + (size_t)al - 2);
}

/* ---- body ---- */

struct lb_comp_stream {
    z_stream zs;
    int algo;
    int fed;      /* input given since the last flush */
    int flushing; /* a flush (or the finish) needs more output room */
    int finished; /* deflate said Z_STREAM_END */
    int done;     /* the terminating chunk is written */
};

struct lb_comp_stream *lb_comp_stream_new(int algo)
{
    struct lb_comp_stream *z = calloc(1, sizeof(*z));
    /* zlib's windowBits picks the wrapper: +16 a gzip header and trailer,
     * negative no wrapper (raw deflate), plain a zlib stream ("deflate" of
     * RFC 9110 section 8.4.1.2). memLevel 8 is zlib's default. */
    int bits = algo == LB_COMP_GZIP          ? MAX_WBITS + 16
               : algo == LB_COMP_RAW_DEFLATE ? -MAX_WBITS
                                             : MAX_WBITS;

    if (!z)
        return NULL;
    z->algo = algo;
    if (algo != LB_COMP_IDENTITY &&
        deflateInit2(&z->zs, 1, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(z);
        return NULL;
    }
    return z;
}

struct lb_comp_stream *lb_comp_stream_free(struct lb_comp_stream *z)
{
    if (!z)
        return NULL;
    if (z->algo != LB_COMP_IDENTITY)
        deflateEnd(&z->zs);
    free(z);
    return NULL;
}

int lb_comp_stream_done(const struct lb_comp_stream *z)
{
    return z->done;
}

/* One deflate() call into out[0, room). Returns bytes produced or -EIO. */
static int deflate_into(struct lb_comp_stream *z,
                        const uint8_t *in,
                        size_t inlen,
                        int final,
                        char *out,
                        size_t room,
                        size_t *ret_in)
{
    int mode = final ? Z_FINISH : inlen ? Z_NO_FLUSH : Z_SYNC_FLUSH, r;

    if (z->algo == LB_COMP_IDENTITY) {
        size_t n = LK_MIN(inlen, room);

        memcpy(out, in, n);
        *ret_in = n;
        z->finished = final && n == inlen;
        return (int)n;
    }
    /* A sync flush with nothing fed since the last one would still emit an empty
     * stored block (a few bytes) per call: skip it. */
    if (mode == Z_SYNC_FLUSH && !z->fed && !z->flushing)
        return 0;
    z->zs.next_in = (Bytef *)(uintptr_t)in;
    z->zs.avail_in = (uInt)inlen;
    z->zs.next_out = (Bytef *)out;
    z->zs.avail_out = (uInt)room;
    r = deflate(&z->zs, mode);
    /* Z_BUF_ERROR only says no progress was possible (no input or no room), a
     * normal state between calls; anything else is a broken stream. */
    if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
        return -EIO;
    *ret_in = inlen - z->zs.avail_in;
    z->fed = inlen ? 1 : mode == Z_NO_FLUSH ? z->fed : 0;
    z->flushing = mode != Z_NO_FLUSH && z->zs.avail_out == 0;
    z->finished = r == Z_STREAM_END;
    return (int)(room - z->zs.avail_out);
}

int lb_comp_stream_step(struct lb_comp_stream *z,
                        const uint8_t *in,
                        size_t inlen,
                        int final,
                        struct lb_comp_chunk *c)
{
    /* The data is compressed straight to out + hdr and the chunk size line
     * written backwards in front of it once the size is known: no second copy. */
    const size_t hdr = 10; /* "%x\r\n" fits: cap is at most a few MB */
    char *out = c->buf, sz[16];
    size_t used = 0;
    int n, hl;

    c->used = c->off = c->len = 0;
    if (z->done)
        return 1;
    if (!z->finished) {
        /* room for the size line, the CRLF after the data and the "0" chunk */
        n = deflate_into(z, in, inlen, final, out + hdr, c->cap - hdr - 2 - 5, &c->used);
        if (n < 0)
            return n;
        if (n > 0) {
            hl = snprintf(sz, sizeof(sz), "%x\r\n", (unsigned)n);
            memcpy(out + hdr - (size_t)hl, sz, (size_t)hl);
            memcpy(out + hdr + (size_t)n, "\r\n", 2);
            c->off = hdr - (size_t)hl;
            used = (size_t)hl + (size_t)n + 2;
        }
    }
    if (z->finished) {
        if (!used)
            c->off = hdr;
        memcpy(out + c->off + used, "0\r\n\r\n", 5);
        used += 5;
        z->done = 1;
    }
    c->len = used;
    return z->done;
}
