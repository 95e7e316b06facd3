/* sample.c - sample fetches and converters; see sample.h. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/b64.h"
#include "common/cfgkw.h"
#include "common/cfglex.h"
#include "lbd/cfg/cfg.h"
#include "lbd/cfg/http_cfg.h"
#include "lbd/cfg/userlist.h"
#include "lbd/core/backend.h"
#include "lbd/core/stkctr.h"
#include "lbd/http/sample.h"
#include "lbd/http/vars.h"
#include "proto/tls_hello.h"

/* Argument slots per fetch or converter: the most any takes is 3 (field,
 * word, regsub, concat) and split_call() refuses a fourth. */
#define MAX_ARGS 4

enum fetch {
    F_PATH,
    F_QUERY,
    F_URL,
    F_BASE,
    F_METHOD,
    F_REQ_VER,
    F_HDR,
    F_FHDR,
    F_HDR_CNT,
    F_URLP,
    F_COOK,
    F_SRC,
    F_DST,
    F_SRC_PORT,
    F_DST_PORT,
    F_FALSE,
    F_TRUE,
    F_STATUS,
    F_RES_VER,
    F_RES_HDR,
    F_RES_FHDR,
    F_RES_HDR_CNT,
    F_HTTP_AUTH,
    F_HTTP_AUTH_GROUP,
    F_HTTP_AUTH_USER,
    F_HTTP_AUTH_PASS,
    F_HTTP_AUTH_TYPE,
    F_VAR,     /* var(SCOPE.NAME[,DEFAULT]) */
    F_CSTR,    /* str(TEXT): a constant */
    F_REQ_LEN, /* req.len: bytes the tcp client sent so far */
    F_REQ_PAYLOAD,
    F_SSL_HELLO,
    F_SSL_SNI,
    F_CINT,    /* int(N): a constant */
    F_UUID,    /* uuid([4]): a random RFC 4122 version 4 UUID, new each time */
    F_SC,      /* sc_X(N) / scN_X: the session's tracked counter */
    F_SRC_STK, /* src_X([TABLE]): the client address's entry */
    F_NBSRV,   /* nbsrv(BACKEND): its usable servers */
    F_PATHQ,
    F_FHDR_CNT,
    F_HDR_IP,   /* hdr_ip(NAME[,OCC]): a field's value read as an address */
    F_COOK_CNT, /* cook_cnt([NAME]): how many cookies (of that name) */
    F_COOK_VAL, /* cook_val([NAME]): a cookie's value as an integer */
    F_CAP_URI,  /* capture.req.uri: the URI as the client sent it */
    F_CAP_REQ,  /* capture.req.hdr(ID) / capture.res.hdr(ID): a frontend's capture slot */
    F_CAP_RES,
    F_UNIQUE_ID, /* unique-id: the unique-id-format value of the transaction */
    F_FE_NAME,
    F_BE_NAME,
    F_FIRST_REQ, /* http_first_req: the connection's first request */
    F_SRV_NAME,  /* srv_name, srv_id: the server that answers */
    F_SRV_ID,
    F_REQ_PAYLOAD_LV, /* req.payload_lv(OFF1,LEN[,OFF2]): a length-prefixed block */
    F_RES_LEN,        /* res.*: the same, on what the tcp server sent first */
    F_RES_PAYLOAD,
    F_RES_PAYLOAD_LV,
    F_RES_SSL_HELLO,
    F_TABLE_CNT, /* table_cnt([TABLE]): entries in use */
};

enum stk_op { SO_READ, SO_INC, SO_CLR, SO_TRACKED };

enum conv {
    C_LOWER,
    C_UPPER,
    C_LENGTH,
    C_BASE64,
    C_HEX,
    C_URL_DEC,
    C_FIELD,
    C_WORD,
    C_REGSUB,
    C_MAP_STR,
    C_MAP_BEG,
    C_MAP_END,
    C_MAP_SUB,
    C_MAP_REG,
    C_MAP_DOM,
    C_MAP_REGM, /* map_reg whose value takes \1..\9 from the match */
    C_CONCAT,
    C_STRCMP,
    C_IPMASK,
};

struct map_ent {
    char *key, *val;
    size_t klen, vlen;
    pcre2_code *re; /* map_reg: the key compiled at load */
};

/* One converter in an expression, set up once at parse time: args owned
 * (NUL-terminated copies), n/count the parsed numbers of field/word, re the
 * compiled regsub pattern, map the loaded map file (key, value pairs in file
 * order). Only read at evaluation, so worker threads share it. */
struct conv_inst {
    uint8_t id, icase, global;
    char *args[MAX_ARGS];
    int nargs;
    int64_t n, count;
    uint8_t mask4[4], mask6[16]; /* ipmask */
    uint8_t has_mask6;
    pcre2_code *re;
    struct map_ent *map;
    size_t nmap;
};

struct lb_sexpr {
    const struct lb_userlist *ul; /* http_auth*: resolved after the file */
    struct lb_stktable *table;    /* src_X(TABLE): resolved after the file */
    const struct lb_proxy *be;    /* nbsrv(BACKEND): resolved after the file */
    uint8_t ctr, stk_data, stk_op, div1024;
    char *vdef;    /* var(NAME,DEFAULT) */
    int64_t count; /* req.payload: LENGTH (occ holds OFFSET) */
    int64_t off2; /* payload_lv: the block's offset, absolute or (off2_rel) from the length's end */
    uint8_t has_off2, off2_rel;
    uint8_t fetch, type, uses;
    char *arg; /* header, parameter or cookie name */
    size_t arg_len;
    int64_t occ; /* hdr(NAME,OCC): 0 none, >0 from the start, <0 from the end */
    struct conv_inst *convs;
    size_t nconvs;
};

/* The fetch table: `uses` says which head a fetch needs, checked at parse
 * against what exists where the rule runs; `type` is the type an ACL's
 * default match method is chosen from. `alias` is HAProxy's other name for
 * the same fetch (the older spelling, or the short one), or NULL. */
static const struct {
    const char *name, *alias;
    uint8_t fetch, type;
    uint8_t uses; /* LB_SMP_USE_* */
    uint8_t arg;  /* 0 none, 1 required, 2 optional */
} fetches[] = {
    {"path", NULL, F_PATH, LB_SMP_STR, LB_SMP_USE_REQ, 0},
    {"pathq", NULL, F_PATHQ, LB_SMP_STR, LB_SMP_USE_REQ, 0},
    {"query", NULL, F_QUERY, LB_SMP_STR, LB_SMP_USE_REQ, 0},
    {"url", NULL, F_URL, LB_SMP_STR, LB_SMP_USE_REQ, 0},
    {"base", NULL, F_BASE, LB_SMP_STR, LB_SMP_USE_REQ, 0},
    {"method", NULL, F_METHOD, LB_SMP_STR, LB_SMP_USE_REQ, 0},
    {"req.ver", NULL, F_REQ_VER, LB_SMP_STR, LB_SMP_USE_REQ, 0},
    {"hdr", "req.hdr", F_HDR, LB_SMP_STR, LB_SMP_USE_REQ, 2},
    {"req.fhdr", NULL, F_FHDR, LB_SMP_STR, LB_SMP_USE_REQ, 1},
    {"hdr_cnt", "req.hdr_cnt", F_HDR_CNT, LB_SMP_INT, LB_SMP_USE_REQ, 2},
    {"req.fhdr_cnt", NULL, F_FHDR_CNT, LB_SMP_INT, LB_SMP_USE_REQ, 2},
    {"hdr_ip", "req.hdr_ip", F_HDR_IP, LB_SMP_ADDR, LB_SMP_USE_REQ, 2},
    {"cook_cnt", "req.cook_cnt", F_COOK_CNT, LB_SMP_INT, LB_SMP_USE_REQ, 2},
    {"cook_val", "req.cook_val", F_COOK_VAL, LB_SMP_INT, LB_SMP_USE_REQ, 2},
    /* the line kept for the log: there in response rules too */
    {"capture.req.uri", NULL, F_CAP_URI, LB_SMP_STR, 0, 0},
    {"capture.req.hdr", NULL, F_CAP_REQ, LB_SMP_STR, 0, 1},
    {"capture.res.hdr", NULL, F_CAP_RES, LB_SMP_STR, LB_SMP_USE_RSP, 1},
    {"unique-id", NULL, F_UNIQUE_ID, LB_SMP_STR, 0, 0},
    {"fe_name", NULL, F_FE_NAME, LB_SMP_STR, 0, 0},
    {"be_name", NULL, F_BE_NAME, LB_SMP_STR, 0, 0},
    {"http_first_req", NULL, F_FIRST_REQ, LB_SMP_BOOL, 0, 0},
    {"srv_name", NULL, F_SRV_NAME, LB_SMP_STR, LB_SMP_USE_RSP, 0},
    {"srv_id", NULL, F_SRV_ID, LB_SMP_INT, LB_SMP_USE_RSP, 0},
    {"url_param", "urlp", F_URLP, LB_SMP_STR, LB_SMP_USE_REQ, 1},
    {"cook", "req.cook", F_COOK, LB_SMP_STR, LB_SMP_USE_REQ, 2},
    {"src", NULL, F_SRC, LB_SMP_ADDR, 0, 0},
    {"dst", NULL, F_DST, LB_SMP_ADDR, 0, 0},
    {"src_port", NULL, F_SRC_PORT, LB_SMP_INT, 0, 0},
    {"dst_port", NULL, F_DST_PORT, LB_SMP_INT, 0, 0},
    {"ssl_fc", NULL, F_FALSE, LB_SMP_BOOL, 0, 0},
    {"always_false", NULL, F_FALSE, LB_SMP_BOOL, 0, 0},
    {"always_true", NULL, F_TRUE, LB_SMP_BOOL, 0, 0},
    {"nbsrv", NULL, F_NBSRV, LB_SMP_INT, 0, 1},
    {"status", NULL, F_STATUS, LB_SMP_INT, LB_SMP_USE_RSP, 0},
    {"res.ver", NULL, F_RES_VER, LB_SMP_STR, LB_SMP_USE_RSP, 0},
    {"res.hdr", "shdr", F_RES_HDR, LB_SMP_STR, LB_SMP_USE_RSP, 2},
    {"res.fhdr", NULL, F_RES_FHDR, LB_SMP_STR, LB_SMP_USE_RSP, 1},
    {"res.hdr_cnt", NULL, F_RES_HDR_CNT, LB_SMP_INT, LB_SMP_USE_RSP, 2},
    {"http_auth", NULL, F_HTTP_AUTH, LB_SMP_BOOL, LB_SMP_USE_REQ, 1},
    {"http_auth_group", NULL, F_HTTP_AUTH_GROUP, LB_SMP_STR, LB_SMP_USE_REQ, 1},
    {"http_auth_user", NULL, F_HTTP_AUTH_USER, LB_SMP_STR, LB_SMP_USE_REQ, 0},
    {"http_auth_pass", NULL, F_HTTP_AUTH_PASS, LB_SMP_STR, LB_SMP_USE_REQ, 0},
    {"http_auth_type", NULL, F_HTTP_AUTH_TYPE, LB_SMP_STR, LB_SMP_USE_REQ, 0},
    {"var", NULL, F_VAR, LB_SMP_STR, 0, 1},
    {"str", NULL, F_CSTR, LB_SMP_STR, 0, 2}, /* str(): the empty string */
    {"int", NULL, F_CINT, LB_SMP_INT, 0, 1},
    {"uuid", NULL, F_UUID, LB_SMP_STR, 0, 2},
    {"req.len", "req_len", F_REQ_LEN, LB_SMP_INT, LB_SMP_USE_PAYLOAD, 0},
    {"req.payload", NULL, F_REQ_PAYLOAD, LB_SMP_STR, LB_SMP_USE_PAYLOAD, 2},
    {"req.ssl_hello_type", "req_ssl_hello_type", F_SSL_HELLO, LB_SMP_INT, LB_SMP_USE_PAYLOAD, 0},
    {"req.ssl_sni", "req_ssl_sni", F_SSL_SNI, LB_SMP_STR, LB_SMP_USE_PAYLOAD, 0},
    {"req.payload_lv", NULL, F_REQ_PAYLOAD_LV, LB_SMP_STR, LB_SMP_USE_PAYLOAD, 2},
    {"res.len", NULL, F_RES_LEN, LB_SMP_INT, LB_SMP_USE_RESPAYLOAD, 0},
    {"res.payload", NULL, F_RES_PAYLOAD, LB_SMP_STR, LB_SMP_USE_RESPAYLOAD, 2},
    {"res.payload_lv", NULL, F_RES_PAYLOAD_LV, LB_SMP_STR, LB_SMP_USE_RESPAYLOAD, 2},
    {"res.ssl_hello_type", "rep_ssl_hello_type", F_RES_SSL_HELLO, LB_SMP_INT, LB_SMP_USE_RESPAYLOAD,
     0},
    {"table_cnt", NULL, F_TABLE_CNT, LB_SMP_INT, 0, 2},
};

/* HAProxy's deprecated payload() and payload_lv() read the request's
 * bytes where a rule runs on the request ("stick on") and the response's
 * where it runs on the response ("stick store-response"): the name is
 * mapped once, at parse time, from what exists where the expression runs. */
static const char *payload_alias(const char *s, size_t nl, unsigned avail)
{
    int rsp = (avail & LB_SMP_USE_RESPAYLOAD) && !(avail & LB_SMP_USE_PAYLOAD);

    if (nl == 7 && strncmp(s, "payload", 7) == 0)
        return rsp ? "res.payload" : "req.payload";
    if (nl == 10 && strncmp(s, "payload_lv", 10) == 0)
        return rsp ? "res.payload_lv" : "req.payload_lv";
    return NULL;
}

/* A file-scope pointer rather than a parameter: expressions are parsed deep
 * inside rule, ACL and log-format parsers that know nothing of the config
 * being built. Set and cleared around one config parse, which runs on one
 * thread; NULL outside it, so a stray name is refused, not leaked. */
static struct lb_smp_refs *refs; /* the config being parsed, see sample.h */

void lb_smp_refs_begin(struct lb_smp_refs *r)
{
    refs = r;
}

/* The three arrays grow together; a failed realloc leaves the ones that
 * grew valid (and owned by refs) so lb_smp_refs_end() frees them all. */
static int refs_add(struct lb_sexpr *e, char **err)
{
    struct lb_sexpr **v;
    const char **f;
    unsigned *l;

    if (!refs)
        return lk_cfg_err(err, "http_auth: no userlist can be named here");
    v = realloc(refs->v, (refs->n + 1) * sizeof(*v));
    if (v)
        refs->v = v;
    f = realloc(refs->file, (refs->n + 1) * sizeof(*f));
    if (f)
        refs->file = f;
    l = realloc(refs->line, (refs->n + 1) * sizeof(*l));
    if (l)
        refs->line = l;
    if (!v || !f || !l)
        return -ENOMEM;
    v[refs->n] = e;
    f[refs->n] = refs->cur_file;
    l[refs->n++] = refs->cur_line;
    return 0;
}

/* Resolution waits for the end of the file: HAProxy lets a rule name a
 * userlist or a stick-table proxy defined further down. Every unresolved
 * name is reported, not only the first, with the line that wrote it. */
int lb_smp_refs_end(struct lb_smp_refs *r, const struct lb_cfg *cfg, char **err)
{
    struct lb_sexpr *e;
    size_t i;
    int ret = 0;

    refs = NULL;
    for (i = 0; cfg && i < r->n; i++) {
        e = r->v[i];
        if (e->fetch == F_SRC_STK || e->fetch == F_TABLE_CNT) {
            e->table = lb_cfg_find_table(cfg, e->arg);
            if (!e->table) {
                lb_cfg_err_append(err, "%s:%u: no stick-table in proxy '%s'", r->file[i],
                                  r->line[i], e->arg);
                ret = -EINVAL;
            }
            continue;
        }
        if (e->fetch == F_NBSRV) {
            e->be = lb_cfg_find_proxy(cfg, e->arg, LB_CAP_BE);
            if (!e->be) {
                lb_cfg_err_append(err, "%s:%u: nbsrv: no backend '%s'", r->file[i], r->line[i],
                                  e->arg);
                ret = -EINVAL;
            }
            continue;
        }
        e->ul = lb_userlist_find(cfg, e->arg);
        if (!e->ul) {
            lb_cfg_err_append(err, "%s:%u: userlist '%s' is not defined", r->file[i], r->line[i],
                              e->arg);
            ret = -EINVAL;
        }
    }
    free(r->v);
    free(r->file);
    free(r->line);
    memset(r, 0, sizeof(*r));
    return ret;
}

static const struct {
    const char *name;
    uint8_t id, min, max;
} convs[] = {
    {"lower", C_LOWER, 0, 0},     {"upper", C_UPPER, 0, 0},       {"length", C_LENGTH, 0, 0},
    {"base64", C_BASE64, 0, 0},   {"hex", C_HEX, 0, 0},           {"url_dec", C_URL_DEC, 0, 1},
    {"field", C_FIELD, 2, 3},     {"word", C_WORD, 2, 3},         {"regsub", C_REGSUB, 2, 3},
    {"map", C_MAP_STR, 1, 2},     {"map_str", C_MAP_STR, 1, 2},   {"map_beg", C_MAP_BEG, 1, 2},
    {"map_end", C_MAP_END, 1, 2}, {"map_sub", C_MAP_SUB, 1, 2},   {"map_reg", C_MAP_REG, 1, 2},
    {"map_dom", C_MAP_DOM, 1, 2}, {"map_regm", C_MAP_REGM, 1, 2}, {"concat", C_CONCAT, 1, 3},
    {"strcmp", C_STRCMP, 1, 1},   {"ipmask", C_IPMASK, 1, 2},
};

/* ---- parsing ---- */

static void conv_fini(struct conv_inst *c)
{
    size_t i;
    int k;

    for (k = 0; k < c->nargs; k++)
        free(c->args[k]);
    for (i = 0; i < c->nmap; i++) {
        free(c->map[i].key);
        free(c->map[i].val);
        if (c->map[i].re)
            pcre2_code_free(c->map[i].re);
    }
    free(c->map);
    if (c->re)
        pcre2_code_free(c->re);
}

struct lb_sexpr *lb_sexpr_free(struct lb_sexpr *e)
{
    size_t i;

    if (!e)
        return NULL;
    for (i = 0; i < e->nconvs; i++)
        conv_fini(&e->convs[i]);
    free(e->convs);
    free(e->arg);
    free(e->vdef);
    free(e);
    return NULL;
}

/* "name(a,b)" -> name length and the arguments, split at commas outside
 * quotes; a backslash makes the next character literal and stays, as in
 * HAProxy 2.6 (regexes keep their "\d"). The quotes are removed from the
 * copies in args (malloc'ed, freed by the caller even on error). */
static int split_call(const char *s,
                      size_t len,
                      size_t *name_len,
                      char **args,
                      int *nargs,
                      char **err)
{
    const char *p = memchr(s, '(', len), *end = s + len;
    char buf[1024];
    size_t n = 0;
    char q = 0;

    *nargs = 0;
    *name_len = p ? (size_t)(p - s) : len;
    if (!p)
        return 0;
    if (end[-1] != ')')
        return lk_cfg_err(err, "missing ')' in '%.*s'", (int)len, s);
    if (p + 2 == end) /* "name()": no argument, as HAProxy reads it */
        return 0;
    for (p++; p < end - 1; p++) {
        /* HAProxy 2.6 keeps the backslash ("regsub(\\d+,x)" is the regex \d+);
         * the character after it is taken literally (no quote, no comma) */
        if (*p == '\\' && p + 1 < end - 1) {
            if (n + 2 >= sizeof(buf))
                return lk_cfg_err(err, "argument too long in '%.*s'", (int)len, s);
            buf[n++] = *p++;
        } else if (q && *p == q) {
            q = 0;
            continue;
        } else if (!q && (*p == '"' || *p == '\'')) {
            q = *p;
            continue;
        } else if (!q && *p == ',') {
            if (*nargs == MAX_ARGS - 1)
                return lk_cfg_err(err, "too many arguments in '%.*s'", (int)len, s);
            if (!(args[(*nargs)++] = strndup(buf, n)))
                return -ENOMEM;
            n = 0;
            continue;
        }
        if (n + 1 >= sizeof(buf))
            return lk_cfg_err(err, "argument too long in '%.*s'", (int)len, s);
        buf[n++] = *p;
    }
    if (!(args[(*nargs)++] = strndup(buf, n)))
        return -ENOMEM;
    return 0;
}

static void free_args(char **args, int n)
{
    while (n > 0)
        free(args[--n]);
}

/* sc_X(N), scN_X, src_X([TABLE]): returns 0 when it is one (parsed),
 * 1 when it is not a stick-counter fetch, or a negative errno. */
static int parse_stk_fetch(struct lb_sexpr *e,
                           const char *s,
                           size_t nl,
                           char **args,
                           int na,
                           char **err)
{
    static const struct {
        const char *x;
        int data;
        uint8_t op, div;
    } xs[] = {
        {"conn_cur", LB_STK_CONN_CUR, SO_READ, 0},
        {"conn_cnt", LB_STK_CONN_CNT, SO_READ, 0},
        {"conn_rate", LB_STK_CONN_RATE, SO_READ, 0},
        {"sess_cnt", LB_STK_SESS_CNT, SO_READ, 0},
        {"sess_rate", LB_STK_SESS_RATE, SO_READ, 0},
        {"http_req_cnt", LB_STK_HTTP_REQ_CNT, SO_READ, 0},
        {"http_req_rate", LB_STK_HTTP_REQ_RATE, SO_READ, 0},
        {"http_err_cnt", LB_STK_HTTP_ERR_CNT, SO_READ, 0},
        {"http_err_rate", LB_STK_HTTP_ERR_RATE, SO_READ, 0},
        {"bytes_in_rate", LB_STK_BYTES_IN_RATE, SO_READ, 0},
        {"bytes_out_rate", LB_STK_BYTES_OUT_RATE, SO_READ, 0},
        {"kbytes_in", LB_STK_BYTES_IN_CNT, SO_READ, 1},
        {"kbytes_out", LB_STK_BYTES_OUT_CNT, SO_READ, 1},
        {"get_gpc0", LB_STK_GPC0, SO_READ, 0},
        {"gpc0_rate", LB_STK_GPC0_RATE, SO_READ, 0},
        {"get_gpt0", LB_STK_GPT0, SO_READ, 0},
        {"inc_gpc0", LB_STK_GPC0, SO_INC, 0},
        {"clr_gpc0", LB_STK_GPC0, SO_CLR, 0},
        {"tracked", 0, SO_TRACKED, 0},
    };
    const char *x;
    size_t i, xl;
    uint64_t n = 0;

    /* Three spellings, as HAProxy's: sc_X(N) names the counter in an argument,
     * scN_X in the name; src_X([TABLE]) looks the client address up instead of
     * reading a tracked entry, in TABLE or the rule's own proxy's table. */
    if (nl > 3 && strncmp(s, "sc_", 3) == 0) {
        x = s + 3;
        if (na != 1 || lk_parse_uint(args[0], 0, LB_STKCTR_N - 1, &n) < 0)
            return lk_cfg_err(err,
                              "fetch '%.*s' needs a counter number 0-2 (a table argument is "
                              "not supported by lbd)",
                              (int)nl, s);
        e->fetch = F_SC;
    } else if (nl > 4 && s[0] == 's' && s[1] == 'c' && s[2] >= '0' && s[2] <= '2' && s[3] == '_') {
        x = s + 4;
        n = (uint64_t)(s[2] - '0');
        if (na)
            return lk_cfg_err(err, "fetch '%.*s': a table argument is not supported by lbd",
                              (int)nl, s);
        e->fetch = F_SC;
    } else if (nl > 4 && strncmp(s, "src_", 4) == 0) {
        x = s + 4;
        if (na > 1)
            return lk_cfg_err(err, "fetch '%.*s' takes at most a table", (int)nl, s);
        e->fetch = F_SRC_STK;
    } else {
        return 1;
    }
    xl = nl - (size_t)(x - s);
    for (i = 0; i < LK_ARRAY_SIZE(xs); i++)
        if (strlen(xs[i].x) == xl && strncmp(xs[i].x, x, xl) == 0)
            break;
    /* src_tracked does not exist in HAProxy: only a tracked counter can be
     * "tracked". */
    if (i == LK_ARRAY_SIZE(xs) || (e->fetch == F_SRC_STK && xs[i].op == SO_TRACKED))
        return lk_cfg_err(err, "unknown fetch method '%.*s'", (int)nl, s);
    e->ctr = (uint8_t)n;
    e->stk_data = (uint8_t)xs[i].data;
    e->stk_op = xs[i].op;
    e->div1024 = xs[i].div;
    e->type = xs[i].op == SO_TRACKED ? LB_SMP_BOOL : LB_SMP_INT;
    if (e->fetch == F_SRC_STK && na == 1) {
        if (!(e->arg = strdup(args[0])))
            return -ENOMEM;
        e->arg_len = strlen(e->arg);
        return refs_add(e, err);
    }
    return 0;
}

static int is_lv(uint8_t f)
{
    return f == F_REQ_PAYLOAD_LV || f == F_RES_PAYLOAD_LV;
}

static int is_payload(uint8_t f)
{
    return f == F_REQ_PAYLOAD || f == F_RES_PAYLOAD || is_lv(f);
}

/* OFFSET and LENGTH live in occ and count; bounded to 64 KiB each, so
 * occ + count cannot overflow at evaluation. */
static int parse_payload_args(struct lb_sexpr *e, const char *name, int na, char **args, char **err)
{
    if (na != 2 || !e->arg || lk_parse_int(e->arg, 0, 65536, &e->occ) < 0 ||
        lk_parse_int(args[1], 0, 65536, &e->count) < 0)
        return lk_cfg_err(err, "%s: expected (OFFSET,LENGTH)", name);
    return 0;
}

/* payload_lv(OFF1,LEN[,OFF2]): LEN bytes at OFF1 are a big-endian length
 * (at most 4 bytes, an unsigned int as HAProxy reads it); OFF2 places the
 * block, absolute, or relative to the end of the length when signed. */
static int parse_lv_args(struct lb_sexpr *e, const char *name, int na, char **args, char **err)
{
    if (na < 2 || !e->arg || lk_parse_int(e->arg, 0, 65536, &e->occ) < 0 ||
        lk_parse_int(args[1], 1, 4, &e->count) < 0)
        return lk_cfg_err(err, "%s: expected (OFFSET,LENGTH[,OFFSET2]) with LENGTH 1-4", name);
    if (na == 3) {
        e->has_off2 = 1;
        e->off2_rel = args[2][0] == '+' || args[2][0] == '-';
        if (lk_parse_int(args[2] + (args[2][0] == '+'), -65536, 65536, &e->off2) < 0 ||
            (!e->off2_rel && e->off2 < 0))
            return lk_cfg_err(err, "%s: invalid OFFSET2 '%s'", name, args[2]);
    }
    return 0;
}

/* name (may be NULL) is the nl bytes at s */
static int name_is(const char *name, const char *s, size_t nl)
{
    return name && strlen(name) == nl && strncmp(name, s, nl) == 0;
}

static int parse_fetch(struct lb_sexpr *e, const char *s, size_t len, unsigned avail, char **err)
{
    char *args[MAX_ARGS];
    size_t nl, i;
    int na, r;

    const char *al;

    r = split_call(s, len, &nl, args, &na, err);
    if (r < 0)
        return r;
    al = payload_alias(s, nl, avail);
    for (i = 0; i < LK_ARRAY_SIZE(fetches); i++)
        if (al ? strcmp(fetches[i].name, al) == 0
               : name_is(fetches[i].name, s, nl) || name_is(fetches[i].alias, s, nl))
            break;
    if (i == LK_ARRAY_SIZE(fetches) && (r = parse_stk_fetch(e, s, nl, args, na, err)) != 1) {
        free_args(args, na);
        return r;
    }
    r = 0;
    if (i == LK_ARRAY_SIZE(fetches))
        r = lk_cfg_err(err,
                       "unknown fetch method '%.*s' (lbd has: path, query, url, base, "
                       "method, req.hdr, req.fhdr, req.hdr_cnt, url_param, req.cook, src, dst, "
                       "src_port, dst_port, ssl_fc, status, res.hdr, res.hdr_cnt, ...)",
                       (int)nl, s);
    /* HAProxy refuses a fetch of a head that does not exist where the rule
     * runs (res.hdr in http-request, req.hdr in http-response):
     * at evaluation it could only yield nothing, silently. */
    else if ((fetches[i].uses & avail) != fetches[i].uses)
        r = lk_cfg_err(err, "fetch '%.*s' reads the %s, which does not exist where it is used",
                       (int)nl, s,
                       (fetches[i].uses & LB_SMP_USE_REQ)       ? "request"
                       : (fetches[i].uses & LB_SMP_USE_RSP)     ? "response"
                       : (fetches[i].uses & LB_SMP_USE_PAYLOAD) ? "tcp payload"
                                                                : "tcp response payload");
    else if ((fetches[i].arg == 0 && na > 0) || (fetches[i].arg == 1 && na == 0) ||
             na > (is_lv(fetches[i].fetch) ? 3 : 2))
        r = lk_cfg_err(err, "fetch '%.*s': wrong number of arguments", (int)nl, s);
    if (r == 0) {
        e->fetch = fetches[i].fetch;
        e->type = fetches[i].type;
        e->uses = fetches[i].uses;
        if (na > 0 && args[0][0]) {
            e->arg = args[0];
            e->arg_len = strlen(args[0]);
            args[0] = NULL;
        } else if (fetches[i].arg == 1) {
            r = lk_cfg_err(err, "fetch '%.*s' needs a name", (int)nl, s);
        }
        /* OFFSET and LENGTH live in occ and count; bounded to 64 KiB each, so
         * occ + count cannot overflow at evaluation. */
        if (r == 0 && (e->fetch == F_REQ_PAYLOAD || e->fetch == F_RES_PAYLOAD))
            r = parse_payload_args(e, fetches[i].name, na, args, err);
        else if (r == 0 && is_lv(e->fetch))
            r = parse_lv_args(e, fetches[i].name, na, args, err);
        else if (r == 0 && e->fetch == F_TABLE_CNT && e->arg)
            r = refs_add(e, err);
        if (r == 0 && (e->fetch == F_CAP_REQ || e->fetch == F_CAP_RES) &&
            lk_parse_int(e->arg, 0, INT32_MAX, &e->occ) < 0)
            r = lk_cfg_err(err, "%.*s(%s): expected a capture id", (int)nl, s, e->arg);
        if (r == 0 && e->fetch == F_CINT && lk_parse_int(e->arg, INT64_MIN, INT64_MAX, &e->occ) < 0)
            r = lk_cfg_err(err, "int(%s): not an integer", e->arg);
        /* HAProxy 2.6 knows version 4 only */
        if (r == 0 && e->fetch == F_UUID && e->arg && e->arg[0] && strcmp(e->arg, "4") != 0)
            r = lk_cfg_err(err, "uuid(%s): only version 4 is supported", e->arg);
        if (r == 0 && e->fetch == F_VAR) {
            enum lb_var_scope sc;

            r = lb_var_name_parse(e->arg, &sc, err);
            if (r == 0 && na == 2 && !(e->vdef = strdup(args[1])))
                r = -ENOMEM;
        } else if (r == 0 && na == 2 && !is_payload(e->fetch) &&
                   lk_parse_int(args[1], -64, 64, &e->occ) < 0)
            r = lk_cfg_err(err, "fetch '%.*s': invalid occurrence '%s'", (int)nl, s, args[1]);
        if (r == 0 &&
            (e->fetch == F_HTTP_AUTH || e->fetch == F_HTTP_AUTH_GROUP || e->fetch == F_NBSRV))
            r = refs_add(e, err);
    }
    free_args(args, na);
    return r;
}

/* Compiled once at the config line, so a bad pattern is reported there and
 * workers never compile; the code is only read by pcre2_match(), which is
 * safe to share between threads. */
static int compile_re(pcre2_code **re, const char *pat, int icase, char **err)
{
    PCRE2_UCHAR msg[120];
    PCRE2_SIZE off;
    int code;

    *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, icase ? PCRE2_CASELESS : 0, &code,
                        &off, NULL);
    if (*re)
        return 0;
    pcre2_get_error_message(code, msg, sizeof(msg));
    return lk_cfg_err(err, "invalid regex '%s' at offset %zu: %s", pat, (size_t)off, msg);
}

/* HAProxy's map file format: a key, blanks, then the value (the rest of the
 * line, trimmed); '#' starts a comment line. Read once at parse time and
 * kept in file order: a lookup scans it, so the first matching line wins.
 * getline: a long line stays one entry; running out of memory fails the
 * load instead of keeping a map silently cut short. map_reg keys are
 * compiled here, so a bad one is reported with its line of the map file. */
static int load_map(struct conv_inst *c, const char *path, char **err)
{
    char *line = NULL, *k, *v, *end;
    size_t cap = 0, ln = 0;
    struct map_ent *m;
    FILE *f = fopen(path, "re");
    int r = 0;

    if (!f)
        return lk_cfg_err(err, "cannot open map file '%s': %s", path, strerror(errno));
    while (r == 0 && getline(&line, &cap, f) >= 0) {
        ln++;
        for (k = line; *k == ' ' || *k == '\t'; k++)
            ;
        if (*k == '#' || *k == '\n' || *k == '\r' || *k == '\0')
            continue;
        for (v = k; *v && !isspace((unsigned char)*v); v++)
            ;
        if (*v)
            *v++ = '\0';
        while (*v == ' ' || *v == '\t')
            v++;
        for (end = v + strlen(v); end > v && isspace((unsigned char)end[-1]); end--)
            ;
        *end = '\0';
        m = realloc(c->map, (c->nmap + 1) * sizeof(*m));
        if (!m) {
            r = -ENOMEM;
            break;
        }
        c->map = m;
        m += c->nmap;
        memset(m, 0, sizeof(*m));
        m->key = strdup(k);
        m->val = strdup(v);
        if (!m->key || !m->val) {
            free(m->key);
            free(m->val);
            r = -ENOMEM;
            break;
        }
        m->klen = strlen(k);
        m->vlen = strlen(v);
        c->nmap++;
        if ((c->id == C_MAP_REG || c->id == C_MAP_REGM) && compile_re(&m->re, m->key, 0, err) < 0)
            r = lk_cfg_err(err, "map file '%s' line %zu: %s", path, ln, *err);
    }
    free(line);
    fclose(f);
    return r;
}

static int var_arg(const char *v, const char *conv, char **err)
{
    enum lb_var_scope sc;

    if (lb_var_name_parse(v, &sc, err) < 0)
        return lk_cfg_err(err, "%s: '%s' is not a variable name (SCOPE.NAME)", conv, v);
    return 0;
}

/* A mask as a prefix length (0..bits) or written as an address
 * ("255.255.255.0", "ffff:ffff::"), into out (bits/8 bytes). */
static int parse_mask(const char *t, int af, uint8_t *out)
{
    int bits = af == AF_INET ? 32 : 128, i;
    uint64_t n;

    if (lk_parse_uint(t, 0, (uint64_t)bits, &n) == 0) {
        memset(out, 0, (size_t)bits / 8);
        for (i = 0; i < (int)n; i++)
            out[i / 8] |= (uint8_t)(0x80u >> (i % 8));
        return 0;
    }
    return inet_pton(af, t, out) == 1 ? 0 : -EINVAL;
}

static int ipmask_setup(struct conv_inst *c, char **err)
{
    if (parse_mask(c->args[0], AF_INET, c->mask4) < 0)
        return lk_cfg_err(err, "ipmask: invalid IPv4 mask '%s'", c->args[0]);
    if (c->nargs == 2 && parse_mask(c->args[1], AF_INET6, c->mask6) < 0)
        return lk_cfg_err(err, "ipmask: invalid IPv6 mask '%s'", c->args[1]);
    c->has_mask6 = c->nargs == 2;
    return 0;
}

static int conv_setup(struct conv_inst *c, const char *name, char **err)
{
    const char *f;

    switch (c->id) {
    case C_FIELD:
    case C_WORD:
        if (lk_parse_int(c->args[0], -1000, 1000, &c->n) < 0 || c->n == 0 || !c->args[1][0])
            return lk_cfg_err(err, "%s: expected (INDEX,DELIMITERS[,COUNT])", name);
        if (c->nargs == 3 && lk_parse_int(c->args[2], 0, 1000, &c->count) < 0)
            return lk_cfg_err(err, "%s: invalid count '%s'", name, c->args[2]);
        return 0;
    case C_REGSUB:
        for (f = c->nargs == 3 ? c->args[2] : ""; *f; f++) {
            if (*f == 'g')
                c->global = 1;
            else if (*f == 'i')
                c->icase = 1;
            else
                return lk_cfg_err(err, "regsub: unknown flag '%c' (g, i)", *f);
        }
        return compile_re(&c->re, c->args[0], c->icase, err);
    case C_MAP_STR:
    case C_MAP_BEG:
    case C_MAP_END:
    case C_MAP_SUB:
    case C_MAP_REG:
    case C_MAP_DOM:
    case C_MAP_REGM:
        return load_map(c, c->args[0], err);
    case C_CONCAT: /* the variable (second argument) may be empty */
        if (c->nargs >= 2 && c->args[1][0])
            return var_arg(c->args[1], name, err);
        return 0;
    case C_STRCMP:
        return var_arg(c->args[0], name, err);
    case C_IPMASK:
        return ipmask_setup(c, err);
    case C_URL_DEC: /* url_dec([IN_FORM]): an integer, non-zero for a form */
        if (c->nargs == 1 && lk_parse_int(c->args[0], INT64_MIN, INT64_MAX, &c->n) < 0)
            return lk_cfg_err(err, "url_dec: expected an integer IN_FORM, not '%s'", c->args[0]);
        return 0;
    default:
        return 0;
    }
}

static int parse_conv(struct lb_sexpr *e, const char *s, size_t len, char **err)
{
    struct conv_inst *c, *nc;
    size_t nl, i;
    int r;

    nc = realloc(e->convs, (e->nconvs + 1) * sizeof(*nc));
    if (!nc)
        return -ENOMEM;
    e->convs = nc;
    c = &nc[e->nconvs];
    memset(c, 0, sizeof(*c));
    r = split_call(s, len, &nl, c->args, &c->nargs, err);
    e->nconvs++; /* counted now: conv_fini frees what was split */
    if (r < 0)
        return r;
    for (i = 0; i < LK_ARRAY_SIZE(convs); i++)
        if (strlen(convs[i].name) == nl && strncmp(convs[i].name, s, nl) == 0)
            break;
    if (i == LK_ARRAY_SIZE(convs))
        return lk_cfg_err(err,
                          "unknown converter '%.*s' (lbd has: lower, upper, length, base64, "
                          "hex, url_dec, field, word, regsub, concat, strcmp, ipmask, map, "
                          "map_str, map_beg, map_end, map_sub, map_dom, map_reg, map_regm)",
                          (int)nl, s);
    if (c->nargs < convs[i].min || c->nargs > convs[i].max)
        return lk_cfg_err(err, "converter '%s': wrong number of arguments", convs[i].name);
    c->id = convs[i].id;
    return conv_setup(c, convs[i].name, err);
}

/* Length of the next comma-separated element at top level.
 * The expression "fetch(args),conv1(args),conv2": commas inside parentheses
 * or quotes belong to arguments and do not end an element. */
static size_t elem_len(const char *s)
{
    size_t i;
    int depth = 0;
    char q = 0;

    for (i = 0; s[i]; i++) {
        if (s[i] == '\\' && s[i + 1])
            i++;
        else if (q && s[i] == q)
            q = 0;
        else if (!q && (s[i] == '"' || s[i] == '\''))
            q = s[i];
        else if (!q && s[i] == '(')
            depth++;
        else if (!q && s[i] == ')')
            depth--;
        else if (!q && depth == 0 && s[i] == ',')
            break;
    }
    return i;
}

int lb_sexpr_parse(const char *text, unsigned avail, struct lb_sexpr **ret, char **err)
{
    struct lb_sexpr *e = calloc(1, sizeof(*e));
    size_t n;
    int r;

    if (!e)
        return -ENOMEM;
    n = elem_len(text);
    r = n ? parse_fetch(e, text, n, avail, err) : lk_cfg_err(err, "empty sample expression");
    for (text += n; r == 0 && *text == ','; text += n) {
        text++;
        n = elem_len(text);
        r = n ? parse_conv(e, text, n, err) : lk_cfg_err(err, "empty converter after ','");
    }
    if (r < 0) {
        lb_sexpr_free(e);
        return r;
    }
    *ret = e;
    return 0;
}

unsigned lb_sexpr_uses(const struct lb_sexpr *e)
{
    return e->uses;
}

enum lb_smp_type lb_sexpr_fetch_type(const struct lb_sexpr *e)
{
    return (enum lb_smp_type)e->type;
}

size_t lb_sexpr_nconv(const struct lb_sexpr *e)
{
    return e->nconvs;
}

int lb_sexpr_multi(const struct lb_sexpr *e)
{
    return ((e->fetch == F_HDR || e->fetch == F_FHDR || e->fetch == F_RES_HDR ||
             e->fetch == F_RES_FHDR || e->fetch == F_HDR_IP) &&
            e->occ == 0) ||
           e->fetch == F_HTTP_AUTH_GROUP;
}

/* ---- fetching ---- */

/* The context's two scratch chunks alternate: a converter reads its input
 * from the chunk written last and writes the other, so a chain of
 * converters never copies onto its own input. */
static char *chunk(struct lb_smp_ctx *c)
{
    return c->chunk[c->next_chunk++ & 1];
}

void lb_smp_req_path(const uint8_t *buf,
                     const struct http1_msg *m,
                     const uint8_t **ret,
                     size_t *ret_len)
{
    const uint8_t *u = buf + m->uri_off, *s;
    size_t n = m->uri_len, i;

    /* absolute-form (RFC 9112 section 3.2.2): "http://host/p?q" -> "/p".
     * Without a path after the authority the path is empty. asterisk-form and
     * a relative target are kept whole. */
    if (n && u[0] != '/') {
        s = memmem(u, n, "://", 3);
        if (s) {
            s += 3;
            n -= (size_t)(s - u);
            u = s;
            s = memchr(u, '/', n);
            n = s ? n - (size_t)(s - u) : 0;
            u = s ? s : u + n;
        }
    }
    for (i = 0; i < n && u[i] != '?' && u[i] != '#'; i++)
        ;
    *ret = u;
    *ret_len = i;
}

static void set_str(struct lb_smp *s, const void *p, size_t n)
{
    s->type = LB_SMP_STR;
    s->str = p;
    s->len = n;
}

static void set_int(struct lb_smp *s, int64_t v, uint8_t type)
{
    s->type = type;
    s->i = v;
}

/* Values of the header `name` (case-insensitive, RFC 9110 section 5.1): each
 * field whole (full: req.fhdr, for fields such as Date whose value holds
 * commas) or each element of a comma-separated list (hdr, as HAProxy splits
 * it, blanks around elements trimmed). Returns the count; with want >= 0,
 * stops at that index and sets *out, pointing into buf. */
static int hdr_values(const uint8_t *buf,
                      const struct http1_msg *m,
                      const char *name,
                      size_t nl,
                      int full,
                      int want,
                      struct lb_smp *out)
{
    int count = 0;
    unsigned i;

    for (i = 0; i < m->nhdr; i++) {
        const struct http1_hdr *h = &m->hdr[i];
        const uint8_t *v = buf + h->val_off, *end = v + h->val_len, *e;

        if (name && (h->name_len != nl || strncasecmp((const char *)buf + h->name_off, name, nl)))
            continue;
        for (;; v = e + 1) {
            e = full ? NULL : memchr(v, ',', (size_t)(end - v));
            if (!e)
                e = end;
            const uint8_t *a = v, *b = e;

            while (!full && a < b && (*a == ' ' || *a == '\t'))
                a++;
            while (!full && b > a && (b[-1] == ' ' || b[-1] == '\t'))
                b--;
            if (count++ == want) {
                set_str(out, a, (size_t)(b - a));
                return count;
            }
            if (e == end)
                break;
        }
    }
    return count;
}

/* hdr(NAME,OCC) as HAProxy numbers occurrences: 1 the first, -1 the last;
 * without OCC, occurrence `occ` of the multi-value walk (lb_sexpr_multi()).
 * Negative ones need the count first, hence two passes. */
static int fetch_hdr(const struct lb_sexpr *e,
                     const uint8_t *buf,
                     const struct http1_msg *m,
                     int full,
                     unsigned occ,
                     struct lb_smp *out)
{
    int n;

    if (e->occ == 0)
        return hdr_values(buf, m, e->arg, e->arg_len, full, (int)occ, out) > (int)occ;
    n = hdr_values(buf, m, e->arg, e->arg_len, full, -1, out);
    if (e->occ > 0)
        return e->occ <= n && hdr_values(buf, m, e->arg, e->arg_len, full, (int)e->occ - 1, out);
    return -e->occ <= n && hdr_values(buf, m, e->arg, e->arg_len, full, n + (int)e->occ, out);
}

/* url_param and cook: the value of the first "ARG=value" element of
 * [p, end), elements separated by `sep` (blanks before an element skipped
 * when `trim`), into *out. 1 if there is one. */
static int kv_value(const char *p,
                    const char *end,
                    char sep,
                    int trim,
                    const struct lb_sexpr *e,
                    struct lb_smp *out)
{
    const char *s;

    for (; p < end; p = s + 1) {
        while (trim && p < end && (*p == ' ' || *p == '\t'))
            p++;
        s = memchr(p, sep, (size_t)(end - p));
        if (!s)
            s = end;
        if ((size_t)(s - p) > e->arg_len && memcmp(p, e->arg, e->arg_len) == 0 &&
            p[e->arg_len] == '=') {
            set_str(out, p + e->arg_len + 1, (size_t)(s - p) - e->arg_len - 1);
            return 1;
        }
        if (s == end)
            break;
    }
    return 0;
}

/* The first NAME=value in the query, names compared case-sensitively; the
 * value is returned as sent (not URL-decoded: url_dec does that). */
static int fetch_urlp(const struct lb_sexpr *e,
                      const uint8_t *buf,
                      const struct http1_msg *m,
                      struct lb_smp *out)
{
    const char *u = (const char *)buf + m->uri_off, *end = u + m->uri_len;
    const char *q = memchr(u, '?', m->uri_len);

    return kv_value(q ? q + 1 : end, end, '&', 0, e, out);
}

/* The request's cookies in order, every Cookie field's "NAME=value"
 * elements (blanks before a name skipped): counts those named e->arg (all
 * of them without a name, as HAProxy's cook_cnt() and cook() read it) and,
 * with want >= 0, sets *out to the value of the want-th of them. */
static int cook_walk(const struct lb_sexpr *e,
                     const uint8_t *buf,
                     const struct http1_msg *m,
                     int want,
                     struct lb_smp *out)
{
    struct lb_smp v;
    const char *p, *end, *sc, *eq;
    int i, n = hdr_values(buf, m, "cookie", 6, 1, -1, &v), count = 0;

    for (i = 0; i < n; i++) {
        hdr_values(buf, m, "cookie", 6, 1, i, &v);
        for (p = v.str, end = v.str + v.len; p < end; p = sc + 1) {
            while (p < end && (*p == ' ' || *p == '\t'))
                p++;
            if (!(sc = memchr(p, ';', (size_t)(end - p))))
                sc = end;
            eq = memchr(p, '=', (size_t)(sc - p));
            if (eq &&
                (!e->arg ||
                 ((size_t)(eq - p) == e->arg_len && memcmp(p, e->arg, e->arg_len) == 0)) &&
                count++ == want) {
                set_str(out, eq + 1, (size_t)(sc - eq - 1));
                return count;
            }
            if (sc == end)
                break;
        }
    }
    return count;
}

/* cook_val: the value's leading integer, as HAProxy reads it (a sign,
 * then digits; what follows is ignored). */
static int64_t leading_int(const char *p, size_t n)
{
    int64_t v = 0;
    size_t i = 0;
    int neg = n && p[0] == '-';

    if (n && (p[0] == '-' || p[0] == '+'))
        i++;
    for (; i < n && isdigit((unsigned char)p[i]) && v < INT64_MAX / 10; i++)
        v = v * 10 + (p[i] - '0');
    return neg ? -v : v;
}

static int fetch_cook(const struct lb_sexpr *e,
                      const uint8_t *buf,
                      const struct http1_msg *m,
                      struct lb_smp *out)
{
    switch (e->fetch) {
    case F_COOK_CNT:
        set_int(out, cook_walk(e, buf, m, -1, out), LB_SMP_INT);
        return 1;
    case F_COOK_VAL:
        if (cook_walk(e, buf, m, 0, out) < 1)
            return 0;
        set_int(out, leading_int(out->str, out->len), LB_SMP_INT);
        return 1;
    default:
        return cook_walk(e, buf, m, 0, out) > 0;
    }
}

/* Text as an address, as HAProxy's hdr_ip reads a field: IPv4 with an
 * optional ":PORT" (ignored), else IPv6 without brackets. The address
 * lives in one of c's two address slots. */
static int addr_from_text(struct lb_smp_ctx *c, const char *p, size_t n, struct lb_smp *out)
{
    struct lk_addr *a = &c->abuf[c->next_abuf++ & 1];
    char t[INET6_ADDRSTRLEN + 8];
    char *colon;

    if (n >= sizeof(t))
        return 0;
    memcpy(t, p, n);
    t[n] = '\0';
    memset(a, 0, sizeof(*a));
    colon = strchr(t, ':');
    if (colon && strchr(colon + 1, ':')) { /* two colons or more: IPv6 */
        if (inet_pton(AF_INET6, t, &a->u.in6.sin6_addr) != 1)
            return 0;
        a->u.sa.sa_family = AF_INET6;
        a->len = sizeof(a->u.in6);
    } else {
        if (colon) /* IPv4:PORT */
            *colon = '\0';
        if (inet_pton(AF_INET, t, &a->u.in4.sin_addr) != 1)
            return 0;
        a->u.sa.sa_family = AF_INET;
        a->len = sizeof(a->u.in4);
    }
    out->type = LB_SMP_ADDR;
    out->addr = a;
    return 1;
}

int lb_smp_to_addr(struct lb_smp_ctx *c, struct lb_smp *s)
{
    if (s->type == LB_SMP_ADDR)
        return s->addr != NULL;
    lb_smp_as_str(c, s);
    return addr_from_text(c, s->str, s->len, s);
}

/* capture.req.uri: between the request line's first and last blanks. */
static int fetch_cap_uri(const struct lb_smp_ctx *c, struct lb_smp *out)
{
    const char *l = c->reqline, *a, *b;

    if (!l || !(a = memchr(l, ' ', c->reqline_len)))
        return 0;
    for (b = l + c->reqline_len; b > a + 1 && b[-1] != ' '; b--)
        ;
    if (b <= a + 1) /* HTTP/0.9 style: no version */
        b = l + c->reqline_len + 1;
    set_str(out, a + 1, (size_t)(b - a - 2));
    return 1;
}

/* capture.req.hdr(ID) / capture.res.hdr(ID): the slot's text (the id is
 * kept in occ); no sample for a slot not filled, as in HAProxy. */
static int fetch_cap_slot(const struct lb_sexpr *e, const struct lb_smp_ctx *c, struct lb_smp *out)
{
    const char *v = lb_http_capture_get(c->caph, c->caps, e->fetch == F_CAP_RES, (size_t)e->occ);

    if (!v)
        return 0;
    set_str(out, v, strlen(v));
    return 1;
}

/* http_auth(L): valid credentials for L; http_auth_group(L): the groups
 * of that user (one value each); http_auth_user: the name the client
 * sent. */
static int fetch_auth(const struct lb_sexpr *e,
                      struct lb_smp_ctx *c,
                      unsigned occ,
                      struct lb_smp *out)
{
    const struct lb_user *u = NULL;
    struct lb_smp v;
    char *ch, *colon;
    const char *g;
    int n;

    if (!c->rq || hdr_values(c->rqbuf, c->rq, "authorization", 13, 1, 0, &v) < 1)
        return e->fetch == F_HTTP_AUTH ? (set_int(out, 0, LB_SMP_BOOL), 1) : 0;
    /* The name the client sent, whether its password is right or not: pair
     * it with http_auth(L) before trusting it. The scheme name is
     * case-insensitive (RFC 9110 section 11.1). */
    /* http_auth_pass: the password sent, http_auth_type: "Basic" (the only
     * scheme lbd reads, as HAProxy 2.6) */
    if (e->fetch == F_HTTP_AUTH_USER || e->fetch == F_HTTP_AUTH_PASS ||
        e->fetch == F_HTTP_AUTH_TYPE) {
        ch = chunk(c);
        if (v.len < 6 || strncasecmp(v.str, "Basic ", 6) != 0)
            return 0;
        n = lk_base64_decode(v.str + 6, v.len - 6, ch, LB_SMP_CHUNK);
        if (n < 0 || !(colon = memchr(ch, ':', (size_t)n)))
            return 0;
        if (e->fetch == F_HTTP_AUTH_TYPE)
            set_str(out, "Basic", 5);
        else if (e->fetch == F_HTTP_AUTH_PASS)
            set_str(out, colon + 1, (size_t)(ch + n - colon - 1));
        else
            set_str(out, ch, (size_t)(colon - ch));
        return 1;
    }
    if (e->ul)
        u = lb_userlist_auth(e->ul, v.str, v.len);
    if (e->fetch == F_HTTP_AUTH) {
        set_int(out, u != NULL, LB_SMP_BOOL);
        return 1;
    }
    if (!u || !(g = lb_user_group(e->ul, u, occ)))
        return 0;
    set_str(out, g, strlen(g));
    return 1;
}

static int fetch_req(const struct lb_sexpr *e,
                     struct lb_smp_ctx *c,
                     unsigned occ,
                     struct lb_smp *out)
{
    const uint8_t *b = c->rqbuf, *v;
    const struct http1_msg *m = c->rq;
    size_t n;
    char *ch;

    if (!m)
        return 0;
    switch (e->fetch) {
    case F_PATH:
        lb_smp_req_path(b, m, &v, &n);
        set_str(out, v, n);
        return 1;
    case F_PATHQ: /* the path and what follows it */
        lb_smp_req_path(b, m, &v, &n);
        set_str(out, v, m->uri_len - (size_t)(v - (b + m->uri_off)));
        return 1;
    case F_QUERY:
        v = memchr(b + m->uri_off, '?', m->uri_len);
        if (!v)
            return 0;
        set_str(out, v + 1, m->uri_len - (size_t)(v + 1 - (b + m->uri_off)));
        return 1;
    case F_URL:
        set_str(out, b + m->uri_off, m->uri_len);
        return 1;
    /* Host + path, no query, as HAProxy's base. Too long for a chunk: no value
     * rather than a truncated key. */
    case F_BASE: { /* Host + path */
        struct lb_smp h;

        ch = chunk(c);
        lb_smp_req_path(b, m, &v, &n);
        if (hdr_values(b, m, "host", 4, 1, 0, &h) < 1)
            h.len = 0;
        if (h.len + n > LB_SMP_CHUNK)
            return 0;
        memcpy(ch, h.str, h.len);
        memcpy(ch + h.len, v, n);
        set_str(out, ch, h.len + n);
        return 1;
    }
    case F_METHOD:
        set_str(out, b + m->meth_off, m->meth_len);
        return 1;
    /* The parser keeps only the minor version, 0 or 1 (proto/http1.h): these
     * two strings are all there is. */
    case F_REQ_VER:
        set_str(out, m->version ? "1.1" : "1.0", 3);
        return 1;
    case F_HDR:
    case F_FHDR:
        return fetch_hdr(e, b, m, e->fetch == F_FHDR, occ, out);
    case F_HDR_CNT:
    case F_FHDR_CNT:
        set_int(out, hdr_values(b, m, e->arg, e->arg_len, e->fetch == F_FHDR_CNT, -1, out),
                LB_SMP_INT);
        return 1;
    case F_HDR_IP:
        return fetch_hdr(e, b, m, 0, occ, out) && addr_from_text(c, out->str, out->len, out);
    case F_URLP:
        return fetch_urlp(e, b, m, out);
    case F_COOK:
    case F_COOK_CNT:
    case F_COOK_VAL:
        return fetch_cook(e, b, m, out);
    case F_HTTP_AUTH:
    case F_HTTP_AUTH_GROUP:
    case F_HTTP_AUTH_USER:
    case F_HTTP_AUTH_PASS:
    case F_HTTP_AUTH_TYPE:
        return fetch_auth(e, c, occ, out);
    default:
        return 0;
    }
}

static int fetch_rsp(const struct lb_sexpr *e,
                     struct lb_smp_ctx *c,
                     unsigned occ,
                     struct lb_smp *out)
{
    const struct http1_msg *m = c->rs;

    if (!m)
        return 0;
    switch (e->fetch) {
    case F_STATUS:
        set_int(out, m->status, LB_SMP_INT);
        return 1;
    case F_RES_VER:
        set_str(out, m->version ? "1.1" : "1.0", 3);
        return 1;
    case F_RES_HDR:
    case F_RES_FHDR:
        return fetch_hdr(e, c->rsbuf, m, e->fetch == F_RES_FHDR, occ, out);
    case F_RES_HDR_CNT:
        set_int(out, hdr_values(c->rsbuf, m, e->arg, e->arg_len, 0, -1, out), LB_SMP_INT);
        return 1;
    default:
        return 0;
    }
}

/* A stick counter: of the tracked entry (sc) or of the client address's
 * entry in a table (src_). A counter that is not tracked, or an entry the
 * table does not have, is no value (src_inc_gpc0 creates it). */
static int fetch_stk(const struct lb_sexpr *e, struct lb_smp_ctx *c, struct lb_smp *out)
{
    struct lb_stktable *t = NULL;
    struct lb_stkentry *en = NULL;
    struct lb_stkkey k;
    int64_t v = 0;
    int r;

    if (e->fetch == F_SC) {
        if (e->stk_op == SO_TRACKED) {
            set_int(out, c->sc && c->sc[e->ctr].t != NULL, LB_SMP_BOOL);
            return 1;
        }
        if (!c->sc || !c->sc[e->ctr].t)
            return 0;
        t = c->sc[e->ctr].t;
        en = c->sc[e->ctr].e;
    } else {
        t = e->table ? e->table : c->deftable;
        if (!t || lb_stk_key_addr(t, c->src, &k) < 0 ||
            !(en = lb_stk_get(t, &k, e->stk_op == SO_INC, c->now_ms)))
            return 0;
    }
    if (e->stk_op == SO_INC)
        lb_stk_add(t, en, LB_STK_GPC0, 1, c->now_ms);
    r = lb_stk_read(t, en, (enum lb_stk_data)e->stk_data, c->now_ms, &v);
    if (e->stk_op == SO_CLR)
        lb_stk_set(t, en, LB_STK_GPC0, 0, c->now_ms);
    if (e->fetch == F_SRC_STK)
        /* lb_stk_get() returns the entry referenced (expiry cannot free it while it
         * is read); a tracked entry is held by the session's counter instead. */
        lb_stk_release(t, en);
    if (r < 0)
        return 0;
    set_int(out, e->div1024 ? v / 1024 : v, LB_SMP_INT);
    return 1;
}

/* payload_lv: the block whose length the LEN bytes at OFF1 give. Too few
 * bytes yet is "wait" (need_more) unless nothing more can come; a zero or
 * oversized length is no value, as in HAProxy. */
static int fetch_lv(const struct lb_sexpr *e,
                    struct lb_smp_ctx *c,
                    const uint8_t *buf,
                    size_t len,
                    int final,
                    struct lb_smp *out)
{
    size_t lo = (size_t)e->occ, ln = (size_t)e->count, i;
    int64_t off = (int64_t)(lo + ln);
    uint32_t bl = 0;

    if (lo + ln > len) {
        c->need_more |= !final;
        return 0;
    }
    for (i = 0; i < ln; i++)
        bl = (bl << 8) | buf[lo + i];
    if (e->has_off2)
        off = e->off2_rel ? off + e->off2 : e->off2;
    if (!bl || off < 0 || bl > 65536)
        return 0;
    if ((size_t)off + bl > len) {
        c->need_more |= !final;
        return 0;
    }
    set_str(out, (const char *)buf + off, bl);
    return 1;
}

/* What the tcp client (req.*) or server (res.*) sent first. A value that
 * more bytes could change is not given yet (need_more), as HAProxy waits
 * within inspect-delay. */
static int fetch_payload(const struct lb_sexpr *e, struct lb_smp_ctx *c, struct lb_smp *out)
{
    int rsp = (e->uses & LB_SMP_USE_RESPAYLOAD) != 0;
    const uint8_t *buf = rsp ? c->res_payload : c->payload;
    size_t len = rsp ? c->res_payload_len : c->payload_len;
    int final = rsp ? c->res_payload_final : c->payload_final;
    struct tls_hello h;
    int r;

    if (!buf && !final)
        return 0;
    switch (e->fetch) {
    case F_REQ_LEN:
    case F_RES_LEN:
        set_int(out, (int64_t)len, LB_SMP_INT);
        return 1;
    case F_REQ_PAYLOAD:
    case F_RES_PAYLOAD:
        if ((size_t)(e->occ + e->count) > len || (e->count == 0 && !final)) {
            c->need_more |= !final;
            return 0;
        }
        set_str(out, (const char *)buf + e->occ,
                e->count ? (size_t)e->count : len - (size_t)e->occ);
        return 1;
    case F_REQ_PAYLOAD_LV:
    case F_RES_PAYLOAD_LV:
        return fetch_lv(e, c, buf, len, final, out);
    default:
        /* 0 from the parser: a hello started but is not complete yet; wait
         * for more unless nothing more can come. Any other failure is not TLS.
         * The record framing is the same for a ServerHello (res.ssl_hello_type). */
        r = tls_hello_parse(buf, len, e->fetch != F_SSL_SNI, &h);
        if (r == 0)
            c->need_more |= !final;
        if (r != 1)
            return 0;
        if (e->fetch != F_SSL_SNI) {
            set_int(out, h.hs_type, LB_SMP_INT);
            return 1;
        }
        if (!h.sni)
            return 0;
        set_str(out, (const char *)h.sni, h.sni_len);
        return 1;
    }
}

/* table_cnt: the entries of TABLE, or of the table of the proxy whose
 * rule runs; no table is no value. */
static int fetch_table_cnt(const struct lb_sexpr *e, struct lb_smp_ctx *c, struct lb_smp *out)
{
    struct lb_stktable *t = e->table ? e->table : c->deftable;

    if (!t)
        return 0;
    set_int(out, (int64_t)lb_stk_used(t), LB_SMP_INT);
    return 1;
}

static int fetch_var(const struct lb_sexpr *e, struct lb_smp_ctx *c, struct lb_smp *out)
{
    const struct lb_var *v = lb_vars_get(c->vars, e->arg);

    if (v && v->is_int)
        set_int(out, v->i, LB_SMP_INT);
    else if (v)
        set_str(out, v->str, v->len);
    else if (e->vdef)
        set_str(out, e->vdef, strlen(e->vdef));
    else
        return 0;
    return 1;
}

/* Request and response fetches give no value while that head does not
 * exist (rq or rs NULL), rather than failing: the parse-time `uses` check
 * keeps them from places where it never exists. */
/* uuid(): 122 random bits from arc4random (glibc's per-thread CSPRNG), the
 * version and variant bits set, in HAProxy's lowercase 8-4-4-4-12 form. */
static int fetch_uuid(struct lb_smp_ctx *c, struct lb_smp *out)
{
    uint8_t b[16];
    char *s = chunk(c);
    int n;

    arc4random_buf(b, sizeof(b));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    n = snprintf(s, LB_SMP_CHUNK,
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                 b[15]);
    set_str(out, s, (size_t)n);
    return 1;
}

static int fetch(const struct lb_sexpr *e, struct lb_smp_ctx *c, unsigned occ, struct lb_smp *out)
{
    switch (e->fetch) {
    case F_REQ_LEN:
    case F_REQ_PAYLOAD:
    case F_SSL_HELLO:
    case F_SSL_SNI:
    case F_REQ_PAYLOAD_LV:
    case F_RES_LEN:
    case F_RES_PAYLOAD:
    case F_RES_PAYLOAD_LV:
    case F_RES_SSL_HELLO:
        return fetch_payload(e, c, out);
    case F_TABLE_CNT:
        return fetch_table_cnt(e, c, out);
    case F_VAR:
        return fetch_var(e, c, out);
    case F_CSTR:
        set_str(out, e->arg ? e->arg : "", e->arg_len);
        return 1;
    case F_CINT: /* the value is kept in occ, which int() has no use for */
        set_int(out, e->occ, LB_SMP_INT);
        return 1;
    case F_UUID:
        return fetch_uuid(c, out);
    case F_SC:
    case F_SRC_STK:
        return fetch_stk(e, c, out);
    case F_SRC:
    case F_DST:
        out->type = LB_SMP_ADDR;
        out->addr = e->fetch == F_SRC ? c->src : c->dst;
        return out->addr != NULL;
    case F_SRC_PORT:
    case F_DST_PORT:
        if (!(e->fetch == F_SRC_PORT ? c->src : c->dst))
            return 0;
        set_int(out, lk_addr_port(e->fetch == F_SRC_PORT ? c->src : c->dst), LB_SMP_INT);
        return 1;
    case F_TRUE:
    case F_FALSE:
        set_int(out, e->fetch == F_TRUE, LB_SMP_BOOL);
        return 1;
    case F_NBSRV:
        set_int(out, e->be ? lb_backend_usable_servers(e->be) : 0, LB_SMP_INT);
        return 1;
    case F_FIRST_REQ:
        set_int(out, c->first_req, LB_SMP_BOOL);
        return 1;
    case F_SRV_NAME:
        if (!c->srv_name)
            return 0;
        set_str(out, c->srv_name, strlen(c->srv_name));
        return 1;
    case F_SRV_ID:
        if (!c->srv_name)
            return 0;
        set_int(out, c->srv_id, LB_SMP_INT);
        return 1;
    case F_CAP_URI: /* from the line kept for the log: no request head needed */
        return fetch_cap_uri(c, out);
    case F_CAP_REQ:
    case F_CAP_RES:
        return fetch_cap_slot(e, c, out);
    case F_UNIQUE_ID: {
        const char *id = c->uid ? c->uid(c->uid_arg) : NULL;

        if (!id) /* no unique-id-format: no sample, as HAProxy */
            return 0;
        set_str(out, id, strlen(id));
        return 1;
    }
    case F_FE_NAME:
    case F_BE_NAME: {
        const char *nm = e->fetch == F_FE_NAME ? c->fe_name : c->be_name;

        if (!nm)
            return 0;
        set_str(out, nm, strlen(nm));
        return 1;
    }
    case F_STATUS:
    case F_RES_VER:
    case F_RES_HDR:
    case F_RES_FHDR:
    case F_RES_HDR_CNT:
        return fetch_rsp(e, c, occ, out);
    default:
        return fetch_req(e, c, occ, out);
    }
}

/* ---- converting ---- */

/* Addresses print without the port, integers and booleans in decimal, as
 * HAProxy casts them to strings. The text sits in a scratch chunk: valid
 * until two more of the context's chunks are taken. */
void lb_smp_as_str(struct lb_smp_ctx *c, struct lb_smp *s)
{
    char *ch;
    int n;

    if (s->type == LB_SMP_STR)
        return;
    ch = chunk(c);
    if (s->type == LB_SMP_ADDR) {
        lk_addr_ip_str(s->addr, ch, LB_SMP_CHUNK);
        n = (int)strlen(ch);
    } else {
        n = snprintf(ch, LB_SMP_CHUNK, "%" PRId64, s->i);
    }
    set_str(s, ch, n > 0 ? (size_t)n : 0);
}

static void conv_case(struct lb_smp_ctx *c, struct lb_smp *s, int upper)
{
    char *ch = chunk(c);
    size_t i, n = LK_MIN(s->len, (size_t)LB_SMP_CHUNK);

    for (i = 0; i < n; i++)
        ch[i] =
            (char)(upper ? toupper((unsigned char)s->str[i]) : tolower((unsigned char)s->str[i]));
    set_str(s, ch, n);
}

/* Input bounded so the output (4 bytes per 3) fits one chunk: a longer
 * value is encoded truncated, as every converter truncates at the chunk. */
static void conv_base64(struct lb_smp_ctx *c, struct lb_smp *s)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const uint8_t *in = (const uint8_t *)s->str;
    char *ch = chunk(c);
    size_t i, o = 0, n = LK_MIN(s->len, (size_t)(LB_SMP_CHUNK / 4 * 3 - 3));

    for (i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);

        ch[o++] = tab[v >> 18];
        ch[o++] = tab[(v >> 12) & 63];
        ch[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        ch[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    set_str(s, ch, o);
}

static void conv_hex(struct lb_smp_ctx *c, struct lb_smp *s)
{
    char *ch = chunk(c);
    size_t i, n = LK_MIN(s->len, (size_t)LB_SMP_CHUNK / 2);

    for (i = 0; i < n; i++)
        snprintf(ch + 2 * i, 3, "%02X", (unsigned char)s->str[i]);
    set_str(s, ch, 2 * n);
}

static int hexval(char x)
{
    return isdigit((unsigned char)x) ? x - '0' : (tolower((unsigned char)x) - 'a' + 10);
}

/* '+' is a space in a form or a query string: with IN_FORM non-zero, or
 * after a literal '?' (an encoded "%3F" starts no query). A '%' not
 * followed by two hex digits fails the conversion (no value), as HAProxy. */
static int conv_url_dec(struct lb_smp_ctx *c, const struct conv_inst *ci, struct lb_smp *s)
{
    char *ch = chunk(c);
    size_t i, o = 0;
    int in_form = ci->n != 0;

    for (i = 0; i < s->len && o < LB_SMP_CHUNK; i++) {
        if (s->str[i] == '%') {
            if (i + 2 >= s->len || !isxdigit((unsigned char)s->str[i + 1]) ||
                !isxdigit((unsigned char)s->str[i + 2]))
                return 0;
            ch[o++] = (char)(hexval(s->str[i + 1]) * 16 + hexval(s->str[i + 2]));
            i += 2;
        } else {
            if (s->str[i] == '?')
                in_form = 1;
            ch[o++] = s->str[i] == '+' && in_form ? ' ' : s->str[i];
        }
    }
    set_str(s, ch, o);
    return 1;
}

/* field(N,DELIMS[,COUNT]): the Nth field (negative: from the end);
 * word() is the same with empty fields skipped. */
static int conv_field(const struct conv_inst *ci, struct lb_smp *s, int words)
{
    const char *d = ci->args[1], *p = s->str, *end = s->str + s->len;
    /* At most 256 fields are split; a field past that does not exist. */
    const char *starts[256], *ends[256];
    int n = 0, idx, cnt = ci->count ? (int)ci->count : 1, first;

    while (p <= end && n < 256) {
        const char *q = p;

        while (q < end && !strchr(d, *q))
            q++;
        if (!words || q > p) {
            starts[n] = p;
            ends[n++] = q;
        }
        if (q == end)
            break;
        p = q + 1;
    }
    first = ci->n > 0 ? (int)ci->n - 1 : n + (int)ci->n - (cnt - 1);
    /* HAProxy 2.6: a field that does not exist is no value, a word that does
     * not exist an empty one */
    if (first < 0 || first >= n) {
        set_str(s, s->str, 0);
        return words;
    }
    idx = LK_MIN(first + cnt, n) - 1;
    /* count 0: to the end, or with a negative index from the start */
    if (ci->count == 0 && ci->nargs == 3) {
        idx = ci->n > 0 ? n - 1 : first;
        first = ci->n > 0 ? first : 0;
    }
    set_str(s, starts[first], (size_t)(ends[idx] - starts[first]));
    return 1;
}

/* regsub(RE,SUBST[,FLAGS]): \1..\9 in SUBST are the groups. */
static int conv_regsub(struct lb_smp_ctx *c, const struct conv_inst *ci, struct lb_smp *s)
{
    /* Ten pairs: the whole match and \1..\9. Created per call: pcre2 match data
     * cannot be shared between threads, and the expression is. */
    pcre2_match_data *md = pcre2_match_data_create(10, NULL);
    char *ch = chunk(c);
    size_t o = 0, at = 0, k;
    PCRE2_SIZE *ov;
    int rc;

    if (!md)
        return 0;
    while (at <= s->len) {
        rc = pcre2_match(ci->re, (PCRE2_SPTR)s->str, s->len, at, 0, md, NULL);
        if (rc <= 0)
            break;
        ov = pcre2_get_ovector_pointer(md);
        for (k = at; k < ov[0] && o < LB_SMP_CHUNK; k++)
            ch[o++] = s->str[k];
        for (const char *t = ci->args[1]; *t && o < LB_SMP_CHUNK; t++) {
            if (*t == '\\' && t[1] >= '0' && t[1] <= '9' && t[1] - '0' < rc) {
                int g = *++t - '0';

                for (k = ov[2 * g]; k < ov[2 * g + 1] && o < LB_SMP_CHUNK; k++)
                    ch[o++] = s->str[k];
            } else {
                ch[o++] = *t;
            }
        }
        /* An empty match must still advance, or a global replace would match the
         * same empty string forever; the character stepped over is copied as is. */
        at = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
        if (ov[1] == ov[0] && ov[0] < s->len && o < LB_SMP_CHUNK)
            ch[o++] = s->str[ov[0]];
        if (!ci->global)
            break;
    }
    for (k = at; k < s->len && o < LB_SMP_CHUNK; k++)
        ch[o++] = s->str[k];
    pcre2_match_data_free(md);
    set_str(s, ch, o);
    return 1;
}

/* A map_reg key matches anywhere in the sample (unanchored, as HAProxy's
 * regex patterns); the match data is per call for the same reason as in
 * conv_regsub. Out of memory counts as no match. */
static int re_found(const pcre2_code *re, const struct lb_smp *s)
{
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    int rc;

    if (!md)
        return 0;
    rc = pcre2_match(re, (PCRE2_SPTR)s->str, s->len, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}

/* map_dom: the key in the sample between delimiters ('/', '?', '.', ':')
 * or the sample's ends, as HAProxy's domain match. */
static int dom_found(const char *k, size_t kl, const struct lb_smp *s)
{
    size_t i;

    if (!kl || kl > s->len)
        return 0;
    for (i = 0; i + kl <= s->len; i++)
        if ((i == 0 || strchr("/?.:", s->str[i - 1])) &&
            (i + kl == s->len || strchr("/?.:", s->str[i + kl])) && memcmp(s->str + i, k, kl) == 0)
            return 1;
    return 0;
}

/* map_regm: the first key that matches; its value with \0..\9 replaced
 * by the match's groups, in a scratch chunk. */
static int conv_map_regm(struct lb_smp_ctx *c, const struct conv_inst *ci, struct lb_smp *s)
{
    pcre2_match_data *md = pcre2_match_data_create(10, NULL);
    char *ch = chunk(c);
    size_t i, o = 0, k;
    PCRE2_SIZE *ov;
    int rc = -1;

    if (!md)
        return 0;
    for (i = 0; i < ci->nmap; i++) {
        rc = pcre2_match(ci->map[i].re, (PCRE2_SPTR)s->str, s->len, 0, 0, md, NULL);
        if (rc > 0)
            break;
    }
    if (rc <= 0) {
        pcre2_match_data_free(md);
        if (ci->nargs < 2)
            return 0;
        set_str(s, ci->args[1], strlen(ci->args[1]));
        return 1;
    }
    ov = pcre2_get_ovector_pointer(md);
    for (const char *t = ci->map[i].val; *t && o < LB_SMP_CHUNK; t++) {
        if (*t == '\\' && t[1] >= '0' && t[1] <= '9') {
            int g = *++t - '0';

            for (k = g < rc ? ov[2 * g] : 0; g < rc && k < ov[2 * g + 1] && o < LB_SMP_CHUNK; k++)
                ch[o++] = s->str[k];
        } else {
            ch[o++] = *t;
        }
    }
    pcre2_match_data_free(md);
    set_str(s, ch, o);
    return 1;
}

/* concat([BEFORE],[VAR],[AFTER]): the sample, then the three appended (a
 * variable that is not set adds nothing). */
static int conv_concat(struct lb_smp_ctx *c, const struct conv_inst *ci, struct lb_smp *s)
{
    char *ch = chunk(c);
    struct lb_smp v = {0};
    size_t o = 0;
    int k;

    for (k = -1; k < ci->nargs; k++) {
        if (k == -1) {
            v = *s;
        } else if (k == 1) {
            const struct lb_var *var = ci->args[1][0] ? lb_vars_get(c->vars, ci->args[1]) : NULL;

            if (!var)
                continue;
            if (var->is_int)
                set_int(&v, var->i, LB_SMP_INT);
            else
                set_str(&v, var->str, var->len);
            lb_smp_as_str(c, &v);
        } else {
            set_str(&v, ci->args[k], strlen(ci->args[k]));
        }
        if (o + v.len > LB_SMP_CHUNK)
            return 0;
        memcpy(ch + o, v.str, v.len);
        o += v.len;
    }
    set_str(s, ch, o);
    return 1;
}

/* strcmp(VAR): strcmp(3) of the sample and the variable's string form, as
 * HAProxy computes it (equal prefixes: the shorter is less). */
static int conv_strcmp(struct lb_smp_ctx *c, const struct conv_inst *ci, struct lb_smp *s)
{
    const struct lb_var *var = lb_vars_get(c->vars, ci->args[0]);
    struct lb_smp v;
    int r;

    if (!var)
        return 0;
    if (var->is_int)
        set_int(&v, var->i, LB_SMP_INT);
    else
        set_str(&v, var->str, var->len);
    lb_smp_as_str(c, &v);
    r = strncmp(s->str, v.str, LK_MIN(s->len, v.len));
    if (r == 0 && s->len != v.len)
        r = s->len < v.len ? -1 : 1;
    set_int(s, r, LB_SMP_INT);
    return 1;
}

/* ipmask(MASK4[,MASK6]) on an address (or text read as one). An IPv4-
 * mapped IPv6 address is masked as the IPv4 address it carries; another
 * IPv6 one needs MASK6. */
static int conv_ipmask(struct lb_smp_ctx *c, const struct conv_inst *ci, struct lb_smp *s)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    struct lk_addr *a;
    const struct lk_addr *in;
    uint8_t *ip;
    int i;

    if (!lb_smp_to_addr(c, s))
        return 0;
    in = s->addr;
    a = &c->abuf[c->next_abuf++ & 1];
    memset(a, 0, sizeof(*a));
    if (in->u.sa.sa_family == AF_INET6 && memcmp(&in->u.in6.sin6_addr, mapped, 12) == 0) {
        a->u.sa.sa_family = AF_INET;
        a->len = sizeof(a->u.in4);
        memcpy(&a->u.in4.sin_addr, (const uint8_t *)&in->u.in6.sin6_addr + 12, 4);
    } else if (in != a) {
        *a = *in;
        lk_addr_set_port(a, 0);
    }
    if (a->u.sa.sa_family == AF_INET6 && !ci->has_mask6)
        return 0;
    ip = a->u.sa.sa_family == AF_INET ? (uint8_t *)&a->u.in4.sin_addr
                                      : (uint8_t *)&a->u.in6.sin6_addr;
    for (i = 0; i < (a->u.sa.sa_family == AF_INET ? 4 : 16); i++)
        ip[i] &= a->u.sa.sa_family == AF_INET ? ci->mask4[i] : ci->mask6[i];
    s->type = LB_SMP_ADDR;
    s->addr = a;
    return 1;
}

static int map_hit(const struct conv_inst *ci, const struct map_ent *m, const struct lb_smp *s)
{
    switch (ci->id) {
    case C_MAP_STR:
        return m->klen == s->len && memcmp(m->key, s->str, s->len) == 0;
    case C_MAP_BEG:
        return m->klen <= s->len && memcmp(m->key, s->str, m->klen) == 0;
    case C_MAP_END:
        return m->klen <= s->len && memcmp(m->key, s->str + s->len - m->klen, m->klen) == 0;
    case C_MAP_REG:
        return re_found(m->re, s);
    case C_MAP_DOM:
        return dom_found(m->key, m->klen, s);
    default:
        return m->klen <= s->len && memmem(s->str, s->len, m->key, m->klen) != NULL;
    }
}

/* The value points into the map (or the default argument), both owned by
 * the expression, so it outlives the evaluation. */
static int conv_map(const struct conv_inst *ci, struct lb_smp *s)
{
    size_t i;

    for (i = 0; i < ci->nmap; i++)
        if (map_hit(ci, &ci->map[i], s)) {
            set_str(s, ci->map[i].val, ci->map[i].vlen);
            return 1;
        }
    if (ci->nargs < 2)
        return 0;
    set_str(s, ci->args[1], strlen(ci->args[1]));
    return 1;
}

static int convert(struct lb_smp_ctx *c, const struct conv_inst *ci, struct lb_smp *s)
{
    if (ci->id == C_IPMASK)
        return conv_ipmask(c, ci, s);
    /* the others work on the string form: length of 123 is 3 */
    lb_smp_as_str(c, s);
    switch (ci->id) {
    case C_LOWER:
    case C_UPPER:
        conv_case(c, s, ci->id == C_UPPER);
        return 1;
    case C_LENGTH:
        set_int(s, (int64_t)s->len, LB_SMP_INT);
        return 1;
    case C_BASE64:
        conv_base64(c, s);
        return 1;
    case C_HEX:
        conv_hex(c, s);
        return 1;
    case C_URL_DEC:
        return conv_url_dec(c, ci, s);
    case C_FIELD:
    case C_WORD:
        return conv_field(ci, s, ci->id == C_WORD);
    case C_REGSUB:
        return conv_regsub(c, ci, s);
    case C_CONCAT:
        return conv_concat(c, ci, s);
    case C_STRCMP:
        return conv_strcmp(c, ci, s);
    case C_MAP_REGM:
        return conv_map_regm(c, ci, s);
    default:
        return conv_map(ci, s);
    }
}

/* A converter that finds no value (field out of range, map miss with no
 * default) ends the chain: the whole expression has no value. */
int lb_sexpr_eval(const struct lb_sexpr *e, struct lb_smp_ctx *c, unsigned occ, struct lb_smp *out)
{
    size_t i;

    memset(out, 0, sizeof(*out));
    if (!fetch(e, c, occ, out))
        return 0;
    for (i = 0; i < e->nconvs; i++)
        if (!convert(c, &e->convs[i], out))
            return 0;
    return 1;
}
