/* args.c - see args.h. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/args.h"
#include "common/log.h"

/* One usage text for the three daemons, built from what each accepts, so
 * that -h never lists an option a daemon would refuse. */
static void usage(FILE *f, const struct lk_args_spec *s)
{
    fprintf(f,
            "Usage: %s [-f FILE] [-c%s%s] [-R DIR]%s [-d] [-v] [-h]\n"
            "  -f FILE  %s\n"
            "  -c       check the configuration and exit (0 valid, 1 invalid)%s%s%s\n"
            "  -R DIR   runtime directory for %s.sock (default /run/lbkit)\n"
            "%s"
            "  -d       debug logging\n"
            "  -v       print the version\n"
            "  -h       this help\n",
            s->prog, s->check_alias ? "|-" : "", s->check_alias ? s->check_alias : "",
            s->master_worker ? " [-W] [-S PATH] [-L NAME]" : "", s->file_help,
            s->check_alias ? " (also -" : "", s->check_alias ? s->check_alias : "",
            s->check_alias ? ")" : "", s->prog,
            s->master_worker ? "  -W       master-worker mode: a master holds the listeners, "
                               "reloads on SIGUSR2/SIGHUP\n"
                               "  -S PATH  master CLI socket (show proc, reload; implies -W)\n"
                               "  -L NAME  this instance's name in peers sections (default: "
                               "localpeer, else the host name)\n"
                             : "");
}

int lk_args_parse(int argc, char **argv, const struct lk_args_spec *spec, struct lk_args *ret)
{
    char opts[32];
    int opt;

    /* -W/-S exist only for lbd; keepalived's -t (config test) is accepted
     * by vrrpd as a check alias, so scripts written for it keep working */
    snprintf(opts, sizeof(opts), "f:cR:dvh%s%s", spec->master_worker ? "WS:L:" : "",
             spec->check_alias ? spec->check_alias : "");
    memset(ret, 0, sizeof(*ret));
    ret->file = spec->default_file;
    ret->rundir = "/run/lbkit";
    /* the unit tests parse several command lines in one process */
    optind = 1;
    while ((opt = getopt(argc, argv, opts)) != -1) {
        if (opt == 'f') {
            ret->file = optarg;
        } else if (opt == 'c' || (spec->check_alias && opt != '?' && opt != ':' &&
                                  strchr(spec->check_alias, opt))) {
            ret->check = 1;
        } else if (opt == 'R') {
            ret->rundir = optarg;
        } else if (opt == 'W' && spec->master_worker) {
            ret->master_worker = 1;
        } else if (opt == 'S' && spec->master_worker) {
            ret->master_worker = 1;
            ret->master_sock = optarg;
        } else if (opt == 'L' && spec->master_worker) {
            ret->local_peer = optarg;
        } else if (opt == 'd') {
            ret->debug = 1;
        } else if (opt == 'v') {
            printf("%s version %s (lbkit)\n", spec->prog, LBKIT_VERSION);
            return 0;
        } else if (opt == 'h') {
            usage(stdout, spec);
            return 0;
        } else {
            usage(stderr, spec);
            return 1;
        }
    }
    /* a stray word is most often a forgotten -f: refused, not ignored */
    if (optind != argc) {
        usage(stderr, spec);
        return 1;
    }
    /* -1: go on and run; 0 and 1 above are exit codes for main() */
    return -1;
}

int lk_args_start(int argc, char **argv, const struct lk_args_spec *spec, struct lk_args *ret)
{
    int r;

    /* logging first: a usage error is the only thing said before it */
    lk_log_init(spec->prog, LK_LOG_INFO);
    r = lk_args_parse(argc, argv, spec, ret);
    if (r < 0 && ret->debug)
        lk_log_threshold = LK_LOG_DEBUG;
    return r;
}

int lk_args_cfg_fail(const struct lk_args_spec *spec, char *err)
{
    /* stderr, not the log: -c is run by hand and by unit files' ExecStartPre,
     * and both read the message there */
    fprintf(stderr, "%s: %s\n", spec->prog, err ? err : "cannot load the configuration");
    free(err);
    return 1;
}
