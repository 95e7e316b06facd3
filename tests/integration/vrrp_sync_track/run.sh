#!/usr/bin/env bash
# A vrrp_sync_group against a real Keepalived 2.2.7 peer, with
# track_process, virtual_routes/virtual_rules and VIP labels:
#   vrrpd (lb1, 150) and Keepalived (lb2, 100) run the same two-member sync
#   group (VRIDs 41 and 42); vrrpd is master of both, its VIP carries its
#   label and its route and rule are in place;
#   the tracked process dies on lb1: its member goes FAULT, the group with
#   it (weights in a sync group are 0), so Keepalived takes BOTH VIPs and
#   lb1 removes both, with the route and the rule;
#   the process is back: vrrpd preempts both together (V2's VIP has its
#   brd and scope, V1's its label).
# kill -9 of vrrpd as master: its guard removes the VIPs, the route and
# the rule (no duplicate left behind), and Keepalived takes both VIPs.
# vrrpd, started as root, keeps only CAP_NET_ADMIN and CAP_NET_RAW
# (effective, permitted and bounding sets), as its systemd unit grants.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../vrrp_common.sh"
need_root
command -v keepalived >/dev/null || { echo "SKIP: keepalived not installed"; exit 77; }
setup_net
VIP2=10.77.0.101
cp /bin/sleep "$T/lkvrrp-proc"

conf() { # PRIO EXTRA_INSTANCE_LINES
  cat <<CONF
vrrp_track_process chk_proc {
    process lkvrrp-proc
    weight -5
}
vrrp_sync_group G {
    group {
        V1
        V2
    }
}
vrrp_instance V1 {
    interface eth0
    virtual_router_id 41
    priority $1
    advert_int 1
    track_process {
        chk_proc
    }
    virtual_ipaddress {
        $VIP/24 dev eth0 label eth0:vip
    }
    $2
}
vrrp_instance V2 {
    interface eth0
    virtual_router_id 42
    priority $1
    advert_int 1
    virtual_ipaddress {
        $VIP2/24 brd + scope global
    }
}
CONF
}
conf 100 "" > "$T/ka.conf"
conf 150 "virtual_routes {
        10.88.0.0/16 via 10.77.0.1 dev eth0 metric 7
    }
    virtual_rules {
        from $VIP/32 table 177 priority 177
    }" > "$T/vr.conf"

has() { ip -n "$1" -4 addr show dev eth0 | lk_grepq "inet $2/"; }
route_on() { ip -n "$NSA" route show 10.88.0.0/16 | grep "via 10.77.0.1" >/dev/null; }
# grep reads everything (no -q): with pipefail an early exit would fail
# the pipeline through ip's SIGPIPE
rule_on() { ip -n "$NSA" rule show | grep "^177:.*from $VIP lookup 177" >/dev/null; }

bg ip netns exec "$NSA" "$T/lkvrrp-proc" 1000; PROC=$!
bg ip netns exec "$NSB" keepalived -n -l -D --vrrp -f "$T/ka.conf" -p "$T/ka.pid" \
  -r "$T/ka-vrrp.pid" >"$T/ka.log" 2>&1
bg ip netns exec "$NSA" "$VRRPD" -f "$T/vr.conf" -R "$T/ra" 2>"$T/vr.log"
VRPID=$! # ip netns exec execs vrrpd: the same process
check "vrrpd master of V1" wait_vip "$NSA" 8000
check "vrrpd master of V2 too" bash -c "for i in \$(seq 1 100); do ip -n $NSA -4 addr show dev eth0 | grep -q 'inet $VIP2/' && exit 0; sleep 0.05; done; exit 1"
check "V1's VIP carries its label" bash -c "ip -n $NSA -4 addr show dev eth0 | grep -q 'inet $VIP/24 .*eth0:vip'"
check "V2's VIP has its broadcast and scope" bash -c "ip -n $NSA -4 addr show dev eth0 | grep -q 'inet $VIP2/24 brd 10.77.0.255 scope global'"
check "virtual_routes: the route is in place while master" route_on
check "virtual_rules: the rule is in place while master" rule_on
caps() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$VRPID/status"; }
expect_eq "vrrpd's effective capabilities: NET_ADMIN and NET_RAW only" "$(caps CapEff)" "0000000000003000"
expect_eq "its permitted set too" "$(caps CapPrm)" "0000000000003000"
expect_eq "and its bounding set (scripts get no more)" "$(caps CapBnd)" "0000000000003000"
check "Keepalived holds neither VIP" bash -c "! ip -n $NSB -4 addr show dev eth0 | grep -q 'inet 10.77.0.10[01]/'"

kill -9 "$PROC"
ms=$(wait_vip "$NSB" 5000) || true
echo "tracked process killed: Keepalived owns V1's VIP after ${ms} ms"
check "Keepalived takes V1 when the tracked process dies" [ "$ms" -ge 0 ]
check "Keepalived takes V2 as well (the group moved together)" bash -c "for i in \$(seq 1 100); do ip -n $NSB -4 addr show dev eth0 | grep -q 'inet $VIP2/' && exit 0; sleep 0.05; done; exit 1"
check "vrrpd removed both VIPs" bash -c "! ip -n $NSA -4 addr show dev eth0 | grep -q 'inet 10.77.0.10[01]/'"
check "the route went with the master" bash -c "! ip -n $NSA route show 10.88.0.0/16 | grep -q via"
check "the rule went with the master" bash -c "! ip -n $NSA rule show | grep '^177:' >/dev/null"
check "vrrpd logged V2 following V1 into FAULT" grep -q "(V2) Entering FAULT STATE" "$T/vr.log"

bg ip netns exec "$NSA" "$T/lkvrrp-proc" 1000; PROC=$!
check "process back: vrrpd takes V1 again" wait_vip "$NSA" 8000
check "and V2" bash -c "for i in \$(seq 1 100); do ip -n $NSA -4 addr show dev eth0 | grep -q 'inet $VIP2/' && exit 0; sleep 0.05; done; exit 1"
check "Keepalived released both" bash -c "for i in \$(seq 1 60); do ip -n $NSB -4 addr show dev eth0 | grep -q 'inet 10.77.0.10[01]/' || exit 0; sleep 0.05; done; exit 1"
check "route back" route_on
check "rule back" rule_on

kill -9 "$VRPID"
check "kill -9: Keepalived takes V1" wait_vip "$NSB" 3000
check "the guard removed the VIPs on lb1" wait_novip "$NSA" 2000
check "the guard removed the virtual route" bash -c "for i in \$(seq 1 40); do ip -n $NSA route show 10.88.0.0/16 | grep -q via || exit 0; sleep 0.05; done; exit 1"
check "the guard removed the virtual rule" bash -c "for i in \$(seq 1 40); do ip -n $NSA rule show | grep '^177:' >/dev/null || exit 0; sleep 0.05; done; exit 1"
finish
