/* test_tlog.c - the tcplog line matches HAProxy's layout field by field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lbd/core/tlog.h"

static void test_tcplog_format(void **state)
{
    struct lk_addr cli;
    struct lb_tcplog_rec r;
    char line[512];
    size_t n;

    setenv("TZ", "UTC", 1);
    tzset();
    assert_int_equal(lk_addr_parse("10.0.1.2:33313", 0, &cli), 0);
    memset(&r, 0, sizeof(r));
    r.client = &cli;
    r.accept_wall_us = 1233922371443000ull; /* 06/Feb/2009:12:12:51.443 UTC */
    r.frontend = "fnt";
    r.backend = "bck";
    r.server = "srv1";
    r.tw = 0;
    r.tc = 0;
    r.tt = 5007;
    r.bytes_read = 212;
    r.term[0] = '-';
    r.term[1] = '-';
    r.retries = 3;
    n = lb_tcplog_format(line, sizeof(line), &r);
    /* the example line of HAProxy's manual, section 8.2.2 */
    assert_string_equal(line,
                        "10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- "
                        "0/0/0/0/3 0/0");
    assert_int_equal(n, strlen(line));
    r.server = NULL;
    r.tc = -1;
    r.term[0] = 'S';
    r.term[1] = 'C';
    r.redispatched = 1;
    r.retries = 1;
    lb_tcplog_format(line, sizeof(line), &r);
    assert_non_null(strstr(line, " bck/<NOSRV> 0/-1/5007 212 SC 0/0/0/0/+1 0/0"));
    /* truncation is safe */
    assert_int_equal(lb_tcplog_format(line, 10, &r), 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_tcplog_format)};

    return cmocka_run_group_tests(tests, NULL, NULL);
}
