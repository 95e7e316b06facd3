#!/usr/bin/env bash
# Limits without a busy loop: lbd at its global maxconn, at a frontend's
# maxconn, and out of file descriptors (EMFILE, "ulimit-n") stops
# accepting; the connections wait in the kernel's accept queue, lbd's CPU
# time stays near zero while it is at the limit (utime + stime from
# /proc/PID/stat over 3 s, all threads), and once connections close the
# waiting clients are served.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
HZ=$(getconf CLK_TCK)

N=$(free_port); PG=$(free_port); PF=$(free_port); PE=$(free_port)
start_nginx "$N" web

# cpu_ms PID: user + system CPU time of the whole process so far, ms
cpu_ms() { awk -v hz="$HZ" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$1/stat"; }
curconns() { echo "show info" | socat -t 2 - "UNIX-CONNECT:$1" | awk '/^CurrConns:/ { print $2 }'; }
# served PORT: a request through lbd answered within 8 s
served() { [ "$(curl -s --max-time 8 "http://127.0.0.1:$1/")" = web ]; }

# at_limit NAME PORT SOCK LIMIT: LIMIT connections held through lbd and 30
# more waiting; lbd's CPU over 3 s; then the holders go and a waiting
# client is served
at_limit() {
  local name=$1 port=$2 sock=$3 limit=$4 c0 c1 ms
  python3 "$HERE/../hold.py" "$port" "$limit" 6 &
  local H1=$!
  check "$name: $limit connections held" wait_conns "$sock" "$limit" 5
  python3 "$HERE/../hold.py" "$port" 30 6 &
  local H2=$!
  # a client beyond the limit: waits in the accept queue
  curl -s --max-time 9 -o "$T/late.$name" "http://127.0.0.1:$port/" &
  local C=$!
  sleep 0.5
  c0=$(cpu_ms "$LBD_PID")
  sleep 3
  c1=$(cpu_ms "$LBD_PID")
  ms=$((c1 - c0))
  echo "$name: at the limit ($(curconns "$sock") connections, 31 waiting): lbd used $ms ms of CPU in 3000 ms"
  expect_eq "$name: lbd holds no more than the limit" "$(curconns "$sock")" "$limit"
  check "$name: no busy loop at the limit ($ms ms CPU in 3 s)" test "$ms" -lt 150
  wait "$H1" "$H2" || true
  wait "$C" || true
  expect_eq "$name: the waiting client is served once connections close" "$(cat "$T/late.$name")" web
}

DEFAULTS="defaults
    mode http
    timeout connect 1s
    timeout client 20s
    timeout server 20s
    timeout http-request 15s"
cat > "$T/lbd.cfg" <<CFG
global
    maxconn 40
    stats socket $T/lbd.sock level admin
$DEFAULTS
frontend global_limit
    bind 127.0.0.1:$PG
    default_backend web
frontend fe_limit
    bind 127.0.0.1:$PF
    maxconn 10
    default_backend web
backend web
    server w 127.0.0.1:$N
CFG
start_lbd "$T/lbd.cfg"
wait_port 127.0.0.1 "$PG"
wait_sock "$T/lbd.sock"
sleep 0.5
at_limit "global maxconn 40" "$PG" "$T/lbd.sock" 40
# the frontend at its maxconn 10, the rest of the process not
python3 "$HERE/../hold.py" "$PF" 10 6 &
H=$!
check "fe maxconn: 10 held" wait_conns "$T/lbd.sock" 10 5
check "fe maxconn: another frontend still serves" served "$PG"
wait "$H" || true
at_limit "frontend maxconn 10" "$PF" "$T/lbd.sock" 10
kill "$LBD_PID"; wait "$LBD_PID" 2>/dev/null || true

# out of descriptors: ulimit-n 48 leaves room for ~15 client+server pairs
cat > "$T/lbd2.cfg" <<CFG
global
    ulimit-n 48
    stats socket $T/lbd2.sock level admin
$DEFAULTS
frontend fe
    bind 127.0.0.1:$PE
    default_backend web
backend web
    server w 127.0.0.1:$N
CFG
: > "$T/lbd.log"
start_lbd "$T/lbd2.cfg"
wait_port 127.0.0.1 "$PE"
wait_sock "$T/lbd2.sock"
python3 "$HERE/../hold.py" "$PE" 60 6 &
H1=$!
sleep 1
# accepted = 60 - what waits in the listener's queue (lbd's own stats
# socket cannot accept either while it is out of descriptors)
q=$(ss -Hltn "sport = :$PE" | awk '{ print $2 }' || true)
n=$((60 - ${q:-60}))
c0=$(cpu_ms "$LBD_PID"); sleep 3; c1=$(cpu_ms "$LBD_PID"); ms=$((c1 - c0))
echo "EMFILE: $n connections accepted of 60 with ulimit-n 48; lbd used $ms ms of CPU in 3000 ms"
check "EMFILE: some accepted, not all ($n)" test "${n:-0}" -gt 0 -a "${n:-0}" -lt 60
check "EMFILE logged (rate-limited)" grep -q 'accept on .*(pausing)' "$T/lbd.log"
logged=$(grep -c 'accept on .*(pausing)' "$T/lbd.log" || true)
echo "EMFILE: $logged log lines in 4 s"
check "EMFILE: log lines bounded ($logged)" test "$logged" -le 10
check "EMFILE: no busy loop ($ms ms CPU in 3 s)" test "$ms" -lt 150
wait "$H1" || true
sleep 0.3
check "EMFILE: served again once descriptors are free" served "$PE"
check "EMFILE: the stats socket answers again" bash -c "echo 'show info' | socat -t 2 - UNIX-CONNECT:$T/lbd2.sock | grep -q '^CurrConns:'"
check "lbd still running" kill -0 "$LBD_PID"
finish
