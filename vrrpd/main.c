/* main.c - vrrpd: parse arguments, load the config, run the daemon. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/args.h"
#include "common/log.h"
#include "vrrpd/cfg.h"
#include "vrrpd/daemon.h"

static const struct lk_args_spec spec = {
    "vrrpd", "configuration in Keepalived's dialect (default /etc/lbkit/vrrpd.conf)",
    "/etc/lbkit/vrrpd.conf", "t", 0};

int main(int argc, char **argv)
{
    struct vr_daemon *d = NULL;
    struct vr_cfg *cfg = NULL;
    struct lk_args a;
    char *err = NULL;
    int r;

    lk_log_init("vrrpd", LK_LOG_INFO);
    r = lk_args_parse(argc, argv, &spec, &a);
    if (r >= 0)
        return r;
    if (a.debug)
        lk_log_threshold = LK_LOG_DEBUG;
    r = vr_cfg_load_file(a.file, &cfg, &err);
    if (r == 0 && a.check)
        r = vr_daemon_check_links(cfg, &err);
    if (r < 0) {
        fprintf(stderr, "vrrpd: %s\n", err ? err : "cannot load the configuration");
        free(err);
        vr_cfg_free(cfg);
        return 1;
    }
    if (a.check) {
        printf("Configuration file is valid\n");
        vr_cfg_free(cfg);
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    r = vr_daemon_new(&d, cfg, a.file, a.rundir);
    r = r == 0 ? vr_daemon_run(d) : 1;
    vr_daemon_free(d);
    return r;
}
