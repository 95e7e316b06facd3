/* test_stats.c - the statistics formats (show stat CSV and JSON, show
 * servers state, show info) against captures of HAProxy 2.6 serving the
 * same proxies (tests/fixtures/lbd/haproxy-2.6/): same header, same rows in
 * the same order, same number of fields per row, same keys. Built from a
 * config alone: the formats need no running daemon (issue 9). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "lbd/cfg/cfg.h"
#include "lbd/core/daemon.h"
#include "lbd/core/server.h"
#include "lbd/ctl/admin_int.h"
#include "lbd/ctl/stats.h"

/* The proxies of the capture, in its order (the lab guide's Figure 1.3
 * with the capture's addresses). */
static const char cfg_text[] = "defaults\n  mode http\n  timeout connect 1s\n"
                               "  timeout client 5s\n  timeout server 5s\n"
                               "frontend http-in\n  bind 127.0.0.1:18080\n"
                               "  default_backend webservers\n"
                               "backend webservers\n  balance roundrobin\n"
                               "  server web1 10.77.0.31:5000 check inter 500 fall 3\n"
                               "  server web2 10.77.0.32:5000 check inter 500 fall 3\n"
                               "listen stats\n  bind 127.0.0.1:18999\n  stats enable\n"
                               "  stats uri /stats\n";

static struct lb_daemon *daemon_of(void)
{
    struct lb_daemon *d = calloc(1, sizeof(*d));
    char *err = NULL;

    assert_non_null(d);
    if (lb_cfg_load_mem("stats.cfg", cfg_text, &d->cfg, &err) < 0)
        fail_msg("%s", err);
    d->nworkers = 1;
    return d;
}

static void daemon_done(struct lb_daemon *d)
{
    lb_cfg_free(d->cfg);
    free(d);
}

/* The lines of a fixture, NULL-terminated (the caller frees). */
static char **fixture_lines(const char *rel, size_t *n)
{
    FILE *f = lk_fixture_open(rel, "r");
    char line[8192], **v = NULL;

    *n = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        v = realloc(v, (*n + 2) * sizeof(*v));
        assert_non_null(v);
        v[(*n)++] = strdup(line);
        v[*n] = NULL;
    }
    fclose(f);
    return v;
}

static void lines_free(char **v)
{
    size_t i;

    for (i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static size_t count_char(const char *s, char c)
{
    size_t n = 0;

    for (; *s; s++)
        n += *s == c;
    return n;
}

/* The first `k` comma fields of a CSV line, for row identity. */
static void fields(const char *line, int k, char *out, size_t len)
{
    size_t i;
    int seen = 0;

    for (i = 0; line[i] && i + 1 < len; i++) {
        if (line[i] == ',' && ++seen == k)
            break;
        out[i] = line[i];
    }
    out[i] = '\0';
}

static void test_show_stat_csv(void **state)
{
    struct lb_daemon *d = daemon_of();
    struct lb_stat_filter f = {-1, LB_STAT_TYPE_ALL, -1, NULL, NULL};
    struct lk_sb sb = LK_SB_INIT;
    char **want, a[256], b[256], *line, *save = NULL;
    size_t n, i = 0;

    want = fixture_lines("lbd/haproxy-2.6/haproxy-show-stat.csv", &n);
    lb_stats_csv(&sb, d, &f, 1);
    assert_non_null(sb.buf);
    for (line = strtok_r(sb.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
        if (i >= n || !want[i][0])
            fail_msg("lbd has more rows than HAProxy: '%s'", line);
        if (i == 0) { /* the header, byte for byte */
            assert_string_equal(line, want[0]);
            continue;
        }
        fields(line, 2, a, sizeof(a));
        fields(want[i], 2, b, sizeof(b));
        if (strcmp(a, b) != 0)
            fail_msg("row %zu: lbd '%s', HAProxy '%s'", i, a, b);
        if (count_char(line, ',') != count_char(want[i], ','))
            fail_msg("row %zu (%s): %zu fields, HAProxy %zu", i, a, count_char(line, ',') + 1,
                     count_char(want[i], ',') + 1);
    }
    assert_true(i == n || !want[i][0]);
    lk_sb_free(&sb);
    lines_free(want);
    daemon_done(d);
}

static void test_show_stat_filter(void **state)
{
    struct lb_daemon *d = daemon_of();
    struct lb_stat_filter f = {-1, LB_STAT_TYPE_SRV, -1, "webservers", NULL};
    struct lk_sb sb = LK_SB_INIT;

    lb_stats_csv(&sb, d, &f, 0);
    assert_non_null(sb.buf);
    assert_int_equal(count_char(sb.buf, '\n'), 2);
    assert_non_null(strstr(sb.buf, "webservers,web1,"));
    assert_non_null(strstr(sb.buf, "webservers,web2,"));
    assert_null(strstr(sb.buf, "BACKEND"));
    lk_sb_free(&sb);
    daemon_done(d);
}

static void test_servers_state(void **state)
{
    struct lb_daemon *d = daemon_of();
    struct lk_sb sb = LK_SB_INIT;
    char **want, *line, *save = NULL;
    size_t n, i = 0;

    want = fixture_lines("lbd/haproxy-2.6/haproxy-show-servers-state.txt", &n);
    assert_int_equal(lb_stats_servers_state(&sb, d, NULL), 0);
    for (line = strtok_r(sb.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
        if (i < 2) { /* version and header lines */
            assert_string_equal(line, want[i]);
            continue;
        }
        if (count_char(line, ' ') != count_char(want[i], ' '))
            fail_msg("line '%s': not HAProxy's %zu fields", line, count_char(want[i], ' ') + 1);
        /* be_name srv_id srv_name srv_addr are the same as the capture's */
        assert_int_equal(
            strncmp(strchr(line, ' '), strchr(want[i], ' '),
                    (size_t)(strstr(want[i], "10.77.0.3") + 11 - strchr(want[i], ' '))),
            0);
    }
    assert_int_equal(i, 4);
    assert_int_equal(lb_stats_servers_state(&sb, d, "nosuch"), -ENOENT);
    lk_sb_free(&sb);
    lines_free(want);
    daemon_done(d);
}

static void test_show_info_keys(void **state)
{
    struct lb_daemon *d = daemon_of();
    struct lk_sb sb = LK_SB_INIT;
    char **want, *line, *save = NULL;
    size_t n, i = 0, k;

    want = fixture_lines("lbd/haproxy-2.6/haproxy-show-info.txt", &n);
    lb_stats_info(&sb, d, 0);
    assert_non_null(sb.buf);
    /* every key of HAProxy's, in HAProxy's order */
    for (line = strtok_r(sb.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
        if (i >= n || !strchr(want[i], ':'))
            fail_msg("lbd has more keys than HAProxy: '%s'", line);
        k = (size_t)(strchr(want[i], ':') - want[i]) + 1;
        if (strncmp(line, want[i], k) != 0)
            fail_msg("key %zu: lbd '%s', HAProxy '%.*s'", i, line, (int)k, want[i]);
    }
    assert_true(i == n || !want[i][0]);
    lk_sb_free(&sb);
    lines_free(want);
    daemon_done(d);
}

/* The workers' totals set to these values, then the second's sampling. */
static void tick_at(struct lb_daemon *d, uint64_t fe_conns, uint64_t fe_reqs, uint64_t srv_conns)
{
    struct lb_proxy *fe = lb_cfg_find_proxy(d->cfg, "http-in", LB_CAP_FE);
    struct lb_proxy *be = lb_cfg_find_proxy(d->cfg, "webservers", LB_CAP_BE);

    atomic_store(&fe->cum_conns, fe_conns);
    atomic_store(&fe->req_tot, fe_reqs);
    atomic_store(&lb_server_find(be, "web1")->cum_conns, srv_conns);
    lb_stats_tick(d);
}

/* "clear counters all" zeroes the totals the rates are sampled from: the
 * next second's rate counts from zero, not from the total before the clear
 * (which wrapped to ~4e9 and stayed as rate_max). */
static void test_rate_after_clear(void **state)
{
    struct lb_daemon *d = daemon_of();
    struct lb_proxy *fe = lb_cfg_find_proxy(d->cfg, "http-in", LB_CAP_FE);
    struct lb_server *s =
        lb_server_find(lb_cfg_find_proxy(d->cfg, "webservers", LB_CAP_BE), "web1");
    /* totals given to tick_at(), then the rates and maxima wanted */
    static const struct {
        int clear; /* before the tick: 0 none, 1 clear counters, 2 all */
        uint64_t fe_conns, fe_reqs, srv_conns;
        unsigned want[6]; /* fe rate, max, req rate, max, server rate, max */
    } steps[] = {
        {0, 100, 80, 60, {100, 100, 80, 80, 60, 60}},
        {2, 5, 4, 3, {5, 5, 4, 4, 3, 3}},
        {1, 7, 4, 3, {2, 2, 0, 0, 0, 0}}, /* without "all" the sample stays */
    };
    size_t i;

    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        unsigned got[6];

        if (steps[i].clear)
            lb__admin_clear_counters(d, steps[i].clear == 2);
        tick_at(d, steps[i].fe_conns, steps[i].fe_reqs, steps[i].srv_conns);
        got[0] = fe->rate, got[1] = fe->rate_max, got[2] = fe->req_rate;
        got[3] = fe->req_rate_max, got[4] = s->rate, got[5] = s->rate_max;
        if (memcmp(got, steps[i].want, sizeof(got)) != 0)
            fail_msg("step %zu: rates %u/%u %u/%u %u/%u", i, got[0], got[1], got[2], got[3], got[4],
                     got[5]);
    }
    daemon_done(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_show_stat_csv),    cmocka_unit_test(test_show_stat_filter),
        cmocka_unit_test(test_servers_state),    cmocka_unit_test(test_show_info_keys),
        cmocka_unit_test(test_rate_after_clear),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
