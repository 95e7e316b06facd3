#!/usr/bin/env bash
# lbd -W: a worker killed with SIGKILL under load is replaced by the master
# on the same listening sockets. Clients lose only the connections that
# were inside the dead worker (wrk: no connect error, read errors at most
# the number of open connections); connections waiting in the accept queue
# are served by the new worker. The master CLI's "subscribe health" (what
# vrrpd's track_lbd follows in this mode) never says "fail" during the
# respawn. MAINT and an added server survive the crash. A hung worker
# (SIGSTOP) is killed and replaced by the master's watchdog. Workers that keep dying make the master give up (exit 1) after
# LB_MASTER_RESPAWNS in 10 s instead of looping. Prints the respawn time.
# Before lbd -W there was no master: kill -9 of lbd refused every
# connection until systemd restarted it (RestartSec=1s).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"
command -v wrk >/dev/null || { echo "SKIP: wrk not installed"; exit 77; }
command -v nginx >/dev/null || { echo "SKIP: nginx not installed"; exit 77; }
cli() { echo "$2" | socat -t 5 - "UNIX-CONNECT:$1"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

B1=$(free_port); B2=$(free_port); PH=$(free_port)
start_nginx "$B1" one; start_nginx "$B2" two
cat > "$T/lbd.cfg" <<CFG
global
    nbthread 2
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend web
    bind 127.0.0.1:$PH
    default_backend be
backend be
    server s1 127.0.0.1:$B1
    server s2 127.0.0.1:$B2
CFG
bg "$LBD" -W -S "$T/master.sock" -f "$T/lbd.cfg" -R "$T" 2> "$T/lbd.log"; MASTER=$!
wait_port 127.0.0.1 "$PH"; wait_sock "$T/master.sock"
worker_pid() { { cli "$T/master.sock" "show proc" 2>/dev/null | awk '/^# workers/ {w=1; next} /^#/ {w=0} w && $2=="worker" {print $1; exit}'; } || true; }

# the health subscriber, as vrrpd's track_lbd: one timestamped line each
"$PY" - "$T/master.sock" > "$T/health.txt" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"subscribe health\n")
f = s.makefile("r")
for line in f:
    if line.strip():
        print("%.3f %s" % (time.time(), line.strip()), flush=True)
print("EOF", flush=True)
PY
SUB=$!; LK_PIDS+=("$SUB")
sleep 0.6

wrk -t2 -c16 -d6s "http://127.0.0.1:$PH/" > "$T/wrk-ka.txt" 2>&1 & W1=$!
wrk -t1 -c8 -d6s -H 'Connection: close' "http://127.0.0.1:$PH/" > "$T/wrk-close.txt" 2>&1 & W2=$!
sleep 2
OLD=$(worker_pid)
t0=$(now_ms)
kill -9 "$OLD"
# the new worker answers on lbd.sock (the old one is dead): it serves
t1=""
for i in $(seq 1 400); do
  NEW=$(worker_pid)
  if [ -n "$NEW" ] && [ "$NEW" != "$OLD" ] && cli "$T/lbd.sock" "show info" 2>/dev/null | lk_grepq "^Pid: $NEW"; then
    t1=$(now_ms); break
  fi
  sleep 0.005
done
wait "$W1" "$W2" || true
RESPAWN_MS=$(( ${t1:-999999} - t0 ))
READY_MS=$(sed -n "s/.*worker $NEW ready (\([0-9]*\) ms after start).*/\1/p" "$T/lbd.log")
echo "respawn: worker $OLD killed, worker $NEW ready ${READY_MS:-?} ms after its start (master's log), serving on lbd.sock $RESPAWN_MS ms after the kill (as polled)"
check "a new worker serves within 1 s ($RESPAWN_MS ms)" test "$RESPAWN_MS" -lt 1000
FAILED=0
for f in ka close; do
  echo "== wrk $f"; cat "$T/wrk-$f.txt"
  read -r c r w to <<< "$(awk -F'[ ,]+' '/Socket errors/ {print $5, $7, $9, $11}' "$T/wrk-$f.txt")"
  reqs=$(awk '/requests in/ {print $1}' "$T/wrk-$f.txt")
  echo "wrk $f: ${reqs:-0} requests, connect errors ${c:-0}, read ${r:-0}, write ${w:-0}, timeout ${to:-0}"
  FAILED=$(( FAILED + ${r:-0} + ${w:-0} + ${to:-0} ))
  check "wrk $f: no connection refused" test "${c:-0}" = 0
  check "wrk $f: no timeout" test "${to:-0}" = 0
  check "wrk $f: no non-2xx" bash -c "! grep -q 'Non-2xx' '$T/wrk-$f.txt'"
done
echo "failed requests: $FAILED (connections open at the kill: at most 24)"
check "only in-flight requests failed ($FAILED <= 24)" test "$FAILED" -le 24
check "the master is still there" kill -0 "$MASTER"
check "the master logged the respawn" grep -q "worker $OLD killed by signal 9: starting a new one" "$T/lbd.log"
check "health lines kept coming" test "$(grep -c 'health ok' "$T/health.txt")" -ge 10
check "health never failed during the respawn" bash -c "! grep -q 'health fail' '$T/health.txt'"
check "the subscription is still open" bash -c "! grep -q EOF '$T/health.txt'"

# operator state survives a crash too: the master hands the last snapshot
# of the dead worker to the new one
cli "$T/lbd.sock" "set server be/s2 state maint" > /dev/null
cli "$T/lbd.sock" "add server be/s3 127.0.0.1:$B1 weight 5" > /dev/null
sleep 0.1
OLD=$(worker_pid); kill -9 "$OLD"
for i in $(seq 1 200); do
  NEW=$(worker_pid)
  [ -n "$NEW" ] && [ "$NEW" != "$OLD" ] && { cli "$T/lbd.sock" "show info" 2>/dev/null || true; } | lk_grepq "^Pid: $NEW" && break
  sleep 0.01
done
st=$(cli "$T/lbd.sock" "show servers state be")
echo "$st"
check "s2 still MAINT after the crash" test "$(awk '$4=="s2" {print $7}' <<< "$st")" != 0
check "the added server s3 is back, weight 5" test "$(awk '$4=="s3" {print $8}' <<< "$st")" = 5

# a hung worker (SIGSTOP: its loops stop, its health lines stop) is killed
# and replaced by the master's watchdog
OLD=$(worker_pid); kill -STOP "$OLD"; t0=$(now_ms); t1=""
for i in $(seq 1 1000); do
  NEW=$(worker_pid)
  if [ -n "$NEW" ] && [ "$NEW" != "$OLD" ] && { cli "$T/lbd.sock" "show info" 2>/dev/null || true; } | lk_grepq "^Pid: $NEW"; then
    t1=$(now_ms); break
  fi
  sleep 0.02
done
HUNG_MS=$(( ${t1:-999999} - t0 ))
echo "hung worker: $OLD stopped, $NEW serving after $HUNG_MS ms (watchdog: 5 s of silence)"
check "a hung worker is replaced (in $HUNG_MS ms < 8000)" test "$HUNG_MS" -lt 8000
check "... as hung" grep -q "worker $OLD silent for [0-9]* ms: hung, killing it" "$T/lbd.log"
check "... and serves" curl -sf -m 2 -o /dev/null "http://127.0.0.1:$PH/"

# bounded respawns: keep killing the worker; the master gives up
kills=0
for i in $(seq 1 10); do
  kill -0 "$MASTER" 2>/dev/null || break
  W=$(worker_pid); [ -n "$W" ] || { sleep 0.05; continue; }
  kill -9 "$W" 2>/dev/null && kills=$((kills + 1))
  for j in $(seq 1 100); do
    kill -0 "$MASTER" 2>/dev/null || break
    N=$(worker_pid)
    [ -n "$N" ] && [ "$N" != "$W" ] && { cli "$T/lbd.sock" "show info" 2>/dev/null || true; } | lk_grepq "^Pid: $N" && break
    sleep 0.02
  done
done
for i in $(seq 1 100); do kill -0 "$MASTER" 2>/dev/null || break; sleep 0.05; done
rc=0; wait "$MASTER" || rc=$?
echo "master gave up after $kills more kills (exit $rc)"
check "the master exits 1 when workers keep dying" test "$rc" = 1
check "... after at most 6 deaths in 10 s" test "$kills" -le 6
check "... and says why" grep -q "deaths in 10 s, giving up" "$T/lbd.log"
sleep 0.2
check "vrrpd would see EOF at once" grep -q EOF "$T/health.txt"

# kill -9 of the master: its worker sees EOF on the socketpair and stops,
# so no orphan keeps serving (systemd's Restart= starts a fresh lbd)
bg "$LBD" -W -S "$T/master2.sock" -f "$T/lbd.cfg" -R "$T" 2> "$T/lbd2.log"; MASTER=$!
wait_sock "$T/master2.sock"; wait_port 127.0.0.1 "$PH"
W=$(cli "$T/master2.sock" "show proc" | awk '/^# workers/ {w=1; next} /^#/ {w=0} w {print $1; exit}') || true
kill -9 "$MASTER"
t0=$(now_ms)
# (its exit is read from its log: an orphan stays a zombie until init reaps it)
for i in $(seq 1 200); do grep -q "lbd\[$W\].*lbd stopped" "$T/lbd2.log" && break; sleep 0.01; done
echo "orphan check: worker $W stopped $(( $(now_ms) - t0 )) ms after its master's kill -9"
check "the worker of a killed master exits" grep -q "lbd\[$W\].*lbd stopped" "$T/lbd2.log"
check "... and its port is closed" bash -c "! curl -s -m 1 -o /dev/null http://127.0.0.1:$PH/"
check "... having said why" grep -q "master process gone" "$T/lbd2.log"
finish
