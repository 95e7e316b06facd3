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
#include "lbd/cfg/cfgsec.h"

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
    struct lb_cfgsec sec; /* first: name, file:line, cfg->resolvers link */
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

/* The resolvers section whose header is `s` (an element of cfg->resolvers,
 * which cfg.c opens with lb_cfgsec_new()), or NULL for NULL. */
struct lb_resolvers *lb_resolvers_of(struct lb_cfgsec *s);

/* Give a section just opened HAProxy's defaults (retries, timeouts, holds,
 * payload). */
void lb_resolvers_init(struct lb_cfgsec *s);

/* What a section owns besides its header: its name servers
 * (lb_cfgsec_free_all()'s free_body). */
void lb_resolvers_free(struct lb_cfgsec *s);

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
