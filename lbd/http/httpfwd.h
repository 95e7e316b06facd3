/* httpfwd.h - mode http: one client connection, a sequence of request /
 * response exchanges (transactions) with servers.
 *
 * Per transaction: the request head is parsed in place in the client
 * buffer, checked (http-request rules), routed (use_backend, cookie
 * persistence, balancing), rebuilt into an output buffer (hop-by-hop fields,
 * X-Forwarded-For, Connection) and sent on a pooled or new server
 * connection (http_conn.h); the body follows with its framing unchanged,
 * straight from the client buffer. The response goes the same way back.
 * Pipelined requests wait in the client buffer (and socket) until the
 * current response is complete, so answers come back in order.
 *
 * Buffers: four pooled bufsize buffers at most (client in, server in, the
 * two rebuilt heads), each held only while it has bytes; an idle
 * keep-alive connection holds none. Heads are limited to bufsize - 1024
 * bytes so the rebuilt head always fits (HAProxy's maxrewrite reserve).
 *
 * The session is freed in the close callback of its last handle (client
 * poll and timer); server connections live on their own. */
#ifndef LB_HTTPFWD_H
#define LB_HTTPFWD_H

#include "lbd/core/worker.h"

/* Take over an accepted client socket for an HTTP frontend, under the
 * contract of lb_session_start_fn (worker.h). */
lb_session_start_fn lb_http_session_start;

/* The worker is stopping: close idle server connections and client
 * connections idle for a second or more; the others close after their
 * current or next response (a fresh connection gets its first request
 * served). lb_http_stop_idle() is the client part alone, which the worker
 * repeats on every tick while it stops. Both on w's loop thread; sessions
 * closed here are freed in their close callbacks. No-ops when w never ran
 * mode http. */
void lb_http_stop(struct lb_worker *w);
void lb_http_stop_idle(struct lb_worker *w);

/* Abort every HTTP session of w now (hard stop): each is logged "KD" and
 * reset. Memory goes in the close callbacks, so w's loop must run once
 * more; pooled idle server connections are left to lb_http_stop(). */
void lb_http_abort_all(struct lb_worker *w);

#endif
