/* balance_lc.c - least connections, weighted.
 *
 * The server with the fewest connections per unit of weight wins
 * (compared as cur_a * w_b < cur_b * w_a, no division). Connection counts
 * are the shared atomics, so the choice sees every thread's load; ties go
 * round robin from a per-thread rotor so equal servers share new work. */
#include <stdatomic.h>

#include <stddef.h>

#include "lbd/core/balance.h"
#include "lbd/core/server.h"

static struct lb_server *lc_pick(struct lb_balancer *b,
                                 struct lb_server **cand,
                                 unsigned n,
                                 const struct lb_pick_ctx *ctx)
{
    struct lb_server *best = NULL, *s;
    uint64_t bc = 0, bw = 1, c, w;
    unsigned i, start = b->rotor++ % n;

    for (i = 0; i < n; i++) {
        s = cand[(start + i) % n];
        c = atomic_load_explicit(&s->cur_conns, memory_order_relaxed);
        w = lb_server_eweight(s);
        if (!best || c * bw < bc * w) {
            best = s;
            bc = c;
            bw = w;
        }
    }
    return best;
}

const struct lb_balance_ops lb_balance_lc_ops = {NULL, lc_pick, NULL};
