/* test_proxy_proto.c - proxy_proto_parse() table-driven: each v1 and v2
 * form HAProxy 2.6 was seen to take or refuse beside lbd in
 * integration.accept_proxy (port 0 and wrapping ports taken, UNKNOWN only
 * in its short form, a wrong CRC32C passed, TLVs that overrun refused),
 * with the result code and the length consumed. */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/proxy_proto.h"

#define SIG "\r\n\r\n\0\r\nQUIT\n"

struct pcase {
    const char *name;
    const char *in;
    size_t len;
    int want; /* length consumed, or the negative errno */
    uint16_t sport;
};

#define T(n, s, w, p)                                                                              \
    {                                                                                              \
        n, s, sizeof(s) - 1, w, p                                                                  \
    }

static const struct pcase cases[] = {
    T("v1 tcp4", "PROXY TCP4 192.0.2.1 198.51.100.2 40000 80\r\nGET", 44, 40000),
    T("v1 tcp6", "PROXY TCP6 2001:db8::1 ::1 5 6\r\n", 32, 5),
    T("v1 unknown", "PROXY UNKNOWN\r\nx", 15, 0),
    T("v1 unknown long", "PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n", -EPROTONOSUPPORT, 0),
    T("v1 udp4", "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", -EPROTONOSUPPORT, 0),
    T("v1 port 0", "PROXY TCP4 1.2.3.4 5.6.7.8 0 2\r\n", 32, 0),
    T("v1 port wraps", "PROXY TCP4 1.2.3.4 5.6.7.8 70000 2\r\n", 36, 4464),
    T("v1 sign", "PROXY TCP4 1.2.3.4 5.6.7.8 +5 2\r\n", -EINVAL, 0),
    T("v1 two spaces", "PROXY TCP4 1.2.3.4  5.6.7.8 5 2\r\n", -EINVAL, 0),
    T("v1 v6 in tcp4", "PROXY TCP4 ::1 5.6.7.8 5 2\r\n", -EINVAL, 0),
    T("v1 cr alone", "PROXY TCP4 1.2.3.4 5.6.7.8 5 2\rx", -EINVAL, 0),
    T("v1 no crlf yet", "PROXY TCP4 1.2.3.4 5.6.7.8 5", -EAGAIN, 0),
    T("short", "PROX", -EAGAIN, 0),
    T("http under 16", "GET / HTTP/1.0\r", -EAGAIN, 0),
    T("http", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", -ENOMSG, 0),
    T("v2 tcp4", SIG "\x21\x11\x00\x0c\xc0\x00\x02\x09\x7f\x00\x00\x01\x04\xd2\x00\x50", 28, 1234),
    T("v2 local", SIG "\x20\x00\x00\x00", 16, 0),
    T("v2 bad command",
      SIG "\x22\x11\x00\x0c\xc0\x00\x02\x09\x7f\x00\x00\x01\x04\xd2\x00\x50",
      -EINVAL,
      0),
    T("v2 version 1",
      SIG "\x11\x11\x00\x0c\xc0\x00\x02\x09\x7f\x00\x00\x01\x04\xd2\x00\x50",
      -ENOMSG,
      0),
    T("v2 short body", SIG "\x21\x11\x00\x04\xc0\x00\x02\x09", -EINVAL, 0),
    T("v2 truncated", SIG "\x21\x11\x00\x0c\xc0\x00", -EAGAIN, 0),
    T("v2 tlv overruns",
      SIG "\x21\x11\x00\x0f\xc0\x00\x02\x09\x7f\x00\x00\x01\x04\xd2\x00\x50\x02\x00\x09",
      -EINVAL,
      1234),
    T("v2 crc not checked",
      SIG "\x21\x11\x00\x13\xc0\x00\x02\x09\x7f\x00\x00\x01\x04\xd2\x00\x50\x04\x00\x04"
          "\xde\xad\xbe\xef",
      35,
      1234),
};

static void test_parse_table(void **state)
{
    struct proxy_proto_info pi;
    size_t i;
    int r;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&pi, 0, sizeof(pi));
        r = proxy_proto_parse((const uint8_t *)cases[i].in, cases[i].len, &pi);
        if (r != cases[i].want)
            fail_msg("%s: got %d, want %d", cases[i].name, r, cases[i].want);
        if ((r > 0 || r == -EINVAL) && !pi.local && pi.family && pi.sport != cases[i].sport)
            fail_msg("%s: source port %u, want %u", cases[i].name, pi.sport, cases[i].sport);
    }
}

/* What was built for send-proxy parses back (both versions). */
static void test_build_roundtrip(void **state)
{
    struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons(40001)};
    struct sockaddr_in d = {.sin_family = AF_INET, .sin_port = htons(443)};
    struct proxy_proto_info pi;
    uint8_t buf[PROXY_PROTO_MAX];
    int v, n;

    s.sin_addr.s_addr = htonl(0xc0000201);
    d.sin_addr.s_addr = htonl(0xc6336402);
    for (v = 1; v <= 2; v++) {
        n = proxy_proto_build(v, (struct sockaddr *)&s, (struct sockaddr *)&d, buf, sizeof(buf));
        assert_true(n > 0);
        assert_int_equal(proxy_proto_parse(buf, (size_t)n, &pi), n);
        assert_int_equal(pi.local, 0);
        assert_int_equal(pi.family, AF_INET);
        assert_memory_equal(pi.src, &s.sin_addr, 4);
        assert_memory_equal(pi.dst, &d.sin_addr, 4);
        assert_int_equal(pi.sport, 40001);
        assert_int_equal(pi.dport, 443);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_build_roundtrip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
