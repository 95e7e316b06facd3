/* http_msg.h - rewriting a parsed head for the other side of the proxy.
 *
 * The head is parsed in place in the reader's buffer (proto/http1.h); the
 * head sent on is rebuilt from those offsets into an output buffer with
 * CRLF line ends and "name: value" fields, without the hop-by-hop fields of
 * RFC 9110 section 7.6.1 (Connection and every field it names, Keep-Alive,
 * Proxy-Connection, TE, Upgrade unless upgrading), plus the fields the
 * proxy adds. Transfer-Encoding and Content-Length are kept: bodies are
 * forwarded with their framing unchanged. Pure functions (no I/O). */
#ifndef LB_HTTP_MSG_H
#define LB_HTTP_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "proto/http1.h"

/* A bounded writer over out[0, cap): once full, everything after is
 * dropped and `over` set, so a builder checks once at the end. */
struct lb_wb {
    char *p;
    size_t len, cap;
    int over;
};

/* Append n bytes of s (borrowed, copied; may be NULL when n is 0) at
 * w->p + w->len, or set w->over and append nothing. No NUL is added. */
void lb_wb_put(struct lb_wb *w, const void *s, size_t n);

struct lb_req_edit {
    int conn_close;            /* add "Connection: close" */
    int conn_ka;               /* add "Connection: keep-alive" (HTTP/1.0 request) */
    int upgrade;               /* keep Upgrade, add "Connection: upgrade" */
    const struct lk_addr *xff; /* add "<xff_name><ip>" when set */
    const char *xff_name;      /* "Name: " (option forwardfor header) */
    const struct lk_addr *xot; /* add "<xot_name><ip>" when set (option originalto) */
    const char *xot_name;
    const char *uid_field; /* unique-id-header: "Name: " to add with uid, or NULL */
    const char *uid;
    const char *drop_cookie; /* remove this cookie from Cookie fields */
    size_t drop_cookie_len;
    const char *drop_field; /* remove fields of this name (compression offload) */
};

struct lb_rsp_edit {
    int conn_close;             /* add "Connection: close" */
    int conn_ka;                /* add "Connection: keep-alive" (HTTP/1.0 client) */
    int upgrade;                /* 101: keep Upgrade, add "Connection: upgrade" */
    int version;                /* minor version of the status line sent */
    const char *set_cookie;     /* whole Set-Cookie value to add, or NULL */
    int nocache;                /* with set_cookie: add "Cache-Control: private" */
    const char *drop_setcookie; /* remove the server's Set-Cookie of this name */
    size_t drop_setcookie_len;
};

/* Rebuild the request head m (parsed from buf) into out[0, cap): request
 * line, the fields kept, then those `e` adds, then the empty line. buf, m
 * and e's strings are only read; out belongs to the caller and is not
 * NUL-terminated. Returns the length, or -ENOSPC if it does not fit (out
 * then holds a partial head). */
int lb_http_build_request(char *out,
                          size_t cap,
                          const uint8_t *buf,
                          const struct http1_msg *m,
                          const struct lb_req_edit *e);

/* Same for a response head: the status line says HTTP/1.e->version with
 * m's status and reason, Set-Cookie and Connection come from e. Returns the
 * length or -ENOSPC. */
int lb_http_build_response(char *out,
                           size_t cap,
                           const uint8_t *buf,
                           const struct http1_msg *m,
                           const struct lb_rsp_edit *e);

/* Value of cookie `name` (name_len bytes, case-sensitive) in the
 * request's Cookie fields: a pointer into buf with *ret_len set, the first
 * match over all fields, or NULL (*ret_len untouched). */
const uint8_t *lb_http_cookie_find(const uint8_t *buf,
                                   const struct http1_msg *m,
                                   const char *name,
                                   size_t name_len,
                                   size_t *ret_len);

#endif
