/* balance_rr.c - smooth weighted round robin (the nginx variant).
 *
 * Every pick adds each candidate's weight to its running score, takes the
 * highest score and subtracts the total from it: over any window of
 * sum(weights) picks each server gets exactly its share, interleaved rather
 * than in bursts (5,1,1 gives a a b a c a a, not a a a a a b c). Scores live
 * per thread, so no lock is taken; O(servers) per pick. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "lbd/core/balance.h"
#include "lbd/core/server.h"

static int rr_init(struct lb_balancer *b)
{
    b->priv = calloc(b->be->servers_cap ? b->be->servers_cap : 1, sizeof(int64_t));
    return b->priv ? 0 : -ENOMEM;
}

static struct lb_server *rr_pick(struct lb_balancer *b,
                                 struct lb_server **cand,
                                 unsigned n,
                                 const struct lb_pick_ctx *ctx)
{
    int64_t *score = b->priv, total = 0, w;
    struct lb_server *best = cand[0];
    unsigned i;

    for (i = 0; i < n; i++) {
        w = (int64_t)lb_server_eweight(cand[i]);
        score[cand[i]->idx] += w;
        total += w;
        if (i > 0 && score[cand[i]->idx] > score[best->idx])
            best = cand[i];
    }
    score[best->idx] -= total;
    return best;
}

static void rr_fini(struct lb_balancer *b)
{
    free(b->priv);
    b->priv = NULL;
}

const struct lb_balance_ops lb_balance_rr_ops = {rr_init, rr_pick, rr_fini};
