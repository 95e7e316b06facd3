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

/* Parse `text`; `avail` is passed to the samples (LB_SMP_USE_*). Returns 0
 * and *ret (owned by the caller) or -EINVAL/-ENOMEM with *err. */
int lb_lfmt_parse(const char *text, unsigned avail, struct lb_lfmt **ret, char **err);

/* NULL-safe; returns NULL. */
struct lb_lfmt *lb_lfmt_free(struct lb_lfmt *f);

/* Is it plain text (no sample, no variable)? */
int lb_lfmt_is_const(const struct lb_lfmt *f);

/* Render into out[0, cap): returns the length (truncated at cap). A sample
 * with no value renders as nothing, as in HAProxy. */
size_t lb_lfmt_render(const struct lb_lfmt *f, struct lb_smp_ctx *c, char *out, size_t cap);

#endif
