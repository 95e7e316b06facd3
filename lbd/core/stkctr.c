/* stkctr.c - tracked counters of a session; see stkctr.h. */
#include <stddef.h>

#include "lbd/core/stkctr.h"

/* A track-sc counts as a new connection and session for its entry, and holds
 * conn_cur until let_go(): that is what conn_cur means in HAProxy (sessions
 * currently tracked on the key). */
static void count_conn(struct lb_stktable *t, struct lb_stkentry *e, uint64_t now)
{
    lb_stk_add(t, e, LB_STK_CONN_CNT, 1, now);
    lb_stk_add(t, e, LB_STK_CONN_CUR, 1, now);
    lb_stk_add(t, e, LB_STK_SESS_CNT, 1, now);
}

/* The first track-sc<n> wins: HAProxy ignores later rules for a counter that
 * is already tracking. in_request marks tracking started by an http-request
 * rule, which lasts only until the request ends. */
void lb_stkctr_track(struct lb_stkctr *sc,
                     unsigned n,
                     struct lb_stktable *t,
                     const struct lb_stkkey *k,
                     int in_request,
                     uint64_t now_ms)
{
    struct lb_stkentry *e;

    if (n >= LB_STKCTR_N || sc[n].t)
        return;
    e = lb_stk_get(t, k, 1, now_ms);
    if (!e)
        return; /* table full of tracked entries: nothing tracked, as HAProxy */
    sc[n].t = t;
    sc[n].e = e;
    sc[n].per_request = (uint8_t)in_request;
    count_conn(t, e, now_ms);
    if (in_request)
        lb_stk_add(t, e, LB_STK_HTTP_REQ_CNT, 1, now_ms);
}

/* Counts a new request for counters tracked at connection level; those
 * started by the request itself were counted in lb_stkctr_track(). */
void lb_stkctr_request(struct lb_stkctr *sc, uint64_t now_ms)
{
    unsigned i;

    for (i = 0; i < LB_STKCTR_N; i++)
        if (sc[i].t && !sc[i].per_request)
            lb_stk_add(sc[i].t, sc[i].e, LB_STK_HTTP_REQ_CNT, 1, now_ms);
}

static void let_go(struct lb_stkctr *c, uint64_t now)
{
    lb_stk_add(c->t, c->e, LB_STK_CONN_CUR, -1, now);
    lb_stk_release(c->t, c->e);
    c->t = NULL;
    c->e = NULL;
}

void lb_stkctr_bytes(struct lb_stkctr *sc, uint64_t bytes_in, uint64_t bytes_out, uint64_t now_ms)
{
    unsigned i;

    for (i = 0; i < LB_STKCTR_N; i++) {
        if (!sc[i].t)
            continue;
        if (bytes_in)
            lb_stk_add(sc[i].t, sc[i].e, LB_STK_BYTES_IN_CNT, (int64_t)bytes_in, now_ms);
        if (bytes_out)
            lb_stk_add(sc[i].t, sc[i].e, LB_STK_BYTES_OUT_CNT, (int64_t)bytes_out, now_ms);
    }
}

void lb_stkctr_request_end(struct lb_stkctr *sc,
                           int status,
                           uint64_t bytes_in,
                           uint64_t bytes_out,
                           uint64_t now_ms)
{
    /* HAProxy's http_err_cnt: 4xx answers other than 401 and 407 */
    int err = status >= 400 && status < 500 && status != 401 && status != 407;
    unsigned i;

    lb_stkctr_bytes(sc, bytes_in, bytes_out, now_ms);
    for (i = 0; i < LB_STKCTR_N; i++) {
        if (!sc[i].t)
            continue;
        if (err)
            lb_stk_add(sc[i].t, sc[i].e, LB_STK_HTTP_ERR_CNT, 1, now_ms);
        if (sc[i].per_request)
            let_go(&sc[i], now_ms);
    }
}

/* At session end. Each tracked entry was referenced by lb_stk_get(); the
 * release here is what lets it expire. */
void lb_stkctr_release_all(struct lb_stkctr *sc, uint64_t now_ms)
{
    unsigned i;

    for (i = 0; i < LB_STKCTR_N; i++)
        if (sc[i].t)
            let_go(&sc[i], now_ms);
}
