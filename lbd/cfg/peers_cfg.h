/* peers_cfg.h - HAProxy's "peers" sections: which load balancers share the
 * stick tables that say "peers NAME" (the protocol runs in
 * lbd/core/peers.c).
 *
 *   peers mesh                       peers mesh            (HAProxy 2.x form)
 *       peer lb1 10.0.0.1:10000          bind 10.0.0.1:10000
 *       peer lb2 10.0.0.2:10000          server lb1
 *                                        server lb2 10.0.0.2:10000
 *       table NAME type ... (a stick table of the section: "NAME/TABLE" elsewhere)
 *   [disabled]
 *
 * One of the peers is this instance: the one named by -L, else by
 * "localpeer" in global, else by the host name. It is not connected to;
 * its address (or "bind") is where lbd listens for the others. A section
 * without it is removed with HAProxy's warning, and its tables are then
 * kept locally. Parsed at their lines into cfg->peers; read-only after
 * lb_peers_cfg_localize(). A "table" line declares a stick table of the
 * section itself, "SECTION/NAME" elsewhere in the file. */
#ifndef LB_PEERS_CFG_H
#define LB_PEERS_CFG_H

#include "common/addr.h"
#include "common/cfgkw.h"
#include "lbd/cfg/cfgsec.h"

struct lb_cfg;

struct lb_peer {
    char *name;
    struct lk_addr addr;
    int has_addr;
    int local; /* this instance (set by lb_peers_cfg_localize()) */
    const char *file;
    unsigned line;
};

struct lb_peers_sec {
    struct lb_cfgsec sec;  /* first: name, file:line, cfg->peers link */
    struct lb_peer *peers; /* in file order */
    unsigned npeers;
    int disabled;        /* "disabled": no listener, no sessions, tables kept locally */
    struct lk_addr bind; /* "bind": where the local peer listens (2.x form) */
    int has_bind;
    const char *bind_file;
    unsigned bind_line;
    struct lb_peer *local;       /* this instance; NULL: the section is not in use */
    unsigned ntables;            /* stick tables naming it (its own included) */
    struct lb_stktable **tables; /* its own "table" lines, named "SECTION/NAME" */
    unsigned nown;
};

/* The keywords of a peers section (context: struct lb_cfgctx, whose
 * `peers` is the section being read), and global's "localpeer". */
extern const struct lk_cfgkw lb_peers_kws[];
int lb_peers_kw_localpeer(int argc, char **argv, void *vctx, char **err);

/* The peers section whose header is `s` (an element of cfg->peers, which
 * cfg.c opens with lb_cfgsec_new()), or NULL for NULL. */
struct lb_peers_sec *lb_peers_sec_of(struct lb_cfgsec *s);

/* What a section owns besides its header: its peers
 * (lb_cfgsec_free_all()'s free_body). */
void lb_peers_sec_free(struct lb_cfgsec *s);

/* The section named `name`, or NULL. Owned by cfg. */
struct lb_peers_sec *lb_peers_find(const struct lb_cfg *cfg, const char *name);

/* After the whole file: each "stick-table ... peers NAME" names a section.
 * Returns 0, or -EINVAL with the errors appended to *err. */
int lb_peers_cfg_validate(struct lb_cfg *cfg, char **err);

/* Find this instance in every section: `name` (-L; NULL if not given), else
 * global's localpeer, else the host name. A section without it is removed
 * with a warning (its tables keep their entries to themselves); an enabled
 * section's tables then point at it. Returns 0, or -EINVAL with *err when
 * the local peer has no address to listen on. */
int lb_peers_cfg_localize(struct lb_cfg *cfg, const char *name, char **err);

/* The table "SECTION/NAME" declared by a "table" line, or NULL. Owned by cfg. */
struct lb_stktable *lb_peers_find_table(const struct lb_cfg *cfg, const char *name);

/* Call fn for every table declared by "table" lines (tables owned by cfg). */
void lb_peers_each_table(const struct lb_cfg *cfg,
                         void (*fn)(struct lb_stktable *t, void *arg),
                         void *arg);

/* The name this instance has in its peers sections (after localize), or
 * NULL when none is in use. Owned by cfg. */
const char *lb_peers_local_name(const struct lb_cfg *cfg);

#endif
