/* server.h - backend servers: the "server" line, and the one internal API
 * through which health (checkd), the admin socket and config change a
 * server's state (lb_server_transition). State and weight are atomics so
 * worker threads read them without locks; the balancers look at them on
 * every pick, so per-thread balancer state needs no rebuilding. */
#ifndef LB_SERVER_H
#define LB_SERVER_H

#include "common/cfgkw.h"
#include "lbd/cfg/cfg.h"
#include "lbd/core/proxy_types.h"

/* Parse "server NAME ADDR[:PORT] [keywords...]" (or "default-server ...",
 * which fills px->defsrv) for the proxy in ctx (a struct lb_cfgctx *).
 * The new server is owned by the backend. lk_cfgkw handlers: 0, or
 * LK_CFG_FATAL with "FILE:LINE: ..." in *err (caller-owned). */
int lb_server_parse(int argc, char **argv, void *ctx, char **err);
int lb_defsrv_parse(int argc, char **argv, void *ctx, char **err);

/* Parse "server-template PREFIX NUM|LOW-HIGH FQDN[:PORT] [keywords...]":
 * servers PREFIX<LOW>..PREFIX<HIGH> (1..NUM), each a "server" line of its
 * own with the same name and keywords. With "resolvers", run-time DNS
 * gives each slot one address of the name's record set (lbd/core/dns.h);
 * slots without one stay in MAINT. */
int lb_server_template_parse(int argc, char **argv, void *ctx, char **err);

/* The "no address yet" value of server `s` (family AF_UNSPEC, the port
 * written after its name), into *a. */
void lb_server_addr_none(struct lb_server *s, struct lk_addr *a);

/* Parse a server line into a new server that is not added to the backend
 * (for "add server" at run time). 0 and *ret, or a negative errno with
 * *err set. */
int lb_server_parse_detached(struct lb_cfgctx *ctx,
                             int argc,
                             char **argv,
                             struct lb_server **ret,
                             char **err);

/* Initialise a server's settings to HAProxy's defaults. */
void lb_server_defaults(struct lb_server *s);

/* Free a server; NULL-safe. */
struct lb_server *lb_server_free(struct lb_server *s);

/* Find a server of backend `be` by name, deleted ones excepted. Returns
 * the server (owned by be) or NULL. */
struct lb_server *lb_server_find(const struct lb_proxy *be, const char *name);

/* Give backend `px` room for `extra` servers added at run time (called
 * once the config is read, before workers start: the array may move).
 * 0 or -ENOMEM. */
int lb_server_reserve(struct lb_proxy *px, unsigned extra);

/* Make a new server visible to every thread ("add server"): 0, or
 * -ENOSPC when the reserved room is used up. Control thread only. */
int lb_server_publish(struct lb_proxy *px, struct lb_server *s);

/* Change the address new connections go to; connections in progress keep
 * the old one (which stays allocated until the server is freed; an address
 * the server had before is reused, so the list holds each one once). */
int lb_server_set_addr(struct lb_server *s, const struct lk_addr *a);

/* Set the operational state; returns the previous one. Thread-safe. The
 * primitive under lb_server_transition(): only that function and config
 * loading call it. */
int lb_server_set_state(struct lb_server *s, enum lb_srv_state st);

/* Who asks for a state change. */
enum lb_srv_cause {
    LB_CAUSE_OPERATOR, /* admin socket, stats page admin actions */
    LB_CAUSE_CHECK,    /* checkd's verdict, or its last verdict re-applied */
    LB_CAUSE_PASSIVE,  /* connection failures seen on live traffic */
    LB_CAUSE_AGENT,    /* the server's agent (agent-check): up, down, drain, maint, ready */
    LB_CAUSE_DNS,      /* run-time resolution gave or took the address (lbd/core/dns.c) */
    LB_CAUSE_MAX
};

/* Told of every state transition of the servers of the backends it is
 * set on (px->srv_observer, set by the daemon): the checkd mirror of
 * operator decisions and the on-marked-down policy live there, so no
 * caller of lb_server_transition() repeats them. Control thread only. */
struct lb_srv_observer {
    void (*changed)(void *ctx,
                    struct lb_server *s,
                    enum lb_srv_state old,
                    enum lb_srv_state now,
                    enum lb_srv_cause cause);
    void *ctx;
};

/* The one server-state transition: sets S to ST, logs it once ("Server
 * BE/SRV is DOWN, reason: WHY"), and tells the backend's observer. A
 * request that changes nothing is silent, except from an operator, whose
 * decision is always passed on (checkd must learn a MAINT even if the
 * server was already down). An operator UP or DOWN also sets the health
 * counter to the matching end, as HAProxy does. WHY is borrowed. Returns
 * the previous state. Control thread only. */
int lb_server_transition(struct lb_server *s,
                         enum lb_srv_state st,
                         enum lb_srv_cause cause,
                         const char *why);

/* Set the effective weight (0..256). Thread-safe. */
void lb_server_set_weight(struct lb_server *s, unsigned w);

/* True if the server may take a new connection now (UP, weight > 0). */
static inline int lb_server_usable(const struct lb_server *s)
{
    return atomic_load_explicit(&s->state, memory_order_relaxed) == LB_SRV_UP &&
           atomic_load_explicit(&s->cur_weight, memory_order_relaxed) > 0;
}

/* slowstart, HAProxy 2.6's arithmetic (pure; times in monotonic ms): a
 * server UP since SINCE_MS with a slowstart of SLOWSTART_MS has, at NOW_MS,
 * this many sixteenths of its weight (1 at first, LB_WEIGHT_SCALE once the
 * period is over), and this share of its connection limit MAX (at least 1;
 * MAX itself once over, or when MAX is 0: no limit). */
unsigned lb_slowstart_w16(uint64_t slowstart_ms, uint64_t since_ms, uint64_t now_ms);
unsigned lb_slowstart_maxconn(unsigned max,
                              uint64_t slowstart_ms,
                              uint64_t since_ms,
                              uint64_t now_ms);

/* The effective weight the balancers use: the weight in effect times
 * LB_WEIGHT_SCALE, ramped by slowstart when the backend's algorithm is a
 * dynamic one (roundrobin, leastconn, random, consistent hashing), as
 * HAProxy's eweight. The _at form takes the time. Thread-safe. */
unsigned lb_server_eweight(const struct lb_server *s);
unsigned lb_server_eweight_at(const struct lb_server *s, uint64_t now_ms);

/* HAProxy 2.6's dynamic limit (pure): maxconn when the backend holds
 * BECONN >= FULLCONN connections (or without minconn), else
 * max(MINCONN, BECONN x MAXCONN / FULLCONN); a MINCONN above MAXCONN is
 * the limit. 0: no limit. */
unsigned lb_dyn_maxconn(unsigned minconn, unsigned maxconn, unsigned fullconn, unsigned beconn);

/* The connection limit in effect: maxconn, made dynamic by minconn and
 * the backend's fullconn, ramped by slowstart; 0: no limit. Thread-safe. */
unsigned lb_server_maxconn_now(const struct lb_server *s);

/* True if the server is at its connection limit. */
static inline int lb_server_full(const struct lb_server *s)
{
    unsigned max = lb_server_maxconn_now(s);

    return max && atomic_load_explicit(&s->cur_conns, memory_order_relaxed) >= max;
}

/* send-proxy[-v2]: write s's PROXY header for a client connection from
 * src to dst (NULL: unknown) on fd, a server connection that has just
 * connected. Its send buffer is then empty and the few bytes go at once,
 * so a short write counts as a failed connection rather than being
 * buffered. Returns 0, or a negative errno. */
int lb_server_send_proxy(const struct lb_server *s,
                         int fd,
                         const struct lk_addr *src,
                         const struct lk_addr *dst);

/* Take a connection slot: 0, or -EBUSY if maxconn is reached (checked and
 * taken atomically, so threads never exceed it together). */
int lb_server_take(struct lb_server *s);

/* Give back a slot taken by lb_server_take(). */
void lb_server_release(struct lb_server *s);

/* "UP", "DOWN", "MAINT" or "DRAIN" (a static string; "?" out of range). */
const char *lb_srv_state_name(enum lb_srv_state st);

#endif
