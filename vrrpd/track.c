/* track.c - track_lbd, track_script and track_interface (see track.h). */
#include "vrrpd/track.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "common/clock.h"
#include "common/inbuf.h"
#include "common/log.h"
#include "vrrpd/daemon.h"
#include "vrrpd/inst.h"
#include "vrrpd/os/netlink.h"
#include "vrrpd/spawn.h"
#include "vrrpd/track_int.h"

/* Reconnect quickly: an lbd restart takes well under a second, and while
 * disconnected the track counts as failed. A line longer than LBD_LINE_MAX is
 * not one of lbd's (its health lines are short). */
#define LBD_RECONNECT_MS 200
#define LBD_LINE_MAX     512

static const char *const kind_names[VR_TRACK_KIND_MAX] = {
    [VR_TRACK_LBD] = "lbd",   [VR_TRACK_SCRIPT] = "script", [VR_TRACK_IFACE] = "interface",
    [VR_TRACK_FILE] = "file", [VR_TRACK_PROC] = "process",
};

const char *vr_track_kind_name(enum vr_track_kind k)
{
    return (unsigned)k < VR_TRACK_KIND_MAX ? kind_names[k] : "?";
}

/* Only a flip reaches the instance, so a steady "health ok" every 500 ms
 * costs nothing. */
void vr__track_set(struct vr_track *t, bool ok, const char *why)
{
    bool changed = t->ok != ok;

    if (t->stopped)
        return;
    /* reasons longer than the field are cut on purpose */
    snprintf(t->why, sizeof(t->why), "%.*s", (int)sizeof(t->why) - 1, why);
    if (!changed)
        return;
    t->ok = ok;
    t->changes++;
    vr_inst_track_changed(t->inst, t);
}

void vr__track_set_value(struct vr_track *t, long value, const char *why)
{
    if (t->stopped)
        return;
    snprintf(t->why, sizeof(t->why), "%.*s", (int)sizeof(t->why) - 1, why);
    if (t->value == value)
        return;
    t->value = value;
    t->changes++;
    vr_inst_track_changed(t->inst, t);
}

/* On reload the old trackers are still listed (stopped, closing): an item
 * tracked before and after keeps its state, so a reload does not drop the
 * priority while the new tracker gets its first answer. */
static void inherit(struct vr_track *t, struct vr_inst *i)
{
    struct lk_list *it;

    LK_LIST_FOREACH (it, &i->tracks) {
        const struct vr_track *o = LK_LIST_ELEM(it, struct vr_track, link);

        if (o->stopped && o->kind == t->kind && !strcmp(o->name, t->name)) {
            t->ok = o->ok;
            t->value = o->value;
            snprintf(t->why, sizeof(t->why), "%s", o->why);
            return;
        }
    }
}

/* Each tracker holds a reference on its instance, dropped in
 * vr__track_release() from the tracker's last close callback: the instance's
 * memory outlives every tracker that may still call into it. */
void vr__track_init(struct vr_track *t,
                    struct vr_inst *i,
                    enum vr_track_kind kind,
                    const char *name,
                    int weight,
                    bool ok)
{
    t->inst = i;
    t->kind = kind;
    t->weight = weight;
    t->ok = ok;
    snprintf(t->name, sizeof(t->name), "%s", name);
    snprintf(t->why, sizeof(t->why), "%s", ok ? "ok" : "not checked yet");
    inherit(t, i);
    lk_list_append(&i->tracks, &t->link);
    i->refs++;
}

void vr__track_release(struct vr_track *t)
{
    struct vr_inst *i = t->inst;

    lk_list_del(&t->link);
    free(t);
    vr_inst_unref(i);
}

/* ---- track_lbd ------------------------------------------------------- */

/* A subscription to lbd's admin socket ("subscribe health"): lbd answers at
 * once and then every 500 ms, so silence longer than timeout_ms means lbd's
 * control loop is stuck, and counts as failed. */
struct lbd_track {
    struct vr_track t; /* first: freed through it */
    uv_pipe_t pipe;
    uv_connect_t conn;
    uv_write_t wr;
    uv_timer_t timer; /* line timeout while connected, reconnect delay otherwise */
    char *path;
    uint32_t timeout_ms;
    struct lk_inbuf in; /* the partial line */
    int handles;
    bool connected, pipe_open, stopping;
};

static void lbd_connect(struct lbd_track *l);

static void lbd_retry(uv_timer_t *t)
{
    lbd_connect(t->data);
}

/* Two handles (pipe and timer); the struct is freed when both closed. The
 * pipe also closes alone when lbd goes away, which is when the reconnect
 * timer is started. */
static void lbd_handle_closed(uv_handle_t *h)
{
    struct lbd_track *l = h->data;

    if (h == (uv_handle_t *)&l->pipe)
        l->pipe_open = false;
    if (--l->handles > 0) {
        /* the pipe closed on its own: try again shortly */
        if (!l->stopping && h == (uv_handle_t *)&l->pipe)
            uv_timer_start(&l->timer, lbd_retry, LBD_RECONNECT_MS, 0);
        return;
    }
    free(l->path);
    lk_inbuf_reset(&l->in);
    vr__track_release(&l->t);
}

/* Lost lbd: mark failed at once (the priority drops and the master
 * advertises it in the same loop iteration), then close and retry. */
static void lbd_lost(struct lbd_track *l, const char *why)
{
    l->connected = false;
    uv_timer_stop(&l->timer);
    vr__track_set(&l->t, false, why);
    if (l->pipe_open && !uv_is_closing((uv_handle_t *)&l->pipe))
        uv_close((uv_handle_t *)&l->pipe, lbd_handle_closed);
}

static void lbd_timeout(uv_timer_t *t)
{
    struct lbd_track *l = t->data;
    char why[96];

    snprintf(why, sizeof(why), "no health line from lbd for %u ms (hung?)", l->timeout_ms);
    lbd_lost(l, why);
}

static int lbd_line(void *ud, char *s, size_t len)
{
    struct lbd_track *l = ud;

    uv_timer_start(&l->timer, lbd_timeout, l->timeout_ms, 0);
    if (!strncmp(s, "health ok", 9))
        vr__track_set(&l->t, true, "lbd healthy");
    else if (!strncmp(s, "health fail", 11)) {
        char why[LBD_LINE_MAX + 16];

        snprintf(why, sizeof(why), "lbd reports failure:%s", s + 11);
        vr__track_set(&l->t, false, why);
    }
    /* anything else (the empty line closing a command's answer) is not
     * health news, but it still proves lbd's loop is alive */
    return 0;
}

static void lbd_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct lbd_track *l = s->data;

    if (n < 0) {
        lbd_lost(l, n == UV_EOF ? "lbd socket closed" : "lbd socket error");
        return;
    }
    /* a line longer than any lbd writes is dropped (-E2BIG), and reading
     * goes on; out of memory loses the bytes, and the line timeout then
     * tells */
    lk_inbuf_lines(&l->in, buf->base, (size_t)n, LBD_LINE_MAX - 1, lbd_line, l);
}

/* The subscription line is a static string: nothing to free when the write
 * completes. */
static void lbd_written(uv_write_t *w, int status)
{
}

/* The timeout starts at connect, so an lbd that accepts the connection but
 * never answers is caught as well. */
static void lbd_connected(uv_connect_t *c, int status)
{
    struct lbd_track *l = c->data;
    static char sub[] = "subscribe health\n";
    uv_buf_t b = uv_buf_init(sub, sizeof(sub) - 1);
    char why[128];

    if (l->stopping)
        return;
    if (status < 0) {
        snprintf(why, sizeof(why), "cannot connect to lbd: %s", uv_strerror(status));
        lbd_lost(l, why);
        return;
    }
    l->connected = true;
    lk_inbuf_reset(&l->in);
    uv_write(&l->wr, (uv_stream_t *)&l->pipe, &b, 1, lbd_written);
    uv_read_start((uv_stream_t *)&l->pipe, lk_inbuf_scratch, lbd_read);
    uv_timer_start(&l->timer, lbd_timeout, l->timeout_ms, 0);
}

static void lbd_connect(struct lbd_track *l)
{
    if (l->stopping || l->pipe_open)
        return;
    uv_pipe_init(&l->t.inst->d->loop, &l->pipe, 0);
    l->pipe.data = l;
    l->pipe_open = true;
    l->handles++;
    l->conn.data = l;
    uv_pipe_connect(&l->conn, &l->pipe, l->path, lbd_connected);
}

static int lbd_start(struct vr_inst *i, const struct vr_lbd_cfg *c)
{
    struct lbd_track *l = calloc(1, sizeof(*l));

    if (!l || !(l->path = strdup(c->socket))) {
        free(l);
        return -ENOMEM;
    }
    vr__track_init(&l->t, i, VR_TRACK_LBD, c->socket, c->weight, false);
    l->timeout_ms = c->timeout_ms;
    uv_timer_init(&i->d->loop, &l->timer);
    l->timer.data = l;
    l->handles = 1;
    lbd_connect(l);
    return 0;
}

static void lbd_stop(struct lbd_track *l)
{
    l->stopping = true;
    if (l->pipe_open && !uv_is_closing((uv_handle_t *)&l->pipe))
        uv_close((uv_handle_t *)&l->pipe, lbd_handle_closed);
    uv_close((uv_handle_t *)&l->timer, lbd_handle_closed);
}

/* ---- track_script ---------------------------------------------------- */

/* A tracking script, Keepalived's vrrp_script: run every interval, at most
 * one instance of it at a time; rise successes or fall failures in a row
 * change the track's state. */
struct script_track {
    struct vr_track t;
    uv_timer_t timer;
    struct vr_child *child; /* running check, NULL if none */
    char *cmd;
    uid_t uid;
    gid_t gid;
    uint32_t timeout_ms;
    unsigned rise, fall, run_ok, run_fail;
};

/* Keepalived's rule: exit status 0 is success, anything else (a non-zero
 * status, a signal, the timeout) is failure. status < 0 carries the signal
 * number or -ETIMEDOUT from spawn.c. */
static void script_done(int status, void *ud)
{
    struct script_track *s = ud;
    char why[96];

    s->child = NULL;
    if (status == 0) {
        s->run_fail = 0;
        if (++s->run_ok >= s->rise)
            vr__track_set(&s->t, true, "script succeeded");
        return;
    }
    s->run_ok = 0;
    if (status == -ETIMEDOUT)
        snprintf(why, sizeof(why), "script timed out after %u ms", s->timeout_ms);
    else if (status < 0)
        snprintf(why, sizeof(why), "script killed by signal %d", -status);
    else
        snprintf(why, sizeof(why), "script exited with %d", status);
    if (++s->run_fail >= s->fall)
        vr__track_set(&s->t, false, why);
}

/* A script that outlives its interval is not started twice: the timeout
 * (default: the interval) ends it first. */
static void script_tick(uv_timer_t *t)
{
    struct script_track *s = t->data;
    int r;

    if (s->child)
        return; /* still running: its timeout will end it */
    r = vr_spawn(t->loop, &(struct vr_spawn_cmd){s->cmd, NULL, s->uid, s->gid, s->timeout_ms},
                 script_done, s, &s->child);
    if (r < 0) {
        char why[128];

        s->child = NULL;
        snprintf(why, sizeof(why), "cannot run script: %s", uv_strerror(r));
        s->run_ok = 0;
        if (++s->run_fail >= s->fall)
            vr__track_set(&s->t, false, why);
    }
}

static void script_closed(uv_handle_t *h)
{
    struct script_track *s = h->data;

    free(s->cmd);
    vr__track_release(&s->t);
}

/* enable_script_security: refuse a script that someone other than root
 * could rewrite, since we run it as root. */
static int script_secure(const char *cmd)
{
    char path[512], *sp;
    struct stat st;

    snprintf(path, sizeof(path), "%s", cmd);
    sp = strchr(path, ' ');
    if (sp)
        *sp = '\0';
    if (path[0] != '/')
        return 0; /* found through PATH: the system's directories */
    if (stat(path, &st) == -1)
        return -errno;
    if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
        return -EPERM;
    return 0;
}

/* The weight of the reference in track_script overrides the script's own, as
 * in Keepalived. init_fail starts the track failed, so an instance does not
 * become master before the first run says it may. */
static int script_start(struct vr_inst *i,
                        const struct vr_script_cfg *c,
                        const struct vr_track_ref *ref)
{
    const struct vr_cfg *g = i->d->cfg;
    const char *user = c->user ? c->user : g->script_user;
    struct script_track *s;

    if (g->script_security && script_secure(c->script) < 0)
        return lk_log_errno(-EPERM, LK_LOG_ERR,
                            "(%s) vrrp_script %s: '%s' is writable by non-root users or "
                            "missing; disabled (enable_script_security)",
                            i->cfg->name, c->name, c->script);
    s = calloc(1, sizeof(*s));
    if (!s || !(s->cmd = strdup(c->script))) {
        free(s);
        return -ENOMEM;
    }
    s->uid = (uid_t)-1;
    s->gid = (gid_t)-1;
    if (user && vr_spawn_user(user, c->user ? c->group : g->script_group, &s->uid, &s->gid) < 0)
        lk_log(LK_LOG_WARNING, "(%s) script user '%s' unknown: running as ourselves", i->cfg->name,
               user);
    s->timeout_ms = c->timeout_ms ? c->timeout_ms : c->interval_ms;
    s->rise = c->rise;
    s->fall = c->fall;
    vr__track_init(&s->t, i, VR_TRACK_SCRIPT, c->name, ref->has_weight ? ref->weight : c->weight,
                   !c->init_fail);
    s->t.reverse = ref->reverse || c->reverse;
    uv_timer_init(&i->d->loop, &s->timer);
    s->timer.data = s;
    uv_timer_start(&s->timer, script_tick, 0, c->interval_ms);
    return 0;
}

/* The running child is forgotten, not waited for: spawn.c reaps it and kills
 * it at its timeout, and its result no longer reaches this freed tracker. */
static void script_stop(struct script_track *s)
{
    vr_spawn_forget(s->child);
    s->child = NULL;
    uv_close((uv_handle_t *)&s->timer, script_closed);
}

/* ---- track_interface ------------------------------------------------- */

struct iface_track {
    struct vr_track t;
    uv_idle_t idle; /* only so that release goes through a close callback */
    int ifindex;
};

static void iface_closed(uv_handle_t *h)
{
    struct iface_track *f = h->data;

    vr__track_release(&f->t);
}

/* Interface tracking needs no handle of its own (link events come from the
 * daemon's netlink monitor, vr_track_link_changed); the idle handle exists
 * only to free the tracker through a close callback like the others. */
static int iface_start(struct vr_inst *i, const struct vr_track_ref *ref)
{
    struct iface_track *f = calloc(1, sizeof(*f));
    struct vr_link l = {0};
    int r;

    if (!f)
        return -ENOMEM;
    r = vr_link_get(ref->name, &l);
    f->ifindex = r == 0 ? l.ifindex : 0;
    vr__track_init(&f->t, i, VR_TRACK_IFACE, ref->name, ref->has_weight ? ref->weight : 0,
                   r == 0 && l.up);
    f->t.reverse = ref->reverse;
    /* the link's state is read now, not inherited */
    f->t.ok = r == 0 && l.up;
    snprintf(f->t.why, sizeof(f->t.why), "%s", r < 0 ? "no such interface" : l.up ? "up" : "down");
    uv_idle_init(&i->d->loop, &f->idle);
    f->idle.data = f;
    return 0;
}

void vr_track_link_changed(struct vr_inst *i, int ifindex, bool up)
{
    struct lk_list *it;

    LK_LIST_FOREACH (it, &i->tracks) {
        struct vr_track *t = LK_LIST_ELEM(it, struct vr_track, link);

        if (t->kind == VR_TRACK_IFACE && ((struct iface_track *)t)->ifindex == ifindex)
            vr__track_set(t, up, up ? "link up" : "link down");
    }
}

/* ---- all ------------------------------------------------------------- */

int vr_track_start_all(struct vr_inst *i)
{
    const struct vr_inst_cfg *c = i->cfg;
    int r = 0, e;
    unsigned k;

    if (c->lbd.socket)
        r = lbd_start(i, &c->lbd);
    for (k = 0; k < c->nscripts; k++) {
        e = script_start(i, vr_cfg_find_script(i->d->cfg, c->scripts[k].name), &c->scripts[k]);
        r = r < 0 ? r : e;
    }
    for (k = 0; k < c->nifaces; k++) {
        e = iface_start(i, &c->ifaces[k]);
        r = r < 0 ? r : e;
    }
    for (k = 0; k < c->ntfiles; k++) {
        e = vr__tfile_start(i, vr_cfg_find_tfile(i->d->cfg, c->tfiles[k].name), &c->tfiles[k]);
        r = r < 0 ? r : e;
    }
    for (k = 0; k < c->ntprocs; k++) {
        e = vr__tproc_start(i, vr_cfg_find_tproc(i->d->cfg, c->tprocs[k].name), &c->tprocs[k]);
        r = r < 0 ? r : e;
    }
    return r;
}

void vr_track_stop_all(struct vr_inst *i)
{
    struct lk_list *it;

    /* trackers unlink themselves in their close callbacks, later */
    LK_LIST_FOREACH (it, &i->tracks) {
        struct vr_track *t = LK_LIST_ELEM(it, struct vr_track, link);

        if (t->stopped)
            continue;
        t->stopped = true;
        if (t->kind == VR_TRACK_LBD)
            lbd_stop((struct lbd_track *)t);
        else if (t->kind == VR_TRACK_SCRIPT)
            script_stop((struct script_track *)t);
        else if (t->stop)
            t->stop(t);
        else
            uv_close((uv_handle_t *)&((struct iface_track *)t)->idle, iface_closed);
    }
}

/* Keepalived's track_file rule: weight 0 means any non-zero value is a
 * fault; otherwise value * weight is added, and below -253 is a fault. */
static bool value_effect(const struct vr_track *t, int *prio)
{
    long long d = (long long)t->value * (t->reverse ? -t->weight : t->weight);

    if (t->weight == 0)
        return t->value != 0;
    if (d < -253)
        return true;
    *prio += (int)(d > 253 ? 253 : d);
    return false;
}

/* Keepalived's arithmetic: a failed item with weight 0 is a fault, a
 * negative weight is subtracted while the item fails, a positive one
 * added while it succeeds ("reverse" swaps both). The sum is clamped to
 * 1..254 so tracking can never turn a backup into an address owner (255)
 * or into a router that resigns (0). */
void vr_track_effect(const struct vr_inst *i, uint8_t *ret_prio, bool *ret_fault)
{
    int prio = i->cfg->priority;
    bool fault = false;
    struct lk_list *it;

    LK_LIST_FOREACH (it, &i->tracks) {
        const struct vr_track *t = LK_LIST_ELEM(it, struct vr_track, link);
        bool ok = t->reverse ? !t->ok : t->ok;
        int w = t->reverse ? -t->weight : t->weight;

        if (t->stopped)
            continue;
        if (t->valued)
            fault = value_effect(t, &prio) || fault;
        else if (w == 0 && !ok)
            fault = true;
        else if ((w < 0 && !ok) || (w > 0 && ok))
            prio += w;
    }
    /* the address owner's priority is not moved by tracking (Keepalived) */
    if (i->cfg->priority == 255)
        prio = 255;
    *ret_prio = (uint8_t)(prio < 1 ? 1 : prio > 254 && i->cfg->priority != 255 ? 254 : prio);
    *ret_fault = fault;
}
