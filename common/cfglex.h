/* cfglex.h - the config lexer shared by the HAProxy and Keepalived dialects.
 *
 * It turns a file (or an in-memory text) into lines of arguments and knows
 * FILE:LINE for every line; it knows nothing about keywords. Dialect options:
 *  - both: '#' comments, "double quotes" with backslash escapes, 'single
 *    quotes' taken literally, a backslash escaping the next character;
 *  - LK_CFGLEX_BRACES: '{' and '}' are arguments of their own even when glued
 *    to a word ("vrrp_instance V1_1{"), as Keepalived reads them;
 *  - LK_CFGLEX_BANG: '!' starts a comment too (Keepalived);
 *  - LK_CFGLEX_SEMI: a line whose first character is ';' is a comment (the
 *    lab guide's Figure 2.6 uses ";;" lines);
 *  - LK_CFGLEX_INCLUDE: "include PATTERN" reads the matching files in place
 *    (glob order), at most 8 levels deep;
 *  - LK_CFGLEX_ENV: environment variables inside double quotes, as HAProxy
 *    2.6 expands them: $NAME, ${NAME}, ${NAME-default} (only when unset),
 *    and ${NAME[*]}, whose space-separated words become separate arguments;
 *    an unset variable is empty; "\$" is a dollar. Unquoted words are left
 *    alone (HAProxy expands ${NAME} in addresses only: lb_cfg_env_addr). */
#ifndef LK_CFGLEX_H
#define LK_CFGLEX_H

#include <stddef.h>

#include "common/compiler.h"

#define LK_CFGLEX_BRACES  (1u << 0)
#define LK_CFGLEX_BANG    (1u << 1)
#define LK_CFGLEX_SEMI    (1u << 2)
#define LK_CFGLEX_INCLUDE (1u << 3)
#define LK_CFGLEX_ENV     (1u << 4)

#define LK_CFG_MAX_ARGS 64

struct lk_cfglex;

/* One logical line. `file` stays valid until lk_cfglex_free(); argv strings
 * until the next lk_cfglex_next() call (copy what you keep). */
struct lk_cfgline {
    const char *file;
    unsigned line;
    int argc;
    char *argv[LK_CFG_MAX_ARGS + 1];
};

/* Open a file. Returns 0 and *ret, or a negative errno (*err says why,
 * malloc'ed, caller frees). */
int lk_cfglex_open_file(struct lk_cfglex **ret, const char *path, unsigned flags, char **err);

/* Lex a text held in memory; `name` stands for the file name in messages.
 * The text is copied. */
int lk_cfglex_open_mem(struct lk_cfglex **ret, const char *name, const char *text, unsigned flags);

/* Next non-empty line: 1 and *out filled, 0 at the end, or a negative errno
 * with *err = "FILE:LINE: reason" (malloc'ed). */
int lk_cfglex_next(struct lk_cfglex *lx, struct lk_cfgline *out, char **err);

/* Free the lexer and every file it opened; accepts NULL, returns NULL. */
struct lk_cfglex *lk_cfglex_free(struct lk_cfglex *lx);

/* The body of a dialect's loader: read every line of `lx` (`name` is the
 * file name or the in-memory text's name) into a new config, stored in
 * *ret (a `struct <dialect>_cfg **`) on success only. Returns 0 or a
 * negative errno with *err malloc'ed. The lexer stays the caller's. */
typedef int (*lk_cfg_load_fn)(struct lk_cfglex *lx, const char *name, void *ret, char **err);

/* Open the file `name` (text NULL) or the in-memory `text` named `name`
 * with the lexer `flags`, run `load` on it and free the lexer. Returns what
 * load returns, or the negative errno of the open (*err set for a file). */
int lk_cfg_load(const char *name,
                const char *text,
                unsigned flags,
                lk_cfg_load_fn load,
                void *ret,
                char **err);

/* asprintf into *err (replacing what was there). Returns -EINVAL so that
 * handlers can "return lk_cfg_err(err, ...)". */
int lk_cfg_err(char **err, const char *fmt, ...) LK_PRINTF(2, 3);

/* The file names a loaded config keeps, one copy each, so that its objects
 * can point at their FILE for later messages (the lexer's copies go away
 * with the lexer). Zero-initialised = empty; owned by the config. */
struct lk_cfgfiles {
    char **v;
    size_t n;
};

/* f's copy of `name`, made on its first use: valid until lk_cfgfiles_free().
 * NULL on OOM. */
const char *lk_cfgfiles_intern(struct lk_cfgfiles *f, const char *name);

/* Free every name; f is empty again. */
void lk_cfgfiles_free(struct lk_cfgfiles *f);

/* Read a whole file as the lexer does (same size limit): 0 with *ret, a
 * NUL-terminated buffer the caller frees, and *ret_len; or a negative
 * errno (-EFBIG when too large). */
int lk_cfg_read_file(const char *path, char **ret, size_t *ret_len);

#endif
