/* pphs.h - "bind ... accept-proxy": the PROXY protocol header (v1 or v2)
 * a client connection starts with, read before the session exists, as
 * HAProxy 2.6 reads it. The addresses it names become the session's client
 * (src, %ci, X-Forwarded-For, ACLs, tcp-request connection rules) and
 * frontend (dst, %fi) addresses; a connection whose first bytes are no
 * valid header is closed and, when the frontend logs, reported in
 * HAProxy's words ("fe/1: Received something which does not look like a
 * PROXY protocol header"). Runs on the worker's loop thread. */
#ifndef LB_PPHS_H
#define LB_PPHS_H

#include "common/addr.h"
#include "lbd/core/worker.h"

/* Take over the accepted socket fd of listener l (whose bind has
 * accept-proxy), peer being the address accept() returned (copied). The
 * handshake owns fd: it hands it to the frontend's session once the header
 * is read, or closes it (giving the connection slot back). It counts in
 * w->nsessions until then. The client has the frontend's "timeout client"
 * to send the header. */
void lb_pp_start(struct lb_listener *l, int fd, const struct lk_addr *peer);

/* Close every handshake still waiting on w (the worker stops), without
 * logging them. */
void lb_pp_abort_all(struct lb_worker *w);

#endif
