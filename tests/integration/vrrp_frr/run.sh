#!/usr/bin/env bash
# A second independent VRRPv3 peer: FRR's vrrpd (Debian's frr 8.4), with
# its zebra, in one namespace, vrrpd in the other, one virtual router
# (VRID 51, advert 1 s). FRR keeps the VIP on a macvlan with the virtual
# MAC and sets it protodown while Backup (its documented model); vrrpd
# keeps it on eth0. Both roles:
#  FRR (150) master, vrrpd (100) backup; FRR stops -> vrrpd takes over;
#  FRR back -> it preempts; FRR lowered to 50 at run time -> vrrpd (100)
#  preempts, FRR's macvlan goes protodown; vrrpd stops (priority 0
#  advert) -> FRR is master again within its skew time.
# Each side must accept the other's adverts (FRR's adverRx grows, vrrpd
# counts no checksum or other drops) and the client must reach whichever
# node is master through the VIP. Then the same over IPv6 (VRID 52, VRRPv3
# to ff02::12 from link-local addresses; FRR's VIP on a second macvlan):
# FRR master, vrrpd follows its link-local; FRR stops -> vrrpd takes the
# IPv6 VIP and the client reaches it; FRR back at 50 stays backup.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../vrrp_common.sh"
need_root
[ -x /usr/lib/frr/vrrpd ] && [ -x /usr/lib/frr/zebra ] || { echo "SKIP: frr not installed"; exit 77; }
id frr >/dev/null 2>&1 || { echo "SKIP: no frr user"; exit 77; }
setup_net

# FRR's files: its own path space under /run/frr (owned by frr, removed at
# the end); daemons run as frr (the package's vty group requires it)
FP=$P
FD=/run/frr/$FP
mkdir -p "$FD"; chown frr:frr "$FD"
frr_cleanup() {
  local f
  for f in vrrpd zebra; do
    [ -f "$FD/$f.pid" ] && kill "$(cat "$FD/$f.pid")" 2>/dev/null || true
  done
  sleep 0.3
  rm -rf "$FD"
  lk_cleanup
}
trap frr_cleanup EXIT

# the macvlan FRR needs: virtual MAC of VRID 51, the VIP on it
ip -n "$NSB" link add vrrp4-2-51 link eth0 type macvlan mode bridge
ip -n "$NSB" link set dev vrrp4-2-51 address 00:00:5e:00:01:33
ip -n "$NSB" addr add "$VIP/24" dev vrrp4-2-51
ip -n "$NSB" link set dev vrrp4-2-51 up
# answer ARP only on the interface holding the address, so the VIP is
# announced with the virtual MAC (the macvlan), not eth0's, and ask ARP
# with eth0's own address (else requests sourced from the VIP teach the
# client eth0's MAC)
ip netns exec "$NSB" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2

frr_conf() { # PRIO
  cat > "$FD/vrrpd.conf" <<CONF
interface eth0
 vrrp 51 version 3
 vrrp 51 priority $1
 vrrp 51 advertisement-interval 1000
 vrrp 51 ip $VIP
CONF
  chown frr:frr "$FD/vrrpd.conf"
}
: > "$FD/zebra.conf"; chown frr:frr "$FD/zebra.conf"
ip netns exec "$NSB" /usr/lib/frr/zebra -d -N "$FP" -u frr -g frr -f "$FD/zebra.conf" \
  -i "$FD/zebra.pid" --log "file:$FD/zebra.log" 2>>"$T/frr.err"
wait_sock "$FD/zserv.api" 5
start_frr() {
  ip netns exec "$NSB" /usr/lib/frr/vrrpd -d -N "$FP" -u frr -g frr -f "$FD/vrrpd.conf" \
    -i "$FD/vrrpd.pid" --log "file:$FD/vrrpd.log" 2>>"$T/frr.err"
  wait_sock "$FD/vrrpd.vty" 5
}
stop_frr() {
  local p; p=$(cat "$FD/vrrpd.pid")
  kill -TERM "$p"
  for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
  rm -f "$FD/vrrpd.pid"
}
vtysh_b() { ip netns exec "$NSB" vtysh -N "$FP" "$@" 2>/dev/null; }
# frr_v4 EXPR: a python expression over v (FRR's "show vrrp json" v4 part)
frr_v4() {
  vtysh_b -c "show vrrp json" | python3 -c "import json,sys; v=json.load(sys.stdin)[0]['v4']; print($1)" 2>/dev/null || echo "?"
}
wait_frr() { # STATUS TIMEOUT_S
  local i
  for i in $(seq 1 $(($2 * 10))); do [ "$(frr_v4 'v["status"]')" = "$1" ] && return 0; sleep 0.1; done
  return 1
}
protodown() { ip -n "$NSB" -d link show vrrp4-2-51 | lk_grepq "protodown on"; }
# client_sees NAME: the client reaches NAME's web server on the VIP
client_sees() { [ "$(who_serves)" = "$1" ]; }

cat > "$T/vr.conf" <<CONF
vrrp_instance VI_1 {
    interface eth0
    state BACKUP
    virtual_router_id 51
    version 3
    priority 100
    advert_int 1
    virtual_ipaddress {
        $VIP/24
    }
}
CONF
mkdir -p "$T/ra"
serve "$NSA" a; serve "$NSB" b
start_vr() {
  bg ip netns exec "$NSA" "$VRRPD" -f "$T/vr.conf" -R "$T/ra" 2>>"$T/vr.log"; VR=$!
  wait_sock "$T/ra/vrrpd.sock" 5
}
stop_vr() { kill -TERM "$VR" 2>/dev/null || true; for i in $(seq 1 100); do kill -0 "$VR" 2>/dev/null || return 0; sleep 0.05; done; return 1; }

# ---- FRR (150) master, vrrpd (100) backup ------------------------------
frr_conf 150
start_frr
check "FRR (150) becomes master" wait_frr Master 8
start_vr
check "vrrpd is backup" wait_state "$T/ra" BACKUP 5
sleep 2.5
expect_eq "vrrpd follows FRR as master" "$(vrrp_json "$T/ra" 'j["instances"][0]["master"]')" "10.77.0.22"
expect_eq "vrrpd accepted FRR's adverts" \
  "$(vrrp_json "$T/ra" 'j["instances"][0]["counters"]["adverts_received"] >= 2')" "True"
expect_eq "vrrpd dropped none of FRR's adverts" \
  "$(vrrp_json "$T/ra" 'sum(j["instances"][0]["counters"]["drops"].values())')" "0"
check "no VIP on vrrpd's node" bash -c "! ip -n $NSA -4 addr show dev eth0 | grep -q 'inet $VIP/'"
check "FRR's macvlan is up (not protodown) as master" bash -c "! ip -n $NSB -d link show vrrp4-2-51 | grep -q 'protodown on'"
check "the client reaches FRR's node on the VIP" client_sees b
expect_eq "the client's ARP entry is FRR's virtual MAC" "$(client_mac)" "00:00:5e:00:01:33"

# FRR stops: vrrpd takes over after the master-down interval (3 x 1 s + skew)
t0=$(date +%s%3N)
stop_frr
ms=$(wait_vip "$NSA" 6000) || true
echo "vrrpd owns the VIP ${ms} ms after FRR's vrrpd was stopped"
check "vrrpd takes over from FRR" [ "$ms" -ge 0 ]
check "vrrpd is master" wait_state "$T/ra" MASTER 2
check "FRR left its macvlan protodown" protodown
check "the client reaches vrrpd's node on the VIP" client_sees a
expect_eq "the client's ARP entry moved to vrrpd's MAC" "$(client_mac)" "02:77:00:00:00:21"

# FRR comes back with 150: it preempts vrrpd
start_frr
check "FRR (150) preempts vrrpd" wait_frr Master 8
check "vrrpd backs off" wait_state "$T/ra" BACKUP 5
check "vrrpd removed its VIP" wait_novip "$NSA" 2000
check "the client reaches FRR's node again" client_sees b
expect_eq "FRR received vrrpd's adverts" "$(frr_v4 'v["stats"]["adverRx"] > 0')" "True"

# ---- FRR lowered to 50 at run time: vrrpd (100) preempts ---------------
vtysh_b -c "configure terminal" -c "interface eth0" -c "vrrp 51 priority 50" >/dev/null
ms=$(wait_vip "$NSA" 6000) || true
echo "vrrpd (100) owns the VIP ${ms} ms after FRR was lowered to 50"
check "vrrpd preempts FRR at 50" wait_state "$T/ra" MASTER 5
check "FRR becomes backup" wait_frr Backup 5
check "FRR's macvlan is protodown as backup" protodown
check "the client reaches vrrpd's node" client_sees a
rx0=$(frr_v4 'v["stats"]["adverRx"]'); sleep 2.2
rx1=$(frr_v4 'v["stats"]["adverRx"]')
check "FRR keeps receiving vrrpd's adverts as backup ($rx0 -> $rx1)" [ "$rx1" -ge $((rx0 + 2)) ]

# vrrpd stops: its priority-0 advert makes FRR master within its skew time
stop_vr
t0=$(date +%s%3N)
check "FRR becomes master after vrrpd's priority 0" wait_frr Master 3
t1=$(date +%s%3N)
echo "FRR master $((t1 - t0)) ms after vrrpd exited (FRR skew time $(frr_v4 'v["skewTime"]') ms)"
check "FRR took over well before its master-down interval" [ $((t1 - t0)) -lt 2500 ]
check "vrrpd removed its VIP on exit" wait_novip "$NSA" 2000
check "the client reaches FRR's node" client_sees b

# ---- IPv6: VRID 52, VRRPv3 over IPv6 ------------------------------------
# FRR (150) master, vrrpd (100) backup; FRR stopped -> vrrpd takes the IPv6
# VIP; FRR back at 50 -> backup behind vrrpd, hearing its adverts
stop_frr
stop_vr || true
VIP6=fd00:77::100
for n in a:21 b:22 c:30; do
  ip netns exec "${P}${n%:*}" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.eth0.accept_dad=0
  ip -n "${P}${n%:*}" addr add "fd00:77::${n#*:}/64" dev eth0 nodad
done
ip -n "$NSB" link add vrrp6-2-52 link eth0 type macvlan mode bridge
ip -n "$NSB" link set dev vrrp6-2-52 address 00:00:5e:00:02:34 addrgenmode random
ip -n "$NSB" addr add "$VIP6/64" dev vrrp6-2-52 nodad
ip -n "$NSB" link set dev vrrp6-2-52 up
mkdir -p "$T/www6-a"; echo a > "$T/www6-a/index.html"
bg ip netns exec "$NSA" python3 -m http.server 8006 --bind :: --directory "$T/www6-a" >/dev/null 2>&1
cat > "$FD/vrrpd.conf" <<CONF
interface eth0
 vrrp 52 version 3
 vrrp 52 priority 150
 vrrp 52 advertisement-interval 1000
 vrrp 52 ipv6 $VIP6
CONF
chown frr:frr "$FD/vrrpd.conf"
frr_v6() {
  vtysh_b -c "show vrrp json" | python3 -c "import json,sys; v=[r for r in json.load(sys.stdin) if r['vrid']==52][0]['v6']; print($1)" 2>/dev/null || echo "?"
}
wait_frr6() { # STATUS TIMEOUT_S
  local i
  for i in $(seq 1 $(($2 * 10))); do [ "$(frr_v6 'v["status"]')" = "$1" ] && return 0; sleep 0.1; done
  return 1
}
has_vip6() { ip -n "$1" -6 addr show dev eth0 | lk_grepq "inet6 $VIP6/"; }
sed -e 's/virtual_router_id 51/virtual_router_id 52/' -e "s|$VIP/24|$VIP6/64|" "$T/vr.conf" > "$T/vr6.conf"
cp "$T/vr6.conf" "$T/vr.conf"
start_frr
check "v6: FRR (150) becomes master" wait_frr6 Master 8
start_vr
check "v6: vrrpd is backup" wait_state "$T/ra" BACKUP 5
sleep 2.5
ll_b=$(ip -n "$NSB" -6 addr show dev vrrp6-2-52 scope link | awk '/inet6/ {sub("/.*","",$2); print $2}')
expect_eq "v6: vrrpd follows FRR's link-local address on its macvlan" \
  "$(vrrp_json "$T/ra" 'j["instances"][0]["master"]')" "$ll_b"
expect_eq "v6: vrrpd dropped none of FRR's IPv6 adverts" \
  "$(vrrp_json "$T/ra" 'sum(j["instances"][0]["counters"]["drops"].values())')" "0"
check "v6: no IPv6 VIP on vrrpd's node" bash -c "! ip -n $NSA -6 addr show dev eth0 | grep -q 'inet6 $VIP6/'"
stop_frr
t0=$(date +%s%3N)
for i in $(seq 1 120); do has_vip6 "$NSA" && break; sleep 0.05; done
t1=$(date +%s%3N)
check "v6: vrrpd takes the IPv6 VIP from FRR" has_vip6 "$NSA"
echo "v6: vrrpd owns $VIP6 $((t1 - t0)) ms after FRR's vrrpd was stopped"
check "v6: vrrpd is master" wait_state "$T/ra" MASTER 2
check "v6: the client reaches vrrpd's node on the IPv6 VIP" \
  bash -c "[ \"\$(ip netns exec $NSC curl -s -g --max-time 2 'http://[$VIP6]:8006/')\" = a ]"
sed -i 's/priority 150/priority 50/' "$FD/vrrpd.conf"
start_frr
check "v6: FRR at 50 settles as backup behind vrrpd" wait_frr6 Backup 8
rx0=$(frr_v6 'v["stats"]["adverRx"]'); sleep 2.2; rx1=$(frr_v6 'v["stats"]["adverRx"]')
check "v6: FRR receives vrrpd's IPv6 adverts ($rx0 -> $rx1)" [ "$rx1" -ge $((rx0 + 2)) ]
check "v6: vrrpd stays master" wait_state "$T/ra" MASTER 1
finish
