#!/usr/bin/env bash
# lbd mode tcp on loopback in front of test backends: bulk both ways with
# checksums, half-close, 1,000 concurrent connections, retries past a dead
# server, a backend killed mid-stream, tcplog lines, graceful SIGTERM.
source "$(dirname "$0")/../lib.sh"
ulimit -n 16384
TOOL="python3 $(dirname "$0")/../tcptool.py"

P1=$(free_port); P2=$(free_port); PDEAD=$(free_port); PF=$(free_port)
bg $TOOL server "$P1"; S1=$!
bg $TOOL server "$P2"; S2=$!
wait_port 127.0.0.1 "$P1"; wait_port 127.0.0.1 "$P2"

cat > "$T/lbd.cfg" <<CFG
global
    maxconn 5000
    nbthread 2
    hard-stop-after 10s
defaults
    mode tcp
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    log stdout format raw local0
frontend fe
    bind 127.0.0.1:$PF
    option tcplog
    default_backend be
backend be
    balance roundrobin
    option tcpka
    server dead 127.0.0.1:$PDEAD
    server s1 127.0.0.1:$P1
    server s2 127.0.0.1:$P2
CFG
check "config is valid (lbd -c)" "$LBD" -c -f "$T/lbd.cfg"
bg "$LBD" -f "$T/lbd.cfg" -R "$T" > "$T/lbd.log" 2>&1; LBDPID=$!
wait_port 127.0.0.1 "$PF"

check "upload 64 MB, half-close, digest comes back" $TOOL upload 127.0.0.1 "$PF" 67108864
check "download 64 MB with checksum" $TOOL download 127.0.0.1 "$PF" 67108864
check "small upload (no splice path)" $TOOL upload 127.0.0.1 "$PF" 1000
check "1000 concurrent connections all answered" $TOOL concurrent 127.0.0.1 "$PF" 1000

# every connection succeeded although 'dead' refuses: retried on another server
ok_retry=$(grep -c ' be/s[12] .* -- .*/+1 ' "$T/lbd.log" || true)
check "connections first sent to the dead server were retried elsewhere ($ok_retry)" test "$ok_retry" -gt 0
nosrv=$(grep -c 'NOSRV' "$T/lbd.log" || true)
expect_eq "no connection failed for lack of a server" "$nosrv" 0
# tcplog layout: ip:port [date] fe be/srv Tw/Tc/Tt bytes term counts queues
check "tcplog line format" grep -qE '^127\.0\.0\.1:[0-9]+ \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:.]{12}\] fe be/s[12] [0-9]+/[0-9]+/[0-9]+ [0-9]+ -- [0-9]+/[0-9]+/[0-9]+/[0-9]+/\+?[0-9]+ 0/0$' "$T/lbd.log"
# roundrobin over the two live servers: both got traffic
n1=$(grep -c ' be/s1 ' "$T/lbd.log" || true); n2=$(grep -c ' be/s2 ' "$T/lbd.log" || true)
check "roundrobin spread s1=$n1 s2=$n2" test "$n1" -gt 400 -a "$n2" -gt 400

# both proxied sockets carry SO_KEEPALIVE (option tcpka): seen on an idle
# connection, where the keepalive timer is the one armed (a busy socket
# shows its retransmit or zero-window timer instead)
python3 -c "
import socket,time; s=socket.create_connection(('127.0.0.1',$PF)); time.sleep(3)" & IDLE=$!
wait_conns "$T/lbd.sock" 1
sleep 0.3
ka=$(ss -tnoH state established "( sport = :$PF )" | grep -c 'keepalive' || true)
check "option tcpka: client-side socket has SO_KEEPALIVE" test "$ka" -ge 1
ka=$(ss -tnopH state established "( dport = :$P1 or dport = :$P2 )" | grep "pid=$LBDPID," | grep -c 'keepalive' || true)
check "option tcpka: server-side socket has SO_KEEPALIVE" test "$ka" -ge 1
kill "$IDLE" 2>/dev/null || true; wait "$IDLE" 2>/dev/null || true

# backpressure: a client that does not read pauses the server side, and lbd's
# memory stays bounded (one buffer or one pipe per direction)
rss() { awk '/VmRSS/ {print $2}' "/proc/$LBDPID/status"; }
before=$(rss)
python3 - "$PF" > "$T/slow.out" <<'PY' &
import socket, sys, time, hashlib
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"SEND 268435456 11\n")
time.sleep(2.5)              # read nothing for a while
n = 0
while True:
    b = s.recv(1 << 20)
    if not b: break
    n += len(b)
print(n)
PY
SLOW=$!
sleep 1.5
during=$(rss)
wait "$SLOW"
expect_eq "slow reader still gets all 256 MB" "$(cat "$T/slow.out")" 268435456
grow=$(( during - before ))
check "lbd memory grew by ${grow} KiB while a reader stalled 256 MB (< 8 MiB)" test "$grow" -lt 8192

# reset propagation: a client that resets makes lbd reset the server side
PR=$(free_port)
bg python3 -c "
import socket
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1',$PR)); s.listen()
c,_=s.accept()
try:
    while c.recv(65536): pass
    r='eof'
except ConnectionResetError: r='reset'
open('$T/rst.txt','w').write(r)"
RSRV=$!
wait_listen "$PR"
cat > "$T/rst.cfg" <<CFG
defaults
    mode tcp
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend fr
    bind 127.0.0.1:$(free_port)
    default_backend br
backend br
    server r 127.0.0.1:$PR
CFG
PRF=$(awk '/bind/ {split($2,a,":"); print a[2]}' "$T/rst.cfg")
bg "$LBD" -f "$T/rst.cfg" -R "$T/rst" > "$T/rst.log" 2>&1; RLBD=$!
wait_listen "$PRF"
python3 -c "
import socket,struct,time
s=socket.create_connection(('127.0.0.1',$PRF)); s.send(b'hello'); time.sleep(0.3)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii',1,0)); s.close()"
wait "$RSRV" 2>/dev/null || true
expect_eq "client reset is propagated to the server as a reset" "$(cat "$T/rst.txt" 2>/dev/null)" reset
kill "$RLBD"; wait "$RLBD" || true

# a backend killed mid-stream: the client sees the end, lbd keeps serving
$TOOL download 127.0.0.1 "$PF" 1073741824 > "$T/mid.out" 2>&1 & DL=$!
sleep 0.5
kill -9 "$S1" "$S2" 2>/dev/null || true
wait "$DL" && midrc=0 || midrc=$?
check "download cut by a backend crash is reported as failed, not hung" test "$midrc" -ne 0
check "lbd still running after backend crash" kill -0 "$LBDPID"
bg $TOOL server "$P1"; S1=$!
bg $TOOL server "$P2"; S2=$!
wait_port 127.0.0.1 "$P1"; wait_port 127.0.0.1 "$P2"
check "traffic flows again after backends restart" $TOOL upload 127.0.0.1 "$PF" 100000

# graceful stop: a connection in flight finishes, new ones are refused
$TOOL hold 127.0.0.1 "$PF" 2 > "$T/hold.out" 2>&1 & HOLD=$!
wait_conns "$T/lbd.sock" 1
kill -TERM "$LBDPID"
sleep 0.3
if (exec 3<>"/dev/tcp/127.0.0.1/$PF") 2>/dev/null; then fail "listener closed after SIGTERM"; else ok "listener closed after SIGTERM"; fi
wait "$HOLD" && holdrc=0 || holdrc=$?
expect_eq "connection in flight completed during graceful stop" "$holdrc" 0
[ "$holdrc" = 0 ] || { cat "$T/hold.out"; tail -5 "$T/lbd.log"; }
for i in $(seq 1 100); do kill -0 "$LBDPID" 2>/dev/null || break; sleep 0.05; done
wait "$LBDPID" && lrc=0 || lrc=$?
expect_eq "lbd exited 0 after SIGTERM" "$lrc" 0
finish
