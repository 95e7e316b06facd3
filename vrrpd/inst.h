/* inst.h - one vrrp_instance at run time: the FSM of fsm.c wired to the
 * raw socket, the timers, the VIPs (netlink.c), gratuitous ARP (garp.c),
 * the tracked items (track.c) and the notify scripts (spawn.c).
 *
 * Lifetime: created by the daemon, stopped with vr_inst_stop() (resigns if
 * master, closes every handle) and freed once its last handle and tracker
 * have closed; the daemon unlinks it at stop. */
#ifndef VR_INST_H
#define VR_INST_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "common/list.h"
#include "proto/vrrp_pkt.h"
#include "vrrpd/cfg.h"
#include "vrrpd/fsm.h"
#include "vrrpd/os/netlink.h"

struct vr_daemon;
struct vr_track;

struct vr_inst_stats {
    uint64_t adv_sent;
    uint64_t adv_rcvd;
    uint64_t prio0_sent;
    uint64_t prio0_rcvd;
    uint64_t garp_sent;
    uint64_t na_sent; /* unsolicited neighbour advertisements (IPv6 VIPs) */
    uint64_t became_master;
    uint64_t drops[VRRP_PKT_E_MAX]; /* by reason, index = -VRRP_PKT_E_* */
    uint64_t own_dropped;           /* our own packets looped back */
    uint64_t not_peer;              /* check_unicast_src: from an address not a peer */
};

struct vr_inst {
    struct lk_list link; /* in vr_daemon.insts */
    struct vr_daemon *d;
    struct vr_inst_cfg *cfg; /* owned by d->cfg */
    struct vr_fsm fsm;
    uv_timer_t timer;      /* next FSM deadline */
    uv_timer_t garp_timer; /* delayed GARP burst and refresh */
    uv_timer_t garp_pace;  /* vrrp_garp_interval: one GARP per tick */
    unsigned garp_queued;  /* GARPs still to pace */
    unsigned garp_next;    /* the VIP the next paced GARP announces */
    uv_poll_t poll;        /* raw VRRP socket */
    int fd, garp_fd;
    int tx_fd;             /* use_vmac: adverts leave from the vmac; -1: from fd */
    struct vr_link ifc;    /* interface as read at start */
    struct vr_link vmc;    /* use_vmac: the macvlan, as made at start */
    uint32_t src;          /* IPv4: our source address, network order */
    uint8_t src6[16];      /* IPv6: our (link-local) source address */
    struct vr_ip self;     /* src or src6, as the election compares it */
    struct lk_list tracks; /* struct vr_track */
    uint8_t prio_now;
    bool link_fault, track_fault, started, stopping;
    bool vip_fault; /* a VIP could not be added: FAULT until the link or a reload */
    int refs;       /* open handles + live trackers; freed at 0 */
    uint64_t state_since_ms;
    unsigned garp_refresh_left;
    unsigned garp_heal_left; /* bursts still due after a split brain healed */
    uint32_t vip_ours;       /* bit k: cfg->vips[k] added by us, renewed each advert */
    struct vr_inst_stats st;
};

/* Allocate and open the sockets for cfg. 0 or a negative errno (logged). On success *ret holds one
 * reference per handle and is freed by the last close callback after vr_inst_stop(); cfg is
 * borrowed from the daemon's config and must outlive the instance (a reload stops the instance
 * first). */
int vr_inst_new(struct vr_inst **ret, struct vr_daemon *d, struct vr_inst_cfg *cfg);

/* Remove a stale VIP (unless becoming master at once), start the trackers
 * and the FSM. */
void vr_inst_start(struct vr_inst *i);

/* Resign (priority 0) if master, remove the VIPs, close everything. */
void vr_inst_stop(struct vr_inst *i);

/* A tracked item changed: recompute priority and fault, log why, apply. */
void vr_inst_track_changed(struct vr_inst *i, struct vr_track *t);

/* A link changed (from the link monitor). */
void vr_inst_link_changed(struct vr_inst *i, int ifindex, bool up);

/* Reload with an unchanged group: take the new config in place (priority,
 * tracking, scripts), keep the state. */
void vr_inst_reconfigure(struct vr_inst *i, struct vr_inst_cfg *cfg);

/* The instance's current state as one "subscribe events" line, sent to a
 * new subscriber before any event: {"event":"snapshot", "instance",
 * "state", "reason", "priority", "vrid", "master", "ts_us"}. New
 * reference (NULL on OOM). */
json_t *vr_inst_snapshot_json(const struct vr_inst *i);

/* The instance's sync group changed fault state: recompute and apply. */
void vr_inst_sync_refresh(struct vr_inst *i);

/* Its sync group moves it to `to` (vr_fsm_sync); why is a static string. */
void vr_inst_sync_goto(struct vr_inst *i, enum vr_state to, const char *why);

/* The text of a VIP's address; buf has INET6_ADDRSTRLEN bytes. Returns buf. */
const char *vr_vip_str(const struct vr_vip *v, char *buf);

/* The text of an address of i's family, "" when all zero (unknown); buf
 * has INET6_ADDRSTRLEN bytes. */
const char *vr_inst_ipstr(const struct vr_inst *i, const struct vr_ip *a, char *buf);

/* Drop one reference (tracker or handle closed). */
void vr_inst_unref(struct vr_inst *i);

#endif
