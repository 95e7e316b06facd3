/* strbuf.c - see strbuf.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

static int grow(struct lk_sb *sb, size_t need)
{
    /* doubling: a stats page of thousands of rows costs a few reallocs */
    size_t cap = sb->cap ? sb->cap : 256;
    char *nb;

    if (sb->len + need + 1 <= sb->cap)
        return 0;
    while (cap < sb->len + need + 1)
        cap *= 2;
    nb = realloc(sb->buf, cap);
    /* the buffer keeps what it had; callers check oom once at the end */
    if (!nb) {
        sb->oom = 1;
        return -1;
    }
    sb->buf = nb;
    sb->cap = cap;
    return 0;
}

void lk_sb_append(struct lk_sb *sb, const char *s, size_t n)
{
    if (grow(sb, n) < 0)
        return;
    memcpy(sb->buf + sb->len, s, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

void lk_sb_puts(struct lk_sb *sb, const char *s)
{
    lk_sb_append(sb, s, strlen(s));
}

void lk_sb_printf(struct lk_sb *sb, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    /* measure first, then format in place: no temporary copy */
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || grow(sb, (size_t)n) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

void lk_sb_free(struct lk_sb *sb)
{
    free(sb->buf);
    sb->buf = NULL;
    sb->len = sb->cap = 0;
    sb->oom = 0;
}

char *lk_vfmt(const char *fmt, va_list ap)
{
    char *s = NULL;

    /* vasprintf leaves s undefined on failure: NULL is the one answer */
    return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}
