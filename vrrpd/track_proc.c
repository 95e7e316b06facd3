/* track_proc.c - track_process at run time (see track.h): the number of
 * running processes that match, from a scan of /proc every SCAN_MS.
 *
 * Keepalived follows process events over the netlink proc connector; a
 * scan is simpler, needs no extra privilege, and at SCAN_MS costs one
 * small read per process. Matching follows Keepalived: by default the
 * process name (/proc/PID/stat's comm, 15 characters at most) equals the
 * configured name; with parameters, param_match or full_command the
 * command line is used: argv[0] equals the name and the parameters match
 * exactly (default), their first n (partial), or their first n with the
 * last one a prefix (initial). Zombies do not count. The state changes
 * when the count enters or leaves [quorum, quorum_max], after fork_delay
 * (gaining) or terminate_delay (losing) if set. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "common/clock.h"
#include "vrrpd/daemon.h"
#include "vrrpd/inst.h"
#include "vrrpd/track_int.h"

#define SCAN_MS   200
#define COMM_MAX  15 /* TASK_COMM_LEN - 1 */
#define CMD_BYTES 4096

struct proc_track {
    struct vr_track t; /* first: freed through it */
    uv_timer_t timer;
    const struct vr_tproc_cfg *c; /* owned by the config, which outlives us */
    uint64_t pending_since;       /* the count crossed the quorum at; 0: no change pending */
    unsigned count;
};

static ssize_t read_small(const char *path, char *buf, size_t len)
{
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return n;
}

/* "PID (comm) S ...": the name and whether it is a zombie */
static int stat_name(const char *pid, char *name, size_t len)
{
    char path[64], buf[512], *open_p, *close_p;

    snprintf(path, sizeof(path), "/proc/%s/stat", pid);
    if (read_small(path, buf, sizeof(buf)) <= 0)
        return -ENOENT;
    open_p = strchr(buf, '(');
    close_p = strrchr(buf, ')');
    if (!open_p || !close_p || close_p < open_p || close_p[1] != ' ')
        return -EINVAL;
    if (close_p[2] == 'Z' || close_p[2] == 'X')
        return -ESRCH;
    *close_p = '\0';
    snprintf(name, len, "%s", open_p + 1);
    return 0;
}

static bool params_match(const struct vr_tproc_cfg *c, const char *const *av, int ac)
{
    int n = c->argc - 1, k;

    if (ac - 1 < n || (c->match == VR_PARAM_EXACT && ac - 1 != n))
        return false;
    for (k = 1; k <= n; k++) {
        if (c->match == VR_PARAM_INITIAL && k == n)
            return !strncmp(av[k], c->argv[k], strlen(c->argv[k]));
        if (strcmp(av[k], c->argv[k]) != 0)
            return false;
    }
    return true;
}

bool vr__tproc_match(const struct vr_tproc_cfg *c, const char *comm, const char *const *av, int ac)
{
    if (c->has_params || c->full_command)
        return ac > 0 && !strcmp(av[0], c->argv[0]) && params_match(c, av, ac);
    /* the kernel keeps 15 characters of a longer name */
    if (strlen(c->argv[0]) <= COMM_MAX)
        return !strcmp(comm, c->argv[0]);
    return strlen(comm) == COMM_MAX && !strncmp(comm, c->argv[0], COMM_MAX);
}

/* argv of a process from /proc/PID/cmdline into av (pointing into buf) */
static int read_cmdline(const char *pid, char *buf, size_t len, char **av, int max)
{
    char path[64];
    ssize_t n, k;
    int ac = 0;

    snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
    n = read_small(path, buf, len);
    for (k = 0; k < n && ac < max; k += (ssize_t)strlen(buf + k) + 1)
        av[ac++] = buf + k;
    return ac; /* kernel threads have none */
}

static bool matches(const struct vr_tproc_cfg *c, const char *pid)
{
    char name[64], buf[CMD_BYTES], *av[64];
    int ac = 0;

    if (stat_name(pid, name, sizeof(name)) < 0)
        return false;
    if (c->has_params || c->full_command)
        ac = read_cmdline(pid, buf, sizeof(buf), av, 64);
    return vr__tproc_match(c, name, (const char *const *)av, ac);
}

static unsigned scan(const struct vr_tproc_cfg *c)
{
    struct dirent *e;
    unsigned n = 0;
    DIR *d = opendir("/proc");

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL)
        if (isdigit((unsigned char)e->d_name[0]) && matches(c, e->d_name))
            n++;
    closedir(d);
    return n;
}

static void tick(uv_timer_t *h)
{
    struct proc_track *p = h->data;
    const struct vr_tproc_cfg *c = p->c;
    unsigned n = scan(c);
    bool ok = n >= c->quorum && n <= c->quorum_max;
    uint64_t now = lk_mono_ms(), delay = ok ? c->fork_delay_ms : c->terminate_delay_ms;
    char why[96];

    p->count = n;
    if (ok == p->t.ok) {
        p->pending_since = 0;
        return;
    }
    if (!p->pending_since)
        p->pending_since = now;
    if (now - p->pending_since < delay)
        return;
    p->pending_since = 0;
    snprintf(why, sizeof(why), "%u process(es) '%s' running (quorum %u)", n, c->argv[0], c->quorum);
    vr__track_set(&p->t, ok, why);
}

static void closed(uv_handle_t *h)
{
    struct proc_track *p = h->data;

    vr__track_release(&p->t);
}

static void stop(struct vr_track *t)
{
    struct proc_track *p = (struct proc_track *)t;

    uv_close((uv_handle_t *)&p->timer, closed);
}

int vr__tproc_start(struct vr_inst *i, const struct vr_tproc_cfg *c, const struct vr_track_ref *ref)
{
    struct proc_track *p = calloc(1, sizeof(*p));
    unsigned n;

    if (!p)
        return -ENOMEM;
    p->c = c;
    /* the first scan decides the initial state at once, without delay */
    n = scan(c);
    p->count = n;
    vr__track_init(&p->t, i, VR_TRACK_PROC, c->name, ref->has_weight ? ref->weight : c->weight,
                   n >= c->quorum && n <= c->quorum_max);
    p->t.ok = n >= c->quorum && n <= c->quorum_max;
    snprintf(p->t.why, sizeof(p->t.why), "%u process(es) '%s' running", n, c->argv[0]);
    p->t.reverse = ref->reverse || c->reverse;
    p->t.stop = stop;
    uv_timer_init(&i->d->loop, &p->timer);
    p->timer.data = p;
    uv_timer_start(&p->timer, tick, SCAN_MS, SCAN_MS);
    return 0;
}
