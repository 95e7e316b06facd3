/* track_file.c - track_file at run time (see track.h): the number in a
 * file, read at start and whenever the file changes. The directory is
 * watched (inotify through uv_fs_event), so a file replaced by rename or
 * created later is seen too. A missing or empty file reads as 0, as in
 * Keepalived. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "common/log.h"
#include "vrrpd/daemon.h"
#include "vrrpd/inst.h"
#include "vrrpd/track_int.h"

struct file_track {
    struct vr_track t; /* first: freed through it */
    uv_fs_event_t ev;
    char *path;
    char base[256];
};

static long read_value(const char *path, char *why, size_t len)
{
    char buf[64];
    ssize_t n;
    long v;
    int fd;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(why, len, "%s: %s (counts as 0)", path, strerror(errno));
        return 0;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    v = strtol(buf, NULL, 10);
    snprintf(why, len, "%s reads %ld", path, v);
    return v;
}

static void refresh(struct file_track *f)
{
    char why[sizeof(f->t.why)];
    long v = read_value(f->path, why, sizeof(why));

    vr__track_set_value(&f->t, v, why);
}

static void on_change(uv_fs_event_t *h, const char *name, int events, int status)
{
    struct file_track *f = h->data;

    if (status == 0 && name && !strcmp(name, f->base))
        refresh(f);
}

static void closed(uv_handle_t *h)
{
    struct file_track *f = h->data;

    free(f->path);
    vr__track_release(&f->t);
}

static void stop(struct vr_track *t)
{
    struct file_track *f = (struct file_track *)t;

    uv_close((uv_handle_t *)&f->ev, closed);
}

/* init_file: write the value if the file is missing (or always, with
 * overwrite). */
static void init_file(const struct vr_tfile_cfg *c)
{
    FILE *fp;

    if (!c->init || (!c->overwrite && access(c->path, F_OK) == 0))
        return;
    fp = fopen(c->path, "we");
    if (!fp) {
        lk_log(LK_LOG_WARNING, "track_file %s: cannot create %s: %s", c->name, c->path,
               strerror(errno));
        return;
    }
    fprintf(fp, "%ld\n", c->init_value);
    fclose(fp);
}

int vr__tfile_start(struct vr_inst *i, const struct vr_tfile_cfg *c, const struct vr_track_ref *ref)
{
    struct file_track *f = calloc(1, sizeof(*f));
    char *dir;
    int r;

    if (!f || !(f->path = strdup(c->path)) || !(dir = strdup(c->path))) {
        if (f)
            free(f->path);
        free(f);
        return -ENOMEM;
    }
    snprintf(f->base, sizeof(f->base), "%s", basename(f->path));
    init_file(c);
    vr__track_init(&f->t, i, VR_TRACK_FILE, c->name, ref->has_weight ? ref->weight : c->weight,
                   true);
    f->t.valued = true;
    f->t.reverse = ref->reverse || c->reverse;
    f->t.stop = stop;
    uv_fs_event_init(&i->d->loop, &f->ev);
    f->ev.data = f;
    r = uv_fs_event_start(&f->ev, on_change, dirname(dir), 0);
    if (r < 0)
        lk_log(LK_LOG_WARNING, "(%s) track_file %s: cannot watch %s: %s (read once)", i->cfg->name,
               c->name, c->path, uv_strerror(r));
    free(dir);
    /* read now, quietly: the instance computes its first priority after
     * its trackers started */
    f->t.value = read_value(f->path, f->t.why, sizeof(f->t.why));
    return 0;
}
