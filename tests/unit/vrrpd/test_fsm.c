/* test_fsm.c - the VRRP state machine on a simulated clock: election,
 * preemption, nopreempt, preempt_delay, priority 0, master-down timing, the
 * fast takeover and its switch, faults. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vrrpd/fsm.h"

#define LB1 0x0a4d0015u /* 10.77.0.21 */
#define LB2 0x0a4d0016u /* 10.77.0.22 */

static struct vr_fsm_params params(uint8_t prio, uint16_t adver_cs)
{
    struct vr_fsm_params p = {.priority = prio,
                              .adver_cs = adver_cs,
                              .local_ip = vr_ip4(htonl(LB2)),
                              .preempt = true,
                              .fast_takeover = true,
                              .learn_interval = true};

    return p;
}

/* Advance the clock to `until`, firing every deadline on the way; returns
 * the union of the actions and the time of the first state change in
 * *changed_at (if not NULL). */
static unsigned run_until(struct vr_fsm *f, uint64_t *now, uint64_t until, uint64_t *changed_at)
{
    unsigned all = 0, act;
    int guard = 100000;

    while (guard-- > 0) {
        uint64_t d = vr_fsm_next_deadline(f);

        if (d > until)
            break;
        *now = d;
        act = vr_fsm_timer(f, *now);
        if ((act & VR_ACT_STATE) && changed_at && !(all & VR_ACT_STATE))
            *changed_at = *now;
        all |= act;
    }
    assert_true(guard > 0);
    *now = until;
    return all;
}

static void timing_formulas(void **state)
{
    struct vr_fsm_params p = params(100, 100);
    struct vr_fsm f;

    vr_fsm_init(&f, &p);
    /* RFC 5798: Skew = (256 - 100) * 1 s / 256 = 609 ms; MDI = 3 s + skew */
    assert_int_equal(vr_fsm_skew_ms(&f), 609);
    assert_int_equal(vr_fsm_master_down_ms(&f), 3609);
    p = params(254, 5); /* advert_int 0.05 */
    vr_fsm_init(&f, &p);
    assert_int_equal(vr_fsm_skew_ms(&f), 0);
    assert_int_equal(vr_fsm_master_down_ms(&f), 150);
    assert_string_equal(vr_state_name(VR_STATE_MASTER), "MASTER");
}

static void alone_becomes_master_after_mdi(void **state)
{
    struct vr_fsm_params p = params(100, 100);
    uint64_t now = 1000, at = 0;
    struct vr_fsm f;
    unsigned act;

    vr_fsm_init(&f, &p);
    act = vr_fsm_start(&f, now);
    assert_int_equal(f.state, VR_STATE_BACKUP);
    assert_int_equal(act & VR_ACT_VIP_ADD, 0);
    act = run_until(&f, &now, 10000, &at);
    assert_int_equal(f.state, VR_STATE_MASTER);
    assert_int_equal(at, 1000 + 3609);
    assert_true(act & VR_ACT_VIP_ADD);
    assert_true(act & VR_ACT_GARP);
    /* then one advertisement per second */
    assert_int_equal(vr_fsm_next_deadline(&f), 4609 + 1000 * ((10000 - 4609) / 1000 + 1));
}

static void owner_is_master_at_once(void **state)
{
    struct vr_fsm_params p = params(255, 100);
    struct vr_fsm f;
    unsigned act;

    vr_fsm_init(&f, &p);
    act = vr_fsm_start(&f, 0);
    assert_int_equal(f.state, VR_STATE_MASTER);
    assert_true(act & VR_ACT_ADVERT);
    assert_true(act & VR_ACT_VIP_ADD);
}

static void higher_master_keeps_backup(void **state)
{
    struct vr_fsm_params p = params(100, 100);
    uint64_t now = 0, t;
    struct vr_fsm f;

    vr_fsm_init(&f, &p);
    vr_fsm_start(&f, now);
    for (t = 500; t < 20000; t += 1000) {
        run_until(&f, &now, t, NULL);
        assert_int_equal(vr_fsm_advert(&f, now, 101, 100, vr_ip4(htonl(LB1))), 0);
        assert_int_equal(f.state, VR_STATE_BACKUP);
    }
    assert_memory_equal(f.master_ip.b, vr_ip4(htonl(LB1)).b, 16);
    assert_int_equal(f.master_prio, 101);
    /* the master stops: takeover exactly Master_Down_Interval later */
    run_until(&f, &now, 30000, &t);
    assert_int_equal(f.state, VR_STATE_MASTER);
    assert_int_equal(t, 19500 + 3609);
}

static void priority_zero_takeover_after_skew(void **state)
{
    struct vr_fsm_params p = params(100, 100);
    uint64_t now = 0, t = 0;
    struct vr_fsm f;

    p.fast_takeover = false; /* RFC mode */
    vr_fsm_init(&f, &p);
    vr_fsm_start(&f, now);
    run_until(&f, &now, 500, NULL);
    vr_fsm_advert(&f, now, 101, 100, vr_ip4(htonl(LB1)));
    run_until(&f, &now, 800, NULL);
    vr_fsm_advert(&f, now, 0, 100, vr_ip4(htonl(LB1)));
    run_until(&f, &now, 5000, &t);
    assert_int_equal(t, 800 + 609);
}

/* Fast takeover: the master entering FAULT (weight 0) resigns with
 * priority 0, and the backup takes over on that advertisement, no skew. */
static void priority_zero_fast_takeover_at_once(void **state)
{
    struct vr_fsm_params p = params(100, 100);
    uint64_t now = 0;
    struct vr_fsm f;
    unsigned act;

    vr_fsm_init(&f, &p);
    vr_fsm_start(&f, now);
    run_until(&f, &now, 500, NULL);
    vr_fsm_advert(&f, now, 101, 100, vr_ip4(htonl(LB1)));
    run_until(&f, &now, 800, NULL);
    act = vr_fsm_advert(&f, now, 0, 100, vr_ip4(htonl(LB1)));
    assert_int_equal(f.state, VR_STATE_MASTER);
    assert_int_equal(act, VR_ACT_ADVERT | VR_ACT_VIP_ADD | VR_ACT_GARP | VR_ACT_STATE);
    /* also without preempt: priority 0 means there is no master left */
    p.preempt = false;
    vr_fsm_init(&f, &p);
    vr_fsm_start(&f, 0);
    vr_fsm_advert(&f, 500, 101, 100, vr_ip4(htonl(LB1)));
    assert_true(vr_fsm_advert(&f, 800, 0, 100, vr_ip4(htonl(LB1))) & VR_ACT_VIP_ADD);
}

static void master_yields_to_higher_and_ties_by_address(void **state)
{
    struct vr_fsm_params p = params(100, 100);
    struct vr_fsm f;
    unsigned act;

    vr_fsm_init(&f, &p);
    vr_fsm_start(&f, 0);
    run_until(&f, &(uint64_t){0}, 4000, NULL);
    assert_int_equal(f.state, VR_STATE_MASTER);
    /* equal priority from a lower address: we stay, and assert ourselves */
    act = vr_fsm_advert(&f, 4100, 100, 100, vr_ip4(htonl(LB1)));
    assert_int_equal(f.state, VR_STATE_MASTER);
    assert_true(act & VR_ACT_ADVERT);
    assert_true(act & VR_ACT_GARP); /* split brain heal */
    act = vr_fsm_advert(&f, 4200, 99, 100, vr_ip4(htonl(LB1)));
    assert_int_equal(act & VR_ACT_GARP, 0); /* GARP at most once a second */
    /* equal priority from a higher address: we yield */
    act = vr_fsm_advert(&f, 4300, 100, 100, vr_ip4(htonl(LB2 + 1)));
    assert_int_equal(f.state, VR_STATE_BACKUP);
    assert_true(act & VR_ACT_VIP_DEL);
    assert_true(act & VR_ACT_STATE);
    assert_true(act & VR_ACT_ADVERT0); /* tells the winner to re-announce */
}

static void master_answers_priority_zero(void **state)
{
    struct vr_fsm_params p = params(255, 100);
    struct vr_fsm f;

    vr_fsm_init(&f, &p);
    vr_fsm_start(&f, 0);
    /* answer at once, and re-announce the VIPs (someone else held them) */
    assert_int_equal(vr_fsm_advert(&f, 300, 0, 100, vr_ip4(htonl(LB1))),
                     VR_ACT_ADVERT | VR_ACT_GARP);
    assert_int_equal(vr_fsm_next_deadline(&f), 1300);
    assert_int_equal(vr_fsm_advert(&f, 400, 0, 100, vr_ip4(htonl(LB1))),
                     VR_ACT_ADVERT); /* GARP rate limit */
    assert_int_equal(vr_fsm_advert(&f, 1400, 0, 100, vr_ip4(htonl(LB1))),
                     VR_ACT_ADVERT | VR_ACT_GARP);
}

static void split_brain_heal_announces_after_the_loser_resigns(void **state)
{
    struct vr_fsm_params p = params(101, 100);
    struct vr_fsm f;

    vr_fsm_init(&f, &p);
    vr_fsm_start(&f, 0);
    assert_true(vr_fsm_timer(&f, 4000) & VR_ACT_GARP); /* Master_Down_Interval over */
    /* the partition heals: the other master (100) is heard, then resigns
     * 10 ms later; both moments announce the VIPs, since the loser may have
     * sent its own gratuitous ARP in between */
    assert_int_equal(vr_fsm_advert(&f, 5000, 100, 100, vr_ip4(htonl(LB1))),
                     VR_ACT_ADVERT | VR_ACT_GARP | VR_ACT_HEAL);
    assert_int_equal(vr_fsm_advert(&f, 5010, 0, 100, vr_ip4(htonl(LB1))),
                     VR_ACT_ADVERT | VR_ACT_GARP);
    assert_int_equal(vr_fsm_advert(&f, 5020, 100, 100, vr_ip4(htonl(LB1))), VR_ACT_ADVERT);
}

/* advert_int 0.1: the loser resigned (priority 0), the link went away
 * again, the loser became master after its Master_Down_Interval and
 * resigns once more when the link comes back, 500 ms after the first: the
 * clients that followed it must hear us again. A flood is still limited. */
static void short_interval_second_resignation_announces(void **state)
{
    struct vr_fsm_params p = params(150, 10);
    struct vr_fsm f;

    vr_fsm_init(&f, &p);
    vr_fsm_start(&f, 0);
    assert_true(vr_fsm_timer(&f, 400) & VR_ACT_GARP); /* Master_Down_Interval over */
    assert_int_equal(vr_fsm_advert(&f, 1000, 0, 10, vr_ip4(htonl(LB1))),
                     VR_ACT_ADVERT | VR_ACT_GARP);
    assert_int_equal(vr_fsm_advert(&f, 1500, 0, 10, vr_ip4(htonl(LB1))),
                     VR_ACT_ADVERT | VR_ACT_GARP);
    assert_int_equal(vr_fsm_advert(&f, 1550, 0, 10, vr_ip4(htonl(LB1))), VR_ACT_ADVERT);
    assert_int_equal(vr_fsm_advert(&f, 1700, 0, 10, vr_ip4(htonl(LB1))),
                     VR_ACT_ADVERT | VR_ACT_GARP);
    /* another master of lower priority that goes on advertising (it does
     * not hear us): once a second, the heal bursts fill in */
    assert_int_equal(vr_fsm_advert(&f, 2000, 100, 10, vr_ip4(htonl(LB1))),
                     VR_ACT_ADVERT | VR_ACT_GARP | VR_ACT_HEAL);
    assert_int_equal(vr_fsm_advert(&f, 2500, 100, 10, vr_ip4(htonl(LB1))), VR_ACT_ADVERT);
    assert_int_equal(vr_fsm_advert(&f, 3000, 100, 10, vr_ip4(htonl(LB1))),
                     VR_ACT_ADVERT | VR_ACT_GARP | VR_ACT_HEAL);
}

/* The lab's case: master 101 loses its load balancer (weight -10 -> 91),
 * backup 100 preempts. */
static uint64_t lbd_crash_takeover(bool fast, uint32_t preempt_delay_ms, bool preempt)
{
    struct vr_fsm_params p = params(100, 100);
    uint64_t now = 0, t = 0, adv;
    struct vr_fsm f;

    p.fast_takeover = fast;
    p.preempt_delay_ms = preempt_delay_ms;
    p.preempt = preempt;
    vr_fsm_init(&f, &p);
    vr_fsm_start(&f, now);
    for (adv = 100; adv <= 2100; adv += 1000) {
        run_until(&f, &now, adv, NULL);
        vr_fsm_advert(&f, now, 101, 100, vr_ip4(htonl(LB1)));
    }
    /* at 2500 the master's lbd dies: it advertises 91 at once, then
     * every second for as long as it lives */
    for (adv = 2500; adv < 60000 && f.state == VR_STATE_BACKUP; adv += 1000) {
        run_until(&f, &now, adv, &t);
        if (f.state != VR_STATE_BACKUP)
            break;
        if (vr_fsm_advert(&f, now, 91, 100, vr_ip4(htonl(LB1))) & VR_ACT_STATE)
            t = now;
    }
    if (f.state != VR_STATE_MASTER)
        return UINT64_MAX;
    return t - 2500;
}

static void fast_takeover(void **state)
{
    assert_int_equal(lbd_crash_takeover(true, 0, true), 0);
}

static void rfc_takeover_waits_master_down(void **state)
{
    /* RFC mode: the lower adverts are discarded; Master_Down_Timer was
     * last reset at 2100, so takeover at 2100 + 3609 */
    assert_int_equal(lbd_crash_takeover(false, 0, true), 2100 + 3609 - 2500);
}

static void preempt_delay_fast_and_rfc(void **state)
{
    /* fast: exactly preempt_delay after the first lower advertisement */
    assert_int_equal(lbd_crash_takeover(true, 5000, true), 5000);
    /* RFC: the master stays until the delay is over, then MDI later
     * than the last reset (the advert at 6500, last one before 7500) */
    assert_int_equal(lbd_crash_takeover(false, 5000, true), 6500 + 3609 - 2500);
}

static void nopreempt_stays_backup(void **state)
{
    assert_int_equal(lbd_crash_takeover(true, 0, false), UINT64_MAX);
    assert_int_equal(lbd_crash_takeover(false, 0, false), UINT64_MAX);
}

static void v3_learns_master_interval(void **state)
{
    struct vr_fsm_params p = params(100, 100);
    uint64_t now = 0, t = 0;
    struct vr_fsm f;

    vr_fsm_init(&f, &p);
    vr_fsm_start(&f, now);
    vr_fsm_advert(&f, 10, 101, 5, vr_ip4(htonl(LB1))); /* master uses 0.05 s */
    /* MDI = 3 * 50 + (256 - 100) * 50 / 256 = 150 + 30 */
    run_until(&f, &now, 1000, &t);
    assert_int_equal(t, 10 + 180);
}

static void priority_change_advertises(void **state)
{
    struct vr_fsm_params p = params(255, 100);
    struct vr_fsm f;

    vr_fsm_init(&f, &p);
    vr_fsm_start(&f, 0);
    assert_int_equal(vr_fsm_set_priority(&f, 200, 245), VR_ACT_ADVERT);
    assert_int_equal(f.p.priority, 245);
    assert_int_equal(vr_fsm_next_deadline(&f), 1200);
    assert_int_equal(vr_fsm_set_priority(&f, 300, 245), 0);
    vr_fsm_set_priority(&f, 400, 0);
    assert_int_equal(f.p.priority, 1); /* tracking never advertises 0 */
}

static void rising_priority_takes_over(void **state)
{
    struct vr_fsm_params p = params(91, 100);
    struct vr_fsm f;
    unsigned act;

    vr_fsm_init(&f, &p);
    vr_fsm_start(&f, 0);
    vr_fsm_advert(&f, 100, 100, 100, vr_ip4(htonl(LB1)));
    /* back to 101 (lbd healthy again): above the master's 100 */
    act = vr_fsm_set_priority(&f, 200, 101);
    assert_int_equal(f.state, VR_STATE_MASTER);
    assert_true(act & VR_ACT_VIP_ADD);
    /* not when only equal, not in RFC mode, not with nopreempt */
    p = params(91, 100);
    vr_fsm_init(&f, &p);
    vr_fsm_start(&f, 0);
    vr_fsm_advert(&f, 100, 100, 100, vr_ip4(htonl(LB1)));
    assert_int_equal(vr_fsm_set_priority(&f, 200, 100), 0);
    p.fast_takeover = false;
    vr_fsm_init(&f, &p);
    vr_fsm_start(&f, 0);
    vr_fsm_advert(&f, 100, 100, 100, vr_ip4(htonl(LB1)));
    assert_int_equal(vr_fsm_set_priority(&f, 200, 101), 0);
    p.fast_takeover = true;
    p.preempt = false;
    vr_fsm_init(&f, &p);
    vr_fsm_start(&f, 0);
    vr_fsm_advert(&f, 100, 100, 100, vr_ip4(htonl(LB1)));
    assert_int_equal(vr_fsm_set_priority(&f, 200, 101), 0);
    assert_int_equal(f.state, VR_STATE_BACKUP);
}

static void fault_and_recovery(void **state)
{
    struct vr_fsm_params p = params(100, 100);
    uint64_t now = 0;
    struct vr_fsm f;
    unsigned act;

    vr_fsm_init(&f, &p);
    vr_fsm_start(&f, now);
    run_until(&f, &now, 5000, NULL);
    assert_int_equal(f.state, VR_STATE_MASTER);
    act = vr_fsm_set_fault(&f, now, true);
    assert_int_equal(f.state, VR_STATE_FAULT);
    assert_int_equal(act, VR_ACT_ADVERT0 | VR_ACT_VIP_DEL | VR_ACT_STATE);
    assert_int_equal(vr_fsm_next_deadline(&f), UINT64_MAX);
    assert_int_equal(vr_fsm_advert(&f, now, 50, 100, vr_ip4(htonl(LB1))), 0);
    act = vr_fsm_set_fault(&f, 6000, false);
    assert_int_equal(f.state, VR_STATE_BACKUP);
    assert_int_equal(act, VR_ACT_STATE);
    /* fault known before start */
    vr_fsm_init(&f, &p);
    vr_fsm_set_fault(&f, 0, true);
    assert_int_equal(vr_fsm_start(&f, 0), VR_ACT_STATE);
    assert_int_equal(f.state, VR_STATE_FAULT);
}

static void stop_resigns(void **state)
{
    struct vr_fsm_params p = params(255, 100);
    struct vr_fsm f;

    vr_fsm_init(&f, &p);
    assert_int_equal(vr_fsm_stop(&f, 0), 0);
    vr_fsm_start(&f, 0);
    assert_int_equal(vr_fsm_stop(&f, 10), VR_ACT_ADVERT0 | VR_ACT_VIP_DEL | VR_ACT_STATE);
    assert_int_equal(f.state, VR_STATE_INIT);
}

/* A master hearing a lower priority answers with an advertisement (and
 * GARP) by default; lower_prio_no_advert keeps only the GARP (RFC). */
static void lower_prio_no_advert(void **state)
{
    struct vr_fsm_params p = params(255, 100);
    struct vr_fsm f;
    unsigned act;

    vr_fsm_init(&f, &p);
    vr_fsm_start(&f, 0);
    assert_int_equal(f.state, VR_STATE_MASTER);
    act = vr_fsm_advert(&f, 10, 100, 100, vr_ip4(htonl(LB1)));
    assert_true(act & VR_ACT_ADVERT);
    p.lower_prio_no_advert = true;
    vr_fsm_init(&f, &p);
    vr_fsm_start(&f, 0);
    act = vr_fsm_advert(&f, 10, 100, 100, vr_ip4(htonl(LB1)));
    assert_false(act & VR_ACT_ADVERT);
    assert_true(act & VR_ACT_GARP);
    assert_int_equal(f.state, VR_STATE_MASTER);
    /* priority 0 is still answered at once (RFC 5798 6.4.3) */
    act = vr_fsm_advert(&f, 2000, 0, 100, vr_ip4(htonl(LB1)));
    assert_true(act & VR_ACT_ADVERT);
}

/* vrrp_sync_group moves: Backup -> Master, Master -> Backup resigning;
 * nothing from Fault or to the same state. */
static void sync_moves(void **state)
{
    struct vr_fsm_params p = params(100, 100);
    struct vr_fsm f;
    unsigned act;

    vr_fsm_init(&f, &p);
    vr_fsm_start(&f, 0);
    assert_int_equal(f.state, VR_STATE_BACKUP);
    assert_int_equal(vr_fsm_sync(&f, 5, VR_STATE_BACKUP, "x"), 0);
    act = vr_fsm_sync(&f, 5, VR_STATE_MASTER, "sync");
    assert_int_equal(f.state, VR_STATE_MASTER);
    assert_true(act & VR_ACT_VIP_ADD);
    assert_true(act & VR_ACT_STATE);
    act = vr_fsm_sync(&f, 6, VR_STATE_BACKUP, "sync");
    assert_int_equal(f.state, VR_STATE_BACKUP);
    assert_true(act & VR_ACT_ADVERT0);
    assert_true(act & VR_ACT_VIP_DEL);
    vr_fsm_set_fault(&f, 7, true);
    assert_int_equal(vr_fsm_sync(&f, 8, VR_STATE_MASTER, "sync"), 0);
    assert_int_equal(f.state, VR_STATE_FAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(timing_formulas),
        cmocka_unit_test(alone_becomes_master_after_mdi),
        cmocka_unit_test(owner_is_master_at_once),
        cmocka_unit_test(higher_master_keeps_backup),
        cmocka_unit_test(priority_zero_takeover_after_skew),
        cmocka_unit_test(master_yields_to_higher_and_ties_by_address),
        cmocka_unit_test(master_answers_priority_zero),
        cmocka_unit_test(split_brain_heal_announces_after_the_loser_resigns),
        cmocka_unit_test(short_interval_second_resignation_announces),
        cmocka_unit_test(fast_takeover),
        cmocka_unit_test(priority_zero_fast_takeover_at_once),
        cmocka_unit_test(rfc_takeover_waits_master_down),
        cmocka_unit_test(preempt_delay_fast_and_rfc),
        cmocka_unit_test(nopreempt_stays_backup),
        cmocka_unit_test(v3_learns_master_interval),
        cmocka_unit_test(priority_change_advertises),
        cmocka_unit_test(rising_priority_takes_over),
        cmocka_unit_test(fault_and_recovery),
        cmocka_unit_test(stop_resigns),
        cmocka_unit_test(lower_prio_no_advert),
        cmocka_unit_test(sync_moves),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
