/* test_tlog.c - the tcplog line matches HAProxy's layout field by field;
 * the record part both log lines share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
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
    r.sess.client = &cli;
    r.accept_wall_us = 1233922371443000ull; /* 06/Feb/2009:12:12:51.443 UTC */
    r.sess.frontend = "fnt";
    r.sess.backend = "bck";
    r.sess.server = "srv1";
    r.tw = 0;
    r.tc = 0;
    r.tt = 5007;
    r.bytes_read = 212;
    r.term[0] = '-';
    r.term[1] = '-';
    r.sess.retries = 3;
    n = lb_tcplog_format(line, sizeof(line), &r);
    /* the example line of HAProxy's manual, section 8.2.2 */
    assert_string_equal(line,
                        "10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- "
                        "0/0/0/0/3 0/0");
    assert_int_equal(n, strlen(line));
    r.sess.server = NULL;
    r.tc = -1;
    r.term[0] = 'S';
    r.term[1] = 'C';
    r.sess.redispatched = 1;
    r.sess.retries = 1;
    lb_tcplog_format(line, sizeof(line), &r);
    assert_non_null(strstr(line, " bck/<NOSRV> 0/-1/5007 212 SC 0/0/0/0/+1 0/0"));
    /* truncation is safe */
    assert_int_equal(lb_tcplog_format(line, 10, &r), 9);
}

/* The shared part of both records: names from the config objects, counts
 * read as they stand (the caller discounts its own session), and NULL
 * backend or server read as none. */
static void test_logsess_fill(void **state)
{
    static struct lb_proxy fe, be;
    static struct lb_server srv;
    static char fnt[] = "fnt", bck[] = "bck", srv1[] = "srv1";
    struct lb_logsess ls;
    struct lk_addr cli;

    assert_int_equal(lk_addr_parse("10.0.1.2:33313", 0, &cli), 0);
    fe.name = fnt;
    be.name = bck;
    srv.name = srv1;
    atomic_store(&fe.cur_conns, 5);
    atomic_store(&be.cur_conns, 3);
    atomic_store(&srv.cur_conns, 2);
    memset(&ls, 0, sizeof(ls));
    ls.retries = 7;
    lb_logsess_fill(&ls, &cli, &fe, &be, &srv);
    assert_ptr_equal(ls.client, &cli);
    assert_string_equal(ls.frontend, "fnt");
    assert_string_equal(ls.backend, "bck");
    assert_string_equal(ls.server, "srv1");
    assert_int_equal(ls.feconn, 5);
    assert_int_equal(ls.beconn, 3);
    assert_int_equal(ls.srvconn, 2);
    assert_int_equal(ls.retries, 7); /* left to the caller */
    lb_logsess_fill(&ls, &cli, &fe, NULL, NULL);
    assert_null(ls.backend);
    assert_null(ls.server);
    assert_int_equal(ls.beconn, 0);
    assert_int_equal(ls.srvconn, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_tcplog_format),
                                       cmocka_unit_test(test_logsess_fill)};

    return cmocka_run_group_tests(tests, NULL, NULL);
}
