/* http_rules.h - http-request / http-response rules and the redirect
 * statement: parsed once at their config line, run per message.
 *
 * Actions (HAProxy 2.6 syntax and behaviour): allow, deny [deny_status N
 * | status N] [RESPONSE], return [status N] [RESPONSE], redirect
 * location|prefix|scheme V [code N] [drop-query] [append-slash],
 * set-header / add-header N FMT, del-header N [-m str|beg|end|sub|reg],
 * replace-header / replace-value N REGEX FMT, set-path, set-pathq,
 * set-query, set-uri, set-method FMT (requests), set-status N [reason R]
 * (responses), auth [realm R] (401 with WWW-Authenticate; the realm
 * defaults to the proxy's name). RESPONSE is [content-type T] [string S | lf-string FMT |
 * file F | errorfile F | errorfiles NAME | default-errorfiles] [hdr N FMT]...
 * (errorfiles NAME is found by lb_rule_resolve). FMT is a
 * log-format string (lfmt.h). Any other action is refused at its line.
 *
 * A message is edited by rebuilding its head (lb_rule_io.edit) and parsing
 * it again, so later rules and the forwarding code see the result, as in
 * HAProxy. Rules never change a message's framing: edits of
 * Content-Length or Transfer-Encoding are refused at the config line. */
#ifndef LB_HTTP_RULES_H
#define LB_HTTP_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "lbd/http/acl.h"
#include "lbd/http/lfmt.h"

struct lb_rule;

/* Where a rule list runs. */
enum lb_rule_phase {
    LB_RULE_REQ = 0,
    LB_RULE_RSP,
    LB_RULE_REDIRECT,
    LB_RULE_TCP_CONN,    /* tcp-request connection */
    LB_RULE_TCP_CONTENT, /* tcp-request content */
    LB_RULE_AFTER,       /* http-after-response */
    LB_RULE_TCP_RSP,     /* tcp-response content (backends, mode tcp) */
};

/* Parse one line: argv[0] is "http-request", "http-response",
 * "redirect" (then argv[1] is location|prefix|scheme) or "tcp-request"
 * (argv[1] connection|content, argv[2] the action). `acls` are the
 * proxy's named ACLs (borrowed: they must outlive the list). Appends to
 * *list, which owns the rule from then on; what the rule keeps of argv is
 * copied. Returns 0, or a negative errno with a malloc'ed *err and *list
 * unchanged. */
int lb_rule_parse(struct lb_rule **list,
                  const struct lb_acl_set *acls,
                  enum lb_rule_phase phase,
                  int argc,
                  char **argv,
                  char **err);

/* "http-error status CODE [content-type T] [string S | lf-string FMT |
 * file F] [hdr N FMT]...": argv[0] is the keyword, argv[1] "status". The
 * reply is built as "return" builds it (lb_rule_run on *ret, a list of
 * one, owned by the caller: lb_rule_list_free()). Returns 0 or a negative
 * errno with *err, *ret untouched. */
int lb_rule_parse_reply(struct lb_rule **ret,
                        const struct lb_acl_set *acls,
                        int argc,
                        char **argv,
                        char **err);

/* What the list's conditions and keys read (LB_SMP_USE_*); 0 for NULL. */
unsigned lb_rule_list_uses(const struct lb_rule *list);

/* Free a whole list; NULL-safe; returns NULL. */
struct lb_rule *lb_rule_list_free(struct lb_rule *list);

/* "http-request capture SAMPLE len N" adds a capture slot to its frontend:
 * after lb_rule_parse() appended a rule to list, the caller calls this; if
 * that last rule is such a capture, it becomes slot `idx` (what the caller
 * numbers its next slot) and its N is returned, else 0. */
unsigned lb_rule_capture_claim(struct lb_rule *list, unsigned idx);

/* Is there a use-service prometheus-exporter rule? 1 with *ret_cond set
 * to its condition (pointing into the list; NULL: unconditional), or 0
 * with *ret_cond untouched. */
int lb_rule_find_promex(const struct lb_rule *list, const struct lb_cond **ret_cond);

/* The message being worked on. Edits rebuild the head into one of two
 * buffers the caller lends (get_buf(owner, 0 or 1), `cap` bytes each) and
 * point smp->rqbuf (or rsbuf) and *msg at the result; `cur` says which
 * buffer holds the current head (-1: still the caller's original). A
 * reply is written into get_buf(owner, 2). get_buf may return NULL (no
 * memory): the rule then fails. */
struct lb_rule_io {
    struct lb_smp_ctx *smp;
    struct http1_msg *msg; /* smp->rq, or smp->rs when rsp */
    int rsp;
    char *(*get_buf)(void *owner, int idx);
    void *owner;
    size_t cap;
    int cur;
    uint32_t max_head;               /* head limit of the parser */
    uint32_t in_flags;               /* http1_msg_init() flags (responses) */
    const char *px_name;             /* the proxy whose rules run: auth's default realm */
    const char *reply;               /* LB_RULE_REPLY: the message, or reply_len 0 for */
    size_t reply_len;                /* the proxy's error page for `status` */
    const char *realm;               /* auth: add "WWW-Authenticate: Basic realm=..." to it */
    struct lk_addr *src_rw, *dst_rw; /* set-src / set-dst write there (NULL: not here) */
    int empty;                       /* reply_len 0 from an empty message (errorfile /dev/null):
                                      * nothing is sent and the connection closes, as HAProxy */
    int status;
    uint32_t nrewrites;
};

enum lb_rule_verdict {
    LB_RULE_CONTINUE = 0, /* no final action: go on */
    LB_RULE_ALLOW,        /* allow: stop this list, pass */
    LB_RULE_REPLY,        /* io->reply holds the response to send */
    LB_RULE_ERROR,        /* a rewrite failed: answer 500 (502 for a response) */
    LB_RULE_REJECT,       /* tcp-request reject: close at once */
    LB_RULE_DROP,         /* silent-drop: close with a reset, say nothing */
    LB_RULE_TARPIT,       /* tarpit: answer io->status after `timeout tarpit` */
    LB_RULE_WAIT,         /* tcp-request/response content: a condition needs more payload */
    LB_RULE_CLOSE,        /* tcp-response close: end the server side, forward what came */
};

/* What names in a proxy's rule lists are resolved against, after the
 * whole file: the config, `deftable` (the proxy's own stick-table, may be
 * NULL) and file/line, where the list starts, for "FILE:LINE: ..." errors.
 * Borrowed for the call. */
struct lb_cfg;
struct lb_stktable;
struct lb_resolve_at {
    const struct lb_cfg *cfg;
    struct lb_stktable *deftable;
    const char *file;
    unsigned line;
    int capfe;               /* a frontend: "capture ... id N" must name one of */
    size_t ncapreq, ncaprsp; /* its slots (a backend's rule uses its frontend's) */
};

/* After the whole file: each track-sc rule's table (its "table NAME", or
 * at->deftable, the proxy's own) and each "errorfiles NAME" page; both are
 * borrowed from at->cfg, which must outlive the list. Errors appended to
 * *err as "FILE:LINE: ..." (at->file/line: where the list starts); every bad
 * rule is reported. Returns 0 or -EINVAL. */
int lb_rule_resolve(struct lb_rule *list, const struct lb_resolve_at *at, char **err);

/* "stick on|match|store-request|store-response EXPR [table NAME] [if|unless COND]": a
 * backend's persistence rules. lb_stick_parse() appends one (argv[0] is
 * "stick"; copied where kept; acls borrowed) to *list, which owns it, and
 * returns 0 or a negative errno with *err. lb_stick_list_free() frees a
 * whole list (NULL-safe, returns NULL). lb_stick_resolve() runs after the
 * whole file: each rule's table ("table NAME", else at->deftable), made to
 * store the server id; errors appended to *err as "FILE:LINE: ...";
 * returns 0 or -EINVAL. */
struct lb_stick;

int lb_stick_parse(struct lb_stick **list,
                   const struct lb_acl_set *acls,
                   int argc,
                   char **argv,
                   char **err);
struct lb_stick *lb_stick_list_free(struct lb_stick *list);
int lb_stick_resolve(struct lb_stick *list, const struct lb_resolve_at *at, char **err);

/* The server id (puid) stored for this exchange by a matching rule, or 0.
 * Only reads the tables (no entry is created). c is used for the samples
 * (its chunks are overwritten). */
unsigned lb_stick_match(const struct lb_stick *list, struct lb_smp_ctx *c);

/* Remember server `puid` for this exchange in every storing rule whose
 * condition holds, creating the entries (one that cannot be created, in a
 * table full of referenced entries, is skipped). */
void lb_stick_store(const struct lb_stick *list, struct lb_smp_ctx *c, unsigned puid);

/* The same for the store-response rules, with the response in c (they
 * are skipped by the two above). */
void lb_stick_store_rsp(const struct lb_stick *list, struct lb_smp_ctx *c, unsigned puid);

/* What the rules' keys and conditions read (LB_SMP_USE_*), and whether
 * any is a store-response rule. */
unsigned lb_stick_list_uses(const struct lb_stick *list);
int lb_stick_has_rsp(const struct lb_stick *list);

/* What a connection sees before any request: its addresses, its tracked
 * counters, the time. For tcp-request rules and stick rules in mode tcp. */
struct lb_conn_info {
    const struct lk_addr *src, *dst;
    const uint8_t *payload; /* tcp-request content: what the client sent so far */
    size_t payload_len;
    int payload_final;
    const uint8_t *res_payload; /* tcp-response content: what the server sent so far */
    size_t res_payload_len;
    int res_payload_final;
    struct lb_stkctr *sc;
    struct lb_vars *vars;
    uint64_t now_ms;
};

/* Run tcp-request rules (connection or content) with only the
 * connection's data. ci is borrowed for the call; track-sc rules fill
 * ci->sc and set-var rules ci->vars (both the session's). deftable: the
 * table of the proxy whose rules run. LB_RULE_CONTINUE or ALLOW: go on;
 * REJECT / DROP: close; WAIT: a content condition needs more payload
 * (never when ci->payload_final). */
enum lb_rule_verdict lb_rule_run_conn(const struct lb_rule *list,
                                      struct lb_stktable *deftable,
                                      const struct lb_conn_info *ci);

/* mode tcp use_backend: the backend the first matching rule names (a
 * config object, not owned; NULL: the default), or LB_SWITCH_WAIT when a
 * condition needs more payload. */
struct lb_switch;
#define LB_SWITCH_WAIT ((struct lb_proxy *)1)
struct lb_proxy *lb_switch_conn(const struct lb_switch *list, const struct lb_conn_info *ci);

/* Stick rules with only the connection's data (ci borrowed for the call):
 * the server id to use (0: none), and the store after a server was chosen.
 * A NULL list does nothing. */
unsigned lb_stick_match_conn(const struct lb_stick *list, const struct lb_conn_info *ci);
void lb_stick_store_conn(const struct lb_stick *list, const struct lb_conn_info *ci, unsigned puid);
void lb_stick_store_rsp_conn(const struct lb_stick *list,
                             const struct lb_conn_info *ci,
                             unsigned puid);

/* Run a list in order until a final action (allow, deny, return,
 * redirect, auth, tarpit) or its end. io is the caller's: edits leave the
 * new head in one of its lent buffers (io->cur, io->msg and the smp
 * buffer pointers updated, io->nrewrites counted); LB_RULE_REPLY leaves
 * io->reply (in buffer 2, or reply_len 0: the proxy's error page) and
 * io->status. NULL list: LB_RULE_CONTINUE. */
enum lb_rule_verdict lb_rule_run(const struct lb_rule *list, struct lb_rule_io *io);

#endif
