/* acl.h - HAProxy's ACLs and conditions.
 *
 * An ACL is one or more criteria ("acl NAME CRITERION [FLAGS] [OP]
 * VALUE..."; several lines with one name are ORed). A criterion is a
 * sample expression (sample.h: a fetch and its converters) and a match
 * method: str, beg, end, sub, dir, dom, reg, len, int, ip, found, bool,
 * chosen by "-m", by a derived name (path_beg, hdr_sub(NAME), ...) or by
 * the fetch's type. Flags: -i, -m METHOD, -f FILE (patterns one per line),
 * -n, --. Integer values take an operator (eq, ge, gt, le, lt) or a range
 * (A:B). A condition ("if|unless TERMS") is a list of terms, ANDed, with
 * "or"/"||" starting a new alternative; a term is [!]NAME, a predefined
 * ACL (TRUE, FALSE, HTTP, METH_GET, ...) or an anonymous ACL written inline
 * between "{" and "}".
 *
 * Ownership: a struct lb_acl_set owns its ACLs; a condition points into the
 * set of the proxy that declared it (named ACLs) or owns its inline ACLs. All
 * are built once from the config and only read by worker threads. */
#ifndef LB_ACL_H
#define LB_ACL_H

#include <stddef.h>
#include <stdint.h>

#include "lbd/http/sample.h"

struct lb_acl_set;
struct lb_cond;

/* An empty set (the predefined ACLs only), owned by the caller; NULL on
 * OOM. */
struct lb_acl_set *lb_acl_set_new(void);

/* Free the set and every ACL in it. Conditions parsed against it point
 * into it: free them first. NULL-safe; returns NULL. */
struct lb_acl_set *lb_acl_set_free(struct lb_acl_set *set);

/* Add one "acl NAME CRITERION [FLAGS] VALUE..." line (argv[0] == "acl");
 * argv is borrowed for the call (what is kept is copied; -f files are read
 * now). A second line with the same name is ORed with the first. Returns
 * 0, or -EINVAL/-ENOMEM with a malloc'ed message in *err and the set
 * unchanged. */
int lb_acl_add(struct lb_acl_set *set, int argc, char **argv, char **err);

/* Parse "if|unless TERM..." (argv[0] is "if" or "unless") against the
 * named ACLs of `set` (may be NULL: predefined and inline ACLs only).
 * `avail` is what exists where the condition runs (LB_SMP_USE_*): an ACL
 * that reads more is refused. *ret_cond is owned by the caller. Returns 0
 * or -EINVAL (unknown ACL, unbalanced braces, bad inline ACL) with *err. */
int lb_cond_parse(const struct lb_acl_set *set,
                  unsigned avail,
                  int argc,
                  char **argv,
                  struct lb_cond **ret_cond,
                  char **err);

/* Free a condition and its inline ACLs (named ones belong to their set).
 * NULL-safe; returns NULL. */
struct lb_cond *lb_cond_free(struct lb_cond *c);

/* What the condition reads (LB_SMP_USE_*); 0 for NULL. */
unsigned lb_cond_uses(const struct lb_cond *c);

/* Evaluate against one exchange: 1 true, 0 false; a NULL condition is
 * true. Only reads the condition (shared by worker threads); ctx's scratch
 * chunks are overwritten and ctx->need_more may be set (a payload fetch
 * that cannot decide yet). */
int lb_cond_eval(const struct lb_cond *c, struct lb_smp_ctx *ctx);

#endif
