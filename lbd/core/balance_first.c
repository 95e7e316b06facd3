/* balance_first.c - the first server (in id order) with a free slot takes
 * the connection, so that spare servers can be powered down: candidates
 * already exclude servers at their maxconn. */
#include <stddef.h>

#include "lbd/core/balance.h"

static struct lb_server *first_pick(struct lb_balancer *b,
                                    struct lb_server **cand,
                                    unsigned n,
                                    const struct lb_pick_ctx *ctx)
{
    return cand[0];
}

const struct lb_balance_ops lb_balance_first_ops = {NULL, first_pick, NULL};
