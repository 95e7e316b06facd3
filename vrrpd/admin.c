/* admin.c - vrrpd.sock commands (see admin.h). */
#include "vrrpd/admin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/cmdsrv.h"
#include "common/log.h"
#include "vrrpd/daemon.h"
#include "vrrpd/inst.h"
#include "vrrpd/os/sock.h"
#include "vrrpd/track.h"

/* The effect shown to the operator, from weight and state only: it does not
 * apply "reverse" or the value of a track_file/track_process, so for those
 * items vr_track_effect() (what the FSM uses) may differ. */
static int track_effect(const struct vr_track *t)
{
    if (t->weight < 0 && !t->ok)
        return t->weight;
    if (t->weight > 0 && t->ok)
        return t->weight;
    return 0;
}

static json_t *track_json(const struct vr_track *t)
{
    return json_pack("{s:s, s:s, s:i, s:b, s:s, s:i, s:b}", "kind", vr_track_kind_name(t->kind),
                     "name", t->name, "weight", t->weight, "ok", t->ok, "reason", t->why, "effect",
                     track_effect(t), "fault", t->weight == 0 && !t->ok);
}

/* Drop counters are listed by the decoder's error names, one per VRRP_PKT_E_*
 * reason, plus the socket's receive-queue overflows (packets the kernel
 * dropped before vrrpd could read them). */
static json_t *counters_json(const struct vr_inst *i)
{
    json_t *drops = json_object();
    int k;

    for (k = 1; k < VRRP_PKT_E_NOSPACE; k++)
        json_object_set_new(drops, vrrp_pkt_strerror(-k), json_integer((json_int_t)i->st.drops[k]));
    json_object_set_new(drops, "overflow", json_integer((json_int_t)vr_sock_overflows(i->fd)));
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "adverts_sent",
                     (json_int_t)i->st.adv_sent, "adverts_received", (json_int_t)i->st.adv_rcvd,
                     "prio0_sent", (json_int_t)i->st.prio0_sent, "prio0_received",
                     (json_int_t)i->st.prio0_rcvd, "garp_sent", (json_int_t)i->st.garp_sent,
                     "na_sent", (json_int_t)i->st.na_sent, "became_master",
                     (json_int_t)i->st.became_master, "drops", drops);
}

/* The JSON form is for monitoring and the tests; field names are stable API,
 * so new fields are added and none renamed. */
static json_t *inst_json(const struct vr_inst *i)
{
    const struct vr_inst_cfg *c = i->cfg;
    json_t *vips = json_array(), *tracks = json_array();
    char a[INET6_ADDRSTRLEN], m[INET6_ADDRSTRLEN], v[INET6_ADDRSTRLEN + 4];
    struct lk_list *it;
    unsigned k;

    for (k = 0; k < c->nvips; k++) {
        snprintf(v, sizeof(v), "%s/%u", vr_vip_str(&c->vips[k], a), c->vips[k].prefix);
        json_array_append_new(vips, json_string(v));
    }
    LK_LIST_FOREACH (it, &i->tracks) {
        const struct vr_track *t = LK_LIST_ELEM(it, struct vr_track, link);

        if (!t->stopped)
            json_array_append_new(tracks, track_json(t));
    }
    return json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:b, s:b, s:I, "
                     "s:s, s:i, s:o, s:o, s:o}",
                     "name", c->name, "state", vr_state_name(i->fsm.state), "reason", i->fsm.reason,
                     "state_ms", (json_int_t)(lk_mono_ms() - i->state_since_ms), "interface",
                     c->ifname, "source", vr_inst_ipstr(i, &i->self, a), "vrid", c->vrid, "version",
                     c->version, "advert_int_cs", c->adver_cs, "priority", i->prio_now,
                     "priority_configured", c->priority, "preempt", c->preempt, "fast_takeover",
                     c->fast_takeover, "preempt_delay_ms", (json_int_t)c->preempt_delay_ms,
                     "master", vr_inst_ipstr(i, &i->fsm.master_ip, m), "master_priority",
                     i->fsm.master_prio, "vips", vips, "tracks", tracks, "counters",
                     counters_json(i));
}

static json_t *all_json(struct vr_daemon *d)
{
    json_t *arr = json_array();
    struct lk_list *it;

    LK_LIST_FOREACH (it, &d->insts)
        json_array_append_new(arr, inst_json(LK_LIST_ELEM(it, struct vr_inst, link)));
    return json_pack("{s:I, s:I, s:o}", "pid", (json_int_t)getpid(), "reloads",
                     (json_int_t)d->reloads, "instances", arr);
}

static void show_track(struct lk_cmdconn *c, const struct vr_track *t)
{
    lk_cmdconn_printf(c, "  track %s %s weight %d: %s (%s) effect %s%d\n",
                      vr_track_kind_name(t->kind), t->name, t->weight, t->ok ? "ok" : "FAIL",
                      t->why, t->weight == 0 && !t->ok ? "FAULT " : "", track_effect(t));
}

static void show_inst(struct lk_cmdconn *c, const struct vr_inst *i)
{
    const struct vr_inst_cfg *cf = i->cfg;
    char a[INET6_ADDRSTRLEN], m[INET6_ADDRSTRLEN];
    struct lk_list *it;
    unsigned k;

    lk_cmdconn_printf(c, "Instance %s: state %s for %.1f s (%s)\n", cf->name,
                      vr_state_name(i->fsm.state),
                      (double)(lk_mono_ms() - i->state_since_ms) / 1000.0, i->fsm.reason);
    lk_cmdconn_printf(c, "  interface %s source %s VRID %u VRRP v%u advert_int %u.%02u s%s\n",
                      cf->ifname, vr_inst_ipstr(i, &i->self, a), cf->vrid, cf->version,
                      cf->adver_cs / 100, cf->adver_cs % 100,
                      cf->npeers || cf->npeers6 ? " unicast" : "");
    lk_cmdconn_printf(c, "  priority %u (configured %u) preempt %s fast_takeover %s\n", i->prio_now,
                      cf->priority, cf->preempt ? "yes" : "no", cf->fast_takeover ? "yes" : "no");
    lk_cmdconn_printf(c, "  master %s priority %u\n",
                      vr_inst_ipstr(i, &i->fsm.master_ip, m)[0] ? m : "unknown",
                      i->fsm.master_prio);
    for (k = 0; k < cf->nvips; k++)
        lk_cmdconn_printf(c, "  vip %s/%u\n", vr_vip_str(&cf->vips[k], a), cf->vips[k].prefix);
    LK_LIST_FOREACH (it, &i->tracks) {
        const struct vr_track *t = LK_LIST_ELEM(it, struct vr_track, link);

        if (!t->stopped)
            show_track(c, t);
    }
    lk_cmdconn_printf(c,
                      "  adverts sent %llu received %llu (priority 0 sent %llu received %llu)"
                      " garp sent %llu na sent %llu became master %llu\n  drops:",
                      (unsigned long long)i->st.adv_sent, (unsigned long long)i->st.adv_rcvd,
                      (unsigned long long)i->st.prio0_sent, (unsigned long long)i->st.prio0_rcvd,
                      (unsigned long long)i->st.garp_sent, (unsigned long long)i->st.na_sent,
                      (unsigned long long)i->st.became_master);
    for (k = 1; k < VRRP_PKT_E_NOSPACE; k++)
        lk_cmdconn_printf(c, " %s %llu", vrrp_pkt_strerror(-(int)k),
                          (unsigned long long)i->st.drops[k]);
    lk_cmdconn_printf(c, " overflow %llu\n", (unsigned long long)vr_sock_overflows(i->fd));
}

static int cmd_show(struct lk_cmdconn *c, struct vr_daemon *d, int json)
{
    struct lk_list *it;
    json_t *o;
    char *s;

    if (!json) {
        LK_LIST_FOREACH (it, &d->insts)
            show_inst(c, LK_LIST_ELEM(it, struct vr_inst, link));
        return 0;
    }
    o = all_json(d);
    s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    lk_cmdconn_printf(c, "%s\n", s ? s : "{}");
    free(s);
    json_decref(o);
    return 0;
}

/* A new subscriber first learns the current state of every instance, so
 * it never has to guess what happened before it connected. */
static void send_snapshot(struct lk_cmdconn *c, struct vr_daemon *d)
{
    struct lk_list *it;

    LK_LIST_FOREACH (it, &d->insts) {
        json_t *ev = vr_inst_snapshot_json(LK_LIST_ELEM(it, struct vr_inst, link));
        char *line = ev ? json_dumps(ev, JSON_COMPACT) : NULL;

        json_decref(ev);
        if (line)
            lk_cmdconn_printf(c, "%s\n", line);
        free(line);
    }
}

static int cmd_subscribe(struct lk_cmdconn *c, struct vr_daemon *d)
{
    int r = lk_cmdsubs_add(&d->subs, c);

    if (r == -EALREADY) /* one subscription per connection */
        return lk_cmdconn_printf(c, "already subscribed\n");
    if (r < 0)
        return lk_cmdconn_printf(c, "out of memory\n");
    send_snapshot(c, d);
    return 0;
}

/* vrrpd's CLI is read-only (show, subscribe): state is changed through the
 * config and SIGHUP, as in Keepalived, never by a socket command. -ENOENT
 * lets lk_cmdsrv give its own "Unknown command" answer. */
static int dispatch(struct lk_cmdconn *c, int argc, char **argv, void *ud)
{
    struct vr_daemon *d = ud;
    const char *a1 = argc > 1 ? argv[1] : "";

    if (!strcmp(argv[0], "help")) {
        lk_cmdconn_printf(c, "The following commands are valid at this level:\n"
                             "  help                : this message\n"
                             "  show vrrp [json]    : instances, priorities, tracking, counters\n"
                             "  subscribe events    : one JSON line per state/priority change\n"
                             "  prompt, quit, set timeout cli N\n");
        return 0;
    }
    if (!strcmp(argv[0], "show") && !strcmp(a1, "vrrp"))
        return cmd_show(c, d, argc > 2 && !strcmp(argv[2], "json"));
    if (!strcmp(argv[0], "subscribe") && !strcmp(a1, "events"))
        return cmd_subscribe(c, d);
    return -ENOENT;
}

/* Admin level and mode 0660, as the other daemons' sockets. max_out bounds what a
 * subscriber that stopped reading can make vrrpd buffer. */
int vr_admin_start(struct vr_daemon *d)
{
    struct lk_cmdsrv_opts o = {.mode = 0660,
                               .uid = (uid_t)-1,
                               .gid = (gid_t)-1,
                               .level = LK_CMD_LEVEL_ADMIN,
                               .max_out = 1 << 20};
    char *path = NULL;
    int r;

    if (asprintf(&path, "%s/vrrpd.sock", d->rundir) < 0)
        return -ENOMEM;
    o.path = path;
    r = lk_cmdsrv_start(&d->admin, &d->loop, &o, dispatch, d);
    if (r < 0)
        lk_log_errno(r, LK_LOG_ERR, "admin socket %s: %m%s", path,
                     r == -EADDRINUSE ? " (another vrrpd is running there)" : "");
    free(path);
    return r;
}

void vr_admin_stop(struct vr_daemon *d)
{
    if (d->admin)
        lk_cmdsrv_stop(d->admin);
    d->admin = NULL;
}

void vr_admin_event(struct vr_daemon *d, json_t *ev)
{
    char *s, *line;
    size_t n;

    s = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    if (!s)
        return;
    n = strlen(s);
    line = realloc(s, n + 2);
    if (!line) {
        free(s);
        return;
    }
    line[n] = '\n';
    line[n + 1] = '\0';
    /* a subscriber that does not read is dropped, never waited for */
    lk_cmdsubs_send(&d->subs, line, n + 1);
    free(line);
}
