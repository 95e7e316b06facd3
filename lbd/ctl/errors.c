/* errors.c - see errors.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "lbd/ctl/errors.h"

/* The last bad request or response of one proxy, as HAProxy keeps it for
 * "show errors": a copy of the first LB_ERR_CAPTURE bytes, taken by the
 * worker that saw the error and read by the control thread under the lock. */
struct capture {
    uint64_t when_us;
    unsigned event; /* per-proxy event number, from 0 */
    struct lk_addr client;
    char server[64];
    int srv_id;
    size_t len, err_off;
    char data[LB_ERR_CAPTURE];
    int used;
};

struct slot {
    struct capture c[LB_ERR_DIR_MAX];
    unsigned events;
};

struct lb_errors {
    pthread_mutex_t lock;
    struct slot *slots; /* by proxy uuid */
    unsigned nslots;
    unsigned total;
};

/* One slot per proxy uuid, sized once from the config: captures never
 * allocate on the error path, which a flood of bad requests would otherwise
 * turn into an allocation storm. */
struct lb_errors *lb_errors_new(const struct lb_cfg *cfg)
{
    struct lb_errors *e = calloc(1, sizeof(*e));
    const struct lb_proxy *px;

    if (!e)
        return NULL;
    for (px = cfg->proxies; px; px = px->next)
        if (px->uuid >= e->nslots)
            e->nslots = px->uuid + 1;
    e->slots = calloc(e->nslots ? e->nslots : 1, sizeof(*e->slots));
    if (!e->slots) {
        free(e);
        return NULL;
    }
    pthread_mutex_init(&e->lock, NULL);
    return e;
}

struct lb_errors *lb_errors_free(struct lb_errors *e)
{
    if (!e)
        return NULL;
    pthread_mutex_destroy(&e->lock);
    free(e->slots);
    free(e);
    return NULL;
}

/* Called from worker threads. The lock is held only for the copy: errors are
 * rare, and a lock keeps a capture from being read half-written. Only the
 * latest error per proxy and direction is kept; earlier ones are overwritten,
 * as in HAProxy. */
void lb_errors_capture(struct lb_errors *e, const struct lb_err_event *ev)
{
    const struct lb_proxy *px = ev->px;
    const struct lb_server *srv = ev->srv;
    enum lb_err_dir dir = ev->dir;
    size_t len = ev->len;
    struct capture *c;

    if (!e || !px || px->uuid >= e->nslots || dir >= LB_ERR_DIR_MAX)
        return;
    if (len > LB_ERR_CAPTURE)
        len = LB_ERR_CAPTURE;
    pthread_mutex_lock(&e->lock);
    c = &e->slots[px->uuid].c[dir];
    c->when_us = lk_wall_us();
    c->event = e->slots[px->uuid].events++;
    if (ev->client)
        c->client = *ev->client;
    /* HAProxy's date format in "show errors", local time with milliseconds. */
    snprintf(c->server, sizeof(c->server), "%s", srv ? srv->name : "<NONE>");
    c->srv_id = srv ? (int)srv->puid : -1;
    memcpy(c->data, ev->buf, len);
    c->len = len;
    c->err_off = ev->err_off;
    c->used = 1;
    e->total++;
    pthread_mutex_unlock(&e->lock);
}

static void fmt_date(char *out, size_t len, uint64_t us)
{
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(us / 1000000);
    struct tm tm;

    localtime_r(&t, &tm);
    snprintf(out, len, "%02d/%s/%04d:%02d:%02d:%02d.%03u", tm.tm_mday, mon[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(us / 1000 % 1000));
}

/* HAProxy's dump: one line per input line, offset first, non-printable
 * bytes escaped. */
/* Bytes are escaped so that a capture of hostile input cannot put control
 * sequences on the operator's terminal. */
static void dump(struct lk_sb *sb, const char *d, size_t len)
{
    size_t i = 0, start;

    while (i < len) {
        start = i;
        lk_sb_printf(sb, "  %05zu  ", start);
        for (; i < len && i - start < 72; i++) {
            unsigned char ch = (unsigned char)d[i];

            if (ch >= 0x20 && ch < 0x7f && ch != '\\')
                lk_sb_append(sb, (const char *)&d[i], 1);
            else if (ch == '\r')
                lk_sb_puts(sb, "\\r");
            else if (ch == '\n')
                lk_sb_puts(sb, "\\n");
            else if (ch == '\t')
                lk_sb_puts(sb, "\\t");
            else
                lk_sb_printf(sb, "\\x%02x", ch);
            if (ch == '\n') {
                i++;
                break;
            }
        }
        lk_sb_append(sb, "\n", 1);
    }
}

static void show_one(struct lk_sb *sb,
                     const struct lb_proxy *px,
                     enum lb_err_dir dir,
                     const struct capture *c)
{
    char date[40], ip[LK_ADDR_STRLEN];

    fmt_date(date, sizeof(date), c->when_us);
    lk_sb_printf(sb, "\n[%s] %s %s (#%u): invalid %s\n", date,
                 /* The proxies are walked in config order under one lock hold, so the dump is
                  * consistent: no capture changes while it is written. */
                 dir == LB_ERR_REQ ? "frontend" : "backend", px->name, px->uuid,
                 dir == LB_ERR_REQ ? "request" : "response");
    lk_sb_printf(sb, "  backend %s (#%d), server %s (#%d), event #%u, src %s\n",
                 dir == LB_ERR_RSP ? px->name : "<NONE>", dir == LB_ERR_RSP ? (int)px->uuid : -1,
                 c->server, c->srv_id, c->event, lk_addr_str(&c->client, ip, sizeof(ip)));
    lk_sb_printf(sb, "  buffer starts at 0 (including 0 out), %zu free,\n",
                 LB_ERR_CAPTURE - c->len);
    lk_sb_printf(sb, "  len %zu, wraps at %d, error at position %zu\n\n", c->len, LB_ERR_CAPTURE,
                 c->err_off);
    dump(sb, c->data, c->len);
}

void lb_errors_show(struct lb_errors *e, const struct lb_cfg *cfg, struct lk_sb *sb)
{
    const struct lb_proxy *px;
    char date[40];
    int dir;

    fmt_date(date, sizeof(date), lk_wall_us());
    if (!e) {
        lk_sb_printf(sb, "Total events captured on [%s] : 0\n", date);
        return;
    }
    pthread_mutex_lock(&e->lock);
    lk_sb_printf(sb, "Total events captured on [%s] : %u\n", date, e->total);
    for (px = cfg->proxies; px; px = px->next)
        for (dir = 0; dir < LB_ERR_DIR_MAX && px->uuid < e->nslots; dir++)
            if (e->slots[px->uuid].c[dir].used)
                show_one(sb, px, (enum lb_err_dir)dir, &e->slots[px->uuid].c[dir]);
    pthread_mutex_unlock(&e->lock);
}
