/* args.h - the command line the three daemons share (DESIGN.md, "one
 * command-line habit"): -f FILE, -c (check the config and exit), -R DIR,
 * -d (debug logs), -v, -h, lbd's -W and -S PATH (master-worker) and -L NAME (peers), plus
 * per-daemon aliases of -c (vrrpd's -t, as Keepalived has it). Parsing it in one place keeps the
 * habit identical. */
#ifndef LK_ARGS_H
#define LK_ARGS_H

struct lk_args_spec {
    const char *prog;         /* "lbd" */
    const char *file_help;    /* what -f reads, for the usage text */
    const char *default_file; /* NULL: none unless -f */
    const char *check_alias;  /* extra letters meaning -c ("t"), or NULL */
    int master_worker;        /* accept -W and -S PATH (lbd, as HAProxy) */
};

struct lk_args {
    const char *file;
    const char *rundir;
    int check;
    int debug;
    int master_worker;       /* -W */
    const char *master_sock; /* -S PATH: the master CLI */
    const char *local_peer;  /* -L NAME: lbd's name in peers sections */
};

/* Parse argv. Returns -1 when the daemon should go on with *ret filled, or
 * the exit code when it should stop: 0 after -v or -h (printed to stdout),
 * 1 after a usage error (usage printed to stderr). */
int lk_args_parse(int argc, char **argv, const struct lk_args_spec *spec, struct lk_args *ret);

/* A daemon's first step, the same for the three: start logging as spec->prog
 * at INFO, parse argv as lk_args_parse() does (same returns) and, after -d,
 * log at DEBUG too. */
int lk_args_start(int argc, char **argv, const struct lk_args_spec *spec, struct lk_args *ret);

/* Report a configuration that cannot be used: "PROG: ERR" on stderr (a
 * generic text when err is NULL), for the service manager or the operator
 * running -c. Frees err (malloc'ed or NULL) and returns 1, main()'s exit
 * code for it. */
int lk_args_cfg_fail(const struct lk_args_spec *spec, char *err);

#endif
