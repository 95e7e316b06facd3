/* errors.h - "show errors": the last invalid request and the last invalid
 * response seen by each proxy, captured as HAProxy does (date, client,
 * server, position of the error, the bytes around it).
 *
 * Workers capture (rare: only on protocol errors) under one mutex; the
 * admin socket prints. The store owns copies of at most LB_ERR_CAPTURE
 * bytes per capture. */
#ifndef LB_ERRORS_H
#define LB_ERRORS_H

#include <stddef.h>
#include <stdint.h>

#include "common/strbuf.h"
#include "lbd/core/proxy_types.h"

#define LB_ERR_CAPTURE 16384

struct lb_errors;

enum lb_err_dir { LB_ERR_REQ = 0, LB_ERR_RSP, LB_ERR_DIR_MAX };

/* A store for the proxies of cfg (by uuid). NULL on OOM. The store is the daemon's, freed with
 * lb_errors_free() (NULL-safe, returns NULL); cfg is only read. */
struct lb_errors *lb_errors_new(const struct lb_cfg *cfg);
struct lb_errors *lb_errors_free(struct lb_errors *e);

/* An invalid message, as a worker saw it. `px` is the frontend (requests)
 * or backend (responses); `srv` and `client` may be NULL; buf[0..len) is
 * the message (the first LB_ERR_CAPTURE bytes are copied), err_off where
 * the parser stopped. Everything is borrowed for the call. */
struct lb_err_event {
    const struct lb_proxy *px;
    enum lb_err_dir dir;
    const struct lb_server *srv;
    const struct lk_addr *client;
    const void *buf;
    size_t len;
    size_t err_off;
};

/* Record an invalid message (replaces the proxy's last one for that
 * direction). Thread-safe. */
void lb_errors_capture(struct lb_errors *e, const struct lb_err_event *ev);

/* HAProxy's "show errors" text. */
void lb_errors_show(struct lb_errors *e, const struct lb_cfg *cfg, struct lk_sb *sb);

#endif
