/* probe_galera.c - a Galera node's real state, read through MariaDB
 * Connector/C's non-blocking API: log in with the monitoring user, run
 * SHOW GLOBAL STATUS for the wsrep variables and SELECT @@read_only, log
 * out. Each step is a _start() call; while it returns MYSQL_WAIT_* the
 * probe waits on uv_poll (socket) and a uv_timer (library timeouts), then
 * calls the matching _cont(). The whole probe is also bounded by the
 * check timeout.
 *
 * Verdict (chk_galera_judge): UP only for wsrep_local_state 4 (Synced),
 * wsrep_cluster_status Primary and wsrep_ready ON; 2 (Donor/Desynced)
 * counts as up only when the target allows donors. A server answering
 * 1047 (WSREP has not yet prepared node) is down. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mysql.h>

#include "checkd/probe_int.h"
#include "common/compiler.h"

#define Q_STATUS                                                                                   \
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state',"                              \
    "'wsrep_local_state_comment','wsrep_cluster_status','wsrep_ready')"
#define Q_RO "SELECT @@global.read_only"

enum step { ST_CONNECT = 0, ST_QSTATUS, ST_STORE1, ST_QRO, ST_STORE2, ST_CLOSE, ST_DONE };

struct galera_probe {
    struct chk_probe base;
    MYSQL *my;
    MYSQL_RES *res;
    uv_poll_t poll;
    uv_timer_t timer; /* the whole check */
    uv_timer_t wait;  /* a library timeout (MYSQL_WAIT_TIMEOUT) */
    int poll_open;
    int handles;
    enum step step;
    int sql_ret; /* return value of the last finished step */
    struct chk_galera_vars vars;
    struct chk_result result;
    int have_result;
};

void chk_galera_vars_init(struct chk_galera_vars *v)
{
    *v = (struct chk_galera_vars){.local_state = -1, .read_only = -1};
}

void chk_galera_var(struct chk_galera_vars *v, const char *name, const char *value)
{
    if (strcasecmp(name, "wsrep_local_state") == 0)
        v->local_state = (int)strtol(value, NULL, 10);
    else if (strcasecmp(name, "wsrep_local_state_comment") == 0)
        snprintf(v->comment, sizeof(v->comment), "%s", value);
    else if (strcasecmp(name, "wsrep_cluster_status") == 0)
        snprintf(v->cluster, sizeof(v->cluster), "%s", value);
    else if (strcasecmp(name, "wsrep_ready") == 0)
        snprintf(v->ready, sizeof(v->ready), "%s", value);
}

void chk_galera_judge(const struct feed_target *cfg,
                      const struct chk_galera_vars *v,
                      struct chk_result *r)
{
    int local_state = v->local_state, read_only = v->read_only;
    const char *comment = v->comment, *cluster_status = v->cluster, *ready = v->ready;

    r->read_only = read_only;
    if (local_state < 0) {
        chk_result_set(r, FEED_RES_L7RSP, -1, "not a Galera node: no wsrep_local_state");
        return;
    }
    if (strcasecmp(cluster_status, "Primary") != 0) {
        chk_result_set(r, FEED_RES_L7STS, local_state, "cluster status %s (not Primary)",
                       cluster_status[0] ? cluster_status : "unknown");
        return;
    }
    if (strcasecmp(ready, "ON") != 0) {
        chk_result_set(r, FEED_RES_L7STS, local_state, "wsrep_ready %s", ready[0] ? ready : "?");
        return;
    }
    if (local_state == 4 || (local_state == 2 && cfg->allow_donor)) {
        chk_result_set(r, FEED_RES_L7OK, local_state, "Galera %s (%d), Primary%s",
                       comment[0] ? comment : "Synced", local_state,
                       read_only == 1 ? ", read_only" : "");
        return;
    }
    chk_result_set(r, FEED_RES_L7STS, local_state, "Galera %s (%d)%s",
                   comment[0] ? comment : "state", local_state,
                   local_state == 2 ? ", donors not allowed" : "");
}

static void gp_closed(uv_handle_t *h)
{
    struct galera_probe *g = h->data;

    if (--g->handles > 0)
        return;
    free(g);
}

/* Stop every handle, then free the connection: the poll handle must stop
 * watching the socket before Connector/C closes it. */
static void gp_close(struct galera_probe *g)
{
    if (g->poll_open && !uv_is_closing((uv_handle_t *)&g->poll)) {
        uv_poll_stop(&g->poll);
        uv_close((uv_handle_t *)&g->poll, gp_closed);
    }
    if (!uv_is_closing((uv_handle_t *)&g->timer))
        uv_close((uv_handle_t *)&g->timer, gp_closed);
    if (!uv_is_closing((uv_handle_t *)&g->wait))
        uv_close((uv_handle_t *)&g->wait, gp_closed);
    if (g->res)
        mysql_free_result(g->res);
    g->res = NULL;
    if (g->my) {
        /* still open means aborted mid-way (error, timeout, cancel): make
         * every pending read/write fail so that the close cannot wait */
        mariadb_cancel(g->my);
        mysql_close(g->my);
    }
    g->my = NULL;
}

static void gp_finish(struct galera_probe *g)
{
    if (g->have_result)
        chk__probe_finish(&g->base, &g->result);
    gp_close(g);
}

static void gp_cancel(struct chk_probe *p)
{
    struct galera_probe *g = lk_container_of(p, struct galera_probe, base);

    p->finished = 1;
    gp_close(g);
}

/* A failed step: the MySQL error decides the result. */
static void gp_error(struct galera_probe *g)
{
    unsigned err = mysql_errno(g->my);
    const char *msg = mysql_error(g->my);
    enum feed_result res = FEED_RES_L7STS;

    if (err == 2002 || err == 2003) /* CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR */
        res = FEED_RES_L4CON;
    else if (err == 2013 || err == 2006 || err == 2027 || err == 2012)
        res = FEED_RES_L7RSP; /* lost, gone, malformed packet, handshake error */
    chk_result_set(&g->result, res, (int)err, "MySQL error %u: %s", err, msg);
    g->have_result = 1;
}

static const char *step_name(enum step st)
{
    static const char *const names[] = {
        "login",           "status query", "status query", "read_only query",
        "read_only query", "logout",       "done"};

    return names[st];
}

/* Run the current step: _start() when ev is 0, else _cont(ev). Returns
 * the wait flags, 0 when the step finished (g->sql_ret says how). */
static int step_call(struct galera_probe *g, int ev)
{
    const struct feed_target *cfg = g->base.cfg;
    char host[LK_ADDR_STRLEN];
    const char *q = g->step == ST_QSTATUS ? Q_STATUS : Q_RO;
    MYSQL *ret_my = NULL;
    int st, ret = 0;

    switch (g->step) {
    case ST_CONNECT:
        lk_addr_ip_str(&g->base.addr, host, sizeof(host));
        st = ev ? mysql_real_connect_cont(&ret_my, g->my, ev)
                : mysql_real_connect_start(&ret_my, g->my, host, cfg->user, cfg->password, NULL,
                                           lk_addr_port(&g->base.addr), NULL, 0);
        g->sql_ret = ret_my ? 0 : 1;
        return st;
    case ST_QSTATUS:
    case ST_QRO:
        st = ev ? mysql_real_query_cont(&ret, g->my, ev)
                : mysql_real_query_start(&ret, g->my, q, (unsigned long)strlen(q));
        g->sql_ret = ret;
        return st;
    case ST_STORE1:
    case ST_STORE2:
        st = ev ? mysql_store_result_cont(&g->res, g->my, ev)
                : mysql_store_result_start(&g->res, g->my);
        g->sql_ret = g->res ? 0 : 1;
        return st;
    default: /* ST_CLOSE: COM_QUIT, so the server logs no aborted connection */
        st = ev ? mysql_close_cont(g->my, ev) : mysql_close_start(g->my);
        if (!st)
            g->my = NULL; /* freed by the library */
        g->sql_ret = 0;
        return st;
    }
}

static void read_status_rows(struct galera_probe *g)
{
    MYSQL_ROW row;

    while ((row = mysql_fetch_row(g->res))) {
        if (row[0] && row[1])
            chk_galera_var(&g->vars, row[0], row[1]);
    }
}

/* A step finished well: use its result. */
static void step_done(struct galera_probe *g)
{
    MYSQL_ROW row;

    if (g->step == ST_STORE1) {
        read_status_rows(g);
    } else if (g->step == ST_STORE2) {
        row = mysql_fetch_row(g->res);
        g->vars.read_only = row && row[0] ? (int)strtol(row[0], NULL, 10) != 0 : -1;
        chk_galera_judge(g->base.cfg, &g->vars, &g->result);
        g->have_result = 1;
        chk__probe_finish(&g->base, &g->result); /* logout is not part of the check */
    }
    if (g->res) {
        mysql_free_result(g->res);
        g->res = NULL;
    }
}

static void gp_polled(uv_poll_t *h, int status, int events);
static void gp_waited(uv_timer_t *t);

static int gp_wait(struct galera_probe *g, int st)
{
    int events = 0, fd, r;

    if (st & MYSQL_WAIT_TIMEOUT)
        uv_timer_start(&g->wait, gp_waited, mysql_get_timeout_value_ms(g->my), 0);
    events |= st & MYSQL_WAIT_READ ? UV_READABLE : 0;
    events |= st & MYSQL_WAIT_WRITE ? UV_WRITABLE : 0;
    events |= st & MYSQL_WAIT_EXCEPT ? UV_PRIORITIZED : 0;
    if (!events)
        return 0;
    fd = (int)mysql_get_socket(g->my);
    if (!g->poll_open) {
        r = uv_poll_init_socket(g->base.loop, &g->poll, fd);
        if (r < 0)
            return r;
        g->poll.data = g;
        g->poll_open = 1;
        g->handles++;
    } else if (fd != g->poll.io_watcher.fd) {
        return -EBADF; /* the library switched sockets under us */
    }
    return uv_poll_start(&g->poll, events, gp_polled);
}

static void gp_advance(struct galera_probe *g, int ev)
{
    int st;

    for (;;) {
        st = step_call(g, ev);
        ev = 0;
        if (st) {
            if (gp_wait(g, st) < 0) {
                chk_result_set(&g->result, FEED_RES_SOCKERR, -1, "cannot poll the connection");
                g->have_result = 1;
                gp_finish(g);
            }
            return;
        }
        if (g->sql_ret != 0) {
            gp_error(g);
            gp_finish(g);
            return;
        }
        step_done(g);
        if (++g->step == ST_DONE) {
            gp_finish(g);
            return;
        }
    }
}

static void gp_polled(uv_poll_t *h, int status, int events)
{
    struct galera_probe *g = h->data;
    int ev = 0;

    uv_poll_stop(h);
    uv_timer_stop(&g->wait);
    if (status < 0)
        ev = MYSQL_WAIT_READ | MYSQL_WAIT_WRITE; /* let the library find the error */
    ev |= events & UV_READABLE ? MYSQL_WAIT_READ : 0;
    ev |= events & UV_WRITABLE ? MYSQL_WAIT_WRITE : 0;
    ev |= events & UV_PRIORITIZED ? MYSQL_WAIT_EXCEPT : 0;
    gp_advance(g, ev);
}

static void gp_waited(uv_timer_t *t)
{
    struct galera_probe *g = t->data;

    if (g->poll_open)
        uv_poll_stop(&g->poll);
    gp_advance(g, MYSQL_WAIT_TIMEOUT);
}

static void gp_timeout(uv_timer_t *t)
{
    struct galera_probe *g = t->data;

    if (!g->base.finished) {
        chk_result_set(&g->result, FEED_RES_L7TOUT, -1, "Layer7 timeout after %llu ms during %s",
                       (unsigned long long)g->base.timeout_ms, step_name(g->step));
        g->have_result = 1;
    }
    gp_finish(g);
}

static void gp_begin(uv_timer_t *t)
{
    gp_advance(t->data, 0);
}

static void set_options(MYSQL *my, uint64_t timeout_ms)
{
    unsigned secs = (unsigned)((timeout_ms + 999) / 1000);

    mysql_options(my, MYSQL_OPT_NONBLOCK, 0);
    mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
    mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &secs);
    mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &secs);
}

int chk__galera_start(struct chk_probe **ret, const struct chk_probe *base)
{
    struct galera_probe *g = calloc(1, sizeof(*g));
    uv_loop_t *loop = base->loop;

    if (!g)
        return -ENOMEM;
    g->my = mysql_init(NULL);
    if (!g->my) {
        free(g);
        return -ENOMEM;
    }
    set_options(g->my, base->timeout_ms);
    g->base = *base;
    g->base.cancel = gp_cancel;
    chk_galera_vars_init(&g->vars);
    g->result.read_only = -1;
    uv_timer_init(loop, &g->timer);
    uv_timer_init(loop, &g->wait);
    g->timer.data = g->wait.data = g;
    g->handles = 2;
    uv_timer_start(&g->timer, gp_timeout, base->timeout_ms, 0);
    /* first step from the loop: the callback must never run before the
     * caller has the probe pointer */
    uv_timer_start(&g->wait, gp_begin, 0, 0);
    *ret = &g->base;
    return 0;
}
