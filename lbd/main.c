/* main.c - lbd: parse arguments, load the config, run the daemon. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "lbd/cfg.h"
#include "lbd/lbd.h"

/* Used when no -f is given: the demo of the README, two backends on
 * loopback behind one frontend. */
static const char default_cfg[] = "global\n"
                                  "    maxconn 4096\n"
                                  "defaults\n"
                                  "    mode http\n"
                                  "    timeout connect 5s\n"
                                  "    timeout client 60s\n"
                                  "    timeout server 60s\n"
                                  "    log stdout format raw local0\n"
                                  "    option httplog\n"
                                  "frontend demo\n"
                                  "    bind 127.0.0.1:8080\n"
                                  "    default_backend demo_servers\n"
                                  "backend demo_servers\n"
                                  "    balance roundrobin\n"
                                  "    server demo1 127.0.0.1:8081\n"
                                  "    server demo2 127.0.0.1:8082\n";

static void usage(FILE *f)
{
    fprintf(f, "Usage: lbd [-f FILE] [-c] [-R DIR] [-d] [-v] [-h]\n"
               "  -f FILE  configuration in HAProxy's dialect (default: built-in demo)\n"
               "  -c       check the configuration and exit (0 valid, 1 invalid)\n"
               "  -R DIR   runtime directory for lbd.sock (default /run/lbkit)\n"
               "  -d       debug logging\n"
               "  -v       print the version\n"
               "  -h       this help\n");
}

int main(int argc, char **argv)
{
    const char *file = NULL, *rundir = "/run/lbkit";
    struct lb_cfg *cfg = NULL;
    struct lb_daemon *d = NULL;
    char *err = NULL;
    int opt, check = 0, r;

    lk_log_init("lbd", LK_LOG_INFO);
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
            printf("lbd version %s (lbkit)\n", LBKIT_VERSION);
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
    r = file ? lb_cfg_load_file(file, &cfg, &err)
             : lb_cfg_load_mem("<built-in demo>", default_cfg, &cfg, &err);
    if (r < 0) {
        fprintf(stderr, "lbd: %s\n", err ? err : "cannot load the configuration");
        free(err);
        return 1;
    }
    if (check) {
        printf("Configuration file is valid\n");
        lb_cfg_free(cfg);
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    r = lb_daemon_new(&d, cfg, rundir);
    if (r == 0)
        r = lb_daemon_run(d);
    else
        r = 1;
    lb_daemon_free(d);
    lb_cfg_free(cfg);
    return r;
}
