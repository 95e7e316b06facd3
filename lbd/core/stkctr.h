/* stkctr.h - what a session tracks in stick tables (HAProxy's sc0..sc2):
 * one entry per counter, held referenced while tracked.
 *
 * A counter tracked by "tcp-request connection|content track-scN" belongs
 * to the session (every request on the connection counts in it); one
 * tracked by "http-request track-scN" belongs to the request and is let go
 * at its end. Tracking counts a connection (conn_cnt, conn_rate, conn_cur,
 * sess_cnt, sess_rate) and, for a request, the request (http_req_cnt,
 * http_req_rate), as HAProxy does. Worker threads only. */
#ifndef LB_STKCTR_H
#define LB_STKCTR_H

#include <stdint.h>

#include "lbd/core/stktable.h"

#define LB_STKCTR_N 3

struct lb_stkctr {
    struct lb_stktable *t; /* NULL: not tracked */
    struct lb_stkentry *e;
    uint8_t per_request;
};

/* Track key k of table t in counter sc[n] (ignored if sc[n] is already
 * tracked, as in HAProxy). in_request: an http-request rule. */
void lb_stkctr_track(struct lb_stkctr *sc,
                     unsigned n,
                     struct lb_stktable *t,
                     const struct lb_stkkey *k,
                     int in_request,
                     uint64_t now_ms);

/* A new request on the connection: counted in the session's counters. */
void lb_stkctr_request(struct lb_stkctr *sc, uint64_t now_ms);

/* A request ended with `status`, having moved these bytes: errors and
 * bytes counted everywhere, the request's own counters let go. */
void lb_stkctr_request_end(struct lb_stkctr *sc,
                           int status,
                           uint64_t bytes_in,
                           uint64_t bytes_out,
                           uint64_t now_ms);

/* The session ends: every counter let go (conn_cur falls). */
void lb_stkctr_release_all(struct lb_stkctr *sc, uint64_t now_ms);

/* The bytes of a session in mode tcp, counted at its end. */
void lb_stkctr_bytes(struct lb_stkctr *sc, uint64_t bytes_in, uint64_t bytes_out, uint64_t now_ms);

#endif
