/* fuzz_util.h - input copies shared by the fuzz targets. */
#ifndef LK_FUZZ_UTIL_H
#define LK_FUZZ_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A malloc'ed copy of data[0, size) followed by a NUL (config loaders take
 * C strings: an embedded NUL ends the text early). NULL on ENOMEM. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

/* An exact-size malloc'ed copy, so any read past the end is an ASan error.
 * NULL on ENOMEM. */
static inline void *fuzz_copy(const uint8_t *data, size_t size)
{
    void *p = malloc(size ? size : 1);

    if (p)
        memcpy(p, data, size);
    return p;
}

#endif
