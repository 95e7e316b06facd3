/* stats_page.c - see stats_page.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/b64.h"
#include "common/clock.h"
#include "common/log.h"
#include "lbd/cfg/http_cfg.h"
#include "lbd/cfg/proxy.h"
#include "lbd/core/daemon.h"
#include "lbd/core/server.h"
#include "lbd/ctl/admin.h"
#include "lbd/ctl/stats.h"
#include "lbd/ctl/stats_page.h"

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)

static const char body_401[] = "<html><body><h1>401 Unauthorized</h1>\n"
                               "You need a valid user and password to access this content.\n"
                               "</body></html>\n";

/* ---- auth ---- */

/* "stats auth" credentials are compared as the decoded "user:password"
 * string, against every entry without stopping at the first match, so the
 * time taken does not reveal which entry (or how much of one) matched. No
 * auth line means the page is open, as in HAProxy. */
int lb_stats_auth_ok(const struct lb_proxy *px, const char *authorization)
{
    char creds[512];
    int n, ok = 0;
    size_t i;

    if (!px->stats.nauth)
        return 1;
    if (!authorization || strncasecmp(authorization, "Basic ", 6) != 0)
        return 0;
    authorization += 6;
    while (*authorization == ' ')
        authorization++;
    n = lk_base64_decode(authorization, strlen(authorization), creds, sizeof(creds));
    if (n <= 0)
        return 0;
    for (i = 0; i < px->stats.nauth; i++)
        ok |= lk_ct_equal(creds, (size_t)n, px->stats.auth[i], strlen(px->stats.auth[i]));
    return ok;
}

/* ---- HTML ---- */

/* Names come from the config and the admin socket: escaped so that a
 * server called "<script>" is text on the page, not markup. */
static void html_esc(struct lk_sb *sb, const char *s)
{
    static const char special[] = "<>&\"";
    static const char *const entity[] = {"&lt;", "&gt;", "&amp;", "&quot;"};
    const char *p;

    for (; *s; s++) {
        p = strchr(special, *s);
        if (p)
            lk_sb_puts(sb, entity[p - special]);
        else
            lk_sb_append(sb, s, 1);
    }
}

/* HAProxy's colour scheme by class name, so operators read server states at a
 * glance as they are used to; the page has no external resource (no script,
 * no stylesheet link) and works offline. */
static const char css[] =
    "body{font-family:arial,helvetica,sans-serif;font-size:12px;background:#fff}"
    "table.tbl{border-collapse:collapse;border:1px solid #999;margin-bottom:12px}"
    "table.tbl td,table.tbl th{border:1px solid #bbb;padding:1px 4px;text-align:right}"
    "th.pxname{background:#b00040;color:#ffff40;text-align:left;font-weight:bold}"
    "tr.titre th{background:#20a0ff;color:#000}td.ac{text-align:left}"
    ".active_up{background:#c0ffc0}.active_going_down{background:#ffffa0}"
    ".active_down{background:#ff9090}.active_going_up{background:#ffd020}"
    ".backup_up{background:#c0c0ff}.maintain{background:#c07820}.draining{background:#20a0ff}"
    ".active_no_check{background:#e0e0e0}.frontend{background:#f0f0f0}"
    ".backend{background:#e8e8d0}h1{font-size:16px}";

/* The row colour follows HAProxy's: "going down" is UP with a health counter
 * below full (failed checks not yet at fall), "going up" is DOWN with some
 * successful checks. */
static const char *row_class(const struct lb_server *s)
{
    int st = LD(s->state);
    int bk = (s->flags & LB_SRV_F_BACKUP) != 0;

    if (st == LB_SRV_MAINT)
        return "maintain";
    if (st == LB_SRV_DRAIN)
        return "draining";
    if (st == LB_SRV_DOWN)
        return s->check_health ? "active_going_up" : "active_down";
    if (!(s->flags & LB_SRV_F_CHECK))
        return bk ? "backup_up" : "active_no_check";
    if (s->check_status[0] && s->check_health < s->rise + s->fall - 1)
        return "active_going_down";
    return bk ? "backup_up" : "active_up";
}

static void html_num(struct lk_sb *sb, unsigned long long v)
{
    lk_sb_printf(sb, "<td>%llu</td>", v);
}

/* Columns follow thead, cell for cell; cells lbd has no value for are left
 * empty rather than dropped, so the table stays aligned with the header. */
static void html_srv_row(struct lk_sb *sb, const struct lb_server *s, int admin, uint64_t now)
{
    char st[32];

    lk_sb_printf(sb, "<tr class=\"%s\">", row_class(s));
    if (admin) {
        lk_sb_puts(sb, "<td><input type=\"checkbox\" name=\"s\" value=\"");
        html_esc(sb, s->name);
        lk_sb_puts(sb, "\"></td>");
    }
    lk_sb_puts(sb, "<td class=ac>");
    html_esc(sb, s->name);
    lk_sb_puts(sb, "</td>");
    html_num(sb, LD(s->queued));
    html_num(sb, LD(s->max_queued));
    lk_sb_printf(sb, "<td>%s</td>", "-");
    html_num(sb, s->rate);
    html_num(sb, s->rate_max);
    lk_sb_puts(sb, "<td></td>");
    html_num(sb, LD(s->cur_conns));
    html_num(sb, LD(s->max_conns_seen));
    if (s->maxconn)
        html_num(sb, s->maxconn);
    else
        lk_sb_puts(sb, "<td>-</td>");
    html_num(sb, LD(s->cum_conns));
    html_num(sb, LD(s->cum_conns));
    html_num(sb, LD(s->bytes_in));
    html_num(sb, LD(s->bytes_out));
    lk_sb_puts(sb, "<td></td><td>0</td><td></td>");
    html_num(sb, LD(s->failed_conns));
    html_num(sb, LD(s->failed_resp));
    html_num(sb, LD(s->retries));
    html_num(sb, LD(s->redispatches));
    lk_sb_printf(sb, "<td class=ac>%llus %s</td><td class=ac>",
                 (unsigned long long)(now - s->last_change_ms) / 1000,
                 lb_stats_srv_status(s, st, sizeof(st)));
    if (s->check_status[0]) {
        lk_sb_printf(sb, "%s", s->check_status);
        if (s->check_duration_ms >= 0)
            lk_sb_printf(sb, " in %dms", s->check_duration_ms);
    }
    lk_sb_printf(sb, "</td><td>%u</td><td>%s</td><td>%s</td><td>%u</td><td>%u</td></tr>\n",
                 LD(s->cur_weight), (s->flags & LB_SRV_F_BACKUP) ? "-" : "Y",
                 (s->flags & LB_SRV_F_BACKUP) ? "Y" : "-", s->chkfail, s->chkdown);
}

static void html_px_row(struct lk_sb *sb,
                        const struct lb_proxy *px,
                        const char *label,
                        const char *cls,
                        const char *status,
                        int admin)
{
    lk_sb_printf(sb, "<tr class=\"%s\">%s<td class=ac>%s</td>", cls, admin ? "<td></td>" : "",
                 label);
    html_num(sb, LD(px->queued));
    html_num(sb, LD(px->max_queued));
    lk_sb_puts(sb, "<td></td>");
    html_num(sb, px->rate);
    html_num(sb, px->rate_max);
    lk_sb_puts(sb, "<td></td>");
    html_num(sb, LD(px->cur_conns));
    html_num(sb, LD(px->max_conns_seen));
    html_num(sb, px->maxconn);
    html_num(sb, LD(px->cum_conns));
    html_num(sb, LD(px->cum_conns));
    html_num(sb, LD(px->bytes_in));
    html_num(sb, LD(px->bytes_out));
    html_num(sb, LD(px->denied_req));
    html_num(sb, LD(px->denied_resp));
    html_num(sb, LD(px->failed_req));
    html_num(sb, LD(px->failed_conns));
    html_num(sb, LD(px->failed_resp));
    html_num(sb, LD(px->wretr));
    html_num(sb, LD(px->wredis));
    lk_sb_printf(sb,
                 "<td class=ac>%s</td><td></td><td></td><td></td><td></td><td></td><td></td>"
                 "</tr>\n",
                 status);
}

/* HAProxy's column groups (Queue, Session rate, Sessions, Bytes, Denied,
 * Errors, Warnings, Server), so the page reads like HAProxy's to an operator
 * used to it; the per-row functions fill exactly these columns. */
static const char thead[] =
    "<tr class=titre><th rowspan=2></th><th colspan=3>Queue</th><th colspan=3>Session rate</th>"
    "<th colspan=6>Sessions</th><th colspan=2>Bytes</th><th colspan=2>Denied</th>"
    "<th colspan=3>Errors</th><th colspan=2>Warnings</th><th colspan=7>Server</th></tr>\n"
    "<tr class=titre><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th>"
    "<th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Total</th><th>LbTot</th>"
    "<th>In</th><th>Out</th><th>Req</th><th>Resp</th><th>Req</th><th>Conn</th><th>Resp</th>"
    "<th>Retr</th><th>Redis</th><th>Status</th><th>LastChk</th><th>Wght</th><th>Act</th>"
    "<th>Bck</th><th>Chk</th><th>Dwn</th></tr>\n";

/* hide_down (";up") drops every server that is not UP from the listing, but
 * the backend's status still counts them all. */
static void html_proxy(struct lk_sb *sb,
                       struct lb_daemon *d,
                       const struct lb_proxy *px,
                       int hide_down,
                       int admin,
                       uint64_t now)
{
    unsigned i;
    int up = 0;

    lk_sb_puts(sb, "<table class=tbl><tr><th class=pxname colspan=31>");
    html_esc(sb, px->name);
    lk_sb_puts(sb, "</th></tr>\n");
    lk_sb_puts(sb, thead);
    if (px->cap & LB_CAP_FE)
        html_px_row(sb, px, "Frontend", "frontend", d->stopping ? "STOP" : "OPEN", 0);
    for (i = 0; (px->cap & LB_CAP_BE) && i < px->nservers; i++) {
        const struct lb_server *s = px->servers[i];

        if (s->flags & LB_SRV_F_DELETED)
            continue;
        up |= lb_server_usable(s);
        if (hide_down && LD(s->state) != LB_SRV_UP)
            continue;
        html_srv_row(sb, s, admin, now);
    }
    if (px->cap & LB_CAP_BE)
        html_px_row(sb, px, "Backend", "backend", up || !px->nservers ? "UP" : "DOWN", 0);
    lk_sb_puts(sb, "</table>\n");
}

/* The backend name travels in a hidden field and is escaped like all text;
 * the server checkboxes carry names, never indexes, so a server added or
 * deleted between page load and submit cannot be mistaken for another. */
/* The form posts back to the stats uri itself (from the config, written as
 * is); the backend travels in a hidden field, escaped. */
static void html_form_open(struct lk_sb *sb, const struct lb_proxy *px, const char *uri)
{
    lk_sb_printf(sb, "<form method=post action=\"%s\"><input type=hidden name=b value=\"", uri);
    html_esc(sb, px->name);
    lk_sb_puts(sb, "\">\n");
}

/* HAProxy's action names, only those admin_action() applies: its health
 * and agent actions ("dhlth", ...) are not offered, and refused if posted. */
static void html_admin_form(struct lk_sb *sb)
{
    lk_sb_puts(sb, "Choose the action for the checked servers: <select name=action>"
                   "<option value=ready>Set state to READY</option>"
                   "<option value=drain>Set state to DRAIN</option>"
                   "<option value=maint>Set state to MAINT</option>"
                   "</select><input type=submit value=Apply></form>\n");
}

/* HAProxy's report title: "on NODE" with stats show-node (its name, else
 * the global node, else the host name), ": TEXT" with stats show-desc
 * (its text, else the global description). */
static void html_report_title(struct lk_sb *sb, struct lb_daemon *d, const struct lb_proxy *st)
{
    char host[256] = "";
    const char *node = st->stats.node ? st->stats.node : d->cfg->global.node;
    const char *desc = st->stats.desc ? st->stats.desc : d->cfg->global.description;

    if (st->stats.show_node && !node && gethostname(host, sizeof(host) - 1) == 0)
        node = host;
    lk_sb_printf(sb, "<h2>Statistics Report for pid %d", (int)getpid());
    if (st->stats.show_node) {
        lk_sb_puts(sb, " on ");
        html_esc(sb, node ? node : "");
    }
    if (st->stats.show_desc) {
        lk_sb_puts(sb, ": ");
        html_esc(sb, desc ? desc : "");
    }
    lk_sb_puts(sb, "</h2>\n");
}

/* The refresh meta tag is dropped with ";norefresh" (HAProxy's option) so an
 * operator filling the admin form is not interrupted. Every link keeps the
 * configured stats uri, so the page works under any prefix. */
static void html_page(struct lk_sb *sb,
                      struct lb_daemon *d,
                      const struct lb_proxy *st,
                      int hide_down,
                      int refresh,
                      int admin)
{
    uint64_t now = lk_mono_ms(), up = (now - d->start_mono_ms) / 1000;
    struct lb_proxy *px;

    lk_sb_puts(sb, "<!DOCTYPE html>\n<html><head><title>Statistics Report for lbd</title>"
                   "<meta http-equiv=\"content-type\" content=\"text/html; charset=utf-8\">");
    if (refresh && st->stats.refresh_ms)
        lk_sb_printf(sb, "<meta http-equiv=\"refresh\" content=\"%llu\">",
                     (unsigned long long)(st->stats.refresh_ms + 999) / 1000);
    lk_sb_printf(sb, "<style>%s</style></head><body><h1>lbd%s%s</h1>\n", css,
                 st->stats.hide_version ? "" : " version ",
                 st->stats.hide_version ? "" : LBKIT_VERSION);
    html_report_title(sb, d, st);
    lk_sb_printf(sb,
                 "<p>pid = %d (process #1, nbthread "
                 "= %u)<br>uptime = %llud %lluh%02llum%02llus<br>maxconn = %u; current "
                 "conns = %u</p>\n",
                 (int)getpid(), d->nworkers, (unsigned long long)up / 86400,
                 (unsigned long long)up / 3600 % 24, (unsigned long long)up / 60 % 60,
                 (unsigned long long)up % 60, d->cfg->global.maxconn, LD(d->actconn));
    lk_sb_printf(sb,
                 "<p><a href=\"%s;csv\">CSV export</a> | <a href=\"%s;json\">JSON export</a>"
                 " | <a href=\"%s%s\">%s</a></p>\n",
                 st->stats.uri, st->stats.uri, st->stats.uri, hide_down ? "" : ";up",
                 hide_down ? "Show all servers" : "Hide 'DOWN' servers");
    for (px = d->cfg->proxies; px; px = px->next) {
        int form = admin && (px->cap & LB_CAP_BE) && px->nservers;

        if (!lb_stats_in_scope(st, px))
            continue;
        if (form)
            html_form_open(sb, px, st->stats.uri);
        html_proxy(sb, d, px, hide_down, form, now);
        if (form)
            html_admin_form(sb);
    }
    lk_sb_puts(sb, "</body></html>\n");
}

/* ---- Prometheus ---- */

/* Prometheus text format escaping: backslash, double quote and newline in
 * label values (proxy and server names are operator-controlled). */
/* Label values only: metric names are fixed strings of this file. */
static void prom_label(struct lk_sb *sb, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            lk_sb_append(sb, "\\", 1);
        if (*s == '\n')
            lk_sb_puts(sb, "\\n");
        else
            lk_sb_append(sb, s, 1);
    }
}

struct prom_metric {
    const char *name, *type, *help;
};

static void prom_head(struct lk_sb *sb, const struct prom_metric *m)
{
    lk_sb_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name, m->type);
}

static void prom_px(struct lk_sb *sb,
                    const char *metric,
                    const struct lb_proxy *px,
                    unsigned long long v)
{
    lk_sb_printf(sb, "%s{proxy=\"", metric);
    prom_label(sb, px->name);
    lk_sb_printf(sb, "\"} %llu\n", v);
}

static void prom_srv(struct lk_sb *sb,
                     const char *metric,
                     const struct lb_server *s,
                     const char *extra,
                     unsigned long long v)
{
    lk_sb_printf(sb, "%s{proxy=\"", metric);
    prom_label(sb, s->be->name);
    lk_sb_puts(sb, "\",server=\"");
    prom_label(sb, s->name);
    lk_sb_printf(sb, "\"%s} %llu\n", extra, v);
}

enum pm {
    PM_FE_CUR,
    PM_FE_TOT,
    PM_FE_IN,
    PM_FE_OUT,
    PM_FE_LIM,
    PM_BE_CUR,
    PM_BE_TOT,
    PM_BE_IN,
    PM_BE_OUT,
    PM_BE_Q,
    PM_BE_ECON,
    PM_BE_RETR,
    PM_BE_REDIS,
    PM_BE_UP,
    PM_BE_ACT,
    PM_BE_BCK,
    PM_SV_CUR,
    PM_SV_TOT,
    PM_SV_IN,
    PM_SV_OUT,
    PM_SV_ECON,
    PM_SV_W,
    PM_SV_STATUS,
    PM_SV_CHKDOWN,
    PM_SV_DOWNTIME,
    PM_MAX
};

/* HAProxy's exporter names and help texts, so Grafana dashboards made for
 * haproxy_exporter or HAProxy's built-in exporter work against lbd. */
static const struct prom_metric pmetrics[PM_MAX] = {
    {"haproxy_frontend_current_sessions", "gauge", "Number of current sessions."},
    {"haproxy_frontend_sessions_total", "counter", "Total number of sessions."},
    {"haproxy_frontend_bytes_in_total", "counter", "Current total of incoming bytes."},
    {"haproxy_frontend_bytes_out_total", "counter", "Current total of outgoing bytes."},
    {"haproxy_frontend_limit_sessions", "gauge", "Configured session limit."},
    {"haproxy_backend_current_sessions", "gauge", "Number of current sessions."},
    {"haproxy_backend_sessions_total", "counter", "Total number of sessions."},
    {"haproxy_backend_bytes_in_total", "counter", "Current total of incoming bytes."},
    {"haproxy_backend_bytes_out_total", "counter", "Current total of outgoing bytes."},
    {"haproxy_backend_current_queue", "gauge", "Number of current queued connections."},
    {"haproxy_backend_connection_errors_total", "counter", "Total number of connection errors."},
    {"haproxy_backend_retry_warnings_total", "counter", "Total number of retry warnings."},
    {"haproxy_backend_redispatch_warnings_total", "counter",
     "Total number of redispatch warnings."},
    {"haproxy_backend_status", "gauge", "Current status of the service (1 up, 0 down)."},
    {"haproxy_backend_active_servers", "gauge", "Current number of active servers."},
    {"haproxy_backend_backup_servers", "gauge", "Current number of backup servers."},
    {"haproxy_server_current_sessions", "gauge", "Number of current sessions."},
    {"haproxy_server_sessions_total", "counter", "Total number of sessions."},
    {"haproxy_server_bytes_in_total", "counter", "Current total of incoming bytes."},
    {"haproxy_server_bytes_out_total", "counter", "Current total of outgoing bytes."},
    {"haproxy_server_connection_errors_total", "counter", "Total number of connection errors."},
    {"haproxy_server_weight", "gauge", "Service weight."},
    {"haproxy_server_status", "gauge", "Current status of the service, per state label."},
    {"haproxy_server_check_up_down_total", "counter", "Total number of UP->DOWN transitions."},
    {"haproxy_server_downtime_seconds_total", "counter", "Total downtime (in seconds)."},
};

/* Frontend values; the limit falls back to the global maxconn, the limit that
 * applies when the frontend sets none. */
static unsigned long long fe_value(enum pm m, const struct lb_proxy *px, struct lb_daemon *d)
{
    switch (m) {
    case PM_FE_CUR:
        return LD(px->cur_conns);
    case PM_FE_TOT:
        return LD(px->cum_conns);
    case PM_FE_IN:
        return LD(px->bytes_in);
    case PM_FE_OUT:
        return LD(px->bytes_out);
    default:
        return px->maxconn ? px->maxconn : d->cfg->global.maxconn;
    }
}

/* act/bck count usable servers, so haproxy_backend_status is 0 exactly when
 * the backend cannot serve. */
static unsigned long long be_value(enum pm m, const struct lb_proxy *px)
{
    unsigned i, act = 0, bck = 0;

    for (i = 0; i < px->nservers; i++)
        if (lb_server_usable(px->servers[i]))
            ++*((px->servers[i]->flags & LB_SRV_F_BACKUP) ? &bck : &act);
    switch (m) {
    case PM_BE_CUR:
        return LD(px->cur_conns);
    case PM_BE_TOT:
        return LD(px->cum_conns);
    case PM_BE_IN:
        return LD(px->bytes_in);
    case PM_BE_OUT:
        return LD(px->bytes_out);
    case PM_BE_Q:
        return LD(px->queued);
    case PM_BE_ECON:
        return LD(px->failed_conns);
    case PM_BE_RETR:
        return LD(px->wretr);
    case PM_BE_REDIS:
        return LD(px->wredis);
    case PM_BE_UP:
        return act + bck > 0;
    case PM_BE_ACT:
        return act;
    default:
        return bck;
    }
}

static unsigned long long sv_value(enum pm m, const struct lb_server *s, uint64_t now)
{
    switch (m) {
    case PM_SV_CUR:
        return LD(s->cur_conns);
    case PM_SV_TOT:
        return LD(s->cum_conns);
    case PM_SV_IN:
        return LD(s->bytes_in);
    case PM_SV_OUT:
        return LD(s->bytes_out);
    case PM_SV_ECON:
        return LD(s->failed_conns);
    case PM_SV_W:
        return LD(s->cur_weight);
    case PM_SV_CHKDOWN:
        return s->chkdown;
    default:
        return (s->downtime_ms +
                (LD(s->state) == LB_SRV_DOWN && s->down_since_ms ? now - s->down_since_ms : 0)) /
               1000;
    }
}

/* One sample per state with a 0/1 value, as HAProxy's exporter does, so a
 * query can select state="DOWN" without knowing lbd's numbering. */
static void prom_server_status(struct lk_sb *sb, const struct lb_server *s)
{
    static const char *const states[] = {"UP", "DOWN", "MAINT", "DRAIN"};
    char extra[32];
    int i, st = LD(s->state);

    for (i = 0; i < 4; i++) {
        snprintf(extra, sizeof(extra), ",state=\"%s\"", states[i]);
        prom_srv(sb, "haproxy_server_status", s, extra, st == i);
    }
}

/* Metric families are emitted one at a time across all proxies, as the text
 * format requires each family's samples to be contiguous after its HELP and
 * TYPE lines. */
void lb_stats_prometheus(struct lk_sb *sb, struct lb_daemon *d)
{
    uint64_t now = lk_mono_ms();
    struct lb_proxy *px;
    unsigned i;
    int m;

    lk_sb_printf(sb,
                 "# HELP haproxy_process_current_connections Number of active sessions.\n"
                 "# TYPE haproxy_process_current_connections gauge\n"
                 "haproxy_process_current_connections %u\n"
                 "# HELP haproxy_process_connections_total Total number of created "
                 "sessions.\n# TYPE haproxy_process_connections_total counter\n"
                 "haproxy_process_connections_total %llu\n"
                 "# HELP haproxy_process_nbthread Number of started threads.\n"
                 "# TYPE haproxy_process_nbthread gauge\nhaproxy_process_nbthread %u\n",
                 LD(d->actconn), (unsigned long long)LD(d->cumconn), d->nworkers);
    for (m = 0; m < PM_MAX; m++) {
        prom_head(sb, &pmetrics[m]);
        for (px = d->cfg->proxies; px; px = px->next) {
            if (m <= PM_FE_LIM && (px->cap & LB_CAP_FE))
                prom_px(sb, pmetrics[m].name, px, fe_value((enum pm)m, px, d));
            else if (m > PM_FE_LIM && m <= PM_BE_BCK && (px->cap & LB_CAP_BE))
                prom_px(sb, pmetrics[m].name, px, be_value((enum pm)m, px));
            for (i = 0; m > PM_BE_BCK && (px->cap & LB_CAP_BE) && i < px->nservers; i++) {
                const struct lb_server *s = px->servers[i];

                if (s->flags & LB_SRV_F_DELETED)
                    continue;
                if (m == PM_SV_STATUS)
                    prom_server_status(sb, s);
                else
                    prom_srv(sb, pmetrics[m].name, s, "", sv_value((enum pm)m, s, now));
            }
        }
    }
}

/* ---- requests ---- */

/* Is this request for the metrics? "http-request use-service
 * prometheus-exporter [if COND]" decides; a stats proxy without that rule
 * serves them at /metrics. */
static int is_metrics(const struct lb_proxy *px, const struct lb_stats_req *rq)
{
    const struct lb_cond *cond = NULL;
    size_t n = strcspn(rq->uri, "?;");

    if (px->http && lb_rule_find_promex(px->http->reqrules, &cond))
        return rq->smp ? lb_cond_eval(cond, rq->smp) : cond == NULL;
    return px->stats.enabled && n == 8 && strncmp(rq->uri, "/metrics", 8) == 0;
}

/* Admin rights need a "stats admin" condition that evaluates true on this
 * request; without one, the page is read-only even for authenticated users,
 * as in HAProxy. */
static int admin_allowed(const struct lb_proxy *px, const struct lb_stats_req *rq)
{
    struct lb_smp_ctx *c = rq->smp;

    if (!px->stats.admin || !c)
        return 0;
    return lb_cond_eval(px->stats.admin, c);
}

/* The options of the stats page follow the path after ';' (";csv", ";up") or
 * '?', as in HAProxy's URIs. */
static size_t path_len(const char *uri)
{
    return strcspn(uri, "?;");
}

/* Called for requests the stats proxy receives; a request that does not match
 * is answered by the caller (404 or the proxy's rules). */
int lb_stats_page_match(const struct lb_proxy *px, const struct lb_stats_req *rq)
{
    if (is_metrics(px, rq))
        return 1;
    if (!px->stats.enabled)
        return 0;
    /* "stats uri /stats" serves /stats and anything below, as HAProxy does */
    return strncmp(rq->uri, px->stats.uri ? px->stats.uri : "/haproxy?stats",
                   strlen(px->stats.uri ? px->stats.uri : "/haproxy?stats")) == 0;
}

/* Every answer closes the connection (see stats_http.c), and no-cache keeps
 * proxies and browsers from showing a stale server state. */
static void http_head(struct lk_sb *out,
                      int code,
                      const char *reason,
                      const char *ctype,
                      size_t len,
                      const char *extra)
{
    lk_sb_printf(out,
                 "HTTP/1.1 %d %s\r\ncontent-length: %zu\r\ncache-control: no-cache\r\n"
                 "content-type: %s\r\n%sconnection: close\r\n\r\n",
                 code, reason, len, ctype, extra ? extra : "");
}

static int respond(struct lk_sb *out,
                   int code,
                   const char *reason,
                   const char *ctype,
                   struct lk_sb *body,
                   const char *extra)
{
    http_head(out, code, reason, ctype, body->len, extra);
    if (body->len)
        lk_sb_append(out, body->buf, body->len);
    lk_sb_free(body);
    return code;
}

/* Form decoding: '+' is space, %XX a byte; a malformed escape is kept
 * literally. Output is bounded by outlen and always terminated. */
static int url_decode(const char *in, size_t n, char *out, size_t outlen)
{
    size_t i, o = 0;
    unsigned v;

    for (i = 0; i < n && o + 1 < outlen; i++) {
        if (in[i] == '+') {
            out[o++] = ' ';
        } else if (in[i] == '%' && i + 2 < n && sscanf(in + i + 1, "%2x", &v) == 1) {
            out[o++] = (char)v;
            i += 2;
        } else {
            out[o++] = in[i];
        }
    }
    out[o] = '\0';
    return (int)o;
}

/* POST body "b=BACKEND&action=ACT&s=SRV&s=SRV..." from the admin form. */
/* Two passes because the browser may send the fields in any order: the
 * backend and action must be known before the server names are applied. Names
 * that match no server are skipped; the count is of servers changed; an
 * action other than ready, drain and maint changes nothing and gives -1. */
static int admin_action(struct lb_daemon *d, const char *body, size_t len)
{
    char key[16], val[256], backend[256] = "", action[256] = "";
    const char *p = body, *end = body + len, *amp, *eq;
    struct lb_proxy *be = NULL;
    int pass, done = 0;

    for (pass = 0; pass < 2; pass++) {
        for (p = body; p < end; p = amp + 1) {
            amp = memchr(p, '&', (size_t)(end - p));
            if (!amp)
                amp = end;
            eq = memchr(p, '=', (size_t)(amp - p));
            if (!eq || (size_t)(eq - p) >= sizeof(key))
                continue;
            memcpy(key, p, (size_t)(eq - p));
            key[eq - p] = '\0';
            url_decode(eq + 1, (size_t)(amp - eq - 1), val, sizeof(val));
            if (pass == 0 && strcmp(key, "b") == 0)
                snprintf(backend, sizeof(backend), "%s", val);
            else if (pass == 0 && strcmp(key, "action") == 0)
                snprintf(action, sizeof(action), "%s", val);
            else if (pass == 1 && strcmp(key, "s") == 0 && be) {
                struct lb_server *s = lb_server_find(be, val);
                enum lb_srv_state st = strcmp(action, "ready") == 0   ? LB_SRV_UP
                                       : strcmp(action, "drain") == 0 ? LB_SRV_DRAIN
                                                                      : LB_SRV_MAINT;

                if (s) {
                    lb_admin_set_server_state(d, s, st, "stats page");
                    done++;
                }
            }
            if (amp == end)
                break;
        }
        if (pass == 0 && strcmp(action, "ready") != 0 && strcmp(action, "drain") != 0 &&
            strcmp(action, "maint") != 0)
            return -1;
        if (pass == 0)
            be = lb_cfg_find_proxy(d->cfg, backend, LB_CAP_BE);
    }
    return done;
}

/* Order of the checks: metrics first (a scraper may be allowed without the
 * page's admin rights), then auth, then admin rights for POST. A successful
 * POST answers 303 to the page, so a browser reload does not resubmit the
 * form. */
int lb_stats_page_respond(struct lb_daemon *d,
                          struct lb_proxy *px,
                          const struct lb_stats_req *rq,
                          struct lk_sb *out)
{
    struct lk_sb body = LK_SB_INIT;
    struct lb_stat_filter f = {-1, LB_STAT_TYPE_ALL, -1, NULL, NULL};
    char realm[160];
    const char *opts = rq->uri + path_len(rq->uri);
    int admin;

    if (is_metrics(px, rq) && lb_stats_auth_ok(px, rq->authorization)) {
        lb_stats_prometheus(&body, d);
        return respond(out, 200, "OK", "text/plain; version=0.0.4", &body, NULL);
    }
    if (!lb_stats_auth_ok(px, rq->authorization)) {
        snprintf(realm, sizeof(realm), "www-authenticate: Basic realm=\"%s\"\r\n",
                 px->stats.realm ? px->stats.realm : "HAProxy Statistics");
        lk_sb_puts(&body, body_401);
        return respond(out, 401, "Unauthorized", "text/html", &body, realm);
    }
    admin = admin_allowed(px, rq);
    if (strcmp(rq->method, "POST") == 0) {
        /* as HAProxy 2.6: back to the page, whose URI says why (st=DENY) */
        if (!admin) {
            snprintf(realm, sizeof(realm), "location: %s;st=DENY\r\n",
                     px->stats.uri ? px->stats.uri : "/haproxy?stats");
            return respond(out, 303, "See Other", "text/plain", &body, realm);
        }
        if (admin_action(d, rq->body ? rq->body : "", rq->body_len) < 0) {
            lk_sb_puts(&body, "<html><body><h1>400 Bad Request</h1>\nUnknown action: lbd's "
                              "page applies ready, drain and maint.\n</body></html>\n");
            return respond(out, 400, "Bad Request", "text/html", &body, NULL);
        }
        lk_sb_printf(&body, "<html><body>Done. <a href=\"%s\">Back</a></body></html>\n",
                     px->stats.uri);
        snprintf(realm, sizeof(realm), "location: %s\r\n", px->stats.uri);
        return respond(out, 303, "See Other", "text/html", &body, realm);
    }
    if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
        lk_sb_puts(&body, "<html><body><h1>405 Method Not Allowed</h1></body></html>\n");
        return respond(out, 405, "Method Not Allowed", "text/html", &body, NULL);
    }
    f.scope = px;
    if (strstr(opts, ";csv")) {
        lb_stats_csv(&body, d, &f, 1);
        return respond(out, 200, "OK", "text/plain", &body, NULL);
    }
    if (strstr(opts, ";json")) {
        lb_stats_json(&body, d, &f);
        return respond(out, 200, "OK", "application/json", &body, NULL);
    }
    html_page(&body, d, px, strstr(opts, ";up") != NULL, strstr(opts, ";norefresh") == NULL, admin);
    return respond(out, 200, "OK", "text/html; charset=utf-8", &body, NULL);
}
