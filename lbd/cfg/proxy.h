/* proxy.h - frontends, backends and listen sections: creation, defaults
 * inheritance, keyword table, and the few queries the data plane needs. */
#ifndef LB_PROXY_H
#define LB_PROXY_H

#include "common/cfgkw.h"
#include "lbd/core/proxy_types.h"

/* Room kept in every backend for servers added at run time. */
#define LB_DYN_SERVERS 64

/* New proxy named `name` with capabilities `cap`, settings copied from `def`
 * (a defaults section, may be NULL) as HAProxy does when a section opens.
 * Returns NULL on OOM. */
struct lb_proxy *lb_proxy_new(const char *name, unsigned cap, const struct lb_proxy *def);

/* Free a proxy and what it owns (servers, binds, logs); NULL-safe. */
struct lb_proxy *lb_proxy_free(struct lb_proxy *px);

/* "frontend", "backend", "listen" or "defaults" (a static string), for
 * messages. */
const char *lb_proxy_kind(const struct lb_proxy *px);

/* Name of a balance algorithm as the config spells it (a static string;
 * "?" for a value out of range). */
const char *lb_algo_name(enum lb_algo a);

/* Keywords of defaults/frontend/backend/listen sections; flags = LB_CAP_*. */
extern const struct lk_cfgkw lb_proxy_kws[];

/* Checks after the whole file is read: default_backend exists and has the
 * frontend's mode, a frontend has a bind, a log-format fits the mode, no
 * two proxies bind one address; also reserves room for "add server".
 * Returns 0, or a negative errno with "FILE:LINE: ..." in *err
 * (caller-owned). */
int lb_proxy_validate(struct lb_cfg *cfg, struct lb_proxy *px, char **err);

#endif
