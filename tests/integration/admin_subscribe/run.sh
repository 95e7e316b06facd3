#!/usr/bin/env bash
# "subscribe" twice on one admin connection, then disconnect: lbd's
# "subscribe health" and vrrpd's "subscribe events" once left a second list
# entry behind that the next heartbeat/event wrote through after the
# connection was freed (use-after-free, ASan build aborts). Both daemons must
# stay up and keep serving.
source "$(dirname "$0")/../lib.sh"
need_root

# sub2 SOCKET CMD: send CMD twice on one connection, read a little, close.
sub2() {
  python3 - "$1" "$2" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(3)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n" + sys.argv[2] + "\n").encode())
time.sleep(0.3)
s.close()
PY
}
cli() { echo "$2" | socat -t 5 - "UNIX-CONNECT:$1"; }

PF=$(free_port)
cat > "$T/lbd.cfg" <<CFG
defaults
    mode tcp
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:$PF
    default_backend be
backend be
    server s1 127.0.0.1:1
CFG
bg "$LBD" -f "$T/lbd.cfg" -R "$T" 2> "$T/lbd.log"; LBDPID=$!
wait_sock "$T/lbd.sock"
for i in 1 2 3; do sub2 "$T/lbd.sock" "subscribe health"; done
sleep 1.2 # two heartbeats (500 ms) after the disconnects
check "lbd alive after double subscribe + disconnect" kill -0 "$LBDPID"
check "lbd still serves its admin socket" grep -q "^health ok" <<< "$(cli "$T/lbd.sock" "show health")"
check "no ASan report from lbd" bash -c "! grep -q AddressSanitizer '$T/lbd.log'"

NS="lkc$$"
ip netns add "$NS"; LK_NETNS+=("$NS")
ip -n "$NS" link set lo up
# a veth pair inside the namespace (the dummy module is not on every
# kernel): eth0 for vrrpd, its peer only keeps the link up
ip -n "$NS" link add eth0 type veth peer name eth1
ip -n "$NS" addr add 10.78.0.1/24 dev eth0
ip -n "$NS" link set eth1 up
ip -n "$NS" link set eth0 up
mkdir -p "$T/v"
cat > "$T/v.conf" <<CONF
vrrp_instance V1 {
    interface eth0
    state BACKUP
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.78.0.100/24
    }
}
CONF
bg ip netns exec "$NS" "$VRRPD" -f "$T/v.conf" -R "$T/v" 2> "$T/vrrpd.log"; VPID=$!
wait_sock "$T/v/vrrpd.sock"
for i in 1 2 3; do sub2 "$T/v/vrrpd.sock" "subscribe events"; done
# no peer: BACKUP becomes MASTER after ~3 s, an event for every subscriber
for i in $(seq 1 60); do
  grep -q "MASTER" <<< "$(cli "$T/v/vrrpd.sock" "show vrrp" 2>/dev/null)" && break
  sleep 0.1
done
sleep 0.3
check "vrrpd became MASTER (an event was sent)" grep -q MASTER <<< "$(cli "$T/v/vrrpd.sock" "show vrrp")"
check "vrrpd alive after double subscribe + disconnect" kill -0 "$VPID"
check "no ASan report from vrrpd" bash -c "! grep -q AddressSanitizer '$T/vrrpd.log'"
finish
