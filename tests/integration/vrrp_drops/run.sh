#!/usr/bin/env bash
# Hostile and broken VRRP packets from another host on the link: each kind
# is dropped and counted under its own reason, vrrpd keeps running and stays
# master. A valid higher-priority advert from the same injector does move
# it (so the injection path itself is proven).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../vrrp_common.sh"
need_root
setup_net
mkdir -p "$T/ra"
cat > "$T/a.conf" <<CONF
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 11
    priority 150
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass lab1pass
    }
    virtual_ipaddress {
        $VIP
    }
}
CONF
# systemd's notify socket, played by a datagram receiver
bg python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "w") as f:
    while True:
        f.write(s.recv(4096).decode() + "\n")
        f.flush()
' "$T/notify.sock" "$T/notify.txt"
wait_file "$T/notify.sock" 5
NOTIFY_SOCKET="$T/notify.sock" bg ip netns exec "$NSA" "$VRRPD" -f "$T/a.conf" -R "$T/ra" 2>"$T/a.log"
VA=$!
wait_sock "$T/ra/vrrpd.sock" 5
check "a master" wait_state "$T/ra" MASTER 6
check "sd_notify READY=1" grep -q "^READY=1" "$T/notify.txt"
check "sd_notify STATUS names the state" grep -q "^STATUS=VI_1 MASTER (priority 150)" "$T/notify.txt"
INJ="python3 $(cd "$(dirname "$0")" && pwd)/inject.py"
drops() { vrrp_json "$T/ra" "j['instances'][0]['counters']['drops']['$1']"; }
inject() { ip netns exec "$NSC" $INJ "$@"; }
for k in badauth:auth:3 ttl254:ttl:2 badsum:checksum:4 v3:version:1 vrid:vrid:2 naddr:addr_count:1 short:addr_count:2 type2:type:1; do
  IFS=: read -r kind reason n <<<"$k"
  before=$(drops "$reason")
  inject "$kind" "$n"
  sleep 0.2
  expect_eq "$kind dropped as '$reason'" "$(drops "$reason")" "$((before + n))"
done
before=$(vrrp_json "$T/ra" "sum(j['instances'][0]['counters']['drops'].values())")
inject garbage 20
sleep 0.2
check "garbage counted" [ "$(vrrp_json "$T/ra" "sum(j['instances'][0]['counters']['drops'].values())")" -ge $((before + 1)) ]
show=$(echo "show vrrp" | socat -t 2 - "UNIX-CONNECT:$T/ra/vrrpd.sock")
check "show vrrp: state line" grep -q "^Instance VI_1: state MASTER" <<<"$show"
check "show vrrp: priorities" grep -q "priority 150 (configured 150) preempt yes fast_takeover yes" <<<"$show"
check "show vrrp: drops by reason" grep -q "ttl 2 version 1 type 1 checksum 4 addr_count 3 vrid 2 auth 3 interval 0 overflow 0" <<<"$show"
help=$(echo "help" | socat -t 2 - "UNIX-CONNECT:$T/ra/vrrpd.sock")
check "help lists subscribe events" grep -q "subscribe events" <<<"$help"
check "unknown command answered" bash -c "echo 'bogus' | socat -t 2 - UNIX-CONNECT:$T/ra/vrrpd.sock | grep -qi unknown"
check "vrrpd still running" kill -0 "$VA"
expect_eq "still master" "$(vrrp_state "$T/ra")" "MASTER"
expect_eq "no advert accepted so far" "$(vrrp_json "$T/ra" "j['instances'][0]['counters']['adverts_received']")" "0"
# a flood: 8 kinds x 2,500 invalid packets from 8 injectors at once;
# nothing changes state, every packet is counted: by its reason, or as
# "overflow" when the kernel dropped it because vrrpd's socket buffer was
# full (it reads them in bursts; 8,000+ packets a second here)
total() { vrrp_json "$T/ra" "sum(j['instances'][0]['counters']['drops'].values())"; }
overflow() { vrrp_json "$T/ra" "j['instances'][0]['counters']['drops']['overflow']"; }
sent() { vrrp_json "$T/ra" "j['instances'][0]['counters']['adverts_sent']"; }
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$1/stat"; }
VPID=$(pgrep -n -x vrrpd -P "$VA" || echo "$VA")
b_total=$(total); b_over=$(overflow); b_sent=$(sent); b_cpu=$(cpu_ms "$VPID"); t0=$(date +%s%3N)
INJS=()
for kind in badauth ttl254 badsum v3 vrid naddr short type2; do
  timeout 30 ip netns exec "$NSC" $INJ "$kind" 2500 &
  INJS+=($!)
done
for p in "${INJS[@]}"; do wait "$p" || true; done
ms=$(($(date +%s%3N) - t0))
sleep 0.3
got=$(( $(total) - b_total )); cpu=$(( $(cpu_ms "$VPID") - b_cpu ))
over=$(( $(overflow) - b_over ))
echo "flood: 20000 invalid packets in $ms ms, $got counted as drops ($((got - over)) by reason, $over socket overflows), vrrpd CPU $cpu ms"
expect_eq "flood: every invalid packet counted" "$got" 20000
expect_eq "flood: still master" "$(vrrp_state "$T/ra")" "MASTER"
expect_eq "flood: priority unchanged" "$(vrrp_json "$T/ra" "j['instances'][0]['priority']")" "150"
expect_eq "flood: no advert accepted" "$(vrrp_json "$T/ra" "j['instances'][0]['counters']['adverts_received']")" "0"
check "flood: the VIP stays" has_vip "$NSA"
check "flood: adverts kept going out ($(( $(sent) - b_sent )) sent)" test "$(sent)" -ge "$b_sent"
inject good200
check "a valid priority 200 advert is obeyed" wait_state "$T/ra" BACKUP 2
check "and the VIP released" wait_novip "$NSA" 2000
expect_eq "master is the injector" "$(vrrp_json "$T/ra" "j['instances'][0]['master']")" "10.77.0.30"
check "a takes back after Master_Down_Interval" wait_state "$T/ra" MASTER 6

# ---- an instance whose interface appears only later ----------------------
NSD=${P}d
ip netns add "$NSD"; LK_NETNS+=("$NSD")
mkdir -p "$T/rd"
cat > "$T/d.conf" <<CONF
vrrp_instance LATE {
    interface eth0
    virtual_router_id 77
    priority 100
    vrrp_version 3
    advert_int 0.1
    virtual_ipaddress {
        10.77.0.200/24
    }
}
CONF
bg ip netns exec "$NSD" "$VRRPD" -f "$T/d.conf" -R "$T/rd" 2>"$T/d.log"
check "vrrpd runs without its interface" wait_sock "$T/rd/vrrpd.sock" 5
check "and says it waits" grep -q "(LATE) waiting for interface eth0" "$T/d.log"
ip -n "$NSBR" link add vd type veth peer name eth0 netns "$NSD"
ip -n "$NSBR" link set vd master br0 up
ip -n "$NSD" link set eth0 up
sleep 0.3
expect_eq "no instance before the address" "$(vrrp_json "$T/rd" 'len(j["instances"])')" "0"
ip -n "$NSD" addr add 10.77.0.40/24 dev eth0
check "instance starts once eth0 has its address" wait_state "$T/rd" MASTER 5
check "its VIP is there" bash -c "ip -n $NSD -4 addr show dev eth0 | grep -q 'inet 10.77.0.200/24'"
finish
