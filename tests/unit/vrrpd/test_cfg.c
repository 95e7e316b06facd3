/* test_cfg.c - Keepalived's dialect: the lab guide's Figures 1.5 and 2.8
 * load as written, every keyword vrrpd supports lands in the right field,
 * and mistakes give FILE:LINE errors with hints. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto/vrrp_pkt.h"
#include "vrrpd/cfg.h"
#include "vrrpd/daemon.h"

#define FIX LK_SOURCE_DIR "/tests/fixtures/vrrpd/"

static uint32_t ip4(const char *s)
{
    struct in_addr a;

    assert_int_equal(inet_pton(AF_INET, s, &a), 1);
    return a.s_addr;
}

static struct vr_inst_cfg *first_inst(struct vr_cfg *cfg)
{
    assert_false(lk_list_empty(&cfg->instances));
    return LK_LIST_ELEM(cfg->instances.next, struct vr_inst_cfg, link);
}

static void check_guide(const char *file,
                        const char *vip,
                        bool master,
                        uint8_t prio,
                        uint32_t interval_ms)
{
    struct vr_cfg *cfg = NULL;
    struct vr_script_cfg *s;
    struct vr_inst_cfg *i;
    char *err = NULL;

    assert_int_equal(vr_cfg_load_file(file, &cfg, &err), 0);
    assert_null(err);
    assert_true(cfg->script_security);
    assert_string_equal(cfg->script_user, "root");
    s = vr_cfg_find_script(cfg, "check_haproxy");
    assert_non_null(s);
    assert_string_equal(s->script, "service haproxy status");
    assert_int_equal(s->interval_ms, interval_ms);
    assert_int_equal(s->weight, -10);
    i = first_inst(cfg);
    assert_string_equal(i->name, "V1_1");
    assert_string_equal(i->ifname, "ens160");
    assert_int_equal(i->want_master, master);
    assert_int_equal(i->vrid, 11);
    assert_int_equal(i->priority, prio);
    assert_int_equal(i->version, 2); /* Keepalived's default */
    assert_int_equal(i->adver_cs, 100);
    assert_int_equal(i->auth_type, VRRP_PKT_AUTH_PASS);
    assert_memory_equal(i->auth, "algumaco", 8); /* first 8 characters */
    assert_int_equal(i->nvips, 1);
    assert_int_equal(i->vips[0].addr, ip4(vip));
    assert_int_equal(i->vips[0].prefix, 32);
    assert_int_equal(i->nscripts, 1);
    assert_string_equal(i->scripts[0].name, "check_haproxy");
    assert_true(i->preempt);
    assert_true(i->fast_takeover);
    assert_int_equal(i->garp_repeat, 5);
    assert_int_equal(i->garp_delay_ms, 5000);
    vr_cfg_free(cfg);
}

static void guide_figures(void **state)
{
    check_guide(FIX "keepalived-fig-1.5.conf", "192.168.1.200", true, 101, 1000);
    check_guide(FIX "keepalived-fig-2.8-haproxy03.conf", "192.168.1.250", true, 101, 1000);
    check_guide(FIX "keepalived-fig-2.8-haproxy04.conf", "192.168.1.250", false, 100, 2000);
    check_guide(LK_SOURCE_DIR "/deploy/examples/keepalived-fig-1.5.conf", "192.168.1.200", true,
                101, 1000);
    check_guide(LK_SOURCE_DIR "/deploy/examples/keepalived-fig-2.8.conf", "192.168.1.250", true,
                101, 1000);
}

static void track_lbd_example(void **state)
{
    struct vr_cfg *cfg = NULL;
    struct vr_inst_cfg *i;
    char *err = NULL;

    assert_int_equal(
        vr_cfg_load_file(LK_SOURCE_DIR "/deploy/examples/vrrpd-track-lbd.conf", &cfg, &err), 0);
    i = first_inst(cfg);
    assert_string_equal(i->lbd.socket, "/run/lbkit/lbd-master.sock");
    assert_int_equal(i->lbd.weight, -10);
    assert_int_equal(i->lbd.timeout_ms, 1500);
    assert_int_equal(i->nscripts, 0);
    vr_cfg_free(cfg);
}

static const char full[] =
    "global_defs {\n router_id lb1\n vrrp_version 3\n fast_takeover off\n"
    " notification_email { a@b.c }\n vrrp_garp_master_refresh 60\n}\n"
    "vrrp_script chk { script /bin/true\n interval 0.5\n timeout 2\n rise 2\n fall 3\n"
    " weight -20\n user nobody nogroup\n}\n"
    "vrrp_instance VI_2 {\n interface veth0\n state BACKUP\n virtual_router_id 51\n"
    " priority 150\n advert_int 0.05\n nopreempt\n preempt_delay 2.5\n"
    " virtual_ipaddress {\n  10.0.0.1/24 dev veth1 label veth1:0\n  10.0.0.2\n }\n"
    " virtual_ipaddress_excluded { 10.0.1.1 }\n"
    " track_script { chk weight -5 }\n track_interface {\n  eth9\n  eth8 weight -3\n }\n"
    " track_lbd {\n  socket /run/lbkit/lbd.sock\n  weight -30\n  timeout 800\n }\n"
    " unicast_src_ip 192.0.2.1\n unicast_peer {\n  192.0.2.2\n  192.0.2.3\n }\n"
    " notify_master \"/x/notify.sh master\"\n notify /x/all.sh\n garp_master_delay 1\n"
    " garp_master_repeat 3\n fast_takeover on\n}\n";

static void all_keywords(void **state)
{
    struct vr_cfg *cfg = NULL;
    struct vr_script_cfg *s;
    struct vr_inst_cfg *i;
    char *err = NULL;

    assert_int_equal(vr_cfg_load_mem("full.conf", full, &cfg, &err), 0);
    assert_string_equal(cfg->router_id, "lb1");
    s = vr_cfg_find_script(cfg, "chk");
    assert_int_equal(s->interval_ms, 500);
    assert_int_equal(s->timeout_ms, 2000);
    assert_int_equal(s->rise, 2);
    assert_int_equal(s->fall, 3);
    assert_int_equal(s->weight, -20);
    assert_string_equal(s->user, "nobody");
    assert_string_equal(s->group, "nogroup");
    i = vr_cfg_find_inst(cfg, "VI_2");
    assert_non_null(i);
    assert_int_equal(i->version, 3);
    assert_int_equal(i->adver_cs, 5);
    assert_false(i->preempt);
    assert_int_equal(i->preempt_delay_ms, 2500);
    assert_true(i->fast_takeover); /* the instance overrides global_defs */
    assert_int_equal(i->nvips, 3);
    assert_int_equal(i->vips[0].prefix, 24);
    assert_string_equal(i->vips[0].dev, "veth1");
    assert_true(i->vips[2].excluded);
    assert_int_equal(i->scripts[0].weight, -5);
    assert_true(i->scripts[0].has_weight);
    assert_int_equal(i->nifaces, 2);
    assert_string_equal(i->ifaces[1].name, "eth8");
    assert_int_equal(i->ifaces[1].weight, -3);
    assert_string_equal(i->lbd.socket, "/run/lbkit/lbd.sock");
    assert_int_equal(i->lbd.weight, -30);
    assert_int_equal(i->lbd.timeout_ms, 800);
    assert_int_equal(i->ucast_src, ip4("192.0.2.1"));
    assert_int_equal(i->npeers, 2);
    assert_int_equal(i->peers[1], ip4("192.0.2.3"));
    assert_string_equal(i->notify.cmd[VR_NOTIFY_MASTER], "/x/notify.sh master");
    assert_string_equal(i->notify.cmd[VR_NOTIFY_ANY], "/x/all.sh");
    assert_int_equal(i->garp_delay_ms, 1000);
    assert_int_equal(i->garp_repeat, 3);
    assert_int_equal(i->garp_refresh_ms, 60000); /* from global_defs */
    vr_cfg_free(cfg);
}

struct bad {
    const char *text;
    const char *err;
};

static const struct bad bads[] = {
    {"vrrp_instance X {\n interface eth0\n virtual_router_id 1\n priorty 100\n}\n",
     "t.conf:4: unknown keyword 'priorty' in 'vrrp_instance' block; did you mean 'priority'?"},
    {"global_defs {\n bogus_thing\n}\n",
     "t.conf:2: unknown keyword 'bogus_thing' in 'global_defs' block"},
    {"vrrp_instance X {\n virtual_router_id 256\n}\n",
     "t.conf:2: 'virtual_router_id': '256' is not a number in [1, 255]"},
    {"vrrp_instance X {\n interface eth0\n virtual_router_id 1\n"
     " virtual_ipaddress { 10.0.0.1 }\n advert_int 0.5\n}\n",
     "t.conf:1: vrrp_instance 'X': advert_int must be whole seconds with VRRP version 2 (use "
     "vrrp_version 3 for sub-second intervals)"},
    {"vrrp_instance X {\n interface eth0\n virtual_router_id 1\n"
     " virtual_ipaddress { 10.0.0.1 }\n track_script { nope }\n}\n",
     "t.conf:1: vrrp_instance 'X': track_script 'nope' is not defined (Keepalived drops it with a "
     "warning and runs untracked): define the vrrp_script or remove the line"},
    {"vrrp_instance X {\n interface eth0\n}\n",
     "t.conf:1: vrrp_instance 'X': 'virtual_router_id' is missing"},
    {"vrrp_instance X {\n virtual_router_id 1\n}\n",
     "t.conf:1: vrrp_instance 'X': 'interface' is missing (and no default_interface)"},
    {"vrrp_instance X {\n interface eth0\n", "t.conf: end of file inside a 'vrrp_instance' block "
                                             "(missing '}')"},
    {"}\n", "t.conf:1: '}' without an open block"},
    {"vrrp_instance X {\n virtual_ipaddress {\n 10.0.0.300\n }\n}\n",
     "t.conf:3: '10.0.0.300' is not an IPv4 or IPv6 address"},
    /* IPv6 (Keepalived's family rules; v2 is IPv4's) */
    {"vrrp_instance X {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n"
     " fd00::1/64\n 10.0.0.1\n }\n}\n",
     "t.conf:6: '10.0.0.1': address family must match the instance's (IPv6, set by its first "
     "virtual_ipaddress); put it in virtual_ipaddress_excluded or in another vrrp_instance"},
    {"vrrp_instance X {\n interface eth0\n virtual_router_id 1\n native_ipv6\n"
     " virtual_ipaddress {\n 10.0.0.1\n }\n}\n",
     "t.conf:1: vrrp_instance 'X': native_ipv6 with an IPv4 virtual_ipaddress: move the IPv4 "
     "addresses to virtual_ipaddress_excluded or to another vrrp_instance"},
    {"vrrp_instance X {\n interface eth0\n virtual_router_id 1\n version 2\n"
     " virtual_ipaddress {\n fd00::1\n }\n}\n",
     "t.conf:1: vrrp_instance 'X': VRRP version 2 is IPv4 only (RFC 3768): an IPv6 instance runs "
     "version 3; remove 'version 2' from this instance"},
    {"vrrp_instance X {\n interface eth0\n virtual_router_id 1\n unicast_peer {\n fd00::2\n"
     " }\n}\n",
     "t.conf:1: vrrp_instance 'X': an IPv6 unicast_peer in an IPv4 instance"},
    {"vrrp_instance X {\n interface eth0\n virtual_router_id 1\n unicast_peer {\n 10.0.0.2\n"
     " }\n virtual_ipaddress {\n fd00::1\n }\n}\n",
     "t.conf:1: vrrp_instance 'X': an IPv4 unicast_peer in an IPv6 instance"},
    {"vrrp_instance X {\n virtual_ipaddress {\n fd00::1 label x\n }\n}\n",
     "t.conf:3: 'label' applies to IPv4 addresses only"},
    {"vrrp_instance X {\n virtual_ipaddress {\n fd00::1/129\n }\n}\n",
     "t.conf:3: 'fd00::1/129' is not an IPv4 or IPv6 address"},
    {"vrrp_instance X {\n authentication {\n auth_type AH\n }\n}\n",
     "t.conf:3: auth_type 'AH' is not supported (PASS is; AH was dropped by RFC 3768)"},
    {"vrrp_instance X {\n nopreempt {\n}\n", "t.conf:2: 'nopreempt' does not take a block"},
    {"vrrp_instance X\n", "t.conf:1: 'vrrp_instance' must be followed by a '{' block"},
    {"vrrp_script chk\n script /bin/true\n}\n",
     "t.conf:1: 'vrrp_script' must be followed by a '{' block"},
    {"vrrp_instance X {\n track_lbd {\n weight 5\n }\n}\n",
     "t.conf:3: 'weight': '5' is not a number in [-254, 0]"},
    {"vrrp_instance X {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 1.1.1.1 }\n"
     "}\nvrrp_instance Y {\n interface eth0\n virtual_router_id 1\n"
     " virtual_ipaddress { 1.1.1.2 }\n}\n",
     "t.conf:6: vrrp_instance 'Y': another instance has the same interface, family and VRID"},
    /* Keepalived has no per-instance notify FIFO either */
    {"vrrp_instance X {\n notify_fifo /run/x\n}\n",
     "t.conf:2: 'notify_fifo' belongs in global_defs (Keepalived has no per-instance FIFO): its "
     "lines name the instance"},
    {"vrrp_instance X {\n interface eth0\n virtual_router_id 1\n track_file { nope }\n}\n",
     "t.conf:1: vrrp_instance 'X': track_file 'nope' is not defined"},
    {"vrrp_instance X {\n interface eth0\n virtual_router_id 1\n track_process { p }\n}\n",
     "t.conf:1: vrrp_instance 'X': track_process 'p' is not defined (vrrp_track_process)"},
    {"vrrp_track_process p {\n process nginx\n interval 10\n}\n",
     "t.conf:3: unknown keyword 'interval' in 'vrrp_track_process' block: it belongs in "
     "'vrrp_script'"},
    {"vrrp_instance X {\n interface eth0\n virtual_router_id 1\n use_vmac\n"
     " virtual_ipaddress { fd00::1 }\n}\n",
     "t.conf:1: vrrp_instance 'X': use_vmac with an IPv6 instance is not supported by vrrpd (IPv4 "
     "instances only)"},
    /* keywords of another block, as real files have them */
    {"enable_script_security\n",
     "t.conf:1: unknown keyword 'enable_script_security' in 'top level' block: it belongs in "
     "'global_defs'"},
    {"global_defs {\n garp_master_delay 3\n}\n",
     "t.conf:2: unknown keyword 'garp_master_delay' in 'global_defs' block: it is a "
     "'vrrp_instance' keyword; here it is 'vrrp_garp_master_delay'"},
    {"vrrp_instance X {\n interface eth0\n lvs_sync_daemon_interface eth0\n}\n",
     "t.conf:3: 'lvs_sync_daemon_interface' (LVS connection sync) is not supported by vrrpd: it "
     "has no IPVS sync daemon; remove the line unless IPVS rules need their connections copied "
     "to the backup"},
    {"global_defs {\n lvs_sync_daemon eth0 VI_1\n}\n",
     "t.conf:2: 'lvs_sync_daemon' (LVS connection sync) is not supported by vrrpd: it has no "
     "IPVS sync daemon; remove the line unless IPVS rules need their connections copied to the "
     "backup"},
    {"vrrp_track_process p {\n param_match fuzzy\n}\n",
     "t.conf:2: 'param_match' expects partial or initial, not 'fuzzy'"},
    {"track_file f {\n weight 2\n}\n", "t.conf: track_file 'f' has no 'file'"},
    {"vrrp_sync_group G {\n group {\n A\n }\n}\n",
     "t.conf:1: vrrp_sync_group 'G': no vrrp_instance 'A'"},
    {"vrrp_sync_group G {\n track_script { s }\n}\n",
     "t.conf:2: 'track_script' in a vrrp_sync_group is not supported by vrrpd: put it in each "
     "member vrrp_instance (a failure there puts the whole group in FAULT)"},
    {"virtual_server 10.0.0.1 80 {\n lb_algo rr\n}\n",
     "t.conf:1: 'virtual_server' (LVS) is not supported by vrrpd: vrrpd is only the VRRP half of "
     "Keepalived; balance with lbd (docs/lbd.md)"},
    {"vrrp_instance X {\n virtual_ipaddress {\n 10.0.0.1/24 peer 10.0.0.2\n }\n}\n",
     "t.conf:3: virtual_ipaddress option 'peer' is not supported by vrrpd (dev, label, scope, brd "
     "are)"},
    {"vrrp_instance X {\n virtual_routes {\n 10.1.0.0/16 via 10.0.0.1 onlink x\n }\n}\n",
     "t.conf:3: virtual_routes option 'onlink' is not supported by vrrpd (via, src, dev, metric, "
     "table, scope, blackhole/unreachable/prohibit are)"},
    {"vrrp_instance X {\n virtual_rules {\n from 10.0.0.1\n }\n}\n",
     "t.conf:3: virtual_rules entry without 'table'"},
    {"vrrp_instance X {\n notify_master /x.sh master\n}\n",
     "t.conf:2: 'notify_master': user 'master' does not exist (Keepalived drops such a script; "
     "quote the command if 'master' is one of its arguments)"},
    {"vrrp_script s {\n script /bin/true\n weight -2 upside\n}\n",
     "t.conf:3: 'weight -2 upside': expected 'reverse' after the weight"},
};

static const char fidelity[] =
    "global_defs {\n"
    " vrrp_notify_fifo /run/v.fifo\n"
    " vrrp_notify_fifo_script \"/x/read.sh arg\" nobody\n"
    " notify_fifo /run/all.fifo\n"
    " vrrp_notify_priority_changes\n"
    " vrrp_garp_lower_prio_repeat 2\n"
    " vrrp_higher_prio_send_advert on\n"
    " vrrp_startup_delay 5.5\n"
    " vrrp_min_garp\n"
    "}\n"
    "track_file tf {\n file /run/tf\n weight -3 reverse\n init_file 7 overwrite\n}\n"
    "vrrp_track_process tp {\n process /usr/sbin/haproxy -f /etc/h.cfg\n param_match initial\n"
    " quorum 2\n quorum_max 4\n delay 1.5\n full_command\n weight -10\n}\n"
    "vrrp_script s {\n script /bin/true\n weight -20 reverse\n}\n"
    "vrrp_sync_group G {\n group {\n A B\n }\n notify_master \"/x/g.sh m\"\n}\n"
    "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n notify_priority_changes off\n"
    " notify_backup \"/x/b.sh arg\" nobody nogroup\n"
    " garp_lower_prio_delay 3\n higher_prio_send_advert off\n track_script { s }\n"
    " track_file { tf weight 2 }\n track_process { tp }\n"
    " unicast_src_ip 10.0.0.2/24\n unicast_peer { 10.0.0.3/24 }\n"
    " virtual_ipaddress {\n 10.0.0.9/24 brd + dev eth1 scope link label eth1:v\n }\n"
    " virtual_routes {\n 10.9.0.0/16 via 10.0.0.1 table 100 metric 7\n"
    " src 10.0.0.9 to 10.8.0.0/16 dev eth0\n blackhole 10.66.0.0/16\n }\n"
    " virtual_rules {\n from 10.0.0.9/32 table 100 priority 50\n to 10.7.0.0/16 lookup main\n }\n"
    "}\n"
    "vrrp_instance B {\n interface eth0\n virtual_router_id 2\n mcast_src_ip 10.0.0.4\n}\n";

/* The keywords of issue 12, each into its field, with Keepalived's
 * defaults and its sync group weight rule. */
static void keepalived_fidelity(void **state)
{
    struct vr_cfg *cfg = NULL;
    struct vr_inst_cfg *a, *b;
    struct vr_tproc_cfg *p;
    struct vr_tfile_cfg *f;
    char *err = NULL;

    assert_int_equal(vr_cfg_load_mem("f.conf", fidelity, &cfg, &err), 0);
    assert_string_equal(cfg->vrrp_fifo.path, "/run/v.fifo");
    assert_string_equal(cfg->vrrp_fifo.script, "/x/read.sh arg");
    assert_string_equal(cfg->vrrp_fifo.user, "nobody");
    assert_string_equal(cfg->fifo.path, "/run/all.fifo");
    assert_int_equal(cfg->startup_delay_ms, 5500);
    assert_int_equal(cfg->garp_repeat, 1); /* vrrp_min_garp */
    assert_int_equal(cfg->garp_delay_ms, 0);
    f = vr_cfg_find_tfile(cfg, "tf");
    assert_string_equal(f->path, "/run/tf");
    assert_int_equal(f->weight, -3);
    assert_true(f->reverse && f->init && f->overwrite);
    assert_int_equal(f->init_value, 7);
    p = vr_cfg_find_tproc(cfg, "tp");
    assert_int_equal(p->argc, 3);
    assert_string_equal(p->argv[0], "/usr/sbin/haproxy");
    assert_string_equal(p->argv[2], "/etc/h.cfg");
    assert_int_equal(p->match, VR_PARAM_INITIAL);
    assert_true(p->has_params && p->full_command);
    assert_int_equal(p->quorum, 2);
    assert_int_equal(p->quorum_max, 4);
    assert_int_equal(p->fork_delay_ms, 1500);
    assert_int_equal(p->terminate_delay_ms, 1500);
    assert_true(vr_cfg_find_script(cfg, "s")->reverse);
    a = vr_cfg_find_inst(cfg, "A");
    b = vr_cfg_find_inst(cfg, "B");
    assert_ptr_equal(a->sync, vr_cfg_find_sync(cfg, "G"));
    assert_ptr_equal(b->sync, a->sync);
    assert_string_equal(a->sync->notify.cmd[VR_NOTIFY_MASTER], "/x/g.sh m");
    /* members of a sync group: weights forced to 0 (a failure is FAULT) */
    assert_int_equal(a->scripts[0].weight, 0);
    assert_true(a->scripts[0].has_weight);
    assert_int_equal(a->tfiles[0].weight, 0);
    assert_int_equal(a->tprocs[0].weight, 0);
    /* as Keepalived: the words after the command are its user and group */
    assert_string_equal(a->notify.cmd[VR_NOTIFY_BACKUP], "/x/b.sh arg");
    assert_string_equal(a->notify.user[VR_NOTIFY_BACKUP], "nobody");
    assert_string_equal(a->notify.group[VR_NOTIFY_BACKUP], "nogroup");
    assert_null(a->notify.user[VR_NOTIFY_MASTER]);
    assert_false(a->notify_prio_changes); /* the instance overrides global_defs */
    assert_true(b->notify_prio_changes);
    assert_false(a->higher_prio_send_advert);
    assert_true(b->higher_prio_send_advert);
    assert_int_equal(a->garp_lower_prio_repeat, 2);
    assert_true(a->lower_prio_delay_set);
    assert_int_equal(a->garp_lower_prio_delay_ms, 3000);
    assert_false(b->lower_prio_delay_set);
    assert_int_equal(a->ucast_src, ip4("10.0.0.2"));
    assert_int_equal(a->peers[0], ip4("10.0.0.3"));
    assert_int_equal(b->ucast_src, ip4("10.0.0.4"));
    assert_string_equal(a->vips[0].dev, "eth1");
    assert_string_equal(a->vips[0].label, "eth1:v");
    assert_int_equal(a->vips[0].scope, 253); /* RT_SCOPE_LINK */
    assert_int_equal(a->vips[0].brd, ip4("10.0.0.255"));
    assert_int_equal(a->nroutes, 3);
    assert_int_equal(a->routes[0].dst, ip4("10.9.0.0"));
    assert_int_equal(a->routes[0].prefix, 16);
    assert_int_equal(a->routes[0].gw, ip4("10.0.0.1"));
    assert_int_equal(a->routes[0].table, 100);
    assert_int_equal(a->routes[0].metric, 7);
    assert_int_equal(a->routes[1].src, ip4("10.0.0.9"));
    assert_int_equal(a->routes[1].dst, ip4("10.8.0.0"));
    assert_string_equal(a->routes[1].dev, "eth0");
    assert_int_equal(a->routes[2].type, 6); /* RTN_BLACKHOLE */
    assert_int_equal(a->nrules, 2);
    assert_int_equal(a->rules[0].from, ip4("10.0.0.9"));
    assert_int_equal(a->rules[0].priority, 50);
    assert_int_equal(a->rules[1].to_len, 16);
    assert_int_equal(a->rules[1].table, 254); /* main */
    vr_cfg_free(cfg);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* An instance keeps the name of the file it was declared in, valid after
 * the load (it was the lexer's copy, freed with the lexer). */
static void inst_file_after_load(void **state)
{
    char dir[] = "/tmp/vrcfgf.XXXXXX", main_path[64], inc_path[64], text[160];
    struct vr_cfg *cfg = NULL;
    struct vr_inst_cfg *i;
    char *err = NULL;

    assert_non_null(mkdtemp(dir));
    snprintf(inc_path, sizeof(inc_path), "%s/inst.conf", dir);
    write_file(inc_path,
               "! one instance\nvrrp_instance A {\n interface eth0\n virtual_router_id 9\n}\n");
    snprintf(main_path, sizeof(main_path), "%s/main.conf", dir);
    snprintf(text, sizeof(text), "global_defs {\n}\ninclude %s\n", inc_path);
    write_file(main_path, text);
    assert_int_equal(vr_cfg_load_file(main_path, &cfg, &err), 0);
    i = vr_cfg_find_inst(cfg, "A");
    assert_string_equal(i->file, inc_path);
    assert_int_equal(i->line, 2);
    vr_cfg_free(cfg);
    unlink(inc_path);
    unlink(main_path);
    rmdir(dir);
}

static void errors(void **state)
{
    size_t k;

    for (k = 0; k < sizeof(bads) / sizeof(bads[0]); k++) {
        struct vr_cfg *cfg = NULL;
        char *err = NULL;

        assert_true(vr_cfg_load_mem("t.conf", bads[k].text, &cfg, &err) < 0);
        assert_null(cfg);
        assert_non_null(err);
        assert_string_equal(err, bads[k].err);
        free(err);
    }
}

/* Keepalived habits: '!' comments, include with a glob, braces glued. */
static void include_and_comments(void **state)
{
    char dir[] = "/tmp/vrcfg.XXXXXX", main_path[64], inc_path[64], text[256];
    struct vr_cfg *cfg = NULL;
    char *err = NULL;
    FILE *f;

    assert_non_null(mkdtemp(dir));
    snprintf(inc_path, sizeof(inc_path), "%s/inst-a.conf", dir);
    f = fopen(inc_path, "w");
    assert_non_null(f);
    fputs("vrrp_instance A{ ! the instance lives in an included file\n interface lo\n"
          " virtual_router_id 9\n virtual_ipaddress { 192.0.2.9/32 }\n}\n",
          f);
    fclose(f);
    snprintf(main_path, sizeof(main_path), "%s/main.conf", dir);
    snprintf(text, sizeof(text),
             "! Keepalived comment\nglobal_defs{\n router_id x\n}\ninclude %s/inst-*.conf\n", dir);
    f = fopen(main_path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(vr_cfg_load_file(main_path, &cfg, &err), 0);
    assert_non_null(vr_cfg_find_inst(cfg, "A"));
    assert_int_equal(vr_cfg_find_inst(cfg, "A")->vrid, 9);
    vr_cfg_free(cfg);
    unlink(inc_path);
    unlink(main_path);
    rmdir(dir);
}

static void missing_file(void **state)
{
    struct vr_cfg *cfg = NULL;
    char *err = NULL;

    assert_true(vr_cfg_load_file("/nonexistent/keepalived.conf", &cfg, &err) < 0);
    assert_non_null(err);
    assert_non_null(strstr(err, "/nonexistent/keepalived.conf"));
    free(err);
}

static void reload_identity(void **state)
{
    struct vr_cfg *a = NULL, *b = NULL;
    char *err = NULL;

    assert_int_equal(vr_cfg_load_file(FIX "keepalived-fig-2.8-haproxy03.conf", &a, &err), 0);
    assert_int_equal(vr_cfg_load_file(FIX "keepalived-fig-2.8-haproxy04.conf", &b, &err), 0);
    /* priority and state differ, the group does not: same instance */
    assert_true(vr_inst_cfg_same(first_inst(a), first_inst(b)));
    vr_cfg_free(b);
    assert_int_equal(vr_cfg_load_file(FIX "keepalived-fig-1.5.conf", &b, &err), 0);
    assert_false(vr_inst_cfg_same(first_inst(a), first_inst(b))); /* other VIP */
    vr_cfg_free(a);
    vr_cfg_free(b);
}

/* Keepalived warns about an instance without VIPs and runs it. */
/* Keepalived's rules: the first virtual_ipaddress sets the family, or
 * native_ipv6; IPv6 runs VRRPv3 whatever the global default; the excluded
 * list takes both families (dual stack in one instance); an IPv4 and an
 * IPv6 instance live side by side, even with one VRID. */
static void ipv6_instances(void **state)
{
    static const char text[] =
        "global_defs {\n vrrp_version 2\n vrrp_gna_interval 0.0015\n}\n"
        "vrrp_instance V4 {\n interface eth0\n virtual_router_id 7\n virtual_ipaddress {\n"
        " 10.0.0.1/24\n }\n virtual_ipaddress_excluded {\n fd00:7::9/64\n }\n}\n"
        "vrrp_instance V6 {\n interface eth0\n virtual_router_id 7\n priority 90\n"
        " mcast_src_ip fe80::1\n virtual_ipaddress {\n fd00:7::1/64\n fd00:7::2 dev eth1\n"
        " }\n unicast_peer {\n fd00:7::22\n fd00:7::23\n }\n}\n"
        "vrrp_instance N6 {\n interface eth0\n virtual_router_id 8\n native_ipv6\n}\n";
    uint8_t a[16];
    struct vr_inst_cfg *v4, *v6, *n6;
    struct vr_cfg *cfg = NULL;
    char *err = NULL;

    assert_int_equal(vr_cfg_load_mem("t.conf", text, &cfg, &err), 0);
    v4 = vr_cfg_find_inst(cfg, "V4");
    v6 = vr_cfg_find_inst(cfg, "V6");
    n6 = vr_cfg_find_inst(cfg, "N6");
    assert_int_equal(v4->family, AF_INET);
    assert_int_equal(v4->version, 2);
    assert_int_equal(v4->nvips, 2);
    assert_int_equal(v4->vips[1].family, AF_INET6);
    assert_true(v4->vips[1].excluded);
    assert_int_equal(v6->family, AF_INET6);
    assert_int_equal(v6->version, 3);
    assert_int_equal(v6->nvips, 2);
    assert_int_equal(inet_pton(AF_INET6, "fd00:7::1", a), 1);
    assert_memory_equal(v6->vips[0].addr6, a, 16);
    assert_int_equal(v6->vips[0].prefix, 64);
    assert_int_equal(v6->vips[1].prefix, 128);
    assert_string_equal(v6->vips[1].dev, "eth1");
    assert_int_equal(inet_pton(AF_INET6, "fe80::1", a), 1);
    assert_memory_equal(v6->ucast_src6, a, 16);
    assert_int_equal(v6->npeers6, 2);
    assert_int_equal(v6->npeers, 0);
    assert_int_equal(inet_pton(AF_INET6, "fd00:7::23", a), 1);
    assert_memory_equal(v6->peers6[1], a, 16);
    assert_int_equal(n6->family, AF_INET6);
    assert_int_equal(n6->version, 3);
    assert_false(vr_inst_cfg_same(v4, v6));
    assert_int_equal(cfg->gna_interval_ms, 2); /* rounded up to the millisecond */
    assert_int_equal(cfg->garp_interval_ms, 0);
    vr_cfg_free(cfg);
}

static void no_virtual_ipaddress(void **state)
{
    struct vr_cfg *cfg = NULL;
    char *err = NULL;

    assert_int_equal(vr_cfg_load_file(FIX "no-vip.conf", &cfg, &err), 0);
    assert_null(err);
    assert_int_equal(first_inst(cfg)->nvips, 0);
    assert_string_equal(first_inst(cfg)->notify.cmd[VR_NOTIFY_MASTER],
                        "/usr/local/bin/move-eip.sh");
    assert_int_equal(vr_daemon_check_links(cfg, &err), 0); /* lo exists */
    vr_cfg_free(cfg);
}

/* "nopreempt 1" and "enable_script_security 0" in real files: Keepalived
 * 2.2 reads no word after these flags, so both set the flag (with a
 * warning here); before, vrrpd refused the files. */
static void flag_with_word(void **state)
{
    struct vr_cfg *cfg = NULL;
    char *err = NULL;

    assert_int_equal(vr_cfg_load_mem("t.conf",
                                     "global_defs {\n enable_script_security 0\n}\n"
                                     "vrrp_instance X {\n interface lo\n virtual_router_id 1\n"
                                     " nopreempt 1\n virtual_ipaddress { 10.0.0.1 }\n}\n",
                                     &cfg, &err),
                     0);
    assert_null(err);
    assert_true(cfg->script_security);
    assert_false(first_inst(cfg)->preempt);
    vr_cfg_free(cfg);
}

/* use_vmac: named vrrp.VRID unless a name is given; vmac_xmit_base. */
static void use_vmac(void **state)
{
    struct vr_cfg *cfg = NULL;
    char *err = NULL;
    struct vr_inst_cfg *i;

    assert_int_equal(vr_cfg_load_mem("t.conf",
                                     "vrrp_instance X {\n interface lo\n virtual_router_id 42\n"
                                     " use_vmac\n virtual_ipaddress { 10.0.0.1 }\n}\n"
                                     "vrrp_instance Y {\n interface lo\n virtual_router_id 43\n"
                                     " use_vmac gw_y\n vmac_xmit_base\n"
                                     " virtual_ipaddress { 10.0.0.2 }\n}\n",
                                     &cfg, &err),
                     0);
    i = first_inst(cfg);
    assert_true(i->vmac);
    assert_false(i->vmac_xmit_base);
    assert_string_equal(i->vmac_name, "vrrp.42");
    i = vr_cfg_find_inst(cfg, "Y");
    assert_string_equal(i->vmac_name, "gw_y");
    assert_true(i->vmac_xmit_base);
    vr_cfg_free(cfg);
}

/* A block's '{' may open the next line (Keepalived accepts it). */
static void brace_on_next_line(void **state)
{
    struct vr_cfg *cfg = NULL;
    char *err = NULL;
    struct vr_inst_cfg *i;

    assert_int_equal(vr_cfg_load_file(FIX "brace-next-line.conf", &cfg, &err), 0);
    assert_non_null(vr_cfg_find_script(cfg, "chk_haproxy"));
    i = first_inst(cfg);
    assert_int_equal(i->vrid, 63);
    assert_int_equal(i->nvips, 1);
    assert_int_equal(i->nscripts, 1);
    assert_string_equal(i->scripts[0].name, "chk_haproxy");
    vr_cfg_free(cfg);
}

/* default_interface fills in instances without 'interface' only. */
static void default_interface(void **state)
{
    struct vr_cfg *cfg = NULL;
    char *err = NULL;
    struct vr_inst_cfg *i;

    assert_int_equal(vr_cfg_load_file(FIX "default-interface.conf", &cfg, &err), 0);
    i = vr_cfg_find_inst(cfg, "VI_1");
    assert_string_equal(i->ifname, "lo");
    i = vr_cfg_find_inst(cfg, "VI_2");
    assert_string_equal(i->ifname, "eth1");
    vr_cfg_free(cfg);
}

/* -t refuses an interface that does not exist, naming FILE:LINE. */
static void check_links_missing_interface(void **state)
{
    struct vr_cfg *cfg = NULL;
    char *err = NULL;

    assert_int_equal(vr_cfg_load_file(FIX "missing-interface.conf", &cfg, &err), 0);
    assert_int_equal(vr_daemon_check_links(cfg, &err), -ENODEV);
    assert_non_null(err);
    assert_string_equal(err, LK_SOURCE_DIR
                        "/tests/fixtures/vrrpd/missing-interface.conf:1: "
                        "vrrp_instance 'VI_1': interface 'lkv-noif0' does not exist (vrrpd "
                        "itself would wait for it)");
    free(err);
    vr_cfg_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(guide_figures),
        cmocka_unit_test(track_lbd_example),
        cmocka_unit_test(all_keywords),
        cmocka_unit_test(errors),
        cmocka_unit_test(keepalived_fidelity),
        cmocka_unit_test(inst_file_after_load),
        cmocka_unit_test(include_and_comments),
        cmocka_unit_test(missing_file),
        cmocka_unit_test(reload_identity),
        cmocka_unit_test(no_virtual_ipaddress),
        cmocka_unit_test(ipv6_instances),
        cmocka_unit_test(check_links_missing_interface),
        cmocka_unit_test(brace_on_next_line),
        cmocka_unit_test(flag_with_word),
        cmocka_unit_test(use_vmac),
        cmocka_unit_test(default_interface),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
