/* cfg_sync.c - vrrp_sync_group blocks of Keepalived's dialect (see
 * cfg_int.h; the run-time side is sync.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "vrrpd/cfg_int.h"

/* The group's file and line are kept for the checks that can only run once
 * every instance is known (vr__validate_syncs()). */
int vr__kw_sync_block(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;
    struct vr_sync_cfg *g;

    g = VR__NAMED_NEW(c, &c->cfg->syncs, struct vr_sync_cfg, "vrrp_sync_group", argv[1], err);
    if (!g)
        return LK_CFG_FATAL;
    g->file = c->file;
    g->line = c->line;
    c->sync = g;
    return LK_CFG_OK;
}

/* Members are kept by name: an instance may be defined after the group, and
 * the names are resolved in attach(). */
int vr__item_sync_member(struct vr__ctx *c, int argc, char **argv, char **err)
{
    struct vr_sync_cfg *g = c->sync;
    int k;

    /* Keepalived also takes several names on one line */
    for (k = 0; k < argc; k++) {
        if (g->nmembers >= VR_MAX_TRACK)
            return vr__fail(c, err, "more than %d instances in a sync group", VR_MAX_TRACK);
        if (strlen(argv[k]) >= VR_NAME_MAX)
            return vr__fail(c, err, "name '%s' is too long", argv[k]);
        snprintf(g->members[g->nmembers++], VR_NAME_MAX, "%s", argv[k]);
    }
    return LK_CFG_OK;
}

static int kw_sync_notify(int argc, char **argv, void *ctx, char **err)
{
    return vr__kw_notify(ctx, &((struct vr__ctx *)ctx)->sync->notify, argc, argv, err);
}

/* Also the handler of "smtp_alert", accepted for stock configs and without
 * effect (vrrpd sends no mail). */
static int kw_sync_flag(int argc, char **argv, void *ctx, char **err)
{
    struct vr__ctx *c = ctx;

    /* global_tracking is the older name of sync_group_tracking_weight */
    if (!strcmp(argv[0], "global_tracking"))
        vr__warn(c, "global_tracking is deprecated (Keepalived says so too): "
                    "sync_group_tracking_weight is its new name");
    if (strcmp(argv[0], "smtp_alert") != 0)
        c->sync->tracking_weight = true;
    return LK_CFG_OK;
}

/* The "group" keyword only opens the member list; its items go to
 * vr__item_sync_member(). */
static int kw_sync_group(int argc, char **argv, void *ctx, char **err)
{
    return LK_CFG_OK;
}

static int kw_sync_track(int argc, char **argv, void *ctx, char **err)
{
    return vr__fail(ctx, err,
                    "'%s' in a vrrp_sync_group is not supported by vrrpd: put it in each "
                    "member vrrp_instance (a failure there puts the whole group in FAULT)",
                    argv[0]);
}

/* The weight a reference applies: its own, else its target's. */
static int ref_weight(const struct vr_cfg *cfg, const char *what, const struct vr_track_ref *t)
{
    const struct vr_script_cfg *s;
    const struct vr_tfile_cfg *f;
    const struct vr_tproc_cfg *p;

    if (t->has_weight || !strcmp(what, "interface"))
        return t->weight;
    if (!strcmp(what, "script"))
        return (s = vr_cfg_find_script(cfg, t->name)) ? s->weight : 0;
    if (!strcmp(what, "file"))
        return (f = vr_cfg_find_tfile(cfg, t->name)) ? f->weight : 0;
    return (p = vr_cfg_find_tproc(cfg, t->name)) ? p->weight : 0;
}

/* Keepalived zeroes the tracking weights of members (a failure puts the
 * group in FAULT, so that every member moves together) unless the group
 * says sync_group_tracking_weight; it warns, and so do we. */
static void zero_weights(const struct vr_cfg *cfg,
                         const struct vr_sync_cfg *g,
                         struct vr_inst_cfg *i,
                         struct vr_track_ref *t,
                         unsigned n,
                         const char *what)
{
    unsigned k;

    for (k = 0; k < n; k++) {
        if (ref_weight(cfg, what, &t[k]) != 0)
            lk_log(LK_LOG_WARNING,
                   "(%s) ignoring weight of tracked %s %s: member of sync group %s (weight 0: "
                   "a failure means FAULT; sync_group_tracking_weight keeps it)",
                   i->name, what, t[k].name, g->name);
        t[k].weight = 0;
        t[k].has_weight = true;
    }
}

/* An instance belongs to at most one group: two groups would each try to move
 * it, and Keepalived refuses it as well. */
static int attach(struct vr_cfg *cfg, struct vr_sync_cfg *g, const char *name, char **err)
{
    struct vr_inst_cfg *i = vr_cfg_find_inst(cfg, name);

    if (!i)
        return lk_cfg_err(err, "%s:%u: vrrp_sync_group '%s': no vrrp_instance '%s'", g->file,
                          g->line, g->name, name);
    if (i->sync)
        return lk_cfg_err(err, "%s:%u: vrrp_sync_group '%s': '%s' is already in group '%s'",
                          g->file, g->line, g->name, name, i->sync->name);
    i->sync = g;
    if (g->tracking_weight)
        return 0;
    zero_weights(cfg, g, i, i->scripts, i->nscripts, "script");
    zero_weights(cfg, g, i, i->ifaces, i->nifaces, "interface");
    zero_weights(cfg, g, i, i->tfiles, i->ntfiles, "file");
    zero_weights(cfg, g, i, i->tprocs, i->ntprocs, "process");
    return 0;
}

int vr__validate_syncs(struct vr_cfg *cfg, char **err)
{
    struct lk_list *it;
    unsigned k;
    int r;

    LK_LIST_FOREACH (it, &cfg->syncs) {
        struct vr_sync_cfg *g = LK_LIST_ELEM(it, struct vr_sync_cfg, link);

        if (!g->nmembers)
            return lk_cfg_err(err, "%s:%u: vrrp_sync_group '%s' has no 'group' members", g->file,
                              g->line, g->name);
        if (g->nmembers == 1)
            lk_log(LK_LOG_WARNING,
                   "%s:%u: sync group %s has only 1 virtual router: this probably isn't what "
                   "you want",
                   g->file, g->line, g->name);
        for (k = 0; k < g->nmembers; k++) {
            r = attach(cfg, g, g->members[k], err);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

void vr__free_syncs(struct vr_cfg *cfg)
{
    struct lk_list *it, *nx;

    LK_LIST_FOREACH_SAFE (it, nx, &cfg->syncs) {
        struct vr_sync_cfg *g = LK_LIST_ELEM(it, struct vr_sync_cfg, link);

        free(g->name);
        vr__notify_cfg_free(&g->notify);
        free(g);
    }
}

struct vr_sync_cfg *vr_cfg_find_sync(const struct vr_cfg *cfg, const char *name)
{
    return VR__FIND(&cfg->syncs, struct vr_sync_cfg, name);
}

const struct lk_cfgkw vr__sync_kws[] = {
    {"group", kw_sync_group, 0, 0, BLK_SYNC_GRP},
    VR__NOTIFY_KWS(kw_sync_notify),
    {"sync_group_tracking_weight", kw_sync_flag, 0, 0, 0},
    {"global_tracking", kw_sync_flag, 0, 0, 0},
    {"smtp_alert", kw_sync_flag, 0, 1, 0},
    {"track_script", kw_sync_track, 0, 0, BLK_SKIP},
    {"track_interface", kw_sync_track, 0, 0, BLK_SKIP},
    {"track_file", kw_sync_track, 0, 0, BLK_SKIP},
    {"track_process", kw_sync_track, 0, 0, BLK_SKIP},
    {0},
};
