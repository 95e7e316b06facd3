/* admin.c - see admin.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkd/admin.h"
#include "checkd/target.h"
#include "common/clock.h"
#include "common/compiler.h"
#include "common/list.h"
#include "common/log.h"

/* LAG_CHECK_MS: how often lagging subscribers are looked at; only runs while
 * one lags. */
#define MAX_SOCKETS  8
#define LAG_CHECK_MS 100

/* A feed subscriber (lbd). Unlike cmdsrv's generic lists, one that falls
 * behind is not dropped: lbd would then reconnect and re-register every
 * target; it is marked lagging, counts what it missed, and gets a
 * snapshot once it has drained (lag_check). */
struct sub {
    struct lk_list link;
    struct chk_feedsrv *fs;
    struct lk_cmdconn *c;
    uint64_t missed; /* events not sent since it fell behind */
    int lagging;
};

/* The feed server: one registry, several command sockets, and every
 * subscriber of any of them. seq numbers every change since start, so a
 * subscriber can match replies and snapshots to the events around them. */
struct chk_feedsrv {
    uv_loop_t *loop;
    struct chk_registry *reg;
    struct lk_cmdsrv *srv[MAX_SOCKETS];
    unsigned nsrv;
    size_t max_out;
    struct lk_list subs;
    uint64_t seq;
    uint64_t start_mono_ms;
    uv_timer_t lag_timer;
    int closing;
};

/* 4 MB of queued output per connection by default: a full snapshot of
 * thousands of targets fits, while a reader that stopped reading cannot make
 * checkd grow without bound. */
struct chk_feedsrv *chk_feedsrv_new(uv_loop_t *loop, size_t max_out)
{
    struct chk_feedsrv *fs = calloc(1, sizeof(*fs));

    if (!fs)
        return NULL;
    fs->loop = loop;
    fs->max_out = max_out ? max_out : 4u << 20;
    fs->start_mono_ms = lk_mono_ms();
    lk_list_init(&fs->subs);
    uv_timer_init(loop, &fs->lag_timer);
    fs->lag_timer.data = fs;
    return fs;
}

void chk_feedsrv_attach(struct chk_feedsrv *fs, struct chk_registry *reg)
{
    fs->reg = reg;
}

static struct sub *sub_of(struct chk_feedsrv *fs, struct lk_cmdconn *c)
{
    struct lk_list *it;

    LK_LIST_FOREACH (it, &fs->subs) {
        if (LK_LIST_ELEM(it, struct sub, link)->c == c)
            return LK_LIST_ELEM(it, struct sub, link);
    }
    return NULL;
}

/* The snapshot carries the current seq: the subscriber knows which events it
 * already reflects. Returns a malloc'ed line or NULL on OOM. */
static char *snapshot_line(struct chk_feedsrv *fs)
{
    const struct feed_status **st = NULL;
    char *line;
    int n = chk_registry_statuses(fs->reg, &st);

    if (n < 0)
        return NULL;
    line = feed_encode_snapshot(st, (size_t)n, fs->seq, lk_wall_us());
    free(st);
    return line;
}

static void lag_check(uv_timer_t *t);

/* Write a line to a subscriber; a full queue makes it lag. */
static void sub_send(struct sub *s, const char *line)
{
    int r;

    /* events are not queued behind a full buffer: the snapshot sent when
     * it catches up says everything they would have */
    if (s->lagging) {
        s->missed++;
        return;
    }
    r = lk_cmdconn_write(s->c, line, strlen(line));
    if (r == -ENOBUFS) {
        s->lagging = 1;
        s->missed = 1;
        if (!uv_is_active((uv_handle_t *)&s->fs->lag_timer))
            uv_timer_start(&s->fs->lag_timer, lag_check, LAG_CHECK_MS, LAG_CHECK_MS);
    }
}

static void broadcast(struct chk_feedsrv *fs, const char *line)
{
    struct lk_list *it, *nx;

    if (!line)
        return;
    LK_LIST_FOREACH_SAFE (it, nx, &fs->subs) {
        sub_send(LK_LIST_ELEM(it, struct sub, link), line);
    }
}

void chk_feedsrv_changed(void *ud, const struct feed_status *st, int prev)
{
    struct chk_feedsrv *fs = ud;
    char *line;

    /* the sequence counts every change, seen or not: a subscriber can tell
     * from a gap that it missed some */
    fs->seq++;
    if (lk_list_empty(&fs->subs))
        return;
    line = feed_encode_event(st, prev, fs->seq, lk_wall_us());
    broadcast(fs, line);
    free(line);
}

/* Removal is an event of its own: lbd keeps a removed target's last state
 * (fail-static) instead of treating the removal as DOWN. */
void chk_feedsrv_removed(void *ud, const char *id)
{
    struct chk_feedsrv *fs = ud;
    char *line;

    fs->seq++;
    if (lk_list_empty(&fs->subs))
        return;
    line = feed_encode_removed(id, fs->seq, lk_wall_us());
    broadcast(fs, line);
    free(line);
}

/* A lagging subscriber that drained below half its limit is told what it
 * missed and resynchronised with a snapshot. */
static void lag_check(uv_timer_t *t)
{
    struct chk_feedsrv *fs = t->data;
    struct lk_list *it;
    struct sub *s;
    char *missed, *snap;
    int lagging = 0;

    LK_LIST_FOREACH (it, &fs->subs) {
        s = LK_LIST_ELEM(it, struct sub, link);
        if (!s->lagging)
            continue;
        /* half empty, not empty: the snapshot itself must fit behind what is
         * still queued */
        if (lk_cmdconn_pending(s->c) > fs->max_out / 2) {
            lagging = 1;
            continue;
        }
        missed = feed_encode_missed(s->missed, fs->seq, lk_wall_us());
        snap = snapshot_line(fs);
        if (missed && snap && lk_cmdconn_write(s->c, missed, strlen(missed)) == 0 &&
            lk_cmdconn_write(s->c, snap, strlen(snap)) == 0) {
            lk_log(LK_LOG_INFO, "slow subscriber caught up after missing %llu events",
                   (unsigned long long)s->missed);
            s->lagging = 0;
            s->missed = 0;
        } else {
            lagging = 1;
        }
        free(missed);
        free(snap);
    }
    if (!lagging)
        uv_timer_stop(t);
}

/* The connection owns the subscription (lk_cmdconn_hold): it is unlinked and
 * freed here when the connection closes, for whatever reason. */
static void sub_gone(struct lk_cmdconn *c, void *ud)
{
    struct sub *s = ud;

    lk_list_del(&s->link);
    free(s);
}

static int cmd_subscribe(struct chk_feedsrv *fs, struct lk_cmdconn *c)
{
    struct sub *s;
    char *snap;

    if (sub_of(fs, c))
        return 0;
    s = calloc(1, sizeof(*s));
    snap = snapshot_line(fs);
    if (!s || !snap) {
        free(s);
        free(snap);
        return lk_cmdconn_printf(c, "Out of memory.\n");
    }
    s->fs = fs;
    s->c = c;
    lk_list_append(&fs->subs, &s->link);
    /* the snapshot first, then events: a subscriber never sees a change to
     * a target it has not been told about */
    lk_cmdconn_hold(c, sub_gone, s);
    sub_send(s, snap);
    free(snap);
    return 0;
}

/* Answer a command: a JSON reply line on a subscribed connection, text
 * for a person otherwise. */
/* Replies to a subscriber go through sub_send() so they stay in order with
 * the events it receives, and are framed as feed lines lbd can decode. */
static int reply(struct chk_feedsrv *fs, struct lk_cmdconn *c, int ok, const char *fmt, ...)
    LK_PRINTF(4, 5);

static int reply(struct chk_feedsrv *fs, struct lk_cmdconn *c, int ok, const char *fmt, ...)
{
    char text[FEED_REASON_MAX], *line;
    struct sub *s = sub_of(fs, c);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (!s)
        return lk_cmdconn_printf(c, "%s\n", text);
    line = feed_encode_reply(ok, text, fs->seq, lk_wall_us());
    if (line)
        sub_send(s, line);
    free(line);
    return 0;
}

static int need_operator(struct chk_feedsrv *fs, struct lk_cmdconn *c)
{
    /* registering, reporting and maintenance change what lbd balances to:
     * operator level, as HAProxy's "set server" needs admin */
    if (lk_cmdconn_level(c) >= LK_CMD_LEVEL_OPERATOR)
        return 0;
    reply(fs, c, 0, "%s", "Permission denied");
    return -EPERM;
}

/* Registering an existing id updates it in place (its health is kept while address and kind stay),
 * which is what lets lbd re-register everything on every reconnect without resetting health. */
static int cmd_register(struct chk_feedsrv *fs, struct lk_cmdconn *c, int argc, char **argv)
{
    struct feed_target t;
    const char *why = "";
    int r;

    if (need_operator(fs, c) < 0)
        return 0;
    if (argc != 2)
        return reply(fs, c, 0, "'register' expects one JSON object (spaces escaped)");
    if (feed_decode_target((const uint8_t *)argv[1], strlen(argv[1]), &t) < 0)
        return reply(fs, c, 0, "register: invalid target object");
    /* an owner is what prune() keys on: a hand-registered target belongs
     * to neither lbd nor the config file */
    if (!t.owner[0])
        snprintf(t.owner, sizeof(t.owner), "cli");
    r = chk_registry_add(fs->reg, &t, &why);
    if (r < 0)
        return reply(fs, c, 0, "register %s: %s", t.id, why);
    return reply(fs, c, 1, "%s %s", r ? "registered" : "updated", t.id);
}

static int cmd_unregister(struct chk_feedsrv *fs, struct lk_cmdconn *c, int argc, char **argv)
{
    if (need_operator(fs, c) < 0)
        return 0;
    if (argc != 2)
        return reply(fs, c, 0, "'unregister' expects a target id");
    if (chk_registry_remove(fs->reg, argv[1]) < 0)
        return reply(fs, c, 0, "no such target: %s", argv[1]);
    return reply(fs, c, 1, "unregistered %s", argv[1]);
}

/* lbd's passive health: it saw connection failures on live traffic, and
 * checkd applies the server's on-error mode (HAProxy's semantics) to the
 * target, so the verdict stays checkd's. */
static int cmd_report(struct chk_feedsrv *fs, struct lk_cmdconn *c, int argc, char **argv)
{
    int r;

    if (need_operator(fs, c) < 0)
        return 0;
    if (argc != 3)
        return reply(fs, c, 0, "'report' expects <id> fastinter|fail-check|sudden-death|mark-down");
    r = chk_registry_report(fs->reg, argv[1], argv[2]);
    if (r == -ENOENT)
        return reply(fs, c, 0, "no such target: %s", argv[1]);
    if (r < 0)
        return reply(fs, c, 0, "report: unknown mode '%s'", argv[2]);
    return reply(fs, c, 1, "reported %s: %s", argv[1], argv[2]);
}

static int cmd_maint(struct chk_feedsrv *fs, struct lk_cmdconn *c, int argc, char **argv)
{
    int on = strcmp(argv[0], "disable") == 0;

    if (need_operator(fs, c) < 0)
        return 0;
    if (argc != 3)
        return reply(fs, c, 0, "'%s health' expects a target id", argv[0]);
    if (strcmp(argv[0], "drain") == 0) {
        if (chk_registry_drain(fs->reg, argv[2], 1) < 0)
            return reply(fs, c, 0, "no such target: %s", argv[2]);
        return reply(fs, c, 1, "draining %s", argv[2]);
    }
    /* "enable" ends maintenance and drain alike */
    if (!on && chk_registry_drain(fs->reg, argv[2], 0) < 0)
        return reply(fs, c, 0, "no such target: %s", argv[2]);
    if (chk_registry_maint(fs->reg, argv[2], on) < 0)
        return reply(fs, c, 0, "no such target: %s", argv[2]);
    return reply(fs, c, 1, "%s %s", on ? "maintenance for" : "checks resumed for", argv[2]);
}

/* HAProxy's stats wording: "UP", "UP 1/3, going down" (failures left
 * before DOWN, of fall), "DOWN 1/2, going up" (successes so far, of rise),
 * "MAINT". */
static void state_text(const struct feed_status *st, char *buf, size_t len)
{
    const char *tr = feed_transition(st);

    if (!tr)
        snprintf(buf, len, "%s", feed_state_name(st->state));
    else if (st->state == FEED_UP || st->state == FEED_DRAIN)
        snprintf(buf, len, "%s %u/%u, going down", feed_state_name(st->state),
                 st->health - st->rise + 1, st->fall);
    else
        snprintf(buf, len, "DOWN %u/%u, going up", st->health, st->rise);
}

static int show_health(struct chk_feedsrv *fs, struct lk_cmdconn *c, int json)
{
    const struct feed_status **st = NULL;
    char state[48], *line;
    int i, n = chk_registry_statuses(fs->reg, &st);

    if (n < 0)
        return lk_cmdconn_printf(c, "Out of memory.\n");
    if (json) {
        line = feed_encode_snapshot(st, (size_t)n, fs->seq, lk_wall_us());
        if (line)
            lk_cmdconn_write(c, line, strlen(line));
        free(line);
        free(st);
        return 0;
    }
    lk_cmdconn_printf(c, "# %-28s %-22s %-6s %-20s %-7s %5s %9s %s\n", "id", "addr", "kind",
                      "state", "result", "code", "lat_ms", "reason");
    for (i = 0; i < n; i++) {
        state_text(st[i], state, sizeof(state));
        lk_cmdconn_printf(c, "%-30s %-22s %-6s %-20s %-7s %5d %9.3f %s\n", st[i]->id, st[i]->addr,
                          feed_kind_name(st[i]->kind), state, feed_result_name(st[i]->result),
                          st[i]->code, (double)st[i]->latency_us / 1000.0, st[i]->reason);
    }
    free(st);
    return 0;
}

static int show_info(struct chk_feedsrv *fs, struct lk_cmdconn *c)
{
    struct lk_list *it;
    unsigned nsubs = 0;

    LK_LIST_FOREACH (it, &fs->subs) {
        nsubs++;
    }
    return lk_cmdconn_printf(
        c,
        "Name: checkd\nVersion: %s\nUptime_sec: %llu\nTargets: %u\n"
        "Probes: %llu\nSubscribers: %u\nFeed_seq: %llu\n",
        LBKIT_VERSION, (unsigned long long)((lk_mono_ms() - fs->start_mono_ms) / 1000),
        chk_registry_count(fs->reg), (unsigned long long)chk_registry_probes(fs->reg), nsubs,
        (unsigned long long)fs->seq);
}

static int cmd_help(struct lk_cmdconn *c)
{
    return lk_cmdconn_printf(
        c, "The following commands are valid at this level:\n"
           "  help                          : this list\n"
           "  show health [json]            : every target's state, as a table or JSON\n"
           "  show info                     : process information\n"
           "  subscribe                     : snapshot, then one JSON line per change\n"
           "  register <json>               : add or update a target (operator)\n"
           "  unregister <id>               : remove a target (operator)\n"
           "  disable health <id>           : stop checking, state MAINT (operator)\n"
           "  enable health <id>            : resume checking, end drain (operator)\n"
           "  drain health <id>             : healthy but no new traffic: DRAIN (operator)\n"
           "  report <id> <on-error>        : passive health from live traffic (operator)\n"
           "  prompt, quit, set timeout cli : as on HAProxy's socket\n");
}

/* -ENOENT lets lk_cmdsrv answer "Unknown command" itself. Reading commands
 * are open to every level; the changing ones check operator level in their
 * handler (need_operator) so the refusal reaches a subscriber as a feed
 * reply. */
static int dispatch(struct lk_cmdconn *c, int argc, char **argv, void *ud)
{
    struct chk_feedsrv *fs = ud;

    if (strcmp(argv[0], "help") == 0)
        return cmd_help(c);
    if (strcmp(argv[0], "show") == 0 && argc >= 2 && strcmp(argv[1], "health") == 0)
        return show_health(fs, c, argc > 2 && strcmp(argv[2], "json") == 0);
    if (strcmp(argv[0], "show") == 0 && argc >= 2 && strcmp(argv[1], "info") == 0)
        return show_info(fs, c);
    if (strcmp(argv[0], "subscribe") == 0)
        return cmd_subscribe(fs, c);
    if (strcmp(argv[0], "register") == 0)
        return cmd_register(fs, c, argc, argv);
    if (strcmp(argv[0], "unregister") == 0)
        return cmd_unregister(fs, c, argc, argv);
    if (strcmp(argv[0], "report") == 0)
        return cmd_report(fs, c, argc, argv);
    if ((strcmp(argv[0], "disable") == 0 || strcmp(argv[0], "enable") == 0 ||
         strcmp(argv[0], "drain") == 0) &&
        argc >= 2 && strcmp(argv[1], "health") == 0)
        return cmd_maint(fs, c, argc, argv);
    return -ENOENT;
}

/* Sockets idle for 30 s are closed unless their config says otherwise: a
 * subscription keeps its connection busy, an abandoned interactive session
 * does not. */
int chk_feedsrv_listen(struct chk_feedsrv *fs, const struct lk_cmdsrv_opts *o)
{
    struct lk_cmdsrv_opts opts = *o;
    int r;

    if (fs->nsrv == MAX_SOCKETS)
        return -EMFILE;
    opts.max_out = fs->max_out;
    opts.idle_ms = opts.idle_ms ? opts.idle_ms : 30000;
    r = lk_cmdsrv_start(&fs->srv[fs->nsrv], fs->loop, &opts, dispatch, fs);
    if (r < 0)
        return r;
    fs->nsrv++;
    return 0;
}

static void lag_closed(uv_handle_t *h)
{
    free(h->data);
}

struct chk_feedsrv *chk_feedsrv_free(struct chk_feedsrv *fs)
/* The struct is freed by the lag timer's close callback, the last handle it
 * owns, after every connection was closed. */
{
    unsigned i;

    if (!fs)
        return NULL;
    /* stopping the servers closes every connection, which unlinks subs */
    for (i = 0; i < fs->nsrv; i++)
        lk_cmdsrv_stop(fs->srv[i]);
    uv_close((uv_handle_t *)&fs->lag_timer, lag_closed);
    return NULL;
}
