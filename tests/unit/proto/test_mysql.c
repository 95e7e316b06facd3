/* test_mysql.c - greeting and ERR decoding on packets captured from
 * MariaDB 10.11 (copied into tests/fixtures/mariadb/), and HAProxy's check login
 * byte for byte as captured in haproxy_checks_db1.pcap. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#include "proto/mysql.h"

static size_t load(const char *name, uint8_t *buf, size_t cap)
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

static void test_greeting_sample(void **state)
{
    static const char *const files[] = {"greeting_db1_direct.bin", "greeting_via_haproxy.bin"};
    static const uint32_t ids[] = {4266, 4267};
    struct mysql_greeting g;
    struct mysql_err e;
    uint8_t buf[512];
    size_t n, i, cut;

    for (i = 0; i < 2; i++) {
        n = load(files[i], buf, sizeof(buf));
        assert_int_equal(n, 104);
        assert_int_equal(mysql_greeting_parse(buf, n, &g, &e), 104);
        assert_int_equal(g.protocol, 10);
        assert_string_equal(g.version, "5.5.5-10.11.19-MariaDB-0+deb12u1");
        assert_int_equal(g.conn_id, ids[i]);
        assert_int_equal(g.caps, 0x81fff7feu);
        assert_int_equal(g.charset, 45);
        assert_int_equal(g.status, 2);
        assert_string_equal(g.auth_plugin, "mysql_native_password");
        /* every prefix is "need more", never an error or a read past n */
        for (cut = 0; cut < n; cut++) {
            uint8_t *copy = malloc(cut ? cut : 1);

            memcpy(copy, buf, cut);
            assert_int_equal(mysql_greeting_parse(copy, cut, &g, &e), -EAGAIN);
            free(copy);
        }
    }
}

static void test_err_host_not_allowed(void **state)
{
    struct mysql_greeting g;
    struct mysql_err e;
    uint8_t buf[512];
    size_t n = load("err_host_not_allowed.bin", buf, sizeof(buf));

    assert_int_equal(n, 73);
    assert_int_equal(mysql_greeting_parse(buf, n, &g, &e), -ECONNREFUSED);
    assert_int_equal(e.code, 1130);
    assert_string_equal(e.sqlstate, "");
    assert_string_equal(e.message,
                        "Host '10.78.0.41' is not allowed to connect to this MariaDB server");
    assert_int_equal(mysql_err_parse(buf, n, &e), 73);
}

/* After the handshake an ERR carries '#' and the SQL state. */
static void test_err_access_denied(void **state)
{
    static const char msg[] = "Access denied for user 'mon'@'localhost' (using password: NO)";
    uint8_t buf[256];
    struct mysql_err e;
    size_t plen = 1 + 2 + 6 + sizeof(msg) - 1;

    buf[0] = (uint8_t)plen;
    buf[1] = buf[2] = 0;
    buf[3] = 2;
    buf[4] = 0xff;
    buf[5] = 1045 & 0xff;
    buf[6] = 1045 >> 8;
    memcpy(buf + 7, "#28000", 6);
    memcpy(buf + 13, msg, sizeof(msg) - 1);
    assert_int_equal(mysql_err_parse(buf, 4 + plen, &e), (int)(4 + plen));
    assert_int_equal(e.code, 1045);
    assert_string_equal(e.sqlstate, "28000");
    assert_string_equal(e.message, msg);
    assert_int_equal(mysql_err_parse(buf, 4 + plen - 1, &e), -EAGAIN);
}

/* Other protocols are refused at once, not waited for. */
static void test_garbage(void **state)
{
    static const struct {
        const char *b;
        size_t n;
    } junk[] = {
        {"HTTP/1.0 200 OK\r\n\r\n", 19},             /* seq 'P' */
        {"SSH-2.0-OpenSSH_9.2\r\n", 21},             /* seq '-' */
        {"\x05\x00\x00\x00\x0b\x01\x02\x03\x04", 9}, /* not protocol 10 */
        {"\x01\x00\x00\x00\x0a", 5},                 /* greeting without version */
        {"\x00\x00\x00\x00", 4},                     /* empty packet */
        {"\xff\xff\xff\x00", 4},                     /* 16 MiB greeting */
    };
    struct mysql_greeting g;
    struct mysql_err e;
    size_t i;

    for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
        assert_int_equal(mysql_greeting_parse((const uint8_t *)junk[i].b, junk[i].n, &g, &e),
                         -EBADMSG);
}

static void test_check_login(void **state)
{
    static const uint8_t want[] = {
        0x2f, 0x00, 0x00, 0x01, 0x00, 0x82, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x21, 0,
        0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
        0,    0,    0,    0,    0,    0,    0,    0,    'h',  'a',  'p',  'r',  'o',  'x',
        'y',  '_',  'c',  'h',  'e',  'c',  'k',  0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
    };
    uint8_t out[128];
    char longname[40];

    assert_int_equal(mysql_check_login(out, sizeof(out), "haproxy_check"), 56);
    assert_memory_equal(out, want, sizeof(want));
    assert_int_equal(mysql_check_login(out, 20, "haproxy_check"), -ENOSPC);
    assert_int_equal(mysql_check_login(out, sizeof(out), ""), -EINVAL);
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(mysql_check_login(out, sizeof(out), longname), -EINVAL);
}

static void test_ok_peek(void **state)
{
    static const uint8_t ok[] = {0x07, 0, 0, 2, 0x00, 0, 0, 2, 0, 0, 0};
    int kind;

    assert_int_equal(mysql_pkt_peek(ok, sizeof(ok), &kind), 11);
    assert_int_equal(kind, MYSQL_PKT_OK);
    assert_int_equal(mysql_pkt_peek(ok, 10, &kind), -EAGAIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greeting_sample),   cmocka_unit_test(test_err_host_not_allowed),
        cmocka_unit_test(test_err_access_denied), cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_check_login),       cmocka_unit_test(test_ok_peek),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
