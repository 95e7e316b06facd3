/* stktable.c - stick tables; see stktable.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfgkw.h"
#include "common/cfglex.h"
#include "common/list.h"
#include "lbd/core/stktable.h"

/* HAProxy's freq_ctr: events of the current period and of the previous
 * one; the rate is curr + prev weighted by the share of the previous
 * period still inside the sliding window. */
struct frq {
    uint64_t tick; /* start of the current period */
    uint32_t curr, prev;
};

/* An entry is in exactly one bucket chain and in the LRU list (head = most
 * recently touched) while it is in the table. ref counts sessions tracking
 * it: a referenced entry never expires and is never purged, so a pointer held
 * by a session stays valid until lb_stk_release(). All fields are guarded by
 * the table's lock. */
struct lb_stkentry {
    struct lb_stkentry *next;          /* bucket chain */
    struct lb_stkentry *lprev, *lnext; /* LRU list */
    struct lk_list unode;              /* in the table's update list (peers), when inupd */
    uint32_t upd;                      /* id of its last local change */
    uint8_t inupd;
    struct lb_stkkey key;
    uint64_t exp; /* monotonic ms */
    unsigned ref;
    int64_t val[LB_STK_DATA_MAX];
    struct frq frq[LB_STK_DATA_MAX];
};

/* The HAProxy names, so a "store" list and "show table" output read the same
 * as HAProxy's; the enum order is lbd's own. */
static const char *const data_names[LB_STK_DATA_MAX] = {
    [LB_STK_SERVER_ID] = "server_id",
    [LB_STK_GPT0] = "gpt0",
    [LB_STK_GPC0] = "gpc0",
    [LB_STK_GPC0_RATE] = "gpc0_rate",
    [LB_STK_CONN_CNT] = "conn_cnt",
    [LB_STK_CONN_RATE] = "conn_rate",
    [LB_STK_CONN_CUR] = "conn_cur",
    [LB_STK_SESS_CNT] = "sess_cnt",
    [LB_STK_SESS_RATE] = "sess_rate",
    [LB_STK_HTTP_REQ_CNT] = "http_req_cnt",
    [LB_STK_HTTP_REQ_RATE] = "http_req_rate",
    [LB_STK_HTTP_ERR_CNT] = "http_err_cnt",
    [LB_STK_HTTP_ERR_RATE] = "http_err_rate",
    [LB_STK_BYTES_IN_CNT] = "bytes_in_cnt",
    [LB_STK_BYTES_IN_RATE] = "bytes_in_rate",
    [LB_STK_BYTES_OUT_CNT] = "bytes_out_cnt",
    [LB_STK_BYTES_OUT_RATE] = "bytes_out_rate",
};

static int is_rate(int d)
{
    return d == LB_STK_GPC0_RATE || d == LB_STK_CONN_RATE || d == LB_STK_SESS_RATE ||
           d == LB_STK_HTTP_REQ_RATE || d == LB_STK_HTTP_ERR_RATE || d == LB_STK_BYTES_IN_RATE ||
           d == LB_STK_BYTES_OUT_RATE;
}

const char *lb_stk_data_name(enum lb_stk_data d)
{
    return d < LB_STK_DATA_MAX ? data_names[d] : "?";
}

int lb_stk_data_find(const char *name, size_t len)
{
    int i;

    for (i = 0; i < LB_STK_DATA_MAX; i++)
        if (strlen(data_names[i]) == len && strncmp(data_names[i], name, len) == 0)
            return i;
    return -1;
}

/* ---- parsing ---- */

/* "store gpc0,conn_rate(10s),...": commas inside parentheses do not split, so
 * the period of a rate is read as one item. Rates need their period (HAProxy
 * refuses a bare conn_rate too), counters take none. */
static int parse_store(struct lb_stktable *t, const char *list, char **err)
{
    const char *p = list, *e, *paren;
    uint64_t per;
    char buf[32];
    int d;

    while (*p) {
        e = p;
        for (int depth = 0; *e && (depth || *e != ','); e++)
            depth += *e == '(' ? 1 : *e == ')' ? -1 : 0;
        paren = memchr(p, '(', (size_t)(e - p));
        d = lb_stk_data_find(p, (size_t)((paren ? paren : e) - p));
        if (d < 0)
            return lk_cfg_err(err, "stick-table: data type '%.*s' is not supported by lbd",
                              (int)(e - p), p);
        if (is_rate(d)) {
            if (!paren || e[-1] != ')' || (size_t)(e - paren - 2) >= sizeof(buf))
                return lk_cfg_err(err, "stick-table: '%s' needs a period: %s(10s)", data_names[d],
                                  data_names[d]);
            memcpy(buf, paren + 1, (size_t)(e - paren - 2));
            buf[e - paren - 2] = '\0';
            if (lk_parse_time_ms(buf, 1, 24ull * 3600 * 1000, &per) < 0 || per == 0)
                return lk_cfg_err(err, "stick-table: invalid period '%s'", buf);
            t->period_ms[d] = (uint32_t)per;
        } else if (paren) {
            return lk_cfg_err(err, "stick-table: '%s' takes no period", data_names[d]);
        }
        t->store |= 1u << d;
        p = *e ? e + 1 : e;
    }
    return 0;
}

/* HAProxy's type names, in enum lb_stk_type order ("show table" prints them). */
static const char *const type_names[] = {"ip", "ipv6", "integer", "string", "binary"};

/* keylen is the stored key size: the IPv4/IPv6 address bytes, an int64, and
 * HAProxy's default of 32 bytes for strings (changed by "len"). */
static int parse_type(struct lb_stktable *t, const char *ty, char **err)
{
    size_t i;

    for (i = 0; i < LK_ARRAY_SIZE(type_names); i++)
        if (strcmp(ty, type_names[i]) == 0) {
            t->type = (uint8_t)i;
            t->keylen = i == LB_STK_IP ? 4 : i == LB_STK_IPV6 ? 16 : i == LB_STK_INT ? 8 : 32;
            return 0;
        }
    return lk_cfg_err(err,
                      "stick-table: type '%s' is not supported by lbd (ip, ipv6, integer, "
                      "string, binary)",
                      ty);
}

static int parse_args(struct lb_stktable *t, int argc, char **argv, char **err)
{
    uint64_t v;
    int i, r = 0;

    for (i = 1; i < argc && r == 0; i++) {
        const char *a = argv[i], *n = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "nopurge") == 0) {
            t->nopurge = 1;
            continue;
        }
        if (!n)
            return lk_cfg_err(err, "stick-table: '%s' needs a value", a);
        i++;
        if (strcmp(a, "type") == 0)
            r = parse_type(t, n, err);
        /* "len" is accepted only after "type string|binary" (HAProxy ties it
         * to those keys); before it the line ends in the "not supported" error */
        else if (strcmp(a, "len") == 0 && (t->type == LB_STK_STR || t->type == LB_STK_BIN))
            r = lk_parse_uint(n, 1, LB_STK_KEY_MAX, &v) < 0
                    ? lk_cfg_err(err, "stick-table: len must be 1-%d", LB_STK_KEY_MAX)
                    : (t->keylen = (unsigned)v, t->explicit_len = 1, 0);
        else if (strcmp(a, "size") == 0)
            r = lk_parse_size(n, 1u << 24, &v) < 0 || v == 0
                    ? lk_cfg_err(err, "stick-table: invalid size '%s'", n)
                    : (t->size = (unsigned)v, 0);
        else if (strcmp(a, "expire") == 0)
            r = lk_parse_time_ms(n, 1, 24ull * 3600 * 1000 * 365, &t->expire_ms) < 0
                    ? lk_cfg_err(err, "stick-table: invalid expire '%s'", n)
                    : 0;
        else if (strcmp(a, "store") == 0)
            r = parse_store(t, n, err);
        /* the section is looked up once the whole file is read (it may come
         * later), by lb_peers_cfg_validate() */
        else if (strcmp(a, "peers") == 0 && !t->peers_name)
            r = (t->peers_name = strdup(n)) ? 0 : -ENOMEM;
        else
            r = lk_cfg_err(err,
                           "stick-table: '%s' is not supported by lbd (type, len, size, expire, "
                           "nopurge, peers, store)",
                           a);
    }
    return r;
}

int lb_stk_parse(const char *name, int argc, char **argv, struct lb_stktable **ret, char **err)
{
    struct lb_stktable *t = calloc(1, sizeof(*t));
    int r;

    if (!t || !(t->name = strdup(name))) {
        free(t);
        return -ENOMEM;
    }
    t->type = 0xff;
    r = parse_args(t, argc, argv, err);
    if (r == 0 && (t->type == 0xff || !t->size))
        r = lk_cfg_err(err, "stick-table: 'type' and 'size' are required");
    /* HAProxy counts a string key's terminating NUL in an explicit "len"
     * (not in the default 32) and its integer keys are 32-bit; a peer
     * ignores a table whose key size differs from its own */
    t->wire_keylen = t->type == LB_STK_INT                      ? 4
                     : t->type == LB_STK_STR && t->explicit_len ? t->keylen + 1
                                                                : t->keylen;
    if (r == 0) {
        /* A power of two at least as large as "size" (capped at 2^20 buckets), so
         * hash_key() can mask instead of dividing and chains stay about one entry
         * long when the table is full. */
        for (t->nbuckets = 16; t->nbuckets < t->size && t->nbuckets < (1u << 20); t->nbuckets <<= 1)
            ;
        t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
        r = t->buckets ? 0 : -ENOMEM;
    }
    if (r < 0) {
        free(t->peers_name);
        free(t->buckets);
        free(t->name);
        free(t);
        return r;
    }
    pthread_mutex_init(&t->lock, NULL);
    lk_list_init(&t->upd);
    *ret = t;
    return 0;
}

struct lb_stktable *lb_stk_free(struct lb_stktable *t)
{
    struct lb_stkentry *e, *n;

    if (!t)
        return NULL;
    for (e = t->lru_head; e; e = n) {
        n = e->lnext;
        free(e);
    }
    pthread_mutex_destroy(&t->lock);
    free(t->buckets);
    free(t->peers_name);
    free(t->name);
    free(t);
    return NULL;
}

/* ---- keys ---- */

/* IPv4-mapped IPv6 client addresses (a v6 listener accepting v4) are folded
 * to their IPv4 form in an "ip" table and mapped up in an "ipv6" table, so
 * one client counts as one entry whichever listener it used. */
int lb_stk_key_addr(const struct lb_stktable *t, const struct lk_addr *a, struct lb_stkkey *k)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    int fam = a ? a->u.sa.sa_family : 0;

    memset(k, 0, sizeof(*k));
    if (t->type == LB_STK_IP && fam == AF_INET) {
        memcpy(k->data, &a->u.in4.sin_addr, 4);
    } else if (t->type == LB_STK_IP && fam == AF_INET6 &&
               memcmp(a->u.in6.sin6_addr.s6_addr, mapped, 12) == 0) {
        memcpy(k->data, a->u.in6.sin6_addr.s6_addr + 12, 4);
    } else if (t->type == LB_STK_IPV6 && fam == AF_INET6) {
        memcpy(k->data, a->u.in6.sin6_addr.s6_addr, 16);
    } else if (t->type == LB_STK_IPV6 && fam == AF_INET) {
        memcpy(k->data, mapped, 12);
        memcpy(k->data + 12, &a->u.in4.sin_addr, 4);
    } else {
        return -EINVAL;
    }
    k->len = (uint8_t)t->keylen;
    return 0;
}

int lb_stk_key_int(const struct lb_stktable *t, int64_t v, struct lb_stkkey *k)
{
    if (t->type != LB_STK_INT)
        return -EINVAL;
    memset(k, 0, sizeof(*k));
    memcpy(k->data, &v, sizeof(v));
    k->len = 8;
    return 0;
}

int lb_stk_key_str(const struct lb_stktable *t, const char *s, size_t n, struct lb_stkkey *k)
{
    char buf[64];
    int64_t v;
    struct lk_addr a;

    /* Strings longer than "len" are truncated, not refused: HAProxy does the
     * same, and two keys sharing their first len bytes then share an entry. */
    if (t->type == LB_STK_STR || t->type == LB_STK_BIN) {
        memset(k, 0, sizeof(*k));
        k->len = (uint8_t)(n < t->keylen ? n : t->keylen);
        memcpy(k->data, s, k->len);
        /* a binary key always has the table's length: the zero padding is
         * part of it, so "ab" and "ab\0" are one entry, as in HAProxy */
        if (t->type == LB_STK_BIN)
            k->len = (uint8_t)t->keylen;
        return 0;
    }
    if (n >= sizeof(buf))
        return -EINVAL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (t->type == LB_STK_INT)
        return lk_parse_int(buf, INT64_MIN, INT64_MAX, &v) < 0 ? -EINVAL : lb_stk_key_int(t, v, k);
    memset(&a, 0, sizeof(a));
    if (inet_pton(AF_INET, buf, &a.u.in4.sin_addr) == 1)
        a.u.sa.sa_family = AF_INET;
    else if (inet_pton(AF_INET6, buf, &a.u.in6.sin6_addr) == 1)
        a.u.sa.sa_family = AF_INET6;
    else
        return -EINVAL;
    return lb_stk_key_addr(t, &a, k);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

int lb_stk_key_text(const struct lb_stktable *t, const char *s, struct lb_stkkey *k)
{
    uint8_t b[LB_STK_KEY_MAX];
    size_t n = strlen(s), i;

    if (t->type != LB_STK_BIN)
        return lb_stk_key_str(t, s, n, k);
    if (n % 2 || n / 2 > sizeof(b))
        return -EINVAL;
    for (i = 0; i < n / 2; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return -EINVAL;
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    return lb_stk_key_str(t, (const char *)b, n / 2, k);
}

unsigned lb_stk_used(struct lb_stktable *t)
{
    unsigned n;

    pthread_mutex_lock(&t->lock);
    n = t->used;
    pthread_mutex_unlock(&t->lock);
    return n;
}

/* out holds at least 2 * LB_STK_KEY_MAX + 1 bytes (a binary key in hex). */
static void key_str(const struct lb_stktable *t, const struct lb_stkkey *k, char *out, size_t len)
{
    int64_t v;
    unsigned i;

    switch (t->type) {
    case LB_STK_IP:
        inet_ntop(AF_INET, k->data, out, (socklen_t)len);
        break;
    case LB_STK_IPV6:
        inet_ntop(AF_INET6, k->data, out, (socklen_t)len);
        break;
    case LB_STK_INT:
        memcpy(&v, k->data, sizeof(v));
        snprintf(out, len, "%" PRId64, v);
        break;
    case LB_STK_BIN: /* uppercase hex, every byte of the key: HAProxy's form */
        for (i = 0; i < k->len && 2 * i + 2 < len; i++)
            snprintf(out + 2 * i, 3, "%02X", k->data[i]);
        out[2 * i] = '\0';
        break;
    default:
        snprintf(out, len, "%.*s", (int)k->len, (const char *)k->data);
    }
}

/* ---- entries (callers hold the lock) ---- */

/* FNV-1a over the key bytes: cheap and well spread for addresses. Even a
 * flood of crafted keys cannot make a chain longer than the table's size,
 * which make_room() bounds. */
static size_t hash_key(const struct lb_stktable *t, const struct lb_stkkey *k)
{
    uint64_t h = 1469598103934665603ull;
    unsigned i;

    for (i = 0; i < k->len; i++)
        h = (h ^ k->data[i]) * 1099511628211ull;
    return (size_t)(h & (t->nbuckets - 1));
}

static void lru_unlink(struct lb_stktable *t, struct lb_stkentry *e)
{
    if (e->lprev)
        e->lprev->lnext = e->lnext;
    else
        t->lru_head = e->lnext;
    if (e->lnext)
        e->lnext->lprev = e->lprev;
    else
        t->lru_tail = e->lprev;
    e->lprev = e->lnext = NULL;
}

static void lru_front(struct lb_stktable *t, struct lb_stkentry *e)
{
    e->lnext = t->lru_head;
    e->lprev = NULL;
    if (t->lru_head)
        t->lru_head->lprev = e;
    t->lru_head = e;
    if (!t->lru_tail)
        t->lru_tail = e;
}

/* Entries come zeroed from calloc, not self-linked: inupd says whether
 * unode is in the list. */
static void upd_unlink(struct lb_stkentry *e)
{
    if (!e->inupd)
        return;
    lk_list_del(&e->unode);
    e->inupd = 0;
}

/* A change made here, for the peers: the entry takes the next id and goes to
 * the tail, so the list stays in id order and each entry is pushed once for
 * its latest state however often it changed since the last push. */
static void mark_local(struct lb_stktable *t, struct lb_stkentry *e)
{
    if (!t->peers)
        return;
    upd_unlink(e);
    e->upd = ++t->localupdate;
    lk_list_append(&t->upd, &e->unode);
    e->inupd = 1;
    if (t->on_update)
        t->on_update(t->on_update_arg);
}

static void entry_del(struct lb_stktable *t, struct lb_stkentry *e)
{
    upd_unlink(e);
    struct lb_stkentry **pp = &t->buckets[hash_key(t, &e->key)];

    while (*pp && *pp != e)
        pp = &(*pp)->next;
    if (*pp)
        *pp = e->next;
    lru_unlink(t, e);
    t->used--;
    free(e);
}

static int expired(const struct lb_stktable *t, const struct lb_stkentry *e, uint64_t now)
{
    return t->expire_ms && e->ref == 0 && e->exp <= now;
}

/* Drop expired entries from the LRU tail, and the oldest unreferenced one
 * when the table is full and may purge. */
/* Walks from the tail (least recently used). Without "nopurge" a full table
 * evicts its oldest idle entries, as HAProxy does, so new clients are still
 * tracked; with "nopurge" new keys are refused instead and the known ones
 * keep their counters. */
static void make_room(struct lb_stktable *t, uint64_t now)
{
    struct lb_stkentry *e, *p;

    for (e = t->lru_tail; e; e = p) {
        p = e->lprev;
        if (expired(t, e, now) || (t->used >= t->size && !t->nopurge && e->ref == 0))
            entry_del(t, e);
        else if (t->used < t->size)
            break;
    }
}

static void touch(struct lb_stktable *t, struct lb_stkentry *e, uint64_t now)
{
    e->exp = now + t->expire_ms;
    lru_unlink(t, e);
    lru_front(t, e);
}

static struct lb_stkentry *lookup(struct lb_stktable *t, const struct lb_stkkey *k, uint64_t now)
{
    struct lb_stkentry *e;

    for (e = t->buckets[hash_key(t, k)]; e; e = e->next)
        if (e->key.len == k->len && memcmp(e->key.data, k->data, k->len) == 0)
            break;
    if (e && expired(t, e, now)) {
        entry_del(t, e);
        e = NULL;
    }
    return e;
}

/* *created says whether the entry is new (NULL: the table is full of
 * referenced entries). */
static struct lb_stkentry *find_or_create(struct lb_stktable *t,
                                          const struct lb_stkkey *k,
                                          uint64_t now,
                                          int *created)
{
    struct lb_stkentry *e = lookup(t, k, now);
    size_t b = hash_key(t, k);

    *created = 0;
    if (e)
        return e;
    make_room(t, now);
    e = t->used < t->size ? calloc(1, sizeof(*e)) : NULL;
    if (e) {
        e->key = *k;
        e->next = t->buckets[b];
        t->buckets[b] = e;
        lru_front(t, e);
        t->used++;
        *created = 1;
    }
    return e;
}

/* An expired entry found by lookup is dropped and recreated rather than
 * revived, so its counters start from zero as if it had been purged on time.
 * touch() both extends the expiry and moves the entry to the LRU head. */
struct lb_stkentry *lb_stk_get(struct lb_stktable *t,
                               const struct lb_stkkey *k,
                               int create,
                               uint64_t now_ms)
{
    struct lb_stkentry *e;
    int created = 0;

    pthread_mutex_lock(&t->lock);
    e = create ? find_or_create(t, k, now_ms, &created) : lookup(t, k, now_ms);
    /* a new key is a change the peers learn (HAProxy pushes tracked keys
     * even when the table stores nothing) */
    if (created)
        mark_local(t, e);
    if (e) {
        e->ref++;
        touch(t, e, now_ms);
    }
    pthread_mutex_unlock(&t->lock);
    return e;
}

/* A double release is tolerated: ref never goes below zero. */
void lb_stk_release(struct lb_stktable *t, struct lb_stkentry *e)
{
    pthread_mutex_lock(&t->lock);
    if (e->ref)
        e->ref--;
    pthread_mutex_unlock(&t->lock);
}

/* The window slides by whole periods: after one idle period the current count
 * becomes the previous one; after two or more, both are zero. tick is
 * realigned to a multiple of the period from its start so rates of different
 * entries stay comparable. */
static void frq_roll(struct frq *f, uint32_t period, uint64_t now)
{
    uint64_t el;

    if (now < f->tick + period)
        return;
    el = now - f->tick;
    f->prev = el < 2ull * period ? f->curr : 0;
    f->curr = 0;
    f->tick += el / period * period;
}

/* Reads a copy: a reader must not move the window, or two readers at the same
 * instant would see different rates. */
static uint32_t frq_read(const struct frq *f, uint32_t period, uint64_t now)
{
    struct frq c = *f;
    uint64_t remain;

    if (!period)
        return 0;
    frq_roll(&c, period, now);
    remain = c.tick + period - now;
    return c.curr + (uint32_t)((uint64_t)c.prev * remain / period);
}

static int rate_of(int d)
{
    switch (d) {
    case LB_STK_GPC0:
        return LB_STK_GPC0_RATE;
    case LB_STK_CONN_CNT:
        return LB_STK_CONN_RATE;
    case LB_STK_SESS_CNT:
        return LB_STK_SESS_RATE;
    case LB_STK_HTTP_REQ_CNT:
        return LB_STK_HTTP_REQ_RATE;
    case LB_STK_HTTP_ERR_CNT:
        return LB_STK_HTTP_ERR_RATE;
    case LB_STK_BYTES_IN_CNT:
        return LB_STK_BYTES_IN_RATE;
    case LB_STK_BYTES_OUT_CNT:
        return LB_STK_BYTES_OUT_RATE;
    default:
        return -1;
    }
}

/* Counters saturate at zero (conn_cur decremented on a session that was
 * counted before a "clear table"). Only increments feed the rate: a decrement
 * is a session ending, not an event. */
void lb_stk_add(struct lb_stktable *t,
                struct lb_stkentry *e,
                enum lb_stk_data d,
                int64_t delta,
                uint64_t now_ms)
{
    int r = rate_of(d);

    pthread_mutex_lock(&t->lock);
    if (t->store & (1u << d)) {
        e->val[d] += delta;
        if (e->val[d] < 0)
            e->val[d] = 0;
    }
    if (r >= 0 && (t->store & (1u << r)) && delta > 0) {
        if (!e->frq[r].tick)
            e->frq[r].tick = now_ms;
        frq_roll(&e->frq[r], t->period_ms[r], now_ms);
        e->frq[r].curr += (uint32_t)delta;
    }
    touch(t, e, now_ms);
    mark_local(t, e);
    pthread_mutex_unlock(&t->lock);
}

void lb_stk_set(struct lb_stktable *t,
                struct lb_stkentry *e,
                enum lb_stk_data d,
                int64_t v,
                uint64_t now_ms)
{
    pthread_mutex_lock(&t->lock);
    if (t->store & (1u << d))
        e->val[d] = v;
    touch(t, e, now_ms);
    mark_local(t, e);
    pthread_mutex_unlock(&t->lock);
}

static int64_t value(const struct lb_stktable *t, const struct lb_stkentry *e, int d, uint64_t now)
{
    return is_rate(d) ? frq_read(&e->frq[d], t->period_ms[d], now) : e->val[d];
}

int lb_stk_read(struct lb_stktable *t,
                struct lb_stkentry *e,
                enum lb_stk_data d,
                uint64_t now_ms,
                int64_t *ret)
{
    if (!(t->store & (1u << d)))
        return -ENOENT;
    pthread_mutex_lock(&t->lock);
    *ret = value(t, e, d, now_ms);
    pthread_mutex_unlock(&t->lock);
    return 0;
}

/* ---- show / clear ---- */

static const char *type_name(const struct lb_stktable *t)
{
    return type_names[t->type];
}

static void show_head(struct lk_sb *sb, const struct lb_stktable *t)
{
    lk_sb_printf(sb, "# table: %s, type: %s, size:%u, used:%u\n", t->name, type_name(t), t->size,
                 t->used);
}

void lb_stk_show_list(struct lk_sb *sb, struct lb_stktable *all)
{
    struct lb_stktable *t;

    for (t = all; t; t = t->next) {
        pthread_mutex_lock(&t->lock);
        show_head(sb, t);
        pthread_mutex_unlock(&t->lock);
    }
}

static int filter_ok(int64_t v, const char *op, int64_t ref)
{
    return (!strcmp(op, "eq") && v == ref) || (!strcmp(op, "ne") && v != ref) ||
           (!strcmp(op, "gt") && v > ref) || (!strcmp(op, "ge") && v >= ref) ||
           (!strcmp(op, "lt") && v < ref) || (!strcmp(op, "le") && v <= ref);
}

static void show_entry(struct lk_sb *sb,
                       const struct lb_stktable *t,
                       const struct lb_stkentry *e,
                       uint64_t now)
{
    char key[INET6_ADDRSTRLEN + 2 * LB_STK_KEY_MAX];
    int d;

    key_str(t, &e->key, key, sizeof(key));
    lk_sb_printf(sb, "%p: key=%s use=%u exp=%llu", (const void *)e, key, e->ref,
                 (unsigned long long)(t->expire_ms && e->exp > now ? e->exp - now : 0));
    for (d = 0; d < LB_STK_DATA_MAX; d++) {
        if (!(t->store & (1u << d)))
            continue;
        if (is_rate(d))
            lk_sb_printf(sb, " %s(%u)=%lld", data_names[d], t->period_ms[d],
                         (long long)value(t, e, d, now));
        else
            lk_sb_printf(sb, " %s=%lld", data_names[d], (long long)e->val[d]);
    }
    lk_sb_puts(sb, "\n");
}

/* Expired entries are removed before showing so the "used" count and the
 * listing agree; the list runs oldest first, as HAProxy's output does. */
int lb_stk_show(struct lk_sb *sb,
                struct lb_stktable *t,
                const struct lb_stk_filter *f,
                uint64_t now_ms)
{
    const char *key = f->key;
    struct lb_stkentry *e, *p;
    struct lb_stkkey k;

    if (key && lb_stk_key_text(t, key, &k) < 0)
        return -EINVAL;
    pthread_mutex_lock(&t->lock);
    for (e = t->lru_tail; e; e = p) {
        p = e->lprev;
        if (expired(t, e, now_ms))
            entry_del(t, e);
    }
    show_head(sb, t);
    for (e = t->lru_tail; e; e = e->lprev) {
        if (key && (e->key.len != k.len || memcmp(e->key.data, k.data, k.len) != 0))
            continue;
        if (f->data >= 0 && !filter_ok(value(t, e, f->data, now_ms), f->op, f->val))
            continue;
        show_entry(sb, t, e, now_ms);
    }
    pthread_mutex_unlock(&t->lock);
    lk_sb_puts(sb, "\n");
    return 0;
}

/* Referenced entries survive: a session tracking one still holds a pointer to
 * it (it disappears once released and expired). */
void lb_stk_clear(struct lb_stktable *t, const char *key, uint64_t now_ms)
{
    struct lb_stkentry *e, *p;
    struct lb_stkkey k;

    if (key && lb_stk_key_text(t, key, &k) < 0)
        return;
    pthread_mutex_lock(&t->lock);
    for (e = t->lru_tail; e; e = p) {
        p = e->lprev;
        if (e->ref == 0 &&
            (!key || (e->key.len == k.len && memcmp(e->key.data, k.data, k.len) == 0)))
            entry_del(t, e);
    }
    pthread_mutex_unlock(&t->lock);
}

/* ---- peers ---- */

static void snap(const struct lb_stktable *t,
                 const struct lb_stkentry *e,
                 uint64_t now,
                 struct lb_stk_snap *s)
{
    struct frq c;
    int d;

    memset(s, 0, sizeof(*s));
    s->key = e->key;
    s->upd = e->upd;
    if (t->expire_ms)
        s->exp_ms = e->exp > now ? (uint32_t)LK_MIN(e->exp - now, (uint64_t)UINT32_MAX) : 0;
    for (d = 0; d < LB_STK_DATA_MAX; d++) {
        if (!(t->store & (1u << d)))
            continue;
        if (!is_rate(d)) {
            s->val[d] = e->val[d];
            continue;
        }
        /* a window never started is sent empty; one started is rolled to now
         * first, so "ms since the period began" is less than the period */
        c = e->frq[d];
        if (!c.tick)
            continue;
        frq_roll(&c, t->period_ms[d], now);
        s->ago[d] = (uint32_t)(now - c.tick);
        s->curr[d] = c.curr;
        s->prev[d] = c.prev;
    }
}

/* Ids wrap: "after" is a signed distance, as HAProxy compares them. */
static int upd_after(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}

unsigned lb_stk_pending(struct lb_stktable *t,
                        uint32_t since,
                        struct lb_stk_snap *out,
                        unsigned max,
                        uint64_t now_ms)
{
    struct lk_list *it;
    struct lb_stkentry *e;
    unsigned n = 0;

    pthread_mutex_lock(&t->lock);
    /* from the tail back to the first change not yet sent: the cost is the
     * backlog, not the table */
    for (it = t->upd.prev; it != &t->upd && it->prev != &t->upd &&
                           upd_after(LK_LIST_ELEM(it->prev, struct lb_stkentry, unode)->upd, since);
         it = it->prev)
        ;
    for (; it != &t->upd && n < max; it = it->next) {
        e = LK_LIST_ELEM(it, struct lb_stkentry, unode);
        if (upd_after(e->upd, since))
            snap(t, e, now_ms, &out[n++]);
    }
    pthread_mutex_unlock(&t->lock);
    return n;
}

uint32_t lb_stk_walk(struct lb_stktable *t,
                     void (*cb)(const struct lb_stk_snap *s, void *arg),
                     void *arg,
                     uint64_t now_ms)
{
    struct lb_stkentry *e, *p;
    struct lb_stk_snap s;
    uint32_t last;

    pthread_mutex_lock(&t->lock);
    for (e = t->lru_tail; e; e = p) {
        p = e->lprev;
        if (expired(t, e, now_ms))
            entry_del(t, e);
        else {
            snap(t, e, now_ms, &s);
            cb(&s, arg);
        }
    }
    last = t->localupdate;
    pthread_mutex_unlock(&t->lock);
    return last;
}

/* The peer's values replace ours (HAProxy's rule: the last writer wins);
 * a rate's window is rebuilt from how long ago the peer's began. */
int lb_stk_learn(struct lb_stktable *t,
                 const struct lb_stk_snap *s,
                 uint32_t data,
                 int timed,
                 uint64_t now_ms)
{
    struct lb_stkentry *e;
    uint32_t take = data & t->store & ~(1u << LB_STK_CONN_CUR);
    int d, created;

    pthread_mutex_lock(&t->lock);
    e = find_or_create(t, &s->key, now_ms, &created);
    if (!e) {
        pthread_mutex_unlock(&t->lock);
        return -ENOSPC;
    }
    for (d = 0; d < LB_STK_DATA_MAX; d++) {
        if (!(take & (1u << d)))
            continue;
        if (!is_rate(d)) {
            e->val[d] = s->val[d];
            continue;
        }
        e->frq[d].tick = now_ms > s->ago[d] ? now_ms - s->ago[d] : 1;
        e->frq[d].curr = s->curr[d];
        e->frq[d].prev = s->prev[d];
    }
    touch(t, e, now_ms);
    if (timed && t->expire_ms)
        e->exp = now_ms + LK_MIN((uint64_t)s->exp_ms, t->expire_ms);
    upd_unlink(e);
    pthread_mutex_unlock(&t->lock);
    return 0;
}
