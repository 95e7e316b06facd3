/* test_cfg.c - lbd's HAProxy-dialect parser: every keyword, every error
 * message, and the lab guide's configurations. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/log.h"
#include "lbd/cfg/cfg.h"
#include "lbd/cfg/cfg_load.h"
#include "lbd/cfg/http_cfg.h"
#include "lbd/core/server.h"
#include "lbd/http/acl.h"
#include "proto/http1.h"

#define FE_BE "frontend f\n  bind 127.0.0.1:1\n  default_backend b\nbackend b\n"

struct err_case {
    const char *text;
    const char *want; /* substring of the message */
};

static const struct err_case err_cases[] = {
    {FE_BE "  balanse roundrobin\n",
     "t.cfg:5: unknown keyword 'balanse' in 'backend' section; did you mean 'balance'?"},
    {FE_BE "  frobnicate\n", "t.cfg:5: unknown keyword 'frobnicate' in 'backend' section"},
    {"global\n  nbthreads 2\n", "t.cfg:2: unknown keyword 'nbthreads' in 'global' section; did "
                                "you mean 'nbthread'?"},
    {"global\n  nbthread 0\n", "t.cfg:2: 'nbthread' expects an integer between 1 and 64"},
    {"global\n  maxconn lots\n", "t.cfg:2: 'maxconn' expects an integer"},
    {"bind :80\n", "t.cfg:1: unknown keyword 'bind' out of section"},
    {"frontend f\n  bind 1.2.3:80\n", "t.cfg:2: bind: invalid address '1.2.3:80'"},
    {"frontend f\n  bind 127.0.0.1\n", "bind: invalid address"},
    {"frontend f\n  bind :99999\n", "bind: invalid address"},
    {"frontend f\n  bind :80 ssl crt x.pem\n", "bind: option 'ssl' is not supported"},
    {"frontend f\n  bind :80\n  server s 1.2.3.4:80\n",
     "t.cfg:3: 'server' is not allowed in 'frontend' section"},
    {"frontend f\n  bind :80\n  default_backend nope\n",
     "frontend 'f': default_backend 'nope' does not exist"},
    {"frontend f\n  default_backend b\nbackend b\n", "frontend 'f' has no 'bind' line"},
    {FE_BE "  mode udp\n", "mode: expected 'tcp' or 'http', got 'udp'"},
    {FE_BE "  balance rdp-cookie\n", "balance: unknown algorithm 'rdp-cookie'"},
    {FE_BE "  balance random(0)\n", "balance random: expected 'random(<draws>)'"},
    {FE_BE "  load-server-state-from-file all\n",
     "load-server-state-from-file: expected 'global', 'local' or 'none'"},
    {FE_BE "  server s1 127.0.0.1:2\n  use-server s1 if TRUE\n",
     "use-server s1: supported in mode http only by lbd"},
    {FE_BE "  use-server %[req.hdr(x)]\n", "use-server: a name built from samples"},
    {FE_BE "  server s1 127.0.0.1:2 slowstart 10q\n", "'slowstart' expects a time"},
    {"global\n  unix-bind prefix /x colour red\n", "'unix-bind' only supports the 'prefix'"},
    {FE_BE "  ignore-persist when TRUE\n", "'ignore-persist' requires either 'if' or 'unless'"},
    {"global\n  unix-bind user no-such-user-lk\n", "'no-such-user-lk' unknown user"},
    {FE_BE "  server s1 127.0.0.1:2 minconn 2 maxconn 9\n", "'minconn' without 'fullconn'"},
    {FE_BE "  fullconn -1\n", "fullconn"},
    {FE_BE "  hash-type ring\n", "hash-type: expected 'map-based' or 'consistent'"},
    {FE_BE "  hash-type consistent fnv\n", "hash-type: unknown hash function 'fnv'"},
    {FE_BE "  hash-type consistent sdbm mix\n", "hash-type: unknown modifier 'mix'"},
    {FE_BE "  hash-balance-factor 50\n", "hash-balance-factor: expects 0 or a value of 100"},
    {FE_BE "  balance uri\n", "balance uri needs 'mode http'"},
    {FE_BE "  option tcpkeepalive\n", "unknown option 'tcpkeepalive'"},
    {FE_BE "  option tcplogg\n", "unknown option 'tcplogg'; did you mean 'tcplog'?"},
    {FE_BE "  retries many\n", "'retries' expects an integer between 0 and 100"},
    {FE_BE "  timeout connect 5x\n", "'connect' expects a time"},
    {FE_BE "  timeout sever 5s\n", "timeout: unknown kind 'sever'"},
    {FE_BE "  timeout client 5x\n", "'client' expects a time"},
    {FE_BE "  timeout connect\n", "'timeout connect' expects one value"},
    {FE_BE "  server s\n", "server 's' needs an address"},
    {FE_BE "  server s 10.0.0.1:+x\n", "server 's': invalid port offset '+x'"},
    {FE_BE "  server s db!example\n", "server 's': invalid address 'db!example'"},
    /* a name without a port maps ports (HAProxy 2.6): resolved, not refused */
    {FE_BE "  server s db.invalid\n", "t.cfg:5: server 's': cannot resolve 'db.invalid'"},
    /* port mapping in mode http too (HAProxy 2.6); its check needs a port */
    {"listen l\n  mode http\n  bind 127.0.0.1:1\n  server s 10.0.0.1 check\n",
     "t.cfg:4: backend 'l': server 's' has neither service port nor check port"},
    {"frontend f\n  bind 127.0.0.1:9-8\n", "t.cfg:2: bind: invalid port range"},
    {FE_BE "  server s 10.0.0.1:80 wieght 3\n",
     "unknown keyword 'wieght' on 'server' line; did you mean 'weight'?"},
    {FE_BE "  server s 10.0.0.1:80 weight 300\n", "'weight' expects an integer between 0 and 256"},
    {FE_BE "  server s 10.0.0.1:80 inter\n", "'inter' on 'server' line expects a value"},
    {FE_BE "  server s 10.0.0.1:80 inter 0\n", "'inter' must be greater than 0"},
    {FE_BE "  server s 10.0.0.1:80 rise 0\n", "'rise' expects an integer between 1 and 1000"},
    {FE_BE "  server s 10.0.0.1:80\n  server s 10.0.0.2:80\n",
     "server 's' already defined in backend 'b'"},
    {FE_BE "  server s 10.0.0.1:80 init-state maybe\n", "init-state: expected up, down"},
    {FE_BE "  server s 10.0.0.1:80 on-marked-down reboot\n", "on-marked-down: expected one of"},
    {"frontend f\n  bind :80\n  default_backend b\nfrontend f\n  bind :81\n",
     "frontend 'f' already defined at t.cfg:1"},
    {"global\n  log stdout format json local0\n", "log: unsupported format 'json'"},
    {"global\n  log stdout local9\n", "log: unknown facility 'local9'"},
    {"global\n  log stdout local0 chatty\n", "log: unknown level 'chatty'"},
    {"global\n  log\n", "'log' expects at least 2 arguments, got 0"},
    {"global\n  stats socket /tmp/x mode 999\n", "stats socket: invalid mode '999'"},
    {"global\n  stats socket /tmp/x level root\n", "stats socket: level must be 'user'"},
    {"global\n  stats socket 127.0.0.1:99999\n", "stats socket: invalid address '127.0.0.1:99999'"},
    {"global\n  stats socket /tmp/x mode\n", "stats socket: option 'mode' needs a value"},
    {"listen s\n  bind :9999\n  stats uri stats\n", "stats uri must start with '/'"},
    {"listen s\n  bind :9999\n  stats auth admin\n", "stats auth: expected 'user:password'"},
    {"listen s\n  bind :9999\n  stats frobnicate\n", "stats: expected 'enable'"},
    {"mailers m\n", "t.cfg:1: section 'mailers' is not supported by lbd"},
    {FE_BE "userlist u\n  user a password plain\n",
     "t.cfg:6: user 'a': password is not a crypt(3) hash"},
    {FE_BE "userlist u\n  group g users nobody\n", "userlist 'u': group 'g' names user 'nobody'"},
    /* userlist, resolvers and peers open through one function: the same
     * errors, with where the first section of the name is */
    {"userlist u\nuserlist u\n", "t.cfg:2: userlist 'u' is already defined at t.cfg:1"},
    {"userlist\n", "t.cfg:1: 'userlist' needs exactly a name"},
    {"frontend f\n  mode http\n  bind 127.0.0.1:1\n  default_backend b\n"
     "  http-request deny if { http_auth(nosuch) }\nbackend b\n  mode http\n",
     "t.cfg:5: userlist 'nosuch' is not defined"},
    {"frontend f from nodefs\n", "no defaults section named 'nodefs'"},
    {"frontend\n", "'frontend' section needs a name"},
    {"frontend f \"unterminated\n", "unterminated quote"},
    {"frontend f\n  bind :80\n  default_backend b\nbackend b\n  mode http\n",
     "frontend 'f' (mode tcp) cannot use backend 'b' (mode http)"},
    {FE_BE "  option mysql-check usr x\n", "option mysql-check: expected 'user <name>"},
    {FE_BE "  galera-check monitor\n", "galera-check: expected 'galera-check user U"},
    /* check arguments are typed at their line: a value checkd's fields
     * cannot hold is refused, not cut */
    {FE_BE "  option httpchk ABCDEFGHIJKLMNOP /\n",
     "t.cfg:5: option httpchk: 'ABCDEFGHIJKLMNOP' is longer than the 15 bytes lbd supports"},
    {"defaults\n  option httpchk\n  http-check send uri /a\n" FE_BE "  http-check send uri /b\n",
     "t.cfg:8: http-check send: a second one (at t.cfg:3 there is one)"},
    {FE_BE "  use_backend x\n", "'use_backend' is not allowed in 'backend' section"},
    {"frontend f\n  bind :80\n  default_backend b\n  use_backend b when x\nbackend b\n",
     "t.cfg:4: frontend 'f': expected 'if' or 'unless', got 'when'"},
    {FE_BE "  errorfile 503 /nonexistent/503.http\n",
     "errorfile : error opening file '/nonexistent/503.http'"},
    /* issue 13: master-worker is real; HAProxy's option of it is refused */
    {"global\n  master-worker no-exit-on-failure\n" FE_BE,
     "t.cfg:2: 'master-worker no-exit-on-failure' is not supported by lbd"},
    {"global\n  chroot relative/dir\n" FE_BE, "t.cfg:2: 'chroot' expects an absolute directory"},
    /* issue 10: a port out of range is refused, not wrapped or taken as 0 */
    {FE_BE "  server s1 127.0.0.1:99999\n", "t.cfg:5: server 's1': invalid port '99999'"},
    {FE_BE "  server s1 127.0.0.1:0\n", "t.cfg:5: server 's1': invalid port '0'"},
    {FE_BE "  server s1 localhost:70000\n", "t.cfg:5: server 's1': invalid port '70000'"},
    /* issue 10: an action lbd does not implement is refused at its line */
    {"frontend f\n  mode http\n  bind 127.0.0.1:1\n  http-request normalize-uri fragment-strip\n",
     "t.cfg:4: frontend 'f': http-request normalize-uri: action not supported by lbd"},
    /* a capture rule names a slot its frontend has (checked after the file) */
    {"frontend f\n  mode http\n  bind 127.0.0.1:1\n  http-request capture path id 0\n",
     "t.cfg:4: unable to find capture id '0' referenced by http-request capture rule"},
    {"frontend f\n  mode http\n  bind 127.0.0.1:1\n  http-response bogus-action\n",
     "t.cfg:4: frontend 'f': http-response bogus-action: action not supported by lbd"},
    /* issue 10: http-check forms checkd does not run are refused at -c */
    {FE_BE "  option httpchk\n  http-check expect hdr name x\n",
     "t.cfg:6: http-check expect: only '[comment C] [!] status|rstatus|string|rstring ARG'"},
    {FE_BE "  option httpchk\n  http-check expect status 200\n  http-check expect string ok\n",
     "t.cfg:7: http-check expect: a second one (at t.cfg:6 there is one) is not supported"},
    {FE_BE "  option httpchk\n  http-check send uri-lf /%[src]\n",
     "t.cfg:6: http-check send: 'uri-lf' not supported by lbd"},
    {FE_BE "  option httpchk\n  http-check send hdr X %[src]\n",
     "t.cfg:6: http-check send: 'hdr' not supported by lbd"},
    {FE_BE "  option httpchk\n  http-check expect status\n", "t.cfg:6: http-check expect:"},
    {FE_BE "  option httpchk\n  http-check send body-lf x\n",
     "t.cfg:6: http-check send: 'body-lf' not supported by lbd"},
    {FE_BE "  option httpchk\n  http-check send meth\n", "t.cfg:6: http-check send: 'meth'"},
    {FE_BE "  option httpchk\n  http-check connect port 80\n",
     "t.cfg:6: http-check connect: not supported by lbd"},
    {FE_BE "  option httpchk\n  http-check disable-on-404 now\n",
     "t.cfg:6: http-check disable-on-404: takes no argument"},
    {FE_BE "  option httpchk\n  http-check set-var(check.x) int(1)\n",
     "t.cfg:6: http-check set-var(check.x): not supported by lbd"},
    /* issue 11: tcp-check forms checkd does not run are refused at their line */
    {FE_BE "  option tcp-check\n  tcp-check send-lf %[src]\n",
     "t.cfg:6: tcp-check send-lf: log-format expressions (%[...]) are not supported by lbd"},
    {FE_BE "  option tcp-check\n  tcp-check expect string-lf %[src]\n",
     "t.cfg:6: tcp-check expect: 'string-lf' unexpected"},
    {FE_BE "  option tcp-check\n  tcp-check expect status-code 200 string x\n",
     "t.cfg:6: tcp-check expect: 'status-code' unexpected"},
    {FE_BE "  option tcp-check\n  tcp-check expect string x on-error %[res.payload(0,0)]\n",
     "t.cfg:6: tcp-check expect: on-error with a log-format expression is not supported"},
    {FE_BE "  option tcp-check\n  tcp-check expect ok-status L7OKC string x\n",
     "t.cfg:6: tcp-check expect: ok-status 'L7OKC' not supported by lbd"},
    {FE_BE "  option tcp-check\n  tcp-check connect port 443 ssl\n",
     "t.cfg:6: tcp-check connect: 'ssl' is not supported by lbd"},
    {FE_BE "  option tcp-check\n  tcp-check send-binary 0g\n",
     "t.cfg:6: tcp-check send-binary: '0g' is not an even-length hex string"},
    {FE_BE "  option tcp-check\n  tcp-check set-var(check.x) int(1)\n",
     "t.cfg:6: tcp-check set-var(check.x): not supported by lbd"},
    {FE_BE "  tcp-check send PING\r\n  server s 127.0.0.1:1 check\n",
     "t.cfg:5: backend 'b': tcp-check rules without 'option tcp-check'"},
    {FE_BE "  option httpchk\n  tcp-check send PING\n",
     "t.cfg:6: backend 'b': tcp-check rules without 'option tcp-check'"},
    {FE_BE "  option pgsql-check\n", "t.cfg:5: option pgsql-check: expected 'user <name>'"},
    {"frontend f\n  mode http\n  bind 127.0.0.1:1\n  default_backend b\nbackend b\n  mode "
     "http\n  retry-on 503\n",
     "t.cfg:7: backend 'b': retry-on 503: not supported by lbd"},
    /* issue 9: stats admin conditions the stats page cannot evaluate */
    {FE_BE "  stats enable\n  stats admin if nosuch_acl\n",
     "t.cfg:6: stats admin: unknown ACL 'nosuch_acl'"},
    {FE_BE "  stats enable\n  stats admin if { path /admin }\n",
     "t.cfg:6: stats admin: ACL '{anon0}' reads the request"},
    /* use_backend in mode tcp works (issue 11); what it cannot read is refused */
    {"frontend f\n  bind 127.0.0.1:1\n  use_backend b if { hdr(host) a }\n  default_backend b\n"
     "backend b\n",
     "t.cfg:3: frontend 'f': use_backend: the condition reads HTTP, which mode tcp does not have"},
    {"frontend f\n  bind 127.0.0.1:1\n  use_backend b_%[src]\n  default_backend b\nbackend b\n",
     "t.cfg:3: frontend 'f': use_backend with a name built from samples is supported in mode http"},
    {"frontend f\n  bind 127.0.0.1:1\n  http-request deny\n  default_backend b\nbackend b\n",
     "t.cfg:3: frontend 'f': http rules are not supported in mode tcp"},
    {"frontend f\n  mode http\n  bind 127.0.0.1:1\n  use_backend nope if TRUE\n",
     "t.cfg:4: frontend 'f': use_backend: no backend 'nope' in mode http"},
    /* issue 9: an acl error names the acl's own line, not the section's */
    {"frontend f\n  mode http\n  bind 127.0.0.1:1\n  acl a nosuchfetch x\n",
     "t.cfg:4: frontend 'f': unknown fetch method 'nosuchfetch'"},
};

static void test_errors(void **state)
{
    size_t i;

    for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
        char *err = load_err(err_cases[i].text);

        if (!strstr(err, err_cases[i].want))
            fail_msg("case %zu: got '%s', want '%s'", i, err, err_cases[i].want);
        free(err);
    }
}

/* lbd -c lists every error of the file, each at its own line. */
static void test_every_error(void **state)
{
    char *err = load_err("frontend f\n"
                         "  mode http\n"
                         "  bind 127.0.0.1:1\n"
                         "  bogus_kw 1\n"
                         "  acl a nosuchfetch x\n"
                         "  http-request normalize-uri path-merge-slashes\n"
                         "  default_backend b\n"
                         "backend b\n"
                         "  mode http\n"
                         "  server s1 127.0.0.1:99999\n"
                         "  balanse roundrobin\n");
    static const char *const want[] = {
        "t.cfg:4: unknown keyword 'bogus_kw'", "t.cfg:5: frontend 'f': unknown fetch method",
        "t.cfg:6: frontend 'f': http-request normalize-uri: action not supported",
        "t.cfg:10: server 's1': invalid port", "t.cfg:11: unknown keyword 'balanse'"};
    size_t i;

    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(err, want[i]))
            fail_msg("missing '%s' in '%s'", want[i], err);
    free(err);
}

/* A quoted pattern with a space is one pattern (issue 9): "foo bar" must
 * not match a header "foo". */
static void test_quoted_acl_word(void **state)
{
    static struct http1_msg m;
    struct lb_cfg *cfg = load_ok("frontend f\n"
                                 "  mode http\n"
                                 "  bind 127.0.0.1:1\n"
                                 "  acl t hdr(x-t) -i \"foo bar\"\n"
                                 "  http-request deny if t\n"
                                 "  default_backend b\n"
                                 "backend b\n"
                                 "  mode http\n");
    const char *r1 = "GET / HTTP/1.1\r\nHost: a\r\nX-T: foo bar\r\n\r\n";
    const char *r2 = "GET / HTTP/1.1\r\nHost: a\r\nX-T: foo\r\n\r\n";
    static struct lb_smp_ctx in;
    char if_kw[] = "if", t_kw[] = "t", *argv[] = {if_kw, t_kw}, *err = NULL;
    struct lb_cond *cond = NULL;

    in.rq = &m;
    assert_int_equal(lb_cond_parse(cfg->proxies->http->acls, LB_SMP_USE_REQ, 2, argv, &cond, &err),
                     0);
    assert_non_null(cond);
    http1_msg_init(&m, 16384, 0);
    assert_true(http1_parse_request((const uint8_t *)r1, strlen(r1), &m) > 0);
    in.rqbuf = (const uint8_t *)r1;
    assert_true(lb_cond_eval(cond, &in));
    http1_msg_init(&m, 16384, 0);
    assert_true(http1_parse_request((const uint8_t *)r2, strlen(r2), &m) > 0);
    in.rqbuf = (const uint8_t *)r2;
    assert_false(lb_cond_eval(cond, &in));
    lb_cond_free(cond);
    lb_cfg_free(cfg);
}

static void test_keywords(void **state)
{
    struct lb_cfg *cfg = load_ok(
        "global\n"
        "  maxconn 2000\n  nbthread 2\n  tune.bufsize 32768\n  log 127.0.0.1:5140 local0 info\n"
        "  stats socket /tmp/a.sock mode 600 level user\n  hard-stop-after 3s\n  nosplice\n"
        "  master-worker\n"
        "defaults\n  mode tcp\n  retries 5\n  timeout connect 1500ms\n  timeout client 1m\n"
        "  timeout server 30s\n  timeout queue 2s\n  timeout tunnel 1h\n  timeout check 2s\n"
        "  option redispatch\n  log global\n  maxconn 300\n"
        "frontend f\n  bind 127.0.0.1:7000,127.0.0.1:7001\n  bind :7002\n  bind *:7003\n"
        "  option tcplog\n  option tcpka\n  default_backend b\n"
        "backend b\n  balance leastconn\n"
        "  default-server inter 1s rise 3\n"
        "  server s1 127.0.0.1:8001 check inter 500 fastinter 100 downinter 2s fall 4 weight 10 "
        "maxconn 7\n"
        "  server s2 127.0.0.1:8002 backup disabled\n"
        "  server s3 localhost:8003 init-state down on-marked-down shutdown-sessions\n");
    struct lb_proxy *f = lb_cfg_find_proxy(cfg, "f", LB_CAP_FE);
    struct lb_proxy *b = lb_cfg_find_proxy(cfg, "b", LB_CAP_BE);
    struct lb_server *s1, *s2, *s3;
    int nb = 0;
    struct lb_bind *bi;

    assert_int_equal(cfg->global.maxconn, 2000);
    assert_int_equal(cfg->global.nbthread, 2);
    assert_int_equal(cfg->global.bufsize, 32768);
    assert_int_equal(cfg->global.hard_stop_after_ms, 3000);
    assert_int_equal(cfg->global.nosplice, 1);
    assert_int_equal(cfg->global.master_worker, 1);
    assert_non_null(cfg->global.logs);
    assert_int_equal(cfg->global.logs->kind, LB_LOG_UDP);
    assert_int_equal(lk_addr_port(&cfg->global.logs->addr), 5140);
    assert_int_equal(cfg->global.logs->facility, 16);
    assert_int_equal(cfg->global.logs->level, LK_LOG_INFO);
    assert_string_equal(cfg->global.sockets->path, "/tmp/a.sock");
    assert_int_equal(cfg->global.sockets->mode, 0600);
    assert_int_equal(cfg->global.sockets->level, 0);
    assert_non_null(f);
    assert_non_null(b);
    for (bi = f->binds; bi; bi = bi->next)
        nb++;
    assert_int_equal(nb, 4);
    assert_int_equal(f->options & (LB_OPT_TCPLOG | LB_OPT_TCPKA | LB_OPT_REDISPATCH),
                     LB_OPT_TCPLOG | LB_OPT_TCPKA | LB_OPT_REDISPATCH);
    assert_int_equal(f->maxconn, 300);
    assert_int_equal(f->to.client, 60000);
    assert_true(f->log_global);
    assert_ptr_equal(f->default_backend, b);
    assert_int_equal(b->retries, 5);
    assert_int_equal(b->to.connect, 1500);
    assert_int_equal(b->to.server, 30000);
    assert_int_equal(b->to.queue, 2000);
    assert_int_equal(b->to.tunnel, 3600000);
    assert_int_equal(b->to.check, 2000);
    assert_int_equal(b->algo, LB_ALGO_LEASTCONN);
    assert_int_equal(b->nservers, 3);
    s1 = lb_server_find(b, "s1");
    s2 = lb_server_find(b, "s2");
    s3 = lb_server_find(b, "s3");
    assert_true(s1->flags & LB_SRV_F_CHECK);
    assert_int_equal(s1->inter, 500);
    assert_int_equal(s1->fastinter, 100);
    assert_int_equal(s1->downinter, 2000);
    assert_int_equal(s1->rise, 3); /* from default-server */
    assert_int_equal(s1->fall, 4);
    assert_int_equal(s1->weight, 10);
    assert_int_equal(s1->maxconn, 7);
    assert_int_equal(s1->puid, 1);
    assert_int_equal(atomic_load(&s1->state), LB_SRV_UP);
    assert_true(s2->flags & LB_SRV_F_BACKUP);
    assert_int_equal(atomic_load(&s2->state), LB_SRV_MAINT);
    assert_int_equal(s2->inter, 1000);     /* default-server */
    assert_int_equal(s2->fastinter, 1000); /* defaults to inter */
    assert_int_equal(atomic_load(&s3->state), LB_SRV_DOWN);
    assert_true(s3->shutdown_on_down);
    assert_int_equal(lk_addr_port(&s3->addr), 8003);
    lb_cfg_free(cfg);
}

static void test_defaults_inheritance(void **state)
{
    struct lb_cfg *cfg = load_ok("defaults\n  mode tcp\n  timeout connect 1s\n  balance source\n"
                                 "  option tcplog\n"
                                 "backend b1\n  server s 127.0.0.1:1\n"
                                 "defaults named\n  mode tcp\n  timeout connect 2s\n"
                                 "backend b2\n  server s 127.0.0.1:1\n"
                                 "frontend f from named\n  bind :7100\n  default_backend b1\n"
                                 "  no option tcplog\n");
    struct lb_proxy *b1 = lb_cfg_find_proxy(cfg, "b1", LB_CAP_BE);
    struct lb_proxy *b2 = lb_cfg_find_proxy(cfg, "b2", LB_CAP_BE);
    struct lb_proxy *f = lb_cfg_find_proxy(cfg, "f", LB_CAP_FE);

    assert_int_equal(b1->to.connect, 1000);
    assert_int_equal(b1->algo, LB_ALGO_SOURCE);
    /* a new defaults section starts afresh: balance and tcplog are not carried over */
    assert_int_equal(b2->to.connect, 2000);
    assert_int_equal(b2->algo, LB_ALGO_ROUNDROBIN);
    assert_int_equal(f->to.connect, 2000);
    assert_false(f->options & LB_OPT_TCPLOG);
    lb_cfg_free(cfg);
}

/* stats lines in defaults go to proxies without stats lines of their own;
 * a proxy's first stats line starts from scratch (HAProxy's uri_auth);
 * scope lines add up; show-desc joins its words. */
static void test_stats_defaults_scope(void **state)
{
    struct lb_cfg *cfg = load_ok("global\n  description a  b\n"
                                 "defaults\n  mode http\n  stats uri /st\n  stats auth u:p\n"
                                 "  stats show-node\n"
                                 "listen l1\n  bind :7101\n"
                                 "listen l2\n  bind :7102\n  stats scope l1\n  stats scope .\n"
                                 "  stats show-desc x   y z\n");
    struct lb_proxy *l1 = lb_cfg_find_proxy(cfg, "l1", LB_CAP_FE);
    struct lb_proxy *l2 = lb_cfg_find_proxy(cfg, "l2", LB_CAP_FE);

    assert_string_equal(cfg->global.description, "a b");
    assert_true(l1->stats.enabled);
    assert_string_equal(l1->stats.uri, "/st");
    assert_int_equal(l1->stats.nauth, 1);
    assert_true(l1->stats.show_node);
    assert_int_equal(l1->stats.nscope, 0);
    assert_true(l2->stats.enabled);
    assert_null(l2->stats.uri);
    assert_int_equal(l2->stats.nauth, 0);
    assert_false(l2->stats.show_node);
    assert_int_equal(l2->stats.nscope, 2);
    assert_string_equal(l2->stats.scope[1], ".");
    assert_true(l2->stats.show_desc);
    assert_string_equal(l2->stats.desc, "x y z");
    lb_cfg_free(cfg);
}

static void test_listen_section(void **state)
{
    struct lb_cfg *cfg = load_ok("listen db\n  bind 127.0.0.1:7200\n  mode tcp\n"
                                 "  server s1 127.0.0.1:3306\n");
    struct lb_proxy *l = lb_cfg_find_proxy(cfg, "db", LB_CAP_FE | LB_CAP_BE);
    /* the 1.x form with the address after the name: refused, as by HAProxy 2.6 */
    char *err = load_err("listen db 127.0.0.1:7200\n  mode tcp\n  server s1 127.0.0.1:3306\n");

    assert_non_null(strstr(err, "t.cfg:1: 'listen db 127.0.0.1:7200'"));
    assert_non_null(strstr(err, "please use the 'bind' keyword"));
    free(err);

    assert_non_null(l);
    assert_ptr_equal(l->default_backend, l);
    assert_int_equal(lk_addr_port(&l->binds->addr), 7200);
    lb_cfg_free(cfg);
}

static void test_quotes_and_comments(void **state)
{
    struct lb_cfg *cfg = load_ok("# comment\nfrontend \"my front\" # trailing\n"
                                 "  bind '127.0.0.1:7300'\n  default_backend my\\ back\n"
                                 "backend \"my back\"\n  server s 127.0.0.1:1\n");

    assert_non_null(lb_cfg_find_proxy(cfg, "my front", LB_CAP_FE));
    assert_non_null(lb_cfg_find_proxy(cfg, "my back", LB_CAP_BE));
    lb_cfg_free(cfg);
}

static void load_fixture(const char *name, struct lb_cfg **ret)
{
    char path[512], *err = NULL;

    snprintf(path, sizeof(path), "%s/tests/fixtures/lbd/%s", LK_SOURCE_DIR, name);
    if (lb_cfg_load_file(path, ret, &err) < 0)
        fail_msg("%s: %s", name, err ? err : "?");
}

static void test_guide_fig_1_3(void **state)
{
    struct lb_cfg *cfg = NULL;
    struct lb_proxy *be, *st;

    load_fixture("fig-1.3.cfg", &cfg);
    be = lb_cfg_find_proxy(cfg, "webservers", LB_CAP_BE);
    st = lb_cfg_find_proxy(cfg, "stats", LB_CAP_FE | LB_CAP_BE);
    assert_int_equal(be->mode, LB_MODE_HTTP);
    assert_int_equal(be->nservers, 2);
    assert_int_equal(be->servers[0]->inter, 500);
    assert_int_equal(be->servers[0]->fall, 3);
    assert_true(be->servers[0]->flags & LB_SRV_F_CHECK);
    assert_true(st->stats.enabled);
    assert_true(st->stats.hide_version);
    assert_string_equal(st->stats.uri, "/stats");
    assert_int_equal(st->stats.refresh_ms, 10000);
    assert_string_equal(st->stats.auth[0], "haproxy:haproxy");
    assert_int_equal(cfg->global.sockets->level, 2);
    assert_int_equal(cfg->global.sockets->mode, 0660);
    lb_cfg_free(cfg);
}

static void test_guide_fig_2_6_2_7(void **state)
{
    static const char *const files[] = {"fig-2.6.cfg", "fig-2.7.cfg"};
    struct lb_cfg *cfg = NULL;
    struct lb_proxy *fe, *be;
    size_t i;

    for (i = 0; i < 2; i++) {
        load_fixture(files[i], &cfg);
        fe = lb_cfg_find_proxy(cfg, "mariadb_cluster_frontend", LB_CAP_FE);
        be = lb_cfg_find_proxy(cfg, "galera_cluster_backend", LB_CAP_BE);
        assert_int_equal(fe->mode, LB_MODE_TCP);
        assert_true(fe->options & LB_OPT_TCPLOG);
        assert_true(be->options & LB_OPT_TCPKA);
        assert_int_equal(be->algo, LB_ALGO_ROUNDROBIN);
        assert_int_equal(be->nservers, 2);
        assert_int_equal(be->servers[1]->weight, 1);
        assert_int_equal(lk_addr_port(&fe->binds->addr), 3306);
        cfg = lb_cfg_free(cfg);
    }
}

/* An option or timeout for a side the proxy does not have: HAProxy 2.6's
 * warning, and nothing set (a frontend has no server connection to keep
 * alive or time out). */
static void test_side_ignored(void **state)
{
    struct lb_cfg *cfg = load_ok("defaults\n  mode tcp\n  timeout server 7s\n"
                                 "frontend f\n  bind 127.0.0.1:1\n  option srvtcpka\n"
                                 "  timeout server 9s\n  default_backend b\n"
                                 "backend b\n  option clitcpka\n  timeout client 3s\n"
                                 "  server s 127.0.0.1:2\n");
    struct lb_proxy *f = lb_cfg_find_proxy(cfg, "f", LB_CAP_FE);
    struct lb_proxy *b = lb_cfg_find_proxy(cfg, "b", LB_CAP_BE);

    (void)state;
    assert_false(f->options & LB_OPT_SRVTCPKA);
    assert_false(b->options & LB_OPT_CLITCPKA);
    assert_int_equal(f->to.server, 7000);
    assert_int_not_equal(b->to.client, 3000);
    lb_cfg_free(cfg);
}

static void test_debian_default(void **state)
{
    struct lb_cfg *cfg = NULL;

    char *err = NULL;

    /* stock haproxy.cfg global section: accepted, TLS/daemon warned about */
    load_fixture("debian-default.cfg", &cfg);
    assert_non_null(cfg->global.logs);
    assert_non_null(cfg->global.logs->next);
    assert_int_equal(cfg->global.logs->next->level, LK_LOG_NOTICE);
    assert_int_equal(cfg->global.stats_timeout_ms, 30000);
    /* chroot: kept, and refused at its line unless master-worker runs it */
    assert_string_equal(cfg->global.chroot, "/var/lib/haproxy");
    assert_int_equal(lb_cfg_check_chroot(cfg, 1, &err), 0);
    assert_int_equal(lb_cfg_check_chroot(cfg, 0, &err), -EINVAL);
    assert_non_null(strstr(err, "debian-default.cfg:4: 'chroot' is supported by lbd only in "
                                "master-worker mode"));
    free(err);
    lb_cfg_free(cfg);
}

static void test_file_errors(void **state)
{
    struct lb_cfg *cfg = NULL;
    char *err = NULL;

    assert_int_equal(lb_cfg_load_file("/nonexistent/lbd.cfg", &cfg, &err), -ENOENT);
    assert_non_null(strstr(err, "cannot read '/nonexistent/lbd.cfg'"));
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_every_error),
        cmocka_unit_test(test_quoted_acl_word),
        cmocka_unit_test(test_keywords),
        cmocka_unit_test(test_side_ignored),
        cmocka_unit_test(test_defaults_inheritance),
        cmocka_unit_test(test_stats_defaults_scope),
        cmocka_unit_test(test_listen_section),
        cmocka_unit_test(test_quotes_and_comments),
        cmocka_unit_test(test_guide_fig_1_3),
        cmocka_unit_test(test_guide_fig_2_6_2_7),
        cmocka_unit_test(test_debian_default),
        cmocka_unit_test(test_file_errors),
    };

    lk_log_init("test", LK_LOG_ERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
