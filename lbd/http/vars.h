/* vars.h - HAProxy's variables: "set-var(txn.name) EXPR", "var(txn.name)".
 *
 * Scopes: sess (the whole connection), txn (one request and its response),
 * req and res (HAProxy scopes them to one direction; lbd keeps them for
 * the transaction, which gives the same values to every rule that can
 * read them). proc (shared by all connections) is refused at the config
 * line. A store belongs to one session, on one worker thread: no locks. */
#ifndef LB_VARS_H
#define LB_VARS_H

#include <stddef.h>
#include <stdint.h>

enum lb_var_scope { LB_VAR_SESS = 0, LB_VAR_TXN, LB_VAR_REQ, LB_VAR_RES };

struct lb_var {
    struct lb_var *next;
    const char *name; /* "txn.host": the config's string (lives as long as it) */
    uint8_t scope, is_int;
    int64_t i;
    char *str;
    size_t len;
};

struct lb_vars {
    struct lb_var *head;
};

/* "txn.host" -> its scope in *ret; -EINVAL (with a malloc'ed *err unless
 * err is NULL) for proc or a bad name, *ret untouched. */
int lb_var_name_parse(const char *name, enum lb_var_scope *ret, char **err);

/* The variable (vs may be NULL), or NULL. It points into vs and lives
 * until that name is set or unset again, or the store is emptied. */
const struct lb_var *lb_vars_get(const struct lb_vars *vs, const char *name);

/* Set a string (copied) or an integer. `name` is kept, not copied: it
 * must live as long as vs (the config's string); it must be a valid
 * SCOPE.NAME (lb_var_name_parse()). Returns 0 or -ENOMEM. */
int lb_vars_set_str(struct lb_vars *vs, const char *name, const char *s, size_t n);
int lb_vars_set_int(struct lb_vars *vs, const char *name, int64_t v);

/* Remove the variable of that name, if set. */
void lb_vars_unset(struct lb_vars *vs, const char *name);

/* Drop the transaction's variables (every scope but sess), or all; the
 * values are freed and vs stays usable (empty after lb_vars_free()). */
void lb_vars_end_txn(struct lb_vars *vs);
void lb_vars_free(struct lb_vars *vs);

#endif
