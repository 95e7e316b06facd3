/* test_peers.c - the peers protocol codec: integers at each length
 * boundary, the handshake lines and their status codes, and table
 * definitions decoded from bytes HAProxy 2.6 sent to a capture socket
 * (tables "t_ip" store server_id,gpc0,conn_cnt,conn_cur,http_req_rate(10s)
 * expire 30m, and "t_bin" type binary len 8 store http_req_cnt), then
 * encoded back byte for byte; updates round trip for each key type. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/peers.h"

static void test_varint(void **state)
{
    static const struct {
        uint64_t v;
        size_t len;
    } cases[] = {
        {0, 1},      {239, 1},        {240, 2},         {2287, 2},       {2288, 3},
        {264431, 3}, {264432, 4},     {33818863, 4},    {33818864, 5},   {1800000, 4},
        {10000, 3},  {UINT32_MAX, 5}, {UINT64_MAX, 10}, {4328786160, 6}, {4328786159, 5},
    };
    uint8_t b[PEERS_VARINT_MAX + 2];
    uint64_t v;
    size_t i, n;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        n = peers_varint_put(b, cases[i].v);
        assert_int_equal(n, cases[i].len);
        assert_int_equal(peers_varint_get(b, n, &v), (int)n);
        assert_true(v == cases[i].v);
        /* one byte short: more needed, never a value */
        assert_int_equal(peers_varint_get(b, n - 1, &v), 0);
    }
    /* 1800000 (30m) as HAProxy wrote it */
    assert_int_equal(peers_varint_get((const uint8_t *)"\xf0\xe5\xed\x05", 4, &v), 4);
    assert_true(v == 1800000);
    /* eleven continuation bytes are no 64-bit value */
    memset(b, 0xff, sizeof(b));
    assert_int_equal(peers_varint_get(b, sizeof(b), &v), -EBADMSG);
}

static void test_hello(void **state)
{
    static const char h1[] = "HAProxyS 2.1\nlbd\nhap 17786 1\n";
    struct peers_hello h;
    uint8_t out[PEERS_HELLO_MAX];
    int st = 0, n;

    (void)state;
    assert_int_equal(peers_hello_parse((const uint8_t *)h1, sizeof(h1) - 1, &h, &st),
                     (int)sizeof(h1) - 1);
    assert_string_equal(h.to, "lbd");
    assert_string_equal(h.from, "hap");
    assert_int_equal(h.pid, 17786);
    assert_int_equal(h.minor, 1);
    /* incomplete at every cut */
    for (n = 0; n < (int)sizeof(h1) - 1; n++)
        assert_int_equal(peers_hello_parse((const uint8_t *)h1, (size_t)n, &h, &st), 0);
    /* CRLF lines and the 2.0 minor are taken */
    assert_int_equal(
        peers_hello_parse((const uint8_t *)"HAProxyS 2.0\r\na\r\nb 1 1\r\n", 24, &h, &st), 24);
    assert_int_equal(peers_hello_parse((const uint8_t *)"HAProxyS 2.2\na\nb 1 1\n", 21, &h, &st),
                     -EPROTONOSUPPORT);
    assert_int_equal(st, PEERS_ST_ERRVERSION);
    assert_int_equal(peers_hello_parse((const uint8_t *)"HAProxyS 3.0\na\nb 1 1\n", 21, &h, &st),
                     -EPROTONOSUPPORT);
    assert_int_equal(peers_hello_parse((const uint8_t *)"GET / HTTP/1.0\n", 15, &h, &st), -EPROTO);
    assert_int_equal(st, PEERS_ST_ERRPROTO);
    assert_int_equal(peers_hello_parse((const uint8_t *)"HAProxyS 2.1\na\nnopid\n", 21, &h, &st),
                     -EPROTO);
    n = peers_hello_build(out, sizeof(out), "hap", "lbd", 42);
    assert_int_equal(n, 26);
    assert_memory_equal(out, "HAProxyS 2.1\nhap\nlbd 42 1\n", 26);
    assert_int_equal(peers_hello_build(out, 10, "hap", "lbd", 42), -ENOSPC);
    assert_int_equal(peers_status_parse((const uint8_t *)"200\n", 4, &st), 4);
    assert_int_equal(st, 200);
    assert_int_equal(peers_status_parse((const uint8_t *)"50", 2, &st), 0);
    assert_int_equal(peers_status_parse((const uint8_t *)"abc\n", 4, &st), -EPROTO);
}

/* t_ip as HAProxy 2.6 defines it (its table id 1) */
static const uint8_t def_ip[] =
    "\x0a\x82\x12\x01\x04t_ip\x04\x04\xf5\x36\xf0\xe5\xed\x05\x0a\xf0\xe2\x03";
static const uint8_t def_bin[] = "\x0a\x82\x0c\x04\x05t_bin\x07\x08\xf0\x11\x00";

static void test_define(void **state)
{
    struct peers_msg m;
    struct peers_def d;
    uint8_t out[256];

    (void)state;
    assert_int_equal(peers_msg_parse(def_ip, sizeof(def_ip) - 1, &m), (int)sizeof(def_ip) - 1);
    assert_int_equal(m.cls, PEERS_CLASS_STKT);
    assert_int_equal(m.type, PEERS_STKT_DEFINE);
    assert_int_equal(peers_def_parse(m.data, m.len, &d), 0);
    assert_int_equal(d.id, 1);
    assert_int_equal(d.namelen, 4);
    assert_memory_equal(d.name, "t_ip", 4);
    assert_int_equal(d.keytype, PEERS_KT_IPV4);
    assert_int_equal(d.keylen, 4);
    assert_int_equal(d.data, (1u << 0) | (1u << 2) | (1u << 4) | (1u << 6) | (1u << 10));
    assert_int_equal(d.expire, 1800000);
    assert_int_equal(d.period[10], 10000);
    /* and written back identically */
    assert_int_equal(peers_def_build(out, sizeof(out), &d), (int)sizeof(def_ip) - 1);
    assert_memory_equal(out, def_ip, sizeof(def_ip) - 1);
    assert_int_equal(peers_def_build(out, 10, &d), -ENOSPC);

    assert_int_equal(peers_msg_parse(def_bin, sizeof(def_bin) - 1, &m), (int)sizeof(def_bin) - 1);
    assert_int_equal(peers_def_parse(m.data, m.len, &d), 0);
    assert_int_equal(d.keytype, PEERS_KT_BIN);
    assert_int_equal(d.keylen, 8);
    assert_int_equal(d.data, 1u << 9);
    assert_int_equal(peers_def_build(out, sizeof(out), &d), (int)sizeof(def_bin) - 1);
    assert_memory_equal(out, def_bin, sizeof(def_bin) - 1);

    /* a rate's period prefixed by another type number is malformed */
    {
        uint8_t bad[sizeof(def_ip)];

        memcpy(bad, def_ip, sizeof(def_ip));
        bad[17] = 0x09;
        assert_int_equal(peers_def_parse(bad + 3, sizeof(def_ip) - 4, &d), -EBADMSG);
    }
    /* truncated anywhere inside the name or the fields */
    assert_int_equal(peers_def_parse(def_ip + 3, 4, &d), -EBADMSG);
    /* an unknown data type (bit 40) is well formed but not followed */
    {
        static const uint8_t unk[] = "\x01\x01x\x04\x04\xf0\xff\xff\xff\xff\xff\x7f\x00";

        assert_int_equal(peers_def_parse(unk, sizeof(unk) - 1, &d), -ENOTSUP);
    }
}

static void test_framing(void **state)
{
    static const uint8_t ack[] = "\x0a\x84\x05\x05\x00\x00\x00\x4d";
    struct peers_msg m;
    uint8_t big[8] = {0x0a, 0x80, 0xf0, 0xff, 0x7f};
    uint64_t id;
    uint32_t up;
    uint8_t out[32];

    (void)state;
    assert_int_equal(peers_msg_parse((const uint8_t *)"\x00\x04", 2, &m), 2);
    assert_int_equal(m.cls, PEERS_CLASS_CONTROL);
    assert_int_equal(m.type, PEERS_CTL_HEARTBEAT);
    assert_int_equal(peers_msg_parse((const uint8_t *)"\x00", 1, &m), 0);
    assert_int_equal(peers_msg_parse(ack, 7, &m), 0);
    assert_int_equal(peers_msg_parse(ack, 8, &m), 8);
    assert_int_equal(peers_ack_parse(m.data, m.len, &id, &up), 0);
    assert_int_equal(id, 5);
    assert_int_equal(up, 77);
    assert_int_equal(peers_ack_build(out, sizeof(out), 5, 77), 8);
    assert_memory_equal(out, ack, 8);
    assert_int_equal(peers_ack_parse(m.data, 3, &id, &up), -EBADMSG);
    assert_int_equal(peers_msg_parse(big, 5, &m), -EMSGSIZE);
    assert_int_equal(peers_switch_build(out, sizeof(out), 300), 5);
    assert_int_equal(peers_msg_parse(out, 5, &m), 5);
    assert_int_equal(peers_switch_parse(m.data, m.len, &id), 0);
    assert_int_equal(id, 300);
}

static void round_trip(uint64_t keytype, uint64_t keylen, const char *key, size_t klen, int timed)
{
    struct peers_def d = {.id = 1, .name = "t", .namelen = 1};
    struct peers_upd u, v;
    struct peers_msg m;
    uint8_t out[512];
    int n, cut;

    memset(&u, 0, sizeof(u));
    memset(&v, 0, sizeof(v));
    d.keytype = keytype;
    d.keylen = keylen;
    d.data = (1u << 0) | (1u << 2) | (1u << 10) | (1u << 13);
    d.period[10] = 10000;
    u.with_id = 1;
    u.id = 0x01020304;
    u.timed = timed;
    u.exp_ms = 5000;
    memcpy(u.key, key, klen);
    u.keylen = klen;
    u.val[0] = 2;
    u.val[2] = 7;
    u.val[13] = 123456789012ull;
    u.ago[10] = 999;
    u.curr[10] = 3;
    u.prev[10] = 250;
    n = peers_upd_build(out, sizeof(out), &d, &u);
    assert_true(n > 0);
    assert_int_equal(peers_msg_parse(out, (size_t)n, &m), n);
    assert_int_equal(m.type, timed ? PEERS_STKT_UPDATE_TIMED : PEERS_STKT_UPDATE);
    assert_int_equal(peers_upd_parse(m.type, m.data, m.len, &d, &v), 0);
    assert_int_equal(v.id, u.id);
    assert_int_equal(v.exp_ms, timed ? 5000 : 0);
    assert_int_equal(v.keylen, klen);
    assert_memory_equal(v.key, key, klen);
    assert_true(v.val[0] == 2 && v.val[2] == 7 && v.val[13] == 123456789012ull);
    assert_true(v.ago[10] == 999 && v.curr[10] == 3 && v.prev[10] == 250);
    /* every truncation of the data is malformed, never a read past it */
    for (cut = 0; cut < (int)m.len; cut++)
        assert_int_equal(peers_upd_parse(m.type, m.data, (size_t)cut, &d, &v), -EBADMSG);
}

static void test_update(void **state)
{
    struct peers_def d = {.keytype = PEERS_KT_IPV4, .keylen = 4, .data = 1u << 2};
    struct peers_upd u;
    /* an incremental update: key 10.9.9.9, gpc0 3 */
    static const uint8_t inc[] = "\x0a\x09\x09\x09\x03";

    (void)state;
    round_trip(PEERS_KT_IPV4, 4, "\x0a\x01\x02\x03", 4, 0);
    round_trip(PEERS_KT_IPV6, 16, "0123456789abcdef", 16, 1);
    round_trip(PEERS_KT_SINT, 4, "\x00\x00\x01\x00", 4, 0);
    round_trip(PEERS_KT_STR, 32, "hello", 5, 1);
    round_trip(PEERS_KT_BIN, 8, "\x01\x02\x03\x04\x05\x06\x07\x08", 8, 0);
    memset(&u, 0, sizeof(u));
    u.id = 41;
    assert_int_equal(peers_upd_parse(PEERS_STKT_INCUPDATE, inc, 5, &d, &u), 0);
    assert_int_equal(u.with_id, 0);
    assert_int_equal(u.id, 41);
    assert_int_equal(u.val[2], 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint), cmocka_unit_test(test_hello),
        cmocka_unit_test(test_define), cmocka_unit_test(test_framing),
        cmocka_unit_test(test_update),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
