/* cmdsrv.c - see cmdsrv.h. */
#include <errno.h>
#include <linux/sockios.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/cmdsrv.h"
#include "common/inbuf.h"
#include "common/list.h"

/* A command line longer than this is refused, not buffered: HAProxy's
 * CLI has a similar bound, and a client that never sends '\n' must not
 * grow the daemon's memory. */
#define LINE_MAX_LEN (64 * 1024)
#define MAX_WORDS    64

/* One listening socket. The connections hang off it (conns) so that
 * lk_cmdsrv_stop() can close them all; each is freed in its own close
 * callback, never by the server. */
struct lk_cmdsrv {
    uv_pipe_t pipe;
    uv_loop_t *loop;
    lk_cmd_fn fn;
    void *ud;
    char *path;
    int level;
    size_t max_out;
    unsigned idle_ms;
    unsigned max_conns, nconns;
    struct lk_list conns;
    int stopping;
};

struct lk_cmdconn {
    uv_pipe_t pipe;
    uv_timer_t idle;
    struct lk_list link;
    struct lk_cmdsrv *srv;
    struct lk_inbuf in; /* the command line being received */
    size_t queued;
    uint64_t caught_up_ms; /* last time the client had read everything */
    int interactive;
    int held;
    int closing;
    int handles; /* open libuv handles; free on the last close */
    unsigned timeout_ms;
    lk_cmdconn_close_fn close_fn;
    void *close_ud;
};

/* One pending write: the bytes are copied in, so callers may pass stack
 * buffers; `queued` sums what is in flight, the bound max_out applies to it. */
struct wreq {
    uv_write_t req;
    struct lk_cmdconn *c;
    size_t len;
    char data[];
};

int lk_cmd_level_parse(const char *s)
{
    if (strcmp(s, "user") == 0)
        return LK_CMD_LEVEL_USER;
    if (strcmp(s, "operator") == 0)
        return LK_CMD_LEVEL_OPERATOR;
    if (strcmp(s, "admin") == 0)
        return LK_CMD_LEVEL_ADMIN;
    return -EINVAL;
}

/* One word starting at *pp into o (in place: o <= *pp): to the first blank
 * outside quotes when `quotes`, else to the first blank. *pp is left past
 * it. 0, or -EINVAL for an unclosed quote. */
static int split_word(char **pp, char *o, bool quotes)
{
    char *p = *pp, q = 0;

    for (; *p && (q || (*p != ' ' && *p != '\t')); p++) {
        if (*p == '\\' && p[1])
            *o++ = *++p;
        else if (quotes && !q && (*p == '\'' || *p == '"'))
            q = *p;
        else if (q && *p == q)
            q = 0;
        else
            *o++ = *p;
    }
    if (*p)
        p++;
    *o = '\0';
    *pp = p;
    return q ? -EINVAL : 0;
}

static int split(char *line, char **argv, int max, bool quotes)
{
    char *p = line;
    int argc = 0;

    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (argc >= max)
            return -E2BIG;
        argv[argc] = p;
        if (split_word(&p, argv[argc++], quotes) < 0)
            return -EINVAL;
    }
    argv[argc] = NULL;
    return argc;
}

/* HAProxy's CLI splits on blanks only and lets a backslash escape the next
 * character ("set server b/s addr 1.2.3.4\ port" is not a thing, but a
 * map key with a space is); quotes have no meaning there, so none here. */
int lk_cmd_split(char *line, char **argv, int max)
{
    return split(line, argv, max, false);
}

int lk_cmd_split_quoted(char *line, char **argv, int max)
{
    return split(line, argv, max, true);
}

static void conn_handle_closed(uv_handle_t *h)
{
    struct lk_cmdconn *c = h->data;

    /* pipe and idle timer: the memory goes with the last of the two */
    if (--c->handles > 0)
        return;
    lk_inbuf_reset(&c->in);
    free(c);
}

static void conn_close_now(struct lk_cmdconn *c)
{
    if (c->handles == 0 || uv_is_closing((uv_handle_t *)&c->pipe))
        return;
    c->closing = 1;
    lk_list_del(&c->link);
    c->srv->nconns--;
    /* a held connection (a subscriber) is told first, once, so that its
     * owner unlinks it before the handles go */
    if (c->close_fn) {
        lk_cmdconn_close_fn fn = c->close_fn;

        c->close_fn = NULL;
        fn(c, c->close_ud);
    }
    uv_close((uv_handle_t *)&c->pipe, conn_handle_closed);
    uv_close((uv_handle_t *)&c->idle, conn_handle_closed);
}

static void write_done(uv_write_t *req, int status)
{
    struct wreq *w = lk_container_of(req, struct wreq, req);
    struct lk_cmdconn *c = w->c;

    c->queued -= w->len;
    free(w);
    /* a failed write means the peer went away; a close requested while
     * writes were queued waits for the last of them (HAProxy flushes the
     * answer before closing a non-interactive CLI connection) */
    if (status < 0)
        conn_close_now(c);
    else if (c->closing && c->queued == 0)
        conn_close_now(c);
}

int lk_cmdconn_write(struct lk_cmdconn *c, const void *buf, size_t len)
{
    struct wreq *w;
    uv_buf_t b;
    int r;

    if (c->closing || uv_is_closing((uv_handle_t *)&c->pipe))
        return -EPIPE;
    if (len == 0)
        return 0;
    /* a subscriber that does not read must not grow our memory: the
     * caller decides (drop it, or tell it it missed events) */
    if (c->queued + len > c->srv->max_out)
        return -ENOBUFS;
    w = malloc(sizeof(*w) + len);
    if (!w)
        return -ENOMEM;
    memcpy(w->data, buf, len);
    w->c = c;
    w->len = len;
    b = uv_buf_init(w->data, (unsigned)len);
    r = uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, write_done);
    if (r < 0) {
        free(w);
        return r;
    }
    c->queued += len;
    return 0;
}

int lk_cmdconn_printf(struct lk_cmdconn *c, const char *fmt, ...)
{
    char small[1024], *big = NULL;
    va_list ap;
    int n, r;

    va_start(ap, fmt);
    /* most answers are short: format on the stack, allocate only for the
     * long ones (show stat of many servers) */
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return -EINVAL;
    if ((size_t)n < sizeof(small))
        return lk_cmdconn_write(c, small, (size_t)n);
    va_start(ap, fmt);
    n = vasprintf(&big, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -ENOMEM;
    r = lk_cmdconn_write(c, big, (size_t)n);
    free(big);
    return r;
}

int lk_cmdconn_level(const struct lk_cmdconn *c)
{
    return c->srv->level;
}

size_t lk_cmdconn_pending(const struct lk_cmdconn *c)
{
    return c->queued;
}

int lk_cmdconn_stalled(struct lk_cmdconn *c, unsigned max_ms)
{
    uint64_t now = uv_now(c->srv->loop);
    uv_os_fd_t fd;
    int outq = 0;

    /* SIOCOUTQ on a Unix stream socket: what the peer has not read yet
     * (in buffer memory, not bytes: only "nothing left" is exact) */
    if (uv_fileno((const uv_handle_t *)&c->pipe, &fd) < 0 || ioctl(fd, SIOCOUTQ, &outq) == -1)
        outq = 0;
    if (c->queued == 0 && outq <= 0) {
        c->caught_up_ms = now;
        return 0;
    }
    if (!c->caught_up_ms)
        c->caught_up_ms = now;
    return now - c->caught_up_ms > max_ms;
}

void lk_cmdconn_hold(struct lk_cmdconn *c, lk_cmdconn_close_fn close_fn, void *conn_ud)
{
    /* the connection outlives the command ("subscribe"): no idle timeout,
     * no close after the line, until the owner aborts it or the peer leaves */
    c->held = 1;
    c->close_fn = close_fn;
    c->close_ud = conn_ud;
    uv_timer_stop(&c->idle);
}

void lk_cmdconn_abort(struct lk_cmdconn *c)
{
    conn_close_now(c);
}

int lk_cmdconn_held(const struct lk_cmdconn *c)
{
    return c->held;
}

void lk_cmdconn_close(struct lk_cmdconn *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    /* nothing more is read, what was queued is still sent */
    uv_read_stop((uv_stream_t *)&c->pipe);
    if (c->queued == 0)
        conn_close_now(c);
}

static void idle_fired(uv_timer_t *t)
{
    lk_cmdconn_close(t->data);
}

/* HAProxy's "timeout cli": an idle client is closed; each line re-arms it. */
static void arm_idle(struct lk_cmdconn *c)
{
    if (!c->held && !c->closing)
        uv_timer_start(&c->idle, idle_fired, c->timeout_ms, 0);
}

/* Built-in commands every socket has. Returns 1 if handled. */
static int builtin(struct lk_cmdconn *c, int argc, char **argv)
{
    uint64_t v;

    if (strcmp(argv[0], "prompt") == 0) {
        c->interactive = !c->interactive;
        return 1;
    }
    if (strcmp(argv[0], "quit") == 0) {
        lk_cmdconn_close(c);
        return 1;
    }
    if (argc >= 3 && strcmp(argv[0], "set") == 0 && strcmp(argv[1], "timeout") == 0 &&
        strcmp(argv[2], "cli") == 0) {
        char *end;

        v = argc > 3 ? strtoull(argv[3], &end, 10) : 0;
        if (argc != 4 || *end || v == 0 || v > 86400)
            lk_cmdconn_printf(c, "'set timeout cli' expects an integer value in seconds.\n");
        else
            c->timeout_ms = (unsigned)v * 1000;
        return 1;
    }
    return 0;
}

static void run_one(struct lk_cmdconn *c, char *cmd)
{
    char *argv[MAX_WORDS + 1];
    int argc;

    argc = lk_cmd_split(cmd, argv, MAX_WORDS);
    if (argc == 0)
        return;
    if (argc < 0) {
        lk_cmdconn_printf(c, "Too many words on the command line.\n\n");
        return;
    }
    if (builtin(c, argc, argv))
        return;
    /* the daemon's own commands; -ENOENT is "not mine", so the message
     * is HAProxy's for an unknown command */
    if (c->srv->fn(c, argc, argv, c->srv->ud) == -ENOENT)
        lk_cmdconn_printf(c, "Unknown command: '%s'. Type 'help' for the list.\n", argv[0]);
    /* HAProxy ends every answer with an empty line: scripts read up to it */
    if (!c->held)
        lk_cmdconn_write(c, "\n", 1);
}

/* "cmd1; cmd2" runs both, as HAProxy does; without "prompt" the
 * connection closes after the line, which is how socat scripts expect it. */
static void run_line(struct lk_cmdconn *c, char *line)
{
    char *p = line, *semi;

    while (p && !c->closing) {
        semi = strchr(p, ';');
        if (semi)
            *semi++ = '\0';
        run_one(c, p);
        p = semi;
    }
    if (c->closing || c->held)
        return;
    if (c->interactive)
        lk_cmdconn_write(c, "> ", 2);
    else
        lk_cmdconn_close(c);
}

/* One command line (telnet clients end it with "\r\n"); a command that
 * closed the connection ends the reading, the rest is not run. */
static int on_line(void *ud, char *line, size_t len)
{
    struct lk_cmdconn *c = ud;

    if (c->closing)
        return 1;
    if (len && line[len - 1] == '\r')
        line[len - 1] = '\0';
    run_line(c, line);
    return c->closing;
}

static void read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct lk_cmdconn *c = st->data;

    if (nread < 0) {
        conn_close_now(c);
        return;
    }
    if (nread == 0)
        return;
    arm_idle(c);
    if (lk_inbuf_lines(&c->in, buf->base, (size_t)nread, LINE_MAX_LEN, on_line, c) < 0) {
        lk_cmdconn_printf(c, "Command line too long.\n");
        lk_cmdconn_close(c);
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    struct lk_cmdsrv *s = server->data;
    struct lk_cmdconn *c;

    if (status < 0)
        return;
    c = calloc(1, sizeof(*c));
    if (!c)
        return;
    c->srv = s;
    c->timeout_ms = s->idle_ms;
    uv_pipe_init(s->loop, &c->pipe, 0);
    uv_timer_init(s->loop, &c->idle);
    c->pipe.data = c->idle.data = c;
    c->handles = 2;
    lk_list_append(&s->conns, &c->link);
    s->nconns++;
    /* over the limit: accepted and closed at once, so the client sees EOF
     * rather than waiting in the backlog (HAProxy's stats maxconn) */
    if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0 || s->nconns > s->max_conns ||
        uv_read_start((uv_stream_t *)&c->pipe, lk_inbuf_scratch, read_cb) < 0) {
        conn_close_now(c);
        return;
    }
    arm_idle(c);
}

/* A socket file nobody answers on is left over from a crash. */
static int path_is_live(const char *path)
{
    struct sockaddr_un sun;
    int fd, live;

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return 0;
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
    live = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
    close(fd);
    return live;
}

static void srv_closed(uv_handle_t *h)
{
    struct lk_cmdsrv *s = h->data;

    free(s->path);
    free(s);
}

/* A stale socket file (nobody answers) is removed so a restart after a
 * crash can bind; a live one or a file that is not a socket is an error,
 * not something to delete. */
static int check_path(const char *path)
{
    struct stat st;

    if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
        return -ENAMETOOLONG;
    if (stat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return -EEXIST;
        if (path_is_live(path))
            return -EADDRINUSE;
        unlink(path);
    }
    return 0;
}

static int set_owner(const struct lk_cmdsrv_opts *o)
{
    /* 0660 by default: the socket gives admin rights, the group is how an
     * operator is let in (HAProxy's "mode", "user", "group") */
    if (chmod(o->path, o->mode ? o->mode : 0660) == -1)
        return -errno;
    if ((o->uid != (uid_t)-1 || o->gid != (gid_t)-1) && chown(o->path, o->uid, o->gid) == -1)
        return -errno;
    return 0;
}

int lk_cmdsrv_is_tcp(const char *path)
{
    return path[0] != '/' && strncmp(path, "unix@", 5) != 0 && strchr(path, ':') != NULL;
}

/* "ipv4@ADDR:PORT", "ADDR:PORT", "*:PORT": HAProxy's stats socket on TCP.
 * Nothing on disk: no owner, no mode, nothing to unlink. */
static int listen_tcp(const char *spec, int *ret_fd)
{
    struct lk_addr a;
    int fd, one = 1, r;

    if (lk_addr_parse(spec, 0, &a) < 0)
        return -EINVAL;
    fd = socket(a.u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -errno;
    /* a restart must not wait for TIME_WAIT connections of the old one */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, &a.u.sa, a.len) == -1 || listen(fd, 64) == -1) {
        r = -errno;
        close(fd);
        return r;
    }
    *ret_fd = fd;
    return 0;
}

int lk_cmdsrv_listen_fd(const struct lk_cmdsrv_opts *o, int *ret_fd)
{
    struct sockaddr_un sun;
    int fd, r;

    if (lk_cmdsrv_is_tcp(o->path))
        return listen_tcp(o->path, ret_fd);
    r = check_path(o->path);
    if (r < 0)
        return r;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -errno;
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", o->path);
    if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 || listen(fd, 64) == -1) {
        r = -errno;
        close(fd);
        return r;
    }
    /* a socket nobody may use is worse than none: undo the bind */
    r = set_owner(o);
    if (r < 0) {
        unlink(o->path);
        close(fd);
        return r;
    }
    *ret_fd = fd;
    return 0;
}

static int srv_bind(struct lk_cmdsrv *s, const struct lk_cmdsrv_opts *o)
{
    int r, fd = o->fd;

    /* a TCP listener is served through a pipe handle: libuv reads, writes
     * and accepts on any stream socket the same way */
    if (fd <= 0 && lk_cmdsrv_is_tcp(o->path) && (r = listen_tcp(o->path, &fd)) < 0)
        return r;
    /* an fd handed over by lbd's master (lbd -W): already bound and
     * owned, so no path check, no chmod */
    if (fd > 0) {
        r = uv_pipe_open(&s->pipe, fd);
        return r < 0 ? r : uv_listen((uv_stream_t *)&s->pipe, 64, on_connection);
    }
    r = check_path(o->path);
    if (r < 0)
        return r;
    r = uv_pipe_bind(&s->pipe, o->path);
    if (r < 0)
        return r;
    r = set_owner(o);
    if (r < 0)
        return r;
    return uv_listen((uv_stream_t *)&s->pipe, 64, on_connection);
}

int lk_cmdsrv_start(struct lk_cmdsrv **ret,
                    uv_loop_t *loop,
                    const struct lk_cmdsrv_opts *o,
                    lk_cmd_fn fn,
                    void *ud)
{
    struct lk_cmdsrv *s;
    int r;

    s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->path = strdup(o->path);
    if (!s->path) {
        free(s);
        return -ENOMEM;
    }
    s->loop = loop;
    s->fn = fn;
    s->ud = ud;
    s->level = o->level;
    s->max_out = o->max_out ? o->max_out : 4u << 20;
    s->idle_ms = o->idle_ms ? o->idle_ms : 10000;
    s->max_conns = o->max_conns ? o->max_conns : LK_CMDSRV_MAXCONN;
    lk_list_init(&s->conns);
    uv_pipe_init(loop, &s->pipe, 0);
    s->pipe.data = s;
    r = srv_bind(s, o);
    if (o->fd > 0 || lk_cmdsrv_is_tcp(o->path)) {
        free(s->path);
        s->path = NULL; /* the socket file belongs to whoever made the fd */
    }
    if (r < 0) {
        free(s->path);
        s->path = NULL; /* never unlink a file we did not create */
        uv_close((uv_handle_t *)&s->pipe, srv_closed);
        return r;
    }
    *ret = s;
    return 0;
}

void lk_cmdsrv_stop(struct lk_cmdsrv *s)
{
    struct lk_list *it, *nx;

    if (!s || s->stopping)
        return;
    s->stopping = 1;
    /* open connections end with the server: a stopping daemon must not
     * keep answering on a socket file it is about to unlink */
    LK_LIST_FOREACH_SAFE (it, nx, &s->conns) {
        conn_close_now(LK_LIST_ELEM(it, struct lk_cmdconn, link));
    }
    if (s->path)
        unlink(s->path);
    uv_close((uv_handle_t *)&s->pipe, srv_closed);
}

/* One subscriber of a subscriber list: a held connection that gets every
 * line sent to the list (lbd's, checkd's and vrrpd's event feeds). */
struct sub {
    struct lk_list link;
    struct lk_cmdconn *c;
};

void lk_cmdsubs_init(struct lk_cmdsubs *l)
{
    lk_list_init(&l->list);
    l->stall_ms = LK_CMD_SUB_STALL_MS;
}

static void sub_closed(struct lk_cmdconn *c, void *ud)
{
    struct sub *s = ud;

    /* the connection is going: the list forgets it before its memory goes */
    lk_list_del(&s->link);
    free(s);
}

int lk_cmdsubs_add(struct lk_cmdsubs *l, struct lk_cmdconn *c)
{
    struct sub *s;

    /* a connection is held by one owner only: subscribing twice would
     * register two close callbacks */
    if (lk_cmdconn_held(c))
        return -EALREADY;
    s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->c = c;
    lk_list_append(&l->list, &s->link);
    lk_cmdconn_hold(c, sub_closed, s);
    return 0;
}

void lk_cmdsubs_send(struct lk_cmdsubs *l, const void *buf, size_t len)
{
    struct lk_list *it, *nx;

    LK_LIST_FOREACH_SAFE (it, nx, &l->list) {
        struct sub *s = LK_LIST_ELEM(it, struct sub, link);

        /* a subscriber that stopped reading is dropped, not waited for: the
         * daemon's memory and its other subscribers come first (it reconnects
         * and gets a fresh snapshot) */
        if ((l->stall_ms && lk_cmdconn_stalled(s->c, l->stall_ms)) ||
            lk_cmdconn_write(s->c, buf, len) == -ENOBUFS)
            lk_cmdconn_abort(s->c);
    }
}

void lk_cmdsubs_abort(struct lk_cmdsubs *l)
{
    struct lk_list *it, *nx;

    LK_LIST_FOREACH_SAFE (it, nx, &l->list) {
        lk_cmdconn_abort(LK_LIST_ELEM(it, struct sub, link)->c);
    }
}
