/* sync.h - vrrp_sync_group at run time: members change state together, as
 * Keepalived's do.
 *  - a member entering FAULT puts every other member in FAULT; they leave
 *    it when no member is faulty any more;
 *  - a member becoming MASTER takes the others from BACKUP to MASTER;
 *  - a member leaving MASTER for BACKUP (a higher priority was seen) takes
 *    the other masters to BACKUP, resigning with priority 0.
 * The group's own state (MASTER when every member is, FAULT when one is,
 * STOP when all stopped, BACKUP otherwise) runs the group's notify scripts
 * and writes `GROUP "NAME" STATE 0` to the notify FIFOs.
 *
 * Groups are owned by the daemon (d->syncs) and rebuilt on reload; members
 * are found through their config's `sync` pointer. */
#ifndef VR_SYNC_H
#define VR_SYNC_H

#include <stdbool.h>

#include "vrrpd/fsm.h"

struct vr_daemon;
struct vr_inst;

/* (Re)build the groups of d->cfg; a group of the same name keeps its
 * state. 0 or -ENOMEM (logged). */
int vr_sync_build(struct vr_daemon *d);

/* Free every group. */
void vr_sync_free_all(struct vr_daemon *d);

/* A member changed state (called once the change is applied). Moves the
 * other members and reports the group's state. */
void vr_sync_member_changed(struct vr_inst *i, enum vr_state from);

/* One FIFO line per group with its state (fifo_write_vrrp_states_on_reload). */
void vr_sync_write_states(struct vr_daemon *d);

/* true if another member of i's group is in FAULT (i must be too). */
bool vr_sync_fault(const struct vr_inst *i);

#endif
