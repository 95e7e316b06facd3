/* cfg_track.c - the track_file and vrrp_track_process blocks of
 * Keepalived's dialect, and the instances' references to them (see
 * cfg_int.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "vrrpd/cfg_int.h"

/* ---- track_file NAME { } ---------------------------------------------- */

int vr__kw_tfile_block(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;
    struct vr_tfile_cfg *f;

    f = VR__NAMED_NEW(c, &c->cfg->tfiles, struct vr_tfile_cfg, "track_file", argv[1], err);
    if (!f)
        return LK_CFG_FATAL;
    f->weight = 1; /* Keepalived's default */
    c->tfile = f;
    return LK_CFG_OK;
}

static int kw_tfile_file(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;

    return vr__dupstr(c, &c->tfile->path, argv[1], err);
}

static int kw_tfile_weight(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;

    /* the file's value multiplies the weight: the result is bounded when
     * it is applied, not here (Keepalived allows any int) */
    return vr__weight(c, argc, argv, 2147483647, &c->tfile->weight, &c->tfile->reverse, err);
}

/* Keepalived's init_file: create the file with VALUE (default 0) when it is
 * missing at start, and with "overwrite" write VALUE even if it exists, so an
 * instance never starts from a stale value left by an earlier run. */
static int kw_tfile_init(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;
    struct vr_tfile_cfg *f = c->tfile;
    int64_t v = 0;
    int i = 1;

    if (argc > i && strcmp(argv[i], "overwrite") != 0) {
        if (vr__num(c, argv, i, -2147483647, 2147483647, &v, err))
            return LK_CFG_FATAL;
        i++;
    }
    if (argc > i && strcmp(argv[i], "overwrite") != 0)
        return vr__fail(c, err, "'init_file': expected [VALUE] [overwrite], not '%s'", argv[i]);
    f->init = true;
    f->init_value = (long)v;
    f->overwrite = argc > i;
    return LK_CFG_OK;
}

/* ---- vrrp_track_process NAME { } -------------------------------------- */

/* Keepalived's defaults: weight 1, and the process counts as running with one
 * instance (quorum 1, no upper bound). */
int vr__kw_tproc_block(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;
    struct vr_tproc_cfg *p;

    p = VR__NAMED_NEW(c, &c->cfg->tprocs, struct vr_tproc_cfg, "vrrp_track_process", argv[1], err);
    if (!p)
        return LK_CFG_FATAL;
    p->weight = 1;
    p->quorum = 1;
    p->quorum_max = UINT32_MAX;
    c->tproc = p;
    return LK_CFG_OK;
}

static void free_argv(char **v)
{
    char **a;

    for (a = v; a && *a; a++)
        free(*a);
    free(v);
}

/* The command line is kept as separate words: they are compared with
 * /proc/PID/cmdline word by word (param_match decides how), so quoting in the
 * config decides what one argument is. */
static int kw_tproc_process(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;
    struct vr_tproc_cfg *p = c->tproc;
    int i;

    free_argv(p->argv);
    p->argv = calloc((size_t)argc, sizeof(char *));
    if (!p->argv)
        return vr__fail(c, err, "out of memory");
    for (i = 1; i < argc; i++)
        if (!(p->argv[i - 1] = strdup(argv[i])))
            return vr__fail(c, err, "out of memory");
    p->argc = argc - 1;
    p->has_params = p->has_params || argc > 2;
    return LK_CFG_OK;
}

static int kw_tproc_match(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;

    if (!strcmp(argv[1], "partial"))
        c->tproc->match = VR_PARAM_PARTIAL;
    else if (!strcmp(argv[1], "initial"))
        c->tproc->match = VR_PARAM_INITIAL;
    else
        return vr__fail(c, err, "'param_match' expects partial or initial, not '%s'", argv[1]);
    c->tproc->has_params = true;
    return LK_CFG_OK;
}

static int kw_tproc_weight(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;

    return vr__weight(c, argc, argv, 254, &c->tproc->weight, &c->tproc->reverse, err);
}

/* "delay" sets both delays at once (Keepalived's shorthand): how long a
 * process start or exit must last before the track changes, so a quick
 * restart of the tracked daemon does not flap the instance. */
static int kw_tproc_num(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;
    struct vr_tproc_cfg *p = c->tproc;

    if (!strcmp(argv[0], "delay")) {
        if (vr__secs_ms(c, argv, 1, &p->fork_delay_ms, err))
            return LK_CFG_FATAL;
        p->terminate_delay_ms = p->fork_delay_ms;
        return LK_CFG_OK;
    }
    if (!strcmp(argv[0], "fork_delay"))
        return vr__secs_ms(c, argv, 1, &p->fork_delay_ms, err);
    return vr__secs_ms(c, argv, 1, &p->terminate_delay_ms, err);
}

/* ---- validation -------------------------------------------------------- */

/* References are checked once the whole file is read: the blocks may follow
 * the instances that name them. */
static int check_refs(const struct vr_cfg *cfg, const struct vr_inst_cfg *i, char **err)
{
    unsigned k;

    for (k = 0; k < i->ntfiles; k++)
        if (!vr_cfg_find_tfile(cfg, i->tfiles[k].name))
            return lk_cfg_err(err, "%s:%u: vrrp_instance '%s': track_file '%s' is not defined",
                              i->file, i->line, i->name, i->tfiles[k].name);
    for (k = 0; k < i->ntprocs; k++)
        if (!vr_cfg_find_tproc(cfg, i->tprocs[k].name))
            return lk_cfg_err(err,
                              "%s:%u: vrrp_instance '%s': track_process '%s' is not defined "
                              "(vrrp_track_process)",
                              i->file, i->line, i->name, i->tprocs[k].name);
    return 0;
}

int vr__validate_tracks(struct vr_cfg *cfg, char **err)
{
    struct lk_list *it;
    int r;

    LK_LIST_FOREACH (it, &cfg->tfiles) {
        const struct vr_tfile_cfg *f = LK_LIST_ELEM(it, struct vr_tfile_cfg, link);

        if (!f->path)
            return lk_cfg_err(err, "%s: track_file '%s' has no 'file'", cfg->file, f->name);
    }
    LK_LIST_FOREACH (it, &cfg->tprocs) {
        const struct vr_tproc_cfg *p = LK_LIST_ELEM(it, struct vr_tproc_cfg, link);

        if (!p->argc)
            return lk_cfg_err(err, "%s: vrrp_track_process '%s' has no 'process'", cfg->file,
                              p->name);
        if (p->quorum_max < p->quorum)
            return lk_cfg_err(err, "%s: vrrp_track_process '%s': quorum_max is below quorum",
                              cfg->file, p->name);
    }
    LK_LIST_FOREACH (it, &cfg->instances) {
        r = check_refs(cfg, LK_LIST_ELEM(it, struct vr_inst_cfg, link), err);
        if (r < 0)
            return r;
    }
    return 0;
}

void vr__free_tracks(struct vr_cfg *cfg)
{
    struct lk_list *it, *nx;

    LK_LIST_FOREACH_SAFE (it, nx, &cfg->tfiles) {
        struct vr_tfile_cfg *f = LK_LIST_ELEM(it, struct vr_tfile_cfg, link);

        free(f->name);
        free(f->path);
        free(f);
    }
    LK_LIST_FOREACH_SAFE (it, nx, &cfg->tprocs) {
        struct vr_tproc_cfg *p = LK_LIST_ELEM(it, struct vr_tproc_cfg, link);

        free(p->name);
        free_argv(p->argv);
        free(p);
    }
}

struct vr_tfile_cfg *vr_cfg_find_tfile(const struct vr_cfg *cfg, const char *name)
{
    return VR__FIND(&cfg->tfiles, struct vr_tfile_cfg, name);
}

struct vr_tproc_cfg *vr_cfg_find_tproc(const struct vr_cfg *cfg, const char *name)
{
    return VR__FIND(&cfg->tprocs, struct vr_tproc_cfg, name);
}

/* ---- keyword tables ---------------------------------------------------- */

const struct lk_cfgkw vr__tfile_kws[] = {
    {"file", kw_tfile_file, 1, 1, 0},
    {"weight", kw_tfile_weight, 1, 2, 0},
    {"init_file", kw_tfile_init, 0, 2, 0},
    {0},
};

const struct lk_cfgkw vr__tproc_kws[] = {
    {"process", kw_tproc_process, 1, -1, 0}, {"param_match", kw_tproc_match, 1, 1, 0},
    {"weight", kw_tproc_weight, 1, 2, 0},    {"quorum", vr__kw_field, 1, 1, 0},
    {"quorum_max", vr__kw_field, 1, 1, 0},   {"delay", kw_tproc_num, 1, 1, 0},
    {"fork_delay", kw_tproc_num, 1, 1, 0},   {"terminate_delay", kw_tproc_num, 1, 1, 0},
    {"full_command", vr__kw_field, 0, 0, 0}, {0},
};
