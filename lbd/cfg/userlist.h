/* userlist.h - HAProxy's "userlist" sections: users with crypt(3) or plain
 * passwords and their groups, for http_auth() / http_auth_group() and
 * "http-request auth".
 *
 *   userlist admins
 *       group ops [users alice,bob]
 *       user alice password $6$salt$hash [groups ops,dev]
 *       user bob insecure-password secret
 *
 * Parsed at their lines into cfg->userlists; read-only afterwards, checked
 * by worker threads (crypt_r, no shared state). */
#ifndef LB_USERLIST_H
#define LB_USERLIST_H

#include <stddef.h>

#include "common/cfgkw.h"
#include "lbd/cfg/cfgsec.h"

struct lb_cfg;
struct lb_user;
struct lb_ugroup;

struct lb_userlist {
    struct lb_cfgsec sec; /* first: name, file:line, cfg->userlists link */
    struct lb_user *users;
    size_t nusers;
    struct lb_ugroup *groups; /* declared groups */
    size_t ngroups;
};

/* The keywords of a userlist section (context: struct lb_cfgctx, whose
 * `ul` is the section being read). */
extern const struct lk_cfgkw lb_userlist_kws[];

/* The userlist whose header is `s` (an element of cfg->userlists, which
 * cfg.c opens with lb_cfgsec_new()), or NULL for NULL. */
struct lb_userlist *lb_userlist_of(struct lb_cfgsec *s);

/* What a userlist owns besides its header: its users and groups
 * (lb_cfgsec_free_all()'s free_body). */
void lb_userlist_free(struct lb_cfgsec *s);

/* The list named `name`, or NULL. The list is owned by cfg. */
const struct lb_userlist *lb_userlist_find(const struct lb_cfg *cfg, const char *name);

/* Check an "Authorization: Basic ..." value against the list. Returns the
 * user when the credentials are valid, else NULL. */
const struct lb_user *lb_userlist_auth(const struct lb_userlist *ul,
                                       const char *authorization,
                                       size_t len);

/* After the whole file: every user a "group ... users" line names exists.
 * Returns 0, or -EINVAL with the errors appended to *err. */
int lb_userlist_validate(const struct lb_cfg *cfg, char **err);

/* Group `i` of user `u` of list `ul` (0-based, from "user ... groups" and
 * "group ... users" alike), or NULL past the last. The name is owned by the userlist. */
const char *lb_user_group(const struct lb_userlist *ul, const struct lb_user *u, size_t i);

/* The user's name, owned by the userlist (valid as long as the config). */
const char *lb_user_name(const struct lb_user *u);

#endif
