#!/usr/bin/env bash
# "subscribe" twice on one admin connection, then disconnect: lbd's
# "subscribe health" and vrrpd's "subscribe events" once left a second list
# entry behind that the next heartbeat/event wrote through after the
# connection was freed (use-after-free; the ASan build aborts). Both daemons
# must stay up and keep serving.
source "$(dirname "$0")/../lib.sh"
need_root

# sub2 SOCKET CMD: send CMD twice on one connection, wait a little, close.
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
wait_file "$T/lbd.sock"
for i in 1 2 3; do sub2 "$T/lbd.sock" "subscribe health" || true; done
sleep 1.2 # two heartbeats (500 ms) after the disconnects
check "lbd alive after double subscribe + disconnect" kill -0 "$LBDPID"
check "lbd still serves its admin socket" grep -q "^health ok" <<< "$(cli "$T/lbd.sock" "show health")"
check "no ASan report from lbd" bash -c "! grep -q AddressSanitizer '$T/lbd.log'"

# 150 subscribers that never read: lbd holds at most LK_CMDSRV_MAXCONN (64)
# of them, the rest are closed at once; once they go, clients are served.
fds0=$(ls /proc/"$LBDPID"/fd | wc -l)
python3 - "$T/lbd.sock" "$LBDPID" > "$T/many.out" <<'PY'
import os, socket, sys, time
socks = []
for i in range(150):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(3)
    try:  # a full backlog or a close past the limit is fine here
        s.connect(sys.argv[1])
        s.sendall(b"subscribe health\n")
    except OSError:
        time.sleep(0.01)
    socks.append(s)
time.sleep(1.5)
print(len(os.listdir("/proc/%s/fd" % sys.argv[2])))
for s in socks:
    s.close()
PY
fds1=$(cat "$T/many.out")
echo "lbd fds: $fds0 before, $fds1 with 150 non-reading subscribers"
check "150 non-reading subscribers hold at most 64 fds" test $((fds1 - fds0)) -le 64
sleep 0.5
check "a new client is served after they go" grep -q "^health ok" <<< "$(cli "$T/lbd.sock" "show health")"

NS="lkc$$"
ip netns add "$NS"; LK_NETNS+=("$NS")
ip -n "$NS" link set lo up
# a veth pair inside the namespace: eth0 for vrrpd, its peer only keeps it up
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
wait_file "$T/v/vrrpd.sock"
for i in 1 2 3; do sub2 "$T/v/vrrpd.sock" "subscribe events" || true; done
# no peer: BACKUP becomes MASTER after ~3 s, an event for every subscriber
for i in $(seq 1 80); do
  grep -q "MASTER" <<< "$(cli "$T/v/vrrpd.sock" "show vrrp" 2>/dev/null)" && break
  sleep 0.1
done
sleep 0.3
check "vrrpd became MASTER (an event was sent)" grep -q MASTER <<< "$(cli "$T/v/vrrpd.sock" "show vrrp")"
check "vrrpd alive after double subscribe + disconnect" kill -0 "$VPID"
check "no ASan report from vrrpd" bash -c "! grep -q AddressSanitizer '$T/vrrpd.log'"
finish
