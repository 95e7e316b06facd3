/* stktable.h - HAProxy's stick tables: keyed entries with counters, rates
 * and a server for persistence, shared by every worker thread.
 *
 *   stick-table type ip|ipv6|integer|string|binary [len N] size N
 *               [expire T] [nopurge] [peers NAME] [store DATA[,DATA...]]
 *
 * DATA: server_id, gpt0, gpc0, gpc0_rate(P), conn_cnt, conn_rate(P),
 * conn_cur, sess_cnt, sess_rate(P), http_req_cnt, http_req_rate(P),
 * http_err_cnt, http_err_rate(P), bytes_in_cnt, bytes_in_rate(P),
 * bytes_out_cnt, bytes_out_rate(P). Rates are HAProxy's sliding-window
 * frequency counters over period P.
 *
 * Entries are found by key, created on demand, referenced while a session
 * tracks them, expire `expire` after their last update when nobody holds
 * them, and the least recently used unreferenced entry makes room when the
 * table is full (unless nopurge). One mutex per table: an update is a few
 * instructions under it.
 *
 * A table shared with "peers NAME" also numbers its local updates: each
 * change a session makes gives the entry the next update id and moves it to
 * the tail of the update list, so lbd/core/peers.c, on the control thread,
 * pushes every change once whichever worker thread made it, in order, and
 * resumes from the last id a peer acknowledged. Entries learnt from a peer
 * leave that list (they are not echoed back). */
#ifndef LB_STKTABLE_H
#define LB_STKTABLE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/list.h"
#include "common/strbuf.h"

enum lb_stk_type { LB_STK_IP = 0, LB_STK_IPV6, LB_STK_INT, LB_STK_STR, LB_STK_BIN };

/* Data types in HAProxy's order (that of "show table"). */
enum lb_stk_data {
    LB_STK_SERVER_ID = 0,
    LB_STK_GPT0,
    LB_STK_GPC0,
    LB_STK_GPC0_RATE,
    LB_STK_CONN_CNT,
    LB_STK_CONN_RATE,
    LB_STK_CONN_CUR,
    LB_STK_SESS_CNT,
    LB_STK_SESS_RATE,
    LB_STK_HTTP_REQ_CNT,
    LB_STK_HTTP_REQ_RATE,
    LB_STK_HTTP_ERR_CNT,
    LB_STK_HTTP_ERR_RATE,
    LB_STK_BYTES_IN_CNT,
    LB_STK_BYTES_IN_RATE,
    LB_STK_BYTES_OUT_CNT,
    LB_STK_BYTES_OUT_RATE,
    LB_STK_DATA_MAX
};

#define LB_STK_KEY_MAX 64 /* longest string or binary key (len is capped to it) */

struct lb_stkentry;
struct lb_peers_sec;

struct lb_stktable {
    struct lb_stktable *next; /* every table of a config */
    char *name;               /* the proxy's name */
    uint8_t type;             /* enum lb_stk_type */
    unsigned keylen;          /* strings: bytes kept of a key */
    unsigned wire_keylen;     /* HAProxy's key size, as the peers protocol announces it */
    int explicit_len;         /* "len" was given */
    unsigned size;
    uint64_t expire_ms;
    int nopurge;
    uint32_t store;                      /* 1u << enum lb_stk_data */
    uint32_t period_ms[LB_STK_DATA_MAX]; /* rates */
    pthread_mutex_t lock;
    struct lb_stkentry **buckets;
    size_t nbuckets;
    struct lb_stkentry *lru_head, *lru_tail; /* most recent first */
    unsigned used;
    const char *file; /* where it was declared */
    unsigned line;
    /* peers (all NULL/0 unless "peers NAME"); guarded by lock */
    char *peers_name;             /* the section named, as written */
    const char *wire_name;        /* the name peers know it by (NULL: name) */
    struct lb_peers_sec *peers;   /* lbd/cfg/peers_cfg.h, set by its validation */
    uint32_t localupdate;         /* id of the last local change */
    struct lk_list upd;           /* local changes (entries' unode), oldest first */
    void (*on_update)(void *arg); /* called (under lock) after a local change */
    void *on_update_arg;
};

/* A key, built from a sample. */
struct lb_stkkey {
    uint8_t len;
    uint8_t data[LB_STK_KEY_MAX];
};

/* An entry as the peers protocol carries it: key, remaining lifetime and
 * every stored value; a rate as its window (ms since the current period
 * began, events in it and in the previous one). */
struct lb_stk_snap {
    struct lb_stkkey key;
    uint32_t upd;
    uint32_t exp_ms; /* 0: the table does not expire */
    int64_t val[LB_STK_DATA_MAX];
    uint32_t ago[LB_STK_DATA_MAX], curr[LB_STK_DATA_MAX], prev[LB_STK_DATA_MAX];
};

/* Parse "stick-table ..." (argv[0] is the keyword) into a new table named
 * `name`. Returns 0 and *ret (owned by the caller), or -EINVAL/-ENOMEM
 * with *err. */
int lb_stk_parse(const char *name, int argc, char **argv, struct lb_stktable **ret, char **err);

/* NULL-safe; frees the entries too; returns NULL. */
struct lb_stktable *lb_stk_free(struct lb_stktable *t);

/* The name of a data type ("http_req_rate"), and its lookup; -1 if none. The name is a static
 * string. */
const char *lb_stk_data_name(enum lb_stk_data d);
int lb_stk_data_find(const char *name, size_t len);

/* Key from an address (ip/ipv6 tables: an IPv4 address in an ipv6 table is
 * mapped), an integer or a string (sample bytes: a binary table takes them
 * as they are, cut or padded with zeros to its len, as HAProxy keys it).
 * Returns 0, or -EINVAL when the value does not fit the table's type. */
int lb_stk_key_addr(const struct lb_stktable *t, const struct lk_addr *a, struct lb_stkkey *k);
int lb_stk_key_int(const struct lb_stktable *t, int64_t v, struct lb_stkkey *k);
int lb_stk_key_str(const struct lb_stktable *t, const char *s, size_t n, struct lb_stkkey *k);

/* Key from an operator's text ("show table NAME key K"): as
 * lb_stk_key_str(), except that a binary table reads K as hex digits, the
 * form "show table" prints its keys in. */
int lb_stk_key_text(const struct lb_stktable *t, const char *s, struct lb_stkkey *k);

/* Entries in use now (table_cnt). */
unsigned lb_stk_used(struct lb_stktable *t);

/* Find the entry for k, creating it when `create` (NULL when absent, or
 * when the table is full of referenced entries). The entry is returned
 * referenced: release it with lb_stk_release(). now_ms: monotonic. */
struct lb_stkentry *lb_stk_get(struct lb_stktable *t,
                               const struct lb_stkkey *k,
                               int create,
                               uint64_t now_ms);

/* Drop the reference lb_stk_get() returned; e may be expired and freed
 * once unreferenced, so the caller must not use it after this. */
void lb_stk_release(struct lb_stktable *t, struct lb_stkentry *e);

/* Add delta to a counter (and to its rate when the table stores one):
 * `d` is a *_CNT, *_CUR or GPC0 type; the matching *_RATE moves with it. */
void lb_stk_add(struct lb_stktable *t,
                struct lb_stkentry *e,
                enum lb_stk_data d,
                int64_t delta,
                uint64_t now_ms);

/* Set a plain value (server_id, gpt0). */
void lb_stk_set(struct lb_stktable *t,
                struct lb_stkentry *e,
                enum lb_stk_data d,
                int64_t v,
                uint64_t now_ms);

/* Read a value; a rate is events per its period now. Returns 0 and *ret,
 * or -ENOENT when the table does not store `d`. */
int lb_stk_read(struct lb_stktable *t,
                struct lb_stkentry *e,
                enum lb_stk_data d,
                uint64_t now_ms,
                int64_t *ret);

/* "show table": the list (t NULL: every table of `all`), or one table's
 * entries, optionally filtered by key or by "data.TYPE OP VALUE". */
void lb_stk_show_list(struct lk_sb *sb, struct lb_stktable *all);

/* Which entries "show table NAME" lists: `key` NULL for any key; `data`
 * an enum lb_stk_data, or -1 for no "data.TYPE OP VALUE" filter, then
 * `op` (eq, ne, gt, ge, lt, le) and `val`. Strings borrowed. */
struct lb_stk_filter {
    const char *key;
    int data;
    const char *op;
    int64_t val;
};

/* One table's entries that pass `f`, into sb. Returns 0, or -EINVAL when
 * f->key is not a key of the table's type. */
int lb_stk_show(struct lk_sb *sb,
                struct lb_stktable *t,
                const struct lb_stk_filter *f,
                uint64_t now_ms);

/* Peers: the local changes after update id `since` (ids compare modulo
 * 2^32), oldest first, at most `max` of them, into out. Returns how many. */
unsigned lb_stk_pending(struct lb_stktable *t,
                        uint32_t since,
                        struct lb_stk_snap *out,
                        unsigned max,
                        uint64_t now_ms);

/* Peers: every entry (a full resync), oldest first, through cb with the
 * table locked: cb must not call back into the table. Returns the id of the
 * last local change, where incremental pushes resume after the resync. */
uint32_t lb_stk_walk(struct lb_stktable *t,
                     void (*cb)(const struct lb_stk_snap *s, void *arg),
                     void *arg,
                     uint64_t now_ms);

/* Peers: store what a peer sent for s->key: the values of `data` (1 << enum
 * lb_stk_data) the table also stores, except conn_cur, which counts this
 * instance's own connections; s->exp_ms when `timed`, else the table's
 * expire. The entry is created if needed (not when the table is full of
 * referenced entries: then the update is dropped, returns -ENOSPC). */
int lb_stk_learn(struct lb_stktable *t,
                 const struct lb_stk_snap *s,
                 uint32_t data,
                 int timed,
                 uint64_t now_ms);

/* "clear table": one key, or every unreferenced entry. */
void lb_stk_clear(struct lb_stktable *t, const char *key, uint64_t now_ms);

#endif
