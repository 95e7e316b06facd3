/* probe.h - one health probe in flight, on the daemon's loop.
 *
 * chk_probe_start() opens what the probe kind needs (a TCP stream for tcp,
 * http and mysql; a MariaDB Connector/C connection for galera), arms a
 * timeout and calls `cb` exactly once with the result, unless
 * chk_probe_cancel() came first. Nothing blocks: connects, reads and writes
 * are libuv callbacks, Connector/C is driven by uv_poll on its socket.
 *
 * Lifetime: the probe owns its handles and frees itself in the close
 * callback of the last one, after the result was delivered or the probe
 * cancelled; the caller forgets the pointer at either point. `cfg` must stay
 * valid until then or until chk_probe_cancel(). */
#ifndef CHK_PROBE_H
#define CHK_PROBE_H

#include <stdint.h>
#include <uv.h>

#include "common/addr.h"
#include "proto/feed.h"

struct chk_result {
    enum feed_result result;
    int ok;        /* counts as a success for rise/fall */
    int code;      /* HTTP status, MySQL error, wsrep_local_state; -1 */
    int read_only; /* -1 unknown */
    uint64_t latency_us;
    char reason[FEED_REASON_MAX];
};

typedef void (*chk_probe_cb)(void *ud, const struct chk_result *r);

struct chk_probe;

/* What a probe checks: the target's parameters (borrowed until the
 * callback runs or the probe is cancelled), its address (copied) and the
 * whole check's timeout (0: 2 s). */
struct chk_probe_what {
    const struct feed_target *cfg;
    const struct lk_addr *addr;
    uint64_t timeout_ms;
};

/* Start a probe of what->cfg->kind against what->addr on loop; cb(ud, ...)
 * gets the result once. Returns 0 (and *ret), or a negative errno if
 * nothing could be started (the callback is then not called). *ret is
 * valid until the callback has run or chk_probe_cancel() was called; the
 * probe frees itself after either. */
int chk_probe_start(struct chk_probe **ret,
                    uv_loop_t *loop,
                    const struct chk_probe_what *what,
                    chk_probe_cb cb,
                    void *ud);

/* Drop a probe in flight: its callback will not run. NULL-safe. */
void chk_probe_cancel(struct chk_probe *p);

/* Check a target's probe parameters before it is accepted (regexes
 * compile, a mysql/galera user is set...). 0 or -EINVAL with *why. */
int chk_probe_validate(const struct feed_target *cfg, const char **why);

/* The judgement of an HTTP response (exported for unit tests): `buf` holds
 * what was read so far, `eof` tells if the server closed. Returns 1 when
 * decided (r filled), 0 when more bytes are needed. */
int chk_http_judge(const struct feed_target *cfg,
                   const char *buf,
                   size_t len,
                   int eof,
                   struct chk_result *r);

/* Build the HTTP request of a target into a malloc'ed buffer (*ret_buf,
 * *ret_len; the caller frees it once the write completed). addr is the
 * target's, used for the Host field of HTTP/1.1. 0 or -ENOMEM. */
int chk_http_request(const struct feed_target *cfg,
                     const struct lk_addr *addr,
                     char **ret_buf,
                     size_t *ret_len);

/* The judgement of a MySQL check exchange (greeting, then OK/ERR when a
 * user logs in). Same contract as chk_http_judge(). */
int chk_mysql_judge(const struct feed_target *cfg,
                    const uint8_t *buf,
                    size_t len,
                    int eof,
                    struct chk_result *r);

/* What the galera probe read from a node: SHOW STATUS's wsrep variables
 * and @@read_only. chk_galera_vars_init() sets "unknown" (-1, ""). */
struct chk_galera_vars {
    int local_state; /* wsrep_local_state */
    int read_only;   /* -1 unknown, 0, 1 */
    char comment[64], cluster[32], ready[8];
};

/* Mark every field of v unknown; the probe then fills what the node
 * answers. */
void chk_galera_vars_init(struct chk_galera_vars *v);

/* One SHOW STATUS row (NAME VALUE, the name compared without case); a
 * variable the verdict does not use is ignored. */
void chk_galera_var(struct chk_galera_vars *v, const char *name, const char *value);

/* Galera verdict from the values the probe read (exported for tests). */
void chk_galera_judge(const struct feed_target *cfg,
                      const struct chk_galera_vars *v,
                      struct chk_result *r);

/* Fill r with a result and a printf reason. */
void chk_result_set(struct chk_result *r, enum feed_result res, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Fill r as HAProxy reports a check: reason "DESC[, code: N][, info:
 * \"INFO\"]" (the code for L7OK, L7OKC and L7STS only, as HAProxy's log
 * lines have it); info may be NULL. */
void chk_result_haproxy(struct chk_result *r, enum feed_result res, int code, const char *info);

#endif
