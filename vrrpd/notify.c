/* notify.c - notify scripts and FIFOs (see notify.h). */
#include "vrrpd/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "vrrpd/daemon.h"
#include "vrrpd/spawn.h"

/* A notify script that runs longer than this is killed: scripts are started
 * on every state change, and a hung one must not pile up with each flap. */
#define NOTIFY_TIMEOUT 10000

static struct lk_ratelimit rl_fifo = LK_RATELIMIT_INIT(5000, 3);

static void user_ids(const char *user, const char *group, uid_t *uid, gid_t *gid)
{
    *uid = (uid_t)-1;
    *gid = (gid_t)-1;
    if (user && vr_spawn_user(user, group, uid, gid) < 0)
        lk_log(LK_LOG_WARNING, "user '%s' unknown: running as ourselves", user);
}

/* Fire and forget: the state change does not wait for the script, as in
 * Keepalived (a slow script must not delay the takeover). spawn.c reaps it
 * and enforces the timeout. */
void vr_notify_run(struct vr_daemon *d,
                   const char *who,
                   const struct vr_notify_cfg *n,
                   enum vr_notify_slot k,
                   const char *const *extra)
{
    const char *cmd = n->cmd[k];
    uid_t uid;
    gid_t gid;
    int r;

    if (!cmd)
        return;
    if (n->user[k])
        user_ids(n->user[k], n->group[k], &uid, &gid);
    else
        user_ids(d->cfg->script_user, d->cfg->script_group, &uid, &gid);
    r = vr_spawn(&d->loop, &(struct vr_spawn_cmd){cmd, extra, uid, gid, NOTIFY_TIMEOUT}, NULL, NULL,
                 NULL);
    if (r < 0)
        lk_log(LK_LOG_WARNING, "(%s) cannot run '%s': %s", who, cmd, uv_strerror(r));
}

/* Keepalived's set of notifications: the state's own script
 * (notify_master...), the generic "notify" script with "KIND NAME STATE
 * PRIORITY", and the FIFO line, started in that order. */
void vr_notify_state(struct vr_daemon *d,
                     const char *kind,
                     const char *name,
                     const char *state,
                     unsigned prio,
                     const struct vr_notify_cfg *scripts)
{
    static const char *const states[VR_NOTIFY_ANY] = {"MASTER", "BACKUP", "FAULT", "STOP"};
    char p[12];
    const char *args[] = {kind, name, state, p, NULL};
    unsigned k;

    snprintf(p, sizeof(p), "%u", prio);
    for (k = 0; k < VR_NOTIFY_ANY; k++)
        if (!strcmp(state, states[k]))
            vr_notify_run(d, name, scripts, k, NULL);
    vr_notify_run(d, name, scripts, VR_NOTIFY_ANY, args);
    vr_notify_fifo(d, kind, name, state, prio);
}

/* Keepalived's FIFO line format, 'INSTANCE "VI_1" MASTER 100', which existing
 * FIFO readers parse. The write never blocks: a reader that is gone or slow
 * loses lines (logged, rate-limited), vrrpd never stalls on it. */
void vr_notify_fifo(struct vr_daemon *d,
                    const char *kind,
                    const char *name,
                    const char *state,
                    unsigned prio)
{
    char line[VR_NAME_MAX + 64];
    int n, k;

    n = snprintf(line, sizeof(line), "%s \"%s\" %s %u\n", kind, name, state, prio);
    if (n < 0 || (size_t)n >= sizeof(line))
        return;
    for (k = 0; k < 2; k++) {
        if (d->fifo_fd[k] < 0)
            continue;
        /* one write(2) of less than PIPE_BUF bytes: whole or not at all */
        if (write(d->fifo_fd[k], line, (size_t)n) != n)
            lk_log_rl(&rl_fifo, LK_LOG_WARNING, "notify fifo: line lost (%s): %s", strerror(errno),
                      line);
    }
}

static void fifo_script_exited(int status, void *ud)
{
    struct vr_child **slot = ud;

    *slot = NULL;
    lk_log(LK_LOG_WARNING, "notify fifo script exited (status %d)", status);
}

/* A missing FIFO is created (mode 0600, then given to its reader's user) and
 * an existing non-FIFO file is refused: writing state lines into a regular
 * file by mistake would grow it without bound. */
static int open_fifo(struct vr_daemon *d, const struct vr_fifo_cfg *f, int k)
{
    const char *extra[] = {f->path, NULL};
    struct stat st;
    uid_t uid;
    gid_t gid;
    int r;

    if (stat(f->path, &st) == -1 && mkfifo(f->path, 0600) == -1)
        return lk_log_errno(-errno, LK_LOG_ERR, "notify fifo %s: %m", f->path);
    if (stat(f->path, &st) == 0 && !S_ISFIFO(st.st_mode))
        return lk_log_errno(-EINVAL, LK_LOG_ERR, "notify fifo %s exists and is not a FIFO",
                            f->path);
    if (f->user) {
        user_ids(f->user, f->group, &uid, &gid);
        if (uid != (uid_t)-1 && chown(f->path, uid, gid) == -1)
            lk_log(LK_LOG_WARNING, "notify fifo %s: chown: %s", f->path, strerror(errno));
    }
    /* read-write: opening never waits for a reader, and writes never fail
     * with EPIPE while the script restarts */
    d->fifo_fd[k] = open(f->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (d->fifo_fd[k] < 0)
        return lk_log_errno(-errno, LK_LOG_ERR, "notify fifo %s: %m", f->path);
    if (!f->script)
        return 0;
    user_ids(f->user ? f->user : d->cfg->script_user, f->user ? f->group : d->cfg->script_group,
             &uid, &gid);
    r = vr_spawn(&d->loop, &(struct vr_spawn_cmd){f->script, extra, uid, gid, 0},
                 fifo_script_exited, &d->fifo_child[k], &d->fifo_child[k]);
    if (r < 0)
        lk_log(LK_LOG_ERR, "notify fifo script '%s': %s", f->script, uv_strerror(r));
    return 0;
}

int vr_notify_start(struct vr_daemon *d)
{
    const struct vr_fifo_cfg *f[2] = {&d->cfg->fifo, &d->cfg->vrrp_fifo};
    int k, r = 0;

    for (k = 0; k < 2; k++) {
        if (!f[k]->path)
            continue;
        if (k == 1 && f[0]->path && !strcmp(f[0]->path, f[1]->path))
            break; /* one FIFO named twice: one copy of each line */
        r = r < 0 ? r : open_fifo(d, f[k], k);
    }
    return r;
}

/* Closing the write side gives the FIFO script EOF, its cue to exit. */
void vr_notify_close(struct vr_daemon *d)
{
    int k;

    for (k = 0; k < 2; k++)
        if (d->fifo_fd[k] >= 0) {
            close(d->fifo_fd[k]);
            d->fifo_fd[k] = -1;
        }
}

void vr_notify_kill(struct vr_daemon *d)
{
    int k;

    for (k = 0; k < 2; k++) {
        if (!d->fifo_child[k])
            continue;
        vr_spawn_signal(d->fifo_child[k], SIGTERM);
        vr_spawn_forget(d->fifo_child[k]);
        d->fifo_child[k] = NULL;
    }
}
