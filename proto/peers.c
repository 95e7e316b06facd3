/* peers.c - HAProxy's peers protocol; see peers.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/peers.h"

/* The encoding of each data type HAProxy 2.x knows, by wire number: what
 * an update carries for it. A receiver must know all of them, even the ones
 * its table does not keep, to step over their values. */
static const struct {
    uint8_t enc, array;
} dt_enc[PEERS_DT_MAX] = {
    [0] = {PEERS_ENC_INT, 0},   /* server_id */
    [1] = {PEERS_ENC_INT, 0},   /* gpt0 */
    [2] = {PEERS_ENC_INT, 0},   /* gpc0 */
    [3] = {PEERS_ENC_FRQP, 0},  /* gpc0_rate */
    [4] = {PEERS_ENC_INT, 0},   /* conn_cnt */
    [5] = {PEERS_ENC_FRQP, 0},  /* conn_rate */
    [6] = {PEERS_ENC_INT, 0},   /* conn_cur */
    [7] = {PEERS_ENC_INT, 0},   /* sess_cnt */
    [8] = {PEERS_ENC_FRQP, 0},  /* sess_rate */
    [9] = {PEERS_ENC_INT, 0},   /* http_req_cnt */
    [10] = {PEERS_ENC_FRQP, 0}, /* http_req_rate */
    [11] = {PEERS_ENC_INT, 0},  /* http_err_cnt */
    [12] = {PEERS_ENC_FRQP, 0}, /* http_err_rate */
    [13] = {PEERS_ENC_INT, 0},  /* bytes_in_cnt */
    [14] = {PEERS_ENC_FRQP, 0}, /* bytes_in_rate */
    [15] = {PEERS_ENC_INT, 0},  /* bytes_out_cnt */
    [16] = {PEERS_ENC_FRQP, 0}, /* bytes_out_rate */
    [17] = {PEERS_ENC_INT, 0},  /* gpc1 */
    [18] = {PEERS_ENC_FRQP, 0}, /* gpc1_rate */
    [19] = {PEERS_ENC_DICT, 0}, /* server_key */
    [20] = {PEERS_ENC_INT, 0},  /* http_fail_cnt */
    [21] = {PEERS_ENC_FRQP, 0}, /* http_fail_rate */
    [22] = {PEERS_ENC_INT, 1},  /* gpt array */
    [23] = {PEERS_ENC_INT, 1},  /* gpc array */
    [24] = {PEERS_ENC_FRQP, 1}, /* gpc_rate array */
};

int peers_dt_enc(unsigned dt, int *is_array)
{
    if (dt >= PEERS_DT_MAX)
        return -1;
    *is_array = dt_enc[dt].array;
    return dt_enc[dt].enc;
}

/* ---- integers ----
 * Below 240 a value is its own byte. Above, the first byte holds the low 4
 * bits with the top nibble set, and each next byte 7 more bits, bit 7
 * saying another follows; each step subtracts the range the shorter forms
 * already cover, so every value has exactly one encoding. */

size_t peers_varint_put(uint8_t *out, uint64_t v)
{
    size_t n = 0;

    if (v < 240) {
        out[0] = (uint8_t)v;
        return 1;
    }
    out[n++] = (uint8_t)(v | 0xf0);
    v = (v - 240) >> 4;
    while (v >= 128) {
        out[n++] = (uint8_t)(v | 0x80);
        v = (v - 128) >> 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

int peers_varint_get(const uint8_t *buf, size_t len, uint64_t *ret)
{
    uint64_t v;
    unsigned shift = 4;
    size_t i = 1;

    if (len == 0)
        return 0;
    v = buf[0];
    if (v < 240) {
        *ret = v;
        return 1;
    }
    for (;;) {
        if (i >= len)
            return 0;
        /* the tenth byte already reaches bit 67: anything longer is not a
         * 64-bit value */
        if (i >= PEERS_VARINT_MAX)
            return -EBADMSG;
        v += (uint64_t)buf[i] << shift;
        shift += 7;
        if (buf[i++] < 128)
            break;
    }
    *ret = v;
    return (int)i;
}

/* A cursor over message data: every read checks what is left, so a short
 * or lying message ends in -EBADMSG and never reads past len. */
struct rd {
    const uint8_t *p;
    size_t left;
    int bad;
};

static uint64_t rd_int(struct rd *r)
{
    uint64_t v = 0;
    int n = r->bad ? -1 : peers_varint_get(r->p, r->left, &v);

    if (n <= 0) {
        r->bad = 1;
        return 0;
    }
    r->p += n;
    r->left -= (size_t)n;
    return v;
}

static const uint8_t *rd_bytes(struct rd *r, size_t n)
{
    const uint8_t *p = r->p;

    if (r->bad || n > r->left) {
        r->bad = 1;
        return NULL;
    }
    r->p += n;
    r->left -= n;
    return p;
}

static uint32_t rd_u32(struct rd *r)
{
    const uint8_t *p = rd_bytes(r, 4);

    return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

/* A writer into a bounded buffer: overflow is remembered and reported once
 * at the end instead of after every field. */
struct wr {
    uint8_t *p;
    size_t cap, n;
    int full;
};

static void wr_int(struct wr *w, uint64_t v)
{
    uint8_t tmp[PEERS_VARINT_MAX];
    size_t n = peers_varint_put(tmp, v);

    if (w->n + n > w->cap) {
        w->full = 1;
        return;
    }
    memcpy(w->p + w->n, tmp, n);
    w->n += n;
}

static void wr_bytes(struct wr *w, const void *b, size_t n)
{
    if (w->n + n > w->cap) {
        w->full = 1;
        return;
    }
    if (n)
        memcpy(w->p + w->n, b, n);
    w->n += n;
}

static void wr_u32(struct wr *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

    wr_bytes(w, b, 4);
}

/* Messages are built with their data first, after room for the longest
 * header (2 bytes + an encoded 32-bit length), then the header is written
 * in front and the data moved up to it. */
#define HDR_ROOM (2 + 5)

static int wr_finish(struct wr *w, uint8_t type)
{
    uint8_t hdr[HDR_ROOM];
    size_t dlen, hl;

    if (w->full || w->n < HDR_ROOM)
        return -ENOSPC;
    dlen = w->n - HDR_ROOM;
    hdr[0] = PEERS_CLASS_STKT;
    hdr[1] = type;
    hl = 2 + peers_varint_put(hdr + 2, dlen);
    memmove(w->p + hl, w->p + HDR_ROOM, dlen);
    memcpy(w->p, hdr, hl);
    return (int)(hl + dlen);
}

static void wr_start(struct wr *w, uint8_t *out, size_t cap)
{
    w->p = out;
    w->cap = cap;
    w->n = HDR_ROOM;
    w->full = cap < HDR_ROOM;
}

/* ---- handshake ---- */

int peers_hello_build(uint8_t *out, size_t cap, const char *to, const char *from, long pid)
{
    int n = snprintf((char *)out, cap, "%s %d.%d\n%s\n%s %ld 1\n", PEERS_PROTO_NAME,
                     PEERS_VER_MAJOR, PEERS_VER_MINOR, to, from, pid);

    return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

/* One line ending in LF (an optional CR before it is dropped) copied as a
 * string into line. Returns its length with the LF, 0 when there is no LF
 * yet, -EPROTO when it would not fit. */
static int get_line(const uint8_t *buf, size_t len, char *line, size_t cap)
{
    const uint8_t *lf = memchr(buf, '\n', len < cap ? len : cap);
    size_t n;

    if (!lf)
        return len >= cap ? -EPROTO : 0;
    n = (size_t)(lf - buf);
    if (n && buf[n - 1] == '\r')
        n--;
    memcpy(line, buf, n);
    line[n] = '\0';
    return (int)(lf - buf) + 1;
}

static int parse_version(const char *s, struct peers_hello *h)
{
    char *e;
    unsigned long maj, min;

    if (strncmp(s, PEERS_PROTO_NAME " ", sizeof(PEERS_PROTO_NAME)) != 0)
        return -EPROTO;
    s += sizeof(PEERS_PROTO_NAME);
    if (*s < '0' || *s > '9')
        return -EPROTONOSUPPORT;
    maj = strtoul(s, &e, 10);
    if (*e != '.' || e[1] < '0' || e[1] > '9')
        return -EPROTONOSUPPORT;
    min = strtoul(e + 1, &e, 10);
    if (*e || maj != PEERS_VER_MAJOR || min > PEERS_VER_MINOR)
        return -EPROTONOSUPPORT;
    h->major = (unsigned)maj;
    h->minor = (unsigned)min;
    return 0;
}

/* "NAME PID RELPID": only the name is required to be there (HAProxy reads
 * nothing else of the line). */
static int parse_from(const char *s, struct peers_hello *h)
{
    const char *sp = strchr(s, ' ');
    size_t n;

    if (!sp || sp == s || (size_t)(sp - s) >= PEERS_NAME_MAX)
        return -EPROTO;
    n = (size_t)(sp - s);
    memcpy(h->from, s, n);
    h->from[n] = '\0';
    h->pid = strtol(sp + 1, NULL, 10);
    return 0;
}

int peers_hello_parse(const uint8_t *buf, size_t len, struct peers_hello *h, int *ret_status)
{
    char line[PEERS_NAME_MAX + 64];
    size_t off = 0;
    int n, r, i;

    for (i = 0; i < 3; i++) {
        /* the called name must fit in h->to; the caller's line also holds pids */
        n = get_line(buf + off, len - off, line, i == 1 ? PEERS_NAME_MAX : sizeof(line));
        if (n <= 0) {
            *ret_status = PEERS_ST_ERRPROTO;
            return n;
        }
        off += (size_t)n;
        r = 0;
        if (i == 0)
            r = parse_version(line, h);
        else if (i == 1)
            memcpy(h->to, line, strlen(line) + 1);
        else
            r = parse_from(line, h);
        if (r < 0) {
            *ret_status = r == -EPROTONOSUPPORT ? PEERS_ST_ERRVERSION : PEERS_ST_ERRPROTO;
            return r;
        }
    }
    return (int)off;
}

int peers_status_parse(const uint8_t *buf, size_t len, int *code)
{
    char line[16];
    char *e;
    long v;
    int n = get_line(buf, len, line, sizeof(line));

    if (n <= 0)
        return n;
    v = strtol(line, &e, 10);
    if (e == line || *e || v < 0 || v > 999)
        return -EPROTO;
    *code = (int)v;
    return n;
}

/* ---- framing ---- */

int peers_msg_parse(const uint8_t *buf, size_t len, struct peers_msg *m)
{
    uint64_t dlen;
    int n;

    if (len < 2)
        return 0;
    m->cls = buf[0];
    m->type = buf[1];
    m->data = NULL;
    m->len = 0;
    if (buf[1] < 0x80)
        return 2;
    n = peers_varint_get(buf + 2, len - 2, &dlen);
    if (n <= 0)
        return n;
    if (dlen > PEERS_MSG_MAX)
        return -EMSGSIZE;
    if (len - 2 - (size_t)n < dlen)
        return 0;
    m->data = dlen ? buf + 2 + n : NULL;
    m->len = (size_t)dlen;
    return 2 + n + (int)dlen;
}

size_t peers_msg_short(uint8_t *out, uint8_t cls, uint8_t type)
{
    out[0] = cls;
    out[1] = type;
    return 2;
}

/* ---- table definition ---- */

/* lbd writes only the types it stores: single counters and frequency
 * counters, never arrays or dict entries. */
static int writable(uint64_t data)
{
    unsigned dt;

    for (dt = 0; dt < 64; dt++)
        if ((data & (1ull << dt)) &&
            (dt >= PEERS_DT_MAX || dt_enc[dt].array || dt_enc[dt].enc == PEERS_ENC_DICT))
            return 0;
    return 1;
}

int peers_def_build(uint8_t *out, size_t cap, const struct peers_def *d)
{
    struct wr w;
    unsigned dt;

    if (d->namelen == 0 || d->namelen > PEERS_NAME_MAX || !writable(d->data))
        return -EINVAL;
    wr_start(&w, out, cap);
    wr_int(&w, d->id);
    wr_int(&w, d->namelen);
    wr_bytes(&w, d->name, d->namelen);
    wr_int(&w, d->keytype);
    wr_int(&w, d->keylen);
    wr_int(&w, d->data);
    wr_int(&w, d->expire);
    /* each frequency counter's period, prefixed by its type number */
    for (dt = 0; dt < PEERS_DT_MAX; dt++) {
        if ((d->data & (1ull << dt)) && dt_enc[dt].enc == PEERS_ENC_FRQP) {
            wr_int(&w, dt);
            wr_int(&w, d->period[dt]);
        }
    }
    return wr_finish(&w, PEERS_STKT_DEFINE);
}

/* The parameters after "expire": for each array its type, element count
 * and (frequency counters) period; for each plain frequency counter its
 * type and period. A type number that does not match the bitfield's order
 * is malformed. */
static int def_params(struct rd *r, struct peers_def *d)
{
    unsigned dt;

    for (dt = 0; dt < PEERS_DT_MAX; dt++) {
        if (!(d->data & (1ull << dt)))
            continue;
        if (!dt_enc[dt].array && dt_enc[dt].enc != PEERS_ENC_FRQP)
            continue;
        if (rd_int(r) != dt || r->bad)
            return -EBADMSG;
        if (dt_enc[dt].array) {
            d->nbelem[dt] = rd_int(r);
            if (d->nbelem[dt] > 100)
                return -EBADMSG;
        }
        if (dt_enc[dt].enc == PEERS_ENC_FRQP)
            d->period[dt] = rd_int(r);
    }
    return r->bad ? -EBADMSG : 0;
}

int peers_def_parse(const uint8_t *data, size_t len, struct peers_def *d)
{
    struct rd r = {data, len, 0};

    memset(d, 0, sizeof(*d));
    d->id = rd_int(&r);
    d->namelen = (size_t)rd_int(&r);
    d->name = (const char *)rd_bytes(&r, d->namelen);
    d->keytype = rd_int(&r);
    d->keylen = rd_int(&r);
    d->data = rd_int(&r);
    if (r.bad || d->namelen == 0 || d->namelen > PEERS_NAME_MAX)
        return -EBADMSG;
    /* HAProxy before 1.9 ends the message here (no expire, no periods) */
    if (r.left == 0)
        return d->data >> PEERS_DT_MAX ? -ENOTSUP : 0;
    d->expire = rd_int(&r);
    if (r.bad)
        return -EBADMSG;
    if (d->data >> PEERS_DT_MAX)
        return -ENOTSUP;
    return def_params(&r, d);
}

/* ---- updates ---- */

static void upd_key_build(struct wr *w, const struct peers_def *d, const struct peers_upd *u)
{
    if (d->keytype == PEERS_KT_STR) {
        wr_int(w, u->keylen);
        wr_bytes(w, u->key, u->keylen);
    } else if (d->keytype == PEERS_KT_SINT) {
        wr_bytes(w, u->key, 4);
    } else {
        wr_bytes(w, u->key, (size_t)d->keylen);
    }
}

int peers_upd_build(uint8_t *out, size_t cap, const struct peers_def *d, const struct peers_upd *u)
{
    struct wr w;
    unsigned dt;
    uint8_t type;

    if ((d->keytype == PEERS_KT_STR && u->keylen > PEERS_KEY_MAX) ||
        (d->keytype != PEERS_KT_STR && d->keytype != PEERS_KT_SINT && d->keylen > PEERS_KEY_MAX) ||
        !writable(d->data))
        return -EINVAL;
    wr_start(&w, out, cap);
    if (u->with_id)
        wr_u32(&w, u->id);
    if (u->timed)
        wr_u32(&w, u->exp_ms);
    upd_key_build(&w, d, u);
    for (dt = 0; dt < PEERS_DT_MAX; dt++) {
        if (!(d->data & (1ull << dt)))
            continue;
        if (dt_enc[dt].enc == PEERS_ENC_FRQP) {
            wr_int(&w, u->ago[dt]);
            wr_int(&w, u->curr[dt]);
            wr_int(&w, u->prev[dt]);
        } else {
            wr_int(&w, u->val[dt]);
        }
    }
    type = u->timed ? (u->with_id ? PEERS_STKT_UPDATE_TIMED : PEERS_STKT_INCUPDATE_TIMED)
                    : (u->with_id ? PEERS_STKT_UPDATE : PEERS_STKT_INCUPDATE);
    return wr_finish(&w, type);
}

/* A string key longer than PEERS_KEY_MAX keeps its first bytes (the table
 * keeps fewer anyway); the others must have the length the definition
 * announced. */
static void upd_key_parse(struct rd *r, const struct peers_def *d, struct peers_upd *u)
{
    const uint8_t *p;
    size_t n;

    if (d->keytype == PEERS_KT_STR) {
        n = (size_t)rd_int(r);
        p = rd_bytes(r, n);
        u->keylen = n < PEERS_KEY_MAX ? n : PEERS_KEY_MAX;
    } else {
        n = d->keytype == PEERS_KT_SINT ? 4 : (size_t)d->keylen;
        if (n > PEERS_KEY_MAX) {
            r->bad = 1;
            return;
        }
        p = rd_bytes(r, n);
        u->keylen = n;
    }
    if (p)
        memcpy(u->key, p, u->keylen);
}

/* A value of a type lbd does not keep is read and dropped. */
static void upd_value(struct rd *r, const struct peers_def *d, unsigned dt, struct peers_upd *u)
{
    uint64_t i, n = dt_enc[dt].array ? d->nbelem[dt] : 1;
    size_t blen;

    for (i = 0; i < n && !r->bad; i++) {
        if (dt_enc[dt].enc == PEERS_ENC_DICT) {
            blen = (size_t)rd_int(r);
            rd_bytes(r, blen);
        } else if (dt_enc[dt].enc == PEERS_ENC_FRQP) {
            u->ago[dt] = (uint32_t)rd_int(r);
            u->curr[dt] = (uint32_t)rd_int(r);
            u->prev[dt] = (uint32_t)rd_int(r);
        } else {
            u->val[dt] = rd_int(r);
        }
    }
}

int peers_upd_parse(uint8_t type,
                    const uint8_t *data,
                    size_t len,
                    const struct peers_def *d,
                    struct peers_upd *u)
{
    struct rd r = {data, len, 0};
    unsigned dt;

    u->with_id = type == PEERS_STKT_UPDATE || type == PEERS_STKT_UPDATE_TIMED;
    u->timed = type == PEERS_STKT_UPDATE_TIMED || type == PEERS_STKT_INCUPDATE_TIMED;
    if (u->with_id)
        u->id = rd_u32(&r);
    u->exp_ms = u->timed ? rd_u32(&r) : 0;
    upd_key_parse(&r, d, u);
    for (dt = 0; dt < PEERS_DT_MAX && !r.bad; dt++)
        if (d->data & (1ull << dt))
            upd_value(&r, d, dt, u);
    return r.bad ? -EBADMSG : 0;
}

/* ---- ack, switch ---- */

int peers_ack_build(uint8_t *out, size_t cap, uint64_t table_id, uint32_t update)
{
    struct wr w;

    wr_start(&w, out, cap);
    wr_int(&w, table_id);
    wr_u32(&w, update);
    return wr_finish(&w, PEERS_STKT_ACK);
}

int peers_ack_parse(const uint8_t *data, size_t len, uint64_t *table_id, uint32_t *update)
{
    struct rd r = {data, len, 0};

    *table_id = rd_int(&r);
    *update = rd_u32(&r);
    return r.bad ? -EBADMSG : 0;
}

int peers_switch_build(uint8_t *out, size_t cap, uint64_t table_id)
{
    struct wr w;

    wr_start(&w, out, cap);
    wr_int(&w, table_id);
    return wr_finish(&w, PEERS_STKT_SWITCH);
}

int peers_switch_parse(const uint8_t *data, size_t len, uint64_t *table_id)
{
    struct rd r = {data, len, 0};

    *table_id = rd_int(&r);
    return r.bad ? -EBADMSG : 0;
}
