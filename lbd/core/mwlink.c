/* mwlink.c - see mwlink.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/cfglex.h"
#include "common/clock.h"
#include "common/cmdsrv.h"
#include "common/inbuf.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "lbd/cfg/cfg.h"
#include "lbd/core/daemon.h"
#include "lbd/core/mwlink.h"
#include "lbd/core/server.h"
#include "lbd/ctl/admin.h"
#include "lbd/ctl/hc.h"

/* While waiting for "ready": the worker tells the master it serves only once
 * its checkd feed has delivered a snapshot, so the old worker is not stopped
 * while the new one would still route to servers it believes UP by default.
 * READY_MAX_MS bounds that wait. */
#define READY_POLL_MS   20
#define READY_MAX_MS    2000 /* checkd unreachable: serve without its snapshot */
#define MAX_STATE_BYTES (4u << 20)
#define MAX_CFG_BYTES   (16u << 20) /* the lexer's limit for a file */

/* A listening socket handed down by the master, by key; fd is -1 once a
 * worker has taken it, and whatever is left untaken is closed by lb_mw_free()
 * (binds the new config dropped). */
struct inherited {
    char *key;
    int fd;
};

/* One server's carried-over decisions; -1 = none. */
struct note {
    char *be, *srv;
    char *add; /* "add server" words after BE/SRV, or NULL */
    int admin; /* LB_SRV_MAINT, LB_SRV_DRAIN, or -1 */
    int weight;
};

/* Lives on the control thread; the worker threads only reach it through
 * lb_mw_take_fd() while they are built, before any of them runs. */
/* The longest line of the control channel (the master's are short). */
#define CTL_LINE_MAX 256

struct lb_mw {
    struct inherited *fds;
    size_t nfds;
    int ctl_fd;
    int state_fd;
    int cfg_fd;
    uv_pipe_t ctl;
    uv_timer_t ready_timer;
    int ctl_open, ready_sent, jailed;
    struct lk_inbuf in; /* a partial line from the master */
    uint64_t started_ms;
    struct lb_daemon *d;
    void (*gone)(struct lb_daemon *d);
    struct note *notes;
    size_t nnotes;
};

/* A write request and its bytes in one allocation, pinned until write_done():
 * libuv reads the buffer asynchronously. */
struct wreq {
    uv_write_t req;
    char data[];
};

/* Keys must be computed identically by master.c and the worker, so both sides
 * call these: a bind is per thread (one SO_REUSEPORT socket each), a stats
 * HTTP listener and a unix admin socket are per process. */
/* The proxy's name is part of a bind's key: two frontends may bind one
 * address (HAProxy 2.6 lets the kernel spread the connections between
 * their SO_REUSEPORT sockets), and each needs its own socket; the name,
 * not the position, so that a reload keeps the sockets of a proxy whose
 * neighbours changed. */
const char *lb_mw_key_bind(char *buf,
                           size_t len,
                           unsigned thread,
                           const char *proxy,
                           const struct lk_addr *a)
{
    char s[LK_ADDR_STRLEN];

    snprintf(buf, len, "T%u@%s/%s", thread, lk_addr_str(a, s, sizeof(s)), proxy);
    return buf;
}

const char *lb_mw_key_http(char *buf, size_t len, const struct lk_addr *a)
{
    char s[LK_ADDR_STRLEN];

    snprintf(buf, len, "H@%s", lk_addr_str(a, s, sizeof(s)));
    return buf;
}

const char *lb_mw_key_unix(char *buf, size_t len, const char *path)
{
    snprintf(buf, len, "U@%s", path);
    return buf;
}

/* ---- environment ---- */

/* Descriptors 0-2 are never passed (they are stdio), and the upper bound only
 * guards against a corrupted variable. */
static int parse_fd(const char *s, int *ret)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 3 || v > 1 << 20)
        return -EINVAL;
    *ret = (int)v;
    return 0;
}

/* The last '=' splits, so a key such as a unix path may contain '='. */
static int add_entry(struct lb_mw *m, char *item)
{
    char *eq = strrchr(item, '=');
    struct inherited *n;
    int fd;

    if (!eq || parse_fd(eq + 1, &fd) < 0)
        return -EINVAL;
    *eq = '\0';
    if (strcmp(item, "ctl") == 0) {
        m->ctl_fd = fd;
        return 0;
    }
    if (strcmp(item, "state") == 0) {
        m->state_fd = fd;
        return 0;
    }
    if (strcmp(item, "cfg") == 0) {
        m->cfg_fd = fd;
        return 0;
    }
    n = realloc(m->fds, (m->nfds + 1) * sizeof(*n));
    if (!n)
        return -ENOMEM;
    m->fds = n;
    n[m->nfds].key = strdup(item);
    n[m->nfds].fd = fd;
    if (!n[m->nfds].key)
        return -ENOMEM;
    m->nfds++;
    return 0;
}

/* The variable is removed once read, so that nothing the worker might start
 * later believes it was handed the master's descriptors. */
int lb_mw_from_env(struct lb_mw **ret)
{
    const char *env = getenv(LB_MW_ENV);
    char *copy, *item, *save = NULL;
    struct lb_mw *m;
    int r = 0;

    *ret = NULL;
    if (!env)
        return 0;
    m = calloc(1, sizeof(*m));
    copy = strdup(env);
    if (!m || !copy) {
        free(m);
        free(copy);
        return -ENOMEM;
    }
    m->ctl_fd = m->state_fd = m->cfg_fd = -1;
    for (item = strtok_r(copy, ";", &save); item && r == 0; item = strtok_r(NULL, ";", &save))
        r = add_entry(m, item);
    free(copy);
    unsetenv(LB_MW_ENV);
    if (r == 0 && m->ctl_fd < 0)
        r = -EINVAL;
    if (r < 0) {
        lb_mw_free(m);
        return lk_log_errno(r, LK_LOG_ERR, "malformed %s from the master: %m", LB_MW_ENV);
    }
    *ret = m;
    return 0;
}

/* Ownership of the descriptor passes to the caller; a second take of the same
 * key returns -1. */
int lb_mw_take_fd(struct lb_mw *m, const char *key)
{
    size_t i;
    int fd;

    for (i = 0; m && i < m->nfds; i++) {
        if (m->fds[i].fd >= 0 && strcmp(m->fds[i].key, key) == 0) {
            fd = m->fds[i].fd;
            m->fds[i].fd = -1;
            return fd;
        }
    }
    return -1;
}

/* ---- notes ---- */

/* Notes are keyed by names, not pointers: they must outlive the config that
 * created them and be matched against the next worker's config. The list is
 * short (one entry per server an operator touched), so linear. */
static struct note *find_note(struct lb_mw *m, const char *be, const char *srv, int create)
{
    struct note *n;
    size_t i;

    for (i = 0; i < m->nnotes; i++)
        if (strcmp(m->notes[i].be, be) == 0 && strcmp(m->notes[i].srv, srv) == 0)
            return &m->notes[i];
    if (!create)
        return NULL;
    n = realloc(m->notes, (m->nnotes + 1) * sizeof(*n));
    if (!n)
        return NULL;
    m->notes = n;
    n = &m->notes[m->nnotes];
    memset(n, 0, sizeof(*n));
    n->be = strdup(be);
    n->srv = strdup(srv);
    n->admin = n->weight = -1;
    if (!n->be || !n->srv) {
        free(n->be);
        free(n->srv);
        return NULL;
    }
    m->nnotes++;
    return n;
}

static void drop_note(struct lb_mw *m, struct note *n)
{
    size_t i = (size_t)(n - m->notes);

    free(n->be);
    free(n->srv);
    free(n->add);
    memmove(n, n + 1, (m->nnotes - i - 1) * sizeof(*n));
    m->nnotes--;
}

static void write_done(uv_write_t *req, int status)
{
    free(lk_container_of(req, struct wreq, req));
}

/* Best effort: a lost state update (OOM, master gone) only means an operator
 * decision is not carried over, which the operator can repeat. */
static void send_text(struct lb_mw *m, const char *text, size_t len)
{
    struct wreq *w;
    uv_buf_t b;

    if (!m->ctl_open || !len)
        return;
    w = malloc(sizeof(*w) + len);
    if (!w)
        return;
    memcpy(w->data, text, len);
    b = uv_buf_init(w->data, (unsigned)len);
    if (uv_write(&w->req, (uv_stream_t *)&m->ctl, &b, 1, write_done) < 0)
        free(w);
}

/* The whole set every time, not a delta: the master just replaces what it
 * keeps, so a lost or reordered message cannot leave it inconsistent. */
static void send_state(struct lb_mw *m)
{
    struct lk_sb sb = LK_SB_INIT;
    size_t i;

    lk_sb_puts(&sb, "state-begin\n");
    for (i = 0; i < m->nnotes; i++) {
        const struct note *n = &m->notes[i];

        if (n->add)
            lk_sb_printf(&sb, "state add %s %s %s\n", n->be, n->srv, n->add);
        if (n->admin >= 0)
            lk_sb_printf(&sb, "state admin %s %s %s\n", n->be, n->srv,
                         n->admin == LB_SRV_MAINT ? "maint" : "drain");
        if (n->weight >= 0)
            lk_sb_printf(&sb, "state weight %s %s %d\n", n->be, n->srv, n->weight);
    }
    lk_sb_puts(&sb, "state-end\n");
    if (!sb.oom)
        send_text(m, sb.buf, sb.len);
    lk_sb_free(&sb);
}

/* UP clears the note: a server back in service needs nothing carried over,
 * and a note would otherwise force it into DRAIN on the next worker. Other
 * states (DOWN by checks) are not operator decisions. */
void lb_mw_note_admin(struct lb_mw *m, const struct lb_server *s, enum lb_srv_state st)
{
    struct note *n;

    if (!m || (st != LB_SRV_MAINT && st != LB_SRV_DRAIN && st != LB_SRV_UP))
        return;
    n = find_note(m, s->be->name, s->name, st != LB_SRV_UP);
    if (!n)
        return;
    n->admin = st == LB_SRV_UP ? -1 : (int)st;
    send_state(m);
}

void lb_mw_note_weight(struct lb_mw *m, const struct lb_server *s, unsigned w)
{
    struct note *n;

    if (!m)
        return;
    n = find_note(m, s->be->name, s->name, 1);
    if (!n)
        return;
    n->weight = (int)w;
    send_state(m);
}

void lb_mw_note_add(struct lb_mw *m, const struct lb_server *s, int argc, char **argv)
{
    struct lk_sb sb = LK_SB_INIT;
    struct note *n;
    int i;

    if (!m)
        return;
    n = find_note(m, s->be->name, s->name, 1);
    if (!n)
        return;
    for (i = 0; i < argc; i++)
        lk_sb_printf(&sb, "%s%s", i ? " " : "", argv[i]);
    free(n->add);
    n->add = sb.oom ? NULL : strdup(sb.buf ? sb.buf : "");
    lk_sb_free(&sb);
    send_state(m);
}

void lb_mw_note_del(struct lb_mw *m, const struct lb_server *s)
{
    struct note *n;

    if (!m)
        return;
    n = find_note(m, s->be->name, s->name, 0);
    if (n)
        drop_note(m, n);
    send_state(m);
}

/* ---- applying the master's state ---- */

/* Lines that do not fit the new configuration are ignored rather than
 * refused: the new config may have removed or renamed the backend, and the
 * operator's intent for a server that no longer exists has no meaning.
 * Returns 1 when a decision was applied. */
static int apply_line(struct lb_daemon *d, char *line)
{
    char *argv[LK_CFG_MAX_ARGS + 1], *err = NULL;
    struct lb_proxy *be;
    struct lb_server *s;
    int argc = lk_cmd_split(line, argv, LK_CFG_MAX_ARGS);
    long w;

    if (argc < 4)
        return 0;
    be = lb_cfg_find_proxy(d->cfg, argv[1], LB_CAP_BE);
    if (!be)
        return 0;
    if (strcmp(argv[0], "add") == 0) {
        if (lb_server_find(be, argv[2]))
            return 0; /* the new config has a server of that name: it wins */
        if (lb_admin_add_server(d, be, argv[2], argc - 3, argv + 3, &err) < 0) {
            lk_log(LK_LOG_WARNING, "carried-over server %s/%s not added: %s", argv[1], argv[2],
                   err ? err : "invalid");
            free(err);
            return 0;
        }
        return 1;
    }
    s = lb_server_find(be, argv[2]);
    if (!s || (atomic_load(&s->flags) & LB_SRV_F_DELETED))
        return 0;
    if (strcmp(argv[0], "admin") == 0) {
        lb_admin_set_server_state(d, s, strcmp(argv[3], "maint") == 0 ? LB_SRV_MAINT : LB_SRV_DRAIN,
                                  "carried over from the previous worker");
        return 1;
    }
    w = strtol(argv[3], NULL, 10);
    if (strcmp(argv[0], "weight") != 0 || w < 0 || w > 256)
        return 0;
    lb_server_set_weight(s, (unsigned)w);
    lb_mw_note_weight(d->mw, s, (unsigned)w);
    return 1;
}

/* Both fds are memfds the master wrote; reading from offset 0 makes the read
 * independent of where the master left the file position. */
static char *read_all(int fd, size_t max)
{
    struct lk_sb sb = LK_SB_INIT;
    char buf[4096];
    ssize_t n;

    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, buf, sizeof(buf))) > 0 && sb.len < max)
        lk_sb_append(&sb, buf, (size_t)n);
    if (sb.oom || !sb.buf) {
        lk_sb_free(&sb);
        return NULL;
    }
    return sb.buf;
}

/* The worker parses the text the master validated, not the file on disk: the
 * file may have changed between "lbd -c" in the master and this exec, and a
 * worker must run exactly what was checked. */
int lb_mw_load_cfg(struct lb_mw *m, const char *name, struct lb_cfg **ret, char **err)
{
    char *text;
    int r;

    if (m->cfg_fd < 0)
        return lk_cfg_err(err, "%s: no configuration from the master", name);
    text = read_all(m->cfg_fd, MAX_CFG_BYTES);
    close(m->cfg_fd);
    m->cfg_fd = -1;
    if (!text) /* an empty file is no configuration either */
        return lk_cfg_err(err, "%s: cannot read the configuration from the master", name);
    r = lb_cfg_load_mem(name, text, ret, err);
    free(text);
    return r;
}

int lb_mw_apply_state(struct lb_mw *m, struct lb_daemon *d)
{
    char *text, *line, *save = NULL;
    int n = 0;

    if (!m || m->state_fd < 0)
        return 0;
    text = read_all(m->state_fd, MAX_STATE_BYTES);
    close(m->state_fd);
    m->state_fd = -1;
    for (line = text ? strtok_r(text, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
        n += apply_line(d, line);
    free(text);
    if (n)
        lk_log(LK_LOG_NOTICE, "%d operator decisions carried over from the previous worker", n);
    return n;
}

/* ---- control channel ---- */

/* The handles are embedded in struct lb_mw, which lb_mw_free() releases after
 * the loop has run these callbacks; nothing to free here. */
static void ctl_closed(uv_handle_t *h)
{
}

static void tmp_closed(uv_handle_t *h)
{
    free(h);
}

/* The socket the master connected for us, attached to "checkd ok". */
/* The temporary pipe only carries the received descriptor out of libuv; the
 * dup survives its close and goes to lb_hc_adopt(), which owns it. */
static int take_passed_fd(struct lb_mw *m)
{
    uv_pipe_t *tmp = malloc(sizeof(*tmp));
    uv_os_fd_t fd = -1;
    int r;

    if (!tmp)
        return -ENOMEM;
    uv_pipe_init(&m->d->loop, tmp, 0);
    r = uv_accept((uv_stream_t *)&m->ctl, (uv_stream_t *)tmp);
    if (r == 0)
        r = uv_fileno((uv_handle_t *)tmp, &fd);
    if (r == 0)
        fd = dup(fd); /* the handle closes its own copy */
    uv_close((uv_handle_t *)tmp, tmp_closed);
    return r < 0 ? r : fd < 0 ? -errno : fd;
}

static int on_line(void *ud, char *line, size_t len)
{
    struct lb_mw *m = ud;
    long e;

    if (strcmp(line, "checkd ok") == 0) {
        lb_hc_adopt(m->d, uv_pipe_pending_count(&m->ctl) > 0 ? take_passed_fd(m) : -EPROTO);
    } else if (strncmp(line, "checkd fail ", 12) == 0) {
        e = strtol(line + 12, NULL, 10);
        lb_hc_adopt(m->d, e > 0 && e < 4096 ? -(int)e : -EIO);
    }
    return 0;
}

/* EOF or a read error on the channel means the master is gone: stop the
 * channel and let the daemon stop (master_gone in daemon.c). */
static void read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    struct lb_mw *m = st->data;

    if (n < 0) {
        lb_mw_stop(m);
        if (m->gone)
            m->gone(m->d);
        return;
    }
    /* A line of CTL_LINE_MAX bytes without a newline is garbage (or a master
     * of another version): dropped (-E2BIG), so the channel resynchronises on
     * the next line. */
    lk_inbuf_lines(&m->in, b->base, (size_t)n, CTL_LINE_MAX, on_line, m);
}

/* chdir("/") after chroot so that the working directory is not left outside
 * the jail, a classic chroot escape. */
int lb_mw_chroot(struct lb_mw *m, const char *dir)
{
    if (chroot(dir) == -1 || chdir("/") == -1)
        return lk_log_errno(-errno, LK_LOG_ERR, "chroot %s: %m", dir);
    m->jailed = 1;
    lk_log(LK_LOG_INFO, "worker jailed in %s", dir);
    return 0;
}

int lb_mw_jailed(const struct lb_mw *m)
{
    return m && m->jailed;
}

/* A jailed worker cannot open checkd's unix socket (its path is outside the
 * chroot), so the master connects for it and passes the socket back. */
void lb_mw_ask_checkd(struct lb_mw *m)
{
    if (!m->ctl_open) {
        lb_hc_adopt(m->d, -ENOTCONN);
        return;
    }
    send_text(m, "checkd\n", 7);
}

static void ready_cb(uv_timer_t *t)
{
    struct lb_mw *m = t->data;

    if (!lb_hc_synced(m->d) && lk_mono_ms() < m->started_ms + READY_MAX_MS)
        return;
    uv_timer_stop(t);
    m->ready_sent = 1;
    send_text(m, "ready\n", 6);
    send_state(m);
}

/* The pipe is opened with ipc=1 so that descriptors can be received on it
 * (SCM_RIGHTS). The ready timer fires at once and then polls until checkd is
 * synced or READY_MAX_MS have passed. */
int lb_mw_start(struct lb_mw *m, struct lb_daemon *d, void (*gone)(struct lb_daemon *d))
{
    int r;

    m->d = d;
    m->gone = gone;
    m->started_ms = lk_mono_ms();
    uv_pipe_init(&d->loop, &m->ctl, 1); /* ipc: checkd sockets come this way */
    uv_timer_init(&d->loop, &m->ready_timer);
    m->ctl.data = m->ready_timer.data = m;
    m->ctl_open = 1;
    r = uv_pipe_open(&m->ctl, m->ctl_fd);
    if (r == 0) {
        m->ctl_fd = -1; /* the pipe handle owns it */
        r = uv_read_start((uv_stream_t *)&m->ctl, lk_inbuf_scratch, read_cb);
    }
    if (r < 0) {
        lb_mw_stop(m);
        return r;
    }
    uv_timer_start(&m->ready_timer, ready_cb, 0, READY_POLL_MS);
    return 0;
}

void lb_mw_stop(struct lb_mw *m)
{
    if (!m || !m->ctl_open)
        return;
    m->ctl_open = 0;
    uv_close((uv_handle_t *)&m->ctl, ctl_closed);
    uv_close((uv_handle_t *)&m->ready_timer, ctl_closed);
}

/* Not before "ready": the master judges only a worker that serves, and
 * until the checkd snapshot is in, the servers' states are defaults and a
 * verdict on them would say nothing. */
void lb_mw_health(struct lb_mw *m, int ok, const char *why)
{
    char line[320];
    int n;

    if (!m || !m->ready_sent)
        return;
    n = snprintf(line, sizeof(line), "health %s %s\n", ok ? "ok" : "fail", why);
    if (n > 0 && (size_t)n < sizeof(line))
        send_text(m, line, (size_t)n);
}

struct lb_mw *lb_mw_free(struct lb_mw *m)
{
    size_t i;

    if (!m)
        return NULL;
    for (i = 0; i < m->nfds; i++) {
        if (m->fds[i].fd >= 0)
            close(m->fds[i].fd);
        free(m->fds[i].key);
    }
    free(m->fds);
    while (m->nnotes)
        drop_note(m, &m->notes[m->nnotes - 1]);
    free(m->notes);
    lk_inbuf_reset(&m->in);
    if (m->ctl_fd >= 0)
        close(m->ctl_fd);
    if (m->state_fd >= 0)
        close(m->state_fd);
    if (m->cfg_fd >= 0)
        close(m->cfg_fd);
    free(m);
    return NULL;
}
