/* cfgkw.h - keyword tables and bounded value readers for config dialects.
 *
 * Each module declares a table of {name, handler, min_args, max_args} at the
 * bottom of its file (HAProxy's srv_kws, Keepalived's install_keyword). The
 * dialect's parser looks the first argument up with lk_cfgkw_find() and, when
 * nothing matches, names the closest keyword with lk_cfgkw_suggest(). */
#ifndef LK_CFGKW_H
#define LK_CFGKW_H

#include <stdint.h>

#include "common/compiler.h"

/* Handler results: bits, so a handler can warn and still succeed. */
#define LK_CFG_OK    0
#define LK_CFG_WARN  (1 << 0)
#define LK_CFG_FATAL (1 << 1)

/* A handler gets the whole line (argv[0] is the keyword), the dialect's
 * context and fills *err (malloc'ed via lk_cfg_err) when it fails or warns. */
typedef int (*lk_cfgkw_fn)(int argc, char **argv, void *ctx, char **err);

struct lk_cfgkw {
    const char *name;
    lk_cfgkw_fn fn;
    int min_args;   /* not counting the keyword itself */
    int max_args;   /* -1: unbounded */
    unsigned flags; /* dialect-specific (e.g. which sections accept it) */
};

/* Set *err (replacing what was there, malloc'ed) to "FILE:LINE: message",
 * the message formatted from fmt ("out of memory" if it cannot be); returns
 * LK_CFG_FATAL, for handlers to "return lk_cfg_fail_at(...)". The dialects
 * wrap it with their context's file and line (lb_cfg_fail, vr__fail). */
int lk_cfg_fail_at(char **err, const char *file, unsigned line, const char *fmt, ...)
    LK_PRINTF(4, 5);

/* Find `name` in a table ended by a {NULL} entry. NULL if not found. */
const struct lk_cfgkw *lk_cfgkw_find(const struct lk_cfgkw *tab, const char *name);

/* Closest name in the table (edit distance <= 2, or a shared prefix of at
 * least 4), for "did you mean" hints; NULL if nothing is close. */
const char *lk_cfgkw_suggest(const struct lk_cfgkw *tab, const char *name);

/* The hint after an unknown name's message, "; did you mean 'HINT'?", or
 * nothing when hint is NULL: a printf format piece and its arguments, so the
 * three dialects word it alike. */
#define LK_CFGKW_HINT_FMT "%s%s%s"
#define LK_CFGKW_HINT_ARGS(hint)                                                                   \
    (hint) ? "; did you mean '" : "", (hint) ? (hint) : "", (hint) ? "'?" : ""

/* 1 when a line gives kw `nargs` arguments (the keyword not counted) within
 * its min_args..max_args, else 0. */
int lk_cfgkw_nargs_ok(const struct lk_cfgkw *kw, int nargs);

/* Edit distance (Levenshtein) between two short strings, capped at 99. */
unsigned lk_edit_distance(const char *a, const char *b);

/* Unsigned decimal in [min, max]. 0, or -EINVAL / -ERANGE; *ret only on
 * success. */
int lk_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* Signed decimal in [min, max]. */
int lk_parse_int(const char *s, int64_t min, int64_t max, int64_t *ret);

/* A time with HAProxy units: us, ms, s, m, h, d; a bare number is in
 * `default_unit_ms` milliseconds (1 for HAProxy, 1000 for Keepalived). The
 * result is in milliseconds, rounded up from microseconds, and bounded by
 * max_ms. */
int lk_parse_time_ms(const char *s, uint64_t default_unit_ms, uint64_t max_ms, uint64_t *ret);

/* A size with k, m, g suffixes (powers of 1024), bounded by max. */
int lk_parse_size(const char *s, uint64_t max, uint64_t *ret);

/* Octal file mode such as 660 or 0600. */
int lk_parse_mode(const char *s, unsigned *ret);

#endif
