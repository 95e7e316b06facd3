/* errfile.h - HAProxy's custom error pages: `errorfile CODE FILE`,
 * `http-errors NAME` sections, `errorfiles NAME [CODE...]` and
 * `http-error status CODE ...`, as HAProxy 2.6 reads them.
 *
 * A file is read once, at its config line, and validated as HAProxy does
 * (a complete HTTP response: parsable head, no chunked payload, a body of
 * the announced Content-Length; truncated with a warning past
 * tune.bufsize); an empty file means "close without answering". Only the
 * statuses HAProxy can customise are accepted (lb_errfile_idx). A proxy's
 * pages live in struct lb_errpages, one slot per status; each slot
 * remembers the order of the line that set it, so that `errorfiles`
 * imports (resolved once the whole file is read, sections may come later)
 * override earlier lines and are overridden by later ones, as in HAProxy.
 * Read-only once the config is loaded. */
#ifndef LB_ERRFILE_H
#define LB_ERRFILE_H

#include <stddef.h>

#include "common/cfgkw.h"

struct lb_acl_set;
struct lb_cfg;
struct lk_cfgline;
struct lb_rule;

/* Where the keyword that reads a message stands: tune.bufsize (the most
 * read of a file), the ACLs its lf-string samples may name (http-error
 * only; NULL elsewhere) and its FILE:LINE, for the truncation warning and
 * for `errorfiles` imports resolved later. Borrowed for the call; `file`
 * is kept by an import, so it must live as long as the config. */
struct lb_errsrc {
    size_t bufsize;
    const struct lb_acl_set *acls;
    const char *file;
    unsigned line;
};

/* A canned or configured error response: a complete HTTP message. */
struct lb_errmsg {
    int status;
    char *data;
    size_t len;
};

/* The statuses HAProxy 2.6 lets a config customise. */
#define LB_ERRFILE_N 17

struct lb_errslot {
    struct lb_errmsg msg;  /* data: the message (NULL when unset or `reply`) */
    struct lb_rule *reply; /* http-error with string/lf-string/file/hdr */
    unsigned seq;          /* order of the line that set it; 0: unset */
    unsigned char owned;   /* 0: shared with the defaults section */
};

struct lb_errref; /* a pending `errorfiles` import */

struct lb_errpages {
    struct lb_errslot slot[LB_ERRFILE_N];
    struct lb_errref *refs;
    unsigned seq; /* last order number given */
};

/* An `http-errors NAME` section. */
struct lb_errsec {
    struct lb_errsec *next;
    char *name;
    const char *file;
    unsigned line;
    struct lb_errpages pages;
};

/* Slot index of an HTTP status (200, 400, 401, 403, 404, 405, 407, 408,
 * 410, 413, 425, 429, 500, 501, 502, 503, 504), or -1. */
int lb_errfile_idx(int status);

/* Read and validate FILE for status `status` into *ret (owned by the
 * caller). `src` gives tune.bufsize and the line. Returns 0 (LK_CFG_WARN when it was
 * truncated, the warning logged with file:line) or a negative errno with
 * HAProxy's message in *err. */
int lb_errfile_load(const char *path,
                    int status,
                    const struct lb_errsrc *src,
                    struct lb_errmsg *ret,
                    char **err);

/* `errorfile CODE FILE` into pages (a proxy's or a section's). Returns
 * 0, LK_CFG_WARN or a negative errno with *err. */
int lb_errpages_errorfile(struct lb_errpages *pages,
                          int argc,
                          char **argv,
                          const struct lb_errsrc *src,
                          char **err);

/* `errorfiles NAME [CODE...]`: recorded, imported by lb_errpages_resolve.
 * Returns 0 or a negative errno with *err. */
int lb_errpages_errorfiles(struct lb_errpages *pages,
                           int argc,
                           char **argv,
                           const struct lb_errsrc *src,
                           char **err);

/* `http-error status CODE ...`. `src->acls` for the lf-string samples.
 * Returns 0, LK_CFG_WARN or a negative errno with *err. */
int lb_errpages_http_error(struct lb_errpages *pages,
                           int argc,
                           char **argv,
                           const struct lb_errsrc *src,
                           char **err);

/* `errorloc|errorloc302|errorloc303 CODE URL`: a 302 (303) to URL for
 * CODE. Returns 0 or a negative errno with *err. */
int lb_errpages_errorloc(struct lb_errpages *pages, int argc, char **argv, char **err);

/* Section `name`'s slot for `status` (NULL: the section sets none);
 * *ret_found: does the section exist. The slot is owned by the config. */
const struct lb_errslot *lb_errsec_slot(const struct lb_cfg *cfg,
                                        const char *name,
                                        int status,
                                        int *ret_found);

/* A proxy starts from its defaults' pages (shared, not copied: the
 * defaults must outlive pages, which they do, being freed with the config)
 * and re-queues the defaults' errorfiles references. 0 or -ENOMEM. */
int lb_errpages_inherit(struct lb_errpages *pages, const struct lb_errpages *def);

/* After the whole file: import every `errorfiles` of pages. `who` names
 * the proxy in messages ("proxy 'fe'"). Returns 0 or -EINVAL with the
 * errors appended to *err. */
int lb_errpages_resolve(struct lb_errpages *pages,
                        const struct lb_cfg *cfg,
                        const char *who,
                        char **err);

/* The slot for `status`, or NULL when pages (NULL-safe) do not set it. */
const struct lb_errslot *lb_errpages_get(const struct lb_errpages *pages, int status);

/* Free what pages own (not pages itself). */
void lb_errpages_clear(struct lb_errpages *pages);

/* The keywords of an http-errors section (context: struct lb_cfgctx,
 * whose `es` is the section). */
extern const struct lk_cfgkw lb_errsec_kws[];

/* Open section `http-errors NAME` from its line ln (ln->file must outlive
 * cfg: the section keeps it for later messages): appended to
 * cfg->errsecs. Returns 0 and *ret, or a negative errno with HAProxy's
 * message. */
int lb_errsec_open(struct lb_cfg *cfg,
                   const struct lk_cfgline *ln,
                   struct lb_errsec **ret,
                   char **err);

/* Free every section of a config. */
void lb_errsec_free_all(struct lb_errsec *s);

#endif
