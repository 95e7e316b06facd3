/* http1.c - HTTP/1.1 head parser and chunked framing; see http1.h. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "proto/http1.h"

/* A chunk size line with extensions, or a trailer line, longer than this is
 * refused: without a bound, a peer could make the scanner walk an endless
 * extension one byte per call. */
#define CHUNK_LINE_MAX 4096u

/* RFC 9110 5.6.2 tchar. */
static const uint8_t tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1,
    ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1,  ['~'] = 1, ['0'] = 1,
    ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,  ['7'] = 1, ['8'] = 1,
    ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1,  ['F'] = 1, ['G'] = 1,
    ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1,  ['N'] = 1, ['O'] = 1,
    ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,  ['V'] = 1, ['W'] = 1,
    ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1,  ['d'] = 1, ['e'] = 1,
    ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1,  ['l'] = 1, ['m'] = 1,
    ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1,  ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static const char *const method_names[HTTP1_M_MAX] = {
    [HTTP1_M_OTHER] = "OTHER",     [HTTP1_M_GET] = "GET",         [HTTP1_M_HEAD] = "HEAD",
    [HTTP1_M_POST] = "POST",       [HTTP1_M_PUT] = "PUT",         [HTTP1_M_DELETE] = "DELETE",
    [HTTP1_M_OPTIONS] = "OPTIONS", [HTTP1_M_CONNECT] = "CONNECT", [HTTP1_M_TRACE] = "TRACE",
    [HTTP1_M_PATCH] = "PATCH",
};

static const struct {
    const char *name;
    uint8_t len, id;
} known_hdrs[] = {
    {"connection", 10, HTTP1_H_CONNECTION},
    {"content-length", 14, HTTP1_H_CONTENT_LENGTH},
    {"transfer-encoding", 17, HTTP1_H_TRANSFER_ENCODING},
    {"host", 4, HTTP1_H_HOST},
    {"upgrade", 7, HTTP1_H_UPGRADE},
    {"expect", 6, HTTP1_H_EXPECT},
    {"keep-alive", 10, HTTP1_H_KEEP_ALIVE},
    {"proxy-connection", 16, HTTP1_H_PROXY_CONNECTION},
    {"te", 2, HTTP1_H_TE},
    {"trailer", 7, HTTP1_H_TRAILER},
    {"cookie", 6, HTTP1_H_COOKIE},
};

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Case-insensitive on both sides. */
static int ieq2(const uint8_t *a, const char *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (lower(a[i]) != lower((unsigned char)b[i]))
            return 0;
    return 1;
}

/* b is lower case already. */
static int ieq(const uint8_t *a, const char *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (lower(a[i]) != (unsigned char)b[i])
            return 0;
    return 1;
}

const char *http1_method_name(enum http1_method m)
{
    return (unsigned)m < HTTP1_M_MAX ? method_names[m] : "OTHER";
}

int http1_method_idempotent(enum http1_method m)
{
    return m == HTTP1_M_GET || m == HTTP1_M_HEAD || m == HTTP1_M_PUT || m == HTTP1_M_DELETE ||
           m == HTTP1_M_OPTIONS || m == HTTP1_M_TRACE;
}

void http1_msg_init(struct http1_msg *m, uint32_t max, uint32_t in_flags)
{
    /* only the fixed part: hdr[] is written as headers are found */
    memset(m, 0, offsetof(struct http1_msg, hdr));
    m->max = max;
    m->in_flags = in_flags;
}

/* Every refusal records the status to answer and the offset of the offending
 * byte (for "show errors"), then returns the negative errno, so callers never
 * have to guess which status an error deserves. */
static int fail(struct http1_msg *m, uint16_t status, size_t off, int err)
{
    m->err_status = status;
    m->err_off = (uint32_t)off;
    return err;
}

/* ---- finding the end of the head ---- */

/* Skip empty lines before a request line (RFC 9112 2.2 SHOULD). */
static size_t skip_empty_lines(const uint8_t *buf, size_t len)
{
    size_t i = 0;

    while (i < len) {
        if (buf[i] == '\n')
            i++;
        else if (buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n')
            i += 2;
        else
            break;
    }
    return i;
}

/* Resume the search for the empty line ending the head. Returns the head
 * length, 0 if not there yet, or a negative errno when over m->max. */
/* Incremental: m->scan remembers how far a previous call looked, so a head
 * arriving in many small reads is scanned once in total, not once per read. A
 * bare LF ends a line as well as CRLF (RFC 9112 2.2 allows it). The status
 * for a head too long distinguishes a first line that never ended (414 for
 * requests) from too many fields (431). */
static int find_end(const uint8_t *buf, size_t len, struct http1_msg *m, uint16_t long_line)
{
    const uint8_t *lf;
    size_t p = m->scan > m->start ? m->scan : m->start, lim = len;

    if (lim > (size_t)m->max)
        lim = m->max;
    while (p < lim && (lf = memchr(buf + p, '\n', lim - p))) {
        p = (size_t)(lf - buf);
        if (!m->first_lf)
            m->first_lf = (uint32_t)(p + 1);
        if (p + 1 < lim && buf[p + 1] == '\n')
            return (int)(p + 2);
        if (p + 2 < lim && buf[p + 1] == '\r' && buf[p + 2] == '\n')
            return (int)(p + 3);
        if (p + 2 >= lim) /* too few bytes after this LF to decide */
            break;
        p++;
    }
    m->scan = (uint32_t)p;
    if (len < (size_t)m->max)
        return 0;
    if (!m->first_lf)
        return fail(m, long_line, m->max, -E2BIG);
    return fail(m, 431, m->max, -E2BIG);
}

/* ---- start lines ---- */

/* "HTTP/1.x" at buf[p]: returns the minor version, or -1 (malformed) or -2
 * (well-formed but not 1.0/1.1). */
static int parse_version(const uint8_t *buf, size_t p, size_t end)
{
    if (end - p != 8 || memcmp(buf + p, "HTTP/", 5) != 0)
        return -1;
    if (buf[p + 5] < '0' || buf[p + 5] > '9' || buf[p + 6] != '.' || buf[p + 7] < '0' ||
        buf[p + 7] > '9')
        return -1;
    if (buf[p + 5] != '1' || buf[p + 7] > '1')
        return -2;
    return buf[p + 7] - '0';
}

/* End of the line starting at p (position of its CR or LF); the line end
 * was already found, so a LF exists before `end`. A CR not followed by LF
 * is an error (-1). */
static long line_end(const uint8_t *buf, size_t p, size_t end, size_t *next)
{
    const uint8_t *lf = memchr(buf + p, '\n', end - p);
    size_t e;

    if (!lf)
        return -1;
    e = (size_t)(lf - buf);
    *next = e + 1;
    if (e > p && buf[e - 1] == '\r')
        e--;
    return (long)e;
}

static uint8_t method_id(const uint8_t *s, size_t n)
{
    unsigned i;

    for (i = 1; i < HTTP1_M_MAX; i++)
        if (strlen(method_names[i]) == n && memcmp(method_names[i], s, n) == 0)
            return (uint8_t)i;
    return HTTP1_M_OTHER;
}

static int parse_request_line(const uint8_t *buf, size_t p, size_t e, struct http1_msg *m)
{
    size_t q = p;
    int v;

    while (q < e && tchar[buf[q]])
        q++;
    if (q == p || q >= e || buf[q] != ' ' || q - p > 64)
        return fail(m, 400, q, -EBADMSG);
    m->meth_off = (uint32_t)p;
    m->meth_len = (uint16_t)(q - p);
    m->method = method_id(buf + p, q - p);
    p = ++q;
    /* request-target: visible ASCII only; no CTL, SP or obs-text */
    while (q < e && buf[q] > 0x20 && buf[q] < 0x7f)
        q++;
    if (q == p || q >= e || buf[q] != ' ')
        return fail(m, 400, q, -EBADMSG);
    m->uri_off = (uint32_t)p;
    m->uri_len = (uint32_t)(q - p);
    v = parse_version(buf, q + 1, e);
    if (v == -2)
        return fail(m, 505, q + 1, -EBADMSG);
    if (v < 0)
        return fail(m, 400, q + 1, -EBADMSG);
    m->version = (uint8_t)v;
    if (m->method == HTTP1_M_CONNECT)
        return fail(m, 501, p, -ENOTSUP);
    return 0;
}

static int parse_status_line(const uint8_t *buf, size_t p, size_t e, struct http1_msg *m)
{
    size_t q;
    int v;

    if (e - p < 12 || buf[p + 8] != ' ')
        return fail(m, 502, p, -EBADMSG);
    v = parse_version(buf, p, p + 8);
    if (v < 0)
        return fail(m, 502, p, -EBADMSG);
    m->version = (uint8_t)v;
    for (q = p + 9; q < p + 12; q++)
        if (buf[q] < '0' || buf[q] > '9')
            return fail(m, 502, q, -EBADMSG);
    m->status = (uint16_t)((buf[p + 9] - '0') * 100 + (buf[p + 10] - '0') * 10 + buf[p + 11] - '0');
    if (m->status < 100 || m->status > 599)
        return fail(m, 502, p + 9, -EBADMSG);
    q = p + 12;
    if (q < e && buf[q++] != ' ') /* "HTTP/1.1 200\r\n" (no reason) is tolerated */
        return fail(m, 502, q, -EBADMSG);
    m->reason_off = (uint32_t)q;
    m->reason_len = (uint32_t)(e - q);
    for (; q < e; q++)
        if ((buf[q] < 0x20 && buf[q] != '\t') || buf[q] == 0x7f)
            return fail(m, 502, q, -EBADMSG);
    return 0;
}

/* ---- header fields ---- */

static uint8_t hdr_id(const uint8_t *name, size_t n)
{
    size_t i;

    for (i = 0; i < sizeof(known_hdrs) / sizeof(known_hdrs[0]); i++)
        if (known_hdrs[i].len == n && ieq(name, known_hdrs[i].name, n))
            return known_hdrs[i].id;
    return HTTP1_H_OTHER;
}

/* The next element of the comma-separated list v[0, n) from *i on, blanks
 * around it trimmed: [*s, *e), empty after a trailing comma. 0 once *i has
 * reached n. */
static int list_next(const uint8_t *v, size_t n, size_t *i, size_t *s, size_t *e)
{
    size_t k = *i, b;

    if (k >= n)
        return 0;
    while (k < n && (v[k] == ' ' || v[k] == '\t' || v[k] == ','))
        k++;
    b = k;
    while (k < n && v[k] != ',')
        k++;
    *i = k;
    while (k > b && (v[k - 1] == ' ' || v[k - 1] == '\t'))
        k--;
    *s = b;
    *e = k;
    return 1;
}

int http1_list_has(const uint8_t *v, size_t len, const char *tok, size_t tok_len)
{
    size_t i = 0, s, e;

    while (list_next(v, len, &i, &s, &e))
        if (e - s == tok_len && ieq2(v + s, tok, tok_len))
            return 1;
    return 0;
}

/* Content-Length: 1*DIGIT only. One header, no list (smuggling). */
/* At most 18 digits, so the value cannot overflow 64 bits; a second Content-
 * Length header, even with the same value, is refused because two parsers may
 * pick different ones (RFC 9112 6.3 allows rejecting). */
static int on_content_length(const uint8_t *v,
                             size_t n,
                             struct http1_msg *m,
                             uint16_t bad,
                             size_t off)
{
    uint64_t cl = 0;
    size_t i;

    if ((m->flags & HTTP1_F_HAS_CL) || n == 0 || n > 18)
        return fail(m, bad, off, -EBADMSG);
    for (i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return fail(m, bad, off, -EBADMSG);
        cl = cl * 10 + (uint64_t)(v[i] - '0');
    }
    m->flags |= HTTP1_F_HAS_CL;
    m->content_length = cl;
    return 0;
}

/* Transfer-Encoding: a list of codings of which chunked must be the last
 * and appear once. Unknown codings in a request are 501. The result is
 * left in m->body: CHUNKED when chunked is last, EOF otherwise. Forms that
 * some parsers read as chunked and others do not are refused, as HAProxy
 * does: empty list elements (",chunked", "chunked,"), parameters on chunked
 * ("chunked;q=1", "chunked ;") and quoted strings (a quoted comma splits the
 * list differently in a naive parser). The value is forwarded as is, so
 * what is accepted here must mean the same thing to every reader. */
static int on_transfer_encoding(const uint8_t *v,
                                size_t n,
                                struct http1_msg *m,
                                int is_req,
                                size_t off)
{
    static const char *const known[] = {"gzip", "x-gzip", "deflate", "compress", "x-compress"};
    uint16_t bad = is_req ? 400 : 502;
    size_t i = 0, s, e, k;

    if (n == 0 || memchr(v, '"', n))
        return fail(m, bad, off, -EBADMSG);
    while (i <= n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t'))
            i++;
        s = i;
        while (i < n && tchar[v[i]])
            i++;
        e = i;
        if (e == s || m->body == HTTP1_BODY_CHUNKED) /* empty, or after chunked */
            return fail(m, bad, off, -EBADMSG);
        while (i < n && (v[i] == ' ' || v[i] == '\t'))
            i++;
        if (e - s == 7 && ieq(v + s, "chunked", 7)) {
            if (i < n && v[i] != ',') /* parameters or junk after chunked */
                return fail(m, bad, off, -EBADMSG);
            m->body = HTTP1_BODY_CHUNKED;
        } else {
            for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
                if (strlen(known[k]) == e - s && ieq(v + s, known[k], e - s))
                    break;
            if (k == sizeof(known) / sizeof(known[0]) && is_req)
                return fail(m, 501, off, -ENOTSUP);
            if (i < n && v[i] != ',' && v[i] != ';')
                return fail(m, bad, off, -EBADMSG);
            while (i < n && v[i] != ',') /* coding parameters, no quotes */
                i++;
            m->body = HTTP1_BODY_EOF;
        }
        i++; /* past the comma, or past the end */
    }
    m->flags |= HTTP1_F_HAS_TE;
    return 0;
}

static void on_connection(const uint8_t *v, size_t n, struct http1_msg *m)
{
    size_t i = 0, s, e;

    while (list_next(v, n, &i, &s, &e)) {
        if (e == s)
            continue;
        if (e - s == 5 && ieq(v + s, "close", 5))
            m->flags |= HTTP1_F_CONN_CLOSE;
        else if (e - s == 10 && ieq(v + s, "keep-alive", 10))
            m->flags |= HTTP1_F_CONN_KA;
        else if (e - s == 7 && ieq(v + s, "upgrade", 7))
            m->flags |= HTTP1_F_CONN_UPGRADE;
        else
            m->flags |= HTTP1_F_CONN_OTHER;
    }
}

static int on_header(const uint8_t *buf, struct http1_hdr *h, struct http1_msg *m, int is_req)
{
    const uint8_t *v = buf + h->val_off;
    uint16_t bad = is_req ? 400 : 502;

    switch (h->id) {
    case HTTP1_H_CONTENT_LENGTH:
        return on_content_length(v, h->val_len, m, bad, h->name_off);
    case HTTP1_H_TRANSFER_ENCODING:
        if (m->body == HTTP1_BODY_EOF && is_req) /* two TE headers, first not chunked */
            return fail(m, 400, h->name_off, -EBADMSG);
        return on_transfer_encoding(v, h->val_len, m, is_req, h->name_off);
    case HTTP1_H_CONNECTION:
        on_connection(v, h->val_len, m);
        break;
    case HTTP1_H_HOST:
        m->nhost++;
        break;
    case HTTP1_H_UPGRADE:
        m->flags |= HTTP1_F_UPGRADE;
        break;
    case HTTP1_H_EXPECT:
        if (h->val_len == 12 && ieq(v, "100-continue", 12))
            m->flags |= HTTP1_F_EXPECT_100;
        break;
    default:
        break;
    }
    return 0;
}

/* One field line buf[p, e): name ":" OWS value OWS. */
static int parse_field(const uint8_t *buf, size_t p, size_t e, struct http1_msg *m, int is_req)
{
    uint16_t bad = is_req ? 400 : 502;
    struct http1_hdr *h;
    size_t q = p, vs, ve;

    if (buf[p] == ' ' || buf[p] == '\t') /* obs-fold */
        return fail(m, bad, p, -EBADMSG);
    while (q < e && tchar[buf[q]])
        q++;
    /* no name, whitespace before the colon, or a non-token byte */
    if (q == p || q >= e || buf[q] != ':' || q - p > 0xffff)
        return fail(m, bad, q, -EBADMSG);
    vs = q + 1;
    while (vs < e && (buf[vs] == ' ' || buf[vs] == '\t'))
        vs++;
    for (ve = vs; ve < e; ve++)
        if ((buf[ve] < 0x20 && buf[ve] != '\t') || buf[ve] == 0x7f)
            return fail(m, bad, ve, -EBADMSG); /* NUL, CR, other CTLs */
    while (ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
        ve--;
    if (m->nhdr >= HTTP1_MAX_HDRS)
        return fail(m, is_req ? 431 : 502, p, -E2BIG);
    h = &m->hdr[m->nhdr++];
    h->name_off = (uint32_t)p;
    h->name_len = (uint16_t)(q - p);
    h->val_off = (uint32_t)vs;
    h->val_len = (uint32_t)(ve - vs);
    h->id = hdr_id(buf + p, q - p);
    return on_header(buf, h, m, is_req);
}

/* Every line from p to the empty line ending at head_len. */
static int parse_fields(const uint8_t *buf, size_t p, struct http1_msg *m, int is_req)
{
    size_t next;
    long e;
    int r;

    for (;;) {
        e = line_end(buf, p, m->head_len, &next);
        if (e < 0 || memchr(buf + p, '\r', (size_t)e - p))
            return fail(m, is_req ? 400 : 502, p, -EBADMSG); /* bare CR */
        if ((size_t)e == p)
            return 0; /* the empty line */
        r = parse_field(buf, p, (size_t)e, m, is_req);
        if (r < 0)
            return r;
        p = next;
    }
}

/* Start line + fields of a complete head. */
static int parse_head(const uint8_t *buf, struct http1_msg *m, int is_req)
{
    size_t next;
    long e;
    int r;

    e = line_end(buf, m->start, m->head_len, &next);
    if (e < 0 || memchr(buf + m->start, '\r', (size_t)e - m->start))
        return fail(m, is_req ? 400 : 502, m->start, -EBADMSG);
    if (is_req)
        r = parse_request_line(buf, m->start, (size_t)e, m);
    else
        r = parse_status_line(buf, m->start, (size_t)e, m);
    if (r < 0)
        return r;
    return parse_fields(buf, next, m, is_req);
}

/* RFC 9112 6.1-6.3 for requests: how long is the body. */
/* Transfer-Encoding together with Content-Length is the classic request
 * smuggling vector (RFC 9112 6.1): refused, never resolved in favour of one.
 * TE in HTTP/1.0 is refused too, as 1.0 has no chunked coding. A Content-
 * Length of 0 means no body, like none. */
/* An HTTP/1.1 request without Host is accepted, as HAProxy 2.6 accepts it
 * (RFC 9112 3.2 asks for a 400, but HAProxy's users and its reg-tests send
 * such requests); several Host fields stay refused. */
static int request_framing(struct http1_msg *m)
{
    if (m->nhost > 1)
        return fail(m, 400, m->start, -EBADMSG);
    if (m->flags & HTTP1_F_HAS_TE) {
        if ((m->flags & HTTP1_F_HAS_CL) || m->version == 0 || m->body != HTTP1_BODY_CHUNKED)
            return fail(m, 400, m->start, -EBADMSG);
        return 0;
    }
    m->body = (m->flags & HTTP1_F_HAS_CL) && m->content_length ? HTTP1_BODY_CL : HTTP1_BODY_NONE;
    return 0;
}

/* Length of the authority of an absolute-form target ("http://a:80/x"),
 * with *ret_off its offset; 0 for origin-form and asterisk-form. */
static size_t target_authority(const uint8_t *buf, const struct http1_msg *m, size_t *ret_off)
{
    const uint8_t *u = buf + m->uri_off;
    size_t n = m->uri_len, i = 0, a;

    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
    while (i < n &&
           ((lower(u[i]) >= 'a' && lower(u[i]) <= 'z') ||
            (i && ((u[i] >= '0' && u[i] <= '9') || u[i] == '+' || u[i] == '-' || u[i] == '.'))))
        i++;
    if (i == 0 || n - i < 3 || memcmp(u + i, "://", 3) != 0)
        return 0;
    a = i += 3;
    while (i < n && u[i] != '/' && u[i] != '?' && u[i] != '#')
        i++;
    *ret_off = m->uri_off + a;
    return i - a;
}

/* RFC 9112 3.2.2: with an absolute-form target the authority is the host.
 * Rules match on Host while the server may route on the target, so a Host
 * that differs from the authority (or is missing, HTTP/1.0) is refused,
 * as HAProxy does, rather than one of the two being believed. */
static int check_authority(const uint8_t *buf, struct http1_msg *m)
{
    size_t off = 0, n = target_authority(buf, m, &off), hl = 0;
    const uint8_t *h;

    if (!m->uri_len || buf[m->uri_off] == '/' || buf[m->uri_off] == '*')
        return 0;
    /* set-uri may write any text, as in HAProxy ("set-uri concat(...)" is a
     * literal); only a client's target must be origin or absolute form */
    if (!n && (m->in_flags & HTTP1_IN_REWRITE))
        return 0;
    h = http1_hdr_find(m, buf, HTTP1_H_HOST, &hl);
    if (!n || !h || hl != n || !ieq2(h, (const char *)buf + off, n))
        return fail(m, 400, m->uri_off, -EBADMSG);
    return 0;
}

int http1_parse_request(const uint8_t *buf, size_t len, struct http1_msg *m)
{
    int r;

    /* empty lines before the request line may arrive split anywhere, even
     * between a CR and its LF: resume skipping until the line starts */
    if (!m->first_lf && m->start < len && m->start < m->max) {
        m->start +=
            (uint32_t)skip_empty_lines(buf + m->start, (len < m->max ? len : m->max) - m->start);
        if (m->scan < m->start)
            m->scan = m->start;
    }
    r = find_end(buf, len, m, 414);
    if (r <= 0)
        return r;
    m->head_len = (uint32_t)r;
    m->body = HTTP1_BODY_NONE;
    r = parse_head(buf, m, 1);
    if (r == 0)
        r = request_framing(m);
    if (r == 0)
        r = check_authority(buf, m);
    return r < 0 ? r : (int)m->head_len;
}

/* RFC 9112 6.3 for responses. */
/* A response to HEAD, 1xx, 204 and 304 never has a body whatever its headers
 * say (RFC 9112 6.3 rule 1); without TE or CL the body runs to the
 * connection's end. */
static int response_framing(struct http1_msg *m)
{
    int nobody = (m->in_flags & HTTP1_IN_HEAD_REQ) || m->status < 200 || m->status == 204 ||
                 m->status == 304;

    if (m->flags & HTTP1_F_HAS_TE) {
        if ((m->flags & HTTP1_F_HAS_CL) || m->version == 0)
            return fail(m, 502, m->start, -EBADMSG);
    } else if (m->flags & HTTP1_F_HAS_CL) {
        m->body = m->content_length ? HTTP1_BODY_CL : HTTP1_BODY_NONE;
    } else {
        m->body = HTTP1_BODY_EOF;
    }
    if (nobody)
        m->body = HTTP1_BODY_NONE;
    return 0;
}

int http1_parse_response(const uint8_t *buf, size_t len, struct http1_msg *m)
{
    int r;

    r = find_end(buf, len, m, 502);
    if (r < 0)
        m->err_status = 502;
    if (r <= 0)
        return r;
    m->head_len = (uint32_t)r;
    m->body = HTTP1_BODY_NONE;
    r = parse_head(buf, m, 0);
    if (r == 0)
        r = response_framing(m);
    return r < 0 ? r : (int)m->head_len;
}

const uint8_t *http1_hdr_find(const struct http1_msg *m,
                              const uint8_t *buf,
                              enum http1_hdr_id id,
                              size_t *ret_len)
{
    unsigned i;

    for (i = 0; i < m->nhdr; i++)
        if (m->hdr[i].id == id) {
            *ret_len = m->hdr[i].val_len;
            return buf + m->hdr[i].val_off;
        }
    return NULL;
}

const uint8_t *http1_hdr_get(const struct http1_msg *m,
                             const uint8_t *buf,
                             const char *name,
                             size_t name_len,
                             size_t *ret_len)
{
    unsigned i;
    size_t k;

    for (i = 0; i < m->nhdr; i++) {
        const struct http1_hdr *h = &m->hdr[i];

        if (h->name_len != name_len)
            continue;
        for (k = 0; k < name_len; k++)
            if (lower(buf[h->name_off + k]) != lower((unsigned char)name[k]))
                break;
        if (k == name_len) {
            *ret_len = h->val_len;
            return buf + h->val_off;
        }
    }
    return NULL;
}

/* ---- chunked framing ---- */

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (uint8_t)lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* One byte of a size line, extension or trailer. 0, or -EBADMSG. */
/* The size is hexadecimal with extensions after ';' (ignored, but their bytes
 * must be visible characters); whitespace before ';' is tolerated as many
 * servers write it, while a bare LF after the size is not. */
static int chunk_line_byte(struct http1_chunk *c, uint8_t b)
{
    int h;

    if (++c->linelen > CHUNK_LINE_MAX)
        return -EBADMSG;
    switch (c->state) {
    case HTTP1_CH_SIZE:
        h = hexval(b);
        if (h >= 0) {
            /* 15 hex digits: sizes up to 2^60, no overflow */
            if (++c->ndigits > 15)
                return -EBADMSG;
            c->left = c->left * 16 + (uint64_t)h;
            return 0;
        }
        if (c->ndigits == 0)
            return -EBADMSG;
        if (b == ';') {
            c->state = HTTP1_CH_EXT;
            return 0;
        }
        if (b == ' ' || b == '\t') {
            c->state = HTTP1_CH_SIZE_WS;
            return 0;
        }
        if (b != '\r')
            return -EBADMSG;
        c->state = HTTP1_CH_SIZE_LF;
        return 0;
    case HTTP1_CH_SIZE_WS:
        if (b == ';')
            c->state = HTTP1_CH_EXT;
        else if (b != ' ' && b != '\t')
            return -EBADMSG;
        return 0;
    case HTTP1_CH_EXT:
        if (b == '\r')
            c->state = HTTP1_CH_SIZE_LF;
        else if ((b < 0x20 && b != '\t') || b == 0x7f)
            return -EBADMSG;
        return 0;
    default:
        return -EBADMSG;
    }
}

static int chunk_size_done(struct http1_chunk *c)
{
    c->linelen = 0;
    c->ndigits = 0;
    if (c->left == 0) {
        c->state = HTTP1_CH_TRAILER;
        return 0;
    }
    c->state = HTTP1_CH_DATA;
    return 0;
}

/* Trailer lines: "name: value" with no CTL; the final empty line ends it. */
/* Trailer field names must be tokens and each line needs its colon: a request
 * line smuggled in the trailer section ("GET /x HTTP/1.1") is refused rather
 * than skipped. ndigits is reused as a "colon seen" flag. */
static int chunk_trailer_byte(struct http1_chunk *c, uint8_t b)
{
    switch (c->state) {
    case HTTP1_CH_TRAILER:
        if (b == '\r') {
            c->state = HTTP1_CH_FINAL_LF;
            return 0;
        }
        if (!tchar[b] || ++c->ntrailers > HTTP1_MAX_HDRS)
            return -EBADMSG; /* obs-fold, or junk */
        c->linelen = 1;
        c->ndigits = 0; /* in a trailer line: 1 once its colon is seen */
        c->state = HTTP1_CH_TRAILER_IN;
        return 0;
    case HTTP1_CH_TRAILER_IN:
        /* a field line as in a head: token, colon, value without CTL;
         * anything else ("GET /x HTTP/1.1") is not a trailer */
        if (b == '\r') {
            c->state = HTTP1_CH_TRAILER_LF;
            return c->ndigits ? 0 : -EBADMSG;
        }
        if (++c->linelen > CHUNK_LINE_MAX || (b < 0x20 && b != '\t') || b == 0x7f)
            return -EBADMSG;
        if (!c->ndigits && b == ':')
            c->ndigits = 1;
        else if (!c->ndigits && !tchar[b])
            return -EBADMSG;
        return 0;
    case HTTP1_CH_TRAILER_LF:
        if (b != '\n')
            return -EBADMSG;
        c->state = HTTP1_CH_TRAILER;
        return 0;
    case HTTP1_CH_FINAL_LF:
        if (b != '\n')
            return -EBADMSG;
        c->state = HTTP1_CH_DONE;
        return 0;
    default:
        return -EBADMSG;
    }
}

/* Data bytes are skipped in bulk; returns how many were taken. */
static size_t chunk_data(struct http1_chunk *c, size_t avail)
{
    size_t n = c->left < avail ? (size_t)c->left : avail;

    c->left -= n;
    c->total += n;
    if (c->left == 0)
        c->state = HTTP1_CH_DATA_CR;
    return n;
}

/* Walks any number of bytes in any split, one state machine for the whole
 * body; returns the bytes consumed (up to the end of the final trailer line)
 * or -EBADMSG. Data bytes are counted, not copied: the caller forwards the
 * buffer unchanged. */
int http1_chunk_scan(const uint8_t *buf, size_t len, struct http1_chunk *c)
{
    size_t i = 0;
    int r = 0;

    if (len > INT_MAX)
        len = INT_MAX;
    while (i < len && c->state != HTTP1_CH_DONE && r == 0) {
        uint8_t b = buf[i];

        switch (c->state) {
        case HTTP1_CH_DATA:
            i += chunk_data(c, len - i);
            continue;
        case HTTP1_CH_DATA_CR:
            r = b == '\r' ? 0 : -EBADMSG;
            c->state = HTTP1_CH_DATA_LF;
            break;
        case HTTP1_CH_DATA_LF:
            r = b == '\n' ? 0 : -EBADMSG;
            c->state = HTTP1_CH_SIZE;
            break;
        case HTTP1_CH_SIZE_LF:
            r = b == '\n' ? chunk_size_done(c) : -EBADMSG;
            break;
        case HTTP1_CH_SIZE:
        case HTTP1_CH_SIZE_WS:
        case HTTP1_CH_EXT:
            r = chunk_line_byte(c, b);
            break;
        default:
            r = chunk_trailer_byte(c, b);
            break;
        }
        i++;
    }
    return r < 0 ? r : (int)i;
}
