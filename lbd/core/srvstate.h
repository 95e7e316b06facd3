/* srvstate.h - HAProxy's server-state file: at start (and so on every
 * reload, each worker being a new start) lbd reads what "show servers
 * state" wrote before (HAProxy's format version 1, from HAProxy or from
 * lbd) and gives each server back its operator state (MAINT, DRAIN), its
 * operational state (DOWN until checks say otherwise) and its run-time
 * weight, with HAProxy 2.6's rules for a changed configuration.
 *
 * Keywords: global "server-state-file FILE" and "server-state-base DIR";
 * defaults/backend "load-server-state-from-file global|local|none" and
 * "server-state-file-name [use-backend-name|FILE]". */
#ifndef LB_SRVSTATE_H
#define LB_SRVSTATE_H

#include "lbd/core/proxy_types.h"

/* load-server-state-from-file */
enum { LB_SRVSTATE_NONE = 0, LB_SRVSTATE_GLOBAL, LB_SRVSTATE_LOCAL };

/* Keyword handlers (lk_cfgkw functions; ctx is a struct lb_cfgctx *):
 * server-state-file and server-state-base (global), load-server-state-
 * from-file and server-state-file-name (proxies). 0, or LK_CFG_FATAL
 * with "FILE:LINE: ..." in *err (caller-owned). */
int lb_srvstate_kw_global(int argc, char **argv, void *ctx, char **err);
int lb_srvstate_kw_load(int argc, char **argv, void *ctx, char **err);
int lb_srvstate_kw_name(int argc, char **argv, void *ctx, char **err);

/* Apply the state files to every backend of `cfg` that asks for one,
 * before the workers start. A missing file or a bad line is a warning
 * (HAProxy starts too); returns the number of servers updated. */
unsigned lb_srvstate_apply(struct lb_cfg *cfg);

#endif
