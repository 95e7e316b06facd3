/* fsm.h - the VRRP state machine of RFC 5798 section 6.4 (and RFC 3768),
 * pure: events and the current time in milliseconds go in, the new state
 * and a set of actions come out. The I/O glue (vrrpd/inst.c) sends the
 * advertisements, adds/removes the VIPs and arms one timer at
 * vr_fsm_next_deadline().
 *
 * Deviation from RFC 5798 6.4.2, switchable with params.fast_takeover: a
 * Backup in preempt mode that receives an advertisement with a priority
 * lower than its own becomes Master at once (after preempt_delay if set)
 * instead of discarding it and waiting for Master_Down_Interval to expire:
 * it would win that election anyway, and the lower priority usually means
 * the master's load balancer just failed. Likewise a Backup that receives
 * priority 0 (the master resigned, e.g. it entered FAULT) becomes Master at
 * once instead of after Skew_Time.
 *
 * The struct is visible so an instance can embed it; fields are read-only
 * outside fsm.c. */
#ifndef VR_FSM_H
#define VR_FSM_H

#include <stdbool.h>
#include <stdint.h>

enum vr_state { VR_STATE_INIT = 0, VR_STATE_BACKUP, VR_STATE_MASTER, VR_STATE_FAULT, VR_STATE_MAX };

/* Action bits returned by every event. */
#define VR_ACT_ADVERT  (1u << 0) /* send an advertisement with the current priority */
#define VR_ACT_ADVERT0 (1u << 1) /* send priority 0 (shutdown, fault, or yielding as master) */
#define VR_ACT_VIP_ADD (1u << 2) /* add the virtual addresses */
#define VR_ACT_VIP_DEL (1u << 3) /* remove the virtual addresses */
#define VR_ACT_GARP    (1u << 4) /* announce the VIPs with gratuitous ARP */
#define VR_ACT_STATE   (1u << 5) /* state changed: log, notify scripts, events */
#define VR_ACT_HEAL    (1u << 6) /* with GARP: a split brain healed, announce a few times */

#define VR_PRIO_OWNER 255

/* A router's address as the election compares it (RFC 5798 6.4.3: on equal
 * priority the higher primary address wins): IPv4 in the first 4 bytes,
 * IPv6 in all 16, network order and zero-padded, so memcmp() orders two
 * addresses of one family as numbers. All zero: unknown. */
struct vr_ip {
    uint8_t b[16];
};

struct vr_fsm_params {
    uint8_t priority;          /* effective priority, 1..255 */
    uint16_t adver_cs;         /* own advertisement interval, centiseconds */
    uint32_t preempt_delay_ms; /* 0: none */
    struct vr_ip local_ip;     /* our source address: breaks priority ties */
    bool preempt;
    bool fast_takeover;
    bool learn_interval;       /* v3: a backup uses the master's advertised interval */
    bool lower_prio_no_advert; /* Master: do not answer a lower priority (the RFC's way) */
};

struct vr_fsm {
    struct vr_fsm_params p;
    enum vr_state state;
    bool fault;
    uint16_t master_adver_cs; /* Master_Adver_Interval */
    uint64_t adver_at;        /* Master: next advertisement */
    uint64_t master_down_at;  /* Backup: Master_Down_Timer */
    uint64_t preempt_at;      /* Backup: preempt_delay running since a lower master was seen */
    uint64_t last_split_garp; /* Master: last GARP sent because another master showed up */
    uint64_t last_zero_garp;  /* Master: last GARP sent because a node resigned (priority 0) */
    struct vr_ip master_ip;   /* all zero: unknown */
    uint8_t master_prio;
    const char *reason; /* why the last transition happened (static string) */
};

/* Set parameters, state Initialize. Nothing is scheduled until start. */
void vr_fsm_init(struct vr_fsm *f, const struct vr_fsm_params *p);

/* Startup event: Initialize -> Master (priority 255) or Backup; Fault if
 * vr_fsm_set_fault() said so before. Returns VR_ACT_* bits. */
unsigned vr_fsm_start(struct vr_fsm *f, uint64_t now);

/* A validated advertisement arrived: its priority, interval (centiseconds,
 * v2 seconds converted by the caller) and source address. Returns
 * VR_ACT_* bits, as every event below does. */
unsigned vr_fsm_advert(struct vr_fsm *f,
                       uint64_t now,
                       uint8_t prio,
                       uint16_t adver_cs,
                       struct vr_ip src);

/* A struct vr_ip for an IPv4 address in network order. */
struct vr_ip vr_ip4(uint32_t addr);

/* The deadline returned by vr_fsm_next_deadline() has passed. */
unsigned vr_fsm_timer(struct vr_fsm *f, uint64_t now);

/* The effective priority changed (tracking). A Master advertises at once.
 * Returns VR_ACT_* bits. */
unsigned vr_fsm_set_priority(struct vr_fsm *f, uint64_t now, uint8_t prio);

/* Interface (or other fault source) down/up. Returns VR_ACT_* bits (none
 * when the fault state did not change). */
unsigned vr_fsm_set_fault(struct vr_fsm *f, uint64_t now, bool fault);

/* A fault with its own reason (`why`: a static string), as set_fault(true). */
unsigned vr_fsm_fault_why(struct vr_fsm *f, uint64_t now, const char *why);

/* A vrrp_sync_group moves a member with another: to Master from Backup, or
 * to Backup from Master (resigning with priority 0). Anything else: no
 * change, 0. `why` must be a static string. */
unsigned vr_fsm_sync(struct vr_fsm *f, uint64_t now, enum vr_state to, const char *why);

/* Shutdown: a Master resigns with priority 0. State back to Initialize. */
unsigned vr_fsm_stop(struct vr_fsm *f, uint64_t now);

/* Absolute time of the next timer event, UINT64_MAX if none. */
uint64_t vr_fsm_next_deadline(const struct vr_fsm *f);

/* Master_Down_Interval and Skew_Time in ms for the current parameters. */
uint64_t vr_fsm_master_down_ms(const struct vr_fsm *f);
uint64_t vr_fsm_skew_ms(const struct vr_fsm *f);

/* "INIT", "BACKUP", "MASTER", "FAULT". */
const char *vr_state_name(enum vr_state s);

#endif
