/* cfgsec.h - what every named section of lbd's config shares: userlist,
 * resolvers and peers sections each embed a struct lb_cfgsec as their FIRST
 * member, so the lists in struct lb_cfg (cfg->userlists, cfg->resolvers,
 * cfg->peers) are lists of these and one creator, finder and freer serves
 * all three. Each section's module converts back with its *_of() function.
 * Read-only after the parse, like the rest of the config. */
#ifndef LB_CFGSEC_H
#define LB_CFGSEC_H

#include <stddef.h>

struct lb_cfgsec {
    struct lb_cfgsec *next; /* the next section of the same kind, file order */
    char *name;             /* owned */
    const char *file;       /* the section's header line; file owned by cfg->files */
    unsigned line;
};

/* Allocate a zeroed section of `size` bytes (its struct's size, whose first
 * member is a struct lb_cfgsec), copy `name`, set file:line and append it to
 * *list. Returns the header, owned by the list (lb_cfgsec_free_all()), or
 * NULL on OOM with *list unchanged. */
struct lb_cfgsec *lb_cfgsec_new(struct lb_cfgsec **list,
                                size_t size,
                                const char *name,
                                const char *file,
                                unsigned line);

/* The section of `list` named `name`, or NULL. Owned by the list. */
struct lb_cfgsec *lb_cfgsec_find(struct lb_cfgsec *list, const char *name);

/* Free every section of `list`: free_body(s) first frees what the section's
 * own struct owns (it may be NULL when there is nothing), then the name and
 * the section. NULL-safe. */
void lb_cfgsec_free_all(struct lb_cfgsec *list, void (*free_body)(struct lb_cfgsec *s));

#endif
