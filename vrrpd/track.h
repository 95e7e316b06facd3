/* track.h - what moves an instance's priority: lbd's health feed
 * (track_lbd), Keepalived-style scripts (vrrp_script + track_script) and
 * interface state (track_interface).
 *
 * track_lbd contract: vrrpd connects to lbd's admin socket and sends
 * "subscribe health"; lbd answers "health ok|fail DETAIL" at once and every
 * 500 ms. "fail", EOF (lbd died), a connection error, or no line for
 * `timeout` ms (lbd hung) mark the item failed at once; vrrpd reconnects
 * every 200 ms. Until the first "health ok" the item is failed.
 *
 * Effect: a failed item with weight < 0 adds its weight to the priority; an
 * ok item with weight > 0 adds its weight; a failed item with weight 0 puts
 * the instance in FAULT. "reverse" swaps ok and failed and flips the
 * weight's sign. A track_file's value V counts V * weight (weight 0: V != 0
 * means FAULT; below -253: FAULT). Each tracker owns its handles and frees itself
 * after vr_track_stop() once they are closed, then drops its instance ref. */
#ifndef VR_TRACK_H
#define VR_TRACK_H

#include <stdbool.h>

#include "common/list.h"
#include "vrrpd/cfg.h"

struct vr_inst;

enum vr_track_kind {
    VR_TRACK_LBD = 0,
    VR_TRACK_SCRIPT,
    VR_TRACK_IFACE,
    VR_TRACK_FILE, /* track_file (track_file.c) */
    VR_TRACK_PROC, /* track_process (track_proc.c) */
    VR_TRACK_KIND_MAX
};

struct vr_track {
    struct lk_list link; /* in vr_inst.tracks */
    struct vr_inst *inst;
    enum vr_track_kind kind;
    char name[VR_NAME_MAX + 16];
    int weight;
    bool ok;
    bool reverse;                     /* ok and failed swap, the weight's sign flips */
    bool valued;                      /* track_file: `value` times the weight, not ok/failed */
    long value;                       /* track_file: the number read */
    bool stopped;                     /* being closed: no longer counts */
    void (*stop)(struct vr_track *t); /* kinds of other modules: close */
    char why[160];                    /* last reason, for logs and "show vrrp" */
    uint64_t changes;
};

/* Create and start trackers for everything the instance's config tracks.
 * 0 or a negative errno (logged). */
int vr_track_start_all(struct vr_inst *i);

/* Stop every tracker of the instance (they free themselves). */
void vr_track_stop_all(struct vr_inst *i);

/* Priority and fault from the trackers' states and the base priority. */
void vr_track_effect(const struct vr_inst *i, uint8_t *ret_prio, bool *ret_fault);

/* A link changed: update track_interface items. */
void vr_track_link_changed(struct vr_inst *i, int ifindex, bool up);

/* "lbd", "script", "interface", "file" or "process" (a static string; "?"
 * out of range). */
const char *vr_track_kind_name(enum vr_track_kind k);

#endif
