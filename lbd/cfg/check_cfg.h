/* check_cfg.h - the health-check keywords of a backend, parsed once at
 * their line into a typed check definition: HAProxy 2.6's "tcp-check"
 * steps, the arguments of "option httpchk|mysql-check|pgsql-check|smtpchk",
 * "http-check send|expect|comment" and lbd's "galera-check".
 *
 * Forms checkd does not run (log-format sends and expects, set-var,
 * ssl/send-proxy/sni connects, status-code, a second http-check send or
 * expect) are refused at their FILE:LINE with the keyword and a hint.
 * lb_check_target() writes what checkd needs from the definition; nothing
 * reads the config text again. */
#ifndef LB_CHECK_CFG_H
#define LB_CHECK_CFG_H

#include "lbd/cfg/cfg.h"
#include "proto/feed.h"

/* Where a keyword was read (the file name is owned by the config). */
struct lb_check_pos {
    const char *file;
    unsigned line; /* 0: no such line */
};

/* The check definition of a proxy (owned by it, px->chk; a backend starts
 * from a copy of its defaults section's). Text fields are "" when unset;
 * a later line overwrites what it sets, as the last line wins in HAProxy. */
struct lb_check_cfg {
    /* tcp-check */
    struct feed_tcstep steps[FEED_TC_MAX_STEPS];
    unsigned nsteps;
    struct lb_check_pos tcp; /* the first tcp-check line */
    /* option httpchk [METH] [URI] [VER] and http-check send */
    char method[16], uri[512], version[16], body[512];
    char hdrs[FEED_MAX_HDRS][FEED_HDR_MAX];
    unsigned nhdrs;
    struct lb_check_pos send; /* the http-check send line */
    /* http-check expect [!] KIND ARG */
    enum feed_expect expect;
    int expect_not;
    char expect_arg[FEED_HDR_MAX];
    struct lb_check_pos expect_at;
    int disable_404; /* http-check disable-on-404 */
    /* option mysql-check user U, option pgsql-check user U */
    char mysql_user[64], pgsql_user[64];
    char ehlo[128]; /* option smtpchk EHLO|HELO DOMAIN, as sent */
    /* galera-check user U [password P] [allow-donor]: the check kind
     * becomes galera; allow_donor: Donor/Desynced counts as up */
    int galera, galera_allow_donor;
    char galera_user[64], galera_password[128];
    /* external-check command CMD, external-check path PATH ("": unset) */
    char ext_cmd[FEED_EXT_MAX], ext_path[FEED_EXT_MAX - 8];
    struct lb_check_pos ext_cmd_at;
};

/* The check keywords' lk_cfgkw handlers, for lb_proxy_kws; vctx is the
 * struct lb_cfgctx of the proxy being parsed.
 * The "tcp-check ..." keyword handler (argv[0] == "tcp-check"): appends a
 * step to ctx->px->chk, allocating it. LK_CFG_FATAL with *err on error. */
int lb_check_tcpcheck_kw(int argc, char **argv, void *vctx, char **err);

/* The "http-check ..." keyword handler: one send, one expect (checkd runs
 * one request and one expectation), comments. 0, or LK_CFG_FATAL with
 * *err (caller-owned). */
int lb_check_httpcheck_kw(int argc, char **argv, void *vctx, char **err);

/* The "galera-check user U [password P] [allow-donor]" keyword handler:
 * makes the backend's check a Galera check (whatever option set the kind).
 * 0, or LK_CFG_FATAL with *err set. */
int lb_check_galera_kw(int argc, char **argv, void *vctx, char **err);

/* The arguments of a check option: argv[0] is "option", argv[1] the
 * option's name (httpchk, mysql-check, pgsql-check, smtpchk), argc > 2.
 * Stores them in ctx->px->chk; the arity was checked by the caller.
 * 0, or LK_CFG_FATAL with *err. */
int lb_check_option_args(struct lb_cfgctx *ctx, int argc, char **argv, char **err);

/* A new proxy's check definition from its defaults section's (def may have
 * none). px->chk must be NULL. 0 or -ENOMEM. */
int lb_check_cfg_inherit(struct lb_proxy *px, const struct lb_proxy *def);

/* Fill the check fields of checkd's registration t (already holding its
 * defaults, id and address) from px's options and check definition: the
 * kind, the request, the expectation, users, steps. px is only read. */
void lb_check_target(const struct lb_proxy *px, struct feed_target *t);

/* Cross-check a proxy of cfg once read: tcp-check lines without "option
 * tcp-check" are refused (HAProxy ignores them with a warning); option
 * external-check needs the global "external-check" and a command (as in
 * HAProxy; without "insecure-fork-wanted" it warns as HAProxy does). 0 or
 * -EINVAL with *err "FILE:LINE: ...". */
int lb_check_validate(const struct lb_cfg *cfg, const struct lb_proxy *px, char **err);

/* "external-check command CMD" and "external-check path PATH" (a proxy
 * keyword, ctx is the struct lb_cfgctx): the command option external-check
 * runs, the PATH it gets. 0, or LK_CFG_FATAL with *err. */
int lb_check_external_kw(int argc, char **argv, void *ctx, char **err);

/* The global "external-check" and "insecure-fork-wanted" (no arguments). */
int lb_check_kw_global(int argc, char **argv, void *ctx, char **err);

/* For an external check (t->kind FEED_KIND_EXTERNAL), the command line and
 * environment HAProxy 2.6 gives it, for server s of px: "PROXY_ADDR
 * PROXY_PORT SERVER_ADDR SERVER_PORT" (the proxy's first bind, "NOT_USED"
 * in a backend) and the HAPROXY_PROXY_* / HAPROXY_SERVER_* variables and
 * PATH. HAPROXY_SERVER_CURCONN is not set: checkd, which runs the command,
 * does not know the server's connections. Other kinds: nothing. */
void lb_check_external_target(const struct lb_proxy *px,
                              const struct lb_server *s,
                              struct feed_target *t);

/* The port of px's first tcp-check rule when it is a "connect port N"
 * (comments skipped) and px runs "option tcp-check", else 0: what lets a
 * server without a port be checked, as in HAProxy 2.6. px is only read. */
unsigned lb_check_cfg_connect_port(const struct lb_proxy *px);

/* NULL-safe; returns NULL. */
struct lb_check_cfg *lb_check_cfg_free(struct lb_check_cfg *c);

#endif
