/* tcpfwd.h - mode tcp: one client connection forwarded to one server.
 *
 * A session owns two sockets watched with uv_poll (not uv_tcp: forwarding
 * wants splice(2) and exact control of reads and shutdowns) and one timer.
 * Data moves in two independent halves (client->server, server->client):
 *  - read into the worker's scratch buffer and write it straight away; only
 *    bytes the peer could not take are kept, and reading that half stops
 *    until they are written (backpressure; at most one buffer per half);
 *  - a half that fills a whole buffer in one read is bulk: it switches to
 *    splice(2) through a pipe from the worker's pool (zero copy);
 *  - EOF on one side is passed on as shutdown(SHUT_WR) once pending bytes
 *    are out (half-close); the other half keeps flowing;
 *  - a reset on one side resets the other (SO_LINGER 0).
 * The session is freed in the close callback of its last handle. */
#ifndef LB_TCPFWD_H
#define LB_TCPFWD_H

#include "lbd/core/worker.h"

/* Take over an accepted client socket for a TCP frontend, under the
 * contract of lb_session_start_fn (worker.h). */
lb_session_start_fn lb_tcp_session_start;

/* Try to dispatch w's queued sessions, oldest first (called by the worker
 * from its queue timer and tick, on w's loop thread). A session that still
 * finds no slot stays queued; one whose server is chosen leaves the queue. */
void lb_tcp_queue_run(struct lb_worker *w);

/* Close every session of this worker connected to `srv` (resets both
 * sides, logged "KD"), on w's loop thread; srv is only compared, not kept.
 * Queued sessions are left alone. Returns how many were closed; the
 * sessions are freed later, in their close callbacks. */
unsigned lb_tcp_shutdown_server(struct lb_worker *w, struct lb_server *srv);

/* Abort every session of w at once (hard stop): queued ones are logged
 * "KQ", the others reset on both sides and logged "KD". Their memory is
 * freed in the close callbacks, so w's loop must run once more. */
void lb_tcp_abort_all(struct lb_worker *w);

#endif
