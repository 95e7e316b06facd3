/* test_tcpfwd.c - the mode tcp session state machine (lbd/tcp/tcpfwd.c)
 * driven through its real sockets: a worker thread of a daemon built from
 * an inline config forwards between a client and a server this test owns,
 * both on 127.0.0.1.
 *
 * Each case walks one path of NEW -> QUEUE -> CONNECT -> DATA -> CLOSED and
 * checks what a peer sees (bytes, half-close, reset), the counters the
 * state machine writes (retries, queue, connections) and the termination
 * state of the tcplog line, which a Unix datagram socket of the test
 * receives. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/clock.h"
#include "lbd/cfg/cfg.h"
#include "lbd/core/daemon.h"
#include "lbd/core/proxy_types.h"
#include "lbd/core/server.h"
#include "lbd/core/worker.h"

#define WAIT_MS 3000 /* every wait is bounded: a hung session fails the case */

struct env {
    char dir[64];
    char logpath[96];
    int logfd;
    int srvfd; /* the test's server, listening */
    unsigned srvport, feport;
    struct lb_cfg *cfg;
    struct lb_daemon *d;
    struct lb_proxy *be;
    struct lb_server *srv;
};

static int listen_any(unsigned *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 16), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* A port nothing listens on now (the kernel's choice, released). */
static unsigned free_port(void)
{
    unsigned port;

    close(listen_any(&port));
    return port;
}

static int wait_fd(int fd, short ev)
{
    struct pollfd p = {.fd = fd, .events = ev};

    return poll(&p, 1, WAIT_MS);
}

static int cli_connect(unsigned port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    a.sin_port = htons((uint16_t)port);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static int srv_accept(struct env *e)
{
    int fd;

    assert_int_equal(wait_fd(e->srvfd, POLLIN), 1);
    fd = accept(e->srvfd, NULL, NULL);
    assert_true(fd >= 0);
    return fd;
}

/* Read exactly what `want` says (or EOF/error: returned as is). */
static ssize_t read_some(int fd, char *buf, size_t cap)
{
    if (wait_fd(fd, POLLIN) != 1)
        return -ETIMEDOUT;
    return read(fd, buf, cap);
}

static void expect_bytes(int fd, const char *want)
{
    char buf[256];
    size_t got = 0, n = strlen(want);
    ssize_t r;

    while (got < n) {
        r = read_some(fd, buf + got, n - got);
        assert_true(r > 0);
        got += (size_t)r;
    }
    assert_memory_equal(buf, want, n);
}

/* Wait until a counter reaches a value, bounded. */
static void wait_atomic(_Atomic unsigned *v, unsigned want)
{
    uint64_t end = lk_mono_ms() + WAIT_MS;

    while (atomic_load(v) != want && lk_mono_ms() < end)
        usleep(2000);
    assert_int_equal(atomic_load(v), want);
}

/* The termination state of the next tcplog line ("--", "SC", ...). */
static void expect_term(struct env *e, const char *term)
{
    char line[1024], *p;
    ssize_t n;

    assert_int_equal(wait_fd(e->logfd, POLLIN), 1);
    n = recv(e->logfd, line, sizeof(line) - 1, 0);
    assert_true(n > 0);
    line[n] = '\0';
    /* tcplog: "... fe be/srv Tw/Tc/Tt bytes TERM actconn/..." */
    p = strstr(line, " f b/");
    assert_non_null(p);
    p = strchr(p + 5, ' ');            /* after be/srv */
    p = p ? strchr(p + 1, ' ') : NULL; /* after the timers */
    p = p ? strchr(p + 1, ' ') : NULL; /* after the bytes */
    assert_non_null(p);
    if (strncmp(p + 1, term, 2) != 0)
        fail_msg("termination state '%.2s', expected '%s' in: %s", p + 1, term, line);
}

static void start(struct env *e, const char *srvline, const char *extra)
{
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    char text[2048], *err = NULL;
    unsigned i;

    memset(e, 0, sizeof(*e));
    snprintf(e->dir, sizeof(e->dir), "/tmp/lbkit-ut-tcp.XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    snprintf(e->logpath, sizeof(e->logpath), "%s/log.sock", e->dir);
    e->logfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    snprintf(un.sun_path, sizeof(un.sun_path), "%s", e->logpath);
    assert_int_equal(bind(e->logfd, (struct sockaddr *)&un, sizeof(un)), 0);
    e->srvfd = listen_any(&e->srvport);
    e->feport = free_port();
    snprintf(text, sizeof(text),
             "global\n  nbthread 1\ndefaults\n  mode tcp\n  option tcplog\n"
             "  log %s local0\n  timeout connect 500ms\n  timeout client 5s\n"
             "  timeout server 5s\n%s"
             "frontend f\n  bind 127.0.0.1:%u\n  default_backend b\n"
             "backend b\n  retries 2\n  server s1 127.0.0.1:%u %s\n",
             e->logpath, extra, e->feport, e->srvport, srvline);
    if (lb_cfg_load_mem("t.cfg", text, &e->cfg, &err) < 0)
        fail_msg("config refused: %s", err);
    e->be = lb_cfg_find_proxy(e->cfg, "b", LB_CAP_BE);
    assert_non_null(e->be);
    e->srv = lb_server_find(e->be, "s1");
    assert_non_null(e->srv);
    assert_int_equal(lb_daemon_new(&e->d, e->cfg, e->dir, NULL), 0);
    for (i = 0; i < e->d->nworkers; i++)
        assert_int_equal(lb_worker_start(e->d->workers[i]), 0);
}

static void stop(struct env *e)
{
    char path[128];
    unsigned i;

    for (i = 0; i < e->d->nworkers; i++)
        lb_worker_stop(e->d->workers[i], 1);
    e->d = lb_daemon_free(e->d);
    lb_cfg_free(e->cfg);
    close(e->srvfd);
    close(e->logfd);
    unlink(e->logpath);
    snprintf(path, sizeof(path), "%s/lbd.sock", e->dir);
    unlink(path);
    rmdir(e->dir);
}

/* DATA: bytes both ways; a client's EOF reaches the server as a shutdown
 * while the other half keeps flowing; the server's close ends it ("--"). */
static void test_half_close(void **state)
{
    struct env e;
    char buf[8];
    int c, s;

    start(&e, "", "");
    c = cli_connect(e.feport);
    assert_int_equal(write(c, "ping", 4), 4);
    s = srv_accept(&e);
    expect_bytes(s, "ping");
    assert_int_equal(write(s, "pong", 4), 4);
    expect_bytes(c, "pong");
    assert_int_equal(shutdown(c, SHUT_WR), 0);
    assert_int_equal(read_some(s, buf, sizeof(buf)), 0); /* the EOF, passed on */
    assert_int_equal(write(s, "late", 4), 4);
    expect_bytes(c, "late");
    close(s);
    assert_int_equal(read_some(c, buf, sizeof(buf)), 0);
    close(c);
    expect_term(&e, "--");
    wait_atomic(&e.srv->cur_conns, 0);
    assert_int_equal(atomic_load(&e.srv->cum_conns), 1);
    assert_int_equal(atomic_load(&e.be->wretr), 0);
    stop(&e);
}

/* A reset from the server resets the client (SO_LINGER 0), "SD". */
static void test_server_reset(void **state)
{
    struct linger lg = {1, 0};
    struct env e;
    char buf[8];
    ssize_t r;
    int c, s;

    start(&e, "", "");
    c = cli_connect(e.feport);
    s = srv_accept(&e);
    assert_int_equal(write(c, "x", 1), 1);
    expect_bytes(s, "x");
    assert_int_equal(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
    close(s);
    r = read_some(c, buf, sizeof(buf));
    assert_int_equal(r, -1);
    assert_int_equal(errno, ECONNRESET);
    close(c);
    expect_term(&e, "SD");
    stop(&e);
}

/* CONNECT fails (nothing listens): "retries 2" means three attempts, two
 * counted retries, then the client is closed with "SC". */
static void test_connect_retries(void **state)
{
    struct env e;
    char buf[8];
    ssize_t r;
    int c;

    start(&e, "", "");
    close(e.srvfd); /* the server's port now refuses */
    e.srvfd = -1;
    c = cli_connect(e.feport);
    r = read_some(c, buf, sizeof(buf));
    assert_true(r == 0 || (r < 0 && errno == ECONNRESET));
    close(c);
    expect_term(&e, "SC");
    assert_int_equal(atomic_load(&e.srv->failed_conns), 3);
    assert_int_equal(atomic_load(&e.be->wretr), 2);
    /* each attempt counts a session on the server, as HAProxy's stot */
    assert_int_equal(atomic_load(&e.srv->cum_conns), 3);
    e.srvfd = socket(AF_INET, SOCK_STREAM, 0); /* for stop() */
    stop(&e);
}

/* QUEUE: with maxconn 1 a second client waits (queued, not connected)
 * until the first one's slot is free, then reaches the server. */
static void test_queue(void **state)
{
    struct env e;
    int c1, c2, s1, s2;

    start(&e, "maxconn 1", "");
    c1 = cli_connect(e.feport);
    s1 = srv_accept(&e);
    c2 = cli_connect(e.feport);
    wait_atomic(&e.be->queued, 1);
    assert_int_equal(poll(&(struct pollfd){.fd = e.srvfd, .events = POLLIN}, 1, 200), 0);
    assert_int_equal(atomic_load(&e.srv->cur_conns), 1);
    assert_int_equal(write(c2, "two", 3), 3); /* held while queued */
    close(c1);
    close(s1);
    expect_term(&e, "--");
    s2 = srv_accept(&e);
    expect_bytes(s2, "two");
    wait_atomic(&e.be->queued, 0);
    assert_int_equal(atomic_load(&e.be->max_queued), 1);
    close(c2);
    close(s2);
    expect_term(&e, "--");
    stop(&e);
}

/* An idle session ends at "timeout client", as a client-side timeout
 * ("cD"), not before it. */
static void test_client_timeout(void **state)
{
    struct env e;
    char buf[8];
    uint64_t t0, dt;
    int c, s;

    start(&e, "", "  timeout client 300ms\n");
    c = cli_connect(e.feport);
    s = srv_accept(&e);
    t0 = lk_mono_ms();
    assert_int_equal(read_some(c, buf, sizeof(buf)), 0);
    dt = lk_mono_ms() - t0;
    assert_true(dt >= 250);
    assert_true(dt < 2000);
    close(c);
    close(s);
    expect_term(&e, "cD");
    stop(&e);
}

/* The worker thread parks in this handler (read and write are
 * async-signal-safe) until the test releases it, so that requests pile up
 * between two of its wake-ups. */
static int park_in[2], park_out[2];

static void park_handler(int sig)
{
    char c = 'p';

    (void)sig;
    if (write(park_in[1], &c, 1) == 1 && read(park_out[0], &c, 1) < 0)
        c = 0;
}

/* A session with each of N servers (more than the 16 requests the worker
 * used to keep), then every server's sessions asked to be shut down while
 * the worker is parked: when it runs again, all N clients are cut. */
static void test_shutdown_many(void **state)
{
    enum { N = 24 };
    struct sigaction sa = {.sa_handler = park_handler};
    struct env e;
    struct pollfd lp[2];
    char srvs[N * 48], buf[8], c;
    int cli[N], srvc[N], fd2, i, k;
    unsigned port2;
    size_t o = 0;

    fd2 = listen_any(&port2);
    for (i = 2; i <= N; i++)
        o += (size_t)snprintf(srvs + o, sizeof(srvs) - o, "\n  server s%d 127.0.0.1:%u", i, port2);
    start(&e, srvs, "");
    lp[0] = (struct pollfd){.fd = e.srvfd, .events = POLLIN};
    lp[1] = (struct pollfd){.fd = fd2, .events = POLLIN};
    for (i = 0; i < N; i++) { /* one at a time: the listeners' backlog is 16 */
        cli[i] = cli_connect(e.feport);
        assert_int_equal(write(cli[i], "x", 1), 1);
        assert_true(poll(lp, 2, WAIT_MS) > 0);
        k = (lp[0].revents & POLLIN) ? 0 : 1;
        srvc[i] = accept(lp[k].fd, NULL, NULL);
        assert_true(srvc[i] >= 0);
        expect_bytes(srvc[i], "x");
    }
    for (i = 0; i < N; i++) /* round robin: one session on each server */
        wait_atomic(&e.be->servers[i]->cur_conns, 1);
    assert_int_equal(pipe(park_in), 0);
    assert_int_equal(pipe(park_out), 0);
    assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
    assert_int_equal(pthread_kill(e.d->workers[0]->tid, SIGUSR1), 0);
    assert_int_equal(read(park_in[0], &c, 1), 1); /* parked */
    for (i = 0; i < N; i++)
        lb_daemon_shutdown_server(e.d, e.be->servers[i]);
    assert_int_equal(write(park_out[1], "go", 1), 1);
    for (i = 0; i < N; i++) {
        ssize_t r = read_some(cli[i], buf, sizeof(buf));

        if (r == -ETIMEDOUT)
            fail_msg("session %d was not shut down", i);
        close(cli[i]);
        close(srvc[i]);
    }
    for (i = 0; i < N; i++)
        wait_atomic(&e.be->servers[i]->cur_conns, 0);
    close(fd2);
    stop(&e);
    /* Only after stop() has joined the worker: the handler's last read of
     * park_out is otherwise unordered with this close (ThreadSanitizer). */
    signal(SIGUSR1, SIG_DFL);
    close(park_in[0]);
    close(park_in[1]);
    close(park_out[0]);
    close(park_out[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_half_close),      cmocka_unit_test(test_server_reset),
        cmocka_unit_test(test_connect_retries), cmocka_unit_test(test_queue),
        cmocka_unit_test(test_client_timeout),  cmocka_unit_test(test_shutdown_many),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
