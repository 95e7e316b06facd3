/* strbuf.h - a growable text buffer for building replies (admin sockets,
 * stats pages). Owner: whoever declared it; lk_sb_free() releases the
 * memory. After an allocation failure the buffer keeps what it had and
 * `oom` is set, so callers check once at the end. */
#ifndef LK_STRBUF_H
#define LK_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

#include "common/compiler.h"

struct lk_sb {
    char *buf;
    size_t len, cap;
    int oom;
};

#define LK_SB_INIT                                                                                 \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

/* Append n bytes of s (copied; s need not be NUL-terminated). The buffer
 * stays NUL-terminated; on OOM it is unchanged and sb->oom is set. */
void lk_sb_append(struct lk_sb *sb, const char *s, size_t n);

/* lk_sb_append() of a NUL-terminated string. */
void lk_sb_puts(struct lk_sb *sb, const char *s);

/* Append the text fmt formats (printf rules); same OOM contract. */
void lk_sb_printf(struct lk_sb *sb, const char *fmt, ...) LK_PRINTF(2, 3);

/* Release the memory; sb is empty (LK_SB_INIT) and reusable after. */
void lk_sb_free(struct lk_sb *sb);

/* A malloc'ed string formatted from fmt and ap (the caller frees it), or
 * NULL when memory ran out: the messages of the config loaders. */
char *lk_vfmt(const char *fmt, va_list ap) LK_PRINTF(1, 0);

#endif
