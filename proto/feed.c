/* feed.c - see feed.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "proto/feed.h"

/* The words on the wire: the order of each table is its enum's order, and a
 * word once published is never renamed, since lbd and checkd of different
 * versions may talk to each other during an upgrade. */
static const char *const state_names[FEED_STATE_MAX] = {"DOWN", "UP", "MAINT", "DRAIN"};
static const char *const kind_names[FEED_KIND_MAX] = {"tcp",       "http",  "mysql",   "galera",
                                                      "tcp-check", "redis", "pgsql",   "smtp",
                                                      "ssl-hello", "agent", "external"};
static const char *const tc_action_names[FEED_TC_ACTION_MAX] = {"connect", "send", "expect",
                                                                "comment"};
static const char *const tc_match_names[FEED_TC_MATCH_MAX] = {"string", "rstring", "binary",
                                                              "rbinary", "line"};
static const char *const result_names[FEED_RES_MAX] = {
    "INI",  "SOCKERR", "L4OK",   "L4TOUT", "L4CON", "L6OK",    "L6TOUT",   "L6RSP",
    "L7OK", "L7OKC",   "L7TOUT", "L7RSP",  "L7STS", "PROCERR", "PROCTOUT", "PROCOK",
};
static const char *const expect_names[FEED_EXPECT_MAX] = {"default", "status", "rstatus", "string",
                                                          "rstring"};
static const char *const msg_names[FEED_MSG_MAX] = {"snapshot", "event", "removed", "missed",
                                                    "reply"};

static int lookup(const char *const *names, int n, const char *s)
{
    int i;

    for (i = 0; s && i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -EINVAL;
}

/* Each name table gives two functions: feed_X_name(), a value to its word
 * ("?" out of range), and feed_X_parse(), a word back to its value (or
 * -EINVAL): feed_state_*, feed_kind_*, feed_result_*, feed_expect_*,
 * feed_tc_action_* and feed_tc_match_*. */
#define FEED_NAMES(x, type, names, max)                                                            \
    const char *feed_##x##_name(type v)                                                            \
    {                                                                                              \
        return (unsigned)v < (max) ? (names)[v] : "?";                                             \
    }                                                                                              \
    int feed_##x##_parse(const char *s)                                                            \
    {                                                                                              \
        return lookup((names), (max), s);                                                          \
    }

FEED_NAMES(state, enum feed_state, state_names, FEED_STATE_MAX)
FEED_NAMES(kind, enum feed_kind, kind_names, FEED_KIND_MAX)
FEED_NAMES(result, enum feed_result, result_names, FEED_RES_MAX)
FEED_NAMES(expect, enum feed_expect, expect_names, FEED_EXPECT_MAX)
FEED_NAMES(tc_action, enum feed_tc_action, tc_action_names, FEED_TC_ACTION_MAX)
FEED_NAMES(tc_match, enum feed_tc_match, tc_match_names, FEED_TC_MATCH_MAX)

/* HAProxy's transitional state: a server UP whose health counter has started
 * falling, or DOWN with some successful checks, but not yet past rise/fall.
 * NULL when settled, so the JSON field is omitted. */
const char *feed_transition(const struct feed_status *st)
{
    unsigned top = st->rise + st->fall - 1;

    /* maintenance pauses the checks: the counter is frozen, not moving */
    if (st->state == FEED_MAINT || st->rise == 0 || st->fall == 0 || st->health == 0 ||
        st->health >= top)
        return NULL;
    /* drained is healthy: its counter can only be on the way down */
    return st->state == FEED_UP || st->state == FEED_DRAIN ? "going down" : "going up";
}

/* ---- encoding ---- */

/* Every field is always present (null-able ones aside), so a consumer never
 * has to guess a default: the decoder below is tolerant, the encoder is not. */
static json_t *status_json(const struct feed_status *st)
{
    const char *tr = feed_transition(st);

    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s?, s:s, s:s, s:I, s:I, s:s, s:I, s:I, s:I}",
                     "id", st->id, "addr", st->addr, "state", feed_state_name(st->state), "health",
                     (json_int_t)st->health, "rise", (json_int_t)st->rise, "fall",
                     (json_int_t)st->fall, "transition", tr, "kind", feed_kind_name(st->kind),
                     "result", feed_result_name(st->result), "code", (json_int_t)st->code,
                     "latency_us", (json_int_t)st->latency_us, "reason", st->reason, "read_only",
                     (json_int_t)st->read_only, "check_time", (json_int_t)st->check_us,
                     "change_time", (json_int_t)st->change_us);
}

/* Dump with a newline; consumes `o`. */
/* JSON_ENSURE_ASCII: non-ASCII characters are escaped, so the line is plain
 * ASCII on the wire whatever a reason taken from a server's reply holds.
 * Returns a malloc'ed line the caller frees, or NULL. */
static char *dump_line(json_t *o)
{
    char *s, *line;
    size_t n;

    if (!o)
        return NULL;
    s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(o);
    if (!s)
        return NULL;
    n = strlen(s);
    line = realloc(s, n + 2);
    if (!line) {
        free(s);
        return NULL;
    }
    line[n] = '\n';
    line[n + 1] = '\0';
    return line;
}

/* seq and time head every message, so a subscriber can order replies and
 * events, and detect a gap (missed events) from seq alone. */
static json_t *msg_head(enum feed_msg_type t, uint64_t seq, uint64_t time_us)
{
    return json_pack("{s:s, s:I, s:I}", "type", msg_names[t], "seq", (json_int_t)seq, "time",
                     (json_int_t)time_us);
}

char *feed_encode_snapshot(const struct feed_status *const *st,
                           size_t n,
                           uint64_t seq,
                           uint64_t time_us)
{
    json_t *o = msg_head(FEED_MSG_SNAPSHOT, seq, time_us), *arr = json_array();
    size_t i;

    if (!o || !arr || json_object_set_new(o, "targets", arr) < 0) {
        json_decref(o);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (json_array_append_new(arr, status_json(st[i])) < 0) {
            json_decref(o);
            return NULL;
        }
    }
    return dump_line(o);
}

char *feed_encode_event(const struct feed_status *st, int prev, uint64_t seq, uint64_t time_us)
{
    json_t *o = msg_head(FEED_MSG_EVENT, seq, time_us);

    if (!o)
        return NULL;
    if (json_object_set_new(o, "prev",
                            prev < 0 ? json_null()
                                     : json_string(feed_state_name((enum feed_state)prev))) < 0 ||
        json_object_set_new(o, "target", status_json(st)) < 0) {
        json_decref(o);
        return NULL;
    }
    return dump_line(o);
}

char *feed_encode_removed(const char *id, uint64_t seq, uint64_t time_us)
{
    json_t *o = msg_head(FEED_MSG_REMOVED, seq, time_us);

    if (!o || json_object_set_new(o, "id", json_string(id)) < 0) {
        json_decref(o);
        return NULL;
    }
    return dump_line(o);
}

char *feed_encode_missed(uint64_t count, uint64_t seq, uint64_t time_us)
{
    json_t *o = msg_head(FEED_MSG_MISSED, seq, time_us);

    if (!o || json_object_set_new(o, "count", json_integer((json_int_t)count)) < 0) {
        json_decref(o);
        return NULL;
    }
    return dump_line(o);
}

char *feed_encode_reply(int ok, const char *text, uint64_t seq, uint64_t time_us)
{
    json_t *o = msg_head(FEED_MSG_REPLY, seq, time_us);

    if (!o || json_object_set_new(o, "ok", json_boolean(ok)) < 0 ||
        json_object_set_new(o, "text", json_string(text)) < 0) {
        json_decref(o);
        return NULL;
    }
    return dump_line(o);
}

/* ---- decoding: tolerant of missing fields, strict on types and ranges ---- */

/* Strings are cut to the destination's size: every field has a fixed size on
 * both sides, and an overlong value from a peer must not grow anything. */
static void get_str(json_t *o, const char *key, char *dst, size_t cap)
{
    json_t *v = json_object_get(o, key);
    const char *s;

    if (!json_is_string(v))
        return;
    s = json_string_value(v);
    snprintf(dst, cap, "%s", s);
}

/* Integer in [min, max] into *out; absent leaves *out. -ERANGE, -EINVAL. */
/* Absent and null leave the default in place, so a newer peer may omit a
 * field and an older one may send null; a wrong type or an out-of-range value
 * makes the whole message invalid instead of being clamped. */
static int get_int(json_t *o, const char *key, json_int_t min, json_int_t max, json_int_t *out)
{
    json_t *v = json_object_get(o, key);

    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return -EINVAL;
    if (json_integer_value(v) < min || json_integer_value(v) > max)
        return -ERANGE;
    *out = json_integer_value(v);
    return 0;
}

static int get_u64(json_t *o, const char *key, uint64_t *out)
{
    json_int_t v = (json_int_t)*out;
    int r = get_int(o, key, 0, INT64_MAX, &v);

    if (r == 0)
        *out = (uint64_t)v;
    return r;
}

static int get_uns(json_t *o, const char *key, unsigned max, unsigned *out)
{
    json_int_t v = (json_int_t)*out;
    int r = get_int(o, key, 0, max, &v);

    if (r == 0)
        *out = (unsigned)v;
    return r;
}

/* Enum by name; absent leaves *out; unknown name is -EINVAL. */
static int get_enum(json_t *o, const char *key, int (*parse)(const char *), int *out)
{
    json_t *v = json_object_get(o, key);
    int r;

    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return -EINVAL;
    r = parse(json_string_value(v));
    if (r < 0)
        return r;
    *out = r;
    return 0;
}

/* A status needs an id, nothing else: every other field has a default, which
 * lets a future checkd add fields without breaking this decoder. */
static int status_from_json(json_t *o, struct feed_status *st)
{
    json_int_t code = -1, ro = -1;
    int state = FEED_DOWN, kind = FEED_KIND_TCP, res = FEED_RES_INI, r = 0;

    if (!json_is_object(o))
        return -EBADMSG;
    memset(st, 0, sizeof(*st));
    get_str(o, "id", st->id, sizeof(st->id));
    if (!st->id[0])
        return -EBADMSG;
    get_str(o, "addr", st->addr, sizeof(st->addr));
    get_str(o, "reason", st->reason, sizeof(st->reason));
    r |= get_enum(o, "state", feed_state_parse, &state);
    r |= get_enum(o, "kind", feed_kind_parse, &kind);
    r |= get_enum(o, "result", feed_result_parse, &res);
    r |= get_uns(o, "health", 2000, &st->health);
    r |= get_uns(o, "rise", 1000, &st->rise);
    r |= get_uns(o, "fall", 1000, &st->fall);
    r |= get_int(o, "code", -1, 65535, &code);
    r |= get_int(o, "read_only", -1, 1, &ro);
    r |= get_u64(o, "latency_us", &st->latency_us);
    r |= get_u64(o, "check_time", &st->check_us);
    r |= get_u64(o, "change_time", &st->change_us);
    if (r)
        return -EBADMSG;
    st->state = (enum feed_state)state;
    st->kind = (enum feed_kind)kind;
    st->result = (enum feed_result)res;
    st->code = (int)code;
    st->read_only = (int)ro;
    return 0;
}

/* m->st is allocated once for the whole snapshot; on error the caller's
 * feed_msg_clear() frees it, partly filled or not. */
static int decode_snapshot(json_t *o, struct feed_msg *m)
{
    json_t *arr = json_object_get(o, "targets"), *v;
    size_t i;
    int r;

    if (!json_is_array(arr))
        return -EBADMSG;
    m->n = json_array_size(arr);
    if (m->n == 0)
        return 0;
    m->st = calloc(m->n, sizeof(*m->st));
    if (!m->st)
        return -ENOMEM;
    json_array_foreach(arr, i, v)
    {
        r = status_from_json(v, &m->st[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

static int msg_type_parse(const char *s)
{
    return lookup(msg_names, FEED_MSG_MAX, s);
}

static int decode_body(json_t *o, struct feed_msg *m)
{
    int type = -1, prev = -1;

    if (get_enum(o, "type", msg_type_parse, &type) < 0 || type < 0)
        return -EBADMSG;
    m->type = (enum feed_msg_type)type;
    if (get_u64(o, "seq", &m->seq) < 0 || get_u64(o, "time", &m->time_us) < 0)
        return -EBADMSG;
    switch (m->type) {
    case FEED_MSG_SNAPSHOT:
        return decode_snapshot(o, m);
    case FEED_MSG_MISSED:
        return get_u64(o, "count", &m->missed) < 0 ? -EBADMSG : 0;
    case FEED_MSG_REPLY:
        m->ok = json_is_true(json_object_get(o, "ok"));
        get_str(o, "text", m->text, sizeof(m->text));
        return 0;
    case FEED_MSG_EVENT:
        if (get_enum(o, "prev", feed_state_parse, &prev) < 0)
            return -EBADMSG;
        m->prev = prev;
        m->st = calloc(1, sizeof(*m->st));
        if (!m->st)
            return -ENOMEM;
        m->n = 1;
        return status_from_json(json_object_get(o, "target"), m->st);
    default: /* FEED_MSG_REMOVED */
        m->st = calloc(1, sizeof(*m->st));
        if (!m->st)
            return -ENOMEM;
        m->n = 1;
        get_str(o, "id", m->st->id, sizeof(m->st->id));
        return m->st->id[0] ? 0 : -EBADMSG;
    }
}

/* One message's JSON object (trailing CR/LF allowed): 0 with *ret (the
 * caller's reference), -E2BIG, or -EBADMSG when it is not a JSON object. */
/* JSON_REJECT_DUPLICATES: a message with two "state" keys could be read
 * differently by two decoders; refusing it keeps lbd's and checkd's view of a
 * line identical. */
static int load(const uint8_t *buf, size_t len, json_t **ret)
{
    json_error_t e;
    json_t *o;

    if (len > INT_MAX)
        return -E2BIG;
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    o = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &e);
    if (!json_is_object(o)) {
        json_decref(o);
        return -EBADMSG;
    }
    *ret = o;
    return 0;
}

/* Returns the bytes consumed (the whole line) as proto/ parsers do, or a
 * negative errno with *out cleared; out owns m->st until feed_msg_clear(). */
int feed_msg_decode(const uint8_t *buf, size_t len, struct feed_msg *out)
{
    json_t *o;
    int r;

    memset(out, 0, sizeof(*out));
    out->prev = -1;
    r = load(buf, len, &o);
    if (r < 0)
        return r;
    r = decode_body(o, out);
    json_decref(o);
    if (r < 0) {
        feed_msg_clear(out);
        return r;
    }
    return (int)len;
}

void feed_msg_clear(struct feed_msg *m)
{
    free(m->st);
    m->st = NULL;
    m->n = 0;
}

/* ---- registration ---- */

/* HAProxy's check defaults: rise 2, fall 3, every 2 s, a TCP connect. */
void feed_target_defaults(struct feed_target *t)
{
    memset(t, 0, sizeof(*t));
    t->kind = FEED_KIND_TCP;
    t->rise = 2;
    t->fall = 3;
    t->inter_ms = 2000;
}

static json_t *http_json(const struct feed_target *t)
{
    json_t *hdrs = json_array();
    unsigned i;

    for (i = 0; hdrs && i < t->nhdrs && i < FEED_MAX_HDRS; i++)
        json_array_append_new(hdrs, json_string(t->hdrs[i]));
    return json_pack("{s:s, s:s, s:s, s:o, s:s, s:b, s:s, s:s, s:b}", "method", t->method, "uri",
                     t->uri, "version", t->version, "headers", hdrs ? hdrs : json_array(), "expect",
                     feed_expect_name(t->expect), "expect_not", t->expect_not, "expect_arg",
                     t->expect_arg, "body", t->body, "disable_404", t->disable_404);
}

/* Step data is sent as hex: it is binary (send-binary, expect binary), and
 * JSON strings cannot carry arbitrary bytes. */
static json_t *hex_json(const uint8_t *d, size_t n)
{
    static const char digits[] = "0123456789ABCDEF";
    char hex[2 * FEED_TC_DATA_MAX + 1];
    size_t i;

    for (i = 0; i < n && i < FEED_TC_DATA_MAX; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[2 * i] = '\0';
    return json_string(hex);
}

static json_t *result_json(uint8_t res)
{
    return json_string(res == FEED_RES_INI ? "" : feed_result_name((enum feed_result)res));
}

static json_t *step_json(const struct feed_tcstep *c)
{
    return json_pack("{s:s, s:s, s:b, s:b, s:i, s:s, s:o, s:i, s:o, s:o, s:o, s:s, s:s, s:s}",
                     "action", feed_tc_action_name((enum feed_tc_action)c->action), "match",
                     feed_tc_match_name((enum feed_tc_match)c->match), "neg", c->neg, "linger",
                     c->linger, "port", (int)c->port, "addr", c->addr, "data",
                     hex_json(c->data, c->len), "min_recv", (int)c->min_recv, "ok_status",
                     result_json(c->ok_status), "error_status", result_json(c->err_status),
                     "tout_status", result_json(c->tout_status), "comment", c->comment,
                     "on_success", c->on_success, "on_error", c->on_error);
}

/* n strings of an array of fixed-size ones, as a JSON array */
static json_t *strs_json(const char (*v)[FEED_EXT_MAX], unsigned n)
{
    json_t *a = json_array();
    unsigned i;

    for (i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a ? a : json_array();
}

static json_t *external_json(const struct feed_target *t)
{
    unsigned argc = 0;

    while (argc < FEED_EXT_ARGS && t->ext_argv[argc][0])
        argc++;
    return json_pack("{s:o, s:o}", "argv", strs_json(t->ext_argv, argc), "env",
                     strs_json(t->ext_env, t->next_env));
}

static json_t *steps_json(const struct feed_target *t)
{
    json_t *a = json_array();
    unsigned i;

    for (i = 0; a && i < t->nsteps && i < FEED_TC_MAX_STEPS; i++)
        json_array_append_new(a, step_json(&t->steps[i]));
    return a ? a : json_array();
}

/* The registration is the whole target, so re-registering replaces it and
 * checkd needs no other state from lbd. Kind-specific parts are only sent for
 * their kind. */
char *feed_encode_target(const struct feed_target *t)
{
    json_t *o;
    char *s;

    o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "id", t->id, "addr",
                  t->addr, "owner", t->owner, "kind", feed_kind_name(t->kind), "inter",
                  (json_int_t)t->inter_ms, "fastinter", (json_int_t)t->fastinter_ms, "downinter",
                  (json_int_t)t->downinter_ms, "timeout", (json_int_t)t->timeout_ms, "rise",
                  (json_int_t)t->rise, "fall", (json_int_t)t->fall, "init", t->init);
    if (!o)
        return NULL;
    if (t->kind == FEED_KIND_HTTP)
        json_object_set_new(o, "http", http_json(t));
    if (t->kind == FEED_KIND_TCPCHK)
        json_object_set_new(o, "tcpcheck", steps_json(t));
    if (t->kind == FEED_KIND_SMTP)
        json_object_set_new(o, "ehlo", json_string(t->ehlo));
    if (t->kind == FEED_KIND_AGENT)
        json_object_set_new(o, "agent_send", json_string(t->agent_send));
    if (t->kind == FEED_KIND_EXTERNAL)
        json_object_set_new(o, "external", external_json(t));
    if (t->send_proxy)
        json_object_set_new(o, "send_proxy", json_integer(t->send_proxy));
    if (t->kind == FEED_KIND_MYSQL || t->kind == FEED_KIND_GALERA || t->kind == FEED_KIND_PGSQL)
        json_object_set_new(o, "db",
                            json_pack("{s:s, s:s, s:b}", "user", t->user, "password", t->password,
                                      "allow_donor", t->allow_donor));
    s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(o);
    return s;
}

/* Header lines are copied as given; their content is checked by the sender
 * (lbd's and checkd's config parsers refuse CR/LF), not here. */
static int http_from_json(json_t *h, struct feed_target *t)
{
    json_t *hdrs, *v;
    int ex = FEED_EXPECT_DEFAULT;
    size_t i;

    if (!h)
        return 0;
    if (!json_is_object(h))
        return -EBADMSG;
    get_str(h, "method", t->method, sizeof(t->method));
    get_str(h, "uri", t->uri, sizeof(t->uri));
    get_str(h, "version", t->version, sizeof(t->version));
    get_str(h, "expect_arg", t->expect_arg, sizeof(t->expect_arg));
    get_str(h, "body", t->body, sizeof(t->body));
    if (get_enum(h, "expect", feed_expect_parse, &ex) < 0)
        return -EBADMSG;
    t->expect = (enum feed_expect)ex;
    t->expect_not = json_is_true(json_object_get(h, "expect_not"));
    t->disable_404 = json_is_true(json_object_get(h, "disable_404"));
    hdrs = json_object_get(h, "headers");
    if (hdrs && (!json_is_array(hdrs) || json_array_size(hdrs) > FEED_MAX_HDRS))
        return -EBADMSG;
    json_array_foreach(hdrs, i, v)
    {
        if (!json_is_string(v))
            return -EBADMSG;
        snprintf(t->hdrs[i], sizeof(t->hdrs[i]), "%s", json_string_value(v));
        t->nhdrs = (unsigned)i + 1;
    }
    return 0;
}

static int hexval(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

int feed_hex_decode(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex), i;
    int hi, lo;

    if (n % 2 || n / 2 > cap)
        return -EINVAL;
    for (i = 0; i < n / 2; i++) {
        hi = hexval((unsigned char)hex[2 * i]);
        lo = hexval((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -EINVAL;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (int)(n / 2);
}

/* "" (the default) or a result name. */
static int get_status(json_t *o, const char *key, uint8_t *out)
{
    json_t *v = json_object_get(o, key);
    int r;

    if (!v || (json_is_string(v) && !json_string_value(v)[0]))
        return 0;
    r = json_is_string(v) ? feed_result_parse(json_string_value(v)) : -EINVAL;
    if (r < 0)
        return -EBADMSG;
    *out = (uint8_t)r;
    return 0;
}

/* on_success/on_error text presence decides the info mode, so a registration
 * round-trips without sending lbd's internal info modes. */
static int step_from_json(json_t *o, struct feed_tcstep *c)
{
    char hex[2 * FEED_TC_DATA_MAX + 1];
    int act = 0, m = 0, r = 0, n;
    json_int_t port = 0, min = -1;

    if (!json_is_object(o))
        return -EBADMSG;
    memset(c, 0, sizeof(*c));
    r |= get_enum(o, "action", feed_tc_action_parse, &act);
    r |= get_enum(o, "match", feed_tc_match_parse, &m);
    r |= get_status(o, "ok_status", &c->ok_status);
    r |= get_status(o, "error_status", &c->err_status);
    r |= get_status(o, "tout_status", &c->tout_status);
    r |= get_int(o, "port", 0, 65535, &port);
    r |= get_int(o, "min_recv", -1, 65536, &min);
    if (r)
        return -EBADMSG;
    c->action = (uint8_t)act;
    c->match = (uint8_t)m;
    c->neg = json_is_true(json_object_get(o, "neg"));
    c->linger = json_is_true(json_object_get(o, "linger"));
    c->port = (uint16_t)port;
    c->min_recv = (int32_t)min;
    get_str(o, "addr", c->addr, sizeof(c->addr));
    get_str(o, "data", hex, sizeof(hex));
    n = feed_hex_decode(hex, c->data, sizeof(c->data));
    if (n < 0)
        return -EBADMSG;
    c->len = (uint16_t)n;
    get_str(o, "comment", c->comment, sizeof(c->comment));
    get_str(o, "on_success", c->on_success, sizeof(c->on_success));
    get_str(o, "on_error", c->on_error, sizeof(c->on_error));
    c->ok_info = c->on_success[0] ? FEED_TC_INFO_TEXT : FEED_TC_INFO_NONE;
    c->err_info = c->on_error[0] ? FEED_TC_INFO_TEXT : FEED_TC_INFO_NONE;
    return 0;
}

static int steps_from_json(json_t *a, struct feed_target *t)
{
    json_t *v;
    size_t i;

    if (!a)
        return 0;
    if (!json_is_array(a) || json_array_size(a) > FEED_TC_MAX_STEPS)
        return -EBADMSG;
    json_array_foreach(a, i, v)
    {
        if (step_from_json(v, &t->steps[i]) < 0)
            return -EBADMSG;
        t->nsteps = (unsigned)i + 1;
    }
    return 0;
}

/* A JSON array of at most max strings into v; the count in *n. */
static int strs_from_json(json_t *a, char (*v)[FEED_EXT_MAX], unsigned max, unsigned *n)
{
    json_t *s;
    size_t i;

    if (!a)
        return 0;
    if (!json_is_array(a) || json_array_size(a) > max)
        return -EBADMSG;
    json_array_foreach(a, i, s)
    {
        if (!json_is_string(s) || strlen(json_string_value(s)) >= FEED_EXT_MAX)
            return -EBADMSG;
        snprintf(v[i], FEED_EXT_MAX, "%s", json_string_value(s));
        *n = (unsigned)i + 1;
    }
    return 0;
}

static int external_from_json(json_t *e, struct feed_target *t)
{
    unsigned argc = 0;

    if (!e)
        return 0;
    if (!json_is_object(e) ||
        strs_from_json(json_object_get(e, "argv"), t->ext_argv, FEED_EXT_ARGS, &argc) < 0 ||
        strs_from_json(json_object_get(e, "env"), t->ext_env, FEED_EXT_ENV, &t->next_env) < 0)
        return -EBADMSG;
    return 0;
}

/* rise, fall and inter of 0 are refused: they would make the health counter
 * meaningless or the check loop spin. */
static int target_from_json(json_t *o, struct feed_target *t)
{
    json_t *db;
    int kind = FEED_KIND_TCP, r = 0;

    get_str(o, "id", t->id, sizeof(t->id));
    get_str(o, "addr", t->addr, sizeof(t->addr));
    get_str(o, "owner", t->owner, sizeof(t->owner));
    get_str(o, "init", t->init, sizeof(t->init));
    if (!t->id[0] || !t->addr[0])
        return -EBADMSG;
    r |= get_enum(o, "kind", feed_kind_parse, &kind);
    r |= get_u64(o, "inter", &t->inter_ms);
    r |= get_u64(o, "fastinter", &t->fastinter_ms);
    r |= get_u64(o, "downinter", &t->downinter_ms);
    r |= get_u64(o, "timeout", &t->timeout_ms);
    r |= get_uns(o, "rise", 1000, &t->rise);
    r |= get_uns(o, "fall", 1000, &t->fall);
    r |= get_uns(o, "send_proxy", 2, &t->send_proxy);
    if (r || t->rise == 0 || t->fall == 0 || t->inter_ms == 0 || t->inter_ms > 86400000u)
        return -EBADMSG;
    t->kind = (enum feed_kind)kind;
    db = json_object_get(o, "db");
    if (db && !json_is_object(db))
        return -EBADMSG;
    get_str(db, "user", t->user, sizeof(t->user));
    get_str(db, "password", t->password, sizeof(t->password));
    t->allow_donor = json_is_true(json_object_get(db, "allow_donor"));
    get_str(o, "ehlo", t->ehlo, sizeof(t->ehlo));
    get_str(o, "agent_send", t->agent_send, sizeof(t->agent_send));
    if (steps_from_json(json_object_get(o, "tcpcheck"), t) < 0 ||
        external_from_json(json_object_get(o, "external"), t) < 0)
        return -EBADMSG;
    return http_from_json(json_object_get(o, "http"), t);
}

int feed_decode_target(const uint8_t *buf, size_t len, struct feed_target *out)
{
    struct feed_target t;
    json_t *o;
    int r;

    r = load(buf, len, &o);
    if (r < 0)
        return r;
    feed_target_defaults(&t);
    r = target_from_json(o, &t);
    json_decref(o);
    if (r < 0)
        return r;
    *out = t;
    return (int)len;
}

char *feed_cmd_escape(const char *json)
{
    size_t n = 0;
    const char *p;
    char *out, *o;

    for (p = json; *p; p++)
        n += *p == ';' ? 7 : (*p == '\\' || *p == ' ') ? 2 : 1;
    out = malloc(n + 1);
    if (!out)
        return NULL;
    for (p = json, o = out; *p; p++) {
        if (*p == ';') {
            memcpy(o, "\\\\u003b", 7);
            o += 7;
            continue;
        }
        if (*p == '\\' || *p == ' ')
            *o++ = '\\';
        *o++ = *p;
    }
    *o = '\0';
    return out;
}
