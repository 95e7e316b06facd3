/* balance_hash.c - balance source, uri and hdr(name), and the consistent
 * hashing tree balance random draws from, computed as HAProxy 2.6 does so
 * that the same key reaches the same server behind either (a migration
 * keeps cache affinity):
 *  - the key is hashed with hash-type's function (sdbm by default), or, for
 *    source, the address's 32-bit words XORed; "avalanche" then mixes it
 *    with Bob Jenkins' full avalanche hash;
 *  - map-based: a table of sum(weight/gcd) slots filled by HAProxy's
 *    weighted round-robin walk over the usable servers in configuration
 *    order; the server is table[hash % size];
 *  - consistent: each server owns weight*16 points on a 32-bit circle at
 *    full_hash(id*4096 + i); the hash goes to the nearer of the points
 *    just before and just after it (before on a tie).
 * The table is built per thread for the candidate set it last saw and
 * rebuilt when that set or a weight changes, so picking takes no lock. */
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "lbd/core/balance.h"
#include "lbd/core/server.h"

/* ---- hash functions (HAProxy's definitions, written from their spec) ---- */

uint32_t lb_full_hash(uint32_t a)
{
    a = (a + 0x7ed55d16u) + (a << 12);
    a = (a ^ 0xc761c23cu) ^ (a >> 19);
    a = (a + 0x165667b1u) + (a << 5);
    a = (a + 0xd3a2646cu) ^ (a << 9);
    a = (a + 0xfd7046c5u) + (a << 3);
    a = (a ^ 0xb55a4f09u) ^ (a >> 16);
    return a * 3221225473u; /* spreads the points over the whole circle */
}

static uint32_t h_sdbm(const unsigned char *k, size_t len)
{
    uint32_t h = 0;

    while (len--)
        h = *k++ + (h << 6) + (h << 16) - h;
    return h;
}

static uint32_t h_djb2(const unsigned char *k, size_t len)
{
    uint32_t h = 5381;

    while (len--)
        h = (h << 5) + h + *k++;
    return h;
}

static uint32_t rotl(uint32_t v, unsigned n)
{
    n &= 31;
    return n ? (v << n) | (v >> (32 - n)) : v;
}

static uint32_t h_wt6(const unsigned char *k, size_t len)
{
    uint32_t h0 = 0xa53c965au, h1 = 0x5ca6953au, t;
    unsigned s0 = 6, s1 = 18;

    while (len--) {
        t = *k++;
        h0 = ~(h0 ^ t);
        h1 = ~(h1 + t);
        t = rotl(h1, s0);
        h1 = rotl(h0, s1);
        h0 = t;
        t = ((h0 >> 16) ^ h1) & 0xffff;
        s0 = t & 0x1f;
        s1 = t >> 11;
    }
    return h0 ^ h1;
}

static uint32_t h_crc32(const unsigned char *k, size_t len)
{
    uint32_t h = ~0u;
    int bit;

    while (len--) {
        h ^= *k++;
        for (bit = 0; bit < 8; bit++)
            h = (h >> 1) ^ ((h & 1) ? 0xedb88320u : 0);
    }
    return ~h;
}

uint32_t lb_hash_key(const struct lb_lbprm *p, const void *data, size_t len)
{
    const unsigned char *k = data;
    uint32_t h;

    switch (p->hash_fn) {
    case LB_HFN_DJB2:
        h = h_djb2(k, len);
        break;
    case LB_HFN_WT6:
        h = h_wt6(k, len);
        break;
    case LB_HFN_CRC32:
        h = h_crc32(k, len);
        break;
    default:
        h = h_sdbm(k, len);
        break;
    }
    return p->avalanche ? lb_full_hash(h) : h;
}

/* balance source: HAProxy XORs the address's 32-bit words (host order)
 * and applies only the avalanche modifier, never the hash function */
static uint32_t source_hash(const struct lb_lbprm *p, const struct lk_addr *a)
{
    const unsigned char *b;
    size_t len, i;
    uint32_t h = 0, w;

    if (!a)
        return 0;
    if (a->u.sa.sa_family == AF_INET) {
        b = (const unsigned char *)&a->u.in4.sin_addr;
        len = 4;
    } else if (a->u.sa.sa_family == AF_INET6) {
        b = (const unsigned char *)&a->u.in6.sin6_addr;
        len = 16;
    } else {
        return 0;
    }
    for (i = 0; i + 4 <= len; i += 4) {
        memcpy(&w, b + i, 4);
        h ^= ntohl(w);
    }
    return p->avalanche ? lb_full_hash(h) : h;
}

size_t lb_balance_uri_key(const struct lb_lbprm *p, const char **uri, size_t len)
{
    const char *u = *uri, *path;
    size_t n = 0;
    unsigned slashes = 0;

    /* path-only: skip "scheme://authority" of an absolute URI */
    if (p->uri_path_only && len && u[0] != '/') {
        path = memmem(u, len, "://", 3);
        if (path) {
            path = memchr(path + 3, '/', len - (size_t)(path + 3 - u));
            len = path ? len - (size_t)(path - u) : 0;
            u = path ? path : u + len;
        }
    }
    if (p->uri_len && len > p->uri_len)
        len = p->uri_len;
    while (n < len) {
        if (u[n] == '/') {
            /* depth N keeps N directory levels: stop at slash N + 1 */
            if (p->uri_depth && ++slashes == p->uri_depth + 1)
                break;
        } else if (u[n] == '?' && !p->uri_whole) {
            break;
        }
        n++;
    }
    *uri = u;
    return n;
}

/* ---- the per-thread table ---- */

struct chnode {
    uint32_t key;
    struct lb_server *s;
};

struct lb_hashtab {
    /* the candidate set (and weights) the table was built for */
    struct lb_server **set;
    unsigned *wset;
    unsigned nset, cap;
    int consistent;
    /* map-based */
    struct lb_server **map;
    unsigned tot, map_cap;
    int *wscore;
    /* consistent */
    struct chnode *nodes;
    unsigned nnodes, nodes_cap;
};

/* What the table is built from: the effective weight (slowstart ramps
 * it) for the consistent circle, the weight for map-based (static). */
static unsigned set_weight(const struct lb_server *s, int consistent)
{
    return consistent ? lb_server_eweight(s)
                      : atomic_load_explicit(&s->cur_weight, memory_order_relaxed);
}

static int same_set(const struct lb_hashtab *t, struct lb_server **cand, unsigned n, int cons)
{
    unsigned i;

    if (t->nset != n || t->consistent != cons)
        return 0;
    for (i = 0; i < n; i++)
        if (t->set[i] != cand[i] || t->wset[i] != set_weight(cand[i], cons))
            return 0;
    return 1;
}

static int grow(void **p, unsigned *cap, unsigned want, size_t size)
{
    void *np;

    if (want <= *cap)
        return 0;
    np = realloc(*p, (size_t)want * size);
    if (!np)
        return -ENOMEM;
    *p = np;
    *cap = want;
    return 0;
}

/* The divisor HAProxy's map-based hashing applies to every weight: the
 * gcd of all configured weights of the backend, taken once at start. */
static unsigned weight_gcd(const struct lb_proxy *be)
{
    unsigned i, g = 0, w, t, ns = atomic_load_explicit(&be->nservers, memory_order_acquire);

    for (i = 0; i < ns && g != 1; i++) {
        w = be->servers[i]->weight;
        while (w) {
            t = g % w;
            g = w;
            w = t;
        }
    }
    return g ? g : 1;
}

static int build_map(struct lb_hashtab *t, const struct lb_proxy *be)
{
    unsigned g = weight_gcd(be), i, o, tot = 0;
    int v, max;
    struct lb_server *best;
    unsigned besti;

    for (i = 0; i < t->nset; i++)
        tot += (t->wset[i] + g - 1) / g;
    if (grow((void **)&t->map, &t->map_cap, tot ? tot : 1, sizeof(*t->map)) < 0)
        return -ENOMEM;
    memset(t->wscore, 0, t->nset * sizeof(*t->wscore));
    /* HAProxy's walk: each slot goes to the server whose score, after
     * adding its weight, is the highest (first declared on a tie) */
    for (o = 0; o < tot; o++) {
        best = NULL;
        besti = 0;
        max = 0;
        for (i = 0; i < t->nset; i++) {
            if (tot == 1) {
                best = t->set[i];
                besti = i;
                break;
            }
            t->wscore[i] += (int)((t->wset[i] + g - 1) / g);
            v = (int)(((int64_t)t->wscore[i] + tot) / tot);
            if (!best || v > max) {
                max = v;
                best = t->set[i];
                besti = i;
            }
        }
        t->map[o] = best;
        t->wscore[besti] -= (int)tot;
    }
    t->tot = tot;
    return 0;
}

static int node_cmp(const void *a, const void *b)
{
    uint32_t x = ((const struct chnode *)a)->key, y = ((const struct chnode *)b)->key;

    return x < y ? -1 : x > y;
}

static int build_tree(struct lb_hashtab *t)
{
    unsigned i, j, n = 0;

    for (i = 0; i < t->nset; i++)
        n += t->wset[i];
    if (grow((void **)&t->nodes, &t->nodes_cap, n ? n : 1, sizeof(*t->nodes)) < 0)
        return -ENOMEM;
    n = 0;
    for (i = 0; i < t->nset; i++)
        for (j = 0; j < t->wset[i]; j++) {
            t->nodes[n].key = lb_full_hash(t->set[i]->puid * LB_EWGHT_RANGE + j);
            t->nodes[n++].s = t->set[i];
        }
    /* full_hash is a bijection, so the keys are distinct */
    qsort(t->nodes, n, sizeof(*t->nodes), node_cmp);
    t->nnodes = n;
    return 0;
}

struct lb_hashtab *lb_hashtab_new(unsigned cap)
{
    struct lb_hashtab *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    t->cap = cap ? cap : 1;
    t->set = calloc(t->cap, sizeof(*t->set));
    t->wset = calloc(t->cap, sizeof(*t->wset));
    t->wscore = calloc(t->cap, sizeof(*t->wscore));
    t->consistent = -1;
    if (!t->set || !t->wset || !t->wscore)
        return lb_hashtab_free(t);
    return t;
}

struct lb_hashtab *lb_hashtab_free(struct lb_hashtab *t)
{
    if (!t)
        return NULL;
    free(t->set);
    free(t->wset);
    free(t->wscore);
    free(t->map);
    free(t->nodes);
    free(t);
    return NULL;
}

int lb_hashtab_update(struct lb_hashtab *t,
                      const struct lb_proxy *be,
                      struct lb_server **cand,
                      unsigned n,
                      int consistent)
{
    unsigned i;
    int r;

    if (same_set(t, cand, n, consistent))
        return 0;
    if (n > t->cap)
        return -ENOSPC;
    for (i = 0; i < n; i++) {
        t->set[i] = cand[i];
        t->wset[i] = set_weight(cand[i], consistent);
    }
    t->nset = n;
    t->consistent = consistent;
    r = consistent ? build_tree(t) : build_map(t, be);
    if (r < 0)
        t->nset = 0; /* rebuilt on the next pick */
    return r;
}

/* Bounded loads (hash-balance-factor): may `s` (index i of the set) take
 * one more connection? Its share of (served+1)*factor/100 slots, split by
 * weight as HAProxy splits them. */
static int eligible(const struct lb_hashtab *t, unsigned i, unsigned factor, uint64_t served)
{
    uint64_t tot_w = 0, cum = 0, slots, per, rem;
    unsigned k;

    for (k = 0; k < t->nset; k++) {
        if (k < i)
            cum += t->wset[k];
        tot_w += t->wset[k];
    }
    if (!tot_w)
        return 1;
    slots = ((served + 1) * factor + 99) / 100;
    per = slots / tot_w;
    rem = slots % tot_w;
    slots = t->wset[i] * per;
    slots += (cum + t->wset[i]) * rem / tot_w - cum * rem / tot_w;
    if (!slots)
        slots = 1;
    return atomic_load_explicit(&t->set[i]->cur_conns, memory_order_relaxed) < slots;
}

static unsigned set_index(const struct lb_hashtab *t, const struct lb_server *s)
{
    unsigned i;

    for (i = 0; i < t->nset; i++)
        if (t->set[i] == s)
            return i;
    return 0;
}

struct lb_server *lb_hashtab_lookup(const struct lb_hashtab *t, uint32_t hash, unsigned factor)
{
    unsigned lo = 0, hi = t->nnodes, next, prev, loops = 0, i;
    uint64_t served = 0;

    if (!t->consistent)
        return t->tot ? t->map[hash % t->tot] : NULL;
    if (!t->nnodes)
        return NULL;
    while (lo < hi) { /* first node with key >= hash */
        unsigned mid = lo + (hi - lo) / 2;

        if (t->nodes[mid].key < hash)
            lo = mid + 1;
        else
            hi = mid;
    }
    next = lo == t->nnodes ? 0 : lo;
    prev = next == 0 ? t->nnodes - 1 : next - 1;
    if (hash - t->nodes[prev].key <= t->nodes[next].key - hash)
        next = prev;
    if (!factor)
        return t->nodes[next].s;
    for (i = 0; i < t->nset; i++)
        served += atomic_load_explicit(&t->set[i]->cur_conns, memory_order_relaxed);
    /* the first server with room, walking the circle from the choice */
    while (!eligible(t, set_index(t, t->nodes[next].s), factor, served)) {
        if (++next == t->nnodes) {
            next = 0;
            if (++loops > 1)
                break;
        }
    }
    return t->nodes[next].s;
}

/* ---- balance source / uri / hdr ---- */

int lb_balance_hashtab_init(struct lb_balancer *b)
{
    b->priv = lb_hashtab_new(b->be->servers_cap);
    return b->priv ? 0 : -ENOMEM;
}

void lb_balance_hashtab_fini(struct lb_balancer *b)
{
    b->priv = lb_hashtab_free(b->priv);
}

static struct lb_server *hash_pick(struct lb_balancer *b,
                                   struct lb_server **cand,
                                   unsigned n,
                                   const struct lb_pick_ctx *ctx)
{
    const struct lb_lbprm *p = &b->be->lbprm;
    struct lb_server *s;
    uint32_t h;

    /* no key (header absent): round robin, as HAProxy falls back to it */
    if (b->be->algo != LB_ALGO_SOURCE && !ctx->key)
        return cand[b->rotor++ % n];
    if (lb_hashtab_update(b->priv, b->be, cand, n, p->hash_type == LB_HASH_CONSISTENT) < 0)
        return cand[0];
    h = b->be->algo == LB_ALGO_SOURCE ? source_hash(p, ctx->client)
                                      : lb_hash_key(p, ctx->key, ctx->key_len);
    s = lb_hashtab_lookup(b->priv, h, p->hash_type == LB_HASH_CONSISTENT ? p->balance_factor : 0);
    return s ? s : cand[0];
}

const struct lb_balance_ops lb_balance_hash_ops = {lb_balance_hashtab_init, hash_pick,
                                                   lb_balance_hashtab_fini};
