/* probe_int.h - what the probe kinds share inside checkd/ (not for the
 * daemon layer): the base of every probe and the galera entry point. */
#ifndef CHK_PROBE_INT_H
#define CHK_PROBE_INT_H

#include "checkd/probe.h"

struct chk_probe {
    uv_loop_t *loop;
    const struct feed_target *cfg;
    struct lk_addr addr;
    uint64_t timeout_ms;
    uint64_t start_us;
    chk_probe_cb cb;
    void *ud;
    int finished; /* result delivered or cancelled: cb never runs again */
    void (*cancel)(struct chk_probe *p);
};

/* Deliver the result once (latency filled here) and mark finished. */
void chk__probe_finish(struct chk_probe *p, struct chk_result *r);

/* POSIX extended regex `re` matches `s`; 0 when it does not or does not
 * compile (configs are validated before). */
int chk__regex_match(const char *re, const char *s);

/* A probe kind's start, with the contract of chk_probe_start(): `base` is
 * the base chk_probe_start() filled from its arguments (clock started,
 * timeout defaulted, cancel NULL); the kind copies it into its own probe
 * and sets cancel. */
typedef int chk_start_fn(struct chk_probe **ret, const struct chk_probe *base);

chk_start_fn chk__galera_start;

/* "option external-check": runs cfg's command (probe_external.c). */
chk_start_fn chk__external_start;

/* The tcp-check engine: kind tcp-check runs cfg's steps; redis, pgsql,
 * smtp and ssl-hello run the step lists HAProxy builds for them. */
chk_start_fn chk__tcpchk_start;

/* chk_probe_validate() for those kinds: regexes compile, pgsql has a user.
 * 0, or -EINVAL with *why set to a static message. */
int chk__tcpchk_validate(const struct feed_target *cfg, const char **why);

/* The PROXY protocol header a target with send_proxy writes first on a
 * fresh connection `tcp`: v1 names the connection's own ends (its local
 * address as the source, the target as the destination), v2 is the LOCAL
 * command, byte for byte as HAProxy 2.6's checks send them. Written at
 * once (a few bytes on a socket that has sent nothing: the send buffer
 * takes them). Returns 0, or a negative errno. */
int chk__send_proxy(uv_tcp_t *tcp, unsigned version);

/* Whether kind runs on the tcp-check engine. */
static inline int chk__is_tcpchk(enum feed_kind k)
{
    return k >= FEED_KIND_TCPCHK && k <= FEED_KIND_AGENT;
}

#endif
