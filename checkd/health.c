/* health.c - see health.h. */
#include <errno.h>
#include <string.h>

#include "checkd/health.h"

/* HAProxy's one counter: 0..rise-1 is DOWN territory, rise..rise+fall-1
 * UP; an UP server sits at the top and falls one per failure, so fall
 * failures in a row reach rise-1 and it goes DOWN. */
static unsigned top(const struct chk_health *h)
{
    return h->rise + h->fall - 1;
}

void chk_health_retune(struct chk_health *h, const struct chk_health_params *p)
{
    /* 0 would make a counter with no room: HAProxy refuses it, the
     * registration path may not, so it is read as 1 */
    h->rise = p->rise ? p->rise : 1;
    h->fall = p->fall ? p->fall : 1;
    /* HAProxy's default inter; 0 would check in a busy loop */
    h->inter = p->inter ? p->inter : 2000;
    h->fastinter = p->fastinter;
    h->downinter = p->downinter;
    if (h->health > top(h))
        h->health = top(h);
}

void chk_health_init(struct chk_health *h,
                     const struct chk_health_params *p,
                     enum chk_init init,
                     uint64_t now_ms)
{
    memset(h, 0, sizeof(*h));
    chk_health_retune(h, p);
    h->last_change_ms = now_ms;
    switch (init) {
    case CHK_INIT_FULLY_UP:
        h->state = CHK_UP;
        h->health = top(h);
        break;
    case CHK_INIT_DOWN:
        /* one success is enough: start just below the threshold */
        h->state = CHK_DOWN;
        h->health = h->rise - 1;
        break;
    case CHK_INIT_FULLY_DOWN:
        h->state = CHK_DOWN;
        h->health = 0;
        break;
    default:
        /* HAProxy's default: UP, and the first failure marks it DOWN */
        h->state = CHK_UP;
        h->health = h->rise;
        break;
    }
}

unsigned chk_health_result(struct chk_health *h, int ok, uint64_t now_ms)
{
    unsigned old = h->health;
    enum chk_state olds = h->state;

    if (ok) {
        if (h->health < top(h))
            h->health++;
        /* reaching rise flips to UP and jumps to the top: an UP server then
         * needs `fall` failures, not one, to go DOWN again */
        if (h->state == CHK_DOWN && h->health >= h->rise) {
            h->state = CHK_UP;
            h->health = top(h);
        }
    } else {
        if (h->health > 0)
            h->health--;
        /* the mirror: a DOWN server needs `rise` successes to come back */
        if (h->state == CHK_UP && h->health < h->rise) {
            h->state = CHK_DOWN;
            h->health = 0;
        }
    }
    if (h->state != olds)
        h->last_change_ms = now_ms;
    return (h->state != olds ? CHK_HEALTH_CHANGED_STATE : 0u) |
           (h->health != old ? CHK_HEALTH_CHANGED_HEALTH : 0u);
}

unsigned chk_health_force(struct chk_health *h, enum chk_state st, uint64_t now_ms)
{
    unsigned old = h->health;
    enum chk_state olds = h->state;

    h->state = st;
    /* forced (agent, operator): settled at once, no half-way counter */
    h->health = st == CHK_UP ? top(h) : 0;
    if (h->state != olds)
        h->last_change_ms = now_ms;
    return (h->state != olds ? CHK_HEALTH_CHANGED_STATE : 0u) |
           (h->health != old ? CHK_HEALTH_CHANGED_HEALTH : 0u);
}

int chk_health_transitional(const struct chk_health *h)
{
    return h->health != 0 && h->health != top(h);
}

uint64_t chk_health_next_ms(const struct chk_health *h, uint32_t rnd, unsigned spread_pct)
{
    uint64_t base = h->inter, span;

    /* HAProxy: fastinter while going up or down (confirm a change
     * sooner), downinter while fully down (probe a dead server less) */
    if (chk_health_transitional(h) && h->fastinter)
        base = h->fastinter;
    else if (h->state == CHK_DOWN && h->health == 0 && h->downinter)
        base = h->downinter;
    /* spread-checks: at most 50 %, as HAProxy caps it */
    if (spread_pct > 50)
        spread_pct = 50;
    span = base * spread_pct / 100;
    if (span) /* uniform over [base - span, base + span] */
        base = base - span + (uint64_t)rnd % (2 * span + 1);
    return base ? base : 1;
}

uint64_t chk_health_phase_ms(const struct chk_health *h, uint32_t rnd)
{
    /* the first check of many targets registered at once is spread over
     * one interval, so they do not all probe in the same millisecond */
    return 1 + (uint64_t)rnd % chk_health_next_ms(h, 0, 0);
}

const char *chk_state_name(enum chk_state st)
{
    return st == CHK_UP ? "UP" : "DOWN";
}

int chk_init_parse(const char *s, enum chk_init *ret)
{
    static const char *const names[CHK_INIT_MAX] = {"up", "fully-up", "down", "fully-down"};
    int i;

    for (i = 0; i < CHK_INIT_MAX; i++) {
        if (strcmp(s, names[i]) == 0) {
            *ret = (enum chk_init)i;
            return 0;
        }
    }
    return -EINVAL;
}
