/* inst.c - a VRRP instance at run time (see inst.h). */
#include "vrrpd/inst.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/sdnotify.h"
#include "vrrpd/admin.h"
#include "vrrpd/daemon.h"
#include "vrrpd/guard.h"
#include "vrrpd/notify.h"
#include "vrrpd/os/garp.h"
#include "vrrpd/os/netlink.h"
#include "vrrpd/os/sock.h"
#include "vrrpd/sync.h"
#include "vrrpd/track.h"

/* Bounded so a flood of advertisements (or of other groups' traffic on a
 * shared link) cannot keep the loop in one instance's callback while other
 * instances' timers are due. */
#define RX_BURST 32 /* datagrams read per wakeup, then back to the loop */

/* Peers can send anything: their messages are rate-limited. */
static struct lk_ratelimit rl_rx = LK_RATELIMIT_INIT(5000, 5);

static const uint8_t mcast6[16] = {0xff, 0x02, [15] = 0x12}; /* ff02::12 */

static const char *ipstr(uint32_t a, char *buf)
{
    return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

const char *vr_vip_str(const struct vr_vip *v, char *buf)
{
    if (v->family == AF_INET6)
        return inet_ntop(AF_INET6, v->addr6, buf, INET6_ADDRSTRLEN);
    return inet_ntop(AF_INET, &v->addr, buf, INET6_ADDRSTRLEN);
}

const char *vr_inst_ipstr(const struct vr_inst *i, const struct vr_ip *a, char *buf)
{
    static const struct vr_ip zero;

    if (!memcmp(a, &zero, sizeof(zero))) {
        buf[0] = '\0';
        return buf;
    }
    return inet_ntop(i->cfg->family == AF_INET6 ? AF_INET6 : AF_INET, a->b, buf, INET6_ADDRSTRLEN);
}

static bool is6(const struct vr_inst *i)
{
    return i->cfg->family == AF_INET6;
}

/* The FSM is pure (fsm.c): it gets its parameters as values, so the instance
 * can recompute them (priority after a track change) and the unit tests can
 * drive the FSM without sockets. */
static void fsm_params(const struct vr_inst *i, struct vr_fsm_params *p)
{
    const struct vr_inst_cfg *c = i->cfg;

    memset(p, 0, sizeof(*p));
    p->priority = i->prio_now;
    p->adver_cs = c->adver_cs;
    p->preempt_delay_ms = c->preempt_delay_ms;
    p->local_ip = i->self;
    p->preempt = c->preempt;
    p->fast_takeover = c->fast_takeover;
    p->learn_interval = c->version == 3;
    p->lower_prio_no_advert = c->lower_prio_no_advert;
}

/* ---- output ---------------------------------------------------------- */

/* To dst (IPv4) or dst6 (IPv6 instance). */
static void send_one(struct vr_inst *i, const struct vrrp_pkt *p, uint32_t dst, const uint8_t *dst6)
{
    uint8_t buf[VRRP_PKT6_MAX_LEN];
    char a[INET6_ADDRSTRLEN];
    int n, r;

    if (is6(i))
        n = vrrp_pkt_encode6(p, i->src6, dst6, buf, sizeof(buf));
    else
        n = vrrp_pkt_encode(p, i->src, dst, buf, sizeof(buf));
    if (n < 0)
        return; /* the config was validated: cannot happen */
    if (is6(i))
        r = vr_sock_send6(i->fd, i->ifc.ifindex, i->src6, dst6, buf, (size_t)n);
    else if (i->tx_fd >= 0)
        r = vr_sock_send(i->tx_fd, i->vmc.ifindex, i->src, dst, buf, (size_t)n);
    else
        r = vr_sock_send(i->fd, i->ifc.ifindex, i->src, dst, buf, (size_t)n);
    if (r < 0) {
        lk_log_rl(&rl_rx, LK_LOG_WARNING, "(%s) sending advertisement to %s: %s", i->cfg->name,
                  is6(i) ? inet_ntop(AF_INET6, dst6, a, sizeof(a)) : ipstr(dst, a), strerror(-r));
        return;
    }
    i->st.adv_sent++;
    if (p->priority == 0)
        i->st.prio0_sent++;
}

/* Excluded VIPs are managed like the others but never advertised: they may be
 * of the other family, or more than a packet holds. */
static uint8_t advertised_vips(const struct vr_inst_cfg *c)
{
    uint8_t n = 0;
    unsigned k;

    for (k = 0; k < c->nvips; k++)
        n = (uint8_t)(n + !c->vips[k].excluded);
    return n;
}

/* VRRPv2 advertises whole seconds (RFC 3768), v3 centiseconds (RFC 5798); the
 * instance keeps centiseconds and converts here only. */
static void advert_pkt(const struct vr_inst *i, uint8_t prio, struct vrrp_pkt *p)
{
    const struct vr_inst_cfg *c = i->cfg;
    unsigned k;

    memset(p, 0, sizeof(*p));
    p->version = c->version;
    p->vrid = c->vrid;
    p->priority = prio;
    p->auth_type = c->auth_type;
    p->adver_int = (uint16_t)(c->version == 2 ? c->adver_cs / 100 : c->adver_cs);
    memcpy(p->auth, c->auth, sizeof(p->auth));
    /* the advertised VIPs all have the instance's family (cfg.c) */
    for (k = 0; k < c->nvips; k++) {
        if (c->vips[k].excluded)
            continue;
        p->addrs[p->naddr] = c->vips[k].addr;
        memcpy(p->addrs6[p->naddr++], c->vips[k].addr6, 16);
    }
}

/* Multicast to 224.0.0.18 / ff02::12 unless unicast peers are configured, in
 * which case each peer gets its own copy and nothing goes to the group, as in
 * Keepalived. */
static void send_advert(struct vr_inst *i, uint8_t prio)
{
    const struct vr_inst_cfg *c = i->cfg;
    struct vrrp_pkt p;
    unsigned k;

    advert_pkt(i, prio, &p);
    if (is6(i)) {
        if (!c->npeers6)
            send_one(i, &p, 0, mcast6);
        for (k = 0; k < c->npeers6; k++)
            send_one(i, &p, 0, c->peers6[k]);
        return;
    }
    if (!c->npeers) {
        send_one(i, &p, htonl(VRRP_PKT_MCAST_GROUP), NULL);
        return;
    }
    for (k = 0; k < c->npeers; k++)
        send_one(i, &p, c->peers[k], NULL);
}

static int vip_ifindex(const struct vr_inst *i, const struct vr_vip *v)
{
    unsigned idx = v->dev[0] ? if_nametoindex(v->dev) : 0;

    if (idx)
        return (int)idx;
    return i->cfg->vmac ? i->vmc.ifindex : i->ifc.ifindex;
}

/* IPv4 packets are encoded here, one per destination, and handed to the guard
 * ready to send: the guard must be able to resign without any encoding logic
 * of its own. The bound check follows the encode into w->pkt[ndst]; the
 * config limits peers to VR_MAX_PEERS, so ndst stays in range. */
static void guard_dst(struct vr_guard_will *w, const struct vrrp_pkt *p, uint32_t dst)
{
    int n;

    n = vrrp_pkt_encode(p, w->src, dst, w->pkt[w->ndst], sizeof(w->pkt[0]));

    if (n < 0 || w->ndst >= VR_MAX_PEERS)
        return;
    w->dst[w->ndst] = dst;
    w->len[w->ndst++] = (uint16_t)n;
}

static int dev_index(const struct vr_inst *i, const char *dev);
static void route_opts(const struct vr_inst *i, const struct vr_route *rt, struct vr_route_opts *o);

/* The will's routes and rules: removed with the VIPs if vrrpd dies. */
static void guard_routes(const struct vr_inst *i, struct vr_guard_will *w)
{
    const struct vr_inst_cfg *c = i->cfg;
    unsigned k;

    for (k = 0; k < c->nroutes && w->nroutes < VR_GUARD_MAX_ROUTES; k++) {
        route_opts(i, &c->routes[k], &w->routes[w->nroutes]);
        if (w->routes[w->nroutes].ifindex >= 0)
            w->nroutes++;
    }
    for (k = 0; k < c->nrules && k < VR_GUARD_MAX_ROUTES; k++)
        w->rules[w->nrules++] = c->rules[k];
}

/* As Master, leave the guard a will: the priority-0 advertisements and
 * the VIPs, for the case vrrpd dies without resigning. Revoked when the
 * instance leaves Master (or stops). */
static void guard_update(struct vr_inst *i)
{
    const struct vr_inst_cfg *c = i->cfg;
    struct vr_guard_will w;
    struct vrrp_pkt p;
    unsigned k;

    memset(&w, 0, sizeof(w));
    snprintf(w.name, sizeof(w.name), "%s", c->name);
    if (i->fsm.state != VR_STATE_MASTER) {
        w.revoke = 1;
        goto send;
    }
    /* the guard resigns from where the adverts leave */
    snprintf(w.ifname, sizeof(w.ifname), "%s", i->tx_fd >= 0 ? c->vmac_name : c->ifname);
    w.ifindex = i->tx_fd >= 0 ? i->vmc.ifindex : i->ifc.ifindex;
    w.unicast = (is6(i) ? c->npeers6 : c->npeers) > 0;
    w.family = is6(i) ? AF_INET6 : AF_INET;
    w.src = i->src;
    memcpy(w.src6, i->src6, 16);
    advert_pkt(i, 0, &p);
    if (is6(i)) {
        /* the guard encodes: one checksum per destination */
        w.v6.p = p;
        memcpy(w.v6.dst6[0], mcast6, 16);
        w.ndst = 1;
        for (k = 0; k < c->npeers6; k++)
            memcpy(w.v6.dst6[k], c->peers6[k], 16);
        if (c->npeers6)
            w.ndst = (uint8_t)c->npeers6;
    }
    if (!is6(i) && !c->npeers)
        guard_dst(&w, &p, htonl(VRRP_PKT_MCAST_GROUP));
    for (k = 0; !is6(i) && k < c->npeers; k++)
        guard_dst(&w, &p, c->peers[k]);
    for (k = 0; k < c->nvips && k < VR_MAX_VIPS; k++) {
        w.vips[k].ifindex = vip_ifindex(i, &c->vips[k]);
        w.vips[k].family = c->vips[k].family;
        w.vips[k].addr = c->vips[k].addr;
        memcpy(w.vips[k].addr6, c->vips[k].addr6, 16);
        w.vips[k].prefix = c->vips[k].prefix;
    }
    w.nvips = (uint8_t)k;
    guard_routes(i, &w);
send:
    if (vr_guard_send(i->d->guard_fd, &w) < 0)
        lk_log_rl(&rl_rx, LK_LOG_WARNING,
                  "(%s) the guard process is gone: a crash would leave the VIPs", c->name);
}

/* The lifetime a VIP is added with, renewed at each advertisement: when
 * every vrrpd process is gone (kill -9 of the whole cgroup, so the guard
 * cannot resign), the kernel removes the VIP by itself. It must go before
 * the peer takes over, Master_Down_Interval = 3 x advert_int + skew after
 * our last advertisement; the kernel removes it lifetime to lifetime +
 * 0.25 s after the last renewal. Whole seconds, at least 1: with
 * advert_int under 2/3 s the peer is faster than that (docs/vrrpd.md). */
static uint32_t vip_lifetime_s(const struct vr_inst *i)
{
    uint32_t mdi_s = 3u * i->cfg->adver_cs / 100u;

    return mdi_s > 2 ? mdi_s - 1 : 1;
}

/* renew: as Master, at each advertisement, only the VIPs we added (an
 * address that was there before us, the owner's own, is not ours to
 * give a lifetime) */
/* vip_ours records which addresses this instance added: only those are
 * removed or renewed later, so a VIP that an operator (or the address owner)
 * configured by hand is never taken away. */
static int vips_add(struct vr_inst *i, bool renew)
{
    char a[INET6_ADDRSTRLEN];
    unsigned k;
    int r, first = 0;

    if (i->cfg->vmac && !renew) {
        r = vr_link_set_up(i->vmc.ifindex, true);
        if (r < 0)
            lk_log(LK_LOG_ERR, "(%s) setting %s up: %s", i->cfg->name, i->cfg->vmac_name,
                   strerror(-r));
    }
    for (k = 0; k < i->cfg->nvips && k < VR_MAX_VIPS; k++) {
        const struct vr_vip *v = &i->cfg->vips[k];
        struct vr_addr_opts o = {.family = v->family,
                                 .addr = v->addr,
                                 .prefix = v->prefix,
                                 .scope = v->scope,
                                 .brd = v->brd,
                                 .label = v->label,
                                 .lifetime_s = vip_lifetime_s(i),
                                 .renew = renew};

        if (renew && !(i->vip_ours & (1u << k)))
            continue;
        memcpy(o.addr6, v->addr6, 16);
        r = vr_addr_add(vip_ifindex(i, v), &o);
        if (r == 0)
            i->vip_ours |= 1u << k;
        else if (r != -EEXIST) {
            lk_log_rl(&rl_rx, LK_LOG_ERR, "(%s) %s %s/%u: %s", i->cfg->name,
                      renew ? "renewing" : "adding", vr_vip_str(v, a), v->prefix, strerror(-r));
            first = first ? first : r;
        }
    }
    return first;
}

/* at_start: addresses left on the link by a previous run that crashed;
 * removed before the first election so this node does not answer ARP for them
 * while another node is master. */
static void vips_del(struct vr_inst *i, bool at_start)
{
    char a[INET6_ADDRSTRLEN];
    unsigned k;
    int r;

    i->vip_ours = 0;
    for (k = 0; k < i->cfg->nvips; k++) {
        const struct vr_vip *v = &i->cfg->vips[k];

        if (v->family == AF_INET6)
            r = vr_addr_del6(vip_ifindex(i, v), v->addr6, v->prefix);
        else
            r = vr_addr_del(vip_ifindex(i, v), v->addr, v->prefix);
        if (r == 0 && at_start)
            lk_log(LK_LOG_WARNING, "(%s) removed stale VIP %s/%u left by a previous instance",
                   i->cfg->name, vr_vip_str(v, a), v->prefix);
        else if (r < 0 && r != -EADDRNOTAVAIL && r != -ENOENT)
            lk_log(LK_LOG_ERR, "(%s) removing %s/%u: %s", i->cfg->name, vr_vip_str(v, a), v->prefix,
                   strerror(-r));
    }
    if (i->cfg->vmac && i->vmc.ifindex && (r = vr_link_set_up(i->vmc.ifindex, false)) < 0)
        lk_log(LK_LOG_ERR, "(%s) setting %s down: %s", i->cfg->name, i->cfg->vmac_name,
               strerror(-r));
}

static int dev_index(const struct vr_inst *i, const char *dev)
{
    unsigned idx;

    if (!dev[0])
        return i->ifc.ifindex;
    idx = if_nametoindex(dev);
    return idx ? (int)idx : -ENODEV;
}

/* virtual_routes: added after the VIPs (a route may use one as src),
 * removed before them. A route via a gateway names no device unless told. */
static void route_opts(const struct vr_inst *i, const struct vr_route *rt, struct vr_route_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->dst = rt->dst;
    o->prefix = rt->prefix;
    o->scope = rt->scope;
    o->type = rt->type;
    o->gw = rt->gw;
    o->src = rt->src;
    o->metric = rt->metric;
    o->table = rt->table;
    if (rt->type == RTN_UNICAST && (rt->has_dev || !rt->gw))
        o->ifindex = dev_index(i, rt->dev);
}

/* Failures are logged and the state change goes on: a route that cannot be
 * added does not make the VIPs unusable, and holding them is what clients
 * depend on. EEXIST/ESRCH are the expected "already done" cases. */
static void routes_change(struct vr_inst *i, bool add)
{
    struct vr_route_opts o;
    char a[INET_ADDRSTRLEN];
    unsigned k;
    int r;

    for (k = 0; k < i->cfg->nroutes; k++) {
        const struct vr_route *rt = &i->cfg->routes[k];

        route_opts(i, rt, &o);
        r = o.ifindex < 0 ? o.ifindex : add ? vr_route_add(&o) : vr_route_del(&o);
        if (r < 0 && r != (add ? -EEXIST : -ESRCH))
            lk_log(LK_LOG_ERR, "(%s) %s route %s/%u: %s", i->cfg->name, add ? "adding" : "removing",
                   ipstr(rt->dst, a), rt->prefix, strerror(-r));
    }
}

static void rules_change(struct vr_inst *i, bool add)
{
    struct vr_rule_opts o;
    unsigned k;
    int r;

    for (k = 0; k < i->cfg->nrules; k++) {
        const struct vr_rule *ru = &i->cfg->rules[k];

        vr_guard_rule_opts(ru, &o);
        r = add ? vr_rule_add(&o) : vr_rule_del(&o);
        if (r < 0 && r != (add ? -EEXIST : -ENOENT))
            lk_log(LK_LOG_ERR, "(%s) %s rule %u (table %u): %s", i->cfg->name,
                   add ? "adding" : "removing", k + 1, ru->table, strerror(-r));
    }
}

/* One announcement of VIP v on a link: a gratuitous ARP for IPv4, an
 * unsolicited neighbour advertisement for IPv6 (the garp_* settings pace
 * both, as in Keepalived). */
static void announce(struct vr_inst *i,
                     const struct vr_vip *v,
                     const char *ifname,
                     int ifindex,
                     const uint8_t mac[6])
{
    if (v->family != AF_INET6) {
        if (vr_garp_send(i->garp_fd, ifindex, mac, v->addr) == 0)
            i->st.garp_sent++;
        return;
    }
    /* read at each announcement: forwarding may be switched at run time */
    if (vr_na_send(i->garp_fd, ifindex, mac, v->addr6, vr_na_router_flag(ifname)) == 0)
        i->st.na_sent++;
}

/* A VIP announced on its own "dev" goes out there, with that link's MAC;
 * looked up at each burst (rare), so a renamed or re-created link is found. */
static void garp_one(struct vr_inst *i, unsigned k)
{
    const struct vr_vip *v = &i->cfg->vips[k];
    struct vr_link l;

    if (v->dev[0] && strcmp(v->dev, i->cfg->ifname) != 0) {
        if (vr_link_get(v->dev, &l) == 0)
            announce(i, v, v->dev, l.ifindex, l.mac);
        return;
    }
    if (i->cfg->vmac)
        announce(i, v, i->cfg->vmac_name, i->vmc.ifindex, i->vmc.mac);
    else
        announce(i, v, i->cfg->ifname, i->ifc.ifindex, i->ifc.mac);
}

/* vrrp_garp_interval: one GARP per interval, round the VIPs, until the
 * queue is empty. */
/* Spreads the announcements so a switch or a host with a small ARP rate limit
 * (Keepalived's reason for vrrp_garp_interval) does not drop them. */
static void on_garp_pace(uv_timer_t *t)
{
    struct vr_inst *i = lk_container_of(t, struct vr_inst, garp_pace);

    if (i->fsm.state != VR_STATE_MASTER || !i->cfg->nvips) {
        i->garp_queued = 0;
        uv_timer_stop(t);
        return;
    }
    garp_one(i, i->garp_next++ % i->cfg->nvips);
    if (--i->garp_queued == 0)
        uv_timer_stop(t);
}

static void garp_burst(struct vr_inst *i, unsigned repeat)
{
    /* an instance paces by its family (its excluded VIPs of the other
     * family go in the same burst, at the same pace) */
    uint32_t gap = is6(i) ? i->d->cfg->gna_interval_ms : i->d->cfg->garp_interval_ms;
    unsigned k, n;

    if (gap) {
        /* the first at once, the others paced */
        if (!i->garp_queued && repeat && i->cfg->nvips)
            garp_one(i, i->garp_next++ % i->cfg->nvips);
        i->garp_queued += repeat * i->cfg->nvips - (i->garp_queued ? 0 : 1);
        if (i->garp_queued && !uv_is_active((uv_handle_t *)&i->garp_pace))
            uv_timer_start(&i->garp_pace, on_garp_pace, gap, gap);
        return;
    }
    for (n = 0; n < repeat; n++)
        for (k = 0; k < i->cfg->nvips; k++)
            garp_one(i, k);
}

/* Linux ignores an ARP update to a neighbour entry changed less than
 * neigh locktime (1 s by default) ago, so right after a split brain the
 * clients may drop our announcement: the other master's came just before,
 * and their own state changes (STALE, DELAY) restart that window. A few
 * more bursts, spaced past it, make them follow. */
#define HEAL_SECOND_BURST_MS 1100
#define HEAL_BURSTS          3

/* garp_master_delay: a second burst after the delay; garp_master_refresh:
 * then one burst every refresh period for as long as we are master. */
static void on_garp_timer(uv_timer_t *t)
{
    struct vr_inst *i = lk_container_of(t, struct vr_inst, garp_timer);

    if (i->fsm.state != VR_STATE_MASTER)
        return;
    if (i->garp_heal_left) {
        /* neighbours that ignored the last burst (their entry changed too
         * recently) take one of these */
        i->garp_heal_left--;
        garp_burst(i, i->cfg->garp_lower_prio_repeat);
        if (i->garp_heal_left)
            uv_timer_start(t, on_garp_timer, HEAL_SECOND_BURST_MS, 0);
        else if (i->cfg->garp_refresh_ms)
            uv_timer_start(t, on_garp_timer, i->cfg->garp_refresh_ms, i->cfg->garp_refresh_ms);
        return;
    }
    if (i->garp_refresh_left) {
        i->garp_refresh_left = 0;
        garp_burst(i, i->cfg->garp_repeat);
        if (i->cfg->garp_refresh_ms)
            uv_timer_start(t, on_garp_timer, i->cfg->garp_refresh_ms, i->cfg->garp_refresh_ms);
        return;
    }
    garp_burst(i, i->cfg->garp_refresh_repeat);
}

/* `heal`: announcing again while already master (split brain healed). */
static void garp_announce(struct vr_inst *i, int heal)
{
    const struct vr_inst_cfg *c = i->cfg;
    uint64_t delay = c->garp_delay_ms;

    if (heal) {
        /* garp_lower_prio_repeat bursts; then Keepalived's one more after
         * garp_lower_prio_delay when configured, else a few more, each past
         * the locktime of the one before */
        garp_burst(i, c->garp_lower_prio_repeat);
        if (!c->garp_lower_prio_repeat || (c->lower_prio_delay_set && !c->garp_lower_prio_delay_ms))
            return;
        i->garp_heal_left = c->lower_prio_delay_set ? 1 : HEAL_BURSTS;
        i->garp_refresh_left = 0;
        uv_timer_start(&i->garp_timer, on_garp_timer,
                       c->lower_prio_delay_set ? c->garp_lower_prio_delay_ms : HEAL_SECOND_BURST_MS,
                       0);
        return;
    }
    garp_burst(i, c->garp_repeat);
    if (i->garp_heal_left)
        return; /* the heal bursts already scheduled go on */
    i->garp_refresh_left = delay ? 1 : 0;
    if (delay)
        uv_timer_start(&i->garp_timer, on_garp_timer, delay, 0);
    else if (i->cfg->garp_refresh_ms)
        uv_timer_start(&i->garp_timer, on_garp_timer, i->cfg->garp_refresh_ms,
                       i->cfg->garp_refresh_ms);
}

/* ---- state changes --------------------------------------------------- */

/* Keepalived's notify interface (notify.h): the state's script, "notify"
 * with INSTANCE NAME STATE PRIORITY, the FIFO line. */
static void notify(struct vr_inst *i, const char *state)
{
    vr_notify_state(i->d, "INSTANCE", i->cfg->name, state, i->prio_now, &i->cfg->notify);
}

/* systemd's STATUS= line: every instance and its state, for systemctl. */
/* systemd keeps only the last STATUS; one line summarising every instance
 * lets "systemctl status vrrpd" show the whole picture. Instances that do not
 * fit in 512 bytes are left out. */
static void status_update(struct vr_daemon *d)
{
    char buf[512];
    struct lk_list *it;
    size_t n = (size_t)snprintf(buf, sizeof(buf), "STATUS=");

    LK_LIST_FOREACH (it, &d->insts) {
        const struct vr_inst *o = LK_LIST_ELEM(it, struct vr_inst, link);

        if (n < sizeof(buf))
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s %s (priority %u); ", o->cfg->name,
                                  vr_state_name(o->fsm.state), o->prio_now);
    }
    lk_sd_notify(buf);
}

/* The "(VI_1) Entering MASTER STATE" wording is Keepalived's, which log
 * monitoring matches. Order: the guard learns first (so a crash right after
 * becoming master is covered), then the scripts and FIFO, the systemd status,
 * subscribers, and the sync group last, since it may make other instances
 * follow this one. */
static void state_changed(struct vr_inst *i, enum vr_state from)
{
    const char *to = i->fsm.state == VR_STATE_INIT ? "STOP" : vr_state_name(i->fsm.state);
    char a[INET6_ADDRSTRLEN];
    json_t *ev;

    lk_log(LK_LOG_NOTICE, "(%s) Entering %s STATE (%s; priority %u)", i->cfg->name, to,
           i->fsm.reason, i->prio_now);
    if (i->fsm.state == VR_STATE_MASTER)
        i->st.became_master++;
    i->state_since_ms = lk_mono_ms();
    guard_update(i);
    notify(i, to);
    status_update(i->d);
    ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:I}", "event", "state", "instance",
                   i->cfg->name, "from", vr_state_name(from), "to", to, "reason", i->fsm.reason,
                   "priority", i->prio_now, "vrid", i->cfg->vrid, "master",
                   vr_inst_ipstr(i, &i->fsm.master_ip, a), "ts_us", (json_int_t)lk_wall_us());
    vr_admin_event(i->d, ev);
    vr_sync_member_changed(i, from);
}

static void rearm(struct vr_inst *i);

/* act is a bit set from the FSM; the order of its actions is fixed here
 * because it matters on the wire: priority 0 first (the new master can start
 * at once), the VIPs before the first advertisement as master and before the
 * gratuitous ARPs that announce them, the state change last. */
static void apply(struct vr_inst *i, unsigned act, enum vr_state from)
{
    if (act & VR_ACT_ADVERT0)
        send_advert(i, 0); /* first: the backup starts its skew timer */
    if (act & VR_ACT_VIP_DEL) {
        uv_timer_stop(&i->garp_timer);
        i->garp_heal_left = 0;
        rules_change(i, false);
        routes_change(i, false);
        vips_del(i, false);
    }
    if ((act & VR_ACT_VIP_ADD) && vips_add(i, false) < 0) {
        /* a master that cannot hold its VIP must not claim it: resign
         * (priority 0, the VIPs it did add removed) and stay in FAULT,
         * never shown as MASTER; the link coming up or a reload retries */
        lk_log(LK_LOG_ERR, "(%s) entering FAULT: a VIP could not be added", i->cfg->name);
        i->vip_fault = true;
        apply(i, vr_fsm_fault_why(&i->fsm, lk_mono_ms(), "VIP add failed") | (act & VR_ACT_STATE),
              from);
        return;
    }
    if (act & VR_ACT_VIP_ADD) {
        routes_change(i, true);
        rules_change(i, true);
    }
    if (act & VR_ACT_ADVERT)
        send_advert(i, i->prio_now);
    if ((act & VR_ACT_ADVERT) && !(act & VR_ACT_VIP_ADD) && i->fsm.state == VR_STATE_MASTER)
        vips_add(i, true);
    if (act & VR_ACT_GARP)
        garp_announce(i, (act & VR_ACT_HEAL) != 0);
    if (act & VR_ACT_STATE)
        state_changed(i, from);
    if (!i->stopping)
        rearm(i);
}

static void on_timer(uv_timer_t *t)
{
    struct vr_inst *i = lk_container_of(t, struct vr_inst, timer);
    enum vr_state from = i->fsm.state;

    apply(i, vr_fsm_timer(&i->fsm, lk_mono_ms()), from);
}

/* One timer per instance for every FSM deadline (advertisement, master down,
 * preempt delay): the FSM says which is next. */
static void rearm(struct vr_inst *i)
{
    uint64_t at = vr_fsm_next_deadline(&i->fsm), now = lk_mono_ms();

    if (at == UINT64_MAX) {
        uv_timer_stop(&i->timer);
        return;
    }
    /* libuv's clock is cached per iteration: refresh it, then give it the
     * delta from ours */
    uv_update_time(&i->d->loop);
    uv_timer_start(&i->timer, on_timer, at > now ? at - now : 0, 0);
}

/* ---- input ----------------------------------------------------------- */

/* Counted per reason for "show vrrp stats"; logged rate-limited, as the peer
 * decides how many arrive. */
static void drop(struct vr_inst *i, int err, const struct vr_ip *src)
{
    char a[INET6_ADDRSTRLEN];

    i->st.drops[-err < VRRP_PKT_E_MAX ? -err : VRRP_PKT_E_INVAL]++;
    vr_inst_ipstr(i, src, a);
    lk_log_rl(&rl_rx, LK_LOG_INFO, "(%s) dropped advertisement from %s: %s", i->cfg->name,
              a[0] ? a : "?", vrrp_pkt_strerror(err));
}

/* check_unicast_src: only the configured peers may speak */
static bool from_peer(const struct vr_inst_cfg *c, uint32_t src)
{
    unsigned k;

    for (k = 0; k < c->npeers; k++)
        if (c->peers[k] == src)
            return true;
    return c->npeers == 0;
}

static bool from_peer6(const struct vr_inst_cfg *c, const uint8_t src[16])
{
    unsigned k;

    for (k = 0; k < c->npeers6; k++)
        if (!memcmp(c->peers6[k], src, 16))
            return true;
    return c->npeers6 == 0;
}

/* A decoded advertisement (r: the decoder's result; ip4 or ip6 the header
 * fields of its family) through the instance checks, then the FSM. */
static void handle_advert(struct vr_inst *i,
                          int r,
                          const struct vrrp_pkt *p,
                          const struct vrrp_pkt_ip *ip4,
                          const struct vrrp_pkt_ip6 *ip6,
                          struct vr_ip src)
{
    struct vrrp_pkt_expect e = {
        .version = i->cfg->version, .vrid = i->cfg->vrid, .auth_type = i->cfg->auth_type};
    enum vr_state from = i->fsm.state;
    char a[INET6_ADDRSTRLEN];
    unsigned act;
    uint16_t cs;

    memcpy(e.auth, i->cfg->auth, sizeof(e.auth));
    /* RFC 5798 7.1: a count of addresses other than ours is dropped,
     * unless the address owner sent it */
    e.naddr = r >= 0 && p->priority != VR_PRIO_OWNER ? advertised_vips(i->cfg) : 0;
    if (r >= 0 && !memcmp(&src, &i->self, sizeof(src))) {
        i->st.own_dropped++;
        return;
    }
    if (r >= 0 && i->cfg->check_unicast_src &&
        !(ip4 ? from_peer(i->cfg, ip4->src) : from_peer6(i->cfg, ip6->src))) {
        i->st.not_peer++;
        lk_log_rl(&rl_rx, LK_LOG_INFO, "(%s) dropped advertisement from %s: not a unicast_peer",
                  i->cfg->name, vr_inst_ipstr(i, &src, a));
        return;
    }
    if (r >= 0 && p->vrid != i->cfg->vrid) {
        /* another group on this link: counted, not logged */
        i->st.drops[VRRP_PKT_E_VRID]++;
        return;
    }
    if (r >= 0 && ip6 && i->cfg->npeers6) {
        /* unicast: Keepalived 2.2.7 sends its IPv6 unicast adverts with
         * the default hop limit (64) and checks the hop limit of multicast
         * ones only (a unicast peer may be routed); do as it does */
        struct vrrp_pkt_ip6 h = *ip6;

        h.hop_limit = VRRP_PKT_TTL;
        r = vrrp_pkt_check6(&h, p, &e);
    } else if (r >= 0) {
        r = ip4 ? vrrp_pkt_check(ip4, p, &e) : vrrp_pkt_check6(ip6, p, &e);
    }
    if (r < 0) {
        drop(i, r, &src);
        return;
    }
    i->st.adv_rcvd++;
    lk_log(LK_LOG_DEBUG, "(%s) advert from %s priority %u interval %u", i->cfg->name,
           vr_inst_ipstr(i, &src, a), p->priority, p->adver_int);
    if (p->priority == 0)
        i->st.prio0_rcvd++;
    cs = (uint16_t)(p->version == 2 ? LK_MIN(p->adver_int * 100u, 25500u) : p->adver_int);
    act = vr_fsm_advert(&i->fsm, lk_mono_ms(), p->priority, cs, src);
    /* higher_prio_send_advert: one advertisement with our own (lower)
     * priority before yielding, so that a Keepalived winner with
     * garp_lower_prio_repeat re-announces the VIPs (our priority 0 follows) */
    if (from == VR_STATE_MASTER && i->fsm.state == VR_STATE_BACKUP && p->priority &&
        i->cfg->higher_prio_send_advert)
        send_advert(i, i->prio_now);
    apply(i, act, from);
}

static void receive_one(struct vr_inst *i, const uint8_t *buf, size_t len)
{
    struct vrrp_pkt_ip ip = {0};
    struct vrrp_pkt p;
    int r;

    r = vrrp_pkt_decode_ip(buf, len, &ip, &p);
    handle_advert(i, r, &p, &ip, NULL, vr_ip4(ip.src));
}

/* IPv6: the kernel keeps the header; source, destination and hop limit
 * come with the packet (vr_sock_recv6). */
static void receive_one6(struct vr_inst *i,
                         const uint8_t *buf,
                         size_t len,
                         const struct vrrp_pkt_ip6 *ip)
{
    struct vrrp_pkt p;
    struct vr_ip src;
    int r;

    memcpy(src.b, ip->src, 16);
    r = vrrp_pkt_decode6(buf, len, ip->src, ip->dst, &p);
    handle_advert(i, r, &p, NULL, ip, src);
}

/* IPv4 raw sockets deliver the IP header with the packet, whose fields the
 * checks use (TTL 255, RFC 5798 5.1.1.3); IPv6 gets those fields as ancillary
 * data instead. */
static void on_readable(uv_poll_t *h, int status, int events)
{
    struct vr_inst *i = lk_container_of(h, struct vr_inst, poll);
    struct vrrp_pkt_ip6 ip6;
    uint8_t buf[2048];
    ssize_t n;
    int k;

    for (k = 0; k < RX_BURST; k++) {
        if (is6(i)) {
            n = vr_sock_recv6(i->fd, buf, sizeof(buf), ip6.src, ip6.dst, &ip6.hop_limit);
            if (n <= 0)
                break;
            receive_one6(i, buf, (size_t)n, &ip6);
            continue;
        }
        n = recv(i->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n <= 0)
            break;
        receive_one(i, buf, (size_t)n);
    }
}

/* ---- lifecycle ------------------------------------------------------- */

/* Four handles (timer, two garp timers, poll) each hold a reference; the
 * struct is freed when the last close callback runs, never before, so a
 * callback already queued cannot touch freed memory. */
void vr_inst_unref(struct vr_inst *i)
{
    if (--i->refs > 0)
        return;
    if (i->fd >= 0)
        close(i->fd);
    if (i->garp_fd >= 0)
        close(i->garp_fd);
    if (i->tx_fd >= 0)
        close(i->tx_fd);
    free(i);
}

static void handle_closed(uv_handle_t *h)
{
    vr_inst_unref(h->data);
}

/* IPv6: the source is a link-local address (RFC 5798 5.1.2.1), the
 * interface's unless mcast_src_ip names one. */
static int open_sockets6(struct vr_inst *i)
{
    static const uint8_t zero[16];
    const struct vr_inst_cfg *c = i->cfg;
    char a[INET6_ADDRSTRLEN];

    memcpy(i->src6, memcmp(c->ucast_src6, zero, 16) ? c->ucast_src6 : i->ifc.ll6, 16);
    if (!memcmp(i->src6, zero, 16))
        return lk_log_errno(-EADDRNOTAVAIL, LK_LOG_ERR,
                            "(%s) %s has no IPv6 link-local address (IPv6 disabled on it?)",
                            c->name, c->ifname);
    memcpy(i->self.b, i->src6, 16);
    i->fd = vr_sock_open6(c->ifname, i->ifc.ifindex, c->npeers6 > 0);
    if (i->fd < 0)
        return lk_log_errno(i->fd, LK_LOG_ERR, "(%s) VRRP IPv6 socket on %s: %m", c->name,
                            c->ifname);
    i->garp_fd = vr_garp_open(i->ifc.ifindex);
    if (i->garp_fd < 0)
        return lk_log_errno(i->garp_fd, LK_LOG_ERR, "(%s) packet socket on %s: %m", c->name,
                            c->ifname);
    lk_log(LK_LOG_INFO, "(%s) %s ifindex %d, source %s, VRID %u, VRRP v3 over IPv6, %s", c->name,
           c->ifname, i->ifc.ifindex, inet_ntop(AF_INET6, i->src6, a, sizeof(a)), c->vrid,
           c->npeers6 ? "unicast" : "multicast ff02::12");
    return 0;
}

/* use_vmac: the macvlan with 00:00:5e:00:01:VRID (RFC 5798 7.3) on the
 * instance's interface. Adverts leave from it (their source MAC is the
 * virtual one, which keeps switches pointing at the master) unless
 * vmac_xmit_base; they are received on the parent as before, where the
 * routes to the peers are (a strict rp_filter on the vmac would drop them
 * there). It is up only while MASTER (vips_add/vips_del), as in
 * Keepalived: a backup sends nothing with the virtual MAC. */
static int open_vmac(struct vr_inst *i)
{
    const struct vr_inst_cfg *c = i->cfg;
    const uint8_t mac[6] = {0x00, 0x00, 0x5e, 0x00, 0x01, c->vrid};
    int r;

    r = vr_vmac_make(c->vmac_name, c->ifname, i->ifc.ifindex, mac);
    if (r < 0)
        return lk_log_errno(r, LK_LOG_ERR, "(%s) use_vmac %s on %s: %m", c->name, c->vmac_name,
                            c->ifname);
    r = vr_link_get(c->vmac_name, &i->vmc);
    if (r < 0)
        return lk_log_errno(r, LK_LOG_ERR, "(%s) use_vmac %s: %m", c->name, c->vmac_name);
    if (!c->vmac_xmit_base) {
        i->tx_fd = vr_sock_open_tx(c->vmac_name, i->vmc.ifindex);
        if (i->tx_fd < 0)
            return lk_log_errno(i->tx_fd, LK_LOG_ERR, "(%s) VRRP socket on %s: %m", c->name,
                                c->vmac_name);
    }
    lk_log(LK_LOG_INFO, "(%s) use_vmac %s (ifindex %d) on %s, adverts from %s", c->name,
           c->vmac_name, i->vmc.ifindex, c->ifname, c->vmac_xmit_base ? c->ifname : c->vmac_name);
    return 0;
}

/* Whether another instance of the running configuration names the same
 * vmac (a reload that changed this instance re-creates it with that name):
 * only then is the link left in place when this one stops. */
static bool vmac_kept(const struct vr_inst *i)
{
    struct lk_list *it;

    LK_LIST_FOREACH (it, &i->d->cfg->instances) {
        const struct vr_inst_cfg *o = LK_LIST_ELEM(it, struct vr_inst_cfg, link);

        if (o != i->cfg && o->vmac && !strcmp(o->vmac_name, i->cfg->vmac_name))
            return true;
    }
    return false;
}

static int open_sockets(struct vr_inst *i)
{
    const struct vr_inst_cfg *c = i->cfg;
    char a[INET_ADDRSTRLEN];
    int r;

    r = vr_link_get(c->ifname, &i->ifc);
    if (r < 0)
        return lk_log_errno(r, LK_LOG_ERR, "(%s) interface %s: %m", c->name, c->ifname);
    if (is6(i))
        return open_sockets6(i);
    i->src = c->ucast_src ? c->ucast_src : i->ifc.addr;
    i->self = vr_ip4(i->src);
    if (!i->src)
        return lk_log_errno(-EADDRNOTAVAIL, LK_LOG_ERR, "(%s) %s has no IPv4 address", c->name,
                            c->ifname);
    i->fd = vr_sock_open(c->ifname, i->ifc.ifindex, c->npeers > 0);
    if (i->fd < 0)
        return lk_log_errno(i->fd, LK_LOG_ERR, "(%s) VRRP socket on %s: %m", c->name, c->ifname);
    r = c->vmac ? open_vmac(i) : 0;
    if (r < 0)
        return r;
    i->garp_fd = vr_garp_open(c->vmac ? i->vmc.ifindex : i->ifc.ifindex);
    if (i->garp_fd < 0)
        return lk_log_errno(i->garp_fd, LK_LOG_ERR, "(%s) ARP socket on %s: %m", c->name,
                            c->ifname);
    lk_log(LK_LOG_INFO, "(%s) %s ifindex %d, source %s, VRID %u, VRRP v%u, %s", c->name, c->ifname,
           i->ifc.ifindex, ipstr(i->src, a), c->vrid, c->version,
           c->npeers ? "unicast" : "multicast 224.0.0.18");
    return 0;
}

/* The sockets are opened here, before start, so a missing interface or
 * address fails the daemon at startup rather than on the first state change.
 * On failure the instance has no handle yet and is freed at once. */
int vr_inst_new(struct vr_inst **ret, struct vr_daemon *d, struct vr_inst_cfg *cfg)
{
    struct vr_inst *i = calloc(1, sizeof(*i));
    struct vr_fsm_params p;
    int r;

    if (!i)
        return -ENOMEM;
    i->d = d;
    i->cfg = cfg;
    i->fd = i->garp_fd = i->tx_fd = -1;
    lk_list_init(&i->tracks);
    lk_list_init(&i->link);
    i->prio_now = cfg->priority;
    r = open_sockets(i);
    if (r < 0) {
        i->refs = 1;
        vr_inst_unref(i);
        return r;
    }
    /* INIT until started (vrrp_startup_delay): "show vrrp" reads it */
    fsm_params(i, &p);
    vr_fsm_init(&i->fsm, &p);
    uv_timer_init(&d->loop, &i->timer);
    uv_timer_init(&d->loop, &i->garp_timer);
    uv_poll_init(&d->loop, &i->poll, i->fd);
    uv_timer_init(&d->loop, &i->garp_pace);
    i->timer.data = i->garp_timer.data = i->garp_pace.data = i->poll.data = i;
    i->refs = 4;
    *ret = i;
    return 0;
}

/* FAULT is the union of every reason: a tracked item in fault, the link down,
 * a VIP that could not be added, or a sync group member in fault. */
static void recompute(struct vr_inst *i, uint8_t *prio, bool *fault)
{
    bool tf;

    vr_track_effect(i, prio, &tf);
    i->track_fault = tf;
    *fault = tf || i->link_fault || i->vip_fault || vr_sync_fault(i);
}

void vr_inst_start(struct vr_inst *i)
{
    struct vr_fsm_params p;
    bool fault;

    /* a VIP left by a crashed vrrpd (or Keepalived) must not answer ARP
     * while another node may be master; the owner adds it right back */
    if (i->cfg->priority != VR_PRIO_OWNER)
        vips_del(i, true);
    if (vr_track_start_all(i) < 0)
        lk_log(LK_LOG_WARNING, "(%s) some tracked items could not start", i->cfg->name);
    i->link_fault = !i->ifc.up;
    recompute(i, &i->prio_now, &fault);
    fsm_params(i, &p);
    vr_fsm_init(&i->fsm, &p);
    vr_fsm_set_fault(&i->fsm, 0, fault);
    uv_poll_start(&i->poll, UV_READABLE, on_readable);
    i->started = true;
    apply(i, vr_fsm_start(&i->fsm, lk_mono_ms()), VR_STATE_INIT);
}

/* Stopping goes through the FSM, so a master resigns properly (priority 0
 * advertisement, VIPs removed, notify_stop), exactly as on a state change. */
void vr_inst_stop(struct vr_inst *i)
{
    enum vr_state from = i->fsm.state;

    if (i->stopping)
        return;
    i->stopping = true;
    lk_list_del(&i->link);
    if (i->started)
        apply(i, vr_fsm_stop(&i->fsm, lk_mono_ms()), from);
    /* its VIPs are gone: the link goes too, as Keepalived removes it */
    if (i->cfg->vmac && i->vmc.ifindex && !vmac_kept(i) && vr_vmac_del(i->cfg->vmac_name) < 0)
        lk_log(LK_LOG_WARNING, "(%s) could not remove %s", i->cfg->name, i->cfg->vmac_name);
    vr_track_stop_all(i);
    uv_close((uv_handle_t *)&i->timer, handle_closed);
    uv_close((uv_handle_t *)&i->garp_timer, handle_closed);
    uv_close((uv_handle_t *)&i->garp_pace, handle_closed);
    uv_close((uv_handle_t *)&i->poll, handle_closed);
}

/* notify_priority_changes: Keepalived's FIFO lines MASTER_PRIORITY and
 * BACKUP_PRIORITY, for the state the instance was in when its priority
 * moved (the scripts are not run for these). */
static void prio_notify(struct vr_inst *i, enum vr_state st)
{
    if (!i->cfg->notify_prio_changes || (st != VR_STATE_MASTER && st != VR_STATE_BACKUP))
        return;
    vr_notify_fifo(i->d, "INSTANCE", i->cfg->name,
                   st == VR_STATE_MASTER ? "MASTER_PRIORITY" : "BACKUP_PRIORITY", i->prio_now);
}

/* Every priority or fault input ends here: track changes, link changes, sync
 * group changes. Priority first, then fault, so the FSM sees both before
 * deciding, and one change produces one transition. */
static void apply_effect(struct vr_inst *i, const char *why)
{
    enum vr_state from = i->fsm.state;
    uint64_t now = lk_mono_ms();
    uint8_t prio, old = i->prio_now;
    unsigned act = 0;
    bool fault;

    if (!i->started || i->stopping)
        return;
    recompute(i, &prio, &fault);
    if (prio != old)
        lk_log(LK_LOG_NOTICE, "(%s) %s: priority %u -> %u", i->cfg->name, why, old, prio);
    i->prio_now = prio;
    act |= vr_fsm_set_priority(&i->fsm, now, prio);
    act |= vr_fsm_set_fault(&i->fsm, now, fault);
    /* the cause before its effect: subscribers see the priority change,
     * then the state change (a fast takeover) it led to */
    if (prio != old) {
        json_t *ev = json_pack("{s:s, s:s, s:i, s:i, s:s, s:I}", "event", "priority", "instance",
                               i->cfg->name, "from", old, "to", prio, "reason", why, "ts_us",
                               (json_int_t)lk_wall_us());

        vr_admin_event(i->d, ev);
        prio_notify(i, from);
    }
    apply(i, act, from);
}

void vr_inst_sync_refresh(struct vr_inst *i)
{
    apply_effect(i, "sync group fault changed");
}

void vr_inst_sync_goto(struct vr_inst *i, enum vr_state to, const char *why)
{
    enum vr_state from = i->fsm.state;

    if (!i->started || i->stopping)
        return;
    apply(i, vr_fsm_sync(&i->fsm, lk_mono_ms(), to, why), from);
}

json_t *vr_inst_snapshot_json(const struct vr_inst *i)
{
    const char *st = i->fsm.state == VR_STATE_INIT ? "INIT" : vr_state_name(i->fsm.state);
    char a[INET6_ADDRSTRLEN];

    return json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:I}", "event", "snapshot", "instance",
                     i->cfg->name, "state", st, "reason", i->fsm.reason, "priority", i->prio_now,
                     "vrid", i->cfg->vrid, "master", vr_inst_ipstr(i, &i->fsm.master_ip, a),
                     "ts_us", (json_int_t)lk_wall_us());
}

void vr_inst_track_changed(struct vr_inst *i, struct vr_track *t)
{
    char why[sizeof(t->name) + sizeof(t->why) + 8];

    snprintf(why, sizeof(why), "%s %s", t->name, t->why);
    apply_effect(i, why);
}

void vr_inst_link_changed(struct vr_inst *i, int ifindex, bool up)
{
    vr_track_link_changed(i, ifindex, up);
    if (ifindex != i->ifc.ifindex || i->link_fault == !up)
        return;
    i->link_fault = !up;
    if (up)
        i->vip_fault = false; /* try the VIPs again */
    apply_effect(i, up ? "interface up" : "interface down");
}

void vr_inst_reconfigure(struct vr_inst *i, struct vr_inst_cfg *cfg)
{
    /* same group (vr_inst_cfg_same): the FSM and sockets stay, the
     * trackers restart with the new settings */
    bool moved = i->cfg->nroutes != cfg->nroutes || i->cfg->nrules != cfg->nrules ||
                 memcmp(i->cfg->routes, cfg->routes, sizeof(cfg->routes[0]) * cfg->nroutes) ||
                 memcmp(i->cfg->rules, cfg->rules, sizeof(cfg->rules[0]) * cfg->nrules);

    vr_track_stop_all(i);
    /* a master's routes and rules follow the new file at once */
    if (moved && i->fsm.state == VR_STATE_MASTER) {
        rules_change(i, false);
        routes_change(i, false);
    }
    i->cfg = cfg;
    if (moved && i->fsm.state == VR_STATE_MASTER) {
        routes_change(i, true);
        rules_change(i, true);
    }
    i->fsm.p.preempt = cfg->preempt;
    i->fsm.p.fast_takeover = cfg->fast_takeover;
    i->fsm.p.lower_prio_no_advert = cfg->lower_prio_no_advert;
    i->fsm.p.preempt_delay_ms = cfg->preempt_delay_ms;
    if (vr_track_start_all(i) < 0)
        lk_log(LK_LOG_WARNING, "(%s) some tracked items could not start", cfg->name);
    i->vip_fault = false; /* try the VIPs again */
    apply_effect(i, "configuration reloaded");
}
