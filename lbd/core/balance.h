/* balance.h - choosing a server: the part common to every algorithm.
 *
 * Each worker thread owns one struct lb_balancer per backend, so picking a
 * server takes no lock; what threads share (server state, weight,
 * connection counts) is read through atomics. The algorithm is an ops
 * vtable, one algorithm per file (balance_rr.c, balance_lc.c,
 * balance_hash.c, balance_random.c, balance_first.c), as h2o's balancer.h and HAProxy's
 * lb_*.c are laid out.
 *
 * Rules applied here, before the algorithm sees the candidates:
 *  - only usable servers (UP, effective weight > 0) are candidates;
 *  - backup servers are candidates only when no active server is usable,
 *    or when every usable active server already failed this connection
 *    (the first backup only, unless "option allbackups");
 *  - servers at their maxconn are skipped; if every usable server is full
 *    the caller queues (LB_PICK_FULL);
 *  - servers the caller already tried for this connection are skipped. */
#ifndef LB_BALANCE_H
#define LB_BALANCE_H

#include <stddef.h>
#include <stdint.h>

#include "lbd/core/proxy_types.h"

enum lb_pick_status {
    LB_PICK_OK = 0,
    LB_PICK_FULL, /* usable servers exist but all are at maxconn: queue */
    LB_PICK_NONE, /* no usable server at all */
    LB_PICK_STATUS_MAX
};

struct lb_pick_ctx {
    const struct lk_addr *client; /* for balance source */
    const void *key;              /* for uri / hdr(name), NULL if absent */
    size_t key_len;
    struct lb_server *const *tried; /* servers to avoid (already failed) */
    unsigned ntried;
};

struct lb_balancer;

struct lb_balance_ops {
    /* Per-thread state for backend `be` into b->priv; 0 or -ENOMEM. */
    int (*init)(struct lb_balancer *b);
    /* Choose among `n` candidates (n >= 1, in configuration order). */
    struct lb_server *(*pick)(struct lb_balancer *b,
                              struct lb_server **cand,
                              unsigned n,
                              const struct lb_pick_ctx *ctx);
    void (*fini)(struct lb_balancer *b);
};

struct lb_balancer {
    const struct lb_balance_ops *ops;
    struct lb_proxy *be;
    struct lb_server **cand; /* scratch, be->nservers entries */
    void *priv;
    unsigned rotor; /* tie-breaker for algorithms that need one */
};

extern const struct lb_balance_ops lb_balance_rr_ops;
extern const struct lb_balance_ops lb_balance_lc_ops;
extern const struct lb_balance_ops lb_balance_hash_ops;
extern const struct lb_balance_ops lb_balance_first_ops;
extern const struct lb_balance_ops lb_balance_random_ops;

/* Per-thread balancer for `be`; NULL on OOM. Owned by the worker that uses it, freed with
 * lb_balancer_free(); be is borrowed and must outlive it. */
struct lb_balancer *lb_balancer_new(struct lb_proxy *be);

/* NULL-safe; returns NULL. */
struct lb_balancer *lb_balancer_free(struct lb_balancer *b);

/* Choose a server. On LB_PICK_OK *ret is the server; the caller still
 * takes the slot with lb_server_take() (which may race and fail). */
enum lb_pick_status lb_balancer_pick(struct lb_balancer *b,
                                     const struct lb_pick_ctx *ctx,
                                     struct lb_server **ret);

/* A consistent-hashing server owns its effective weight (weight * 16 at
 * full throttle, LB_WEIGHT_SCALE) in points, at full_hash(id * 4096 + i). */
#define LB_EWGHT_RANGE (256u * LB_WEIGHT_SCALE)

/* Bob Jenkins' full avalanche hash of a 32-bit value ("avalanche"):
 * returns the mixed value; pure. */
uint32_t lb_full_hash(uint32_t a);

/* The key's hash with hash-type's function and modifier (balance uri,
 * hdr); returns the same value HAProxy 2.6 computes. data (len bytes) is
 * only read. */
uint32_t lb_hash_key(const struct lb_lbprm *p, const void *data, size_t len);

/* init/fini of the balancers whose b->priv is a struct lb_hashtab
 * (hash, random): 0 or -ENOMEM; fini frees it. */
int lb_balance_hashtab_init(struct lb_balancer *b);
void lb_balance_hashtab_fini(struct lb_balancer *b);

/* balance uri's key within the request target *uri (len bytes): moves
 * *uri to its start (path-only) and returns its length (up to '?' unless
 * whole, at most len N bytes, depth N directories), as HAProxy cuts it. */
size_t lb_balance_uri_key(const struct lb_lbprm *p, const char **uri, size_t len);

/* A per-thread server table: HAProxy's map (consistent = 0) or consistent
 * hashing circle (1) over a candidate set. new: room for `cap` servers,
 * NULL on OOM; free is NULL-safe and returns NULL. */
struct lb_hashtab;
struct lb_hashtab *lb_hashtab_new(unsigned cap);
struct lb_hashtab *lb_hashtab_free(struct lb_hashtab *t);

/* Rebuild `t` for candidates cand[0..n) (configuration order) unless it
 * was built for that set with the same weights: 0 or -ENOMEM/-ENOSPC. */
int lb_hashtab_update(struct lb_hashtab *t,
                      const struct lb_proxy *be,
                      struct lb_server **cand,
                      unsigned n,
                      int consistent);

/* The server for `hash`; with `factor` (hash-balance-factor, consistent
 * only) the first from there whose load is within bounds. NULL if empty. The server is borrowed
 * from the backend. */
struct lb_server *lb_hashtab_lookup(const struct lb_hashtab *t, uint32_t hash, unsigned factor);

#endif
