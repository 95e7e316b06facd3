/* httplog.h - HAProxy's httplog line, one per HTTP request:
 *
 *   CLIENT:PORT [DATE] FRONTEND BACKEND/SERVER TR/Tw/Tc/Tr/Ta STATUS BYTES
 *   - - TERMSTATE AC/FC/BC/SC/RC SQ/BQ [{CAPTURED REQ} {CAPTURED RSP}]
 *   "REQUEST LINE"
 *
 * TERMSTATE is four characters: who ended the transaction and in which
 * phase (as tcplog), then the persistence cookie seen in the request and
 * what was done with Set-Cookie ('-' when no cookie is configured). Times
 * in ms; -1 for a phase never reached. Pure: formatting only. */
#ifndef LB_HTTPLOG_H
#define LB_HTTPLOG_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "lbd/core/tlog.h"

/* Longest request line logged, bytes before escaping. */
#define LB_HTTPLOG_REQLINE_MAX 256

struct lb_httplog_rec {
    struct lb_logsess sess;
    uint64_t date_wall_us; /* when the request started (first byte) */
    int64_t tr, tw, tc, trsp, ta;
    int status;
    uint64_t bytes; /* sent to the client */
    char term[4];
    const char *captures; /* " {req1|req2} {rsp1}" ready to log, or NULL */
    const char *reqline;  /* not NUL-terminated; escaped when logged */
    size_t reqline_len;   /* bytes past LB_HTTPLOG_REQLINE_MAX are not logged */
};

/* The captured values as HAProxy logs them: " {a|b}" per direction that
 * has captures, each value escaped (#XX for control characters, bytes >=
 * 0x7f, '"', '#', '{', '|', '}'). vals[i] NULL: not present. Returns the
 * length written into out (NUL-terminated, truncated to len-1). */
size_t lb_httplog_captures(char *out,
                           size_t len,
                           const char *const *req,
                           size_t nreq,
                           const char *const *rsp,
                           size_t nrsp);

/* Escape n bytes of src into dst[0, room) as HAProxy logs them: control
 * characters, bytes >= 0x7f, '"', '#' and the characters of `more` become
 * "#XX". Stops before a character that does not fit; returns the length. */
size_t lb_httplog_escape(char *dst, size_t room, const char *src, size_t n, const char *more);

/* Format r into buf[0, len) (no newline, NUL-terminated); r and what it
 * points to are only read. The request line is escaped (#XX for control
 * characters, bytes >= 0x7f, '"' and '#'). Returns the length (truncated to
 * len-1). */
size_t lb_httplog_format(char *buf, size_t len, const struct lb_httplog_rec *r);

#endif
