/* main.c - checkd: parse arguments, load the config, run the daemon. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "checkd/cfg.h"
#include "checkd/daemon.h"
#include "common/args.h"
#include "common/log.h"

static const struct lk_args_spec spec = {
    "checkd", "own config: sockets and standalone targets (optional; lbd registers its servers)",
    NULL, NULL, 0};

int main(int argc, char **argv)
{
    struct chk_cfg *cfg = NULL;
    struct chk_daemon *d = NULL;
    struct lk_args a;
    char *err = NULL;
    int r;

    r = lk_args_start(argc, argv, &spec, &a);
    if (r >= 0)
        return r;
    /* Without -f there is no file at all: checkd then only listens on
     * RUNDIR/checkd.sock and checks what lbd registers. */
    r = chk_cfg_load(a.file, a.rundir, &cfg, &err);
    if (r < 0)
        return lk_args_cfg_fail(&spec, err);
    if (a.check) {
        printf("Configuration file is valid (%zu targets)\n", cfg->ntargets);
        chk_cfg_free(cfg);
        return 0;
    }
    /* A probe's peer closing mid-send must fail that probe with EPIPE, not kill
     * checkd and every other check with it. */
    signal(SIGPIPE, SIG_IGN);
    r = chk_daemon_new(&d, cfg, a.file, a.rundir); /* takes cfg */
    r = r == 0 ? chk_daemon_run(d) : 1;
    chk_daemon_free(d);
    return r;
}
