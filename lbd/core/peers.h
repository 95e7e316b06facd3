/* peers.h - the peers protocol at run time: lbd's shared stick tables
 * exchange their entries with the other members of their peers sections
 * (HAProxy 2.x or lbd), as HAProxy's peers do.
 *
 * Everything runs on the control loop (d->loop) of the process that holds
 * the tables, so each local change is pushed once however many worker
 * threads there are: workers only number their changes in the table
 * (lbd/core/stktable.h) and wake this loop. Per enabled section with a
 * local peer:
 *  - a listener on the local peer's address (SO_REUSEPORT, so a new
 *    worker started by a reload binds while the old one drains);
 *  - one session per remote peer: lbd connects to each at start and 5 s
 *    after a session ends, and takes the connections they open (a second
 *    connection from the same peer replaces the first, as in HAProxy);
 *  - on a session: the table definitions, then every local change after
 *    the last update id the peer acknowledged; what the peer sends is
 *    stored and acknowledged; heartbeats after 3 s of silence, the session
 *    is dropped after 5 s without a byte from the peer;
 *  - a process that starts asks its first connected peer for a full
 *    resync (considering itself up to date after 5 s without one); asked
 *    by a peer, it sends every entry it has and "resync finished".
 * A malformed message closes that session only (after a protocol-error
 * message to the peer); it is counted in "show peers". */
#ifndef LB_PEERS_H
#define LB_PEERS_H

struct lb_daemon;
struct lk_sb;

/* Start every section in use (d->peers stays NULL without any). Returns 0,
 * or a negative errno, logged, when a listener cannot be bound. */
int lb_peers_start(struct lb_daemon *d);

/* Close listeners and sessions (soft-stop); their handles close on the
 * control loop. NULL-safe on d->peers. */
void lb_peers_stop(struct lb_daemon *d);

/* Free what lb_peers_start() built, after the loop ran the close callbacks. */
void lb_peers_free(struct lb_daemon *d);

/* "show peers [NAME]": each section, its peers and their shared tables, in
 * HAProxy's layout (the fields lbd has). Returns 0, or -ENOENT when NAME
 * is not a section in use. */
int lb_peers_show(struct lb_daemon *d, const char *name, struct lk_sb *sb);

#endif
