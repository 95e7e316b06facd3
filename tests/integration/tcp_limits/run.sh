#!/usr/bin/env bash
# maxconn, queue and timeouts: a server at its maxconn queues the next
# client until a slot frees; a client queued past "timeout queue" is closed
# (sQ); an idle connection is closed at "timeout client" (cD); frontend
# maxconn holds extra clients in the kernel backlog until a slot frees.
source "$(dirname "$0")/../lib.sh"
TOOL="python3 $(dirname "$0")/../tcptool.py"

P1=$(free_port); PF=$(free_port); PI=$(free_port); PSYS=$(free_port)
bg $TOOL server "$P1"
wait_port 127.0.0.1 "$P1"
# a syslog receiver on UDP
bg python3 -c "
import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('127.0.0.1',$PSYS))
f=open('$T/syslog.txt','ab',0)
while True: f.write(s.recv(65536)+b'\\n')"
cat > "$T/lbd.cfg" <<CFG
global
    log 127.0.0.1:$PSYS local0 info
defaults
    log global
    mode tcp
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    log stdout format raw local0
frontend f
    bind 127.0.0.1:$PF
    option tcplog
    default_backend b
frontend idle
    bind 127.0.0.1:$PI
    timeout client 700ms
    option tcplog
    default_backend b
backend b
    timeout queue 1500ms
    server s1 127.0.0.1:$P1 maxconn 1
CFG
# closed_after PORT: connects, waits for the close (at most 4 s) and prints
# "BYTES MS", timed from the connect inside python: its start-up, slow on a
# loaded machine, is not counted
closed_after() {
    timeout 6 python3 -c "
import socket, time
s = socket.create_connection(('127.0.0.1', $1)); t = time.monotonic(); s.settimeout(4)
print(len(s.recv(100)), int((time.monotonic() - t) * 1000))"
}
bg "$LBD" -f "$T/lbd.cfg" -R "$T" > "$T/lbd.log" 2>&1; LBDPID=$!
wait_port 127.0.0.1 "$PF"
sleep 0.2
# A holds the only slot for ~1.3 s; B queues behind it and then succeeds
# (1.3 s: long enough that B's own start-up on a loaded machine leaves it
# queued, short of timeout queue)
$TOOL hold 127.0.0.1 "$PF" 1.3 > "$T/a.out" 2>&1 & A=$!
wait_conns "$T/lbd.sock" 1
$TOOL upload 127.0.0.1 "$PF" 5000 > "$T/b.out" 2>&1 & B=$!
wait "$A" && arc=0 || arc=$?; wait "$B" && brc=0 || brc=$?
expect_eq "first client holding the slot completes" "$arc" 0
expect_eq "queued client is served once the slot frees" "$brc" 0
check "queued connection logged with a queue time" grep -qE ' f b/s1 [1-9][0-9]{2,}/[0-9]+/[0-9]+ [0-9]+ -- ' "$T/lbd.log"
# C holds for 3 s: D waits longer than timeout queue and is closed
$TOOL hold 127.0.0.1 "$PF" 3 > "$T/c.out" 2>&1 & C=$!
wait_conns "$T/lbd.sock" 1
read -r got ms < <(closed_after "$PF")
expect_eq "client queued past timeout queue is closed" "$got" 0
check "closed after about 1.5 s in the queue (${ms} ms)" test "$ms" -ge 1300 -a "$ms" -le 2500
check "queue timeout logged as sQ" grep -qE ' f b/<NOSRV> [0-9]+/-1/[0-9]+ 0 sQ ' "$T/lbd.log"
wait "$C" || true
# an idle client is closed by timeout client
read -r got ms < <(closed_after "$PI")
expect_eq "idle connection closed" "$got" 0
check "closed after timeout client 700 ms (${ms} ms)" test "$ms" -ge 600 -a "$ms" -le 1500
check "idle timeout logged as cD" grep -qE ' idle b/s1 [0-9]+/[0-9]+/[0-9]+ [0-9]+ cD ' "$T/lbd.log"
kill "$LBDPID"; wait "$LBDPID" || true

# connect timeout: a server whose accept queue is full drops our SYNs
PB=$(free_port); PC=$(free_port)
bg python3 -c "
import socket,time
s=socket.socket(); s.bind(('127.0.0.1',$PB)); s.listen(0)
c=[socket.socket() for i in range(4)]
for x in c:
    x.setblocking(False)
    try: x.connect(('127.0.0.1',$PB))
    except BlockingIOError: pass
time.sleep(60)"
sleep 0.5
cat > "$T/lbd2.cfg" <<CFG
defaults
    mode tcp
    timeout connect 400ms
    timeout client 5s
    timeout server 5s
    retries 1
    log stdout format raw local0
    option tcplog
frontend f
    bind 127.0.0.1:$PC
    default_backend b
backend b
    server full 127.0.0.1:$PB
CFG
bg "$LBD" -f "$T/lbd2.cfg" -R "$T/r2" > "$T/lbd2.log" 2>&1; LBD2=$!
wait_port 127.0.0.1 "$PC"
sleep 0.5
read -r got ms < <(closed_after "$PC")
expect_eq "connect timeout: client closed" "$got" 0
check "two attempts of 400 ms each (${ms} ms)" test "$ms" -ge 700 -a "$ms" -le 1600
check "connect timeout logged as sC with one retry" grep -qE ' f b/<NOSRV> [0-9]+/-1/[0-9]+ 0 sC [0-9]+/[0-9]+/[0-9]+/[0-9]+/1 ' "$T/lbd2.log"
kill "$LBD2"; wait "$LBD2" || true

check "syslog over UDP gets RFC 3164 lines (facility local0, info)" grep -qE '^<134>[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} lbd\[[0-9]+\]: 127\.0\.0\.1:[0-9]+ \[.*\] f b/s1 ' "$T/syslog.txt"
check "stdout target gets raw lines" grep -qE '^127\.0\.0\.1:[0-9]+ \[' "$T/lbd.log"
finish
