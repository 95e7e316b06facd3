/* hclog.c - see hclog.h. */
#include <stdatomic.h>
#include <stdio.h>

#include "lbd/ctl/hclog.h"
#include "proto/feed.h"

/* snprintf's "would have written" length clamped to what the buffer holds, so
 * callers can send exactly the bytes that are there. */
static size_t done(int n, size_t len)
{
    if (n < 0)
        return 0;
    return (size_t)n < len ? (size_t)n : len ? len - 1 : 0;
}

/* HAProxy's "Health check for server ... succeeded" line, logged with "option
 * log-health-checks"; the wording is kept so log alerting written for HAProxy
 * matches lbd's lines. */
size_t lb_hclog_check(char *buf,
                      size_t len,
                      const struct lb_server *s,
                      const struct feed_status *st)
{
    enum feed_result r = st->result;
    int ok = r == FEED_RES_L4OK || r == FEED_RES_L6OK || r == FEED_RES_L7OK ||
             r == FEED_RES_L7OKC || r == FEED_RES_PROCOK;
    /* DRAIN in the feed mirrors lbd's admin state: health-wise UP */
    int up = st->state == FEED_UP || st->state == FEED_DRAIN;
    /* HAProxy counts an UP server's health from rise: "3/3 UP" is settled */
    unsigned num = up ? st->health - st->rise + 1 : st->health, den = up ? st->fall : st->rise;

    return done(snprintf(buf, len,
                         "Health check for server %s/%s %s, reason: %s, check duration: %ums, "
                         "status: %u/%u %s.",
                         s->be->name, s->name, ok ? "succeeded" : "failed", st->reason,
                         (unsigned)(st->latency_us / 1000), num, den, up ? "UP" : "DOWN"),
                len);
}

/* Counted on the control thread from the servers' atomics at the moment of
 * the log line: the "N active and M backup servers" figures HAProxy prints
 * after a transition. */
static void count_up(const struct lb_proxy *be, unsigned *active, unsigned *backup)
{
    unsigned i, n = atomic_load(&be->nservers);
    const struct lb_server *o;

    *active = *backup = 0;
    for (i = 0; i < n; i++) {
        o = be->servers[i];
        if ((o->flags & LB_SRV_F_DELETED) || atomic_load(&o->state) != LB_SRV_UP)
            continue;
        if (o->flags & LB_SRV_F_BACKUP)
            (*backup)++;
        else
            (*active)++;
    }
}

/* lbd has no requeueing of sessions on a server change, so the requeue and
 * queue figures are always 0 here; the words stay for log parsers. */
size_t lb_hclog_server(char *buf,
                       size_t len,
                       const struct lb_server *s,
                       enum lb_hclog_move move,
                       const char *reason,
                       unsigned duration_ms)
{
    unsigned act, bck, cur = atomic_load(&s->cur_conns);
    char why[FEED_REASON_MAX + 64] = "";

    const char *kind = (s->flags & LB_SRV_F_BACKUP) ? "Backup " : "";
    const char *on_bck;

    count_up(s->be, &act, &bck);
    on_bck = bck && !act ? " Running on backup." : "";
    if (reason)
        snprintf(why, sizeof(why), ", reason: %s, check duration: %ums", reason, duration_ms);
    if (move != LB_HCMOVE_DOWN)
        return done(snprintf(buf, len,
                             "%sServer %s/%s is %s%s. %u active and %u backup servers online.%s "
                             "0 sessions requeued, 0 total in queue.",
                             kind, s->be->name, s->name, move == LB_HCMOVE_UP ? "UP" : "stopping",
                             why, act, bck, on_bck),
                    len);
    return done(snprintf(buf, len,
                         "%sServer %s/%s is DOWN%s. %u active and %u backup servers left.%s %u "
                         "sessions active, 0 requeued, 0 remaining in queue.",
                         kind, s->be->name, s->name, why, act, bck, on_bck, cur),
                len);
}

size_t lb_hclog_admin(char *buf,
                      size_t len,
                      const struct lb_server *s,
                      enum lb_hclog_admin what,
                      int *level)
{
    const char *kind = (s->flags & LB_SRV_F_BACKUP) ? "Backup " : "";
    unsigned act, bck;

    count_up(s->be, &act, &bck);
    *level = what == LB_HCLOG_MAINT_ENTER ? LB_HCLOG_DOWN_LEVEL : LB_HCLOG_CHECK_LEVEL;
    switch (what) {
    case LB_HCLOG_DRAIN_ENTER:
        return done(snprintf(buf, len,
                             "%sServer %s/%s enters drain state. %u active and %u backup servers "
                             "online. 0 sessions requeued, 0 total in queue.",
                             kind, s->be->name, s->name, act, bck),
                    len);
    case LB_HCLOG_DRAIN_LEAVE:
        return done(snprintf(buf, len, "%sServer %s/%s is UP (leaving forced drain).", kind,
                             s->be->name, s->name),
                    len);
    case LB_HCLOG_MAINT_ENTER:
        return done(snprintf(buf, len,
                             "%sServer %s/%s is going DOWN for maintenance. %u active and %u "
                             "backup servers left. %u sessions active, 0 requeued, 0 remaining in "
                             "queue.",
                             kind, s->be->name, s->name, act, bck, atomic_load(&s->cur_conns)),
                    len);
    default:
        return done(snprintf(buf, len, "%sServer %s/%s is UP/READY (leaving forced maintenance).",
                             kind, s->be->name, s->name),
                    len);
    }
}

int lb_hclog_backend_empty(const struct lb_server *s)
{
    unsigned act, bck;

    count_up(s->be, &act, &bck);
    return act + bck == 0;
}
