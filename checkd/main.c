/* main.c - checkd: parse arguments, load the config, run the daemon. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "checkd/checkd.h"
#include "checkd/conf.h"
#include "common/log.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: checkd [-f FILE] [-c] [-R DIR] [-d] [-v] [-h]\n"
               "  -f FILE  own config: sockets and standalone targets (optional; lbd\n"
               "           registers its servers over the socket)\n"
               "  -c       check the configuration and exit (0 valid, 1 invalid)\n"
               "  -R DIR   runtime directory for checkd.sock (default /run/lbkit)\n"
               "  -d       debug logging\n"
               "  -v       print the version\n"
               "  -h       this help\n");
}

int main(int argc, char **argv)
{
    const char *file = NULL, *rundir = "/run/lbkit";
    struct chk_cfg *cfg = NULL;
    struct chk_daemon *d = NULL;
    char *err = NULL;
    int opt, check = 0, r;

    lk_log_init("checkd", LK_LOG_INFO);
    while ((opt = getopt(argc, argv, "f:cR:dvh")) != -1) {
        switch (opt) {
        case 'f':
            file = optarg;
            break;
        case 'c':
            check = 1;
            break;
        case 'R':
            rundir = optarg;
            break;
        case 'd':
            lk_log_threshold = LK_LOG_DEBUG;
            break;
        case 'v':
            printf("checkd version %s (lbkit)\n", LBKIT_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 1;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 1;
    }
    r = chk_cfg_load(file, rundir, &cfg, &err);
    if (r < 0) {
        fprintf(stderr, "checkd: %s\n", err ? err : "cannot load the configuration");
        free(err);
        return 1;
    }
    if (check) {
        printf("Configuration file is valid (%zu targets)\n", cfg->ntargets);
        chk_cfg_free(cfg);
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    r = chk_daemon_new(&d, cfg, file, rundir); /* takes cfg */
    if (r == 0)
        r = chk_daemon_run(d);
    else
        r = 1;
    chk_daemon_free(d);
    return r;
}
