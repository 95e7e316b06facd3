/* lfmt.h - HAProxy's log-format strings as rule values.
 *
 * "X-Client %[src]:%cp" is parsed once into literal parts and samples
 * (sample.h) and rendered per request. Variables lbd knows: %ci %cp (client
 * address, port), %fi %fp (frontend address, port), %H (host name), %%.
 * Others, and flags such as %{+Q}, are refused at the config line: a value
 * rendered without them would differ from HAProxy's. */
#ifndef LB_LFMT_H
#define LB_LFMT_H

#include <stddef.h>

#include "lbd/http/sample.h"

struct lb_lfmt;
struct lb_httplog_rec;
struct lb_tcplog_rec;

/* What a log-format line reads of one request (h) or connection (t), on
 * top of the httplog / tcplog record. Pointers may be NULL: unknown, "-". */
struct lb_logrec {
    const struct lb_httplog_rec *h; /* mode http, or NULL */
    const struct lb_tcplog_rec *t;  /* mode tcp, or NULL */
    const struct lk_addr *front;    /* the address the client connected to */
    const struct lk_addr *srv;      /* the server's address */
    const struct lk_addr *back;     /* %bi %bp: the server connection's source, or NULL */
    int64_t ti;                     /* http: idle time before the request, ms */
    uint64_t bytes_in;              /* read from the client */
    const char *const *capreq;      /* captured request header values (NULL: absent) */
    size_t ncapreq;
    const char *const *caprsp;
    size_t ncaprsp;
    const char *unique_id; /* unique-id-format's value, or NULL */
    uint64_t log_count;    /* lines the frontend logged before this one */
    uint64_t reqid;        /* %rt, from lb_lfmt_next_reqid() */
};

/* Parse `text`; `avail` is passed to the samples (LB_SMP_USE_*). Returns 0
 * and *ret (owned by the caller) or -EINVAL/-ENOMEM with *err. */
int lb_lfmt_parse(const char *text, unsigned avail, struct lb_lfmt **ret, char **err);

/* HAProxy 2.6's "option httplog clf" line, as a log format. */
#define LB_LFMT_CLF                                                                                \
    "%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc "    \
    "%ac "                                                                                         \
    "%fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl"

/* Parse a log line format (log-format, unique-id-format): every variable
 * of HAProxy 2.6's section 8.2.4 lbd knows, the %{+Q}/%{-Q}/%{+X}/%{+E}
 * flags (per variable, or for all that follow with %{..}o), and %[sample]
 * on what exists at log time (no request or response fetches, as HAProxy).
 * An unknown variable is refused. Returns 0 and *ret (owned by the caller,
 * lb_lfmt_free()) or -EINVAL/-ENOMEM with *err. */
int lb_lfmt_parse_log(const char *text, struct lb_lfmt **ret, char **err);

/* Render a log line format for record r (NULL: only the samples and
 * addresses of c); an absent value renders "-" ("" when quoted), as
 * HAProxy. r and c are only read, but c's scratch chunks are overwritten.
 * Returns the length (truncated at cap; out is not NUL-terminated). */
size_t lb_lfmt_render_log(const struct lb_lfmt *f,
                          struct lb_smp_ctx *c,
                          const struct lb_logrec *r,
                          char *out,
                          size_t cap);

/* Does f read %bi or %bp (the server connection's source)? 0 for NULL. */
int lb_lfmt_uses_back(const struct lb_lfmt *f);

/* The first variable of f that only exists in mode http (HAProxy refuses
 * it in a mode tcp proxy): a static string; NULL if none (or f is NULL). */
const char *lb_lfmt_http_only(const struct lb_lfmt *f);

/* A new request number (%rt): one counter for the process, from 0, safe
 * from any thread. */
uint64_t lb_lfmt_next_reqid(void);

/* NULL-safe; returns NULL. */
struct lb_lfmt *lb_lfmt_free(struct lb_lfmt *f);

/* Is it plain text (no sample, no variable)? 1 or 0; then rendering needs
 * no context and callers may render it once. */
int lb_lfmt_is_const(const struct lb_lfmt *f);

/* Render into out[0, cap) (not NUL-terminated): returns the length
 * (truncated at cap). A sample with no value renders as nothing, as in
 * HAProxy. c's scratch chunks are overwritten. */
size_t lb_lfmt_render(const struct lb_lfmt *f, struct lb_smp_ctx *c, char *out, size_t cap);

#endif
