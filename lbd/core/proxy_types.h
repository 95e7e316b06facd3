/* proxy_types.h - the objects an lbd config is made of, shared by the
 * parser, the balancers, the forwarding code and the admin socket.
 *
 * Ownership: struct lb_cfg owns every proxy (list `proxies`), each proxy owns
 * its binds, servers and strings. The config objects are the runtime
 * objects (as in HAProxy): worker threads read the configured fields, which
 * never change after start, and the fields marked "shared" below, which are
 * atomics written by any thread. */
#ifndef LB_PROXY_TYPES_H
#define LB_PROXY_TYPES_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/addr.h"
#include "common/cfglex.h"

enum lb_mode { LB_MODE_TCP = 0, LB_MODE_HTTP, LB_MODE_MAX };

enum lb_algo {
    LB_ALGO_ROUNDROBIN = 0,
    LB_ALGO_LEASTCONN,
    LB_ALGO_SOURCE,
    LB_ALGO_FIRST,
    LB_ALGO_URI,
    LB_ALGO_HDR,
    LB_ALGO_RANDOM,
    LB_ALGO_MAX
};

/* HAProxy's scale between a server's weight and its effective weight:
 * the sixteenths in which slowstart ramps a weight up. */
#define LB_WEIGHT_SCALE 16u

/* hash-type: how a hash picks a server (balance source, uri, hdr). */
enum lb_hash_type { LB_HASH_MAP = 0, LB_HASH_CONSISTENT };

/* hash-type's function; source ignores it, as HAProxy 2.6 does. */
enum lb_hash_fn { LB_HFN_SDBM = 0, LB_HFN_DJB2, LB_HFN_WT6, LB_HFN_CRC32 };

/* What the balancers read besides `algo`: hash-type, the options of
 * balance uri and random, hash-balance-factor. Configured once. */
struct lb_lbprm {
    unsigned char hash_type; /* enum lb_hash_type */
    unsigned char hash_fn;   /* enum lb_hash_fn */
    unsigned char avalanche; /* full_hash() over the function's result */
    unsigned char uri_whole; /* balance uri whole: the query string too */
    unsigned char uri_path_only;
    unsigned uri_len;        /* balance uri len N: 0 unlimited */
    unsigned uri_depth;      /* balance uri depth N: 0 unlimited */
    unsigned balance_factor; /* hash-balance-factor, percent; 0 off */
    unsigned draws;          /* balance random(N), default 2 */
};

/* Section kinds; a proxy's `cap` says what it can do. */
#define LB_CAP_DEF (1u << 0)
#define LB_CAP_FE  (1u << 1)
#define LB_CAP_BE  (1u << 2)

/* `option` flags. */
#define LB_OPT_TCPKA             (1u << 0)
#define LB_OPT_TCPLOG            (1u << 1)
#define LB_OPT_HTTPLOG           (1u << 2)
#define LB_OPT_REDISPATCH        (1u << 3)
#define LB_OPT_DONTLOGNULL       (1u << 4)
#define LB_OPT_FORWARDFOR        (1u << 5)
#define LB_OPT_HTTP_SERVER_CLOSE (1u << 6)
#define LB_OPT_HTTPCLOSE         (1u << 7)
#define LB_OPT_HTTP_KEEP_ALIVE   (1u << 8)
#define LB_OPT_HTTPCHK           (1u << 9)
#define LB_OPT_MYSQL_CHECK       (1u << 10)
#define LB_OPT_LOG_HEALTH_CHECKS (1u << 11)
#define LB_OPT_SPLICE_AUTO       (1u << 12)
#define LB_OPT_ALLBACKUPS        (1u << 13)
#define LB_OPT_CLITCPKA          (1u << 14)
#define LB_OPT_SRVTCPKA          (1u << 15)
#define LB_OPT_LOGASAP           (1u << 16) /* log at the response head (tcp: at connect) */
#define LB_OPT_DONTLOG_NORMAL    (1u << 17) /* log only sessions that ended in error */
#define LB_OPT_LOG_SEP_ERRORS    (1u << 18) /* errors logged at 'err', not 'info' */
#define LB_OPT_ABORTONCLOSE      (1u << 19) /* a client's close aborts a request not yet answered */
#define LB_OPT_ORIGINALTO        (1u << 19) /* X-Original-To: the address the client reached */
/* the health-check options from HAProxy's tcp-check engine (bits kept apart
 * from the others) */
#define LB_OPT_TCP_CHECK      (1u << 24)
#define LB_OPT_REDIS_CHECK    (1u << 25)
#define LB_OPT_PGSQL_CHECK    (1u << 26)
#define LB_OPT_SMTPCHK        (1u << 27)
#define LB_OPT_SSL_HELLO_CHK  (1u << 28)
#define LB_OPT_EXTERNAL_CHECK (1u << 29) /* a command's exit status (check_cfg.c) */
/* one check kind per backend: as in HAProxy, the last option wins */
#define LB_OPT_CHK_ANY                                                                             \
    (LB_OPT_HTTPCHK | LB_OPT_MYSQL_CHECK | LB_OPT_TCP_CHECK | LB_OPT_REDIS_CHECK |                 \
     LB_OPT_PGSQL_CHECK | LB_OPT_SMTPCHK | LB_OPT_SSL_HELLO_CHK | LB_OPT_EXTERNAL_CHECK)
/* the check options whose arguments lbd/cfg/check_cfg.c reads */
#define LB_OPT_CHK_ARGS (LB_OPT_HTTPCHK | LB_OPT_MYSQL_CHECK | LB_OPT_PGSQL_CHECK | LB_OPT_SMTPCHK)

/* Server flags from the config line. */
#define LB_SRV_F_CHECK    (1u << 0)
#define LB_SRV_F_BACKUP   (1u << 1)
#define LB_SRV_F_DISABLED (1u << 2)
#define LB_SRV_F_DELETED  (1u << 3) /* "del server": kept in memory, never used */
#define LB_SRV_F_DYNAMIC  (1u << 4) /* added with "add server" */

/* resolve-opts */
#define LB_RESOLVE_ALLOW_DUP_IP  (1u << 0)
#define LB_RESOLVE_IGNORE_WEIGHT (1u << 1)

/* init-addr methods */
enum lb_init_addr {
    LB_INIT_ADDR_END = 0,
    LB_INIT_ADDR_LAST,
    LB_INIT_ADDR_LIBC,
    LB_INIT_ADDR_NONE,
    LB_INIT_ADDR_IP,
    LB_INIT_ADDR_MAX
};

/* Operational state, shared between threads. */
enum lb_srv_state {
    LB_SRV_UP = 0,
    LB_SRV_DOWN,
    LB_SRV_MAINT, /* disabled by config or operator */
    LB_SRV_DRAIN, /* up, but takes no new traffic */
    LB_SRV_STATE_MAX
};

/* Timeouts in milliseconds; 0 means "not set" (no timeout). */
struct lb_timeouts {
    uint64_t connect, client, server, queue, tunnel, check;
    uint64_t http_request, http_keep_alive, client_fin, server_fin;
    uint64_t tarpit; /* http-request tarpit: how long the client waits */
};

enum lb_log_kind { LB_LOG_FD = 0, LB_LOG_UNIX, LB_LOG_UDP, LB_LOG_KIND_MAX };
/* In the order of their names in lbd/cfg/cfg.c's log_options(). */
enum lb_log_format {
    LB_LOGF_RFC3164 = 0,
    LB_LOGF_RFC5424,
    LB_LOGF_RAW,
    LB_LOGF_SHORT,    /* "<LEVEL>msg" */
    LB_LOGF_PRIORITY, /* "<PRI>msg" */
    LB_LOGF_TIMED,    /* "<LEVEL>ISO-DATE msg" */
    LB_LOGF_ISO,      /* "ISO-DATE msg" */
    LB_LOGF_MAX
};

struct lb_logtarget {
    struct lb_logtarget *next;
    enum lb_log_kind kind;
    enum lb_log_format format;
    int fd;              /* LB_LOG_FD: 1 or 2 */
    struct lk_addr addr; /* LB_LOG_UDP */
    char *path;          /* LB_LOG_UNIX */
    int facility;        /* 0..23 */
    int level;           /* highest level sent (syslog numbering) */
    unsigned maxlen;     /* line length limit */
};

struct lb_bind {
    struct lb_bind *next;
    struct lk_addr addr;
    char *spec;       /* as written, for messages */
    int v6only;       /* -1: the kernel's default; v4v6 0, v6only 1 */
    unsigned backlog; /* listen(2) backlog; 0: 1024 */
    unsigned defer_accept, tfo, transparent, mss;
    char interface[16];    /* SO_BINDTODEVICE */
    unsigned accept_proxy; /* a PROXY v1/v2 header comes first (pphs.c) */
    char *name;            /* "name": how logs call the listener, else luid */
    unsigned luid;         /* the listener's number in its frontend, from 1 */
    const char *file;
    unsigned line;
};

struct lb_proxy;
struct lb_http_px;
struct lb_resolvers; /* lbd/cfg/resolvers.h */
struct lb_peers_sec; /* lbd/cfg/peers_cfg.h */
struct lb_cfgsec;    /* lbd/cfg/cfgsec.h */

struct lb_server {
    char *name;
    struct lb_proxy *be;
    struct lk_addr addr;              /* as configured; connect through cur_addr */
    struct lk_addr *_Atomic cur_addr; /* runtime address ("set server addr") */
    struct lk_addr **old_addrs;       /* replaced addresses, freed with the server */
    unsigned nold_addrs;
    unsigned idx;  /* position in be->servers */
    unsigned puid; /* HAProxy's server id, from 1 */
    const char *file;
    unsigned line;
    _Atomic unsigned flags;               /* LB_SRV_F_* */
    unsigned weight;                      /* configured, 0..256 */
    _Atomic unsigned maxconn;             /* 0: unlimited; "set maxconn" changes it at run time */
    uint64_t slowstart_ms;                /* slowstart: warm-up after coming UP; 0: none */
    unsigned minconn;                     /* minconn: the limit at no backend load (0: maxconn's) */
    uint64_t inter, fastinter, downinter; /* ms */
    unsigned rise, fall;
    char *cookie;
    int init_state;        /* -1 unset, LB_SRV_UP or LB_SRV_DOWN */
    int shutdown_on_down;  /* on-marked-down shutdown-sessions */
    int shutdown_bk_on_up; /* on-marked-up shutdown-backup-sessions */
    int observe;           /* "observe layer4|layer7": passive health (lbd/hc.c) */
    unsigned check_port;   /* "port N": health checks go to this port; 0: the traffic port */
    /* An address written without a port ("127.0.0.1") or with "+N"/"-N":
     * each connection goes to the port the client connected to, plus
     * port_off (HAProxy's port mapping; the address holds port 0). */
    uint8_t port_map;
    int port_off;
    char check_addr[LK_ADDR_STRLEN]; /* "addr IP": checks go to this IP; "": the server's */
    int send_proxy;           /* PROXY protocol version sent first (send-proxy[-v2]); 0: none */
    uint8_t check_send_proxy; /* check-send-proxy: the header on health checks too */
    unsigned error_limit;     /* consecutive live-traffic failures before on-error; 0: 10 */
    /* mode http idle connections (lbd/http/http_conn.c): pool-max-conn
     * (-1: no limit, 0: none kept), pool-purge-delay (ms; 0: none kept),
     * pool-low-conn (idle ones kept beyond the estimated need) */
    int pool_max;
    uint64_t pool_purge_ms;
    unsigned pool_low;
    char on_error[16]; /* on-error keyword, "" when unset */
    /* HAProxy's agent-check (lbd/ctl/hc.c): agent-port, agent-inter (0:
     * inter), agent-send, agent-addr ("": the server's address) */
    int agent;
    unsigned agent_port;
    uint64_t agent_inter;
    char agent_send[128];
    char agent_addr[LK_ADDR_STRLEN];
    int agent_mark; /* control thread: the agent's word set the current state */
    int nolb_mark;  /* control thread: DRAIN is HAProxy's NOLB, a 404 to a check with
                       http-check disable-on-404 (health, not an operator's drain) */
    /* run-time DNS (lbd/core/dns.c); fqdn is set for a name, NULL for a literal: */
    char *fqdn;                     /* with an SRV record: the target it gave, or NULL */
    char *srvrecord;                /* "_service._proto.name": an SRV record gives name and port */
    unsigned dns_port;              /* the port written after the name (or the SRV record's) */
    char resolvers_name[64];        /* "resolvers NAME", linked after the whole file */
    struct lb_resolvers *resolvers; /* NULL: the name is resolved once at start */
    unsigned resolve_opts;          /* LB_RESOLVE_* */
    int resolve_v4;                 /* resolve-prefer ipv4 (HAProxy prefers ipv6) */
    char init_addr[8];              /* init-addr methods in order (LB_INIT_ADDR_*), 0-ended */
    struct lk_addr init_ip;         /* init-addr IP */
    int dns_maint; /* MAINT because it has no address ("resolution"); control thread only */
    int fqdn_set;  /* an SRV record gave the name (HAProxy's admin flag 0x40) */
    /* shared: */
    _Atomic int state;           /* enum lb_srv_state */
    _Atomic unsigned cur_weight; /* weight in effect (runtime-settable) */
    /* monotonic ms at which a slowstart server came back UP (written by
     * lb_server_transition on the control thread); 0: not warming up */
    _Atomic uint64_t warm_since_ms;
    _Atomic unsigned cur_conns;
    /* mode http server connections (lbd/http/http_conn.c), HAProxy's
     * stats fields: idle in every worker's pool (srv_icur), of which safe
     * (carried two requests or more), in use, the last estimate of the
     * need a worker computed, connections opened and reused */
    _Atomic unsigned pool_idle, pool_safe, pool_used, pool_need;
    _Atomic uint64_t conn_connect, conn_reuse;
    _Atomic unsigned max_conns_seen;
    _Atomic uint64_t cum_conns;
    _Atomic uint64_t bytes_in, bytes_out;
    _Atomic uint64_t failed_conns;
    _Atomic uint64_t retries, redispatches;
    _Atomic unsigned queued;
    _Atomic unsigned max_queued;
    _Atomic uint64_t last_sess_ms; /* monotonic ms of the last new session */
    _Atomic uint64_t failed_resp, cli_aborts, srv_aborts;
    _Atomic uint64_t hrsp[6]; /* HTTP responses 1xx..5xx, other */
    /* control thread only (admin socket, health): */
    uint64_t last_change_ms; /* monotonic ms of the last state change */
    uint64_t down_since_ms, downtime_ms;
    unsigned chkfail, chkdown;
    unsigned check_health; /* HAProxy's health counter, 0..rise+fall-1 */
    int check_code;        /* L7 status code, 0 if none */
    int check_duration_ms; /* -1 if none */
    char check_status[16]; /* L4OK, L4CON, L7STS, ...; "" if no check ran */
    char check_desc[96];   /* HAProxy's description: "Layer4 connection problem" */
    char last_chk[128];    /* HAProxy's info: "Connection refused", "" if none */
    uint64_t last_check_ms;
    unsigned rate, rate_max; /* new sessions per second */
    uint64_t rate_prev;
};

/* Statistics page settings (listen stats). */
struct lb_stats_cfg {
    int enabled;
    char *uri;
    char **auth; /* "user:pass" strings */
    size_t nauth;
    uint64_t refresh_ms;
    int hide_version;
    char *realm;
    struct lb_cond *admin; /* "stats admin if|unless COND" (lbd/http/acl.h); NULL: none */
    char **scope;          /* "stats scope NAME" lines ("." is the page's own proxy) */
    size_t nscope;         /* 0: every proxy is shown */
    int show_desc;         /* "stats show-desc [TEXT]": TEXT, or global description */
    char *desc;
    int show_node; /* "stats show-node [NAME]": NAME, or global node, or the host name */
    char *node;
    int inherited;    /* copied from defaults: a stats line of the proxy starts anew */
    const char *file; /* the first stats line (the config's file name), for errors */
    unsigned line;
};

struct lb_srv_observer; /* lbd/core/server.h */
struct lb_cond;         /* lbd/http/acl.h */
struct lb_stktable;     /* lbd/core/stktable.h */
struct lb_check_cfg;    /* lbd/cfg/check_cfg.h */

/* option forwardfor [except NET] [header NAME] [if-none] (HAProxy 2.6):
 * copied whole from defaults, hence fixed sizes. */
struct lb_fwdfor {
    char hdr[128];     /* "NAME: " of the field, "" when the option is not set here */
    uint8_t always;    /* not if-none: add even when the request has the field */
    uint8_t except_af; /* AF_INET, AF_INET6 or 0 (no except) */
    uint8_t net[16];   /* except network, masked, in network order */
    uint8_t mask[16];
};

struct lb_proxy {
    struct lb_proxy *next;
    char *name;
    unsigned cap;
    const char *file;
    unsigned line;
    unsigned uuid; /* HAProxy's proxy id */
    enum lb_mode mode;
    unsigned options;
    int retries;
    struct lb_timeouts to;
    _Atomic unsigned maxconn; /* written by "set maxconn" while workers read it */
    enum lb_algo algo;
    char *algo_arg; /* hdr(name) */
    struct lb_lbprm lbprm;
    int srv_state_load;       /* load-server-state-from-file: LB_SRVSTATE_* */
    char srv_state_name[256]; /* server-state-file-name; "": the backend's name */
    char *default_backend_name;
    struct lb_proxy *default_backend;
    struct lb_bind *binds;
    struct lb_server **servers; /* servers_cap slots, nservers in use */
    _Atomic unsigned nservers;  /* grows at run time ("add server") */
    unsigned servers_cap;
    struct lb_server defsrv; /* default-server settings */
    int log_global;
    struct lb_logtarget *logs;
    char *logfmt_text;       /* "log-format": as written (inherited from defaults) */
    struct lb_lfmt *logfmt;  /* its parsed form (lbd/http/lfmt.h), or NULL: option *log */
    const char *logfmt_file; /* where it was written */
    unsigned logfmt_line;
    char *logsd_text;      /* "log-format-sd": RFC 5424 structured data, as written */
    struct lb_lfmt *logsd; /* its parsed form, or NULL: "-" */
    const char *logsd_file;
    unsigned logsd_line;
    uint8_t log_back;           /* a log format reads %bi/%bp: the source is asked at connect */
    _Atomic uint64_t log_count; /* lines logged (%lc) */
    char *uidfmt_text;          /* "unique-id-format", as written */
    struct lb_lfmt *uidfmt;     /* its parsed form, or NULL */
    char *uidhdr;               /* "unique-id-header NAME": "NAME: ", or NULL */
    struct lb_fwdfor ff;        /* option forwardfor's arguments */
    struct lb_fwdfor ot;        /* option originalto's (`always` unused) */
    char *log_tag;              /* "log-tag": the syslog tag of its lines, or NULL (global's) */
    unsigned fullconn;          /* fullconn: backend load at which servers reach maxconn; 0 unset */
    struct lb_stats_cfg stats;
    struct lb_http_px *http;  /* rules and http settings: lbd/cfg/http_cfg.h */
    struct lb_stktable *stk;  /* its stick-table, or NULL (lbd/core/stktable.h) */
    struct lb_check_cfg *chk; /* check keywords, typed (lbd/cfg/check_cfg.h); NULL if none */
    /* shared: */
    _Atomic unsigned cur_conns;
    _Atomic unsigned max_conns_seen;
    _Atomic uint64_t cum_conns;
    _Atomic uint64_t bytes_in, bytes_out;
    _Atomic unsigned queued;
    _Atomic unsigned max_queued;
    _Atomic uint64_t last_sess_ms;
    _Atomic uint64_t failed_conns, failed_resp, wretr, wredis; /* retries, redispatches */
    _Atomic uint64_t req_tot, failed_req, denied_req, denied_resp, cli_aborts, srv_aborts;
    _Atomic uint64_t denied_conn; /* tcp-request reject, silent-drop */
    _Atomic uint64_t hrsp[6];     /* HTTP responses 1xx..5xx, other */
    /* control thread only: */
    const struct lb_srv_observer *srv_observer; /* told of server state changes */
    uint64_t last_change_ms;
    unsigned rate, rate_max;
    uint64_t rate_prev;
    unsigned req_rate, req_rate_max;
    uint64_t req_rate_prev;
};

struct lb_sock_cfg {
    struct lb_sock_cfg *next;
    char *path;
    unsigned mode;
    uid_t uid;
    gid_t gid;
    int level;
};

struct lb_global {
    _Atomic unsigned maxconn; /* written by "set maxconn" while workers read it */
    unsigned nbthread;
    unsigned bufsize;
    uint64_t hard_stop_after_ms;
    uint64_t stats_timeout_ms;
    struct lb_logtarget *logs;
    char *log_tag;      /* "log-tag": the syslog tag, or NULL ("lbd") */
    char *log_hostname; /* "log-send-hostname [NAME]": in rfc3164/5424 headers, or NULL */
    struct lb_sock_cfg *sockets;
    char *pidfile;
    uid_t uid;
    gid_t gid;
    char *checkd_socket;      /* our keyword: where checkd listens */
    int nosplice;             /* never use splice(2) */
    int master_worker;        /* "master-worker": as -W (lbd/core/master.h) */
    char *chroot;             /* "chroot DIR": the worker's jail (needs -W) */
    unsigned ulimit_n;        /* "ulimit-n N": RLIMIT_NOFILE set at start; 0: as inherited */
    int dumpable;             /* "set-dumpable": core dumps allowed after dropping privileges */
    char *node, *description; /* shown by show info and the stats page */
    const char *chroot_file;
    unsigned chroot_line;
    char srv_state_file[512]; /* "server-state-file": "" none (lbd/core/srvstate.h) */
    char srv_state_base[512]; /* "server-state-base": directory of relative names */
    int external_check;       /* "external-check": option external-check allowed */
    int insecure_fork;        /* "insecure-fork-wanted" (only silences a warning) */
    char *localpeer;          /* "localpeer NAME" (lbd/cfg/peers_cfg.h), or NULL */
};

struct lb_cfg {
    struct lb_global global;
    struct lb_proxy *proxies;  /* frontends, backends, listens in file order */
    struct lb_proxy *defaults; /* every defaults section, for named lookup */
    /* named sections (lbd/cfg/cfgsec.h); each module's *_of() gives the section */
    struct lb_cfgsec *userlists; /* struct lb_userlist, lbd/cfg/userlist.h */
    struct lb_cfgsec *resolvers; /* struct lb_resolvers, lbd/cfg/resolvers.h */
    struct lb_errsec *errsecs;   /* http-errors sections, lbd/cfg/errfile.h */
    struct lb_cfgsec *peers;     /* struct lb_peers_sec, lbd/cfg/peers_cfg.h */
    char *path;
    struct lk_cfgfiles files; /* every file read, so objects can point at their FILE */
};

#endif
