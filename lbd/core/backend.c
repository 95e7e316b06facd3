/* backend.c - see backend.h. */
#include <stdatomic.h>

#include "lbd/core/backend.h"
#include "lbd/core/proxy_types.h"
#include "lbd/core/server.h"

/* Raise *max to v unless another thread already raised it further. */
static void raise_max(_Atomic unsigned *max, unsigned v)
{
    unsigned cur = atomic_load_explicit(max, memory_order_relaxed);

    while (v > cur && !atomic_compare_exchange_weak_explicit(max, &cur, v, memory_order_relaxed,
                                                             memory_order_relaxed))
        ;
}

/* These counters are shared by every worker and read by "show stat" (qcur,
 * qmax, wretr, wredis, lastsess): relaxed atomics, since each is an
 * independent statistic and no other memory depends on it. */
void lb_backend_queue_enter(struct lb_proxy *be)
{
    unsigned q = atomic_fetch_add_explicit(&be->queued, 1, memory_order_relaxed) + 1;

    raise_max(&be->max_queued, q);
}

void lb_backend_queue_leave(struct lb_proxy *be)
{
    atomic_fetch_sub_explicit(&be->queued, 1, memory_order_relaxed);
}

void lb_backend_retry(struct lb_proxy *be, struct lb_server *srv)
{
    if (srv)
        atomic_fetch_add_explicit(&srv->retries, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&be->wretr, 1, memory_order_relaxed);
}

/* A redispatch is counted on the server that was left (as HAProxy's per-
 * server wredis) and on the backend. */
int lb_backend_assigned(struct lb_proxy *be,
                        struct lb_server *srv,
                        struct lb_server *prev,
                        uint64_t now_ms)
{
    int redispatched = prev && prev != srv;

    if (redispatched) {
        atomic_fetch_add_explicit(&prev->redispatches, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&be->wredis, 1, memory_order_relaxed);
    }
    atomic_store_explicit(&srv->last_sess_ms, now_ms, memory_order_relaxed);
    atomic_store_explicit(&be->last_sess_ms, now_ms, memory_order_relaxed);
    return redispatched;
}

/* Stick-table persistence names a server by id: a server that is DOWN or
 * full is not forced, the caller then balances normally. id 0 is "no
 * match". */
struct lb_server *lb_backend_take_id(struct lb_proxy *be, unsigned id)
{
    unsigned i;

    for (i = 0; id && i < be->nservers; i++)
        if (be->servers[i]->puid == id)
            return lb_server_usable(be->servers[i]) && lb_server_take(be->servers[i]) == 0
                       ? be->servers[i]
                       : NULL;
    return NULL;
}

unsigned lb_backend_usable_servers(const struct lb_proxy *be)
{
    unsigned i, act = 0, bck = 0, ns = atomic_load_explicit(&be->nservers, memory_order_acquire);
    const struct lb_server *s;

    for (i = 0; i < ns; i++) {
        s = be->servers[i];
        if (!lb_server_usable(s))
            continue;
        if (s->flags & LB_SRV_F_BACKUP)
            bck++;
        else
            act++;
    }
    if (act || !bck)
        return act;
    return (be->options & LB_OPT_ALLBACKUPS) ? bck : 1;
}
