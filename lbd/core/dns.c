/* dns.c - run-time resolution on the control loop; see dns.h.
 *
 * Why c-ares rather than our own resolver: it already does what a correct
 * stub resolver must (query ids and source ports randomised, answers
 * matched to their question, truncation, EDNS0, several name servers with
 * per-server failover, retries and timeouts, CNAME chains, resolv.conf
 * parsing), it is event-driven (it hands us its sockets and we poll them
 * on the libuv loop) and Debian ships it. */
#include <ares.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/log.h"
#include "lbd/cfg/cfg.h"
#include "lbd/cfg/resolvers.h"
#include "lbd/core/daemon.h"
#include "lbd/core/dns.h"
#include "lbd/core/server.h"
#include "lbd/ctl/hc.h"

/* MAX_ANSWERS bounds both the parse buffers on the stack and how many
 * addresses one name can spread over server slots; a larger record set is
 * cut, not refused. ARES_TICK_MS is how often c-ares gets a chance to retry
 * or time out queries while any are outstanding. */
#define MAX_ANSWERS  64
#define ARES_TICK_MS 50

struct dns_chan;

/* One socket c-ares asked us to watch; freed in its close callback. */
struct dns_poll {
    uv_poll_t h;
    struct dns_poll *next;
    struct dns_chan *ch;
    ares_socket_t fd;
};

/* One resolvers section in use. */
struct dns_chan {
    struct lb_dns *dns;
    const struct lb_resolvers *r;
    ares_channel ch;
    int ch_ok;
    uv_timer_t tick;      /* every "timeout resolve": start the resolutions due */
    uv_timer_t ares_tick; /* c-ares' own timeouts, while queries are out */
    struct dns_poll *polls;
    unsigned inflight;
};

/* A server fed by one resolution. seen_ms drives "hold obsolete": an address
 * that vanished from the answers is kept that long, so a record set served
 * round-robin by a DNS server with fewer answers per reply than the set has
 * does not flap the server. */
struct dns_slot {
    struct lb_server *s;
    uint64_t seen_ms; /* when the answer last held its address */
};

/* One name asked of one section; its answers feed `slots`. */
struct dns_res {
    struct dns_chan *ch;
    char *fqdn;
    int v4;  /* resolve-prefer ipv4: A first, else AAAA first */
    int srv; /* an SRV record: its records give the slots their target and port */
    struct dns_slot *slots;
    unsigned nslots;
    uint64_t last_ms, valid_ms; /* last resolution; last valid answer */
    enum lb_dns_status status;  /* LB_DNS_STATUS_MAX before the first answer */
    struct lk_addr *cache;      /* the last valid answer, for a server that joins later */
    int ncache;
    int inflight;
    int fallback; /* asking for the other family */
};

struct lb_dns {
    struct lb_daemon *d;
    struct dns_chan *chans; /* one per section in use; handles embedded: never realloc'ed */
    unsigned nchans;
    struct dns_res **res;
    unsigned nres;
    int stopping;
};

/* HAProxy 2.6's reasons, word for word, as they appear in its logs and in
 * "show servers state": scripts grep for them. */
static const char *const status_why[LB_DNS_STATUS_MAX] = {
    [LB_DNS_VALID] = "No IP for server",      [LB_DNS_NX] = "DNS NX status",
    [LB_DNS_OTHER] = "unspecified DNS error", [LB_DNS_REFUSED] = "DNS refused status",
    [LB_DNS_TIMEOUT] = "DNS timeout status",  [LB_DNS_OBSOLETE] = "No IP for server",
};

/* ---- c-ares on the loop ---- */

static void poll_close_cb(uv_handle_t *h)
{
    free(h->data);
}

/* c-ares is told which sockets to watch through sock_state_cb and asked to
 * process them from here; it is never given a chance to block. */
static void poll_cb(uv_poll_t *h, int status, int events)
{
    struct dns_poll *p = h->data;
    ares_socket_t rd = ARES_SOCKET_BAD, wr = ARES_SOCKET_BAD;

    /* on a poll error c-ares reads the socket and sees the error itself */
    if (status < 0 || (events & UV_READABLE))
        rd = p->fd;
    if (status < 0 || (events & UV_WRITABLE))
        wr = p->fd;
    ares_process_fd(p->ch->ch, rd, wr);
}

/* c-ares opens and closes its own sockets; this keeps one poll handle per
 * socket, created on the first interest and closed (freed in its close
 * callback) when c-ares loses interest, which it does before it closes the
 * descriptor. */
static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
    struct dns_chan *c = data;
    struct dns_poll *p, **pp;

    for (pp = &c->polls; *pp && (*pp)->fd != fd; pp = &(*pp)->next)
        ;
    p = *pp;
    if (!readable && !writable) {
        if (p) {
            *pp = p->next;
            uv_close((uv_handle_t *)&p->h, poll_close_cb);
        }
        return;
    }
    if (!p) {
        p = calloc(1, sizeof(*p));
        if (!p || uv_poll_init_socket(&c->dns->d->loop, &p->h, fd) < 0) {
            free(p);
            lk_log(LK_LOG_ERR, "resolvers %s: cannot watch a DNS socket", c->r->sec.name);
            return;
        }
        p->h.data = p;
        p->ch = c;
        p->fd = fd;
        p->next = c->polls;
        c->polls = p;
    }
    uv_poll_start(&p->h, (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0), poll_cb);
}

static void ares_tick_cb(uv_timer_t *t)
{
    struct dns_chan *c = t->data;

    ares_process_fd(c->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

/* The section's name servers: its own, after resolv.conf's with
 * parse-resolv-conf (which c-ares has read already). */
/* c-ares has no "append": the list passed to ares_set_servers_ports replaces
 * its own, so resolv.conf's servers (read at init) are fetched, the section's
 * are chained after them for the call, and the link is cut again before each
 * list is freed by its owner. */
static int set_servers(struct dns_chan *c)
{
    struct ares_addr_port_node *conf = NULL, *nodes, **tail = &conf;
    const struct lb_resolvers *r = c->r;
    unsigned i;
    int rc;

    if (!r->nns)
        return 0;
    if (r->parse_resolv_conf && ares_get_servers_ports(c->ch, &conf) != ARES_SUCCESS)
        conf = NULL;
    nodes = calloc(r->nns, sizeof(*nodes));
    if (!nodes) {
        ares_free_data(conf);
        return -ENOMEM;
    }
    for (i = 0; i < r->nns; i++) {
        const struct lk_addr *a = &r->ns[i].addr;

        nodes[i].family = a->u.sa.sa_family;
        if (a->u.sa.sa_family == AF_INET6)
            memcpy(&nodes[i].addr.addr6, &a->u.in6.sin6_addr, sizeof(a->u.in6.sin6_addr));
        else
            nodes[i].addr.addr4 = a->u.in4.sin_addr;
        nodes[i].udp_port = nodes[i].tcp_port = (int)lk_addr_port(a);
        nodes[i].next = i + 1 < r->nns ? &nodes[i + 1] : NULL;
    }
    while (r->parse_resolv_conf && *tail)
        tail = &(*tail)->next;
    *tail = nodes;
    rc = ares_set_servers_ports(c->ch, r->parse_resolv_conf ? conf : nodes);
    *tail = NULL;
    ares_free_data(conf);
    free(nodes);
    return rc == ARES_SUCCESS ? 0 : -EINVAL;
}

/* tries and timeout are HAProxy's "resolve_retries" and "timeout retry";
 * "accepted_payload_size" above the classic 512 bytes turns on EDNS0 so large
 * record sets are not truncated to TCP retries. */
static int chan_init(struct lb_dns *dns, struct dns_chan *c, const struct lb_resolvers *r)
{
    struct ares_options o;
    int mask = ARES_OPT_FLAGS | ARES_OPT_TRIES | ARES_OPT_TIMEOUTMS | ARES_OPT_SOCK_STATE_CB, rc;

    c->dns = dns;
    c->r = r;
    memset(&o, 0, sizeof(o));
    /* the name is used as written (no search list); an error answer is
     * an answer (NOCHECKRESP), so "hold refused" etc. can apply */
    o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_NOCHECKRESP;
    if (r->payload > 512) {
        o.flags |= ARES_FLAG_EDNS;
        o.ednspsz = (int)r->payload;
        mask |= ARES_OPT_EDNSPSZ;
    }
    o.tries = (int)r->retries;
    o.timeout = (int)r->timeout_retry_ms;
    o.sock_state_cb = sock_state_cb;
    o.sock_state_cb_data = c;
    rc = ares_init_options(&c->ch, &o, mask);
    if (rc != ARES_SUCCESS) {
        lk_log(LK_LOG_ERR, "resolvers %s: %s", r->sec.name, ares_strerror(rc));
        return -EIO;
    }
    if (set_servers(c) < 0) {
        lk_log(LK_LOG_ERR, "resolvers %s: cannot set the name servers", r->sec.name);
        ares_destroy(c->ch);
        return -EINVAL;
    }
    c->ch_ok = 1;
    uv_timer_init(&dns->d->loop, &c->tick);
    uv_timer_init(&dns->d->loop, &c->ares_tick);
    c->tick.data = c->ares_tick.data = c;
    return 0;
}

/* ---- answers ---- */

/* The TTLs are ignored: HAProxy also re-resolves on its own "hold valid"
 * period rather than following record TTLs. */
static int parse_answer(const unsigned char *abuf, int alen, int type, struct lk_addr *out)
{
    struct ares_addrttl a4[MAX_ANSWERS];
    struct ares_addr6ttl a6[MAX_ANSWERS];
    int n = MAX_ANSWERS, i;

    memset(out, 0, MAX_ANSWERS * sizeof(*out));
    if (type == ns_t_a) {
        if (ares_parse_a_reply(abuf, alen, NULL, a4, &n) != ARES_SUCCESS)
            return 0;
        for (i = 0; i < n; i++) {
            out[i].u.in4.sin_family = AF_INET;
            out[i].u.in4.sin_addr = a4[i].ipaddr;
            out[i].len = sizeof(struct sockaddr_in);
        }
        return n;
    }
    if (ares_parse_aaaa_reply(abuf, alen, NULL, a6, &n) != ARES_SUCCESS)
        return 0;
    for (i = 0; i < n; i++) {
        out[i].u.in6.sin6_family = AF_INET6;
        memcpy(&out[i].u.in6.sin6_addr, &a6[i].ip6addr, sizeof(a6[i].ip6addr));
        out[i].len = sizeof(struct sockaddr_in6);
    }
    return n;
}

/* Ports are not compared: a server keeps its configured port whatever address
 * the name resolves to. */
static int same_ip(const struct lk_addr *a, const struct lk_addr *b)
{
    if (a->u.sa.sa_family != b->u.sa.sa_family)
        return 0;
    if (a->u.sa.sa_family == AF_INET)
        return a->u.in4.sin_addr.s_addr == b->u.in4.sin_addr.s_addr;
    return a->u.sa.sa_family == AF_INET6 &&
           memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, sizeof(a->u.in6.sin6_addr)) == 0;
}

static int has_addr(const struct lb_server *s)
{
    return atomic_load(&s->cur_addr)->u.sa.sa_family != AF_UNSPEC;
}

/* The WARNING wording is HAProxy's, as operators grep logs for it; checkd is
 * told so that health checks follow the server to its new address. */
static void change_addr(struct lb_dns *dns,
                        struct dns_res *rs,
                        struct lb_server *s,
                        const struct lk_addr *a)
{
    char from[LK_ADDR_STRLEN] = "(none)", to[LK_ADDR_STRLEN] = "(none)";

    if (has_addr(s))
        lk_addr_ip_str(atomic_load(&s->cur_addr), from, sizeof(from));
    if (a->u.sa.sa_family != AF_UNSPEC)
        lk_addr_ip_str(a, to, sizeof(to));
    if (lb_server_set_addr(s, a) < 0) {
        lk_log(LK_LOG_ERR, "%s/%s: out of memory changing its address", s->be->name, s->name);
        return;
    }
    lk_log(LK_LOG_WARNING, "%s/%s changed its IP from %s to %s by resolvers %s.", s->be->name,
           s->name, from, to, rs->ch->r->sec.name);
    lb_hc_server_update(dns->d, s);
}

/* The server's address left the answers (or they failed long enough). */
/* The server goes to MAINT rather than DOWN, as HAProxy's "No IP for server":
 * it is not failing, it has nowhere to be sent. dns_maint marks that DNS (not
 * an operator) put it there, so a later answer may bring it back. */
static void lose_addr(struct lb_dns *dns, struct dns_res *rs, struct lb_server *s, const char *why)
{
    struct lk_addr none;

    lb_server_addr_none(s, &none);
    change_addr(dns, rs, s, &none);
    s->dns_maint = 1;
    lb_server_transition(s, LB_SRV_MAINT, LB_CAUSE_DNS, why);
}

static void got_addr(struct lb_dns *dns,
                     struct dns_res *rs,
                     struct lb_server *s,
                     const struct lk_addr *a)
{
    const struct lk_addr *cur = atomic_load(&s->cur_addr);
    struct lk_addr na = *a;

    /* the port too: an SRV record may move a slot to another port */
    if (!has_addr(s) || !same_ip(cur, a) || lk_addr_port(cur) != s->dns_port) {
        if (na.u.sa.sa_family == AF_INET6)
            na.u.in6.sin6_port = htons((uint16_t)s->dns_port);
        else
            na.u.in4.sin_port = htons((uint16_t)s->dns_port);
        change_addr(dns, rs, s, &na);
    }
    if (s->dns_maint) {
        s->dns_maint = 0;
        lb_server_transition(s, LB_SRV_UP, LB_CAUSE_DNS, "resolves again");
    }
}

/* Is answer `idx` given to another slot of the same backend and port? */
/* One address per server by default (prevent-dup-ip): two slots on the same
 * backend and port pointing at one IP would double its share of the traffic. */
static int taken(const struct dns_res *rs, const int *pick, unsigned k, int idx)
{
    unsigned j;

    for (j = 0; j < rs->nslots; j++)
        if (j != k && pick[j] == idx && rs->slots[j].s->be == rs->slots[k].s->be &&
            rs->slots[j].s->dns_port == rs->slots[k].s->dns_port)
            return 1;
    return 0;
}

static int find_ip(const struct lk_addr *addrs, int n, const struct lk_addr *a)
{
    int i;

    for (i = 0; i < n; i++)
        if (same_ip(&addrs[i], a))
            return i;
    return -1;
}

/* A server keeps its address while the set has it (and no earlier slot
 * of its backend holds it); the others take the first free one. */
/* Keeping the current address first matters: reassigning addresses at each
 * answer of a round-robin DNS would move every server on every resolution and
 * reset their health checks. */
static void spread(struct dns_res *rs, const struct lk_addr *addrs, int n, int *pick)
{
    struct lb_server *s;
    unsigned k;
    int i;

    for (k = 0; k < rs->nslots; k++)
        pick[k] = -1;
    for (k = 0; k < rs->nslots; k++) {
        s = rs->slots[k].s;
        pick[k] = has_addr(s) ? find_ip(addrs, n, atomic_load(&s->cur_addr)) : -1;
        if (pick[k] >= 0 && !(s->resolve_opts & LB_RESOLVE_ALLOW_DUP_IP) &&
            taken(rs, pick, k, pick[k]))
            pick[k] = -1;
    }
    for (k = 0; k < rs->nslots; k++) {
        s = rs->slots[k].s;
        for (i = 0; pick[k] < 0 && i < n; i++)
            if ((s->resolve_opts & LB_RESOLVE_ALLOW_DUP_IP) || !taken(rs, pick, k, i))
                pick[k] = i;
    }
}

static void apply_valid(struct lb_dns *dns,
                        struct dns_res *rs,
                        const struct lk_addr *addrs,
                        int n,
                        uint64_t now)
{
    uint64_t hold = rs->ch->r->hold_ms[LB_DNS_OBSOLETE];
    struct dns_slot *sl;
    int *pick = calloc(rs->nslots ? rs->nslots : 1, sizeof(*pick));
    unsigned k;

    if (!pick)
        return;
    spread(rs, addrs, n, pick);
    for (k = 0; k < rs->nslots; k++) {
        sl = &rs->slots[k];
        if (pick[k] >= 0) {
            sl->seen_ms = now;
            got_addr(dns, rs, sl->s, &addrs[pick[k]]);
        } else if (has_addr(sl->s) && now - sl->seen_ms >= hold) {
            lose_addr(dns, rs, sl->s, status_why[LB_DNS_OBSOLETE]);
        }
    }
    free(pick);
}

/* An error answer: addresses are kept for the status' "hold" period
 * after the last valid answer. */
/* Until "hold <status>" has passed since the last valid answer the servers
 * keep their addresses: a resolver briefly timing out or refusing must not
 * take a whole backend out of service. */
static void apply_error(struct lb_dns *dns, struct dns_res *rs, uint64_t now)
{
    uint64_t hold = rs->ch->r->hold_ms[rs->status];
    unsigned k;

    if (now - rs->valid_ms < hold)
        return;
    for (k = 0; k < rs->nslots; k++)
        if (has_addr(rs->slots[k].s))
            lose_addr(dns, rs, rs->slots[k].s, status_why[rs->status]);
}

static enum lb_dns_status status_of(int ares_status)
{
    switch (ares_status) {
    case ARES_ENOTFOUND:
        return LB_DNS_NX;
    case ARES_ETIMEOUT:
        return LB_DNS_TIMEOUT;
    case ARES_EREFUSED:
        return LB_DNS_REFUSED;
    default:
        return LB_DNS_OTHER;
    }
}

static void res_query(struct dns_res *rs);
static void srv_answer(struct lb_dns *dns,
                       struct dns_res *rs,
                       int status,
                       const unsigned char *abuf,
                       int alen);

/* Keep the answer for servers that join the resolution before the next. */
static void keep_answer(struct dns_res *rs, const struct lk_addr *addrs, int n)
{
    struct lk_addr *v = realloc(rs->cache, (size_t)n * sizeof(*v));

    if (!v)
        return;
    memcpy(v, addrs, (size_t)n * sizeof(*v));
    rs->cache = v;
    rs->ncache = n;
}

/* Called by c-ares from ares_process_fd(), i.e. on the control loop. A name
 * with no address of the preferred family (resolve-prefer) is asked again for
 * the other family before counting as an error. */
static void answer_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    struct lk_addr addrs[MAX_ANSWERS];
    struct dns_res *rs = arg;
    struct dns_chan *c;
    uint64_t now;
    int n = 0, type;

    if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED)
        return; /* lb_dns_stop(): rs may be about to be freed */
    c = rs->ch;
    rs->inflight = 0;
    if (--c->inflight == 0)
        uv_timer_stop(&c->ares_tick);
    if (rs->srv) {
        srv_answer(c->dns, rs, status, abuf, alen);
        return;
    }
    type = rs->v4 != rs->fallback ? ns_t_a : ns_t_aaaa;
    if (status == ARES_SUCCESS)
        n = parse_answer(abuf, alen, type, addrs);
    /* no address of the preferred family: ask for the other one */
    if (n == 0 && !rs->fallback && (status == ARES_SUCCESS || status == ARES_ENODATA)) {
        rs->fallback = 1;
        res_query(rs);
        return;
    }
    rs->fallback = 0;
    now = lk_mono_ms();
    rs->last_ms = now;
    if (n > 0) {
        rs->status = LB_DNS_VALID;
        rs->valid_ms = now;
        keep_answer(rs, addrs, n);
        apply_valid(c->dns, rs, addrs, n, now);
    } else {
        rs->status = status == ARES_SUCCESS ? LB_DNS_OTHER : status_of(status);
        apply_error(c->dns, rs, now);
    }
}

/* The tick timer for c-ares's timeouts runs only while a query is out, so an
 * idle resolver costs no wake-ups. */
static void res_query(struct dns_res *rs)
{
    struct dns_chan *c = rs->ch;
    int type = rs->srv ? ns_t_srv : rs->v4 != rs->fallback ? ns_t_a : ns_t_aaaa;

    rs->inflight = 1;
    if (c->inflight++ == 0)
        uv_timer_start(&c->ares_tick, ares_tick_cb, ARES_TICK_MS, ARES_TICK_MS);
    ares_query(c->ch, rs->fqdn, ns_c_in, type, answer_cb, rs);
}

/* Start the resolutions that are due: after a valid answer, "hold valid"
 * later; otherwise at every tick. */
/* A resolution in error is retried at every "timeout resolve" tick; after a
 * valid answer, only once "hold valid" has passed (HAProxy's scheme). */
static void tick_cb(uv_timer_t *t)
{
    struct dns_chan *c = t->data;
    struct lb_dns *dns = c->dns;
    uint64_t now = lk_mono_ms(), every;
    struct dns_res *rs;
    unsigned i;

    for (i = 0; i < dns->nres; i++) {
        rs = dns->res[i];
        if (rs->ch != c || rs->inflight || !rs->nslots)
            continue;
        every = rs->status == LB_DNS_VALID ? c->r->hold_ms[LB_DNS_VALID] : 0;
        if (rs->last_ms && now - rs->last_ms < every)
            continue;
        res_query(rs);
    }
}

/* ---- resolutions and their servers ---- */

static struct dns_chan *chan_of(struct lb_dns *dns, const struct lb_resolvers *r)
{
    unsigned i;

    for (i = 0; i < dns->nchans; i++)
        if (dns->chans[i].r == r)
            return &dns->chans[i];
    return NULL;
}

/* Servers that share a name, family and section share one resolution (one
 * query for a whole server-template), which is what lets spread() hand each
 * slot a distinct address. */
static struct dns_res *res_get(struct lb_dns *dns,
                               struct dns_chan *c,
                               const char *fqdn,
                               int v4,
                               int srv)
{
    struct dns_res *rs, **v;
    unsigned i;

    for (i = 0; i < dns->nres; i++) {
        rs = dns->res[i];
        if (rs->ch == c && rs->v4 == v4 && rs->srv == srv && strcasecmp(rs->fqdn, fqdn) == 0)
            return rs;
    }
    v = realloc(dns->res, (dns->nres + 1) * sizeof(*v));
    if (!v)
        return NULL;
    dns->res = v;
    rs = calloc(1, sizeof(*rs));
    if (!rs || !(rs->fqdn = strdup(fqdn))) {
        free(rs);
        return NULL;
    }
    rs->ch = c;
    rs->v4 = v4;
    rs->srv = srv;
    rs->status = LB_DNS_STATUS_MAX;
    rs->valid_ms = lk_mono_ms(); /* an address from init-addr counts as valid until now */
    v[dns->nres++] = rs;
    return rs;
}

static int res_add(struct dns_res *rs, struct lb_server *s)
{
    struct dns_slot *v = realloc(rs->slots, (rs->nslots + 1) * sizeof(*v));

    if (!v)
        return -ENOMEM;
    rs->slots = v;
    v[rs->nslots].s = s;
    v[rs->nslots].seen_ms = lk_mono_ms();
    rs->nslots++;
    return 0;
}

/* SRV resolutions are skipped: a slot stays attached to its SRV resolution
 * for life and only leaves the per-target A/AAAA resolution when its target
 * changes. */
static void res_remove(struct lb_dns *dns, struct lb_server *s)
{
    struct dns_res *rs;
    unsigned i, k;

    for (i = 0; i < dns->nres; i++) {
        rs = dns->res[i];
        for (k = 0; !rs->srv && k < rs->nslots; k++) {
            if (rs->slots[k].s != s)
                continue;
            memmove(&rs->slots[k], &rs->slots[k + 1], (rs->nslots - k - 1) * sizeof(rs->slots[0]));
            rs->nslots--;
            return;
        }
    }
}

/* Server `s` joins the resolution of its name (or of its SRV record). */
/* A channel is created for the first server of a section: dns->chans was
 * sized for every section up front and never moves, since its uv handles are
 * embedded. A server joining an answered resolution gets an address from the
 * cached answer at once instead of waiting for the next tick. */
static int attach(struct lb_dns *dns, struct lb_server *s, int srv)
{
    struct dns_chan *c = chan_of(dns, s->resolvers);
    struct dns_res *rs;

    if (!c) {
        c = &dns->chans[dns->nchans];
        if (chan_init(dns, c, s->resolvers) < 0)
            return -EIO;
        dns->nchans++;
        uv_timer_start(&c->tick, tick_cb, 0, c->r->timeout_resolve_ms);
    }
    rs = res_get(dns, c, srv ? s->srvrecord : s->fqdn, srv ? 0 : s->resolve_v4, srv);
    if (!rs || res_add(rs, s) < 0)
        return -ENOMEM;
    if (rs->status == LB_DNS_VALID && rs->ncache)
        apply_valid(dns, rs, rs->cache, rs->ncache, lk_mono_ms());
    else if (!rs->inflight && !rs->last_ms)
        res_query(rs);
    return 0;
}

/* ---- SRV records: each record gives one slot its target and port ---- */

struct srv_rec {
    const char *host;
    unsigned port, weight;
};

/* The slot lost its record: no target, no address, MAINT. */
static void srv_drop(struct lb_dns *dns, struct dns_res *rs, struct lb_server *s, const char *why)
{
    res_remove(dns, s);
    free(s->fqdn);
    s->fqdn = NULL;
    s->dns_port = 0;
    if (has_addr(s))
        lose_addr(dns, rs, s, why);
}

static void srv_assign(struct lb_dns *dns, struct lb_server *s, const struct srv_rec *r)
{
    char *name;

    /* HAProxy's scale: SRV weights 0..65535 to server weights 1..256 */
    if (!(s->resolve_opts & LB_RESOLVE_IGNORE_WEIGHT))
        lb_server_set_weight(s, r->weight / 256 + 1);
    if (s->fqdn && strcasecmp(s->fqdn, r->host) == 0 && s->dns_port == r->port)
        return;
    name = strdup(r->host);
    if (!name)
        return;
    res_remove(dns, s);
    free(s->fqdn);
    s->fqdn = name;
    s->dns_port = r->port;
    s->fqdn_set = 1;
    if (attach(dns, s, 0) < 0)
        lk_log(LK_LOG_ERR, "%s/%s: cannot resolve '%s'", s->be->name, s->name, name);
}

/* Per backend, unlike taken(): one SRV record is one server, whatever port it
 * names. */
static int srv_taken(const struct dns_res *rs, const int *pick, unsigned k, int i)
{
    unsigned j;

    for (j = 0; j < rs->nslots; j++)
        if (j != k && pick[j] == i && rs->slots[j].s->be == rs->slots[k].s->be)
            return 1;
    return 0;
}

static void srv_pick(const struct dns_res *rs, const struct srv_rec *r, int n, int *pick)
{
    const struct lb_server *s;
    unsigned k;
    int i, pass;

    for (k = 0; k < rs->nslots; k++)
        pick[k] = -1;
    for (k = 0; k < rs->nslots; k++) { /* a slot keeps its record */
        s = rs->slots[k].s;
        for (i = 0; s->fqdn && pick[k] < 0 && i < n; i++)
            if (strcasecmp(r[i].host, s->fqdn) == 0 && r[i].port == s->dns_port &&
                !srv_taken(rs, pick, k, i))
                pick[k] = i;
    }
    /* new records go to the slots no record ever named first, as
     * HAProxy 2.6 does (a record whose port changed is a new record) */
    for (pass = 0; pass < 2; pass++)
        for (k = 0; k < rs->nslots; k++)
            for (i = 0; rs->slots[k].s->fqdn_set == pass && pick[k] < 0 && i < n; i++)
                if (!srv_taken(rs, pick, k, i))
                    pick[k] = i;
}

static void srv_spread(struct lb_dns *dns,
                       struct dns_res *rs,
                       const struct srv_rec *r,
                       int n,
                       uint64_t now)
{
    uint64_t hold = rs->ch->r->hold_ms[LB_DNS_OBSOLETE];
    int *pick = calloc(rs->nslots ? rs->nslots : 1, sizeof(*pick));
    struct dns_slot *sl;
    unsigned k;

    if (!pick)
        return;
    srv_pick(rs, r, n, pick);
    for (k = 0; k < rs->nslots; k++) {
        sl = &rs->slots[k];
        if (pick[k] >= 0) {
            sl->seen_ms = now;
            srv_assign(dns, sl->s, &r[pick[k]]);
        } else if (sl->s->fqdn && now - sl->seen_ms >= hold) {
            srv_drop(dns, rs, sl->s, "entry removed from SRV record");
        }
    }
    free(pick);
}

static void srv_answer(struct lb_dns *dns,
                       struct dns_res *rs,
                       int status,
                       const unsigned char *abuf,
                       int alen)
{
    struct ares_srv_reply *list = NULL, *it;
    struct srv_rec recs[MAX_ANSWERS];
    uint64_t now = lk_mono_ms();
    unsigned k;
    int n = 0;

    rs->last_ms = now;
    if (status == ARES_SUCCESS && ares_parse_srv_reply(abuf, alen, &list) == ARES_SUCCESS)
        for (it = list; it && n < MAX_ANSWERS; it = it->next)
            /* A target of "." (RFC 2782) says the service is decidedly not there; a
             * record with port 0 cannot be connected to either. */
            if (it->host[0] && it->port) /* "." target: the service is not there */
                recs[n++] = (struct srv_rec){it->host, it->port, it->weight};
    if (n > 0) {
        rs->status = LB_DNS_VALID;
        rs->valid_ms = now;
        srv_spread(dns, rs, recs, n, now);
    } else {
        rs->status = status == ARES_SUCCESS ? LB_DNS_OTHER : status_of(status);
        for (k = 0; now - rs->valid_ms >= rs->ch->r->hold_ms[rs->status] && k < rs->nslots; k++)
            if (rs->slots[k].s->fqdn)
                srv_drop(dns, rs, rs->slots[k].s, status_why[rs->status]);
    }
    ares_free_data(list);
}

static unsigned count_sections(const struct lb_cfg *cfg)
{
    const struct lb_cfgsec *s;
    unsigned n = 0;

    for (s = cfg->resolvers; s; s = s->next)
        n++;
    return n;
}

/* A resolvers section without name servers (and without parse-resolv-conf) is
 * accepted by HAProxy too, and simply resolves nothing: such servers keep
 * their start-up address. */
static int dns_wanted(const struct lb_server *s)
{
    return s->resolvers && (s->fqdn || s->srvrecord) &&
           (s->resolvers->nns || s->resolvers->parse_resolv_conf);
}

/* Servers are attached before any traffic flows (lb_daemon_run() calls this
 * before READY=1), so the first answers race only with health checks. */
int lb_dns_start(struct lb_daemon *d)
{
    struct lb_proxy *px;
    struct lb_dns *dns;
    unsigned i;
    int r = 0;

    if (!count_sections(d->cfg))
        return 0;
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
        return -EIO;
    dns = calloc(1, sizeof(*dns));
    if (!dns || !(dns->chans = calloc(count_sections(d->cfg), sizeof(*dns->chans)))) {
        free(dns);
        ares_library_cleanup();
        return -ENOMEM;
    }
    dns->d = d;
    d->dns = dns;
    for (px = d->cfg->proxies; px && r == 0; px = px->next)
        for (i = 0; (px->cap & LB_CAP_BE) && i < px->nservers && r == 0; i++)
            if (dns_wanted(px->servers[i]))
                r = attach(dns, px->servers[i], px->servers[i]->srvrecord != NULL);
    if (r < 0)
        lk_log_errno(r, LK_LOG_ERR, "run-time DNS cannot start: %m");
    return r;
}

/* "set server BE/SRV fqdn NAME" on the admin socket: the server leaves the
 * resolution of its old name and joins (or creates) the new one. The current
 * address is kept until the new name answers. */
int lb_dns_set_fqdn(struct lb_daemon *d, struct lb_server *s, const char *fqdn)
{
    char *name;

    if (!s->resolvers || !d->dns)
        return -EINVAL;
    name = strdup(fqdn);
    if (!name)
        return -ENOMEM;
    res_remove(d->dns, s);
    free(s->fqdn);
    s->fqdn = name;
    return dns_wanted(s) ? attach(d->dns, s, 0) : 0;
}

static void chan_stop(struct dns_chan *c)
{
    uv_close((uv_handle_t *)&c->tick, NULL);
    uv_close((uv_handle_t *)&c->ares_tick, NULL);
    /* answers every query with ARES_EDESTRUCTION and tells sock_state_cb
     * to drop each socket */
    ares_destroy(c->ch);
    c->ch_ok = 0;
}

/* Queries answered with ARES_EDESTRUCTION after this are ignored by
 * answer_cb(), so no server is touched by a stopping daemon. */
void lb_dns_stop(struct lb_daemon *d)
{
    struct lb_dns *dns = d->dns;
    unsigned i;

    if (!dns || dns->stopping)
        return;
    dns->stopping = 1;
    for (i = 0; i < dns->nchans; i++)
        chan_stop(&dns->chans[i]);
}

void lb_dns_free(struct lb_daemon *d)
{
    struct lb_dns *dns = d->dns;
    unsigned i;

    if (!dns)
        return;
    for (i = 0; i < dns->nres; i++) {
        free(dns->res[i]->slots);
        free(dns->res[i]->cache);
        free(dns->res[i]->fqdn);
        free(dns->res[i]);
    }
    free(dns->res);
    free(dns->chans);
    free(dns);
    d->dns = NULL;
    ares_library_cleanup();
}
