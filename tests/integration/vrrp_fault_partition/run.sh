#!/usr/bin/env bash
# Link down on the master -> FAULT and failover; link up -> back (preempt).
# track_interface: a tracked interface going down lowers the priority.
# Partition (a's bridge port detached) -> two masters; heal -> one master,
# and the survivor's gratuitous ARP brings the client back to it, also when
# the partition heals half a second after the loser's last resignation.
# Events stream: "subscribe events" sees each state change as JSON.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../vrrp_common.sh"
need_root
setup_net
# the client's ARP entry is back on a after a heal within this (measured
# 5-835 ms on a 2-core machine at load 11-15; 4.5 s when the announcement
# was lost)
ARP_BACK_MS=${ARP_BACK_MS:-1500}
mkdir -p "$T/ra" "$T/rb"
serve "$NSA" a
serve "$NSB" b
# a tracked interface of a's own: one end of a veth pair
ip -n "$NSA" link add dum0 type veth peer name dum1
ip -n "$NSA" link set dum1 up
ip -n "$NSA" link set dum0 up

conf() { # NODE PRIO TRACK
  cat > "$T/$1.conf" <<CONF
global_defs {
    vrrp_version 3
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 42
    priority $2
    advert_int 0.1
    virtual_ipaddress {
        $VIP/24
    }
    $3
}
CONF
}
conf a 150 "track_interface {
        dum0 weight -60
    }"
conf b 100 ""
bg ip netns exec "$NSB" "$VRRPD" -f "$T/b.conf" -R "$T/rb" 2>"$T/b.log"
bg ip netns exec "$NSA" "$VRRPD" -f "$T/a.conf" -R "$T/ra" 2>"$T/a.log"
wait_sock "$T/ra/vrrpd.sock" 5
check "a master" wait_state "$T/ra" MASTER 5
# event subscriber on a, for the rest of the run (bounded by timeout)
bg python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"subscribe events\n")
open(sys.argv[2] + ".ready", "w").close()
with open(sys.argv[2], "w") as f:
    while True:
        d = s.recv(4096)
        if not d:
            break
        f.write(d.decode())
        f.flush()
' "$T/ra/vrrpd.sock" "$T/events.jsonl"
wait_file "$T/events.jsonl.ready" 5
vrrp_state "$T/ra" >/dev/null # a round trip after the subscription was sent

# ---- link down on the master ----------------------------------------------
ip -n "$NSBR" link set va down
ms=$(wait_vip "$NSB" 3000) || true
echo "link down on master -> VIP on backup in ${ms} ms"
check "b takes over on a's link down" [ "$ms" -ge 0 ]
check "a in FAULT" wait_state "$T/ra" FAULT 2
check "a removed the VIP" wait_novip "$NSA" 1000
ip -n "$NSBR" link set va up
check "a master again after link up" wait_state "$T/ra" MASTER 5
check "b released the VIP" wait_novip "$NSB" 2000

# ---- track_interface -------------------------------------------------------
ip -n "$NSA" link set dum0 down
ms=$(wait_vip "$NSB" 3000) || true
echo "track_interface down (150 -> 90) -> VIP on backup in ${ms} ms"
check "b takes over when a's tracked interface goes down" [ "$ms" -ge 0 ]
expect_eq "a priority 90" "$(vrrp_json "$T/ra" 'j["instances"][0]["priority"]')" "90"
ip -n "$NSA" link set dum0 up
check "a back with dum0 up" wait_state "$T/ra" MASTER 5

# ---- partition and heal ------------------------------------------------------
# a client on the VIP every ~20 ms through both, for the longest outage
client_loop 30000 8000 "$T/client.stop" > "$T/client.part" &
CL=$!
sleep 1
t_part=$(date +%s%3N)
ip -n "$NSBR" link set va nomaster
check "partition: b becomes master too" wait_vip "$NSB" 3000
check "partition: a stays master" has_vip "$NSA"
expect_eq "client follows b during the partition" "$(who_serves)" "b"
states() { echo "$(vrrp_state "$T/ra") $(vrrp_state "$T/rb")"; }
expect_eq "partition: both MASTER" "$(states)" "MASTER MASTER"
sleep 1
t_heal=$(date +%s%3N)
ip -n "$NSBR" link set va master br0
check "heal: b steps down" wait_novip "$NSB" 3000
check "heal: a still master" has_vip "$NSA"
# ms from the heal ($1) until the client's ARP entry for the VIP is a's
# (at most 6 s)
arp_back() {
  while [ "$(client_mac)" != "02:77:00:00:00:21" ] && [ $(($(date +%s%3N) - $1)) -lt 6000 ]; do
    sleep 0.01
  done
  echo $(($(date +%s%3N) - $1))
}
ms=$(arp_back "$t_heal")
echo "# client ARP back to a ${ms} ms after the heal"
check "heal: client ARP back to a (GARP) within $ARP_BACK_MS ms ($ms ms)" test "$ms" -lt "$ARP_BACK_MS"
expect_eq "heal: client reaches a" "$(who_serves)" "a"
expect_eq "heal: one MASTER (a), b BACKUP" "$(states)" "MASTER BACKUP"
sleep 1
touch "$T/client.stop"
wait "$CL" || true
# the client's longest gap around the partition and around the heal
python3 - "$T/client.part" "$t_part" "$t_heal" > "$T/gaps" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
part, heal = int(sys.argv[2]), int(sys.argv[3])
ok = [(int(t), w) for t, w in rows if w != '-']
def gap(lo, hi):
    ts = [t for t, w in ok]
    g = [b - a for a, b in zip(ts, ts[1:]) if b > lo and a < hi]
    return max(g, default=-1)
failed = lambda lo, hi: sum(1 for t, w in rows if w == '-' and lo <= int(t) < hi)
print(gap(part, heal), failed(part, heal), gap(heal, 10**15), failed(heal, 10**15),
      ok[-1][1] if ok else '-')
PY
read -r gp fp gh fh last < "$T/gaps"
echo "partition: client's longest gap ${gp} ms (${fp} failed); heal: longest gap ${gh} ms (${fh} failed); last answer from $last"
check "partition: the client was served again within 2 s (${gp} ms)" test "$gp" -ge 0 -a "$gp" -lt 2000
check "heal: the client was served again within 2 s (${gh} ms)" test "$gh" -ge 0 -a "$gh" -lt 2000
expect_eq "heal: the client ends on a" "$last" a

# ---- partitions that heal soon after the loser's last resignation --------
# When b hears a first at the heal it resigns (priority 0) without ever
# advertising its own priority to a, so a's only cue to re-announce the VIP
# is that priority 0. a limits those announcements; a limit of a whole
# second swallowed this one when b's previous resignation was less than a
# second old (advert_int 0.1: b is master again 0.36 s into a partition),
# and the client kept b's MAC until the second burst (garp_master_delay,
# 5 s) of a's previous announcement: 4.5 s (issue 12). Here b's own
# advertisements (priority != 0) are dropped on the bridge, so that b hears
# a first at every heal; then partitions, each healed as soon as b is
# master, until one heals within 800 ms of the one before.
ip netns exec "$NSBR" nft -f - <<'NFT'
table bridge lkvrrp {
    chain hold {
        type filter hook forward priority 0;
        ether saddr 02:77:00:00:00:22 ip protocol 112 @th,16,8 != 0 counter drop
    }
}
NFT
t_prev=$t_heal # the first heal
quick=0
for round in 1 2 3 4 5; do
  ip -n "$NSBR" link set va nomaster
  wait_vip "$NSB" 3000 >/dev/null || { fail "round $round: b becomes master"; break; }
  mac=$(client_mac)
  t_heal=$(date +%s%3N)
  ip -n "$NSBR" link set va master br0
  ms=$(arp_back "$t_heal")
  echo "# round $round: healed $((t_heal - t_prev)) ms after the previous heal; client ARP back to a ${ms} ms after the heal"
  expect_eq "round $round: the client followed b" "$mac" "02:77:00:00:00:22"
  check "round $round: client ARP back to a within $ARP_BACK_MS ms ($ms ms)" test "$ms" -lt "$ARP_BACK_MS"
  check "round $round: b steps down" wait_novip "$NSB" 3000
  [ $((t_heal - t_prev)) -lt 800 ] && { quick=1; break; }
  t_prev=$t_heal
done
check "a heal within 800 ms of the previous one" test "$quick" = 1
drops=$(ip netns exec "$NSBR" nft list table bridge lkvrrp | awk '/counter/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }')
check "b's own advertisements held back on the bridge ($drops dropped)" test "${drops:-0}" -gt 0
ip netns exec "$NSBR" nft delete table bridge lkvrrp
expect_eq "after the rounds: one MASTER (a), b BACKUP" "$(states)" "MASTER BACKUP"

# ---- events --------------------------------------------------------------
sleep 0.3
check "events: FAULT seen" grep -q '"to":"FAULT"' "$T/events.jsonl"
check "events: priority change seen" grep -q '"event":"priority","instance":"VI_1","from":150,"to":90' "$T/events.jsonl"
check "events: the first line is a snapshot of the current state" python3 -c "
import json,sys
j=json.loads(open('$T/events.jsonl').readline())
sys.exit(0 if (j['event'],j['instance'],j['state'],j['priority'])==('snapshot','VI_1','MASTER',150) else 1)"
# dum0 up: 90 -> 150 on a (backup), so a takes over at once; the priority
# change that caused the takeover comes first
check "events: the priority change precedes the fast takeover it caused" python3 -c "
import json,sys
ev=[json.loads(l) for l in open('$T/events.jsonl') if l.strip()]
p=[k for k,e in enumerate(ev) if e['event']=='priority' and e['to']==150]
m=[k for k,e in enumerate(ev) if e['event']=='state' and 'priority rose' in e['reason']]
sys.exit(0 if p and m and p[0] < m[0] else 1)"
check "events: every line is JSON" python3 -c "
import json,sys
n=0
for l in open('$T/events.jsonl'):
    l=l.strip()
    if l: json.loads(l); n+=1
sys.exit(0 if n >= 4 else 1)"
finish
