/* sample.h - HAProxy's sample expressions: a fetch and its converters.
 *
 * "req.hdr(host),lower,map_beg(/etc/lbd/hosts.map,www)" is parsed once,
 * at the config line that holds it, into a struct lb_sexpr; worker threads
 * evaluate it against one HTTP exchange (struct lb_smp_ctx) and never parse
 * text again. A fetch names what it reads (LB_SMP_USE_*), so a rule that
 * runs when that part does not exist (req.hdr in http-response) is refused
 * at its line, as HAProxy refuses it.
 *
 * Fetches: path, pathq, query, url, base, method, req.ver, hdr / req.hdr /
 * req.fhdr (NAME[,OCC]), hdr_cnt / req.hdr_cnt, req.fhdr_cnt, hdr_ip /
 * req.hdr_ip (NAME[,OCC]), url_param / urlp (NAME), cook / req.cook,
 * req.cook_cnt, req.cook_val ([NAME]), capture.req.uri, fe_name, be_name,
 * src, dst, src_port, dst_port, ssl_fc (always
 * false: lbd has no TLS listeners yet), always_true, always_false, status,
 * res.ver, res.hdr / shdr / res.fhdr (NAME[,OCC]), res.hdr_cnt,
 * http_auth(USERLIST), http_auth_group(USERLIST) (the user's groups, for
 * ACLs), http_auth_user; stick counters: sc_X(N), scN_X, src_X([TABLE])
 * for X in conn_cur, conn_cnt, conn_rate, sess_cnt, sess_rate,
 * http_req_cnt, http_req_rate, http_err_cnt, http_err_rate, bytes_in_rate,
 * bytes_out_rate, get_gpc0, gpc0_rate, get_gpt0, inc_gpc0, clr_gpc0, and
 * sc_tracked(N) / scN_tracked; var(SCOPE.NAME[,DEFAULT]); the constants
 * str(TEXT) and int(N); in mode tcp, what the client sent first: req.len,
 * req.payload(OFF,LEN), req.payload_lv(OFF1,LEN[,OFF2]), req.ssl_hello_type,
 * req.ssl_sni (and their req_ spellings); what the server sent first
 * (tcp-response, stick store-response): res.len, res.payload,
 * res.payload_lv, res.ssl_hello_type / rep_ssl_hello_type; payload and
 * payload_lv, HAProxy's old names for the req. or res. form by where they
 * run; table_cnt([TABLE]).
 * Converters: lower, upper, length, base64, hex, url_dec, field(N,DELIM),
 * word(N,DELIM), regsub(RE,SUBST[,g|i]), concat([BEFORE],[VAR],[AFTER]),
 * strcmp(VAR), ipmask(MASK4[,MASK6]), map / map_str / map_beg / map_end /
 * map_sub / map_dom / map_reg / map_regm (FILE[,DEFAULT]).
 *
 * Ownership: an expression owns its arguments, compiled regexes and loaded
 * maps; results point into the exchange's buffers or into the context's
 * scratch chunks and live until the next evaluation with that context. */
#ifndef LB_SAMPLE_H
#define LB_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "proto/http1.h"

/* What an expression reads (lb_sexpr_uses). */
#define LB_SMP_USE_REQ        (1u << 0) /* the request head */
#define LB_SMP_USE_RSP        (1u << 1) /* the response head */
#define LB_SMP_USE_PAYLOAD    (1u << 2) /* the bytes a tcp client sent first (tcp-request content) */
#define LB_SMP_USE_RESPAYLOAD (1u << 3) /* the bytes a tcp server sent first (tcp-response) */

enum lb_smp_type { LB_SMP_NONE = 0, LB_SMP_STR, LB_SMP_INT, LB_SMP_ADDR, LB_SMP_BOOL };

/* One value. str/len for LB_SMP_STR, i for INT and BOOL, addr for ADDR. */
struct lb_smp {
    uint8_t type;
    const char *str;
    size_t len;
    int64_t i;
    const struct lk_addr *addr;
};

#define LB_SMP_CHUNK 4096

/* One HTTP exchange as expressions see it. rq/rs may be NULL (no such
 * head yet). The chunks hold converter output; two, so that a converter
 * can read one while writing the other. */
struct lb_smp_ctx {
    const uint8_t *rqbuf;
    const struct http1_msg *rq;
    const uint8_t *rsbuf;
    const struct http1_msg *rs;
    const struct lk_addr *src, *dst;
    struct lb_stkctr *sc;         /* the session's sc0..sc2, or NULL */
    struct lb_vars *vars;         /* the session's variables, or NULL */
    struct lb_stktable *deftable; /* the table of the proxy whose rule runs */
    uint64_t now_ms;              /* for rates */
    const uint8_t *payload;       /* mode tcp: what the client sent so far */
    size_t payload_len;
    int payload_final;          /* no more will come (closed, delay over, buffer full) */
    const uint8_t *res_payload; /* mode tcp: what the server sent so far (tcp-response) */
    size_t res_payload_len;
    int res_payload_final;
    int need_more;                 /* set by a payload fetch that could not decide yet */
    const char *fe_name, *be_name; /* fe_name / be_name, or NULL */
    int first_req;                 /* http_first_req */
    const char *srv_name;          /* srv_name / srv_id: the answering server, or NULL */
    unsigned srv_id;
    const char *reqline; /* capture.req.uri: the request line as received */
    size_t reqline_len;
    char *caps;                    /* the session's capture slots (NULL: none) */
    const struct lb_http_px *caph; /* the frontend's, which lays them out */
    const char *(*uid)(void *arg); /* unique-id: the transaction's id (unique-id-format), */
    void *uid_arg;                 /* made on first use; NULL: none (no sample) */
    struct lk_addr abuf[2];        /* addresses read from text (req.hdr_ip, ipmask) */
    unsigned next_abuf;
    char chunk[2][LB_SMP_CHUNK];
    unsigned next_chunk;
};

struct lb_sexpr;
struct lb_cfg;
struct lb_http_px;
struct lb_stkctr;
struct lb_stktable;
struct lb_vars;

/* Userlists and stick tables are named by samples before their sections
 * may have been read:
 * while a config is parsed (by one thread), the samples that name one are
 * collected here and resolved once the whole file is read. */
struct lb_smp_refs {
    struct lb_sexpr **v;
    const char **file; /* where each was written */
    unsigned *line;
    size_t n;
    const char *cur_file; /* set by the parser before each line */
    unsigned cur_line;
};

/* Collect into r until lb_smp_refs_end() (NULL: stop collecting). r is
 * borrowed: it must stay alive until then, and one config parse at a time
 * may collect (the pointer is process-wide). */
void lb_smp_refs_begin(struct lb_smp_refs *r);

/* Resolve every collected userlist and stick-table proxy name in cfg (the
 * expressions then point into cfg, which must outlive them); unknown ones
 * are appended to *err as "FILE:LINE: ...". Stops collecting and frees the
 * collection (r is zeroed, not freed). Returns 0 or -EINVAL. */
int lb_smp_refs_end(struct lb_smp_refs *r, const struct lb_cfg *cfg, char **err);

/* Parse an expression. `avail` is what exists where it will run
 * (LB_SMP_USE_*); a fetch that needs more is refused. Returns 0 and
 * *ret (owned by the caller), or -EINVAL/-ENOMEM with *err. */
int lb_sexpr_parse(const char *text, unsigned avail, struct lb_sexpr **ret, char **err);

/* NULL-safe; returns NULL. */
struct lb_sexpr *lb_sexpr_free(struct lb_sexpr *e);

/* What the expression reads: LB_SMP_USE_* bits (the fetch's; converters
 * read nothing more). */
unsigned lb_sexpr_uses(const struct lb_sexpr *e);

/* The type the fetch yields before converters (for ACL match defaults). */
enum lb_smp_type lb_sexpr_fetch_type(const struct lb_sexpr *e);

/* Number of converters after the fetch (0: the bare fetch). */
size_t lb_sexpr_nconv(const struct lb_sexpr *e);

/* Does the fetch give one value per occurrence (hdr(NAME) without an
 * occurrence)? ACLs then try each; a value in a rule takes the last. */
int lb_sexpr_multi(const struct lb_sexpr *e);

/* Evaluate occurrence `occ` (0-based; ignored by single-value fetches).
 * Returns 1 with *out set, or 0 when there is no such value (*out is then
 * meaningless).
 * A string result points into c's buffers, c's scratch chunks or e itself:
 * it is valid until c is used for two more conversions or the exchange's
 * buffers change, and must be copied to be kept. May set c->need_more.
 * Stick-counter fetches (inc_gpc0, clr_gpc0) update their table. */
int lb_sexpr_eval(const struct lb_sexpr *e, struct lb_smp_ctx *c, unsigned occ, struct lb_smp *out);

/* A string view of any sample, in place (an integer or address is printed
 * into one of c's scratch chunks, with the lifetime lb_sexpr_eval() says). */
void lb_smp_as_str(struct lb_smp_ctx *c, struct lb_smp *s);

/* s as an address in place: an address stays, text is read as hdr_ip
 * reads a field (IPv4[:PORT], IPv6), into one of c's address slots.
 * Returns 1, or 0 when it is no address. */
int lb_smp_to_addr(struct lb_smp_ctx *c, struct lb_smp *s);

/* The path of a request-target: absolute-form loses scheme and authority,
 * the query is cut. *ret points into buf (*ret_len bytes, possibly 0);
 * both are always set. */
void lb_smp_req_path(const uint8_t *buf,
                     const struct http1_msg *m,
                     const uint8_t **ret,
                     size_t *ret_len);

#endif
