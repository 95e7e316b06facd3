/* compiler.h - small helpers every module may use, and the banned libc calls.
 *
 * The unsafe string functions are redeclared with a deprecation attribute so
 * that any use is a warning (an error in CI), as HAProxy's bug.h does. */
#ifndef LK_COMPILER_H
#define LK_COMPILER_H

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LK_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define LK_MIN(a, b)     ((a) < (b) ? (a) : (b))
#define LK_MAX(a, b)     ((a) > (b) ? (a) : (b))
#define LK_UNUSED        __attribute__((unused))
#define LK_LIKELY(x)     __builtin_expect(!!(x), 1)
#define LK_UNLIKELY(x)   __builtin_expect(!!(x), 0)
#define LK_PRINTF(a, b)  __attribute__((format(printf, a, b)))

#define lk_container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* Programmer errors only, never input. */
#define LK_BUG_ON(cond) assert(!(cond))

/* Free and forget: no reachable pointer to freed memory. */
#define lk_free(p)                                                                                 \
    do {                                                                                           \
        free(p);                                                                                   \
        (p) = NULL;                                                                                \
    } while (0)

/* clang's glibc fortify headers turn sprintf into a macro, which a
 * redeclaration cannot follow; gcc builds still catch every use. */
#if !defined(LK_ALLOW_BANNED) && !(defined(__clang__) && defined(_FORTIFY_SOURCE))
#define LK_BANNED(f) __attribute__((deprecated("banned: use a bounded alternative")))
LK_BANNED(strcpy) char *strcpy(char *restrict, const char *restrict);
LK_BANNED(strcat) char *strcat(char *restrict, const char *restrict);
LK_BANNED(sprintf) int sprintf(char *restrict, const char *restrict, ...);
LK_BANNED(vsprintf) int vsprintf(char *restrict, const char *restrict, __builtin_va_list);
LK_BANNED(strtok) char *strtok(char *restrict, const char *restrict);
LK_BANNED(atoi) int atoi(const char *);
#endif

#endif
