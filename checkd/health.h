/* health.h - the rise/fall state machine of one target, as HAProxy's
 * health counter (include/haproxy/check-t.h), and the choice of the next
 * check interval. Pure: results and `now` in, new state out; no I/O.
 *
 * The counter runs from 0 to rise+fall-1. A target is UP while the counter
 * is >= rise. A success increments it (up to the top), a failure decrements
 * it; crossing `rise` upwards marks the target UP and jumps the counter to
 * the top, falling below `rise` marks it DOWN and resets it to 0. So an UP
 * target goes DOWN after `fall` net failures, a DOWN one UP after `rise`
 * net successes, and the counter in between is the "going up/down" count
 * that HAProxy's stats show as "UP 1/3". */
#ifndef CHK_HEALTH_H
#define CHK_HEALTH_H

#include <stdint.h>

enum chk_state { CHK_DOWN = 0, CHK_UP, CHK_STATE_MAX };

/* init-state of HAProxy 3.1: UP until the first failed check (up), UP until
 * `fall` failures (fully-up), DOWN until the first success (down), DOWN
 * until `rise` successes (fully-down). */
enum chk_init {
    CHK_INIT_UP = 0,
    CHK_INIT_FULLY_UP,
    CHK_INIT_DOWN,
    CHK_INIT_FULLY_DOWN,
    CHK_INIT_MAX
};

struct chk_health {
    unsigned rise, fall; /* >= 1 */
    unsigned health;     /* 0 .. rise+fall-1 */
    enum chk_state state;
    uint64_t inter, fastinter, downinter; /* ms; 0 fastinter/downinter: inter */
    uint64_t last_change_ms;              /* `now` of the last UP/DOWN change */
};

/* What one result did, for the publisher. */
#define CHK_HEALTH_CHANGED_STATE  (1u << 0) /* UP <-> DOWN */
#define CHK_HEALTH_CHANGED_HEALTH (1u << 1) /* counter moved (going up/down) */

/* A counter's parameters: HAProxy's rise, fall, inter, fastinter and
 * downinter (ms). */
struct chk_health_params {
    unsigned rise, fall;
    uint64_t inter, fastinter, downinter;
};

/* Set up counter h (the caller's) from p (only read) in state init.
 * rise/fall of 0 are taken as 1; inter 0 as 2000 ms. */
void chk_health_init(struct chk_health *h,
                     const struct chk_health_params *p,
                     enum chk_init init,
                     uint64_t now_ms);

/* New parameters for a running counter, with the same defaults: its state
 * is kept, its health clamped into the new range. */
void chk_health_retune(struct chk_health *h, const struct chk_health_params *p);

/* Count one check result (ok != 0: success). Returns CHK_HEALTH_CHANGED_*
 * bits. */
unsigned chk_health_result(struct chk_health *h, int ok, uint64_t now_ms);

/* Force a state (operator or passive health): the counter goes to the top
 * for UP, to 0 for DOWN. Returns the CHANGED bits. */
unsigned chk_health_force(struct chk_health *h, enum chk_state st, uint64_t now_ms);

/* True while the counter is between the extremes (going up or down). */
int chk_health_transitional(const struct chk_health *h);

/* Interval before the next check, as HAProxy chooses it: `inter` when fully
 * UP, `fastinter` while going up or down, `downinter` when fully DOWN.
 * `rnd` is any random 32-bit value and `spread_pct` (0..50) the jitter:
 * the result is spread uniformly over +-spread_pct% so that targets
 * registered together drift apart (HAProxy's spread-checks). Never 0. */
uint64_t chk_health_next_ms(const struct chk_health *h, uint32_t rnd, unsigned spread_pct);

/* Delay of the second check of a new target: the first runs at once, the
 * second at a point of the next interval picked from `rnd`, so that
 * hundreds of targets registered at once spread over one interval. */
uint64_t chk_health_phase_ms(const struct chk_health *h, uint32_t rnd);

/* "UP", "DOWN" (a static string). */
const char *chk_state_name(enum chk_state st);

/* Parse "up", "fully-up", "down", "fully-down" into *ret: 0, or -EINVAL
 * (nothing written). */
int chk_init_parse(const char *s, enum chk_init *ret);

#endif
