/* b64.h - what HTTP Basic authentication needs: base64 decoding and a
 * comparison whose time does not depend on where two secrets differ. */
#ifndef LK_B64_H
#define LK_B64_H

#include <stddef.h>

/* Decode base64 into out (NUL-terminated). Returns the length, or -1 on an
 * invalid character or when out is too small. */
int lk_base64_decode(const char *in, size_t inlen, char *out, size_t outlen);

/* 1 if a[0, alen) equals b[0, blen), without an early exit. */
int lk_ct_equal(const char *a, size_t alen, const char *b, size_t blen);

#endif
