/* sync.c - vrrp_sync_group at run time (see sync.h). */
#include "vrrpd/sync.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/list.h"
#include "common/log.h"
#include "vrrpd/daemon.h"
#include "vrrpd/inst.h"
#include "vrrpd/notify.h"

/* The run-time side of a vrrp_sync_group: its members are the instances whose
 * cfg->sync points at this group's config. state is the last state reported
 * to scripts and the FIFO, kept across reloads by name. */
struct vr_sync {
    struct lk_list link; /* in vr_daemon.syncs */
    const struct vr_sync_cfg *cfg;
    char name[VR_NAME_MAX];
    enum vr_state state; /* VR_STATE_INIT: not reported yet, or stopped */
    bool moving;         /* moving the members: their changes are ours */
};

static struct vr_sync *find(struct vr_daemon *d, const char *name)
{
    struct lk_list *it;

    LK_LIST_FOREACH (it, &d->syncs) {
        struct vr_sync *g = LK_LIST_ELEM(it, struct vr_sync, link);

        if (!strcmp(g->name, name))
            return g;
    }
    return NULL;
}

/* Rebuilt on every reload because the configs it points to are replaced; the
 * reported state is carried over by name, so a reload does not rerun every
 * group's notify script. */
int vr_sync_build(struct vr_daemon *d)
{
    struct lk_list fresh, *it, *nx;

    lk_list_init(&fresh);
    LK_LIST_FOREACH (it, &d->cfg->syncs) {
        const struct vr_sync_cfg *c = LK_LIST_ELEM(it, struct vr_sync_cfg, link);
        struct vr_sync *old = find(d, c->name), *g = calloc(1, sizeof(*g));

        if (!g)
            return lk_log_errno(-ENOMEM, LK_LOG_ERR, "sync group %s: %m", c->name);
        g->cfg = c;
        snprintf(g->name, sizeof(g->name), "%s", c->name);
        g->state = old ? old->state : VR_STATE_INIT;
        lk_list_append(&fresh, &g->link);
    }
    vr_sync_free_all(d);
    LK_LIST_FOREACH_SAFE (it, nx, &fresh) {
        lk_list_del(it);
        lk_list_append(&d->syncs, it);
    }
    return 0;
}

void vr_sync_free_all(struct vr_daemon *d)
{
    struct lk_list *it, *nx;

    LK_LIST_FOREACH_SAFE (it, nx, &d->syncs) {
        lk_list_del(it);
        free(LK_LIST_ELEM(it, struct vr_sync, link));
    }
}

/* Only a member's own reasons count (its link, its tracks), not a fault it
 * inherited from the group: otherwise two members would hold each other in
 * FAULT for ever. */
static bool own_fault(const struct vr_inst *i)
{
    return i->link_fault || i->track_fault;
}

bool vr_sync_fault(const struct vr_inst *i)
{
    struct lk_list *it;

    if (!i->cfg->sync)
        return false;
    LK_LIST_FOREACH (it, &i->d->insts) {
        const struct vr_inst *o = LK_LIST_ELEM(it, struct vr_inst, link);

        if (o != i && o->cfg->sync == i->cfg->sync && o->started && own_fault(o))
            return true;
    }
    return false;
}

/* MASTER when every member is, FAULT when one is, STOP when none runs,
 * BACKUP otherwise; a group whose members are partly stopped keeps its
 * state (shutdown in progress). */
static enum vr_state group_state(const struct vr_sync *g, struct vr_daemon *d, bool *stopped)
{
    unsigned n = 0, master = 0, init = 0, fault = 0;
    struct lk_list *it;

    LK_LIST_FOREACH (it, &d->insts) {
        const struct vr_inst *o = LK_LIST_ELEM(it, struct vr_inst, link);

        if (o->cfg->sync != g->cfg)
            continue;
        n++;
        master += o->fsm.state == VR_STATE_MASTER;
        init += o->fsm.state == VR_STATE_INIT;
        fault += o->fsm.state == VR_STATE_FAULT;
    }
    *stopped = n == 0 || init == n;
    if (*stopped || (init && !fault))
        return *stopped ? VR_STATE_INIT : g->state;
    if (fault)
        return VR_STATE_FAULT;
    return master == n ? VR_STATE_MASTER : VR_STATE_BACKUP;
}

static void report(struct vr_sync *g, struct vr_daemon *d)
{
    const struct vr_notify_cfg *scripts = &g->cfg->notify;
    bool stopped;
    enum vr_state s = group_state(g, d, &stopped);

    if (stopped && g->state != VR_STATE_INIT) {
        g->state = VR_STATE_INIT;
        vr_notify_state(d, "GROUP", g->name, "STOP", 0, scripts);
        return;
    }
    if (s == g->state || s == VR_STATE_INIT)
        return;
    g->state = s;
    lk_log(LK_LOG_NOTICE, "VRRP_Group(%s) Entering %s STATE", g->name, vr_state_name(s));
    vr_notify_state(d, "GROUP", g->name, vr_state_name(s), 0, scripts);
}

/* Move the other members after i's change from `from`. */
/* Keepalived's sync group rule: one member's fault faults the others; a
 * member becoming master pulls the backups up; a master falling back pulls
 * the other masters down. moving stops the members' own changes from
 * triggering this again while we move them. */
static void move_members(struct vr_sync *g, struct vr_inst *i, enum vr_state from)
{
    enum vr_state to = i->fsm.state;
    struct lk_list *it, *nx;

    LK_LIST_FOREACH_SAFE (it, nx, &i->d->insts) {
        struct vr_inst *o = LK_LIST_ELEM(it, struct vr_inst, link);

        if (o == i || o->cfg->sync != i->cfg->sync || !o->started || o->stopping)
            continue;
        if (to == VR_STATE_FAULT || from == VR_STATE_FAULT)
            vr_inst_sync_refresh(o);
        else if (to == VR_STATE_MASTER && o->fsm.state == VR_STATE_BACKUP)
            vr_inst_sync_goto(o, VR_STATE_MASTER, "sync group: a member became master");
        else if (to == VR_STATE_BACKUP && from == VR_STATE_MASTER &&
                 o->fsm.state == VR_STATE_MASTER)
            vr_inst_sync_goto(o, VR_STATE_BACKUP, "sync group: a member became backup");
    }
}

void vr_sync_write_states(struct vr_daemon *d)
{
    struct lk_list *it;

    LK_LIST_FOREACH (it, &d->syncs) {
        const struct vr_sync *g = LK_LIST_ELEM(it, struct vr_sync, link);

        if (g->state != VR_STATE_INIT)
            vr_notify_fifo(d, "GROUP", g->name, vr_state_name(g->state), 0);
    }
}

/* Called after every state change of a member. The group's state is reported
 * only once all moves are done, so scripts see the group's final state, not
 * each intermediate one. */
void vr_sync_member_changed(struct vr_inst *i, enum vr_state from)
{
    struct vr_sync *g;

    if (!i->cfg->sync || !(g = find(i->d, i->cfg->sync->name)))
        return;
    if (!g->moving && i->fsm.state != VR_STATE_INIT && !i->stopping) {
        if (i->fsm.state != from)
            lk_log(LK_LOG_INFO, "VRRP_Group(%s) Syncing instances to %s state (after %s)", g->name,
                   vr_state_name(i->fsm.state), i->cfg->name);
        g->moving = true;
        move_members(g, i, from);
        g->moving = false;
    }
    if (!g->moving)
        report(g, i->d);
}
