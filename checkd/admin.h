/* admin.h - checkd.sock: the command sockets and the feed publisher.
 *
 * Commands (HAProxy framing, common/cmdsrv.h): help, show health [json],
 * show info, subscribe, and at operator level and above register <json>,
 * unregister <id>, disable health <id>, enable health <id>, report <id>
 * <on-error> (passive health from lbd). A "subscribe"d
 * connection gets a snapshot line, then one line per change; commands sent
 * on it afterwards are answered with {"type":"reply"} lines so the stream
 * stays JSON. A subscriber whose output queue is full (it reads too
 * slowly) gets no more lines until it has drained; it is then told how
 * many events it missed and sent a fresh snapshot. */
#ifndef CHK_FEED_SRV_H
#define CHK_FEED_SRV_H

#include <stddef.h>
#include <uv.h>

#include "common/cmdsrv.h"
#include "proto/feed.h"

struct chk_feedsrv;
struct chk_registry;

/* max_out: bytes queued per subscriber before it counts as slow (0: 4 MiB).
 * NULL on OOM. Owned by the daemon, freed with chk_feedsrv_free(); loop is borrowed. */
struct chk_feedsrv *chk_feedsrv_new(uv_loop_t *loop, size_t max_out);

/* The registry the commands act on (set once, before listening). */
void chk_feedsrv_attach(struct chk_feedsrv *fs, struct chk_registry *reg);

/* Open one more socket (path, mode, owner, level). 0 or a negative errno. */
int chk_feedsrv_listen(struct chk_feedsrv *fs, const struct lk_cmdsrv_opts *o);

/* Registry hooks (struct chk_hooks, ud = the feedsrv). */
void chk_feedsrv_changed(void *ud, const struct feed_status *st, int prev);
void chk_feedsrv_removed(void *ud, const char *id);

/* Close sockets and subscribers; freed once the handles closed. NULL-safe,
 * returns NULL. */
struct chk_feedsrv *chk_feedsrv_free(struct chk_feedsrv *fs);

#endif
