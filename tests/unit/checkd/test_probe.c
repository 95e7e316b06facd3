/* test_probe.c - the probes' verdicts: HTTP expect rules (table), MySQL
 * check exchanges built from captured MariaDB packets, the Galera verdict
 * on the SHOW STATUS outputs of a synced, a desynced and a cut-off node;
 * then real probes on the loop against loopback sockets this test opens:
 * refused, silent, garbage-speaking, HTTP-speaking. */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include <uv.h>

#include "checkd/probe.h"
#include "common/addr.h"

static void http_target(struct feed_target *t, enum feed_expect e, int neg, const char *arg)
{
    feed_target_defaults(t);
    t->kind = FEED_KIND_HTTP;
    t->expect = e;
    t->expect_not = neg;
    snprintf(t->expect_arg, sizeof(t->expect_arg), "%s", arg);
}

static void test_http_expect(void **state)
{
    static const struct {
        enum feed_expect e;
        int neg;
        const char *arg, *resp;
        int eof, decided;
        enum feed_result want;
        int code;
    } cases[] = {
        {FEED_EXPECT_DEFAULT, 0, "", "HTTP/1.1 200 OK\r\n\r\n", 0, 1, FEED_RES_L7OK, 200},
        {FEED_EXPECT_DEFAULT, 0, "", "HTTP/1.0 302 Found\r\n", 0, 1, FEED_RES_L7OK, 302},
        {FEED_EXPECT_DEFAULT, 0, "", "HTTP/1.0 503 Unavailable\r\n", 0, 1, FEED_RES_L7STS, 503},
        {FEED_EXPECT_DEFAULT, 0, "", "HTTP/1.0 200", 0, 0, FEED_RES_INI, 0},
        {FEED_EXPECT_DEFAULT, 0, "", "HTTP/1.0 200", 1, 1, FEED_RES_L7RSP, -1},
        {FEED_EXPECT_DEFAULT, 0, "", "", 1, 1, FEED_RES_L7RSP, -1},
        {FEED_EXPECT_DEFAULT, 0, "", "SSH-2.0-OpenSSH_9.2\r\n", 0, 1, FEED_RES_L7RSP, -1},
        {FEED_EXPECT_DEFAULT, 0, "", "garbage without newline", 0, 1, FEED_RES_L7RSP, -1},
        {FEED_EXPECT_STATUS, 0, "200", "HTTP/1.1 200 OK\r\n", 0, 1, FEED_RES_L7OK, 200},
        {FEED_EXPECT_STATUS, 0, "200", "HTTP/1.1 204 No\r\n", 0, 1, FEED_RES_L7STS, 204},
        {FEED_EXPECT_STATUS, 0, "200-299", "HTTP/1.1 204 No\r\n", 0, 1, FEED_RES_L7OK, 204},
        {FEED_EXPECT_STATUS, 1, "503", "HTTP/1.1 200 OK\r\n", 0, 1, FEED_RES_L7OK, 200},
        {FEED_EXPECT_STATUS, 1, "503", "HTTP/1.1 503 X\r\n", 0, 1, FEED_RES_L7STS, 503},
        {FEED_EXPECT_RSTATUS, 0, "^2[0-9]{2}$", "HTTP/1.1 201 C\r\n", 0, 1, FEED_RES_L7OK, 201},
        {FEED_EXPECT_RSTATUS, 0, "^2", "HTTP/1.1 404 N\r\n", 0, 1, FEED_RES_L7STS, 404},
        {FEED_EXPECT_STRING, 0, "Synced", "HTTP/1.0 200 OK\r\n\r\nnode is Synced\n", 0, 1,
         FEED_RES_L7OK, 200},
        {FEED_EXPECT_STRING, 0, "Synced", "HTTP/1.0 200 OK\r\n\r\nnode is ", 0, 0, FEED_RES_INI, 0},
        {FEED_EXPECT_STRING, 0, "Synced", "HTTP/1.0 503 X\r\n\r\nDonor/Desynced", 1, 1,
         FEED_RES_L7RSP, 503},
        {FEED_EXPECT_STRING, 1, "maintenance", "HTTP/1.0 200 OK\r\n\r\nall good", 1, 1,
         FEED_RES_L7OK, 200},
        {FEED_EXPECT_STRING, 1, "maintenance", "HTTP/1.0 200 OK\r\n\r\nmaintenance", 0, 1,
         FEED_RES_L7RSP, 200},
    };
    struct feed_target t;
    struct chk_result r;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        http_target(&t, cases[i].e, cases[i].neg, cases[i].arg);
        memset(&r, 0, sizeof(r));
        assert_int_equal(chk_http_judge(&t, cases[i].resp, strlen(cases[i].resp), cases[i].eof, &r),
                         cases[i].decided);
        if (!cases[i].decided)
            continue;
        if (r.result != cases[i].want || r.code != cases[i].code)
            fail_msg("case %zu: got %s %d, want %s %d", i, feed_result_name(r.result), r.code,
                     feed_result_name(cases[i].want), cases[i].code);
        assert_int_equal(r.ok, cases[i].want == FEED_RES_L7OK);
    }
}

static void test_http_request(void **state)
{
    struct feed_target t;
    struct lk_addr a;
    char *buf;
    size_t len;

    feed_target_defaults(&t);
    t.kind = FEED_KIND_HTTP;
    snprintf(t.method, sizeof(t.method), "GET");
    snprintf(t.uri, sizeof(t.uri), "/health");
    snprintf(t.version, sizeof(t.version), "HTTP/1.1");
    snprintf(t.hdrs[0], sizeof(t.hdrs[0]), "X-Check: 1");
    t.nhdrs = 1;
    assert_int_equal(lk_addr_parse("127.0.0.1:8080", 0, &a), 0);
    assert_int_equal(chk_http_request(&t, &a, &buf, &len), 0);
    assert_int_equal(strlen(buf), len);
    assert_true(
        strncmp(buf, "GET /health HTTP/1.1\r\nX-Check: 1\r\nHost: 127.0.0.1:8080\r\n", 56) == 0);
    assert_non_null(strstr(buf, "Connection: close\r\n"));
    assert_string_equal(buf + len - 4, "\r\n\r\n");
    free(buf);
    /* HAProxy's default: OPTIONS / HTTP/1.0, no Host */
    feed_target_defaults(&t);
    t.kind = FEED_KIND_HTTP;
    assert_int_equal(chk_http_request(&t, &a, &buf, &len), 0);
    assert_true(strncmp(buf, "OPTIONS / HTTP/1.0\r\n", 20) == 0);
    assert_null(strstr(buf, "Host:"));
    free(buf);
}

static size_t load_sample(const char *name, uint8_t *buf, size_t cap)
{
    char rel[256];
    FILE *f;
    size_t n;

    snprintf(rel, sizeof(rel), "mariadb/%s", name);
    f = lk_fixture_open(rel, "rb");
    n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void test_mysql_judge(void **state)
{
    static const uint8_t ok[] = {0x07, 0, 0, 2, 0x00, 0, 0, 2, 0, 0, 0};
    static const uint8_t denied[] = {0x0c, 0,   0,   2,   0xff, 0x15, 0x04, '#',
                                     '2',  '8', '0', '0', '0',  'n',  'o',  'p'};
    struct feed_target t;
    struct chk_result r;
    uint8_t buf[512];
    size_t n = load_sample("greeting_db1_direct.bin", buf, 400);

    feed_target_defaults(&t);
    t.kind = FEED_KIND_MYSQL;
    /* without a user the greeting decides */
    assert_int_equal(chk_mysql_judge(&t, buf, n - 1, 0, &r), 0);
    assert_int_equal(chk_mysql_judge(&t, buf, n, 0, &r), 1);
    assert_int_equal(r.result, FEED_RES_L7OK);
    /* with a user: greeting then OK, as HAProxy's capture shows */
    snprintf(t.user, sizeof(t.user), "haproxy_check");
    assert_int_equal(chk_mysql_judge(&t, buf, n, 0, &r), 0);
    memcpy(buf + n, ok, sizeof(ok));
    assert_int_equal(chk_mysql_judge(&t, buf, n + sizeof(ok), 0, &r), 1);
    assert_int_equal(r.result, FEED_RES_L7OK);
    memcpy(buf + n, denied, sizeof(denied));
    assert_int_equal(chk_mysql_judge(&t, buf, n + sizeof(denied), 0, &r), 1);
    assert_int_equal(r.result, FEED_RES_L7STS);
    assert_int_equal(r.code, 1045);
    assert_int_equal(chk_mysql_judge(&t, buf, n, 1, &r), 1); /* closed before answering */
    assert_int_equal(r.result, FEED_RES_L7RSP);
    /* ERR instead of greeting: host not allowed */
    n = load_sample("err_host_not_allowed.bin", buf, sizeof(buf));
    assert_int_equal(chk_mysql_judge(&t, buf, n, 0, &r), 1);
    assert_int_equal(r.result, FEED_RES_L7STS);
    assert_int_equal(r.code, 1130);
    assert_non_null(strstr(r.reason, "is not allowed to connect"));
    assert_int_equal(r.ok, 0);
}

/* The values of a SHOW STATUS sample, through the probe's own reader. */
static void galera_sample(const char *name, const struct feed_target *t, struct chk_result *r)
{
    struct chk_galera_vars v;
    char line[256], k[128], val[128], rel[256];
    FILE *f;

    chk_galera_vars_init(&v);
    v.read_only = 0;
    snprintf(rel, sizeof(rel), "mariadb/%s", name);
    f = lk_fixture_open(rel, "r");
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "%127s\t%127[^\n]", k, val) == 2)
            chk_galera_var(&v, k, val);
    fclose(f);
    memset(r, 0, sizeof(*r));
    chk_galera_judge(t, &v, r);
}

static void test_galera_judge(void **state)
{
    struct feed_target t;
    struct chk_result r;

    feed_target_defaults(&t);
    t.kind = FEED_KIND_GALERA;
    galera_sample("wsrep_status_synced_db1.txt", &t, &r);
    assert_int_equal(r.result, FEED_RES_L7OK);
    assert_int_equal(r.code, 4);
    assert_true(r.ok);
    galera_sample("wsrep_status_desynced_db2.txt", &t, &r);
    assert_int_equal(r.result, FEED_RES_L7STS);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.reason, "Donor/Desynced"));
    assert_false(r.ok);
    t.allow_donor = 1;
    galera_sample("wsrep_status_desynced_db2.txt", &t, &r);
    assert_true(r.ok);
    galera_sample("crash-lab.db2_wsrep_after_kill.txt", &t, &r);
    assert_int_equal(r.result, FEED_RES_L7STS);
    assert_non_null(strstr(r.reason, "non-Primary"));
    assert_false(r.ok);
    memset(&r, 0, sizeof(r));
    chk_galera_judge(&t, &(struct chk_galera_vars){.local_state = -1, .read_only = -1},
                     &r); /* a plain MariaDB, no wsrep */
    assert_int_equal(r.result, FEED_RES_L7RSP);
    chk_galera_judge(&t,
                     &(struct chk_galera_vars){.local_state = 4,
                                               .read_only = 1,
                                               .comment = "Synced",
                                               .cluster = "Primary",
                                               .ready = "ON"},
                     &r);
    assert_true(r.ok);
    assert_int_equal(r.read_only, 1);
}

static void test_validate(void **state)
{
    struct feed_target t;
    const char *why = NULL;

    http_target(&t, FEED_EXPECT_RSTATUS, 0, "([");
    assert_int_equal(chk_probe_validate(&t, &why), -EINVAL);
    assert_non_null(why);
    http_target(&t, FEED_EXPECT_STATUS, 0, "2xx");
    assert_int_equal(chk_probe_validate(&t, &why), -EINVAL);
    http_target(&t, FEED_EXPECT_STATUS, 0, "200-399");
    assert_int_equal(chk_probe_validate(&t, &why), 0);
    feed_target_defaults(&t);
    t.kind = FEED_KIND_GALERA;
    assert_int_equal(chk_probe_validate(&t, &why), -EINVAL);
}

/* ---- real probes on a loop ---- */

struct run {
    struct chk_result r;
    int done;
};

static void done_cb(void *ud, const struct chk_result *r)
{
    struct run *run = ud;

    run->r = *r;
    run->done++;
}

/* A listening socket on 127.0.0.1; returns its fd and port. */
static int listener(unsigned *port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
    *port = ntohs(sin.sin_port);
    return fd;
}

/* Run one probe to its end; `answer` (if any) is written by the "server"
 * once the probe connected, by accepting on lfd from a loop idle hook. */
struct srv {
    uv_idle_t idle;
    int lfd, cfd;
    const char *answer;
};

static void srv_idle(uv_idle_t *h)
{
    struct srv *s = h->data;

    if (s->cfd < 0 && s->lfd >= 0) {
        s->cfd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK);
        if (s->cfd >= 0 && s->answer)
            assert_true(write(s->cfd, s->answer, strlen(s->answer)) > 0);
    }
}

static struct chk_result probe_once(const struct feed_target *t,
                                    int lfd,
                                    unsigned port,
                                    const char *answer,
                                    uint64_t timeout_ms)
{
    struct srv s = {.lfd = lfd, .cfd = -1, .answer = answer};
    struct chk_probe *p = NULL;
    struct run run = {0};
    struct lk_addr a;
    char spec[64];
    uv_loop_t loop;

    snprintf(spec, sizeof(spec), "127.0.0.1:%u", port);
    assert_int_equal(lk_addr_parse(spec, 0, &a), 0);
    assert_int_equal(uv_loop_init(&loop), 0);
    uv_idle_init(&loop, &s.idle);
    s.idle.data = &s;
    if (lfd >= 0)
        uv_idle_start(&s.idle, srv_idle);
    assert_int_equal(
        chk_probe_start(&p, &loop, &(struct chk_probe_what){t, &a, timeout_ms}, done_cb, &run), 0);
    while (!run.done && uv_run(&loop, UV_RUN_ONCE))
        ;
    uv_close((uv_handle_t *)&s.idle, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_int_equal(run.done, 1);
    if (s.cfd >= 0)
        close(s.cfd);
    return run.r;
}

static void test_real_probes(void **state)
{
    struct feed_target t;
    struct chk_result r;
    unsigned port;
    int lfd;

    feed_target_defaults(&t);
    lfd = listener(&port);
    r = probe_once(&t, -1, port, NULL, 1000); /* tcp, accepted by the backlog */
    assert_int_equal(r.result, FEED_RES_L4OK);
    close(lfd);
    r = probe_once(&t, -1, port, NULL, 1000); /* nobody listens any more */
    assert_int_equal(r.result, FEED_RES_L4CON);
    assert_non_null(strstr(r.reason, "refused"));

    t.kind = FEED_KIND_MYSQL;
    lfd = listener(&port);
    r = probe_once(&t, lfd, port, NULL, 200); /* accepts, never speaks */
    assert_int_equal(r.result, FEED_RES_L7TOUT);
    assert_true(r.latency_us >= 190000);
    r = probe_once(&t, lfd, port, "HTTP/1.0 400 Bad\r\n\r\n", 1000); /* garbage */
    assert_int_equal(r.result, FEED_RES_L7RSP);
    assert_non_null(strstr(r.reason, "not a MySQL greeting"));

    http_target(&t, FEED_EXPECT_STATUS, 0, "200");
    r = probe_once(&t, lfd, port, "HTTP/1.0 503 Service Unavailable\r\n\r\n", 1000);
    assert_int_equal(r.result, FEED_RES_L7STS);
    assert_int_equal(r.code, 503);
    r = probe_once(&t, lfd, port, "HTTP/1.0 200 OK\r\n\r\n", 1000);
    assert_int_equal(r.result, FEED_RES_L7OK);
    close(lfd);
}

/* IPv6 targets: [::1]:PORT, refused then accepted. */
static void test_ipv6(void **state)
{
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    socklen_t sl = sizeof(sin6);
    struct chk_probe *p = NULL;
    struct feed_target t;
    struct run run = {0};
    struct lk_addr a;
    char spec[64];
    uv_loop_t loop;
    int fd = socket(AF_INET6, SOCK_STREAM, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) != 0) {
        if (fd >= 0)
            close(fd);
        skip(); /* no IPv6 loopback here */
    }
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin6, &sl), 0);
    snprintf(spec, sizeof(spec), "[::1]:%u", ntohs(sin6.sin6_port));
    assert_int_equal(lk_addr_parse(spec, 0, &a), 0);
    feed_target_defaults(&t);
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(
        chk_probe_start(&p, &loop, &(struct chk_probe_what){&t, &a, 1000}, done_cb, &run), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(run.done, 1);
    assert_int_equal(run.r.result, FEED_RES_L4OK);
    close(fd);
    run.done = 0;
    assert_int_equal(
        chk_probe_start(&p, &loop, &(struct chk_probe_what){&t, &a, 1000}, done_cb, &run), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(run.done, 1);
    assert_int_equal(run.r.result, FEED_RES_L4CON);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_expect), cmocka_unit_test(test_http_request),
        cmocka_unit_test(test_mysql_judge), cmocka_unit_test(test_galera_judge),
        cmocka_unit_test(test_validate),    cmocka_unit_test(test_real_probes),
        cmocka_unit_test(test_ipv6),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
