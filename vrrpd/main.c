/* main.c - vrrpd: parse arguments, load the config, run the daemon. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "vrrpd/cfg.h"
#include "vrrpd/daemon.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: vrrpd [-f FILE] [-c|-t] [-R DIR] [-d] [-v] [-h]\n"
               "  -f FILE  configuration in Keepalived's dialect\n"
               "           (default /etc/keepalived/keepalived.conf)\n"
               "  -c, -t   check the configuration and exit (0 valid, 1 invalid)\n"
               "  -R DIR   runtime directory for vrrpd.sock (default /run/lbkit)\n"
               "  -d       debug logging\n"
               "  -v       print the version\n"
               "  -h       this help\n");
}

int main(int argc, char **argv)
{
    const char *file = "/etc/keepalived/keepalived.conf", *rundir = "/run/lbkit";
    struct vr_daemon *d = NULL;
    struct vr_cfg *cfg = NULL;
    char *err = NULL;
    int opt, check = 0, r;

    lk_log_init("vrrpd", LK_LOG_INFO);
    while ((opt = getopt(argc, argv, "f:ctR:dvh")) != -1) {
        switch (opt) {
        case 'f':
            file = optarg;
            break;
        case 'c':
        case 't':
            check = 1;
            break;
        case 'R':
            rundir = optarg;
            break;
        case 'd':
            lk_log_threshold = LK_LOG_DEBUG;
            break;
        case 'v':
            printf("vrrpd version %s (lbkit)\n", LBKIT_VERSION);
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
    r = vr_cfg_load_file(file, &cfg, &err);
    if (r < 0) {
        fprintf(stderr, "vrrpd: %s\n", err ? err : "cannot load the configuration");
        free(err);
        return 1;
    }
    if (check) {
        printf("Configuration file is valid\n");
        vr_cfg_free(cfg);
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    r = vr_daemon_new(&d, cfg, file, rundir);
    r = r == 0 ? vr_daemon_run(d) : 1;
    vr_daemon_free(d);
    return r;
}
