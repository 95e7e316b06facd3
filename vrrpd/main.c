/* main.c - vrrpd: parse arguments, load the config, run the daemon. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/args.h"
#include "common/log.h"
#include "vrrpd/cfg.h"
#include "vrrpd/daemon.h"
#include "vrrpd/guard.h"

static const struct lk_args_spec spec = {
    "vrrpd", "configuration in Keepalived's dialect (default /etc/lbkit/vrrpd.conf)",
    "/etc/lbkit/vrrpd.conf", "t", 0};

/* Run the wills vrrpd's masters left in RUNDIR/vrrpd.wills. Exit 0 when
 * there was nothing to do or it was done, 1 when the file is unreadable. */
static int resign(int argc, char **argv)
{
    char path[PATH_MAX];
    struct lk_args a;
    int r = lk_args_start(argc, argv, &spec, &a);

    if (r >= 0)
        return r;
    snprintf(path, sizeof(path), "%s/vrrpd.wills", a.rundir);
    r = vr_guard_resign(path);
    if (r < 0) {
        fprintf(stderr, "vrrpd --resign: %s: %s\n", path, strerror(-r));
        return 1;
    }
    if (r > 0)
        lk_log(LK_LOG_NOTICE, "resigned for %d master instance(s) of a killed vrrpd", r);
    return 0;
}

int main(int argc, char **argv)
{
    struct vr_daemon *d = NULL;
    struct vr_cfg *cfg = NULL;
    struct lk_args a;
    char *err = NULL;
    int r;

    /* vrrpd --resign [-R DIR]: systemd's ExecStopPost, after vrrpd died
     * with its guard (see guard.h) */
    if (argc > 1 && !strcmp(argv[1], "--resign")) {
        argv[1] = argv[0];
        return resign(argc - 1, argv + 1);
    }
    r = lk_args_start(argc, argv, &spec, &a);
    if (r >= 0)
        return r;
    r = vr_cfg_load_file(a.file, &cfg, &err);
    if (r == 0 && a.check)
        r = vr_daemon_check_links(cfg, &err);
    if (r < 0) {
        vr_cfg_free(cfg);
        return lk_args_cfg_fail(&spec, err);
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
