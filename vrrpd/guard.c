/* guard.c - the child that resigns for a dead vrrpd (see guard.h). */
#include "vrrpd/guard.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "vrrpd/os/netlink.h"
#include "vrrpd/os/sock.h"

/* GUARD_FD: the read end of the pipe, at a fixed number in the child so
 * guard_main() needs no arguments about it. GUARD_MAX_WILLS bounds the wills
 * held, one per master instance. */
#define GUARD_MAX_WILLS 64
#define GUARD_FD        3
#define WILLS_MAGIC     0x4c4b5731u /* "LKW1"; the file is only read by the same build */

/* the wills file: a header, then the held wills, nothing else */
struct wills_hdr {
    uint32_t magic;
    uint32_t size; /* sizeof(struct vr_guard_will): a file of another build is refused */
    uint32_t count;
};

_Static_assert(sizeof(struct vr_guard_will) <= PIPE_BUF, "a will must be one atomic pipe write");

/* What a dead master owes its peers, in RFC 5798 order: priority 0 first (the
 * backup takes over after Skew_Time instead of waiting Master_Down_Interval),
 * then the routes and rules, then the VIPs, so that no address is answered by
 * two nodes for long. Every step is best effort: nothing can be reported any
 * more. */
static void run_will(const struct vr_guard_will *w)
{
    int fd = w->family == AF_INET6 ? vr_sock_open6(w->ifname, w->ifindex, w->unicast)
                                   : vr_sock_open(w->ifname, w->ifindex, w->unicast);
    uint8_t pkt6[VRRP_PKT6_MAX_LEN];
    unsigned k;
    int n;

    /* the advertisement first: the peer takes over while we clean up */
    for (k = 0; fd >= 0 && w->family == AF_INET6 && k < w->ndst && k < VR_MAX_PEERS; k++) {
        n = vrrp_pkt_encode6(&w->v6.p, w->src6, w->v6.dst6[k], pkt6, sizeof(pkt6));
        if (n > 0)
            vr_sock_send6(fd, w->ifindex, w->src6, w->v6.dst6[k], pkt6, (size_t)n);
    }
    for (k = 0; fd >= 0 && w->family != AF_INET6 && k < w->ndst && k < VR_MAX_PEERS; k++)
        vr_sock_send(fd, w->ifindex, w->src, w->dst[k], w->pkt[k], w->len[k]);
    for (k = 0; k < w->nrules && k < VR_GUARD_MAX_ROUTES; k++) {
        struct vr_rule_opts o;

        vr_guard_rule_opts(&w->rules[k], &o);
        vr_rule_del(&o);
    }
    for (k = 0; k < w->nroutes && k < VR_GUARD_MAX_ROUTES; k++)
        vr_route_del(&w->routes[k]);
    for (k = 0; k < w->nvips && k < VR_MAX_VIPS; k++) {
        const struct vr_guard_vip *v = &w->vips[k];

        if (v->family == AF_INET6)
            vr_addr_del6(v->ifindex, v->addr6, v->prefix);
        else
            vr_addr_del(v->ifindex, v->addr, v->prefix);
    }
    if (fd >= 0)
        close(fd);
}

void vr_guard_rule_opts(const struct vr_rule *r, struct vr_rule_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->from = r->from;
    o->to = r->to;
    o->from_len = r->from_len;
    o->to_len = r->to_len;
    o->table = r->table;
    o->priority = r->priority;
    o->fwmark = r->fwmark;
    o->iif = r->iif;
    o->oif = r->oif;
}

/* One will per instance name: a newer will replaces the older, a revoke
 * empties the slot. Slots are never compacted, so an index means nothing
 * across messages. */
static void keep(struct vr_guard_will *wills, const struct vr_guard_will *w)
{
    struct vr_guard_will *free_slot = NULL;
    unsigned k;

    for (k = 0; k < GUARD_MAX_WILLS; k++) {
        if (wills[k].name[0] && !strcmp(wills[k].name, w->name)) {
            free_slot = &wills[k];
            break;
        }
        if (!wills[k].name[0] && !free_slot)
            free_slot = &wills[k];
    }
    if (!free_slot)
        return; /* more masters than vrrpd can run: cannot happen */
    if (w->revoke)
        memset(free_slot->name, 0, sizeof(free_slot->name));
    else
        *free_slot = *w;
}

/* A will read from the pipe or the file: its strings end inside it. */
static void terminate(struct vr_guard_will *w)
{
    unsigned k;

    w->name[sizeof(w->name) - 1] = '\0';
    w->ifname[sizeof(w->ifname) - 1] = '\0';
    for (k = 0; k < VR_GUARD_MAX_ROUTES; k++) {
        w->rules[k].iif[IF_NAMESIZE - 1] = '\0';
        w->rules[k].oif[IF_NAMESIZE - 1] = '\0';
    }
}

/* Write the held wills to path (a temporary file renamed over it, so a
 * reader never sees half a file). Errors are not fatal: the guard itself
 * still acts on the pipe's EOF; the file only serves when the guard dies
 * with vrrpd. */
static void save(const char *path, const struct vr_guard_will *wills)
{
    struct wills_hdr h = {WILLS_MAGIC, sizeof(*wills), 0};
    char tmp[PATH_MAX];
    unsigned k;
    FILE *f;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return;
    for (k = 0; k < GUARD_MAX_WILLS; k++)
        h.count += wills[k].name[0] != '\0';
    f = fopen(tmp, "we");
    if (!f)
        return;
    fwrite(&h, sizeof(h), 1, f);
    for (k = 0; k < GUARD_MAX_WILLS; k++)
        if (wills[k].name[0])
            fwrite(&wills[k], sizeof(wills[k]), 1, f);
    if (fclose(f) == 0)
        rename(tmp, path);
    else
        unlink(tmp);
}

/* The child: read wills until EOF, then execute them. Never returns. */
static void guard_main(const char *path)
{
    static struct vr_guard_will wills[GUARD_MAX_WILLS];
    struct vr_guard_will w;
    unsigned k;
    ssize_t n;

    for (;;) {
        n = read(GUARD_FD, &w, sizeof(w));
        if (n == -1 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof(w))
            break; /* EOF (vrrpd gone) or error: act */
        terminate(&w);
        keep(wills, &w);
        if (path)
            save(path, wills);
    }
    for (k = 0; k < GUARD_MAX_WILLS; k++)
        if (wills[k].name[0])
            run_will(&wills[k]);
    /* done: nothing is left for `vrrpd --resign` to do */
    if (path)
        unlink(path);
    _exit(0); /* not exit(): the parent's atexit handlers are not ours */
}

int vr_guard_resign(const char *path)
{
    struct vr_guard_will w;
    struct wills_hdr h;
    unsigned k, ran = 0;
    FILE *f = fopen(path, "re");
    int r = 0;

    if (!f)
        return errno == ENOENT ? 0 : -errno;
    if (fread(&h, sizeof(h), 1, f) != 1 || h.magic != WILLS_MAGIC || h.size != sizeof(w) ||
        h.count > GUARD_MAX_WILLS) {
        r = -EINVAL;
        goto out;
    }
    for (k = 0; k < h.count; k++) {
        if (fread(&w, sizeof(w), 1, f) != 1) {
            r = -EINVAL;
            goto out;
        }
        terminate(&w);
        if (w.name[0] && !w.revoke) {
            run_will(&w);
            ran++;
        }
    }
    r = (int)ran;
out:
    fclose(f);
    if (r >= 0)
        unlink(path);
    return r;
}

/* The guard is forked before any instance starts, while vrrpd holds little
 * state, and lives as long as the pipe's write end is open in vrrpd: EOF
 * there (vrrpd exited or was killed) is its signal to act. */
int vr_guard_start(const char *path)
{
    int p[2];
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) == -1)
        return -errno;
    pid = fork();
    if (pid == -1) {
        close(p[0]);
        close(p[1]);
        return -errno;
    }
    if (pid == 0) {
        /* a signal to the whole group (Ctrl-C, systemd's SIGTERM) is for
         * vrrpd, which resigns itself; the guard waits for the pipe */
        signal(SIGTERM, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        prctl(PR_SET_NAME, "vrrpd-guard", 0, 0, 0);
        if (dup2(p[0], GUARD_FD) == -1)
            _exit(1);
        /* only the pipe: the guard must not hold vrrpd's sockets open */
        close_range(GUARD_FD + 1, ~0u, 0);
        guard_main(path);
    }
    close(p[0]);
    return p[1];
}

int vr_guard_send(int fd, const struct vr_guard_will *w)
{
    ssize_t n;

    if (fd < 0)
        return 0;
    do
        n = write(fd, w, sizeof(*w));
    while (n == -1 && errno == EINTR);
    return n == (ssize_t)sizeof(*w) ? 0 : -EPIPE;
}
