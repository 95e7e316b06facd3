/* balance.c - candidate selection shared by all algorithms; see balance.h. */
#include <errno.h>
#include <stdlib.h>

#include "lbd/core/balance.h"
#include "lbd/core/server.h"

/* The hash algorithms share one implementation: they differ only in what is
 * hashed (source address, URI, header), which the caller puts in the pick
 * context. */
static const struct lb_balance_ops *ops_for(enum lb_algo a)
{
    switch (a) {
    case LB_ALGO_LEASTCONN:
        return &lb_balance_lc_ops;
    case LB_ALGO_SOURCE:
    case LB_ALGO_URI:
    case LB_ALGO_HDR:
        return &lb_balance_hash_ops;
    case LB_ALGO_FIRST:
        return &lb_balance_first_ops;
    case LB_ALGO_RANDOM:
        return &lb_balance_random_ops;
    default:
        return &lb_balance_rr_ops;
    }
}

/* cand has room for every server the backend may ever have, reserved ones
 * included, so a pick never allocates even after "add server". */
struct lb_balancer *lb_balancer_new(struct lb_proxy *be)
{
    struct lb_balancer *b;

    b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->be = be;
    b->ops = ops_for(be->algo);
    b->cand = calloc(be->servers_cap ? be->servers_cap : 1, sizeof(*b->cand));
    if (!b->cand || (b->ops->init && b->ops->init(b) < 0)) {
        free(b->cand);
        free(b);
        return NULL;
    }
    return b;
}

struct lb_balancer *lb_balancer_free(struct lb_balancer *b)
{
    if (!b)
        return NULL;
    if (b->ops->fini)
        b->ops->fini(b);
    free(b->cand);
    free(b);
    return NULL;
}

/* Linear: a connection is retried on few servers (retries is small), so the
 * list stays shorter than any hash set would be worth. */
static int was_tried(const struct lb_pick_ctx *ctx, const struct lb_server *s)
{
    unsigned i;

    for (i = 0; i < ctx->ntried; i++)
        if (ctx->tried[i] == s)
            return 1;
    return 0;
}

/* Collect usable servers of one kind (active or backup). Returns the
 * candidates (usable, not full, not tried); *usable counts usable servers
 * and *full those skipped only for being at maxconn. */
static unsigned collect(struct lb_balancer *b,
                        const struct lb_pick_ctx *ctx,
                        int backup,
                        unsigned *usable,
                        unsigned *full)
{
    struct lb_proxy *be = b->be;
    struct lb_server *s;
    unsigned i, n = 0, ns = atomic_load_explicit(&be->nservers, memory_order_acquire);

    *usable = *full = 0;
    for (i = 0; i < ns; i++) {
        s = be->servers[i];
        /* Without "option allbackups" only the first usable backup serves, as in
         * HAProxy; the loop stops once a second usable one is seen. */
        if (!!(s->flags & LB_SRV_F_BACKUP) != backup || !lb_server_usable(s))
            continue;
        ++*usable;
        if (backup && *usable > 1 && !(be->options & LB_OPT_ALLBACKUPS))
            break;
        if (was_tried(ctx, s))
            continue;
        if (lb_server_full(s)) {
            ++*full;
            continue;
        }
        b->cand[n++] = s;
    }
    return n;
}

enum lb_pick_status lb_balancer_pick(struct lb_balancer *b,
                                     const struct lb_pick_ctx *ctx,
                                     struct lb_server **ret)
{
    unsigned n, usable, full;

    n = collect(b, ctx, 0, &usable, &full);
    /* backups serve when no active server is up, and also when every
     * active one already failed this connection */
    if (n == 0 && full == 0)
        n = collect(b, ctx, 1, &usable, &full);
    /* FULL tells the caller to queue (maxconn reached everywhere) instead of
     * answering 503, which only NONE deserves. */
    if (n == 0)
        return full ? LB_PICK_FULL : LB_PICK_NONE;
    *ret = n == 1 ? b->cand[0] : b->ops->pick(b, b->cand, n, ctx);
    return LB_PICK_OK;
}
