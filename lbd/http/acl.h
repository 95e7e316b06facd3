/* acl.h - HAProxy-style ACLs and conditions for mode http.
 *
 * An ACL is one or more criteria ("acl NAME CRITERION [-i] VALUE...";
 * several lines with one name are ORed). A condition ("if|unless TERMS")
 * is a list of terms, ANDed, with "or"/"||" starting a new alternative;
 * a term is [!]NAME, a predefined ACL (TRUE, FALSE, METH_GET, ...) or an
 * anonymous ACL written inline between "{" and "}".
 *
 * Criteria: path, path_beg, path_end, path_sub, path_dir, hdr(NAME),
 * hdr_beg(NAME), hdr_end(NAME), hdr_sub(NAME), hdr_dom(NAME), method, src
 * (address or CIDR), and "-m str|beg|end|sub|dom" on path/hdr fetches.
 *
 * Ownership: a struct lb_acl_set owns its ACLs; a condition points into the
 * set of the proxy that declared it (named ACLs) or owns its inline ACLs. All
 * are built once from the config and only read by worker threads. */
#ifndef LB_ACL_H
#define LB_ACL_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "proto/http1.h"

struct lb_acl;
struct lb_acl_set;
struct lb_cond;

/* What a condition looks at: one parsed request head in its buffer. */
struct lb_acl_input {
    const uint8_t *buf;        /* the buffer the head was parsed from */
    const struct http1_msg *m; /* its request head */
    const struct lk_addr *src; /* client address */
};

/* An empty set; NULL on OOM. */
struct lb_acl_set *lb_acl_set_new(void);

/* NULL-safe; returns NULL. */
struct lb_acl_set *lb_acl_set_free(struct lb_acl_set *set);

/* Add one "acl NAME CRITERION [FLAGS] VALUE..." line (argv[0] == "acl").
 * Returns 0, or -EINVAL with a malloc'ed message in *err. */
int lb_acl_add(struct lb_acl_set *set, int argc, char **argv, char **err);

/* Parse "if|unless TERM..." (argv[0] is "if" or "unless") against the
 * named ACLs of `set`. *ret_cond is owned by the caller. Returns 0 or
 * -EINVAL (unknown ACL, unbalanced braces, bad inline ACL) with *err. */
int lb_cond_parse(const struct lb_acl_set *set,
                  int argc,
                  char **argv,
                  struct lb_cond **ret_cond,
                  char **err);

/* NULL-safe; returns NULL. */
struct lb_cond *lb_cond_free(struct lb_cond *c);

/* Evaluate; a NULL condition is true. */
int lb_cond_eval(const struct lb_cond *c, const struct lb_acl_input *in);

#endif
