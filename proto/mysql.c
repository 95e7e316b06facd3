/* mysql.c - see mysql.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "proto/mysql.h"

#define MIN_SZ(a, b) ((a) < (b) ? (a) : (b))

#define CLIENT_PROTOCOL_41       0x00000200u
#define CLIENT_SECURE_CONNECTION 0x00008000u
#define CLIENT_PLUGIN_AUTH       0x00080000u

static uint32_t le16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le24(const uint8_t *p)
{
    return le16(p) | (uint32_t)p[2] << 16;
}

int mysql_pkt_header(const uint8_t *buf, size_t len, uint32_t *ret_plen, uint8_t *ret_seq)
{
    if (len < MYSQL_HDR_LEN)
        return -EAGAIN;
    *ret_plen = le24(buf);
    *ret_seq = buf[3];
    return MYSQL_HDR_LEN;
}

int mysql_pkt_peek(const uint8_t *buf, size_t len, int *ret_kind)
{
    uint32_t plen;
    uint8_t seq;

    if (mysql_pkt_header(buf, len, &plen, &seq) < 0)
        return -EAGAIN;
    if (plen == 0)
        return -EBADMSG;
    if (len < MYSQL_HDR_LEN + (size_t)plen)
        return -EAGAIN;
    *ret_kind = buf[MYSQL_HDR_LEN];
    return (int)(MYSQL_HDR_LEN + plen);
}

/* Copy a NUL-terminated string from p (at most end); returns the byte after
 * the NUL, or NULL if there is none. */
static const uint8_t *cstr(const uint8_t *p, const uint8_t *end, char *dst, size_t cap)
{
    const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
    size_t n;

    if (!nul)
        return NULL;
    n = (size_t)(nul - p);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, p, n);
    dst[n] = '\0';
    return nul + 1;
}

int mysql_err_parse(const uint8_t *buf, size_t len, struct mysql_err *e)
{
    const uint8_t *p, *end;
    int kind, total = mysql_pkt_peek(buf, len, &kind);
    size_t n;

    if (total < 0)
        return total;
    if (kind != MYSQL_PKT_ERR || total < MYSQL_HDR_LEN + 3)
        return -EBADMSG;
    p = buf + MYSQL_HDR_LEN + 1;
    end = buf + total;
    memset(e, 0, sizeof(*e));
    e->code = (uint16_t)le16(p);
    p += 2;
    /* after the handshake a '#' and a 5-byte SQL state come first */
    if (end - p >= 6 && *p == '#') {
        memcpy(e->sqlstate, p + 1, 5);
        p += 6;
    }
    n = MIN_SZ((size_t)(end - p), sizeof(e->message) - 1);
    memcpy(e->message, p, n);
    e->message[n] = '\0';
    return total;
}

/* After the version string: fixed fields, then the optional tail. */
static int greeting_tail(const uint8_t *p, const uint8_t *end, struct mysql_greeting *g)
{
    uint8_t auth_len;

    if (end - p < 4 + 8 + 1 + 2)
        return -EBADMSG;
    g->conn_id = le16(p) | le16(p + 2) << 16;
    p += 4 + 8 + 1; /* scramble part 1 and its filler */
    g->caps = le16(p);
    p += 2;
    if (end - p < 1 + 2 + 2 + 1 + 10)
        return 0; /* pre-4.1 servers stop here */
    g->charset = p[0];
    g->status = (uint16_t)le16(p + 1);
    g->caps |= le16(p + 3) << 16;
    auth_len = p[5];
    p += 6 + 10;
    if (g->caps & CLIENT_SECURE_CONNECTION) {
        size_t part2 = auth_len > 8 ? (size_t)auth_len - 8 : 13;

        if (part2 < 13)
            part2 = 13;
        if ((size_t)(end - p) < part2)
            return -EBADMSG;
        p += part2;
    }
    if ((g->caps & CLIENT_PLUGIN_AUTH) && p < end &&
        !cstr(p, end, g->auth_plugin, sizeof(g->auth_plugin)))
        /* some servers omit the final NUL: take the rest */
        snprintf(g->auth_plugin, sizeof(g->auth_plugin), "%.*s", (int)(end - p), (const char *)p);
    return 0;
}

int mysql_greeting_parse(const uint8_t *buf,
                         size_t len,
                         struct mysql_greeting *g,
                         struct mysql_err *e)
{
    const uint8_t *p, *end;
    uint32_t plen;
    uint8_t seq;
    int kind, total, r;

    if (mysql_pkt_header(buf, len, &plen, &seq) < 0)
        return -EAGAIN;
    if (seq != 0 || plen == 0 || plen > MYSQL_GREETING_MAX)
        return -EBADMSG;
    total = mysql_pkt_peek(buf, len, &kind);
    if (total < 0)
        return total;
    if (kind == MYSQL_PKT_ERR)
        return mysql_err_parse(buf, len, e) < 0 ? -EBADMSG : -ECONNREFUSED;
    if (kind != MYSQL_PKT_GREETING)
        return -EBADMSG;
    memset(g, 0, sizeof(*g));
    g->protocol = (uint8_t)kind;
    p = buf + MYSQL_HDR_LEN + 1;
    end = buf + total;
    p = cstr(p, end, g->version, sizeof(g->version));
    if (!p)
        return -EBADMSG;
    r = greeting_tail(p, end, g);
    return r < 0 ? r : total;
}

int mysql_check_login(uint8_t *out, size_t cap, const char *user)
{
    size_t ulen = strlen(user), plen = 4 + 4 + 1 + 23 + ulen + 1 + 1;
    uint32_t caps = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION;
    uint8_t *p = out;

    if (ulen == 0 || ulen > 32)
        return -EINVAL;
    if (cap < MYSQL_HDR_LEN + plen + 5)
        return -ENOSPC;
    *p++ = (uint8_t)plen;
    *p++ = 0;
    *p++ = 0;
    *p++ = 1; /* answers the greeting, sequence 0 */
    *p++ = (uint8_t)caps;
    *p++ = (uint8_t)(caps >> 8);
    *p++ = 0;
    *p++ = 0;
    memcpy(p, "\x00\x00\x00\x01", 4); /* max packet 16 MiB */
    p += 4;
    *p++ = 33; /* utf8mb3_general_ci, as HAProxy */
    memset(p, 0, 23);
    p += 23;
    memcpy(p, user, ulen + 1);
    p += ulen + 1;
    *p++ = 0;                             /* no password */
    memcpy(p, "\x01\x00\x00\x00\x01", 5); /* COM_QUIT, sequence 0 */
    p += 5;
    return (int)(p - out);
}
