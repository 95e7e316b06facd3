/* fsm.c - VRRP state machine (see fsm.h). Times are absolute milliseconds
 * of whatever monotonic clock the caller uses. */
#include "vrrpd/fsm.h"

#include <string.h>

#define NEVER UINT64_MAX

/* Split-brain healing: a master that hears another master of lower
 * priority re-announces its VIPs, but not more than once a second (the
 * heal bursts follow, 1.1 s apart). */
#define SPLIT_GARP_MIN_MS 1000

/* A node resigning (priority 0) also makes a master re-announce, at most
 * once a second, and once in two of its advertisement intervals when
 * these are shorter. A node that let go can hold the VIPs again only after
 * missing our advertisements for its Master_Down_Interval (more than 3
 * intervals), so this only stops a flood. A whole second at advert_int 0.1
 * dropped the only announcement of a partition that healed 0.5 s after the
 * loser's previous resignation, when the loser heard us first (it resigns
 * without advertising its priority): clients kept the loser's MAC for
 * 4.3-4.7 s, until the second burst (garp_master_delay) of the
 * announcement that had set the limit. */
static uint64_t zero_garp_min_ms(const struct vr_fsm *f)
{
    uint64_t two = 2 * 10 * (uint64_t)f->p.adver_cs;

    return two < SPLIT_GARP_MIN_MS ? two : SPLIT_GARP_MIN_MS;
}

static const char *const state_names[VR_STATE_MAX] = {
    [VR_STATE_INIT] = "INIT",
    [VR_STATE_BACKUP] = "BACKUP",
    [VR_STATE_MASTER] = "MASTER",
    [VR_STATE_FAULT] = "FAULT",
};

const char *vr_state_name(enum vr_state s)
{
    return (unsigned)s < VR_STATE_MAX ? state_names[s] : "?";
}

void vr_fsm_init(struct vr_fsm *f, const struct vr_fsm_params *p)
{
    memset(f, 0, sizeof(*f));
    f->p = *p;
    f->state = VR_STATE_INIT;
    f->master_adver_cs = p->adver_cs;
    f->adver_at = f->master_down_at = f->preempt_at = NEVER;
    f->reason = "initialized";
}

uint64_t vr_fsm_skew_ms(const struct vr_fsm *f)
{
    return (uint64_t)(256 - f->p.priority) * f->master_adver_cs * 10 / 256;
}

uint64_t vr_fsm_master_down_ms(const struct vr_fsm *f)
{
    return 3 * (uint64_t)f->master_adver_cs * 10 + vr_fsm_skew_ms(f);
}

static unsigned to_master(struct vr_fsm *f, uint64_t now, const char *why)
{
    f->state = VR_STATE_MASTER;
    f->reason = why;
    f->adver_at = now + (uint64_t)f->p.adver_cs * 10;
    f->master_down_at = f->preempt_at = NEVER;
    f->master_ip = f->p.local_ip;
    f->master_prio = f->p.priority;
    return VR_ACT_ADVERT | VR_ACT_VIP_ADD | VR_ACT_GARP | VR_ACT_STATE;
}

static unsigned to_backup(struct vr_fsm *f, uint64_t now, const char *why)
{
    unsigned act = f->state == VR_STATE_MASTER ? VR_ACT_VIP_DEL : 0;

    if (f->state != VR_STATE_BACKUP)
        act |= VR_ACT_STATE;
    f->state = VR_STATE_BACKUP;
    f->reason = why;
    f->adver_at = f->preempt_at = NEVER;
    f->master_down_at = now + vr_fsm_master_down_ms(f);
    return act;
}

/* Initialize's exit (RFC 5798 6.4.1), also used when a fault clears. */
static unsigned leave_init(struct vr_fsm *f, uint64_t now, const char *why)
{
    f->master_adver_cs = f->p.adver_cs;
    memset(&f->master_ip, 0, sizeof(f->master_ip));
    f->master_prio = 0;
    if (f->p.priority == VR_PRIO_OWNER)
        return to_master(f, now, "address owner (priority 255)");
    return to_backup(f, now, why);
}

unsigned vr_fsm_start(struct vr_fsm *f, uint64_t now)
{
    if (f->fault) {
        f->state = VR_STATE_FAULT;
        f->reason = "fault at startup";
        return VR_ACT_STATE;
    }
    return leave_init(f, now, "startup");
}

/* Backup: RFC 5798 6.4.2 "If an ADVERTISEMENT is received", plus the fast
 * takeover and preempt_delay. */
static unsigned backup_advert(struct vr_fsm *f,
                              uint64_t now,
                              uint8_t prio,
                              uint16_t adver_cs,
                              struct vr_ip src)
{
    if (prio == 0) {
        /* Skew_Time lets the highest of several backups win the race to
         * replace a resigned master. With fast takeover, take over at once
         * as for a lower priority: in the usual pair there is no race, and
         * with more backups a lower one that also took over yields on the
         * first advertisement of a higher one (6.4.3). */
        if (f->p.fast_takeover)
            return to_master(f, now, "master resigned (priority 0, fast takeover)");
        f->master_down_at = now + vr_fsm_skew_ms(f);
        f->reason = "master resigned (priority 0)";
        return 0;
    }
    if (!f->p.preempt || prio >= f->p.priority) {
        if (f->p.learn_interval)
            f->master_adver_cs = adver_cs;
        f->master_down_at = now + vr_fsm_master_down_ms(f);
        f->preempt_at = NEVER;
        f->master_ip = src;
        f->master_prio = prio;
        return 0;
    }
    /* a lower-priority master, and we preempt */
    f->master_ip = src;
    f->master_prio = prio;
    if (f->p.preempt_delay_ms) {
        if (f->preempt_at == NEVER)
            f->preempt_at = now + f->p.preempt_delay_ms;
        if (now < f->preempt_at) {
            /* the master is alive: keep it until the delay is over */
            f->master_down_at = now + vr_fsm_master_down_ms(f);
            return 0;
        }
    }
    if (f->p.fast_takeover)
        return to_master(f, now, "preempting a lower priority master (fast takeover)");
    return 0; /* RFC: discard; Master_Down_Timer runs out */
}

/* Master: RFC 5798 6.4.3 "If an ADVERTISEMENT is received". */
static unsigned master_advert(struct vr_fsm *f,
                              uint64_t now,
                              uint8_t prio,
                              uint16_t adver_cs,
                              struct vr_ip src)
{
    uint64_t *last;
    unsigned act;

    if (prio > f->p.priority ||
        (prio == f->p.priority && memcmp(src.b, f->p.local_ip.b, sizeof(src.b)) > 0)) {
        if (f->p.learn_interval)
            f->master_adver_cs = adver_cs;
        /* resign with priority 0 as we leave: the winner learns that
         * another node owned the VIPs and re-announces them (below) */
        act = to_backup(f, now, "higher priority advertisement received") | VR_ACT_ADVERT0;
        f->master_ip = src;
        f->master_prio = prio;
        return act;
    }
    /* Priority 0 (RFC 5798 6.4.3: answer at once), or another master with
     * a lower priority: either way another node held the VIPs (a split
     * brain healing). Assert ourselves so it yields, and re-announce the
     * VIPs so clients that followed it come back. */
    act = 0;
    if (prio == 0 || !f->p.lower_prio_no_advert) {
        f->adver_at = now + (uint64_t)f->p.adver_cs * 10;
        act = VR_ACT_ADVERT;
    }
    /* Priority 0 (the other node letting go) has its own rate limit: its
     * last gratuitous ARP, sent while it still believed itself master, may
     * have come after the one we sent when we first heard it. */
    last = prio == 0 ? &f->last_zero_garp : &f->last_split_garp;
    if (*last == 0 || now >= *last + (prio ? SPLIT_GARP_MIN_MS : zero_garp_min_ms(f))) {
        *last = now;
        act |= VR_ACT_GARP | (prio ? VR_ACT_HEAL : 0u);
    }
    return act;
}

unsigned vr_fsm_advert(struct vr_fsm *f,
                       uint64_t now,
                       uint8_t prio,
                       uint16_t adver_cs,
                       struct vr_ip src)
{
    if (adver_cs == 0)
        adver_cs = 1;
    if (f->state == VR_STATE_BACKUP)
        return backup_advert(f, now, prio, adver_cs, src);
    if (f->state == VR_STATE_MASTER)
        return master_advert(f, now, prio, adver_cs, src);
    return 0;
}

unsigned vr_fsm_timer(struct vr_fsm *f, uint64_t now)
{
    if (f->state == VR_STATE_MASTER && now >= f->adver_at) {
        f->adver_at = now + (uint64_t)f->p.adver_cs * 10;
        return VR_ACT_ADVERT;
    }
    if (f->state != VR_STATE_BACKUP)
        return 0;
    if (now >= f->master_down_at)
        return to_master(f, now, "master down timer expired");
    /* In RFC mode preempt_at stays in the past: backup_advert() stops
     * resetting Master_Down_Timer, which then runs out. */
    if (f->p.fast_takeover && now >= f->preempt_at)
        return to_master(f, now, "preempt_delay over, preempting a lower priority master");
    return 0;
}

unsigned vr_fsm_set_priority(struct vr_fsm *f, uint64_t now, uint8_t prio)
{
    if (prio == 0)
        prio = 1;
    if (prio == f->p.priority)
        return 0;
    f->p.priority = prio;
    if (f->state == VR_STATE_MASTER) {
        f->master_prio = prio;
        f->adver_at = now + (uint64_t)f->p.adver_cs * 10;
        return VR_ACT_ADVERT;
    }
    /* fast takeover, the other way round: our priority rose above the
     * one the master last advertised, so we would preempt it on its next
     * advertisement anyway */
    if (f->state == VR_STATE_BACKUP && f->p.preempt && f->p.fast_takeover &&
        !f->p.preempt_delay_ms && f->master_prio && prio > f->master_prio)
        return to_master(f, now, "priority rose above the master's (fast takeover)");
    return 0;
}

unsigned vr_fsm_set_fault(struct vr_fsm *f, uint64_t now, bool fault)
{
    unsigned act = 0;

    if (f->fault == fault)
        return 0;
    f->fault = fault;
    if (f->state == VR_STATE_INIT)
        return 0; /* not started yet: vr_fsm_start() decides */
    if (!fault)
        return leave_init(f, now, "fault cleared");
    if (f->state == VR_STATE_MASTER)
        act = VR_ACT_ADVERT0 | VR_ACT_VIP_DEL;
    f->state = VR_STATE_FAULT;
    f->reason = "fault";
    f->adver_at = f->master_down_at = f->preempt_at = NEVER;
    return act | VR_ACT_STATE;
}

unsigned vr_fsm_fault_why(struct vr_fsm *f, uint64_t now, const char *why)
{
    unsigned act = vr_fsm_set_fault(f, now, true);

    if (f->state == VR_STATE_FAULT)
        f->reason = why;
    return act;
}

unsigned vr_fsm_sync(struct vr_fsm *f, uint64_t now, enum vr_state to, const char *why)
{
    if (to == VR_STATE_MASTER && f->state == VR_STATE_BACKUP)
        return to_master(f, now, why);
    /* leaving Master for the group: resign, so that the peer's member of
     * the group takes over at once */
    if (to == VR_STATE_BACKUP && f->state == VR_STATE_MASTER)
        return to_backup(f, now, why) | VR_ACT_ADVERT0;
    return 0;
}

unsigned vr_fsm_stop(struct vr_fsm *f, uint64_t now)
{
    unsigned act = VR_ACT_STATE;

    if (f->state == VR_STATE_INIT)
        return 0;
    if (f->state == VR_STATE_MASTER)
        act |= VR_ACT_ADVERT0 | VR_ACT_VIP_DEL;
    f->state = VR_STATE_INIT;
    f->reason = "shutdown";
    f->adver_at = f->master_down_at = f->preempt_at = NEVER;
    return act;
}

uint64_t vr_fsm_next_deadline(const struct vr_fsm *f)
{
    if (f->state == VR_STATE_MASTER)
        return f->adver_at;
    if (f->state == VR_STATE_BACKUP && f->p.fast_takeover && f->preempt_at < f->master_down_at)
        return f->preempt_at;
    if (f->state == VR_STATE_BACKUP)
        return f->master_down_at;
    return NEVER;
}

struct vr_ip vr_ip4(uint32_t addr)
{
    struct vr_ip ip = {{0}};

    memcpy(ip.b, &addr, 4);
    return ip;
}
