/* test_resolvers.c - resolvers sections and the server keywords of
 * run-time DNS: values, defaults (HAProxy 2.6's), server-template slots,
 * init-addr, and every refusal naming FILE:LINE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lbd/cfg/cfg.h"
#include "lbd/cfg/cfg_load.h"
#include "lbd/cfg/resolvers.h"
#include "lbd/core/server.h"

#define HEAD                                                                                       \
    "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n"       \
    "frontend f\n  bind 127.0.0.1:1\n  default_backend b\n"

static void expect_err(const char *text, const char *want)
{
    char *err = load_err(text);

    if (!strstr(err, want))
        fail_msg("want '%s' in '%s'", want, err);
    free(err);
}

static void test_section(void **state)
{
    struct lb_cfg *cfg = load_ok("resolvers dns\n  nameserver a 127.0.0.1:5353\n"
                                 "  nameserver b [::1]:53\n  resolve_retries 5\n"
                                 "  timeout resolve 2s\n  timeout retry 300ms\n  hold valid 3s\n"
                                 "  hold nx 4s\n  hold obsolete 1s\n  accepted_payload_size 1232\n"
                                 "resolvers sys\n  parse-resolv-conf\n" HEAD
                                 "backend b\n  server s x.test:80 resolvers dns init-addr none\n");
    struct lb_resolvers *r = lb_resolvers_find(cfg, "dns"), *d = lb_resolvers_find(cfg, "sys");
    struct lb_cfg *none;

    assert_non_null(r);
    assert_int_equal(r->nns, 2);
    assert_string_equal(r->ns[1].name, "b");
    assert_int_equal(r->retries, 5);
    assert_int_equal(r->timeout_resolve_ms, 2000);
    assert_int_equal(r->timeout_retry_ms, 300);
    assert_int_equal(r->hold_ms[LB_DNS_VALID], 3000);
    assert_int_equal(r->hold_ms[LB_DNS_NX], 4000);
    assert_int_equal(r->hold_ms[LB_DNS_OBSOLETE], 1000);
    assert_int_equal(r->hold_ms[LB_DNS_TIMEOUT], 30000); /* HAProxy's default */
    assert_int_equal(r->payload, 1232);
    /* defaults */
    assert_non_null(d);
    assert_int_equal(d->parse_resolv_conf, 1);
    assert_int_equal(d->retries, 3);
    assert_int_equal(d->hold_ms[LB_DNS_VALID], 10000);
    assert_int_equal(d->hold_ms[LB_DNS_OBSOLETE], 0);
    assert_int_equal(d->payload, 512);
    lb_cfg_free(cfg);
    /* no nameserver: HAProxy warns only */
    none = load_ok("resolvers dns\n" HEAD "backend b\n  server s 127.0.0.1:1\n");
    lb_cfg_free(none);
}

static void test_server_keywords(void **state)
{
    struct lb_cfg *cfg =
        load_ok("resolvers dns\n  nameserver a 127.0.0.1:5353\n" HEAD "backend b\n"
                "  default-server resolvers dns init-addr none\n"
                "  server s x.test:81 resolve-prefer ipv4 resolve-opts allow-dup-ip,ignore-weight\n"
                "  server lit 127.0.0.1:82\n"
                "  server ip x.test:83 init-addr 10.1.2.3\n");
    struct lb_proxy *be = lb_cfg_find_proxy(cfg, "b", LB_CAP_BE);
    struct lb_server *s = lb_server_find(be, "s"), *lit = lb_server_find(be, "lit"),
                     *ip = lb_server_find(be, "ip");
    char buf[LK_ADDR_STRLEN];

    assert_string_equal(s->fqdn, "x.test");
    assert_int_equal(s->dns_port, 81);
    assert_ptr_equal(s->resolvers, lb_resolvers_find(cfg, "dns"));
    assert_int_equal(s->resolve_v4, 1);
    assert_int_equal(s->resolve_opts, LB_RESOLVE_ALLOW_DUP_IP | LB_RESOLVE_IGNORE_WEIGHT);
    /* init-addr none: no address, MAINT for want of one */
    assert_int_equal(s->addr.u.sa.sa_family, AF_UNSPEC);
    assert_int_equal(s->dns_maint, 1);
    assert_int_equal(atomic_load(&s->state), LB_SRV_MAINT);
    assert_null(lit->fqdn);
    assert_int_equal(lit->dns_maint, 0);
    /* init-addr IP: that address, the port written after the name */
    assert_string_equal(lk_addr_str(&ip->addr, buf, sizeof(buf)), "10.1.2.3:83");
    assert_int_equal(atomic_load(&ip->state), LB_SRV_UP);
    lb_cfg_free(cfg);
}

static void test_template(void **state)
{
    struct lb_cfg *cfg = load_ok("resolvers dns\n  nameserver a 127.0.0.1:5353\n" HEAD "backend b\n"
                                 "  server-template web 3 w.test:80 resolvers dns init-addr none\n"
                                 "  server-template api 5-6 a.test:81 init-addr 127.0.0.9\n");
    struct lb_proxy *be = lb_cfg_find_proxy(cfg, "b", LB_CAP_BE);
    static const char *const names[] = {"web1", "web2", "web3", "api5", "api6"};
    unsigned i;

    assert_int_equal(be->nservers, 5);
    for (i = 0; i < 5; i++)
        assert_string_equal(be->servers[i]->name, names[i]);
    assert_string_equal(be->servers[2]->fqdn, "w.test");
    assert_int_equal(be->servers[4]->dns_port, 81);
    lb_cfg_free(cfg);
    /* an SRV record: no port, no name until an answer gives them */
    cfg = load_ok("resolvers dns\n  nameserver a 127.0.0.1:5353\n" HEAD "backend b\n"
                  "  server-template r 2 _http._tcp.x.test resolvers dns\n");
    be = lb_cfg_find_proxy(cfg, "b", LB_CAP_BE);
    assert_string_equal(be->servers[1]->srvrecord, "_http._tcp.x.test");
    assert_null(be->servers[1]->fqdn);
    assert_int_equal(be->servers[1]->dns_port, 0);
    assert_int_equal(be->servers[1]->dns_maint, 1);
    lb_cfg_free(cfg);
}

static void test_errors(void **state)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"resolvers dns\n  nameserver a nowhere\n" HEAD "backend b\n  server s 127.0.0.1:1\n",
         "t.cfg:2: nameserver 'a': expected IP:PORT"},
        {"resolvers dns\n  nameserver a tcp@127.0.0.1:53\n" HEAD "backend b\n",
         "t.cfg:2: nameserver 'a': only UDP"},
        {"resolvers dns\n  hold forever 1s\n", "t.cfg:2: hold: unknown status 'forever'"},
        {"resolvers dns\n  timeout query 1s\n", "t.cfg:2: timeout: unknown kind 'query'"},
        {"resolvers dns\n  accepted_payload_size 100\n", "t.cfg:2: 'accepted_payload_size'"},
        {"resolvers dns\n  nameserver a 127.0.0.1:53\nresolvers dns\n",
         "t.cfg:3: resolvers 'dns' is already defined at t.cfg:1"},
        {"resolvers dns\n  bogus 1\n", "t.cfg:2: unknown keyword 'bogus' in 'resolvers' section"},
        {HEAD "backend b\n  server s x.test:80 resolvers nope init-addr none\n",
         "t.cfg:10: server 'b/s': no resolvers section named 'nope'"},
        {HEAD "backend b\n  server s x.test:80 resolve-prefer ipv5\n",
         "t.cfg:10: resolve-prefer: expected 'ipv4' or 'ipv6'"},
        {HEAD "backend b\n  server s x.test:80 init-addr libc,,none\n", "t.cfg:10: empty"},
        {HEAD "backend b\n  server s x.invalid:80 init-addr last,libc\n",
         "t.cfg:10: server 's': cannot resolve 'x.invalid:80'"},
        {HEAD "backend b\n  server s _http._tcp.x.test init-addr none\n",
         "t.cfg:10: server 's': the SRV record '_http._tcp.x.test' needs 'resolvers'"},
        {HEAD "backend b\n  server-template s 0 x.test:80 init-addr none\n",
         "t.cfg:10: server-template: expected a number"},
        {HEAD "backend b\n  server-template s 3-2 x.test:80 init-addr none\n",
         "t.cfg:10: server-template: expected a number"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_err(cases[i].text, cases[i].want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_section),
        cmocka_unit_test(test_server_keywords),
        cmocka_unit_test(test_template),
        cmocka_unit_test(test_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
