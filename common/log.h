/* log.h - daemon logging to stderr (journald) with syslog levels.
 *
 * Only the daemon layers log; common/ and proto/ return error codes. When
 * stderr is connected to journald (JOURNAL_STREAM is set) lines carry the
 * "<N>" level prefix journald understands, otherwise a timestamp and level
 * name for a person at a terminal. Each line is written with one write(2)
 * so lines from several threads do not interleave. */
#ifndef LK_LOG_H
#define LK_LOG_H

#include <stdatomic.h>
#include <stdint.h>

#include "common/compiler.h"

enum lk_log_level {
    LK_LOG_EMERG = 0,
    LK_LOG_ALERT,
    LK_LOG_CRIT,
    LK_LOG_ERR,
    LK_LOG_WARNING,
    LK_LOG_NOTICE,
    LK_LOG_INFO,
    LK_LOG_DEBUG,
    LK_LOG_MAX
};

/* Current threshold; messages above it are not even formatted. */
extern int lk_log_threshold;

/* Set the program name shown in each line and the threshold. */
void lk_log_init(const char *ident, int level);

/* Parse "debug", "info", ... into a level; returns -EINVAL if unknown. */
int lk_log_level_parse(const char *name);

void lk_log_write(int level, const char *fmt, ...) LK_PRINTF(2, 3);

#define lk_log(level, ...)                                                                         \
    do {                                                                                           \
        if ((level) <= lk_log_threshold)                                                           \
            lk_log_write((level), __VA_ARGS__);                                                    \
    } while (0)

/* Log with errno set from a negative error code (so "%m" works), and return
 * the code, for "return lk_log_errno(r, LK_LOG_ERR, "bind %s: %m", a);". */
int lk_log_errno(int err, int level, const char *fmt, ...) LK_PRINTF(3, 4);

/* Token bucket for messages a peer can trigger (BIRD's log_rl): at most
 * `burst` messages per `interval_ms`; the suppressed count is reported with
 * the next message that passes. Thread-safe (atomics, no lock): lbd's
 * worker threads share one per message class; under a race a window may
 * let a message or two more through, never fewer. */
struct lk_ratelimit {
    _Atomic uint64_t window_start_ms;
    unsigned interval_ms;
    unsigned burst;
    _Atomic unsigned used;
    _Atomic unsigned suppressed;
};

#define LK_RATELIMIT_INIT(ms, n)                                                                   \
    {                                                                                              \
        0, (ms), (n), 0, 0                                                                         \
    }

/* Returns 1 if a message may be logged now, 0 if it must be dropped. */
int lk_ratelimit_ok(struct lk_ratelimit *rl);

#define lk_log_rl(rl, level, ...)                                                                  \
    do {                                                                                           \
        if ((level) <= lk_log_threshold && lk_ratelimit_ok(rl))                                    \
            lk_log_write((level), __VA_ARGS__);                                                    \
    } while (0)

#endif
