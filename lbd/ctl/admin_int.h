/* admin_int.h - internals shared by admin.c and admin_srv.c. */
#ifndef LB_ADMIN_INT_H
#define LB_ADMIN_INT_H

#include <stdlib.h>

#include "common/cmdsrv.h"
#include "common/strbuf.h"

struct lb_daemon;

typedef int (*lb_admin_fn)(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv);

struct lb_admin_cmd {
    const char *words[3]; /* first words that select the command */
    int level;            /* minimum access level */
    lb_admin_fn fn;
    const char *usage, *help;
};

/* Send sb's text on c, then free sb (also on OOM, answered as such).
 * Returns what lk_cmdconn_write() returns. */
int lb__admin_reply(struct lk_cmdconn *c, struct lk_sb *sb);

/* Decimal (possibly negative) or -1 when not a number. */
static inline int atoi_safe(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);

    return (*s && !*end && v >= -1 && v < 1 << 30) ? (int)v : -1;
}

/* "clear counters [all]": maxima (and with all, totals) of every proxy
 * and server. Control thread. */
void lb__admin_clear_counters(struct lb_daemon *d, int all);

/* The admin_srv.c handlers of the command table in admin.c (lb_admin_fn):
 * argv holds the command's words, borrowed for the call. Each writes its
 * answer, HAProxy's wording, on c and returns what the write returns
 * (0 on success); a refused command is an answer, not an error. Control
 * thread. */
int lb__admin_get_weight(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv);
int lb__admin_set_weight(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv);
int lb__admin_server_state(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv);
int lb__admin_set_server(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv);
int lb__admin_shutdown_sessions(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv);
int lb__admin_set_maxconn(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv);
int lb__admin_add_del_server(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv);

#endif
