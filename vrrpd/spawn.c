/* spawn.c - scripts run from the loop (see spawn.h). */
#include "vrrpd/spawn.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/cmdsrv.h"
#include "common/compiler.h"

#define MAX_ARGS 32

/* One running script: freed when both its handles (process, timeout timer)
 * have closed, whichever closes last; the owner's pointer to it is only valid
 * until the callback has run. */
struct vr_child {
    uv_process_t proc;
    uv_timer_t timer;
    vr_spawn_fn cb;
    void *ud;
    int open;     /* handles not yet closed */
    int timedout; /* killed by our timer */
};

static void child_closed(uv_handle_t *h)
{
    struct vr_child *c = h->data;

    if (--c->open == 0)
        free(c);
}

/* A signal is reported as its negative number and our own timeout as
 * -ETIMEDOUT, so callers tell "the script said no" from "the script did not
 * finish". */
static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
    struct vr_child *c = p->data;
    int r = sig ? -sig : (int)status;

    if (c->timedout)
        r = -ETIMEDOUT;
    if (c->cb)
        c->cb(r, c->ud);
    uv_close((uv_handle_t *)&c->proc, child_closed);
    uv_close((uv_handle_t *)&c->timer, child_closed);
}

static void on_timeout(uv_timer_t *t)
{
    struct vr_child *c = t->data;

    c->timedout = 1;
    /* the script leads its own process group (setsid): what it started
     * goes down with it */
    if (kill(-c->proc.pid, SIGKILL) == -1)
        uv_process_kill(&c->proc, SIGKILL);
}

/* Keepalived's splitting, not the admin socket's (which knows no quotes):
 * public files write `script "/bin/sh -c 'pidof haproxy'"` and even
 * `script \"/etc/keepalived/check.sh\"`, which Keepalived runs as
 * /etc/keepalived/check.sh. Nothing is ever given to /bin/sh. */
int vr_spawn_split(char *line, char **argv, int max)
{
    return lk_cmd_split_quoted(line, argv, max);
}

/* extra words (the notify arguments) are appended as they are. */
static int build_argv(char *line, const char *const *extra, char **argv)
{
    int argc = vr_spawn_split(line, argv, MAX_ARGS - 8);

    if (argc <= 0)
        return argc < 0 ? argc : -EINVAL;
    for (; extra && *extra && argc < MAX_ARGS - 1; extra++)
        argv[argc++] = (char *)(uintptr_t)*extra;
    argv[argc] = NULL;
    return argc;
}

int vr_spawn(uv_loop_t *loop,
             const struct vr_spawn_cmd *cmd,
             vr_spawn_fn cb,
             void *ud,
             struct vr_child **ret)
{
    uv_process_options_t o = {0};
    char *line = strdup(cmd->cmdline), *argv[MAX_ARGS + 1];
    struct vr_child *c = calloc(1, sizeof(*c));
    int r;

    if (!line || !c) {
        r = -ENOMEM;
        goto fail;
    }
    r = build_argv(line, cmd->extra, argv);
    if (r < 0)
        goto fail;
    o.file = argv[0];
    o.args = argv;
    o.exit_cb = on_exit_cb;
    o.flags = UV_PROCESS_DETACHED; /* setsid: a process group to kill at timeout */
    if (cmd->uid != (uid_t)-1) {
        o.flags |= UV_PROCESS_SETUID | UV_PROCESS_SETGID;
        o.uid = cmd->uid;
        o.gid = cmd->gid;
    }
    c->cb = cb;
    c->ud = ud;
    c->proc.data = c->timer.data = c;
    r = uv_spawn(loop, &c->proc, &o);
    free(line);
    line = NULL;
    /* even a failed uv_spawn initialized the handle: it must be closed */
    c->open = 2;
    uv_timer_init(loop, &c->timer);
    if (r < 0) {
        uv_close((uv_handle_t *)&c->proc, child_closed);
        uv_close((uv_handle_t *)&c->timer, child_closed);
        return r;
    }
    if (cmd->timeout_ms)
        uv_timer_start(&c->timer, on_timeout, cmd->timeout_ms, 0);
    if (ret)
        *ret = c;
    return 0;
fail:
    free(line);
    free(c);
    return r;
}

void vr_spawn_signal(struct vr_child *c, int sig)
{
    if (c && kill(-c->proc.pid, sig) == -1)
        uv_process_kill(&c->proc, sig);
}

/* The child keeps running and is reaped as usual; only the result no longer
 * reaches a caller that has gone away. */
void vr_spawn_forget(struct vr_child *c)
{
    if (c)
        c->cb = NULL;
}

int vr_spawn_user(const char *user, const char *group, uid_t *ret_uid, gid_t *ret_gid)
{
    struct passwd *pw = getpwnam(user);
    struct group *gr;
    gid_t gid;

    if (!pw)
        return -ENOENT;
    gid = pw->pw_gid;
    if (group) {
        gr = getgrnam(group);
        if (!gr)
            return -ENOENT;
        gid = gr->gr_gid;
    }
    *ret_uid = pw->pw_uid;
    *ret_gid = gid;
    return 0;
}
