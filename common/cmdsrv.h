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
    const char *path;   /* a Unix socket path, or a TCP address (lk_cmdsrv_is_tcp) */
    unsigned mode;      /* socket file mode, 0: 0660 */
    uid_t uid;          /* (uid_t)-1: leave as is */
    gid_t gid;          /* (gid_t)-1: leave as is */
    int level;          /* enum lk_cmd_level granted to clients */
    size_t max_out;     /* bytes queued per connection before -ENOBUFS; 0: 4 MiB */
    unsigned idle_ms;   /* close idle non-held connections; 0: 10 s */
    unsigned max_conns; /* open connections at once; more are closed at
                         * once after accept; 0: LK_CMDSRV_MAXCONN */
    int fd;             /* > 0: adopt this listening socket (made by
                         * lk_cmdsrv_listen_fd() in another process, lbd's
                         * master); path is then only a name: never bound,
                         * never unlinked. 0: bind path */
};

/* Default bound on connections per socket: held subscribers that stop
 * reading are dropped by max_out, and this bounds the rest. */
#define LK_CMDSRV_MAXCONN 100

/* Bind and listen. An existing socket file is replaced only if nobody
 * answers on it (a stale file from a crash), never if a live daemon owns
 * it: that is -EADDRINUSE. */
int lk_cmdsrv_start(struct lk_cmdsrv **ret,
                    uv_loop_t *loop,
                    const struct lk_cmdsrv_opts *o,
                    lk_cmd_fn fn,
                    void *ud);

/* Is this socket spec a TCP address ("ipv4@ADDR:PORT", "ADDR:PORT",
 * "*:PORT") rather than a Unix socket path? */
int lk_cmdsrv_is_tcp(const char *path);

/* Make the listening socket lk_cmdsrv_start() would, without serving it:
 * o->path bound with o's mode and owner, the same stale-file rule. The
 * caller owns *ret_fd (non-blocking, close-on-exec) and unlinks the path
 * when done. Returns 0 or a negative errno. */
int lk_cmdsrv_listen_fd(const struct lk_cmdsrv_opts *o, int *ret_fd);

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

/* True once lk_cmdconn_hold() was called: a connection has one holder, so
 * a second "subscribe" must be refused, not hold it again (the first
 * holder would never learn that the connection closed). */
int lk_cmdconn_held(const struct lk_cmdconn *c);

/* Close after the queued output is flushed. Safe to call twice. */
void lk_cmdconn_close(struct lk_cmdconn *c);

/* Close now, dropping queued output: for a client that stopped reading
 * (a flush would never end). Safe to call twice. */
void lk_cmdconn_abort(struct lk_cmdconn *c);

/* Bytes queued but not yet written. */
size_t lk_cmdconn_pending(const struct lk_cmdconn *c);

/* True when the client has had unread output (in our queue or in the
 * kernel's socket buffer) for more than MAX_MS without ever catching up:
 * a subscriber that stopped reading, seen long before the queue fills.
 * Call it each time before writing to a subscriber. */
int lk_cmdconn_stalled(struct lk_cmdconn *c, unsigned max_ms);

/* A subscriber that has not caught up for this long is dropped; a reader
 * that is alive (vrrpd's track_lbd) lags by milliseconds. */
#define LK_CMD_SUB_STALL_MS 8000

/* Subscribers ("subscribe health"): held connections that each get the
 * same lines. One that stops reading is dropped, never waited for (it
 * would hold its fd and buffers for as long as it stays). */
struct lk_cmdsubs {
    struct lk_list list;
    /* drop a subscriber that has not caught up for this long
     * (LK_CMD_SUB_STALL_MS after lk_cmdsubs_init()); 0: only when its
     * output limit is reached */
    unsigned stall_ms;
};

void lk_cmdsubs_init(struct lk_cmdsubs *l);

/* Hold c (lk_cmdconn_hold()) as a subscriber of l: 0, -EALREADY if c
 * already holds a subscription (one per connection), -ENOMEM. */
int lk_cmdsubs_add(struct lk_cmdsubs *l, struct lk_cmdconn *c);

/* Queue buf to every subscriber; one stalled for l->stall_ms or whose
 * output limit is reached is aborted. */
void lk_cmdsubs_send(struct lk_cmdsubs *l, const void *buf, size_t len);

/* Abort every subscriber (the daemon is stopping). */
void lk_cmdsubs_abort(struct lk_cmdsubs *l);

/* HAProxy's error for a command above the socket's level. */
#define LK_CMD_PERMISSION_DENIED "Permission denied\n"

/* Split `line` in place into words (spaces, tabs; backslash escapes the next
 * character). Returns argc (<= max), or -E2BIG. */
int lk_cmd_split(char *line, char **argv, int max);

/* lk_cmd_split() that also groups a '...' or "..." part into one word and
 * removes the quotes (Keepalived's splitting of script command lines).
 * Returns argc (<= max), -E2BIG, or -EINVAL for an unclosed quote. */
int lk_cmd_split_quoted(char *line, char **argv, int max);

/* Parse "user", "operator", "admin". */
int lk_cmd_level_parse(const char *s);

#endif
