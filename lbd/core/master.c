/* master.c - see master.h. Single-threaded: everything runs on the
 * master's own loop. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cfglex.h"
#include "common/clock.h"
#include "common/cmdsrv.h"
#include "common/inbuf.h"
#include "common/list.h"
#include "common/log.h"
#include "common/sdnotify.h"
#include "common/strbuf.h"
#include "lbd/cfg/cfg.h"
#include "lbd/core/master.h"
#include "lbd/core/mwlink.h"
#include "lbd/core/worker.h"
#include "lbd/ctl/mcli.h"
#include "lbd/ctl/stats_http.h"

/* A reload is only committed on "ready"; a new worker stuck before it (a
 * checkd that never answers is already bounded by the worker itself) would
 * otherwise block every later reload with EBUSY. */
#define READY_TIMEOUT_MS 30000 /* a new worker that never says ready is killed */
/* More than LB_MASTER_RESPAWNS deaths within this window and the master gives
 * up instead of respawning: a worker that crashes on some input would
 * otherwise crash-loop for ever with systemd seeing a live service. */
#define RESPAWN_WINDOW_MS 10000
#define HEALTH_GRACE_MS   1000 /* a respawn shorter than this is not a failure */
#define HEALTH_STALE_MS   2000 /* worker health lines come every 500 ms */
#define HUNG_KILL_MS      5000 /* silent this long: hung, replaced */
#define WATCHDOG_MS       500
#define CTL_LINE_MAX      1024
#define KEY_MAX           LB_MW_KEY_MAX
/* The worker finds its hand-over descriptors at fixed numbers: libuv's stdio
 * containers place descriptor k of the array at fd k in the child. */
#define HANDOVER_FIRST  6 /* 0-2 stdio, 3 ctl, 4 state, 5 cfg, then sockets */
#define MAX_STATE_BYTES (4u << 20)
/* Refuse checkd connection requests closer together than this: a worker in a
 * loop asking for sockets must not make the master open connections to checkd
 * as fast as it can ask. */
#define CHECKD_MIN_GAP_MS 50

extern char **environ;

/* A socket held by the master across workers. cur/next mark which config uses
 * it, so a reload binds only what is new and closes, once the reload is
 * committed (or undone on failure), exactly what nobody uses. */
struct mfd {
    char *key;
    int fd;
    int cur, next; /* used by the serving config / by the one being loaded */
    char *path;    /* Unix socket file to remove when closed */
};

/* One worker process. Freed in proc_handle_closed() once both of its libuv
 * handles (the process and its control pipe) have closed: exit and EOF arrive
 * in either order, and neither callback may free alone. */
struct mproc {
    struct lk_list link; /* m->old */
    struct lb_master *m;
    uv_process_t proc;
    uv_pipe_t ctl;
    int handles; /* open libuv handles; freed on the last close */
    int pid;
    unsigned gen; /* m->reloads when it started */
    uint64_t start_ms;
    int ready, ctl_open;
    struct lk_inbuf in; /* the worker's partial line */
    struct lk_sb st;    /* state lines being received */
    int in_state;
    uint64_t health_ms; /* last "health" line */
    uint64_t checkd_ms; /* last "checkd" request */
    int hung_killed;
    int health_ok;
    char health_why[256];
};

/* At most three generations of workers: cur (serving), pending (the new
 * worker of a reload until it says ready) and old (draining after a reload,
 * SIGTERMed, removed when they exit). */
struct lb_master {
    uv_loop_t loop;
    uv_signal_t sighup, sigusr2, sigterm, sigint;
    uv_timer_t ready_timer, watchdog;
    struct lb_cfg *cfg, *next_cfg;
    char *cfg_text, *next_text; /* what they were parsed from, for workers */
    const struct lk_args *a;
    char **argv;
    struct mfd *fds;
    size_t nfds;
    struct mproc *cur, *pending;
    struct lk_list old;
    char *state; /* last state lines from the serving worker */
    unsigned reloads, failed;
    uint64_t start_ms, lost_ms;
    uint64_t deaths[LB_MASTER_RESPAWNS + 1];
    unsigned ndeaths;
    int stopping, exit_code, closed, ever_ready;
    struct lb_mcli *cli;
};

static int spawn_worker(struct lb_master *m, int pending);
static void begin_stop(struct lb_master *m, const char *why, int code);

/* ---- the listeners the master holds ---- */

static struct mfd *find_fd(struct lb_master *m, const char *key)
{
    size_t i;

    for (i = 0; i < m->nfds; i++)
        if (strcmp(m->fds[i].key, key) == 0)
            return &m->fds[i];
    return NULL;
}

static int add_fd(struct lb_master *m, const char *key, int fd, const char *path)
{
    struct mfd *n = realloc(m->fds, (m->nfds + 1) * sizeof(*n));

    if (!n) {
        close(fd);
        return -ENOMEM;
    }
    m->fds = n;
    n = &m->fds[m->nfds++];
    memset(n, 0, sizeof(*n));
    n->key = strdup(key);
    n->path = path ? strdup(path) : NULL;
    n->fd = fd;
    n->next = 1;
    return n->key ? 0 : -ENOMEM;
}

/* The stats HTTP listener is served by the worker's control thread, one per
 * process: a plain socket without the frontend's bind options, and the small
 * fixed backlog suits a human or a monitoring scraper. */
static int http_socket(const struct lb_bind *b, int *ret)
{
    int fd, one = 1, r;

    fd = socket(b->addr.u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, &b->addr.u.sa, b->addr.len) < 0 || listen(fd, 128) < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    *ret = fd;
    return 0;
}

/* Mark (and bind if new) the socket of one bind; `thread` < 0: stats-only. */
/* Already held sockets are only re-marked, not rebound: binding the same
 * address again would fail (or, with SO_REUSEPORT, add a second socket that
 * takes a share of new connections from the one the old worker still accepts
 * on). */
static int need_bind(struct lb_master *m,
                     const struct lb_cfg *cfg,
                     struct lb_proxy *px,
                     struct lb_bind *b,
                     int thread)
{
    char key[KEY_MAX];
    struct mfd *f;
    int fd = -1, r;

    if (thread < 0)
        lb_mw_key_http(key, sizeof(key), &b->addr);
    else
        lb_mw_key_bind(key, sizeof(key), (unsigned)thread, px->name, &b->addr);
    f = find_fd(m, key);
    if (f) {
        f->next = 1;
        return 0;
    }
    r = thread < 0 ? http_socket(b, &fd) : lb_listen_socket(px, b, cfg->global.maxconn, &fd);
    if (r < 0)
        return lk_log_errno(r, LK_LOG_ERR, "%s:%u: %s '%s': cannot bind %s: %m", b->file, b->line,
                            px->cap & LB_CAP_BE ? "listen" : "frontend", px->name, b->spec);
    return add_fd(m, key, fd, NULL);
}

static int need_unix(struct lb_master *m, const struct lk_cmdsrv_opts *o)
{
    char key[KEY_MAX];
    struct mfd *f;
    int fd, r;

    /* ';' separates the keys in LBD_MW, so a path containing it could not be
     * handed over unambiguously. */
    if (strchr(o->path, ';'))
        return lk_log_errno(-EINVAL, LK_LOG_ERR, "socket %s: ';' not allowed in -W mode", o->path);
    lb_mw_key_unix(key, sizeof(key), o->path);
    f = find_fd(m, key);
    if (f) {
        f->next = 1;
        return 0;
    }
    r = lk_cmdsrv_listen_fd(o, &fd);
    if (r < 0)
        return lk_log_errno(r, LK_LOG_ERR, "admin socket %s: %m%s", o->path,
                            r == -EADDRINUSE ? " (another lbd is running there)" : "");
    return add_fd(m, key, fd, o->path);
}

/* Every socket `cfg` listens on, marked `next`; new ones bound now. */
static int bind_all(struct lb_master *m, struct lb_cfg *cfg)
{
    struct lk_cmdsrv_opts o = {.mode = 0660, .uid = (uid_t)-1, .gid = (gid_t)-1};
    const struct lb_sock_cfg *sc;
    struct lb_proxy *px;
    struct lb_bind *b;
    char path[512];
    unsigned t;
    size_t i;
    int r = 0;

    for (i = 0; i < m->nfds; i++)
        m->fds[i].next = 0;
    for (px = cfg->proxies; px && r == 0; px = px->next)
        for (b = px->binds; b && r == 0; b = b->next)
            for (t = 0; t < (lb_stats_only(px) ? 1 : cfg->global.nbthread) && r == 0; t++)
                r = need_bind(m, cfg, px, b, lb_stats_only(px) ? -1 : (int)t);
    /* The default admin socket in the run directory is always bound, as the
     * single-process daemon does, so tools find it in the same place. */
    snprintf(path, sizeof(path), "%s/lbd.sock", m->a->rundir);
    o.path = path;
    if (r == 0)
        r = need_unix(m, &o);
    for (sc = cfg->global.sockets; sc && r == 0; sc = sc->next) {
        struct lk_cmdsrv_opts so = {
            .path = sc->path, .mode = sc->mode, .uid = sc->uid, .gid = sc->gid};

        r = need_unix(m, &so);
    }
    return r;
}

/* Unix sockets are unlinked with their descriptor: a stale file would make
 * the next bind fail with EADDRINUSE. */
static void close_fd(struct mfd *f)
{
    if (f->fd >= 0)
        close(f->fd);
    if (f->path)
        unlink(f->path);
    free(f->key);
    free(f->path);
}

/* Keep the sockets marked `keep_next` (reload done) or `cur` (reload
 * failed, or before any), close the others. */
static void settle_fds(struct lb_master *m, int keep_next)
{
    size_t i = 0;

    while (i < m->nfds) {
        struct mfd *f = &m->fds[i];
        int keep = keep_next ? f->next : f->cur;

        if (!keep) {
            close_fd(f);
            m->fds[i] = m->fds[--m->nfds];
            continue;
        }
        f->cur = f->next = keep;
        i++;
    }
}

/* ---- worker processes ---- */

static void proc_handle_closed(uv_handle_t *h)
{
    struct mproc *p = h->data;

    if (--p->handles > 0)
        return;
    lk_sb_free(&p->st);
    lk_inbuf_reset(&p->in);
    free(p);
}

static void proc_ctl_close(struct mproc *p)
{
    if (!p->ctl_open)
        return;
    p->ctl_open = 0;
    uv_close((uv_handle_t *)&p->ctl, proc_handle_closed);
}

/* Order: the old worker is told to stop only after the new one serves, so
 * there is no instant without a process accepting (both accept on the same
 * sockets for a while, which is harmless). Sockets only the old config used
 * are closed after it got its SIGTERM, not before. */
static void commit_reload(struct lb_master *m, struct mproc *p)
{
    struct mproc *old = m->cur;

    m->cur = p;
    m->pending = NULL;
    uv_timer_stop(&m->ready_timer);
    if (old) {
        lk_list_append(&m->old, &old->link);
        /* its control channel stays open: EOF would read as our death */
        if (old->pid > 0)
            kill(old->pid, SIGTERM);
    }
    settle_fds(m, 1);
    lb_cfg_free(m->cfg);
    m->cfg = m->next_cfg;
    m->next_cfg = NULL;
    free(m->cfg_text);
    m->cfg_text = m->next_text;
    m->next_text = NULL;
    m->reloads++;
    p->gen = m->reloads;
    lk_log(LK_LOG_NOTICE, "reload %u done: worker %d serving, worker %d stopping", m->reloads,
           p->pid, old ? old->pid : 0);
    lk_sd_notify("READY=1\nSTATUS=serving");
}

/* A ready from a worker that is neither pending nor current is a late one
 * from an old worker, ignored. */
static void on_ready(struct mproc *p)
{
    struct lb_master *m = p->m;

    p->ready = 1;
    if (p == m->pending) {
        commit_reload(m, p);
        return;
    }
    if (p != m->cur)
        return;
    lk_log(LK_LOG_NOTICE, "worker %d ready (%llu ms after start)", p->pid,
           (unsigned long long)(lk_mono_ms() - p->start_ms));
    if (!m->ever_ready)
        lk_sd_notify("READY=1\nSTATUS=serving");
    m->ever_ready = 1;
}

/* One hand-over of a checkd connection: the write request, the pipe wrapping
 * the descriptor and the line, in one allocation. Freed in the close callback
 * of sock, after the write completed. */
struct fdreq {
    uv_write_t req;
    uv_pipe_t sock; /* the connection being handed over */
    char text[32];
};

static void fdsock_closed(uv_handle_t *h)
{
    free(lk_container_of((uv_pipe_t *)h, struct fdreq, sock));
}

static void fdreq_done(uv_write_t *req, int status)
{
    struct fdreq *f = lk_container_of(req, struct fdreq, req);

    uv_close((uv_handle_t *)&f->sock, fdsock_closed); /* the worker has its copy */
}

static int connect_unix(const char *path)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int fd, r;

    if (strlen(path) >= sizeof(sun.sun_path))
        return -ENAMETOOLONG;
    memcpy(sun.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    return fd;
}

/* A chrooted worker's checkd connection: to the socket of its own config
 * (never a path the worker names), passed with SCM_RIGHTS; `refuse` (a
 * negative errno) answers "checkd fail" without connecting. */
/* The master connects itself, to the path of the config the worker runs, so a
 * worker (possibly compromised) cannot make the master, which is not jailed,
 * connect to arbitrary sockets. Failure is answered too: the worker's hc
 * state machine waits for an answer before it retries. */
static void give_checkd(struct mproc *p, int refuse)
{
    const struct lb_cfg *cfg = p == p->m->pending ? p->m->next_cfg : p->m->cfg;
    struct fdreq *f = calloc(1, sizeof(*f));
    char path[512];
    uv_buf_t b;
    int fd, r = -ENOMEM;

    if (!f)
        return;
    snprintf(path, sizeof(path), "%s", cfg->global.checkd_socket ? cfg->global.checkd_socket : "");
    if (!cfg->global.checkd_socket)
        snprintf(path, sizeof(path), "%s/checkd.sock", p->m->a->rundir);
    fd = refuse ? refuse : connect_unix(path);
    uv_pipe_init(&p->m->loop, &f->sock, 0);
    if (fd >= 0 && (r = uv_pipe_open(&f->sock, fd)) < 0)
        close(fd);
    snprintf(f->text, sizeof(f->text), fd >= 0 && r >= 0 ? "checkd ok\n" : "checkd fail %d\n",
             fd < 0 ? -fd : -r);
    b = uv_buf_init(f->text, (unsigned)strlen(f->text));
    r = fd >= 0 && r >= 0
            ? uv_write2(&f->req, (uv_stream_t *)&p->ctl, &b, 1, (uv_stream_t *)&f->sock, fdreq_done)
            : uv_write(&f->req, (uv_stream_t *)&p->ctl, &b, 1, fdreq_done);
    if (r < 0)
        uv_close((uv_handle_t *)&f->sock, fdsock_closed);
}

static int on_line(void *ud, char *line, size_t len)
{
    struct mproc *p = ud;
    struct lb_master *m = p->m;

    if (strcmp(line, "checkd") == 0 && p->ctl_open) {
        /* the worker's reconnect backoff asks far less often than this */
        give_checkd(p, lk_mono_ms() < p->checkd_ms + CHECKD_MIN_GAP_MS ? -EAGAIN : 0);
        p->checkd_ms = lk_mono_ms();
    } else if (strcmp(line, "ready") == 0) {
        on_ready(p);
    } else if (strncmp(line, "health ", 7) == 0) {
        const char *why = strchr(line + 7, ' ');

        p->health_ms = lk_mono_ms();
        p->health_ok = strncmp(line + 7, "ok", 2) == 0;
        snprintf(p->health_why, sizeof(p->health_why), "%s", why ? why + 1 : "");
    } else if (strcmp(line, "state-begin") == 0) {
        lk_sb_free(&p->st);
        p->in_state = 1;
        /* The state block is buffered until "state-end" so that the kept state is
         * always one complete set, never a half-received one. Only the current and
         * pending workers may replace it: a draining old worker's operator state is
         * obsolete. */
    } else if (p->in_state && strncmp(line, "state ", 6) == 0) {
        if (p->st.len < MAX_STATE_BYTES) /* a worker is trusted with no more */
            lk_sb_printf(&p->st, "%s\n", line + 6);
    } else if (p->in_state && strcmp(line, "state-end") == 0) {
        p->in_state = 0;
        if ((p == m->cur || p == m->pending) && !p->st.oom) {
            free(m->state);
            m->state = p->st.buf ? strdup(p->st.buf) : NULL;
        }
    }
    return 0;
}

static void ctl_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct mproc *p = s->data;

    if (n < 0) {
        proc_ctl_close(p); /* the process exit tells the rest */
        return;
    }
    /* a longer line is dropped (no line of a worker's is that long) */
    lk_inbuf_lines(&p->in, b->base, (size_t)n, CTL_LINE_MAX, on_line, p);
}

/* A respawn runs the same config on the same sockets, carrying the last
 * operator state. A worker that dies before ever being ready means the config
 * itself cannot run (bad user, chroot...), and respawning it would loop. */
static void worker_lost(struct lb_master *m, struct mproc *p, const char *how)
{
    uint64_t now = lk_mono_ms();

    m->cur = NULL;
    m->lost_ms = now;
    if (m->stopping)
        return;
    if (!p->ready && !m->ever_ready) { /* the config cannot run: no loop */
        lk_log(LK_LOG_ERR, "worker %d %s before it was ready: giving up", p->pid, how);
        begin_stop(m, "no worker could start", 1);
        return;
    }
    while (m->ndeaths && m->deaths[0] + RESPAWN_WINDOW_MS < now)
        memmove(m->deaths, m->deaths + 1, --m->ndeaths * sizeof(m->deaths[0]));
    m->deaths[m->ndeaths++] = now;
    if (m->ndeaths > LB_MASTER_RESPAWNS) {
        lk_log(LK_LOG_ERR, "worker %d %s: %u deaths in %d s, giving up", p->pid, how, m->ndeaths,
               RESPAWN_WINDOW_MS / 1000);
        begin_stop(m, "workers keep dying", 1);
        return;
    }
    lk_log(LK_LOG_ERR, "worker %d %s: starting a new one on the same sockets", p->pid, how);
    if (spawn_worker(m, 0) < 0)
        begin_stop(m, "cannot start a worker", 1);
}

/* The master's sockets go back to what the serving config uses, so a bind
 * added by the failed config does not linger. systemd is told READY again:
 * RELOADING=1 was sent and must be ended either way. */
static void reload_failed(struct lb_master *m, const char *why)
{
    m->failed++;
    lk_log(LK_LOG_ERR, "reload failed: %s; the running worker keeps serving", why);
    settle_fds(m, 0);
    lb_cfg_free(m->next_cfg);
    m->next_cfg = NULL;
    free(m->next_text);
    m->next_text = NULL;
    lk_sd_notify("READY=1\nSTATUS=serving (last reload failed)");
}

static int all_gone(struct lb_master *m)
{
    return !m->cur && !m->pending && lk_list_empty(&m->old);
}

static void close_master(struct lb_master *m);

/* Runs once per process. The pending worker's death is a failed reload; the
 * current one's is a loss (respawn); an old one's is the expected end of its
 * drain. */
static void proc_exit(uv_process_t *h, int64_t status, int sig)
{
    struct mproc *p = h->data;
    struct lb_master *m = p->m;
    char how[64];

    if (sig)
        snprintf(how, sizeof(how), "killed by signal %d", sig);
    else
        snprintf(how, sizeof(how), "exited with status %lld", (long long)status);
    proc_ctl_close(p);
    uv_close((uv_handle_t *)&p->proc, proc_handle_closed);
    if (p == m->pending) {
        m->pending = NULL;
        uv_timer_stop(&m->ready_timer);
        lk_log(LK_LOG_ERR, "new worker %d %s", p->pid, how);
        reload_failed(m, "the new worker did not start");
    } else if (p == m->cur) {
        worker_lost(m, p, how);
    } else {
        lk_list_del(&p->link);
        lk_log(LK_LOG_NOTICE, "old worker %d %s", p->pid, how);
    }
    if (m->stopping && all_gone(m))
        close_master(m);
}

/* Is socket f one the worker gets: those of the config being loaded for
 * a new worker of a reload (`pending`), else those of the serving one. */
static int passes(const struct mfd *f, int pending)
{
    return pending ? f->next : f->cur;
}

/* The hand-over text: "ctl=3;state=4;cfg=5;KEY=6;..." (mwlink.h). */
static char *env_text(struct lb_master *m, int pending, int *nfds)
{
    struct lk_sb sb = LK_SB_INIT;
    size_t i;
    int fd = HANDOVER_FIRST;

    lk_sb_printf(&sb, "%s=ctl=3;state=4;cfg=5", LB_MW_ENV);
    for (i = 0; i < m->nfds; i++)
        if (passes(&m->fds[i], pending))
            lk_sb_printf(&sb, ";%s=%d", m->fds[i].key, fd++);
    *nfds = fd;
    if (sb.oom)
        lk_sb_free(&sb);
    return sb.buf;
}

/* The worker's environment is ours minus NOTIFY_SOCKET: only the master talks
 * to systemd, a worker's READY=1 would confuse its view of the service. An
 * inherited LBD_MW is dropped too, so the child sees exactly ours. */
static char **make_env(char *ours)
{
    size_t n = 0, i, j = 0;
    char **env;

    while (environ[n])
        n++;
    env = calloc(n + 2, sizeof(*env));
    if (!env)
        return NULL;
    /* systemd takes READY/RELOADING from the master only */
    for (i = 0; i < n; i++)
        if (strncmp(environ[i], "NOTIFY_SOCKET=", 14) != 0 &&
            strncmp(environ[i], LB_MW_ENV "=", sizeof(LB_MW_ENV)) != 0)
            env[j++] = environ[i];
    env[j] = ours;
    return env;
}

/* memfds carry the state and config text: no file on disk to clean up or
 * to race with, and readable by a worker that has chrooted. */
static int text_memfd(const char *name, const char *text)
{
    size_t len = text ? strlen(text) : 0;
    int fd = memfd_create(name, MFD_CLOEXEC);

    if (fd < 0)
        return -errno;
    if (len && write(fd, text, len) != (ssize_t)len) {
        close(fd);
        return -EIO;
    }
    return fd;
}

/* io[3..5]: the socketpair, the state and the config text. */
/* The child is /proc/self/exe, the very binary the master runs, not argv[0]
 * looked up again: an upgrade of the package on disk must not change the
 * version of a worker started by a reload (a restart does that). */
static int start_proc(struct lb_master *m, struct mproc *p, int pending, const int hand[3])
{
    uv_stdio_container_t *io;
    uv_process_options_t o;
    char *ours, **env;
    int nio, i = HANDOVER_FIRST, r = -ENOMEM;
    size_t k;

    ours = env_text(m, pending, &nio);
    env = ours ? make_env(ours) : NULL;
    io = calloc((size_t)nio, sizeof(*io));
    if (env && io) {
        for (k = 0; k < HANDOVER_FIRST; k++) {
            io[k].flags = UV_INHERIT_FD;
            io[k].data.fd = k < 3 ? (int)k : hand[k - 3];
        }
        for (k = 0; k < m->nfds; k++) {
            if (!passes(&m->fds[k], pending))
                continue;
            io[i].flags = UV_INHERIT_FD;
            io[i++].data.fd = m->fds[k].fd;
        }
        memset(&o, 0, sizeof(o));
        o.file = "/proc/self/exe";
        o.args = m->argv;
        o.env = env;
        o.stdio = io;
        o.stdio_count = nio;
        o.exit_cb = proc_exit;
        r = uv_spawn(&m->loop, &p->proc, &o);
    }
    free(io);
    free(env);
    free(ours);
    return r;
}

/* `pending`: the new worker of a reload, on next_cfg; else the serving
 * worker (first start, respawn), on cfg. Either way it loads the text the
 * master validated, not whatever the file holds by then. */
static int spawn_worker(struct lb_master *m, int pending)
{
    int sv[2], hand[3] = {-1, -1, -1}, r;
    struct mproc *p;
    size_t i;

    p = calloc(1, sizeof(*p));
    if (!p || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        free(p);
        return lk_log_errno(-errno, LK_LOG_ERR, "cannot start a worker: %m");
    }
    /* The child's ends (hand[]) are closed here once uv_spawn has duplicated them
     * into the child; the master keeps only sv[0]. */
    hand[0] = sv[1];
    hand[1] = text_memfd("lbd-state", m->state);
    hand[2] = text_memfd("lbd-config", pending ? m->next_text : m->cfg_text);
    r = hand[1] < 0 ? hand[1] : hand[2] < 0 ? hand[2] : start_proc(m, p, pending, hand);
    for (i = 0; i < 3; i++)
        if (hand[i] >= 0)
            close(hand[i]);
    if (r < 0) {
        close(sv[0]);
        free(p);
        return lk_log_errno(r, LK_LOG_ERR, "cannot start a worker: %m");
    }
    p->m = m;
    p->pid = p->proc.pid;
    p->gen = m->reloads;
    p->start_ms = lk_mono_ms();
    p->proc.data = p->ctl.data = p;
    p->handles = 2;
    p->ctl_open = 1;
    uv_pipe_init(&m->loop, &p->ctl, 1); /* ipc: a jailed worker's checkd socket */
    if (uv_pipe_open(&p->ctl, sv[0]) == 0)
        uv_read_start((uv_stream_t *)&p->ctl, lk_inbuf_scratch, ctl_read);
    if (pending)
        m->pending = p;
    else
        m->cur = p;
    lk_log(LK_LOG_NOTICE, "worker %d started", p->pid);
    return 0;
}

/* ---- reload, stop ---- */

/* SIGKILL, not SIGTERM: a worker that is not ready may be stuck in a way that
 * would ignore a graceful stop; proc_exit then reports the failed reload. */
static void ready_timeout(uv_timer_t *t)
{
    struct lb_master *m = t->data;

    if (m->pending) {
        lk_log(LK_LOG_ERR, "new worker %d not ready after %d s: killing it", m->pending->pid,
               READY_TIMEOUT_MS / 1000);
        kill(m->pending->pid, SIGKILL);
    }
}

/* Read and parse the file; the text is what workers will parse. Errors
 * are logged. */
static int load_text(const char *path, struct lb_cfg **ret_cfg, char **ret_text)
{
    char *text = NULL, *err = NULL;
    size_t len;
    int r;

    r = lk_cfg_read_file(path, &text, &len);
    if (r < 0)
        return lk_log_errno(r, LK_LOG_ERR, "cannot read '%s': %m", path);
    r = lb_cfg_load_mem(path, text, ret_cfg, &err);
    if (r < 0) {
        lk_log(LK_LOG_ERR, "%s", err ? err : "cannot load the configuration");
        free(err);
        free(text);
        return r;
    }
    *ret_text = text;
    return 0;
}

/* Returns 0 when a new worker is starting, else a negative errno (the
 * reason is logged). */
/* One reload at a time: a second signal while a worker
 * is starting is refused rather than queued, so the result of each reload is
 * attributable to one config. */
static int reload(struct lb_master *m, const char *by)
{
    int r;

    if (m->stopping)
        return -ESHUTDOWN;
    if (m->pending || !m->cur)
        return lk_log_errno(-EBUSY, LK_LOG_WARNING, "%s: a worker is starting, reload later", by);
    lk_sd_notify_reloading();
    lk_log(LK_LOG_NOTICE, "%s: reloading %s", by, m->a->file);
    r = load_text(m->a->file, &m->next_cfg, &m->next_text);
    if (r < 0) {
        reload_failed(m, "invalid configuration");
        return r;
    }
    r = bind_all(m, m->next_cfg);
    if (r == 0)
        r = spawn_worker(m, 1);
    if (r < 0) {
        reload_failed(m, "cannot bind or start");
        return r;
    }
    uv_timer_start(&m->ready_timer, ready_timeout, READY_TIMEOUT_MS, 0);
    return 0;
}

static void signal_all(struct lb_master *m, int sig)
{
    struct lk_list *it;

    if (m->cur)
        kill(m->cur->pid, sig);
    if (m->pending)
        kill(m->pending->pid, sig);
    LK_LIST_FOREACH (it, &m->old)
        kill(LK_LIST_ELEM(it, struct mproc, link)->pid, sig);
}

/* The master loop ends once these handles (and the mcli's) are closed and no
 * worker process is left. */
static void close_master(struct lb_master *m)
{
    if (m->closed)
        return;
    m->closed = 1;
    uv_close((uv_handle_t *)&m->sighup, NULL);
    uv_close((uv_handle_t *)&m->sigusr2, NULL);
    uv_close((uv_handle_t *)&m->sigterm, NULL);
    uv_close((uv_handle_t *)&m->sigint, NULL);
    uv_close((uv_handle_t *)&m->ready_timer, NULL);
    uv_close((uv_handle_t *)&m->watchdog, NULL);
    lb_mcli_stop(m->cli);
    m->cli = NULL;
}

/* Exit code 1 is kept once set, so a stop caused by a failure still fails the
 * service after a later signal. */
static void begin_stop(struct lb_master *m, const char *why, int code)
{
    if (code)
        m->exit_code = code;
    if (m->stopping) {
        signal_all(m, SIGTERM); /* a second SIGTERM: workers close everything */
        return;
    }
    m->stopping = 1;
    lk_sd_notify("STOPPING=1");
    lk_log(LK_LOG_NOTICE, "master: %s: stopping the workers", why);
    signal_all(m, SIGTERM);
    if (all_gone(m))
        close_master(m);
}

static void signal_cb(uv_signal_t *s, int signum)
{
    struct lb_master *m = s->data;

    if (signum == SIGHUP || signum == SIGUSR2)
        reload(m, signum == SIGHUP ? "SIGHUP" : "SIGUSR2");
    else
        begin_stop(m, signum == SIGTERM ? "SIGTERM" : "SIGINT", 0);
}

/* ---- what the master CLI shows (ctl/mcli.c) ---- */

/* The worker serving, or during a respawn shorter than the grace. */
/* Answers the master CLI's health query (used like lb_daemon_healthy() in
 * single-process mode): the serving worker's own last verdict while it is
 * fresh, a short grace after a start or a respawn, otherwise unhealthy. */
static int master_healthy(struct lb_master *m, char *why, size_t len)
{
    struct mproc *p = m->cur;
    uint64_t now = lk_mono_ms();

    if (m->stopping) {
        snprintf(why, len, "stopping");
        return 0;
    }
    if (p && p->ready && p->health_ms && now < p->health_ms + HEALTH_STALE_MS) {
        snprintf(why, len, "worker %d: %s", p->pid, p->health_why);
        return p->health_ok;
    }
    if (p && p->ready && now < p->start_ms + HEALTH_STALE_MS) {
        snprintf(why, len, "worker %d ready", p->pid);
        return 1;
    }
    if (p && p->ready) {
        snprintf(why, len, "worker %d silent for %llu ms", p->pid,
                 (unsigned long long)(now - (p->health_ms ? p->health_ms : p->start_ms)));
        return 0;
    }
    if (m->lost_ms && now < m->lost_ms + HEALTH_GRACE_MS) {
        snprintf(why, len, "worker restarting");
        return 1;
    }
    snprintf(why, len, "no worker serving");
    return 0;
}

static void uptime(char *buf, size_t len, uint64_t since_ms)
{
    uint64_t s = (lk_mono_ms() - since_ms) / 1000;

    snprintf(buf, len, "%llud%02uh%02um%02us", (unsigned long long)(s / 86400),
             (unsigned)(s / 3600 % 24), (unsigned)(s / 60 % 60), (unsigned)(s % 60));
}

static void proc_line(struct lk_sb *sb, struct lb_master *m, const struct mproc *p)
{
    char up[32], rl[16];

    uptime(up, sizeof(up), p->start_ms);
    snprintf(rl, sizeof(rl), "%u", m->reloads - p->gen);
    lk_sb_printf(sb, "%-15d %-15s %-15s %-15s %s\n", p->pid, "worker", rl, up, LBKIT_VERSION);
}

/* HAProxy 2.6's layout, column for column: sections "# workers", "# old
 * workers" (only when there are some) and "# programs" (lbd runs none). */
static void show_proc(void *ud, struct lk_sb *sb)
{
    struct lb_master *m = ud;
    struct lk_list *it;
    char up[32], rl[48];

    uptime(up, sizeof(up), m->start_ms);
    snprintf(rl, sizeof(rl), "%u [failed: %u]", m->reloads, m->failed);
    lk_sb_printf(sb, "%-15s %-15s %-15s %-15s %-15s\n", "#<PID>", "<type>", "<reloads>", "<uptime>",
                 "<version>");
    lk_sb_printf(sb, "%-15d %-15s %-15s %-15s %s\n", (int)getpid(), "master", rl, up,
                 LBKIT_VERSION);
    lk_sb_puts(sb, "# workers\n");
    if (m->cur)
        proc_line(sb, m, m->cur);
    if (m->pending)
        proc_line(sb, m, m->pending);
    if (!lk_list_empty(&m->old))
        lk_sb_puts(sb, "# old workers\n");
    LK_LIST_FOREACH (it, &m->old)
        proc_line(sb, m, LK_LIST_ELEM(it, struct mproc, link));
    lk_sb_puts(sb, "# programs\n");
}

static int cli_reload(void *ud)
{
    return reload(ud, "master CLI");
}

static int cli_healthy(void *ud, char *why, size_t len)
{
    return master_healthy(ud, why, len);
}

static const struct lb_mcli_ops cli_ops = {show_proc, cli_reload, cli_healthy};

/* A worker whose control loop stopped reporting (deadlock, SIGSTOP, a
 * loop stuck in a callback) serves nobody well: replace it as if it had
 * died. Its connections are lost either way. */
static void watchdog_cb(uv_timer_t *t)
{
    struct lb_master *m = t->data;
    struct mproc *p = m->cur;
    uint64_t now = lk_mono_ms(), last;

    if (!p || !p->ready || m->stopping || p->hung_killed)
        return;
    last = p->health_ms ? p->health_ms : p->start_ms;
    if (now < last + HUNG_KILL_MS)
        return;
    lk_log(LK_LOG_ERR, "worker %d silent for %llu ms: hung, killing it", p->pid,
           (unsigned long long)(now - last));
    p->hung_killed = 1;
    kill(p->pid, SIGKILL);
}

/* ---- run ---- */

static void init_handles(struct lb_master *m)
{
    uv_signal_init(&m->loop, &m->sighup);
    uv_signal_init(&m->loop, &m->sigusr2);
    uv_signal_init(&m->loop, &m->sigterm);
    uv_signal_init(&m->loop, &m->sigint);
    uv_timer_init(&m->loop, &m->ready_timer);
    uv_timer_init(&m->loop, &m->watchdog);
    m->watchdog.data = m;
    uv_timer_start(&m->watchdog, watchdog_cb, WATCHDOG_MS, WATCHDOG_MS);
    m->sighup.data = m->sigusr2.data = m->sigterm.data = m->sigint.data = m;
    m->ready_timer.data = m;
    uv_signal_start(&m->sighup, signal_cb, SIGHUP);
    uv_signal_start(&m->sigusr2, signal_cb, SIGUSR2);
    uv_signal_start(&m->sigterm, signal_cb, SIGTERM);
    uv_signal_start(&m->sigint, signal_cb, SIGINT);
}

static int start_cli(struct lb_master *m)
{
    if (!m->a->master_sock)
        return 0;
    if (strchr(m->a->master_sock, ','))
        return lk_log_errno(-EINVAL, LK_LOG_ERR,
                            "-S %s: HAProxy's bind options after ',' are not supported by lbd "
                            "(the master socket is mode 0600, level admin)",
                            m->a->master_sock);
    return lb_mcli_start(&m->cli, &m->loop, m->a->master_sock, &cli_ops, m);
}

static int write_pidfile(const char *path)
{
    FILE *f = fopen(path, "we");

    if (!f)
        return lk_log_errno(-errno, LK_LOG_ERR, "cannot write pidfile %s: %m", path);
    fprintf(f, "%d\n", (int)getpid());
    return fclose(f) == 0 ? 0 : lk_log_errno(-EIO, LK_LOG_ERR, "pidfile %s: %m", path);
}

/* Sockets are bound before the first worker starts so that a port in use
 * fails the start in the foreground (systemd sees the error), not in a worker
 * that would then die before ready. */
static int start(struct lb_master *m)
{
    int r;

    if (mkdir(m->a->rundir, 0755) < 0 && errno != EEXIST)
        return lk_log_errno(-errno, LK_LOG_ERR, "cannot create runtime directory %s: %m",
                            m->a->rundir);
    r = bind_all(m, m->cfg);
    if (r < 0)
        return r;
    settle_fds(m, 1);
    r = start_cli(m);
    if (r == 0 && m->cfg->global.pidfile)
        r = write_pidfile(m->cfg->global.pidfile);
    if (r == 0)
        r = spawn_worker(m, 0);
    return r;
}

/* The loop runs once more so that close callbacks of handles closed in
 * close_master() fire before uv_loop_close(). */
static void free_master(struct lb_master *m)
{
    size_t i;

    uv_run(&m->loop, UV_RUN_NOWAIT);
    if (uv_loop_close(&m->loop) != 0)
        lk_log(LK_LOG_DEBUG, "master loop closed with open handles");
    for (i = 0; i < m->nfds; i++)
        close_fd(&m->fds[i]);
    free(m->fds);
    free(m->state);
    lb_cfg_free(m->cfg);
    lb_cfg_free(m->next_cfg);
    free(m->cfg_text);
    free(m->next_text);
    free(m);
}

int lb_master_run(const struct lk_args *a, char **argv)
{
    struct lb_master *m;
    int r;

    if (!a->file) {
        lk_log(LK_LOG_ERR, "master-worker mode needs -f FILE (reloads read it again)");
        return 1;
    }
    m = calloc(1, sizeof(*m));
    if (!m || uv_loop_init(&m->loop) < 0) {
        free(m);
        return 1;
    }
    m->a = a;
    m->argv = argv;
    m->start_ms = lk_mono_ms();
    lk_list_init(&m->old);
    init_handles(m);
    r = load_text(a->file, &m->cfg, &m->cfg_text);
    if (r == 0)
        r = start(m);
    if (r < 0)
        begin_stop(m, "startup failure", 1);
    else
        lk_log(LK_LOG_NOTICE, "lbd %s master started, pid %d", LBKIT_VERSION, (int)getpid());
    uv_run(&m->loop, UV_RUN_DEFAULT);
    r = m->exit_code;
    lk_log(LK_LOG_NOTICE, "master stopped");
    free_master(m);
    return r;
}
