#!/usr/bin/env bash
# Two vrrpd nodes (VRRP v3, advert_int 0.1) elect one master; the VIP is on
# the master only; SIGTERM on the master (priority 0) and kill -9 (Master
# Down Interval) move the VIP to the backup; a client keeps reaching the
# VIP and its ARP entry follows (gratuitous ARP). Prints failover ms.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../vrrp_common.sh"
need_root
setup_net

conf() { # NAME PRIO
  cat > "$T/$1.conf" <<CONF
global_defs {
    router_id $1
    vrrp_version 3
}
vrrp_instance VI_1 {
    interface eth0
    state BACKUP
    virtual_router_id 51
    priority $2
    advert_int 0.1
    garp_master_delay 1.5
    garp_master_refresh 1.5
    virtual_ipaddress {
        $VIP/24
    }
}
CONF
}
conf a 150
conf b 100
mkdir -p "$T/ra" "$T/rb"
serve "$NSA" a
serve "$NSB" b
check "config a is valid" ip netns exec "$NSA" "$VRRPD" -t -f "$T/a.conf"
sed 's/interface eth0/interface eth9/' "$T/a.conf" > "$T/noif.conf"
out=$(ip netns exec "$NSA" "$VRRPD" -t -f "$T/noif.conf" 2>&1) && rc=0 || rc=$?
expect_eq "-t refuses an interface that does not exist" "$rc:$out" \
  "1:vrrpd: $T/noif.conf:5: vrrp_instance 'VI_1': interface 'eth9' does not exist (vrrpd itself would wait for it)"
sed 's/priority 150/priorty 150/' "$T/a.conf" > "$T/bad.conf"
out=$("$VRRPD" -t -f "$T/bad.conf" 2>&1) && rc=0 || rc=$?
expect_eq "-t on a bad config exits 1" "$rc" "1"
expect_eq "-t names FILE:LINE and a hint" "$out" \
  "vrrpd: $T/bad.conf:9: unknown keyword 'priorty' in 'vrrp_instance' block; did you mean 'priority'?"
start_a() { bg ip netns exec "$NSA" "$VRRPD" -f "$T/a.conf" -R "$T/ra" 2>>"$T/a.log"; PID_A=$!; }
start_b() { bg ip netns exec "$NSB" "$VRRPD" -f "$T/b.conf" -R "$T/rb"; PID_B=$!; }
start_b
sleep 0.2
start_a
wait_sock "$T/ra/vrrpd.sock" 5
check "a becomes master" wait_state "$T/ra" MASTER 5
# gratuitous ARP: 5 at once (5 more if b's resignation reached a as master),
# 5 more after garp_master_delay 1.5 s, then one every garp_master_refresh
garp() { vrrp_json "$T/ra" 'j["instances"][0]["counters"]["garp_sent"]'; }
g1=$(garp)
check "5 or 10 GARPs on becoming master ($g1)" [ "$g1" = 5 -o "$g1" = 10 ]
# The schedule, read as (state_ms, garp_sent) pairs from one `show` each,
# so that a late read (a loaded machine) cannot pair a count with the
# wrong time: at T ms into MASTER the count must be expected(T), or
# expected(T - 300) for a timer that fired late; polled until 3.4 s.
expected() { local t=$1 n=$g1; [ "$t" -ge 1500 ] && n=$((n + 5)); [ "$t" -ge 3000 ] && n=$((n + (t - 1500) / 1500)); echo "$n"; }
bad=0 last=0 seen=""
for _ in $(seq 1 400); do
  read -r ms n <<<"$(vrrp_json "$T/ra" 'str(j["instances"][0]["state_ms"])+" "+str(j["instances"][0]["counters"]["garp_sent"])')"
  [ -n "$n" ] || continue
  lo=$(expected $((ms > 300 ? ms - 300 : 0))); hi=$(expected "$ms")
  if [ "$n" -lt "$lo" ] || [ "$n" -gt "$hi" ]; then bad=$((bad + 1)); seen="$seen $ms:$n"; fi
  last=$n
  [ "$ms" -ge 3400 ] && break
  sleep 0.02
done
expect_eq "GARPs follow garp_master_delay 1.5 s (+5) and garp_master_refresh 1.5 s (+1 each) at every reading$seen" "$bad" 0
check "5 more after garp_master_delay, at least one more after garp_master_refresh by 3.4 s ($last)" \
  test "$last" -ge "$((g1 + 6))"
check "b is backup" wait_state "$T/rb" BACKUP 5
check "VIP on a" has_vip "$NSA"
check "no VIP on b" bash -c "! ip -n $NSB -4 addr show dev eth0 | grep -q 'inet $VIP/'"
for i in $(seq 1 40); do [ -n "$(who_serves)" ] && break; sleep 0.1; done
expect_eq "client reaches a through the VIP" "$(who_serves)" "a"
expect_eq "client ARP points at a" "$(client_mac)" "02:77:00:00:00:21"
expect_eq "b counts adverts" "$(vrrp_json "$T/rb" 'j["instances"][0]["counters"]["adverts_received"] > 0')" "True"

# SIGTERM: a resigns with priority 0, b takes over after Skew_Time
kill -TERM "$PID_A"
ms=$(wait_vip "$NSB" 3000) || true
echo "failover on SIGTERM (priority 0): ${ms} ms"
check "VIP moved to b on SIGTERM" [ "$ms" -ge 0 ]
check "a removed the VIP" wait_novip "$NSA" 2000
check "b master" wait_state "$T/rb" MASTER 2
expect_eq "b saw priority 0" "$(vrrp_json "$T/rb" 'j["instances"][0]["counters"]["prio0_received"]')" "1"
# the client's ARP entry must follow by gratuitous ARP alone
expect_eq "client ARP follows to b (GARP)" "$(client_mac)" "02:77:00:00:00:22"
expect_eq "client reaches b through the VIP" "$(who_serves)" "b"

# a comes back with higher priority: preempts
start_a
check "a master again (preempt)" wait_state "$T/ra" MASTER 5
check "b gave up the VIP" wait_novip "$NSB" 2000

# kill -9: a's guard process resigns for it (priority 0) and removes the
# VIP; b takes over at once (vrrp_crash measures this in detail)
client_loop 2000 8000 > "$T/client.log" &
CL=$!
sleep 0.5
kill -9 "$PID_A"
t0=$(date +%s%3N)
ms=$(wait_vip "$NSB" 3000) || true
echo "failover on kill -9 (guard resigns; master down interval 339 ms): ${ms} ms"
check "the guard removed the VIP from a" wait_novip "$NSA" 1000
check "VIP moved to b on kill -9" [ "$ms" -ge 0 ]
check "failover within 1 s" [ "$ms" -lt 1000 ]
expect_eq "client ARP follows to b after crash" "$(client_mac)" "02:77:00:00:00:22"
expect_eq "client reaches b after crash" "$(who_serves)" "b"
wait "$CL" || true
read -r gap failed last < <(outage "$T/client.log")
echo "client during the vrrpd crash (a still answers until b's GARP): longest gap ${gap} ms, ${failed} requests failed"
check "client answered again within 1 s" [ "$gap" -ge 0 ] && [ "$gap" -lt 1000 ]
expect_eq "client ends on b" "$last" "b"

# restart a: a VIP left by a crash of every process (here added by hand)
# is removed, then a preempts
ip -n "$NSA" addr add "$VIP/24" dev eth0
start_a
check "a master after restart" wait_state "$T/ra" MASTER 5
check "a removed the VIP its crash left behind" \
  grep -q "removed stale VIP $VIP/24 left by a previous instance" "$T/a.log"
check "exactly one VIP owner" bash -c "! ip -n $NSB -4 addr show dev eth0 | grep -q 'inet $VIP/'"
finish
