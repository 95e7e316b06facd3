/* main.c - lbd: parse arguments, load the config, run the daemon. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/args.h"
#include "common/log.h"
#include "lbd/cfg/cfg.h"
#include "lbd/cfg/peers_cfg.h"
#include "lbd/core/daemon.h"
#include "lbd/core/master.h"
#include "lbd/core/mwlink.h"
#include "lbd/core/srvstate.h"

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

static const struct lk_args_spec spec = {
    "lbd", "configuration in HAProxy's dialect (default: built-in demo)", NULL, NULL, 1};

int main(int argc, char **argv)
{
    struct lb_cfg *cfg = NULL;
    struct lb_daemon *d = NULL;
    struct lb_mw *mw = NULL;
    struct lk_args a;
    char *err = NULL;
    int r;

    r = lk_args_start(argc, argv, &spec, &a);
    if (r >= 0)
        return r;
    /* a worker started by a master (lbd -W) has LB_MW_ENV, and its config */
    if (getenv(LB_MW_ENV) && lb_mw_from_env(&mw) < 0)
        return 1;
    r = mw       ? lb_mw_load_cfg(mw, a.file, &cfg, &err)
        : a.file ? lb_cfg_load_file(a.file, &cfg, &err)
                 : lb_cfg_load_mem("<built-in demo>", default_cfg, &cfg, &err);
    /* which peer this instance is: -L is known here only */
    if (r == 0 && lb_peers_cfg_localize(cfg, a.local_peer, &err) < 0) {
        cfg = lb_cfg_free(cfg);
        r = -EINVAL;
    }
    if (r < 0) {
        lb_mw_free(mw);
        return lk_args_cfg_fail(&spec, err);
    }
    /* chroot needs the master (lb_cfg_check_chroot()); "lbd -c" alone checks the
     * file without knowing whether it will run under one, so it skips this unless
     * -W is given with it. */
    if ((!a.check || a.master_worker) && lb_cfg_check_chroot(cfg, a.master_worker, &err) < 0) {
        lb_cfg_free(cfg);
        lb_mw_free(mw);
        return lk_args_cfg_fail(&spec, err);
    }
    if (a.check) {
        printf("Configuration file is valid\n");
        lb_cfg_free(cfg);
        lb_mw_free(mw);
        return 0;
    }
    /* A peer closing mid-write must produce EPIPE on that session, not kill the
     * whole process. */
    signal(SIGPIPE, SIG_IGN);
    /* The master only validates the config (which it will re-read on each reload)
     * and spawns workers; it never runs a daemon itself, so the parsed config is
     * freed here. */
    if (!mw && (a.master_worker || cfg->global.master_worker)) {
        lb_cfg_free(cfg);
        return lb_master_run(&a, argv);
    }
    lb_srvstate_apply(cfg); /* the servers' states before this start or reload */
    r = lb_daemon_new(&d, cfg, a.rundir, mw);
    r = r == 0 ? lb_daemon_run(d) : 1;
    lb_daemon_free(d);
    lb_cfg_free(cfg);
    return r;
}
