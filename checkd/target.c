/* target.c - see target.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkd/probe.h"
#include "checkd/target.h"
#include "common/clock.h"
#include "common/compiler.h"
#include "common/log.h"

/* Targets in a list, looked up by id: registrations come from lbd's
 * config (hundreds at most) and lookups happen per command, not per
 * check, so a list is enough and keeps the order targets were added in. */
struct chk_registry {
    uv_loop_t *loop;
    struct chk_hooks hooks;
    unsigned spread_pct;
    struct lk_list targets;
    unsigned count;
    uint64_t probes;
    uint32_t rng;
    int freeing;
    int open_handles; /* target timers still closing after free */
};

struct chk_target {
    struct lk_list link;
    struct chk_registry *reg;
    struct feed_target cfg;
    struct lk_addr addr;
    struct chk_health h;
    struct feed_status st;
    uv_timer_t timer;
    struct chk_probe *probe;
    int maint;
    int drain;   /* operator: no new traffic, checks go on */
    int nolb;    /* disable-on-404: the last passing check was a 404 (HAProxy's NOLB) */
    int checked; /* at least one result since (re)start */
};

static uint32_t rnd(struct chk_registry *reg)
{
    /* xorshift32: spreading needs no quality, only no global state */
    uint32_t x = reg->rng;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    reg->rng = x;
    return x;
}

struct chk_registry *chk_registry_new(uv_loop_t *loop,
                                      const struct chk_hooks *hooks,
                                      unsigned spread_pct)
{
    struct chk_registry *reg = calloc(1, sizeof(*reg));

    if (!reg)
        return NULL;
    reg->loop = loop;
    reg->hooks = *hooks;
    reg->spread_pct = spread_pct;
    reg->rng = (uint32_t)lk_mono_us() | 1u;
    lk_list_init(&reg->targets);
    return reg;
}

static struct chk_target *find(struct chk_registry *reg, const char *id)
{
    struct lk_list *it;
    struct chk_target *t;

    LK_LIST_FOREACH (it, &reg->targets) {
        t = LK_LIST_ELEM(it, struct chk_target, link);
        if (strcmp(t->cfg.id, id) == 0)
            return t;
    }
    return NULL;
}

static enum feed_state pub_state(const struct chk_target *t)
{
    /* maintenance hides health (no checks run), drain shows it: a drained
     * server that fails its checks is DOWN, as in HAProxy */
    if (t->maint)
        return FEED_MAINT;
    if (t->h.state != CHK_UP)
        return FEED_DOWN;
    return t->drain || t->nolb ? FEED_DRAIN : FEED_UP;
}

static void publish(struct chk_target *t, int prev)
{
    t->st.state = pub_state(t);
    t->st.health = t->h.health;
    if (t->reg->hooks.changed)
        t->reg->hooks.changed(t->reg->hooks.ud, &t->st, prev);
}

static void schedule(struct chk_target *t, uint64_t delay_ms);

static void probe_done(void *ud, const struct chk_result *r)
{
    struct chk_target *t = ud;
    enum feed_state prev = pub_state(t);
    enum feed_result prev_res = t->st.result;
    /* an agent's news is its reply ("75%" after "100%"), whatever the counter */
    int new_reply = t->cfg.kind == FEED_KIND_AGENT && strcmp(t->st.reason, r->reason) != 0;
    unsigned bits;
    uint64_t now = lk_mono_ms();
    int first = !t->checked;

    t->probe = NULL;
    /* one result moves the counter one step; publishing is decided below.
     * A conditional pass (disable-on-404) cannot make the first step up, as
     * in HAProxy: a stopped server stays stopped on 404s; it holds an UP one
     * (NOLB: no new traffic) until a plain pass. */
    t->reg->probes++;
    if (r->result == FEED_RES_L7OKC && t->h.health == 0)
        bits = 0;
    else
        bits = chk_health_result(&t->h, r->ok, now);
    if (r->result == FEED_RES_L7OKC)
        t->nolb = 1;
    else if (r->ok)
        t->nolb = 0;
    t->st.result = r->result;
    t->st.code = r->code;
    t->st.latency_us = r->latency_us;
    t->st.read_only = r->read_only;
    snprintf(t->st.reason, sizeof(t->st.reason), "%s", r->reason);
    t->st.check_us = lk_wall_us();
    if (bits & CHK_HEALTH_CHANGED_STATE)
        t->st.change_us = t->st.check_us;
    /* the first result, a counter move or a new kind of result is news;
     * the same result again is not (latency alone changes every time) */
    if (bits || first || prev_res != r->result || new_reply)
        publish(t, (int)prev);
    if (bits & CHK_HEALTH_CHANGED_STATE)
        lk_log(LK_LOG_NOTICE, "target %s is %s: %s (%s)", t->cfg.id, chk_state_name(t->h.state),
               feed_result_name(r->result), r->reason);
    else
        lk_log(LK_LOG_DEBUG, "target %s: %s in %llu us, health %u/%u (%s)", t->cfg.id,
               feed_result_name(r->result), (unsigned long long)r->latency_us, t->h.health,
               t->h.rise + t->h.fall - 1, r->reason);
    t->checked = 1;
    /* after the first result, the next check is put at a random phase of
     * the interval: a restart must not leave every target checked in step */
    schedule(t, first ? chk_health_phase_ms(&t->h, rnd(t->reg))
                      : chk_health_next_ms(&t->h, rnd(t->reg), t->reg->spread_pct));
}

static uint64_t probe_timeout(const struct chk_target *t)
{
    /* HAProxy: "timeout check" when set, else the interval */
    return t->cfg.timeout_ms ? t->cfg.timeout_ms : t->cfg.inter_ms;
}

static void timer_fired(uv_timer_t *tm)
{
    struct chk_target *t = tm->data;
    struct chk_result r = {.code = -1, .read_only = -1};
    struct chk_probe_what what;
    int e;

    /* a probe still running (its timeout is longer than the interval)
     * is not doubled: the next check waits for its result */
    if (t->maint || t->probe)
        return;
    what = (struct chk_probe_what){&t->cfg, &t->addr, probe_timeout(t)};
    e = chk_probe_start(&t->probe, t->reg->loop, &what, probe_done, t);
    if (e < 0) {
        t->probe = NULL;
        chk_result_set(&r, FEED_RES_SOCKERR, -1, "cannot start probe: %s", uv_strerror(e));
        /* out of fds or memory is the checker's failure, but a target that
         * cannot be checked must not stay UP on its last result */
        probe_done(t, &r); /* counts as a failure and reschedules */
    }
}

static void schedule(struct chk_target *t, uint64_t delay_ms)
{
    uv_timer_start(&t->timer, timer_fired, delay_ms, 0);
}

static void timer_closed(uv_handle_t *h)
{
    struct chk_target *t = h->data;
    struct chk_registry *reg = t->reg;

    /* the registry outlives the timers it closed: the last one frees it */
    free(t);
    if (--reg->open_handles == 0 && reg->freeing)
        free(reg);
}

static void target_free(struct chk_target *t)
{
    lk_list_del(&t->link);
    t->reg->count--;
    chk_probe_cancel(t->probe);
    t->probe = NULL;
    t->reg->open_handles++;
    uv_close((uv_handle_t *)&t->timer, timer_closed);
}

static void status_init(struct chk_target *t)
{
    memset(&t->st, 0, sizeof(t->st));
    snprintf(t->st.id, sizeof(t->st.id), "%s", t->cfg.id);
    snprintf(t->st.addr, sizeof(t->st.addr), "%s", t->cfg.addr);
    t->st.rise = t->h.rise;
    t->st.fall = t->h.fall;
    t->st.kind = t->cfg.kind;
    t->st.result = FEED_RES_INI;
    t->st.code = -1;
    t->st.read_only = -1;
    t->st.change_us = lk_wall_us();
    snprintf(t->st.reason, sizeof(t->st.reason), "not checked yet");
}

/* (Re)start health from the parameters. */
static void target_reset(struct chk_target *t)
{
    const struct chk_health_params params = {t->cfg.rise, t->cfg.fall, t->cfg.inter_ms,
                                             t->cfg.fastinter_ms, t->cfg.downinter_ms};
    enum chk_init init = CHK_INIT_UP;

    if (t->cfg.init[0])
        chk_init_parse(t->cfg.init, &init);
    chk_health_init(&t->h, &params, init, lk_mono_ms());
    status_init(t);
    t->checked = 0;
}

static int check_params(const struct feed_target *cfg, struct lk_addr *addr, const char **why)
{
    enum chk_init init;

    if (lk_addr_parse(cfg->addr, 0, addr) < 0 || lk_addr_port(addr) == 0) {
        *why = "address must be IP:PORT";
        return -EINVAL;
    }
    /* refused here, at registration, so lbd's log names the bad keyword
     * rather than checkd silently using the default */
    if (cfg->init[0] && chk_init_parse(cfg->init, &init) < 0) {
        *why = "init-state must be up, fully-up, down or fully-down";
        return -EINVAL;
    }
    return chk_probe_validate(cfg, why);
}

static int update(struct chk_target *t, const struct feed_target *cfg, const struct lk_addr *a)
{
    int same_probe = strcmp(t->cfg.addr, cfg->addr) == 0 && t->cfg.kind == cfg->kind;

    /* lbd re-registers everything after each reconnect: the same target
     * again must neither reset its health nor restart its probe */
    if (memcmp(&t->cfg, cfg, sizeof(*cfg)) == 0)
        return 0;
    /* a probe in flight reads t->cfg: stop it before changing it */
    chk_probe_cancel(t->probe);
    t->probe = NULL;
    t->cfg = *cfg;
    t->addr = *a;
    /* another address or kind is another check: its history says nothing
     * about the new one */
    if (!same_probe) {
        target_reset(t);
        publish(t, -1);
    } else {
        /* same probe, new thresholds: the health is kept, clamped into the
         * new counter's range */
        chk_health_retune(&t->h, &(struct chk_health_params){cfg->rise, cfg->fall, cfg->inter_ms,
                                                             cfg->fastinter_ms, cfg->downinter_ms});
        t->st.rise = t->h.rise;
        t->st.fall = t->h.fall;
    }
    if (!t->maint)
        schedule(t, 0);
    return 0;
}

int chk_registry_add(struct chk_registry *reg, const struct feed_target *cfg, const char **why)
{
    struct chk_target *t = find(reg, cfg->id);
    struct lk_addr a;

    if (check_params(cfg, &a, why) < 0)
        return -EINVAL;
    if (t && strcmp(t->cfg.owner, cfg->owner) != 0) {
        /* lbd defined the check of its server and follows it: the file's
         * line of the same id taking it over at each reload would restart
         * it (another kind: a new target, UP until its first check) and
         * swap its parameters back and forth with lbd's re-registrations */
        if (strcmp(cfg->owner, CHK_OWNER_CONFIG) == 0) {
            *why = "registered over the socket (by lbd or another client), whose check stays";
            return -EEXIST;
        }
        if (strcmp(t->cfg.owner, CHK_OWNER_CONFIG) == 0)
            lk_log(LK_LOG_NOTICE, "target %s of the config file: now registered by %s", cfg->id,
                   cfg->owner[0] ? cfg->owner : "a client");
    }
    if (t)
        return update(t, cfg, &a);
    t = calloc(1, sizeof(*t));
    if (!t) {
        *why = "out of memory";
        return -ENOMEM;
    }
    t->reg = reg;
    t->cfg = *cfg;
    t->addr = a;
    uv_timer_init(reg->loop, &t->timer);
    t->timer.data = t;
    target_reset(t);
    lk_list_append(&reg->targets, &t->link);
    reg->count++;
    publish(t, -1);
    schedule(t, 0); /* a new target is probed at once */
    return 1;
}

int chk_registry_remove(struct chk_registry *reg, const char *id)
{
    struct chk_target *t = find(reg, id);

    if (!t)
        return -ENOENT;
    if (reg->hooks.removed)
        reg->hooks.removed(reg->hooks.ud, id);
    target_free(t);
    return 0;
}

static int listed(const char *id, const char *const *ids, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return 1;
    return 0;
}

int chk_registry_prune(struct chk_registry *reg,
                       const char *owner,
                       const char *const *ids,
                       size_t n)
{
    struct lk_list *it, *nx;
    struct chk_target *t;
    int removed = 0;

    LK_LIST_FOREACH_SAFE (it, nx, &reg->targets) {
        t = LK_LIST_ELEM(it, struct chk_target, link);
        /* only the owner's own targets: lbd's sync must not remove the ones
         * checked for checkd's config file */
        if (strcmp(t->cfg.owner, owner) != 0 || listed(t->cfg.id, ids, n))
            continue;
        if (reg->hooks.removed)
            reg->hooks.removed(reg->hooks.ud, t->cfg.id);
        target_free(t);
        removed++;
    }
    return removed;
}

/* An admin flag (maint or drain) of target `id` set or cleared: the state
 * the feed shows may change with it, so it is published, as a change. */
static int set_admin(struct chk_registry *reg, const char *id, int maint, int on)
{
    struct chk_target *t = find(reg, id);
    int *flag = t ? (maint ? &t->maint : &t->drain) : NULL;
    enum feed_state prev;

    if (!t)
        return -ENOENT;
    if (!!on == *flag)
        return 0;
    prev = pub_state(t);
    *flag = !!on;
    /* maintenance pauses the checks (HAProxy's "disable health"); leaving
     * it checks at once rather than after a whole interval */
    if (maint && on) {
        chk_probe_cancel(t->probe);
        t->probe = NULL;
        uv_timer_stop(&t->timer);
    } else if (maint) {
        schedule(t, 0);
    }
    t->st.change_us = lk_wall_us();
    publish(t, (int)prev);
    return 0;
}

int chk_registry_maint(struct chk_registry *reg, const char *id, int on)
{
    return set_admin(reg, id, 1, on);
}

int chk_registry_drain(struct chk_registry *reg, const char *id, int on)
{
    return set_admin(reg, id, 0, on);
}

static unsigned apply_report(struct chk_target *t, const char *mode, uint64_t now)
{
    unsigned bits = 0;

    if (strcmp(mode, "fail-check") == 0)
        return chk_health_result(&t->h, 0, now);
    if (strcmp(mode, "mark-down") == 0) {
        bits = chk_health_force(&t->h, CHK_DOWN, now);
    } else if (strcmp(mode, "sudden-death") == 0 && t->h.state == CHK_UP) {
        t->h.health = t->h.rise; /* the next failure is fatal */
        bits = CHK_HEALTH_CHANGED_HEALTH;
    }
    return bits;
}

int chk_registry_report(struct chk_registry *reg, const char *id, const char *mode)
{
    struct chk_target *t = find(reg, id);
    enum feed_state prev;
    unsigned bits;

    if (!t)
        return -ENOENT;
    if (strcmp(mode, "fastinter") != 0 && strcmp(mode, "fail-check") != 0 &&
        strcmp(mode, "sudden-death") != 0 && strcmp(mode, "mark-down") != 0)
        return -EINVAL;
    if (t->maint)
        return 0;
    prev = pub_state(t);
    bits = apply_report(t, mode, lk_mono_ms());
    if (bits & CHK_HEALTH_CHANGED_STATE) {
        t->st.change_us = lk_wall_us();
        snprintf(t->st.reason, sizeof(t->st.reason), "passive health: %s after live traffic errors",
                 mode);
        lk_log(LK_LOG_NOTICE, "target %s is %s: %s", t->cfg.id, chk_state_name(t->h.state),
               t->st.reason);
    }
    if (bits)
        publish(t, (int)prev);
    if (strcmp(mode, "fail-check") != 0 && !t->probe)
        schedule(t, t->h.fastinter ? t->h.fastinter : t->h.inter);
    return 0;
}

int chk_registry_statuses(struct chk_registry *reg, const struct feed_status ***ret)
{
    const struct feed_status **arr;
    struct lk_list *it;
    size_t i = 0;

    arr = calloc(reg->count ? reg->count : 1, sizeof(*arr));
    if (!arr)
        return -ENOMEM;
    LK_LIST_FOREACH (it, &reg->targets) {
        arr[i++] = &LK_LIST_ELEM(it, struct chk_target, link)->st;
    }
    *ret = arr;
    return (int)i;
}

unsigned chk_registry_count(const struct chk_registry *reg)
{
    return reg->count;
}

uint64_t chk_registry_probes(const struct chk_registry *reg)
{
    return reg->probes;
}

struct chk_registry *chk_registry_free(struct chk_registry *reg)
{
    struct lk_list *it, *nx;

    if (!reg)
        return NULL;
    LK_LIST_FOREACH_SAFE (it, nx, &reg->targets) {
        target_free(LK_LIST_ELEM(it, struct chk_target, link));
    }
    if (reg->open_handles == 0)
        free(reg);
    else
        reg->freeing = 1;
    return NULL;
}
