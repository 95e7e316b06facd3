/* track_int.h - what track.c shares with the trackers of other modules
 * (track_file.c, track_proc.c). Internal to vrrpd's tracking. */
#ifndef VR_TRACK_INT_H
#define VR_TRACK_INT_H

#include <stdbool.h>

#include "vrrpd/track.h"

struct vr_inst;

/* Fill t's common part and link it to i (one instance reference). The
 * state is inherited from a stopped tracker of the same kind and name
 * (reload). */
void vr__track_init(struct vr_track *t,
                    struct vr_inst *i,
                    enum vr_track_kind kind,
                    const char *name,
                    int weight,
                    bool ok);

/* Record a new state; the instance hears of it when ok flips. */
void vr__track_set(struct vr_track *t, bool ok, const char *why);

/* A valued tracker's new number; the instance hears of it when it
 * changes. */
void vr__track_set_value(struct vr_track *t, long value, const char *why);

/* Unlink and free t (allocated with malloc, t first in its struct), then
 * drop the instance reference. From the last close callback. */
void vr__track_release(struct vr_track *t);

/* track_process's rule (pure, for tests): does a process named comm
 * (/proc/PID/stat) with command line av[0..ac) match c? */
bool vr__tproc_match(const struct vr_tproc_cfg *c, const char *comm, const char *const *av, int ac);

/* Start the trackers of track_file.c / track_proc.c for one reference: the
 * tracker is linked into i->tracks (which holds a reference on i) and freed
 * by its own close callback after vr_track_stop_all(). 0 or a negative
 * errno (nothing started). */
int vr__tfile_start(struct vr_inst *i,
                    const struct vr_tfile_cfg *c,
                    const struct vr_track_ref *ref);
int vr__tproc_start(struct vr_inst *i,
                    const struct vr_tproc_cfg *c,
                    const struct vr_track_ref *ref);

#endif
