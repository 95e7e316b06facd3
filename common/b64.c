/* b64.c - base64 decoding and constant-time comparison; see b64.h. */
#include <stddef.h>

#include "common/b64.h"

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int lk_base64_decode(const char *in, size_t inlen, char *out, size_t outlen)
{
    unsigned acc = 0;
    int bits = 0, v;
    size_t i, o = 0;

    /* '=' padding ends the data; bits left over past the last whole byte
     * are dropped, as every decoder does for Basic credentials */
    for (i = 0; i < inlen && in[i] != '='; i++) {
        v = b64val(in[i]);
        /* one byte kept for the NUL: the result is compared as text */
        if (v < 0 || o + 1 >= outlen)
            return -1;
        acc = acc << 6 | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    return (int)o;
}

int lk_ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    /* Every byte of a is compared whatever the result, so the time taken
     * does not tell an attacker how much of a password was right; the
     * length difference only sets the result. */
    unsigned char diff = alen != blen;
    size_t i;

    for (i = 0; i < alen; i++)
        diff |= (unsigned char)(a[i] ^ b[i % (blen ? blen : 1)]);
    return diff == 0;
}
