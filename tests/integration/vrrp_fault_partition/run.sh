#!/usr/bin/env bash
# Link down on the master -> FAULT and failover; link up -> back (preempt).
# track_interface: a tracked interface going down lowers the priority.
# Partition (a's bridge port detached) -> two masters; heal -> one master,
# and the survivor's gratuitous ARP brings the client back to it.
# Events stream: "subscribe events" sees each state change as JSON.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../vrrp_common.sh"
need_root
setup_net
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
client_loop 9000 8000 > "$T/client.part" &
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
t0=$(date +%s%3N)
for i in $(seq 1 120); do [ "$(client_mac)" = "02:77:00:00:00:21" ] && break; sleep 0.05; done
echo "# client ARP back to a after $(( $(date +%s%3N) - t0 )) ms"
expect_eq "heal: client ARP back to a (GARP)" "$(client_mac)" "02:77:00:00:00:21"
expect_eq "heal: client reaches a" "$(who_serves)" "a"
expect_eq "heal: one MASTER (a), b BACKUP" "$(states)" "MASTER BACKUP"
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
