/* feed.h - the health feed of checkd: encoder and decoder (pure).
 *
 * The feed is newline-delimited JSON on checkd.sock (docs/checkd.md):
 *   {"type":"snapshot","seq":S,"time":T,"targets":[STATUS...]}
 *   {"type":"event","seq":S,"time":T,"prev":"UP","target":STATUS}
 *   {"type":"removed","seq":S,"time":T,"id":"be/srv"}
 *   {"type":"missed","seq":S,"time":T,"count":N}   (a snapshot follows)
 *   {"type":"reply","seq":S,"time":T,"ok":true,"text":"..."}
 * where STATUS is an object with id, addr, state, health/rise/fall, kind,
 * result, code, latency_us, reason, read_only, check_time, change_time.
 * Registration (lbd -> checkd) is one TARGET object per "register" command.
 *
 * Encoders return a malloc'ed NUL-terminated line the caller frees (NULL
 * only on OOM). Decoders take (buf, len) without the newline and return the
 * bytes consumed or a negative errno; they never trust the input: missing
 * fields take defaults, strings are truncated to the fixed sizes below,
 * numbers are range-checked. JSON is done with jansson, which is the one
 * library lk_proto links besides libc. No I/O, no clock, no globals. */
#ifndef FEED_H
#define FEED_H

#include <stddef.h>
#include <stdint.h>

/* DRAIN: healthy, but an operator asked for no new traffic (as HAProxy's
 * "set server ... state drain"); checks go on. */
enum feed_state { FEED_DOWN = 0, FEED_UP, FEED_MAINT, FEED_DRAIN, FEED_STATE_MAX };

enum feed_kind {
    FEED_KIND_TCP = 0,
    FEED_KIND_HTTP,
    FEED_KIND_MYSQL,
    FEED_KIND_GALERA,
    FEED_KIND_TCPCHK, /* "option tcp-check": the target's own steps */
    FEED_KIND_REDIS,  /* the protocol checks below are step lists checkd builds */
    FEED_KIND_PGSQL,
    FEED_KIND_SMTP,
    FEED_KIND_SSL_HELLO,
    FEED_KIND_AGENT,    /* HAProxy's agent-check: the agent's one-line reply is the info */
    FEED_KIND_EXTERNAL, /* "option external-check": a command's exit status */
    FEED_KIND_MAX
};

/* HAProxy's check status codes (show stat "check_status"). */
enum feed_result {
    FEED_RES_INI = 0, /* not checked yet */
    FEED_RES_SOCKERR,
    FEED_RES_L4OK,
    FEED_RES_L4TOUT,
    FEED_RES_L4CON,
    FEED_RES_L6OK,
    FEED_RES_L6TOUT,
    FEED_RES_L6RSP,
    FEED_RES_L7OK,
    FEED_RES_L7OKC,
    FEED_RES_L7TOUT,
    FEED_RES_L7RSP,
    FEED_RES_L7STS,
    FEED_RES_PROCERR, /* external check: the command failed (exit status != 0) */
    FEED_RES_PROCTOUT,
    FEED_RES_PROCOK,
    FEED_RES_MAX
};

/* http-check expect kinds. */
enum feed_expect {
    FEED_EXPECT_DEFAULT = 0, /* 2xx or 3xx, as HAProxy */
    FEED_EXPECT_STATUS,      /* "200" or "200-399" */
    FEED_EXPECT_RSTATUS,     /* POSIX extended regex on the status code */
    FEED_EXPECT_STRING,      /* substring of the body */
    FEED_EXPECT_RSTRING,     /* POSIX extended regex on the body */
    FEED_EXPECT_MAX
};

/* tcp-check steps (HAProxy's "tcp-check connect|send|send-binary|expect"). */
enum feed_tc_action {
    FEED_TC_CONNECT = 0,
    FEED_TC_SEND,
    FEED_TC_EXPECT,
    FEED_TC_COMMENT, /* a "tcp-check comment" line: counts as a step, does nothing */
    FEED_TC_ACTION_MAX
};

enum feed_tc_match {
    FEED_TC_STRING = 0, /* substring of what was received */
    FEED_TC_RSTRING,    /* POSIX extended regex on it, as text */
    FEED_TC_BINARY,     /* byte string (given in hex) */
    FEED_TC_RBINARY,    /* regex on the upper-case hex of what was received */
    FEED_TC_LINE,       /* a line: up to a LF, or what came before the close */
    FEED_TC_MATCH_MAX
};

/* How an expect step's info text is made (protocol checks only; "tcp-check"
 * lines give a fixed text or none). */
enum feed_tc_info {
    FEED_TC_INFO_NONE = 0,
    FEED_TC_INFO_TEXT, /* on_success / on_error as written */
    FEED_TC_INFO_LINE, /* received bytes from info_off, spaces trimmed, up to CR/LF */
    FEED_TC_INFO_CSTR, /* received bytes from info_off up to a NUL */
    FEED_TC_INFO_MAX
};

#define FEED_TC_MAX_STEPS 16
#define FEED_TC_DATA_MAX  256
#define FEED_TC_TEXT_MAX  64

struct feed_tcstep {
    uint8_t action;   /* enum feed_tc_action */
    uint8_t match;    /* expect: enum feed_tc_match */
    uint8_t neg;      /* expect: "!" */
    uint8_t linger;   /* connect: close with FIN rather than RST */
    uint16_t port;    /* connect: 0 = the target's port */
    uint16_t len;     /* bytes in data: what send writes, what expect matches (a regex
                         is text) */
    int32_t min_recv; /* expect: -1 unset */
    uint8_t ok_status, err_status, tout_status; /* enum feed_result; INI = default */
    uint8_t ok_info, err_info;                  /* enum feed_tc_info */
    uint8_t info_off;
    uint8_t code_digits; /* expect: the check code is the first 3 bytes (SMTP) */
    uint8_t multiline;   /* expect: wait for the last line of a "250-" reply (SMTP) */
    char addr[48];       /* connect: "" = the target's address */
    uint8_t data[FEED_TC_DATA_MAX];
    char comment[FEED_TC_TEXT_MAX];
    char on_success[FEED_TC_TEXT_MAX], on_error[FEED_TC_TEXT_MAX];
};

#define FEED_ID_MAX     256
#define FEED_ADDR_MAX   64
#define FEED_REASON_MAX 256
#define FEED_MAX_HDRS   8
#define FEED_HDR_MAX    256
#define FEED_EXT_ARGS   5 /* the command and HAProxy's four arguments */
#define FEED_EXT_ENV    16
#define FEED_EXT_MAX    256

/* One target's health as published. */
struct feed_status {
    char id[FEED_ID_MAX]; /* "backend/server" */
    char addr[FEED_ADDR_MAX];
    enum feed_state state;
    unsigned health, rise, fall; /* HAProxy's counter: UP while health >= rise */
    enum feed_kind kind;
    enum feed_result result;
    int code;            /* HTTP status, MySQL error number, wsrep_local_state; -1: none */
    uint64_t latency_us; /* of the last check */
    char reason[FEED_REASON_MAX];
    int read_only;      /* Galera's read_only: -1 unknown, 0, 1 */
    uint64_t check_us;  /* wall clock of the last check, 0: never */
    uint64_t change_us; /* wall clock of the last UP/DOWN change */
};

enum feed_msg_type {
    FEED_MSG_SNAPSHOT = 0,
    FEED_MSG_EVENT,
    FEED_MSG_REMOVED,
    FEED_MSG_MISSED,
    FEED_MSG_REPLY, /* answer to a command sent on a subscribed connection */
    FEED_MSG_MAX
};

/* A decoded feed line. `st` is malloc'ed (n entries: all targets of a
 * snapshot, 1 for an event, 1 with only `id` for removed, 0 for missed);
 * free with feed_msg_clear(). */
struct feed_msg {
    enum feed_msg_type type;
    uint64_t seq;
    uint64_t time_us;
    uint64_t missed;            /* FEED_MSG_MISSED */
    int prev;                   /* FEED_MSG_EVENT: previous enum feed_state, -1 new target */
    int ok;                     /* FEED_MSG_REPLY */
    char text[FEED_REASON_MAX]; /* FEED_MSG_REPLY: what happened */
    size_t n;
    struct feed_status *st;
};

/* A target as registered (lbd -> checkd, or checkd's own config). */
struct feed_target {
    char id[FEED_ID_MAX];
    char addr[FEED_ADDR_MAX];
    char owner[32]; /* who registered it: "lbd", "config", ... */
    enum feed_kind kind;
    uint64_t inter_ms, fastinter_ms, downinter_ms, timeout_ms; /* 0: unset */
    unsigned rise, fall;
    char init[16]; /* init-state keyword, "" for the default */
    /* http */
    char method[16], uri[512], version[16];
    char hdrs[FEED_MAX_HDRS][FEED_HDR_MAX];
    unsigned nhdrs;
    enum feed_expect expect;
    int expect_not; /* "http-check expect ! ..." */
    char expect_arg[FEED_HDR_MAX];
    char body[512]; /* "http-check send body B": sent with a Content-Length */
    /* "http-check disable-on-404": a 404 passes conditionally (L7OKC) and
     * the target takes no new traffic (DRAIN) until a 2xx/3xx */
    int disable_404;
    /* mysql, galera */
    char user[64], password[128];
    int allow_donor; /* galera: Donor/Desynced counts as up */
    /* tcp-check (kind tcp-check), smtp (ehlo: "EHLO domain" or "HELO
     * localhost"), pgsql (user) */
    struct feed_tcstep steps[FEED_TC_MAX_STEPS];
    unsigned nsteps;
    char ehlo[128];
    char agent_send[128]; /* agent: "agent-send" bytes, sent first */
    /* the PROXY protocol header (1 or 2; 0: none) written first on the
     * check's connections to the target's own address, as HAProxy's
     * send-proxy servers and check-send-proxy do: v1 names the check
     * connection's own ends, v2 is the LOCAL command */
    unsigned send_proxy;
    /* external: the command and its arguments as HAProxy passes them, and
     * the whole environment it runs with (NAME=VALUE; the sender builds it
     * all, as HAProxy 2.6 passes none of its own) */
    char ext_argv[FEED_EXT_ARGS][FEED_EXT_MAX];
    char ext_env[FEED_EXT_ENV][FEED_EXT_MAX];
    unsigned next_env;
};

/* Each enum's wire word and back (defined by one macro in feed.c):
 * feed_X_name() returns a static string ("?" out of range),
 * feed_X_parse() the value or -EINVAL for an unknown word. */
const char *feed_state_name(enum feed_state s);
const char *feed_kind_name(enum feed_kind k);
const char *feed_result_name(enum feed_result r);
const char *feed_expect_name(enum feed_expect e);
const char *feed_tc_action_name(enum feed_tc_action a);
const char *feed_tc_match_name(enum feed_tc_match m);
/* Name to enum: the value, or -EINVAL. */
int feed_state_parse(const char *s);
int feed_kind_parse(const char *s);
int feed_result_parse(const char *s);
int feed_expect_parse(const char *s);
int feed_tc_action_parse(const char *s);
int feed_tc_match_parse(const char *s);

/* "going up" (DOWN), "going down" (UP, DRAIN) while the counter is between
 * its extremes, else NULL; NULL in MAINT (checks paused). */
const char *feed_transition(const struct feed_status *st);

/* The feed's messages, each a malloc'ed line ending in '\n' that the
 * caller frees, or NULL on OOM. st and text are only read. */
char *feed_encode_snapshot(const struct feed_status *const *st,
                           size_t n,
                           uint64_t seq,
                           uint64_t time_us);
char *feed_encode_event(const struct feed_status *st, int prev, uint64_t seq, uint64_t time_us);
char *feed_encode_removed(const char *id, uint64_t seq, uint64_t time_us);
char *feed_encode_missed(uint64_t count, uint64_t seq, uint64_t time_us);
char *feed_encode_reply(int ok, const char *text, uint64_t seq, uint64_t time_us);

/* Decode one line (with or without its trailing newline): returns len, or
 * -EBADMSG/-E2BIG/-ENOMEM with *out cleared. On success out->st is owned
 * by out until feed_msg_clear(). */
int feed_msg_decode(const uint8_t *buf, size_t len, struct feed_msg *out);

/* Free what feed_msg_decode() allocated; the struct may be reused. */
void feed_msg_clear(struct feed_msg *m);

/* Registration object, compact JSON without newline: encode returns a
 * malloc'ed string (NULL on OOM); decode fills *out from buf (len bytes,
 * only read) and returns 0 or -EBADMSG. */
char *feed_encode_target(const struct feed_target *t);
int feed_decode_target(const uint8_t *buf, size_t len, struct feed_target *out);

/* Hex text (either case, even length) to bytes: the count, or -EINVAL when
 * it is not hex or does not fit in cap. */
int feed_hex_decode(const char *hex, uint8_t *out, size_t cap);

/* Set a target to the defaults (tcp, rise 2, fall 3, inter 2000). */
void feed_target_defaults(struct feed_target *t);

/* Escape a JSON text for the admin socket's command framing (common/
 * cmdsrv.h): ';' separates commands and spaces and backslashes are word
 * syntax, so ';' becomes \u003b (only possible inside JSON strings) and
 * '\' and ' ' get a backslash. The result is one word, malloc'ed (the
 * caller frees it), or NULL on OOM. */
char *feed_cmd_escape(const char *json);

#endif
