/* mysql.h - the few MySQL/MariaDB wire packets a health check reads and
 * writes (pure): the server greeting (HandshakeV10), ERR and OK packets,
 * and the login + COM_QUIT that HAProxy's "option mysql-check user U"
 * sends. This is not a client: the galera probe uses MariaDB Connector/C.
 *
 * A packet is a 3-byte little-endian payload length, a sequence id and the
 * payload. Parsers take (buf, len) holding the stream from its start and
 * return the bytes of the packet consumed, -EAGAIN when more bytes are
 * needed, or -EBADMSG when the bytes cannot be what was expected. */
#ifndef MYSQL_PROTO_H
#define MYSQL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define MYSQL_HDR_LEN      4
#define MYSQL_MAX_PAYLOAD  0xffffffu
#define MYSQL_VERSION_MAX  64
#define MYSQL_PLUGIN_MAX   64
#define MYSQL_MESSAGE_MAX  256
#define MYSQL_GREETING_MAX 4096

/* Packet kinds by first payload byte. */
enum mysql_pkt {
    MYSQL_PKT_OK = 0x00,
    MYSQL_PKT_GREETING = 0x0a, /* protocol version 10 */
    MYSQL_PKT_EOF = 0xfe,
    MYSQL_PKT_ERR = 0xff,
};

struct mysql_greeting {
    uint8_t protocol;
    char version[MYSQL_VERSION_MAX];
    uint32_t conn_id;
    uint32_t caps; /* lower and upper capability flags */
    uint8_t charset;
    uint16_t status;
    char auth_plugin[MYSQL_PLUGIN_MAX]; /* "" when absent */
};

struct mysql_err {
    uint16_t code;    /* 1045 access denied, 1040 too many connections, ... */
    char sqlstate[6]; /* "" when the packet has none (pre-auth errors) */
    char message[MYSQL_MESSAGE_MAX];
};

/* Header of the packet at buf: payload length and sequence id. Returns 4,
 * or -EAGAIN. */
int mysql_pkt_header(const uint8_t *buf, size_t len, uint32_t *ret_plen, uint8_t *ret_seq);

/* Whole packet available? Returns its total size (header included) and the
 * first payload byte in *ret_kind, or -EAGAIN; -EBADMSG for an empty
 * payload. */
int mysql_pkt_peek(const uint8_t *buf, size_t len, int *ret_kind);

/* The server's first packet. A greeting fills *g; an ERR packet (a server
 * refusing this host, or one with too many connections, speaks ERR instead
 * of greeting) returns -ECONNREFUSED and fills *e. A first packet must have
 * sequence id 0 and a plausible size (MYSQL_GREETING_MAX), so that a server
 * speaking another protocol is told apart at once (-EBADMSG) instead of
 * waiting for 16 MiB that never come. */
int mysql_greeting_parse(const uint8_t *buf,
                         size_t len,
                         struct mysql_greeting *g,
                         struct mysql_err *e);

/* An ERR packet. Returns the packet size or -EAGAIN / -EBADMSG. */
int mysql_err_parse(const uint8_t *buf, size_t len, struct mysql_err *e);

/* HAProxy's check login (post-4.1): HandshakeResponse41 with CLIENT_PROTOCOL_41
 * | CLIENT_SECURE_CONNECTION, the user name and an empty password, followed
 * by COM_QUIT. Writes at most `cap` bytes into out; returns the length, or
 * -ENOSPC / -EINVAL (user empty or longer than 32 bytes). */
int mysql_check_login(uint8_t *out, size_t cap, const char *user);

#endif
