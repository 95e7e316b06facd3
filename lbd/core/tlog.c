/* tlog.c - see tlog.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lbd/core/tlog.h"

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Sockets are opened lazily, one per family per worker, on the first line
 * sent: a worker never logs through another thread's socket, and a process
 * without log targets opens none. */
void lb_tlog_init(struct lb_tlog *t)
{
    t->udp4 = t->udp6 = t->unix_fd = -1;
    t->dropped = 0;
    if (gethostname(t->hostname, sizeof(t->hostname)) != 0)
        snprintf(t->hostname, sizeof(t->hostname), "localhost");
}

void lb_tlog_fini(struct lb_tlog *t)
{
    if (t->udp4 >= 0)
        close(t->udp4);
    if (t->udp6 >= 0)
        close(t->udp6);
    if (t->unix_fd >= 0)
        close(t->unix_fd);
    t->udp4 = t->udp6 = t->unix_fd = -1;
}

/* snprintf returns the length it wanted; the callers append at the returned
 * offset, so it must be cut to what was actually written. */
size_t lb_tlog_clamp(int n, size_t len)
{
    if (n < 0 || len == 0)
        return 0;
    return (size_t)n < len ? (size_t)n : len - 1;
}

/* HAProxy's "client_ip:port [accept_date]" prefix, local time with
 * milliseconds, which log parsers written for HAProxy expect. */
size_t lb_tlog_head(char *buf, size_t len, const struct lk_addr *client, uint64_t wall_us)
{
    char ip[LK_ADDR_STRLEN];
    time_t secs = (time_t)(wall_us / 1000000);
    struct tm tm;

    localtime_r(&secs, &tm);
    lk_addr_ip_str(client, ip, sizeof(ip));
    return lb_tlog_clamp(snprintf(buf, len, "%s:%u [%02d/%s/%04d:%02d:%02d:%02d.%03u] ", ip,
                                  lk_addr_port(client), tm.tm_mday, months[tm.tm_mon],
                                  tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
                                  (unsigned)(wall_us / 1000 % 1000)),
                         len);
}

size_t lb_tcplog_format(char *buf, size_t len, const struct lb_tcplog_rec *r)
{
    size_t h = lb_tlog_head(buf, len, r->sess.client, r->accept_wall_us);
    int n;

    n = snprintf(
        buf + h, len - h, LB_TLOG_NAMES_FMT " %lld/%lld/%s%lld %s%llu %c%c " LB_TLOG_CONNS_FMT,
        LB_TLOG_NAMES_ARGS(&r->sess), (long long)r->tw, (long long)r->tc, r->sess.asap ? "+" : "",
        (long long)r->tt, r->sess.asap ? "+" : "", (unsigned long long)r->bytes_read, r->term[0],
        r->term[1], LB_TLOG_CONNS_ARGS(&r->sess));
    return h + lb_tlog_clamp(n, len - h);
}

/* Returns the syslog severity (3 err, 6 info), or 0 to drop the line. "option
 * log-separate-errors" raises errors to err so that they can be routed apart;
 * "dontlog-normal" keeps only errors. */
int lb_tlog_level(const struct lb_proxy *fe, const char term[2], int status)
{
    /* HAProxy's "error": a termination flag other than '-', or a 5xx */
    int error = term[0] != '-' || term[1] != '-' || status >= 500;

    if (!error && (fe->options & LB_OPT_DONTLOG_NORMAL))
        return 0;
    return error && (fe->options & LB_OPT_LOG_SEP_ERRORS) ? 3 : 6;
}

void lb_logsess_fill(struct lb_logsess *ls,
                     const struct lk_addr *client,
                     const struct lb_proxy *fe,
                     const struct lb_proxy *be,
                     const struct lb_server *srv)
{
    /* the names point into the config, which outlives the line */
    ls->client = client;
    ls->frontend = fe->name;
    ls->backend = be ? be->name : NULL;
    ls->server = srv ? srv->name : NULL;
    ls->feconn = atomic_load(&fe->cur_conns);
    ls->beconn = be ? atomic_load(&be->cur_conns) : 0;
    ls->srvconn = srv ? atomic_load(&srv->cur_conns) : 0;
}

int lb_tlog_enabled(const struct lb_proxy *fe, const struct lb_global *g)
{
    return fe->logs || (fe->log_global && g->logs);
}

int lb_tlog_has_format(const struct lb_proxy *fe)
{
    return fe->logfmt || (fe->options & (LB_OPT_TCPLOG | LB_OPT_HTTPLOG));
}

void lb_tlog_connect(struct lb_tlog *t,
                     const struct lb_proxy *fe,
                     const struct lb_global *g,
                     const struct lk_addr *cli,
                     const struct lk_addr *loc,
                     int http)
{
    char a[LK_ADDR_STRLEN], b[LK_ADDR_STRLEN], line[320];
    int n;

    if (lb_tlog_has_format(fe) || !lb_tlog_enabled(fe, g))
        return;
    lk_addr_ip_str(cli, a, sizeof(a));
    if (loc)
        lk_addr_ip_str(loc, b, sizeof(b));
    else
        snprintf(b, sizeof(b), "undetermined address");
    n = snprintf(line, sizeof(line), "Connect from %s:%u to %s:%u (%s/%s)", a, lk_addr_port(cli), b,
                 loc ? lk_addr_port(loc) : 0u, fe->name, http ? "HTTP" : "TCP");
    lb_tlog_send(t, fe, g, 6, line, lb_tlog_clamp(n, sizeof(line)));
}

static int sock_for(struct lb_tlog *t, const struct lb_logtarget *lt)
{
    int *fd, fam;

    if (lt->kind == LB_LOG_UNIX) {
        fd = &t->unix_fd;
        fam = AF_UNIX;
    } else if (lt->addr.u.sa.sa_family == AF_INET6) {
        fd = &t->udp6;
        fam = AF_INET6;
    } else {
        fd = &t->udp4;
        fam = AF_INET;
    }
    if (*fd < 0)
        *fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    return *fd;
}

/* "2026-12-02T21:05:43.719413+00:00", as HAProxy's rfc5424, timed, iso. */
static size_t iso_date(char *out, size_t len)
{
    struct timespec ts;
    struct tm tm;
    char z[8], buf[128];
    int n;

    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    if (strftime(z, sizeof(z), "%z", &tm) != 5)
        snprintf(z, sizeof(z), "+0000");
    /* into a buffer wide enough for any field values (gcc proves no
     * truncation there), then as much as fits in out */
    n = snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06ld%.3s:%s", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000, z,
                 z + 3);
    if (n < 0 || !len)
        return 0;
    if ((size_t)n >= len)
        n = (int)len - 1;
    memcpy(out, buf, (size_t)n);
    out[n] = '\0';
    return (size_t)n;
}

/* Who a line says it comes from: the tag (log-tag) and the host name sent
 * (log-send-hostname: NULL when not asked; rfc5424 always names one). */
struct origin {
    const char *tag, *host;
};

/* Syslog header for the target's format into hdr; returns its length.
 * The formats are HAProxy 2.6's (its "log ... format" argument). */
static size_t header(const struct lb_tlog *t,
                     const struct lb_logtarget *lt,
                     const struct origin *o,
                     int level,
                     int sd,
                     char *hdr,
                     size_t len)
{
    int pri = lt->facility * 8 + level, n = 0;
    time_t now = time(NULL);
    char iso[48];
    struct tm tm;

    switch (lt->format) {
    case LB_LOGF_RAW:
        return 0;
    case LB_LOGF_SHORT:
        n = snprintf(hdr, len, "<%d>", level);
        break;
    case LB_LOGF_PRIORITY:
        n = snprintf(hdr, len, "<%d>", pri);
        break;
    case LB_LOGF_TIMED:
        iso_date(iso, sizeof(iso));
        n = snprintf(hdr, len, "<%d>%s ", level, iso);
        break;
    case LB_LOGF_ISO:
        iso_date(iso, sizeof(iso));
        n = snprintf(hdr, len, "%s ", iso);
        break;
    case LB_LOGF_RFC5424:
        iso_date(iso, sizeof(iso));
        /* MSGID "-", then the structured data: "-" or, with sd, sent after */
        n = snprintf(hdr, len, "<%d>1 %s %s %s %d - %s", pri, iso, o->host ? o->host : t->hostname,
                     o->tag, (int)getpid(), sd ? "" : "- ");
        break;
    default:
        localtime_r(&now, &tm);
        n = snprintf(hdr, len, "<%d>%s %2d %02d:%02d:%02d %s%s%s[%d]: ", pri, months[tm.tm_mon],
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, o->host ? o->host : "",
                     o->host ? " " : "", o->tag, (int)getpid());
    }
    return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

/* Never blocks a worker: datagrams are sent MSG_DONTWAIT and a full socket
 * buffer drops the line (counted in dropped) rather than stall the forwarding
 * path, as HAProxy does. Lines longer than the target's "len" are cut, header
 * included. */
static void send_one(struct lb_tlog *t,
                     const struct lb_logtarget *lt,
                     const struct origin *o,
                     int level,
                     const struct lb_tlog_sd *sd,
                     const char *msg,
                     size_t len)
{
    char hdr[160];
    struct iovec iov[5];
    struct msghdr mh;
    struct sockaddr_un sun;
    size_t hl, sl = 0, used;
    int fd, with_sd = sd && sd->len && lt->format == LB_LOGF_RFC5424;

    if (level > lt->level)
        return;
    hl = header(t, lt, o, level, with_sd, hdr, sizeof(hdr));
    /* the cut at "len" keeps the header, then the structured data, then
     * the message */
    used = hl;
    if (with_sd) {
        sl = lt->maxlen > used + 1 ? LK_MIN(sd->len, lt->maxlen - used - 1) : 0;
        used += sl + 1;
    }
    if (len + used > lt->maxlen)
        len = lt->maxlen > used ? lt->maxlen - used : 0;
    iov[0] = (struct iovec){hdr, hl};
    iov[1] = (struct iovec){(void *)(uintptr_t)(with_sd ? sd->data : ""), sl};
    iov[2] = (struct iovec){(void *)(uintptr_t) " ", with_sd ? 1 : 0};
    iov[3] = (struct iovec){(void *)(uintptr_t)msg, len};
    iov[4] = (struct iovec){(void *)(uintptr_t) "\n", 1};
    if (lt->kind == LB_LOG_FD) {
        if (writev(lt->fd, iov, 5) < 0)
            t->dropped++;
        return;
    }
    fd = sock_for(t, lt);
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = iov;
    mh.msg_iovlen = 4; /* datagrams carry no newline */
    if (lt->kind == LB_LOG_UNIX) {
        memset(&sun, 0, sizeof(sun));
        sun.sun_family = AF_UNIX;
        snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", lt->path);
        mh.msg_name = &sun;
        mh.msg_namelen = sizeof(sun);
    } else {
        mh.msg_name = (void *)(uintptr_t)&lt->addr.u.sa;
        mh.msg_namelen = lt->addr.len;
    }
    if (fd < 0 || sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
        t->dropped++;
}

void lb_tlog_send(struct lb_tlog *t,
                  const struct lb_proxy *fe,
                  const struct lb_global *g,
                  int level,
                  const char *msg,
                  size_t len)
{
    lb_tlog_send_sd(t, fe, g, level, NULL, msg, len);
}

void lb_tlog_send_sd(struct lb_tlog *t,
                     const struct lb_proxy *fe,
                     const struct lb_global *g,
                     int level,
                     const struct lb_tlog_sd *sd,
                     const char *msg,
                     size_t len)
{
    const struct lb_logtarget *lt;
    struct origin o = {fe->log_tag  ? fe->log_tag
                       : g->log_tag ? g->log_tag
                                    : "lbd",
                       g->log_hostname};

    for (lt = fe->logs; lt; lt = lt->next)
        send_one(t, lt, &o, level, sd, msg, len);
    if (fe->log_global)
        for (lt = g->logs; lt; lt = lt->next)
            send_one(t, lt, &o, level, sd, msg, len);
}
