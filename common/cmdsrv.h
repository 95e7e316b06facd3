/* cmdsrv.h - line-oriented command server on a Unix socket.
 *
 * Used by all three daemons for their admin sockets, with HAProxy's runtime
 * API framing so one socat habit serves all:
 *  - a line holds one or more commands separated by ';';
 *  - each command's output is followed by one empty line;
 *  - without "prompt", the server answers the first line and closes;
 *  - "prompt" switches to interactive mode: "\n> " after each answer;
 *  - "quit" closes. "set timeout cli N" is answered by the server.
 * A handler may keep a connection open after its command (subscriptions,
 * see lk_cmdconn_hold()); output then goes through lk_cmdconn_write(), which
 * refuses to queue past the connection's output limit so that a slow reader
 * is detected instead of growing memory. */
#ifndef LK_CMDSRV_H
#define LK_CMDSRV_H

#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

#include "common/compiler.h"
#include "common/list.h"

/* HAProxy's access levels. */
enum lk_cmd_level {
    LK_CMD_LEVEL_USER = 0,
    LK_CMD_LEVEL_OPERATOR,
    LK_CMD_LEVEL_ADMIN,
    LK_CMD_LEVEL_MAX
};

struct lk_cmdsrv;
struct lk_cmdconn;

/* Run one command. argv[0] is the first word. Return 0 when the command was
 * known (even if it failed and said so), -ENOENT when unknown (the server
 * answers "Unknown command"). Output goes through lk_cmdconn_printf(). */
typedef int (*lk_cmd_fn)(struct lk_cmdconn *c, int argc, char **argv, void *ud);

/* Called when a held connection closes, so its owner can forget it. */
typedef void (*lk_cmdconn_close_fn)(struct lk_cmdconn *c, void *conn_ud);

struct lk_cmdsrv_opts {
    const char *path;
    unsigned mode;    /* socket file mode, 0: 0660 */
    uid_t uid;        /* (uid_t)-1: leave as is */
    gid_t gid;        /* (gid_t)-1: leave as is */
    int level;        /* enum lk_cmd_level granted to clients */
    size_t max_out;   /* bytes queued per connection before -ENOBUFS; 0: 4 MiB */
    unsigned idle_ms; /* close idle non-held connections; 0: 10 s */
    unsigned maxconn; /* open connections (held ones too); 0: LK_CMDSRV_MAXCONN */
};

/* Default bound on one socket's connections: a client past it is accepted
 * and closed at once, so clients that never read hold at most this many fds
 * and max_out bytes each. */
#define LK_CMDSRV_MAXCONN 64

/* Bind and listen. An existing socket file is replaced only if nobody
 * answers on it (a stale file from a crash), never if a live daemon owns
 * it: that is -EADDRINUSE. */
int lk_cmdsrv_start(struct lk_cmdsrv **ret,
                    uv_loop_t *loop,
                    const struct lk_cmdsrv_opts *o,
                    lk_cmd_fn fn,
                    void *ud);

/* Close the listener and every connection, unlink the socket file. The
 * object is freed once libuv has closed every handle (run the loop). */
void lk_cmdsrv_stop(struct lk_cmdsrv *s);

/* Queue output. Returns 0, or -ENOBUFS when the connection already has
 * max_out bytes queued (the data is not queued), -EPIPE once closing. */
int lk_cmdconn_write(struct lk_cmdconn *c, const void *buf, size_t len);
int lk_cmdconn_printf(struct lk_cmdconn *c, const char *fmt, ...) LK_PRINTF(2, 3);

/* The access level of the socket this client came through. */
int lk_cmdconn_level(const struct lk_cmdconn *c);

/* Keep the connection open after the current command; the holder gets
 * close_fn(c, conn_ud) when it goes away. Further input lines still run as
 * commands. */
void lk_cmdconn_hold(struct lk_cmdconn *c, lk_cmdconn_close_fn close_fn, void *conn_ud);

/* Close after the queued output is flushed. Safe to call twice. */
void lk_cmdconn_close(struct lk_cmdconn *c);

/* Bytes queued but not yet written. */
size_t lk_cmdconn_pending(const struct lk_cmdconn *c);

/* A list of subscribed connections ("subscribe health", "subscribe events"),
 * shared by the daemons so that the lifetime rules live in one place:
 * a connection is in at most one list and at most once (subscribing twice is
 * a no-op), it leaves the list when it closes, and one that has max_out bytes
 * unread is closed instead of growing memory. The list does not own the
 * connections; the server does. */
struct lk_subs {
    struct lk_list head;
};

/* Make `s` an empty list. */
void lk_subs_init(struct lk_subs *s);

/* Hold `c` open and add it to `s`. Returns 1 if it was added, 0 if it was
 * already subscribed (to `s` or another list), -EPIPE if it is closing. */
int lk_subs_add(struct lk_subs *s, struct lk_cmdconn *c);

/* Queue `len` bytes to every subscriber; a subscriber whose output limit is
 * reached is closed (it will not see this or any later line). */
void lk_subs_send(struct lk_subs *s, const void *buf, size_t len);

/* HAProxy's error for a command above the socket's level. */
#define LK_CMD_PERMISSION_DENIED "Permission denied\n"

/* Split `line` in place into words (spaces, tabs; backslash escapes the next
 * character). Returns argc (<= max), or -E2BIG. */
int lk_cmd_split(char *line, char **argv, int max);

/* Parse "user", "operator", "admin". */
int lk_cmd_level_parse(const char *s);

#endif
