/* balance_random.c - balance random(N): N random points on the consistent
 * hashing circle (balance_hash.c), keeping the least loaded of the servers
 * they land on relative to weight (connections / weight), as HAProxy 2.6
 * does: "power of two choices" with the default N = 2. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "lbd/core/balance.h"
#include "lbd/core/server.h"

static struct lb_server *rnd_pick(struct lb_balancer *b,
                                  struct lb_server **cand,
                                  unsigned n,
                                  const struct lb_pick_ctx *ctx)
{
    const struct lb_lbprm *p = &b->be->lbprm;
    struct lb_server *prev, *cur = NULL;
    unsigned draws = p->draws ? p->draws : 2;
    uint64_t lp, lc;

    (void)ctx;
    if (lb_hashtab_update(b->priv, b->be, cand, n, 1) < 0)
        return cand[0];
    do {
        prev = cur;
        /* arc4random: glibc's per-thread CSPRNG, no lock, no seeding */
        cur = lb_hashtab_lookup(b->priv, arc4random(), p->balance_factor);
        if (!cur)
            return cand[0];
        if (prev && prev != cur) {
            lc = (uint64_t)atomic_load_explicit(&cur->cur_conns, memory_order_relaxed) *
                 lb_server_eweight(prev);
            lp = (uint64_t)atomic_load_explicit(&prev->cur_conns, memory_order_relaxed) *
                 lb_server_eweight(cur);
            if (lc > lp)
                cur = prev;
        }
    } while (--draws > 0);
    return cur;
}

const struct lb_balance_ops lb_balance_random_ops = {lb_balance_hashtab_init, rnd_pick,
                                                     lb_balance_hashtab_fini};
