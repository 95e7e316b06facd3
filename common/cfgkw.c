/* cfgkw.c - see cfgkw.h. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfgkw.h"
#include "common/cfglex.h"
#include "common/strbuf.h"

int lk_cfg_fail_at(char **err, const char *file, unsigned line, const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = lk_vfmt(fmt, ap);
    va_end(ap);
    /* the position first, as HAProxy's "[ALERT] ... : parsing [FILE:LINE]"
     * and keepalived's messages both lead with it */
    lk_cfg_err(err, "%s:%u: %s", file, line, msg ? msg : "out of memory");
    free(msg);
    return LK_CFG_FATAL;
}

const struct lk_cfgkw *lk_cfgkw_find(const struct lk_cfgkw *tab, const char *name)
{
    /* tables are short (tens of keywords) and read once per line at load:
     * a linear scan beats keeping a sorted copy in step */
    for (; tab->name; tab++)
        if (strcmp(tab->name, name) == 0)
            return tab;
    return NULL;
}

int lk_cfgkw_nargs_ok(const struct lk_cfgkw *kw, int nargs)
{
    return nargs >= kw->min_args && (kw->max_args < 0 || nargs <= kw->max_args);
}

unsigned lk_edit_distance(const char *a, const char *b)
{
    unsigned row[64], i, j, prev, tmp;
    size_t la = strlen(a), lb = strlen(b);

    /* keywords are short; anything longer is no typo of one */
    if (la >= LK_ARRAY_SIZE(row) || lb >= LK_ARRAY_SIZE(row))
        return 99;
    for (j = 0; j <= lb; j++)
        row[j] = j;
    for (i = 1; i <= la; i++) {
        prev = row[0];
        row[0] = i;
        for (j = 1; j <= lb; j++) {
            tmp = row[j];
            row[j] =
                LK_MIN(LK_MIN(row[j] + 1, row[j - 1] + 1), prev + (a[i - 1] == b[j - 1] ? 0u : 1u));
            prev = tmp;
        }
    }
    return LK_MIN(row[lb], 99u);
}

const char *lk_cfgkw_suggest(const struct lk_cfgkw *tab, const char *name)
{
    const char *best = NULL;
    /* at most two edits away: "balanse" -> balance, not any keyword at all */
    unsigned bestd = 3, d;
    for (; tab->name; tab++) {
        d = lk_edit_distance(tab->name, name);
        if (d < bestd) {
            bestd = d;
            best = tab->name;
        }
    }
    return best;
}

/* The decimal number `s` starts with, for every unsigned reader: 0 with
 * *ret, or -EINVAL (no digit first) or -ERANGE (over 64 bits); past the
 * digits, *ret_end points at what follows (a unit, or an error) unless
 * -EINVAL. */
static int leading_uint(const char *s, uint64_t *ret, const char **ret_end)
{
    unsigned long long v;
    char *end;

    /* strtoull alone would take " 12", "+12" and "-1" (as a huge value) */
    if (!s || !isdigit((unsigned char)*s))
        return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    *ret_end = end;
    if (errno == ERANGE)
        return -ERANGE;
    *ret = v;
    return 0;
}

int lk_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
    const char *end;
    uint64_t v = 0;
    int r;

    r = leading_uint(s, &v, &end);
    /* trailing junk is -EINVAL even after too many digits */
    if (r == -EINVAL || *end != '\0')
        return -EINVAL;
    if (r < 0 || v < min || v > max)
        return -ERANGE;
    *ret = v;
    return 0;
}

int lk_parse_int(const char *s, int64_t min, int64_t max, int64_t *ret)
{
    int neg = s && *s == '-';
    uint64_t mag;
    int64_t v;
    int r;

    /* the magnitude goes through the unsigned reader (digits only, to the
     * end); INT64_MIN's magnitude is one above INT64_MAX */
    r = lk_parse_uint(s && (*s == '-' || *s == '+') ? s + 1 : s, 0,
                      neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &mag);
    if (r < 0)
        return r;
    v = neg && mag ? -(int64_t)(mag - 1) - 1 : (int64_t)mag;
    if (v < min || v > max)
        return -ERANGE;
    *ret = v;
    return 0;
}

int lk_parse_time_ms(const char *s, uint64_t default_unit_ms, uint64_t max_ms, uint64_t *ret)
{
    static const struct {
        const char *sfx;
        uint64_t us;
    } units[] = {
        {"us", 1},          {"ms", 1000},         {"s", 1000000},
        {"m", 60000000ull}, {"h", 3600000000ull}, {"d", 86400000000ull},
    };
    uint64_t v, us = 0, mult = default_unit_ms * 1000;
    const char *end;
    size_t i;
    int r;

    r = leading_uint(s, &v, &end);
    if (r < 0)
        return r;
    if (*end) {
        for (i = 0; i < LK_ARRAY_SIZE(units); i++)
            if (strcmp(end, units[i].sfx) == 0)
                break;
        if (i == LK_ARRAY_SIZE(units))
            return -EINVAL;
        mult = units[i].us;
    }
    /* counted in microseconds, rounded up to ms: "500us" is 1 ms, never 0,
     * which would mean "no timeout" to the caller */
    if (v > UINT64_MAX / mult)
        return -ERANGE;
    us = v * mult;
    if ((us + 999) / 1000 > max_ms)
        return -ERANGE;
    *ret = (us + 999) / 1000;
    return 0;
}

int lk_parse_size(const char *s, uint64_t max, uint64_t *ret)
{
    uint64_t v, mult = 1;
    const char *end;
    int r;

    r = leading_uint(s, &v, &end);
    if (r < 0)
        return r;
    if (*end) {
        if (end[1] != '\0')
            return -EINVAL;
        /* HAProxy's size suffixes: binary multiples, either case */
        switch (tolower((unsigned char)*end)) {
        case 'k':
            mult = 1024;
            break;
        case 'm':
            mult = 1024 * 1024;
            break;
        case 'g':
            mult = 1024ull * 1024 * 1024;
            break;
        default:
            return -EINVAL;
        }
    }
    if (v > max / mult)
        return -ERANGE;
    *ret = v * mult;
    return 0;
}

int lk_parse_mode(const char *s, unsigned *ret)
{
    unsigned long v;
    char *end;

    /* octal as chmod(1) writes it; a sign or blank is refused */
    if (!s || *s < '0' || *s > '7')
        return -EINVAL;
    v = strtoul(s, &end, 8);
    if (*end != '\0')
        return -EINVAL;
    if (v > 07777)
        return -ERANGE;
    *ret = (unsigned)v;
    return 0;
}
