/* check_cfg.h - the health-check keywords of a backend that become step
 * lists: HAProxy 2.6's "tcp-check" lines (the steps of "option tcp-check").
 *
 * Each "tcp-check" line is parsed at its own line into one step; forms lbd
 * does not run (log-format sends and expects, set-var, ssl/send-proxy/sni
 * connects, status-code) are refused there with the keyword and a hint. */
#ifndef LB_CHECK_CFG_H
#define LB_CHECK_CFG_H

#include "lbd/cfg/cfg.h"
#include "proto/feed.h"

/* The tcp-check steps of a proxy (owned by it, px->chk). */
struct lb_check_cfg {
    struct feed_tcstep steps[FEED_TC_MAX_STEPS];
    unsigned nsteps;
    const char *file; /* the first tcp-check line, for messages */
    unsigned line;
};

/* The "tcp-check ..." keyword handler (argv[0] == "tcp-check"): appends a
 * step to ctx->px->chk, allocating it. LK_CFG_FATAL with *err on error. */
int lb_check_tcpcheck_kw(struct lb_cfgctx *ctx, int argc, char **argv, char **err);

/* Cross-check a proxy once read: tcp-check lines without "option
 * tcp-check" are refused (HAProxy ignores them with a warning). 0 or
 * -EINVAL with *err "FILE:LINE: ...". */
int lb_check_validate(const struct lb_proxy *px, char **err);

/* NULL-safe; returns NULL. */
struct lb_check_cfg *lb_check_cfg_free(struct lb_check_cfg *c);

#endif
