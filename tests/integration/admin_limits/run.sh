#!/usr/bin/env bash
# lbd's admin sockets under hostile clients (issue 10, items 3 and 11):
#  - "subscribe health" twice on one connection, then a disconnect, at the
#    lowest level (user): was a use-after-free (the heartbeat wrote to the
#    freed connection); now the second one is refused;
#  - 150 subscribers that never read: at most LK_CMDSRV_MAXCONN (100) are
#    held, the rest are closed at accept; those held are dropped once they
#    are about 8 s behind, and the socket serves new clients again;
#  - 150 stalled stats page clients: at most 100 held (the stats proxy's
#    maxconn, default 100).
source "$(dirname "$0")/../lib.sh"
cli() { echo "$2" | socat -t 5 - "UNIX-CONNECT:$1"; }
PF=$(free_port); PB=$(free_port); PS=$(free_port)
python3 -m http.server --bind 127.0.0.1 "$PB" > /dev/null 2>&1 & LK_PIDS+=($!)
cat > "$T/lbd.cfg" <<CFG
global
    stats socket $T/user.sock mode 600 level user
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:$PF
    default_backend be
backend be
    server s1 127.0.0.1:$PB
listen stats
    bind 127.0.0.1:$PS
    stats enable
    stats uri /stats
CFG
bg "$LBD" -f "$T/lbd.cfg" -R "$T" > "$T/lbd.log" 2>&1; LBDPID=$!
wait_sock "$T/user.sock"

out=$( (printf 'subscribe health\nsubscribe health\n'; sleep 1.2) | socat -t 2 - "UNIX-CONNECT:$T/user.sock")
check "a second subscribe on one connection is refused" grep -q "Already subscribed." <<< "$out"
check "the first subscription still gets heartbeats" grep -q "^health ok" <<< "$out"
sleep 1.5 # heartbeats run every 500 ms: a dangling subscriber would be written to now
check "lbd alive after the subscriber left" kill -0 "$LBDPID"
check "and still answers" grep -q "^Name: " <<< "$(cli "$T/user.sock" "show info")"

fds() { ls "/proc/$LBDPID/fd" | wc -l; }
base=$(fds)
python3 - "$T/user.sock" 150 30 > "$T/hogs.out" 2>&1 <<'PY' & HOGS=$!
import socket, sys, time
path, n, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
socks = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window: we never read
    s.connect(path)
    s.sendall(b"subscribe health\n")
    socks.append(s)
print("ready", flush=True)
time.sleep(hold)
PY
for i in $(seq 1 100); do grep -q ready "$T/hogs.out" 2>/dev/null && break; sleep 0.1; done
sleep 1
held=$(( $(fds) - base ))
echo "150 non-reading subscribers: lbd holds $held more fds"
check "at most 100 of 150 connections held (held $held)" test "$held" -le 100
t0=$(date +%s)
for i in $(seq 1 300); do [ $(( $(fds) - base )) -le 2 ] && break; sleep 0.1; done
held2=$(( $(fds) - base )); t1=$(date +%s)
echo "after $((t1 - t0)) s: $held2 more fds"
check "subscribers that stopped reading are dropped (within 30 s)" test "$held2" -le 2
check "the socket serves a new client again" grep -q "^Name: " <<< "$(cli "$T/user.sock" "show info")"
kill "$HOGS" 2>/dev/null || true

# the stats page: 150 clients that send the start of a request and stall
base=$(fds)
python3 - "$PS" 150 8 > "$T/shogs.out" 2>&1 <<'PY' & SHOGS=$!
import socket, sys, time
port, n, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /stats HTTP/1.1\r\nHost: x\r\n")  # never finished
    socks.append(s)
print("ready", flush=True)
time.sleep(hold)
PY
for i in $(seq 1 100); do grep -q ready "$T/shogs.out" 2>/dev/null && break; sleep 0.1; done
sleep 0.5
sheld=$(( $(fds) - base ))
echo "150 stalled stats page clients: lbd holds $sheld more fds"
check "at most 100 stats page connections held (held $sheld)" test "$sheld" -le 100
wait "$SHOGS" 2>/dev/null || true
check "the stats page answers once they are gone" curl -sf -o /dev/null "http://127.0.0.1:$PS/stats"
check "lbd still alive" kill -0 "$LBDPID"
finish
