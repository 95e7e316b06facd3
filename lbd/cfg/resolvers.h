/* resolvers.h - HAProxy's "resolvers" sections: the name servers and
 * timings run-time DNS (lbd/core/dns.c) uses for servers that say
 * "resolvers NAME".
 *
 *   resolvers dns
 *       nameserver ns1 10.0.0.2:53
 *       parse-resolv-conf
 *       resolve_retries 3
 *       timeout resolve 1s
 *       timeout retry 1s
 *       hold valid 10s
 *       accepted_payload_size 8192
 *
 * Parsed at their lines into cfg->resolvers; read-only afterwards (the
 * control thread reads them). */
#ifndef LB_RESOLVERS_H
#define LB_RESOLVERS_H

#include <stdint.h>

#include "common/addr.h"
#include "common/cfgkw.h"

struct lb_cfg;

/* The answer kinds "hold" periods are given for. */
enum lb_dns_status {
    LB_DNS_VALID = 0,
    LB_DNS_NX,
    LB_DNS_OTHER,
    LB_DNS_REFUSED,
    LB_DNS_TIMEOUT,
    LB_DNS_OBSOLETE,
    LB_DNS_STATUS_MAX
};

struct lb_nameserver {
    char *name;
    struct lk_addr addr;
};

struct lb_resolvers {
    struct lb_resolvers *next;
    char *name;
    const char *file;
    unsigned line;
    struct lb_nameserver *ns;
    unsigned nns;
    int parse_resolv_conf;               /* also the name servers of /etc/resolv.conf */
    unsigned retries;                    /* resolve_retries: tries of a query */
    uint64_t timeout_resolve_ms;         /* how often resolutions are looked at */
    uint64_t timeout_retry_ms;           /* wait for an answer before asking again */
    uint64_t hold_ms[LB_DNS_STATUS_MAX]; /* keep the last address that long after STATUS */
    unsigned payload;                    /* accepted_payload_size (EDNS0); 512: no EDNS */
};

/* The keywords of a resolvers section (context: struct lb_cfgctx, whose
 * `res` is the section being read). */
extern const struct lk_cfgkw lb_resolvers_kws[];

/* Start a section "resolvers NAME" with HAProxy's defaults, appended to
 * cfg->resolvers. Returns it, or NULL on OOM. The section is owned by cfg and freed with it. */
struct lb_resolvers *lb_resolvers_new(struct lb_cfg *cfg, const char *name);

/* Free every resolvers section of a config. */
void lb_resolvers_free_all(struct lb_resolvers *r);

/* The section named `name`, or NULL. The section is owned by cfg. */
struct lb_resolvers *lb_resolvers_find(const struct lb_cfg *cfg, const char *name);

/* After the whole file: each server's "resolvers NAME" names a section
 * (which the server then points at); a section without a name server (nor
 * parse-resolv-conf) is logged as a warning, as HAProxy does. Returns 0,
 * or -EINVAL with the errors appended to *err. */
int lb_resolvers_validate(struct lb_cfg *cfg, char **err);

/* The word HAProxy's "hold" takes for a status ("valid", "nx"...): a
 * static string, "?" out of range. */
const char *lb_dns_status_name(enum lb_dns_status st);

#endif
