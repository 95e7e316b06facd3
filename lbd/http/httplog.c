/* httplog.c - see httplog.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lbd/core/tlog.h"
#include "lbd/http/httplog.h"

/* The request line as HAProxy logs it (its url_encode_map): control
 * characters, DEL and above, '"' and '#' become "#XX", so a client cannot
 * end the quoted field or forge log lines. Returns the length written. */
size_t lb_httplog_escape(char *dst, size_t room, const char *src, size_t n, const char *more)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i, o = 0;

    for (i = 0; i < n && o + 4 <= room; i++) {
        unsigned char c = (unsigned char)src[i];

        if (c < 0x20 || c >= 0x7f || c == '"' || c == '#' || (c && strchr(more, c))) {
            dst[o++] = '#';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 15];
        } else {
            dst[o++] = (char)c;
        }
    }
    return o;
}

/* One " {a|b}" group. '{', '|' and '}' are escaped inside values too, so a
 * header value cannot close the group early or add a fake field for a log
 * parser. The output stays NUL-terminated within len at every step. */
static size_t block(char *out, size_t at, size_t len, const char *const *v, size_t n)
{
    size_t i;

    if (n == 0 || at + 3 >= len)
        return at;
    out[at++] = ' ';
    out[at++] = '{';
    for (i = 0; i < n && at + 2 < len; i++) {
        if (i)
            out[at++] = '|';
        if (v[i])
            at += lb_httplog_escape(out + at, len - at - 2, v[i], strlen(v[i]), "{|}");
    }
    out[at++] = '}';
    out[at] = '\0';
    return at;
}

size_t lb_httplog_captures(char *out,
                           size_t len,
                           const char *const *req,
                           size_t nreq,
                           const char *const *rsp,
                           size_t nrsp)
{
    size_t at;

    if (len == 0)
        return 0;
    out[0] = '\0';
    at = block(out, 0, len, req, nreq);
    return block(out, at, len, rsp, nrsp);
}

size_t lb_httplog_format(char *buf, size_t len, const struct lb_httplog_rec *r)
{
    /* Room for LB_HTTPLOG_REQLINE_MAX bytes escaped at 3 each: escaping stops
     * when rl is full, which is how a longer request line is cut. */
    char rl[LB_HTTPLOG_REQLINE_MAX * 3 + 4];
    size_t rl_len =
        r->reqline ? lb_httplog_escape(rl, sizeof(rl), r->reqline, r->reqline_len, "") : 0;
    size_t h = lb_tlog_head(buf, len, r->sess.client, r->date_wall_us);
    int n;

    /* '+' before Ta and the byte count marks figures that are not final
     * (option logasap), as HAProxy writes them. */
    n = snprintf(buf + h, len - h,
                 LB_TLOG_NAMES_FMT " %lld/%lld/%lld/%lld/%s%lld %d "
                                   "%s%llu - - %c%c%c%c " LB_TLOG_CONNS_FMT "%s \"%.*s\"",
                 LB_TLOG_NAMES_ARGS(&r->sess), (long long)r->tr, (long long)r->tw, (long long)r->tc,
                 (long long)r->trsp, r->sess.asap ? "+" : "", (long long)r->ta, r->status,
                 r->sess.asap ? "+" : "", (unsigned long long)r->bytes, r->term[0], r->term[1],
                 r->term[2], r->term[3], LB_TLOG_CONNS_ARGS(&r->sess),
                 r->captures ? r->captures : "", (int)rl_len, rl);
    return h + lb_tlog_clamp(n, len - h);
}
