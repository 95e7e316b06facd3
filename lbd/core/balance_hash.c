/* balance_hash.c - balance source, uri and hdr(name): a hash of the client
 * address (or of the key the HTTP layer extracts) mapped over the
 * candidates by weight, as HAProxy's map-based hashing does. The same key
 * lands on the same server as long as the set of candidates is unchanged. */
#include <netinet/in.h>
#include <stdatomic.h>

#include <stddef.h>

#include "lbd/core/balance.h"

static uint32_t key_hash(const struct lb_pick_ctx *ctx)
{
    const struct lk_addr *a = ctx->client;

    if (ctx->key)
        return lb_hash(ctx->key, ctx->key_len);
    if (!a)
        return 0;
    if (a->u.sa.sa_family == AF_INET)
        return lb_hash(&a->u.in4.sin_addr, sizeof(a->u.in4.sin_addr));
    if (a->u.sa.sa_family == AF_INET6)
        return lb_hash(&a->u.in6.sin6_addr, sizeof(a->u.in6.sin6_addr));
    return 0;
}

static struct lb_server *hash_pick(struct lb_balancer *b,
                                   struct lb_server **cand,
                                   unsigned n,
                                   const struct lb_pick_ctx *ctx)
{
    uint64_t total = 0, at;
    unsigned i;

    for (i = 0; i < n; i++)
        total += atomic_load_explicit(&cand[i]->cur_weight, memory_order_relaxed);
    at = key_hash(ctx) % total;
    for (i = 0; i < n; i++) {
        uint64_t w = atomic_load_explicit(&cand[i]->cur_weight, memory_order_relaxed);

        if (at < w)
            return cand[i];
        at -= w;
    }
    return cand[n - 1];
}

const struct lb_balance_ops lb_balance_hash_ops = {NULL, hash_pick, NULL};
