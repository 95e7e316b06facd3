/* cfg.h - checkd's own optional config file, for targets no lbd balances
 * and for its sockets. A line dialect read by the shared lexer:
 *
 *   socket PATH [mode 660] [user NAME] [group NAME] [level user|operator|admin]
 *   feed-buffer SIZE        bytes queued per subscriber before it is "slow"
 *   spread-checks PCT       jitter of check intervals, 0..50 (default 5)
 *   target ID ADDR [kind tcp|http|mysql|galera] [inter T] [fastinter T]
 *       [downinter T] [rise N] [fall N] [timeout T] [init-state S]
 *       [method M] [uri U] [version V] [header "Name: value"]...
 *       [expect status N|rstatus RE|string S] [expect-not]
 *       [user U] [password P] [allow-donor]
 *
 * Times take HAProxy's units (500, 500ms, 2s). Errors name FILE:LINE and
 * suggest the closest keyword. */
#ifndef CHK_CONF_H
#define CHK_CONF_H

#include <stddef.h>

#include "common/cmdsrv.h"
#include "proto/feed.h"

#define CHK_MAX_SOCKETS 8

struct chk_cfg {
    struct lk_cmdsrv_opts sockets[CHK_MAX_SOCKETS]; /* .path points into paths */
    char *paths[CHK_MAX_SOCKETS];                   /* malloc'ed */
    unsigned nsockets;
    size_t feed_buffer;
    unsigned spread_pct;
    struct feed_target *targets;
    size_t ntargets;
};

/* Parse a file (path) or, when path is NULL, nothing: defaults only. The
 * default socket RUNDIR/checkd.sock (admin level, mode 0660) is added when
 * the file names none. Returns 0 and *ret, or a negative errno with *err
 * (malloc'ed, "FILE:LINE: reason"). */
int chk_cfg_load(const char *path, const char *rundir, struct chk_cfg **ret, char **err);

/* Parse a text held in memory (tests); `name` stands for FILE in messages
 * and text is only read. Same returns and ownership as chk_cfg_load(). */
int chk_cfg_load_mem(const char *name,
                     const char *text,
                     const char *rundir,
                     struct chk_cfg **ret,
                     char **err);

/* NULL-safe; returns NULL. */
struct chk_cfg *chk_cfg_free(struct chk_cfg *cfg);

#endif
