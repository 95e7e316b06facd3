#!/usr/bin/env bash
# A master that cannot add its VIP must not claim it: vrrpd alone on a veth
# in a namespace of this run (prefix lko), once with every capability (the
# control: MASTER, VIP present), once without CAP_NET_ADMIN (setpriv), where
# the netlink add fails with EPERM: the instance must go FAULT with the
# reason "VIP add failed", never show MASTER, log the error, and the VIP
# must be absent. Needs root.
source "$(dirname "$0")/../lib.sh"
need_root
NS="lko$$"
ip netns add "$NS"; LK_NETNS+=("$NS")
ip -n "$NS" link add eth0 type veth peer name eth1
ip -n "$NS" addr add 10.79.0.1/24 dev eth0
ip -n "$NS" link set eth0 up; ip -n "$NS" link set eth1 up; ip -n "$NS" link set lo up
VIP=10.79.0.100
cat >"$T/v.conf" <<CONF
vrrp_instance V {
    interface eth0
    state BACKUP
    virtual_router_id 61
    priority 100
    advert_int 1
    virtual_ipaddress {
        $VIP/24
    }
}
CONF
state() { echo "show vrrp json" | socat -t 2 - "UNIX-CONNECT:$1/vrrpd.sock" 2>/dev/null |
  python3 -c 'import json,sys; i=json.loads(sys.stdin.readline())["instances"][0]; print(i["state"], i.get("reason",""))' 2>/dev/null || echo "?"; }
has_vip() { ip -n "$NS" -4 addr show dev eth0 | lk_grepq "inet $VIP/"; }

# control: with CAP_NET_ADMIN it becomes MASTER and holds the VIP
bg ip netns exec "$NS" "$VRRPD" -f "$T/v.conf" -R "$T/r1" 2>"$T/r1.log"; P=$!
wait_sock "$T/r1/vrrpd.sock" 5
s=""; for i in $(seq 1 120); do s=$(state "$T/r1"); [ "${s%% *}" = MASTER ] && break; sleep 0.05; done
expect_eq "control: MASTER" "${s%% *}" MASTER
check "control: VIP added" has_vip
kill "$P"; wait "$P" 2>/dev/null || true
for i in $(seq 1 40); do has_vip || break; sleep 0.05; done
check "control: VIP removed at stop" bash -c "! ip -n $NS -4 addr show dev eth0 | grep -q 'inet $VIP/'"

# without CAP_NET_ADMIN: the add fails, FAULT, never MASTER
bg ip netns exec "$NS" setpriv --bounding-set -net_admin --inh-caps -net_admin \
  "$VRRPD" -f "$T/v.conf" -R "$T/r2" 2>"$T/r2.log"; P=$!
wait_sock "$T/r2/vrrpd.sock" 5
seen=""; s=""
for i in $(seq 1 100); do  # 5 s: the master-down interval is about 3.6 s
  s=$(state "$T/r2"); seen="$seen ${s%% *}"
  sleep 0.05
done
check "no CAP_NET_ADMIN: never MASTER (states seen:$(echo "$seen" | tr ' ' '\n' | sort -u | tr '\n' ' '))" \
  bash -c "! echo '$seen' | grep -qw MASTER"
expect_eq "no CAP_NET_ADMIN: FAULT with its reason" "$s" "FAULT VIP add failed"
check "no CAP_NET_ADMIN: VIP absent" bash -c "! ip -n $NS -4 addr show dev eth0 | grep -q 'inet $VIP/'"
check "no CAP_NET_ADMIN: EPERM logged" grep -q "adding $VIP/24: Operation not permitted" "$T/r2.log"
check "no CAP_NET_ADMIN: FAULT logged" grep -q "entering FAULT: a VIP could not be added" "$T/r2.log"
finish
