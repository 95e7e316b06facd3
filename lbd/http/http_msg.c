/* http_msg.c - head rewriting; see http_msg.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lbd/http/http_msg.h"

void lb_wb_put(struct lb_wb *w, const void *s, size_t n)
{
    /* Compared as n > cap - len, never len + n > cap: the sum could wrap. Once
     * over, later smaller pieces must not fit in the gap and splice a truncated
     * head together. */
    if (w->over || n > w->cap - w->len) {
        w->over = 1;
        return;
    }
    if (n == 0) /* an empty body may come as NULL: memcpy must not see it */
        return;
    memcpy(w->p + w->len, s, n);
    w->len += n;
}

#define wb  lb_wb
#define put lb_wb_put

#define PUTS(w, lit) put((w), (lit), sizeof(lit) - 1)

/* Is this field named by a Connection field (so hop-by-hop)?
 * RFC 9110 section 7.6.1: a field named in Connection is hop-by-hop for this
 * one link. The parser flags a Connection field with a token other than
 * close/keep-alive/upgrade (HTTP1_F_CONN_OTHER), so the usual message skips
 * this scan per field. */
static int named_by_connection(const uint8_t *buf,
                               const struct http1_msg *m,
                               const struct http1_hdr *h)
{
    unsigned i;

    if (!(m->flags & HTTP1_F_CONN_OTHER))
        return 0;
    for (i = 0; i < m->nhdr; i++)
        if (m->hdr[i].id == HTTP1_H_CONNECTION &&
            http1_list_has(buf + m->hdr[i].val_off, m->hdr[i].val_len,
                           (const char *)buf + h->name_off, h->name_len))
            return 1;
    return 0;
}

/* TE and Upgrade are hop-by-hop too (RFC 9110 sections 10.1.4 and 7.8);
 * Upgrade is passed on only for an upgrade the proxy lets through, which then
 * also sends its own "Connection: upgrade". Proxy-Connection is no standard
 * field but old clients send it, and a server must never act on it. */
static int hop_by_hop(const uint8_t *buf,
                      const struct http1_msg *m,
                      const struct http1_hdr *h,
                      int upgrade)
{
    switch (h->id) {
    case HTTP1_H_CONNECTION:
    case HTTP1_H_KEEP_ALIVE:
    case HTTP1_H_PROXY_CONNECTION:
    case HTTP1_H_TE:
        return 1;
    case HTTP1_H_UPGRADE:
        return !upgrade;
    case HTTP1_H_OTHER:
        return named_by_connection(buf, m, h);
    default:
        return 0;
    }
}

static void put_field(struct wb *w, const uint8_t *buf, const struct http1_hdr *h)
{
    put(w, buf + h->name_off, h->name_len);
    PUTS(w, ": ");
    put(w, buf + h->val_off, h->val_len);
    PUTS(w, "\r\n");
}

/* Cookie field without the cookie `name` (indirect persistence: the server
 * must not see lbd's own cookie). Pairs are split on ';' as RFC 6265 section
 * 5.4 writes them; the name must be followed by '=', so a cookie whose name
 * merely starts with `name` is kept. Names compare case-sensitively, as
 * cookie names do. A field left empty is dropped whole rather than sent
 * an empty "Cookie: ". */
static void put_cookie_without(struct wb *w,
                               const uint8_t *buf,
                               const struct http1_hdr *h,
                               const char *name,
                               size_t nl)
{
    const uint8_t *v = buf + h->val_off, *end = v + h->val_len, *s, *e;
    size_t start = w->len;
    int n = 0;

    put(w, buf + h->name_off, h->name_len);
    PUTS(w, ": ");
    for (s = v; s < end; s = e + 1) {
        while (s < end && (*s == ' ' || *s == '\t'))
            s++;
        e = memchr(s, ';', (size_t)(end - s));
        if (!e)
            e = end;
        if ((size_t)(e - s) > nl && memcmp(s, name, nl) == 0 && s[nl] == '=')
            continue;
        if (e == s)
            continue;
        if (n++)
            PUTS(w, "; ");
        put(w, s, (size_t)(e - s));
    }
    if (n == 0 && !w->over)
        w->len = start; /* nothing left: drop the field */
    else
        PUTS(w, "\r\n");
}

static void put_fields(struct wb *w,
                       const uint8_t *buf,
                       const struct http1_msg *m,
                       int upgrade,
                       const char *drop_cookie,
                       size_t dcl,
                       const char *drop,
                       const char *drop_sc,
                       size_t dsl)
{
    unsigned i;

    for (i = 0; i < m->nhdr; i++) {
        const struct http1_hdr *h = &m->hdr[i];

        if (hop_by_hop(buf, m, h, upgrade))
            continue;
        /* compression offload removes Accept-Encoding so the server sends the body
         * uncompressed and lbd compresses it */
        if (drop && h->name_len == strlen(drop) &&
            strncasecmp((const char *)buf + h->name_off, drop, h->name_len) == 0)
            continue;
        /* cookie insert: the server's own Set-Cookie of the persistence name
         * goes, lbd's replaces it (one cookie per Set-Cookie field) */
        if (drop_sc && h->name_len == 10 &&
            strncasecmp((const char *)buf + h->name_off, "set-cookie", 10) == 0 &&
            h->val_len > dsl && memcmp(buf + h->val_off, drop_sc, dsl) == 0 &&
            buf[h->val_off + dsl] == '=')
            continue;
        if (h->id == HTTP1_H_COOKIE && drop_cookie)
            put_cookie_without(w, buf, h, drop_cookie, dcl);
        else
            put_field(w, buf, h);
    }
}

/* A field the proxy adds: "NAME: VALUE\r\n" (`name` ends with ": "). */
static void add_field(struct wb *w, const char *name, const char *value)
{
    put(w, name, strlen(name));
    put(w, value, strlen(value));
    PUTS(w, "\r\n");
}

/* The proxy's own Connection field, if the exchange needs one. */
static void put_connection(struct wb *w, int upgrade, int close, int ka)
{
    if (upgrade)
        PUTS(w, "Connection: upgrade\r\n");
    else if (close)
        PUTS(w, "Connection: close\r\n");
    else if (ka)
        PUTS(w, "Connection: keep-alive\r\n");
}

/* A proxy sends its own HTTP version, not the client's (RFC 9110 section
 * 2.5): "HTTP/1.1" for any 1.x request from 1.1 on, "HTTP/1.0" for 1.0, so a
 * 1.0 client's request keeps 1.0 semantics (no chunked body to it).
 * The fields lbd adds come after the client's, X-Forwarded-For last, as
 * HAProxy appends them: a server that takes the last X-Forwarded-For value
 * gets the address lbd saw. */
int lb_http_build_request(char *out,
                          size_t cap,
                          const uint8_t *buf,
                          const struct http1_msg *m,
                          const struct lb_req_edit *e)
{
    struct wb w = {out, 0, cap, 0};
    char ip[LK_ADDR_STRLEN];

    put(&w, buf + m->meth_off, m->meth_len);
    PUTS(&w, " ");
    put(&w, buf + m->uri_off, m->uri_len);
    if (m->version)
        PUTS(&w, " HTTP/1.1\r\n");
    else
        PUTS(&w, " HTTP/1.0\r\n");
    put_fields(&w, buf, m, e->upgrade, e->drop_cookie, e->drop_cookie_len, e->drop_field, NULL, 0);
    /* HTTP/1.0 closes unless told otherwise: HAProxy sends no "close" then,
     * and a server that logs or routes on the field sees what it saw before */
    put_connection(&w, e->upgrade, e->conn_close && m->version, e->conn_ka);
    if (e->uid_field && e->uid)
        add_field(&w, e->uid_field, e->uid);
    if (e->xff) {
        lk_addr_ip_str(e->xff, ip, sizeof(ip));
        add_field(&w, e->xff_name ? e->xff_name : "X-Forwarded-For: ", ip);
    }
    if (e->xot) { /* after X-Forwarded-For, as HAProxy adds them */
        lk_addr_ip_str(e->xot, ip, sizeof(ip));
        add_field(&w, e->xot_name ? e->xot_name : "X-Original-To: ", ip);
    }
    PUTS(&w, "\r\n");
    return w.over ? -ENOSPC : (int)w.len;
}

int lb_http_build_response(char *out,
                           size_t cap,
                           const uint8_t *buf,
                           const struct http1_msg *m,
                           const struct lb_rsp_edit *e)
{
    struct wb w = {out, 0, cap, 0};
    char sl[16];

    /* The status line takes the caller's version (e->version) and m's status;
     * the reason phrase is the server's, kept as HAProxy keeps it. */
    snprintf(sl, sizeof(sl), "HTTP/1.%d %03u", e->version ? 1 : 0, m->status);
    put(&w, sl, strlen(sl));
    PUTS(&w, " ");
    put(&w, buf + m->reason_off, m->reason_len);
    PUTS(&w, "\r\n");
    put_fields(&w, buf, m, e->upgrade, NULL, 0, NULL, e->drop_setcookie, e->drop_setcookie_len);
    if (e->set_cookie) {
        add_field(&w, "Set-Cookie: ", e->set_cookie);
        /* cookie ... nocache: a shared cache must not store a response that sets
         * a persistence cookie, or it would pin every client to one server */
        if (e->nocache)
            PUTS(&w, "Cache-Control: private\r\n");
    }
    put_connection(&w, e->upgrade, e->conn_close, e->conn_ka);
    PUTS(&w, "\r\n");
    return w.over ? -ENOSPC : (int)w.len;
}

const uint8_t *lb_http_cookie_find(const uint8_t *buf,
                                   const struct http1_msg *m,
                                   const char *name,
                                   size_t nl,
                                   size_t *ret_len)
{
    const uint8_t *v, *end, *s, *e;
    unsigned i;

    for (i = 0; i < m->nhdr; i++) {
        if (m->hdr[i].id != HTTP1_H_COOKIE)
            continue;
        v = buf + m->hdr[i].val_off;
        end = v + m->hdr[i].val_len;
        for (s = v; s < end; s = e + 1) {
            while (s < end && (*s == ' ' || *s == '\t'))
                s++;
            e = memchr(s, ';', (size_t)(end - s));
            if (!e)
                e = end;
            if ((size_t)(e - s) > nl && memcmp(s, name, nl) == 0 && s[nl] == '=') {
                const uint8_t *ve = e;

                /* Trailing blanks before ';' are not part of the value. The first match
                 * wins, over all Cookie fields. */
                while (ve > s + nl + 1 && (ve[-1] == ' ' || ve[-1] == '\t'))
                    ve--;
                *ret_len = (size_t)(ve - s) - nl - 1;
                return s + nl + 1;
            }
        }
    }
    return NULL;
}
