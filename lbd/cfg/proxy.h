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

/* "frontend", "backend", "listen" or "defaults". */
const char *lb_proxy_kind(const struct lb_proxy *px);

/* Name of a balance algorithm, as the config spells it. */
const char *lb_algo_name(enum lb_algo a);

/* Keywords of defaults/frontend/backend/listen sections; flags = LB_CAP_*. */
extern const struct lk_cfgkw lb_proxy_kws[];

/* Checks after the whole file is read: every frontend reaches a backend,
 * modes agree, binds are valid. Fills *err on failure. */
int lb_proxy_validate(struct lb_cfg *cfg, struct lb_proxy *px, char **err);

#endif
