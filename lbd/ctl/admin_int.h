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

/* Send and free sb. */
int lb__admin_reply(struct lk_cmdconn *c, struct lk_sb *sb);

/* Decimal (possibly negative) or -1 when not a number. */
static inline int atoi_safe(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);

    return (*s && !*end && v >= -1 && v < 1 << 30) ? (int)v : -1;
}

void lb__admin_clear_counters(struct lb_daemon *d, int all);
int lb__admin_get_weight(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv);
int lb__admin_set_weight(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv);
int lb__admin_server_state(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv);
int lb__admin_set_server(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv);
int lb__admin_shutdown_sessions(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv);
int lb__admin_set_maxconn(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv);
int lb__admin_add_del_server(struct lk_cmdconn *c, struct lb_daemon *d, int argc, char **argv);

#endif
