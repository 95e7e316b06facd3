/* peers.h - HAProxy's peers protocol (the one HAProxy 2.x speaks, "HAProxyS
 * 2.1"), which stick tables of several load balancers use to share their
 * entries: the handshake lines, the message framing, and the encoding of
 * table definitions, entry updates and acknowledgements.
 *
 * Wire summary (all of it is read or written here):
 *  - handshake, client to server, three lines:
 *      "HAProxyS 2.1\n" "<name of the peer called>\n" "<own name> <pid> <relpid>\n"
 *    then the server answers one status line "200\n" (or 300/501..504);
 *  - then messages: a class byte, a type byte and, for types >= 128, an
 *    encoded length and that many bytes of data;
 *  - integers in data are HAProxy's variable-length encoding (values below
 *    240 in one byte; peers_varint_put());
 *  - class 0 (control): resync request/finished/partial/confirm,
 *    heartbeat; class 1: protocol error, size limit; class 10 (stick
 *    table): update, incremental update (its id is the previous one + 1),
 *    table definition, table switch, ack, and the "timed" updates that also
 *    carry the entry's remaining lifetime.
 *
 * Pure: no I/O, no clock, no allocation; every decoder takes (buf, len)
 * and returns bytes consumed (> 0), 0 when more bytes are needed, or a
 * negative errno. */
#ifndef LK_PROTO_PEERS_H
#define LK_PROTO_PEERS_H

#include <stddef.h>
#include <stdint.h>

#define PEERS_PROTO_NAME "HAProxyS"
#define PEERS_VER_MAJOR  2
#define PEERS_VER_MINOR  1
#define PEERS_VARINT_MAX 10    /* bytes of the longest encoded 64-bit value */
#define PEERS_MSG_MAX    16384 /* longest message data accepted (HAProxy's bufsize) */
#define PEERS_NAME_MAX   128   /* longest peer or table name */
#define PEERS_KEY_MAX    128   /* longest key carried */
#define PEERS_HELLO_MAX  512   /* longest handshake accepted */

/* Handshake status codes (the server's answer line). */
enum {
    PEERS_ST_SUCCESS = 200,
    PEERS_ST_TRYAGAIN = 300,
    PEERS_ST_ERRPROTO = 501,
    PEERS_ST_ERRVERSION = 502,
    PEERS_ST_ERRHOST = 503, /* the called name is not the server's own */
    PEERS_ST_ERRPEER = 504, /* the caller is not one of the server's peers */
};

enum { PEERS_CLASS_CONTROL = 0, PEERS_CLASS_ERROR = 1, PEERS_CLASS_STKT = 10 };

enum {
    PEERS_CTL_RESYNCREQ = 0,
    PEERS_CTL_RESYNCFINISHED,
    PEERS_CTL_RESYNCPARTIAL,
    PEERS_CTL_RESYNCCONFIRM,
    PEERS_CTL_HEARTBEAT,
};

enum { PEERS_ERR_PROTOCOL = 0, PEERS_ERR_SIZELIMIT = 1 };

enum {
    PEERS_STKT_UPDATE = 0x80,
    PEERS_STKT_INCUPDATE = 0x81,
    PEERS_STKT_DEFINE = 0x82,
    PEERS_STKT_SWITCH = 0x83,
    PEERS_STKT_ACK = 0x84,
    PEERS_STKT_UPDATE_TIMED = 0x85,
    PEERS_STKT_INCUPDATE_TIMED = 0x86,
};

/* Key types as numbered on the wire. */
enum {
    PEERS_KT_SINT = 2, /* 32-bit integer, sent big-endian */
    PEERS_KT_IPV4 = 4,
    PEERS_KT_IPV6 = 5,
    PEERS_KT_STR = 6, /* sent as length + bytes */
    PEERS_KT_BIN = 7, /* keylen bytes */
};

/* Data types by their wire number (HAProxy's stick-table data type ids);
 * 0-16 have the order of lbd's enum lb_stk_data. */
#define PEERS_DT_MAX 25

/* How one data type is encoded: counters one integer, frequency counters
 * three (ms since the current period started, current, previous), dict
 * entries a length-prefixed blob, arrays nbelem of their element. */
enum peers_enc { PEERS_ENC_INT = 0, PEERS_ENC_FRQP, PEERS_ENC_DICT };

/* Returns the encoding of data type dt and whether it is an array
 * (*is_array), or -1 when dt is not a known type. */
int peers_dt_enc(unsigned dt, int *is_array);

/* Write v encoded into out (PEERS_VARINT_MAX bytes of room); returns the
 * bytes written. */
size_t peers_varint_put(uint8_t *out, uint64_t v);

/* Read one encoded integer: bytes consumed, 0 if buf ends inside it,
 * -EBADMSG if it is longer than any 64-bit value. */
int peers_varint_get(const uint8_t *buf, size_t len, uint64_t *ret);

/* ---- handshake ---- */

struct peers_hello {
    unsigned major, minor;
    char to[PEERS_NAME_MAX];   /* the peer name called (line 2) */
    char from[PEERS_NAME_MAX]; /* the caller's own name (line 3) */
    long pid;
};

/* Build the caller's three lines into out (cap bytes). Returns the length,
 * or -ENOSPC. */
int peers_hello_build(uint8_t *out, size_t cap, const char *to, const char *from, long pid);

/* Read the three lines. Returns bytes consumed, 0 when incomplete, or an
 * error whose status code *ret_status says what the server answers:
 * -EPROTO (501: not the protocol, a line too long or malformed) or
 * -EPROTONOSUPPORT (502: another major version, or a newer minor). The
 * name checks (503, 504) are the caller's. */
int peers_hello_parse(const uint8_t *buf, size_t len, struct peers_hello *h, int *ret_status);

/* Read the server's status line: bytes consumed and *code, 0 when
 * incomplete, -EPROTO when it is not a number line. */
int peers_status_parse(const uint8_t *buf, size_t len, int *code);

/* ---- messages ---- */

struct peers_msg {
    uint8_t cls, type;
    const uint8_t *data; /* points into the buffer parsed; NULL when len 0 */
    size_t len;
};

/* Frame one message: bytes consumed (header + data), 0 when incomplete,
 * -EBADMSG for a malformed length, -EMSGSIZE above PEERS_MSG_MAX. */
int peers_msg_parse(const uint8_t *buf, size_t len, struct peers_msg *m);

/* A two-byte message (control or error class) into out: returns 2. */
size_t peers_msg_short(uint8_t *out, uint8_t cls, uint8_t type);

/* What a table definition says. Decoding: name points into the message. */
struct peers_def {
    uint64_t id;      /* the sender's number for the table */
    const char *name; /* not NUL-terminated */
    size_t namelen;
    uint64_t keytype;              /* PEERS_KT_* */
    uint64_t keylen;               /* key bytes (strings: the longest + 1) */
    uint64_t data;                 /* 1 << dt for each data type sent in updates */
    uint64_t expire;               /* ms */
    uint64_t period[PEERS_DT_MAX]; /* frequency counters' period, ms */
    uint64_t nbelem[PEERS_DT_MAX]; /* arrays: elements */
};

/* Encode a whole DEFINE message into out (cap bytes). Returns its length,
 * or -ENOSPC / -EINVAL (name too long, an array or unknown type). */
int peers_def_build(uint8_t *out, size_t cap, const struct peers_def *d);

/* Decode the data of a DEFINE message. Returns 0; -EBADMSG when it is
 * malformed (the connection is then broken, as HAProxy does); -ENOTSUP
 * when it is well formed but describes data lbd cannot follow (an unknown
 * data type): updates for that table are then ignored. */
int peers_def_parse(const uint8_t *data, size_t len, struct peers_def *d);

/* One entry update, both ways. val[dt] for counters; for frequency
 * counters ago[dt] (ms since their current period began), curr[dt] and
 * prev[dt]. Types outside `data` or of array/dict kind are skipped. */
struct peers_upd {
    int with_id; /* an UPDATE (id present) rather than an INCUPDATE */
    uint32_t id;
    int timed; /* carries exp_ms, the entry's remaining lifetime */
    uint32_t exp_ms;
    uint8_t key[PEERS_KEY_MAX];
    size_t keylen; /* strings: bytes received (may exceed what a table keeps) */
    uint64_t val[PEERS_DT_MAX];
    uint32_t ago[PEERS_DT_MAX], curr[PEERS_DT_MAX], prev[PEERS_DT_MAX];
};

/* Encode an update message for a table defined by d (keytype, keylen,
 * data; the array and dict types are refused by peers_def_build so never
 * appear here). Returns its length, or -ENOSPC / -EINVAL (key too long). */
int peers_upd_build(uint8_t *out, size_t cap, const struct peers_def *d, const struct peers_upd *u);

/* Decode the data of an update message of `type` for a table the peer
 * defined as d. Returns 0 or -EBADMSG. u->id is left as is for an
 * incremental update (the caller adds one to the last). */
int peers_upd_parse(uint8_t type,
                    const uint8_t *data,
                    size_t len,
                    const struct peers_def *d,
                    struct peers_upd *u);

/* ACK (table id as the receiver of the updates numbered it, last update
 * id taken) and SWITCH (table id). Builders return the length or -ENOSPC;
 * parsers 0 or -EBADMSG. */
int peers_ack_build(uint8_t *out, size_t cap, uint64_t table_id, uint32_t update);
int peers_ack_parse(const uint8_t *data, size_t len, uint64_t *table_id, uint32_t *update);
int peers_switch_build(uint8_t *out, size_t cap, uint64_t table_id);
int peers_switch_parse(const uint8_t *data, size_t len, uint64_t *table_id);

#endif
