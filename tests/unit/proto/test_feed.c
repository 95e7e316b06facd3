/* test_feed.c - the health feed: every message type survives an encode /
 * decode round trip, hostile lines are refused, and the command escape
 * gives back the JSON after common/cmdsrv's word splitting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/feed.h"

static void fill(struct feed_status *st, const char *id, enum feed_state s, unsigned health)
{
    memset(st, 0, sizeof(*st));
    snprintf(st->id, sizeof(st->id), "%s", id);
    snprintf(st->addr, sizeof(st->addr), "127.0.0.1:3306");
    st->state = s;
    st->health = health;
    st->rise = 2;
    st->fall = 3;
    st->kind = FEED_KIND_GALERA;
    st->result = FEED_RES_L7STS;
    st->code = 2;
    st->latency_us = 1234;
    snprintf(st->reason, sizeof(st->reason), "wsrep_local_state 2 (Donor/Desynced) \"q\"");
    st->read_only = 0;
    st->check_us = 1795707375827839ull;
    st->change_us = 1795707370000000ull;
}

static int decode_str(const char *line, struct feed_msg *m)
{
    return feed_msg_decode((const uint8_t *)line, strlen(line), m);
}

static void test_event_roundtrip(void **state)
{
    struct feed_status st;
    struct feed_msg m;
    char *line;

    fill(&st, "mysql_galera/db2", FEED_UP, 3);
    line = feed_encode_event(&st, FEED_UP, 42, 99);
    assert_non_null(line);
    assert_int_equal(line[strlen(line) - 1], '\n');
    assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
    assert_non_null(strstr(line, "\"transition\":\"going down\""));
    assert_int_equal(decode_str(line, &m), (int)strlen(line));
    assert_int_equal(m.type, FEED_MSG_EVENT);
    assert_int_equal(m.seq, 42);
    assert_int_equal(m.time_us, 99);
    assert_int_equal(m.prev, FEED_UP);
    assert_int_equal(m.n, 1);
    assert_memory_equal(m.st, &st, sizeof(st));
    feed_msg_clear(&m);
    free(line);

    line = feed_encode_event(&st, -1, 1, 1); /* a new target has no prev */
    assert_int_equal(decode_str(line, &m), (int)strlen(line));
    assert_int_equal(m.prev, -1);
    feed_msg_clear(&m);
    free(line);
}

/* A counter between its extremes is a transition, but for MAINT (checks
 * paused: frozen) and with DRAIN's direction that of UP. */
static void test_transition(void **state)
{
    static const struct {
        enum feed_state state;
        unsigned health;
        const char *want;
    } cases[] = {
        {FEED_UP, 4, NULL},         {FEED_UP, 3, "going down"},    {FEED_DOWN, 0, NULL},
        {FEED_DOWN, 1, "going up"}, {FEED_DRAIN, 3, "going down"}, {FEED_DRAIN, 4, NULL},
        {FEED_MAINT, 3, NULL},      {FEED_MAINT, 1, NULL},
    };
    struct feed_status st;
    size_t i;
    const char *got;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fill(&st, "be/s", cases[i].state, cases[i].health); /* rise 2, fall 3 */
        got = feed_transition(&st);
        if (cases[i].want)
            assert_string_equal(got, cases[i].want);
        else
            assert_null(got);
    }
}

static void test_snapshot_roundtrip(void **state)
{
    struct feed_status st[3];
    const struct feed_status *p[3] = {&st[0], &st[1], &st[2]};
    struct feed_msg m;
    char *line;
    int i;

    fill(&st[0], "web/w1", FEED_UP, 4);
    fill(&st[1], "web/w2", FEED_DOWN, 0);
    fill(&st[2], "db/\xc3\xa9t\xc3\xa9", FEED_MAINT, 0); /* UTF-8 name, ASCII on the wire */
    st[1].kind = FEED_KIND_HTTP;
    st[1].result = FEED_RES_L4CON;
    st[1].code = -1;
    line = feed_encode_snapshot(p, 3, 7, 8);
    assert_non_null(line);
    for (i = 0; line[i]; i++)
        assert_true((unsigned char)line[i] < 0x80);
    assert_int_equal(decode_str(line, &m), (int)strlen(line));
    assert_int_equal(m.type, FEED_MSG_SNAPSHOT);
    assert_int_equal(m.n, 3);
    for (i = 0; i < 3; i++)
        assert_memory_equal(&m.st[i], &st[i], sizeof(st[i]));
    feed_msg_clear(&m);
    free(line);

    line = feed_encode_snapshot(NULL, 0, 1, 1);
    assert_int_equal(decode_str(line, &m), (int)strlen(line));
    assert_int_equal(m.n, 0);
    feed_msg_clear(&m);
    free(line);
}

static void test_missed_removed(void **state)
{
    struct feed_msg m;
    char *line;

    line = feed_encode_missed(17, 5, 6);
    assert_int_equal(decode_str(line, &m), (int)strlen(line));
    assert_int_equal(m.type, FEED_MSG_MISSED);
    assert_int_equal(m.missed, 17);
    feed_msg_clear(&m);
    free(line);
    line = feed_encode_reply(1, "registered web/w1", 5, 6);
    assert_int_equal(decode_str(line, &m), (int)strlen(line));
    assert_int_equal(m.type, FEED_MSG_REPLY);
    assert_int_equal(m.ok, 1);
    assert_string_equal(m.text, "registered web/w1");
    assert_null(m.st);
    feed_msg_clear(&m);
    free(line);
    line = feed_encode_removed("web/old", 5, 6);
    assert_int_equal(decode_str(line, &m), (int)strlen(line));
    assert_int_equal(m.type, FEED_MSG_REMOVED);
    assert_string_equal(m.st->id, "web/old");
    feed_msg_clear(&m);
    free(line);
}

/* Hostile or broken lines: each refused, nothing leaks (ASan). */
static void test_bad_lines(void **state)
{
    static const char *const bad[] = {
        "",
        "null",
        "[1,2]",
        "{\"type\":\"event\"}",
        "{\"type\":\"nope\",\"seq\":1}",
        "{\"type\":\"event\",\"seq\":-1,\"target\":{\"id\":\"a\"}}",
        "{\"type\":\"event\",\"seq\":1,\"target\":{\"id\":\"a\",\"state\":\"SIDEWAYS\"}}",
        "{\"type\":\"event\",\"seq\":1,\"target\":{\"id\":\"a\",\"health\":\"3\"}}",
        "{\"type\":\"event\",\"seq\":1,\"target\":{\"id\":\"a\",\"code\":99999999}}",
        "{\"type\":\"snapshot\",\"seq\":1,\"targets\":[{\"id\":\"a\"},{}]}",
        "{\"type\":\"snapshot\",\"seq\":1,\"targets\":{}}",
        "{\"type\":\"removed\",\"seq\":1}",
        "{\"type\":\"missed\",\"seq\":1,\"count\":\"x\"}",
        "{\"type\":\"event\",\"type\":\"event\"}",
        "{\"type\":\"event\",\"seq\":1,\"target\":{\"id\":\"a\"}",
    };
    struct feed_msg m;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(decode_str(bad[i], &m), -EBADMSG);
        assert_null(m.st);
    }
}

static void test_long_strings_truncated(void **state)
{
    char line[2048], id[600];
    struct feed_msg m;

    memset(id, 'a', sizeof(id) - 1);
    id[sizeof(id) - 1] = '\0';
    snprintf(line, sizeof(line), "{\"type\":\"event\",\"seq\":1,\"target\":{\"id\":\"%s\"}}", id);
    assert_true(decode_str(line, &m) > 0);
    assert_int_equal(strlen(m.st->id), FEED_ID_MAX - 1);
    assert_int_equal(m.st->code, -1);
    assert_int_equal(m.st->read_only, -1);
    feed_msg_clear(&m);
}

static void test_target_roundtrip(void **state)
{
    struct feed_target t, u;
    char *s;

    feed_target_defaults(&t);
    snprintf(t.id, sizeof(t.id), "web/w1");
    snprintf(t.addr, sizeof(t.addr), "[::1]:8080");
    snprintf(t.owner, sizeof(t.owner), "lbd");
    t.kind = FEED_KIND_HTTP;
    t.inter_ms = 500;
    t.fastinter_ms = 100;
    t.timeout_ms = 300;
    t.fall = 3;
    snprintf(t.init, sizeof(t.init), "down");
    snprintf(t.method, sizeof(t.method), "GET");
    snprintf(t.uri, sizeof(t.uri), "/health?a=1;b=2");
    snprintf(t.version, sizeof(t.version), "HTTP/1.1");
    snprintf(t.hdrs[0], sizeof(t.hdrs[0]), "Host: shop.example");
    snprintf(t.hdrs[1], sizeof(t.hdrs[1]), "X-Path: C:\\temp");
    t.nhdrs = 2;
    t.expect = FEED_EXPECT_RSTATUS;
    t.expect_not = 1;
    snprintf(t.expect_arg, sizeof(t.expect_arg), "^5");
    s = feed_encode_target(&t);
    assert_non_null(s);
    assert_int_equal(feed_decode_target((const uint8_t *)s, strlen(s), &u), (int)strlen(s));
    assert_memory_equal(&t, &u, sizeof(t));
    free(s);

    t.kind = FEED_KIND_GALERA;
    snprintf(t.user, sizeof(t.user), "monitor");
    snprintf(t.password, sizeof(t.password), "s3cret; x");
    t.allow_donor = 1;
    s = feed_encode_target(&t);
    memset(&u, 0, sizeof(u));
    assert_true(feed_decode_target((const uint8_t *)s, strlen(s), &u) > 0);
    assert_string_equal(u.password, "s3cret; x");
    assert_int_equal(u.allow_donor, 1);
    assert_int_equal(u.nhdrs, 0); /* http part only for http targets */
    free(s);
}

/* kind external: the command line and environment travel whole; more
 * variables than FEED_EXT_ENV are refused, not cut */
static void test_target_external(void **state)
{
    static const char too_many[] =
        "{\"id\":\"b/s\",\"addr\":\"1.2.3.4:5\",\"kind\":\"external\",\"external\":{"
        "\"argv\":[\"/bin/true\"],\"env\":[\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\","
        "\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\"]}}";
    struct feed_target t, u;
    char *s;

    feed_target_defaults(&t);
    snprintf(t.id, sizeof(t.id), "b/s");
    snprintf(t.addr, sizeof(t.addr), "127.0.0.1:80");
    t.kind = FEED_KIND_EXTERNAL;
    snprintf(t.ext_argv[0], FEED_EXT_MAX, "/usr/local/bin/check db");
    snprintf(t.ext_argv[1], FEED_EXT_MAX, "NOT_USED");
    snprintf(t.ext_env[0], FEED_EXT_MAX, "PATH=/usr/bin:/bin");
    snprintf(t.ext_env[1], FEED_EXT_MAX, "HAPROXY_PROXY_NAME=a;b");
    t.next_env = 2;
    s = feed_encode_target(&t);
    assert_non_null(s);
    assert_int_equal(feed_decode_target((const uint8_t *)s, strlen(s), &u), (int)strlen(s));
    assert_memory_equal(&t, &u, sizeof(t));
    free(s);
    assert_true(feed_decode_target((const uint8_t *)too_many, strlen(too_many), &u) < 0);
}

#define NINE_HEADERS                                                                               \
    "{\"id\":\"a\",\"addr\":\"1.2.3.4:5\",\"http\":{\"headers\":[\"a\",\"a\",\"a\",\"a\",\"a\","   \
    "\"a\","                                                                                       \
    "\"a\",\"a\",\"a\"]}}"

static void test_target_bad(void **state)
{
    static const char *const bad[] = {
        "{}",
        "{\"id\":\"a\"}",
        "{\"id\":\"a\",\"addr\":\"1.2.3.4:5\",\"rise\":0}",
        "{\"id\":\"a\",\"addr\":\"1.2.3.4:5\",\"inter\":0}",
        "{\"id\":\"a\",\"addr\":\"1.2.3.4:5\",\"kind\":\"icmp\"}",
        "{\"id\":\"a\",\"addr\":\"1.2.3.4:5\",\"http\":{\"headers\":[1]}}",
        NINE_HEADERS,
        "{\"id\":\"a\",\"addr\":\"1.2.3.4:5\",\"db\":7}",
    };
    struct feed_target t;
    size_t i;

    memset(&t, 0x5a, sizeof(t));
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(feed_decode_target((const uint8_t *)bad[i], strlen(bad[i]), &t), -EBADMSG);
    assert_int_equal(((unsigned char *)&t)[0], 0x5a); /* untouched on failure */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_roundtrip),    cmocka_unit_test(test_transition),
        cmocka_unit_test(test_snapshot_roundtrip), cmocka_unit_test(test_missed_removed),
        cmocka_unit_test(test_bad_lines),          cmocka_unit_test(test_long_strings_truncated),
        cmocka_unit_test(test_target_roundtrip),   cmocka_unit_test(test_target_external),
        cmocka_unit_test(test_target_bad),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
