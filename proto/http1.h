/* http1.h - HTTP/1.1 message heads and chunked framing (RFC 9112), pure.
 *
 * Zero copy: a parsed head is a set of offsets into the caller's buffer; the
 * caller keeps the bytes in place until it has used the result. No I/O, no
 * clock, no globals, no logging: every function is safe to fuzz.
 *
 * Incremental: the caller reads into one buffer and calls the parser again
 * with the longer buffer each time; the search for the end of the head
 * resumes where it stopped (m->scan), so a head that arrives byte by byte
 * costs O(n), and the full parse runs once, when the head is complete.
 *
 * Strictness: everything that lets two parsers disagree on where a message
 * ends (request smuggling) is an error with the status a proxy answers:
 * Content-Length with Transfer-Encoding, several Content-Length headers or
 * a list, a Transfer-Encoding whose last coding is not chunked, obs-fold,
 * whitespace between a field name and its colon, control characters and
 * NUL in fields, a CR not followed by LF, invalid chunk sizes. A bare LF is
 * accepted as a line end in heads (RFC 9112 section 2.2 allows it; heads are
 * rebuilt with CRLF before forwarding), never in chunk framing (forwarded
 * verbatim). */
#ifndef LK_PROTO_HTTP1_H
#define LK_PROTO_HTTP1_H

#include <stddef.h>
#include <stdint.h>

/* HAProxy's tune.http.maxhdr default. */
#define HTTP1_MAX_HDRS 101

enum http1_method {
    HTTP1_M_OTHER = 0,
    HTTP1_M_GET,
    HTTP1_M_HEAD,
    HTTP1_M_POST,
    HTTP1_M_PUT,
    HTTP1_M_DELETE,
    HTTP1_M_OPTIONS,
    HTTP1_M_CONNECT,
    HTTP1_M_TRACE,
    HTTP1_M_PATCH,
    HTTP1_M_MAX
};

/* How the body that follows a head is delimited. */
enum http1_body {
    HTTP1_BODY_NONE = 0, /* no body (or Content-Length: 0) */
    HTTP1_BODY_CL,       /* content_length bytes */
    HTTP1_BODY_CHUNKED,  /* chunked framing, see http1_chunk_scan() */
    HTTP1_BODY_EOF,      /* responses only: until the server closes */
    HTTP1_BODY_MAX
};

/* Header names the proxy acts on, found while parsing. */
enum http1_hdr_id {
    HTTP1_H_OTHER = 0,
    HTTP1_H_CONNECTION,
    HTTP1_H_CONTENT_LENGTH,
    HTTP1_H_TRANSFER_ENCODING,
    HTTP1_H_HOST,
    HTTP1_H_UPGRADE,
    HTTP1_H_EXPECT,
    HTTP1_H_KEEP_ALIVE,
    HTTP1_H_PROXY_CONNECTION,
    HTTP1_H_TE,
    HTTP1_H_TRAILER,
    HTTP1_H_COOKIE,
    HTTP1_H_MAX
};

/* m->flags */
#define HTTP1_F_CONN_CLOSE   (1u << 0) /* Connection: close */
#define HTTP1_F_CONN_KA      (1u << 1) /* Connection: keep-alive */
#define HTTP1_F_CONN_UPGRADE (1u << 2) /* Connection: upgrade */
#define HTTP1_F_UPGRADE      (1u << 3) /* an Upgrade header */
#define HTTP1_F_EXPECT_100   (1u << 4) /* Expect: 100-continue */
#define HTTP1_F_HAS_CL       (1u << 5)
#define HTTP1_F_HAS_TE       (1u << 6)
#define HTTP1_F_CONN_OTHER   (1u << 7) /* Connection names other headers */

/* http1_msg_init() flags */
#define HTTP1_IN_HEAD_REQ (1u << 0) /* the response answers a HEAD request */
#define HTTP1_IN_REWRITE                                                                           \
    (1u << 1) /* a head rebuilt by rules: a target that is                                         \
               * neither origin nor absolute form passes */

struct http1_hdr {
    uint32_t name_off, val_off, val_len;
    uint16_t name_len;
    uint8_t id; /* enum http1_hdr_id */
};

/* One parsed head. Inputs (set by http1_msg_init): max, in_flags. Outputs
 * are valid when a parse function returned > 0; on failure only err_status
 * and err_off are. Offsets are from the start of the caller's buffer. */
struct http1_msg {
    uint32_t max;      /* largest head accepted, bytes */
    uint32_t in_flags; /* HTTP1_IN_* */
    uint32_t scan;     /* where the search for the head's end resumes */
    uint32_t first_lf; /* end of the start line, once seen (0: not yet) */
    uint32_t start;    /* first byte of the start line (after empty lines) */
    uint32_t head_len; /* bytes of the whole head, final empty line included */
    uint32_t flags;    /* HTTP1_F_* */
    uint32_t meth_off, uri_off, uri_len, reason_off, reason_len;
    uint16_t meth_len;
    uint16_t status;     /* responses */
    uint16_t err_status; /* status to answer with when parsing failed */
    uint8_t version;     /* minor version: 0 (HTTP/1.0) or 1 (HTTP/1.1) */
    uint8_t method;      /* enum http1_method */
    uint8_t body;        /* enum http1_body */
    uint16_t nhdr;
    uint16_t nhost;
    uint32_t err_off; /* where the error was found */
    uint64_t content_length;
    struct http1_hdr hdr[HTTP1_MAX_HDRS];
};

/* Prepare m for a new message: heads larger than `max` bytes are refused. */
void http1_msg_init(struct http1_msg *m, uint32_t max, uint32_t in_flags);

/* Parse a request head at the start of buf[0, len). Returns the head's
 * length (> 0) when complete, 0 when more bytes are needed (call again with
 * the same m and a longer buffer holding the same first bytes), or a
 * negative errno with m->err_status set: -EBADMSG (400, 505, 501), or
 * -E2BIG (414 request line too long, 431 head too large or too many
 * headers). */
int http1_parse_request(const uint8_t *buf, size_t len, struct http1_msg *m);

/* Same for a response head; m->err_status is 502 on failure. The body kind
 * accounts for HTTP1_IN_HEAD_REQ, 1xx, 204 and 304. */
int http1_parse_response(const uint8_t *buf, size_t len, struct http1_msg *m);

/* Value of the first header with this id, or NULL; *ret_len its length. The value points into buf
 * (not NUL-terminated) and lives as long as it. */
const uint8_t *http1_hdr_find(const struct http1_msg *m,
                              const uint8_t *buf,
                              enum http1_hdr_id id,
                              size_t *ret_len);

/* Value of the first header named `name` (case-insensitive), or NULL. The value points into buf and
 * lives as long as it. */
const uint8_t *http1_hdr_get(const struct http1_msg *m,
                             const uint8_t *buf,
                             const char *name,
                             size_t name_len,
                             size_t *ret_len);

/* Case-insensitive search of `tok` in a comma-separated list value (both
 * only read): 1 if one element equals it, else 0. */
int http1_list_has(const uint8_t *v, size_t len, const char *tok, size_t tok_len);

/* enum http1_method -> "GET"...; "OTHER" for HTTP1_M_OTHER (a static
 * string). */
const char *http1_method_name(enum http1_method m);

/* True for GET, HEAD, PUT, DELETE, OPTIONS, TRACE (RFC 9110 9.2.2). */
int http1_method_idempotent(enum http1_method m);

/* ---- chunked framing ---- */

enum http1_chunk_state {
    HTTP1_CH_SIZE = 0, /* reading hex digits */
    HTTP1_CH_SIZE_WS,  /* whitespace after the size: ';' must follow */
    HTTP1_CH_EXT,      /* chunk extension, up to CRLF */
    HTTP1_CH_SIZE_LF,  /* CR seen after size line */
    HTTP1_CH_DATA,
    HTTP1_CH_DATA_CR,
    HTTP1_CH_DATA_LF,
    HTTP1_CH_TRAILER,    /* start of a trailer line (or the final CRLF) */
    HTTP1_CH_TRAILER_IN, /* inside a trailer field line */
    HTTP1_CH_TRAILER_LF,
    HTTP1_CH_FINAL_LF,
    HTTP1_CH_DONE,
    HTTP1_CH_MAX
};

struct http1_chunk {
    uint8_t state;   /* enum http1_chunk_state */
    uint8_t ndigits; /* hex digits of the current size */
    uint16_t ntrailers;
    uint32_t linelen; /* bytes of the current size or trailer line */
    uint64_t left;    /* data bytes left in the current chunk */
    uint64_t total;   /* data bytes seen, all chunks */
};

/* Walk chunked framing over the next bytes of a body. Returns how many of
 * the len bytes belong to the chunked body (len, or fewer when the body
 * ends inside buf: then c->state == HTTP1_CH_DONE), or -EBADMSG for
 * invalid framing (bad or oversized chunk size, missing CRLF after data, a
 * control character in an extension or trailer, more than HTTP1_MAX_HDRS
 * trailers or a line over 4096 bytes). Start from a zeroed struct. */
int http1_chunk_scan(const uint8_t *buf, size_t len, struct http1_chunk *c);

#endif
