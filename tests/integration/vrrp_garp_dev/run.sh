#!/usr/bin/env bash
# A VIP with its own "dev" (virtual_ipaddress { A/P dev X }) is added on X
# and announced by gratuitous ARP on X with X's MAC, not on the instance's
# interface.
source "$(dirname "$0")/../lib.sh"
need_root
NS="lkgd$$"
ip netns add "$NS"; LK_NETNS+=("$NS")
ip -n "$NS" link set lo up
ip -n "$NS" link add d0 type veth peer name d1
ip -n "$NS" link add v0 type veth peer name v1
for l in d0 d1 v0 v1; do ip -n "$NS" link set "$l" up; done
ip -n "$NS" addr add 10.99.0.1/24 dev d0
cat > "$T/g.conf" <<'CFG'
vrrp_instance G {
    interface d0
    state MASTER
    virtual_router_id 77
    priority 200
    advert_int 1
    virtual_ipaddress {
        10.99.1.50/24 dev v0
    }
}
CFG
check "config valid" ip netns exec "$NS" "$VRRPD" -t -f "$T/g.conf"
ip netns exec "$NS" timeout 20 tshark -i v1 -f arp -w "$T/v1.pcap" > /dev/null 2>&1 & LK_PIDS+=($!); TS1=$!
ip netns exec "$NS" timeout 20 tshark -i d1 -f arp -w "$T/d1.pcap" > /dev/null 2>&1 & LK_PIDS+=($!); TS2=$!
sleep 2
bg ip netns exec "$NS" "$VRRPD" -f "$T/g.conf" -R "$T/run" > "$T/vrrpd.log" 2>&1; VP=$!
for i in $(seq 1 100); do ip -n "$NS" addr show v0 | lk_grepq 10.99.1.50 && break; sleep 0.05; done
check "VIP added on its dev (v0)" bash -c "ip -n $NS addr show v0 | grep -q 10.99.1.50/24"
sleep 1.5
kill "$VP"; wait "$VP" 2>/dev/null || true
kill -INT "$TS1" "$TS2" 2>/dev/null || true; sleep 1
mac=$(ip -n "$NS" link show v0 | awk '/ether/ {print $2}')
n=$(tshark -r "$T/v1.pcap" -Y "arp.isgratuitous == 1 && arp.src.proto_ipv4 == 10.99.1.50 && arp.src.hw_mac == $mac" 2>/dev/null | wc -l)
check "gratuitous ARP for the VIP sent on v0 with v0's MAC ($n)" test "$n" -ge 1
n=$(tshark -r "$T/d1.pcap" -Y "arp.src.proto_ipv4 == 10.99.1.50" 2>/dev/null | wc -l)
expect_eq "no ARP for that VIP on the instance's interface" "$n" 0
finish
