/* target.h - the set of health-checked targets and their scheduling.
 *
 * Each target owns its parameters (struct feed_target), its rise/fall
 * counter (health.c), the status it publishes (struct feed_status), a timer
 * and at most one probe in flight. A new target is probed at once; its
 * second check is placed at a random point of the interval and later ones
 * follow chk_health_next_ms() with jitter, so hundreds of targets
 * registered together spread out.
 *
 * Changes are reported through the registry's hooks (the feed publisher):
 * `changed` when a target's state or counter moved, or when it is new
 * (prev = -1); `removed` when it goes. */
#ifndef CHK_TARGET_H
#define CHK_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "checkd/health.h"
#include "common/addr.h"
#include "common/list.h"
#include "proto/feed.h"

struct chk_target;
struct chk_registry;

/* The owner of the targets of checkd's own file (-f): a reload adds,
 * updates and prunes these only. */
#define CHK_OWNER_CONFIG "config"

struct chk_hooks {
    void (*changed)(void *ud, const struct feed_status *st, int prev);
    void (*removed)(void *ud, const char *id);
    void *ud;
};

/* Create an empty registry on `loop`. spread_pct: jitter of intervals
 * (0..50). NULL on OOM. Owned by the caller, freed with chk_registry_free(); hooks is copied. */
struct chk_registry *chk_registry_new(uv_loop_t *loop,
                                      const struct chk_hooks *hooks,
                                      unsigned spread_pct);

/* Cancel every probe and timer, free every target. The registry itself is
 * freed once its handles are closed (run the loop). NULL-safe; returns
 * NULL. */
struct chk_registry *chk_registry_free(struct chk_registry *reg);

/* Add a target, or update one with the same id. An update with the same
 * address and kind keeps the health state (lbd re-registering after a
 * restart or reconnect must not reset it); a new address or kind starts
 * over. A registration over the socket takes over a target of the file
 * with the same id; the file's target (owner CHK_OWNER_CONFIG) never takes
 * over one registered over the socket (lbd's server of the same id): that
 * is -EEXIST with *why, and the target is left as it is. Returns 1 if
 * added, 0 if it existed (updated or unchanged), -EEXIST as said, or
 * -EINVAL with *why (static string) when the parameters are not usable. */
int chk_registry_add(struct chk_registry *reg, const struct feed_target *cfg, const char **why);

/* Remove every target registered by `owner` whose id is not in ids[0..n)
 * (a config reload dropping targets). Returns how many were removed. */
int chk_registry_prune(struct chk_registry *reg,
                       const char *owner,
                       const char *const *ids,
                       size_t n);

/* Remove a target by id: 0 or -ENOENT. */
int chk_registry_remove(struct chk_registry *reg, const char *id);

/* DRAIN on or off for target `id` ("drain health"): checks go on, the feed
 * says DRAIN while the target is healthy. 0 or -ENOENT. */
int chk_registry_drain(struct chk_registry *reg, const char *id, int on);

/* Put a target in or out of maintenance (no probes, state MAINT). When it
 * leaves, it is probed at once. 0 or -ENOENT. */
int chk_registry_maint(struct chk_registry *reg, const char *id, int on);

/* Passive health (HAProxy's on-error), reported by lbd from live traffic:
 * "fastinter" probes again at fastinter; "fail-check" counts one failed
 * check; "sudden-death" leaves the target one failure from DOWN;
 * "mark-down" marks it DOWN at once. All but "fail-check" also move the
 * next probe to fastinter, so a recovered server comes back quickly.
 * Returns 0, -ENOENT (no target) or -EINVAL (unknown mode). */
int chk_registry_report(struct chk_registry *reg, const char *id, const char *mode);

/* Statuses of every target, in registration order. *ret is a malloc'ed
 * array of pointers into the registry, valid until the next change; free
 * the array only. Returns the count, or -ENOMEM. */
int chk_registry_statuses(struct chk_registry *reg, const struct feed_status ***ret);

/* Number of targets and total probes run (for "show info"). */
unsigned chk_registry_count(const struct chk_registry *reg);
uint64_t chk_registry_probes(const struct chk_registry *reg);

#endif
