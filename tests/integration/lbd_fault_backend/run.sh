#!/usr/bin/env bash
# Broken backends under client load, lbd and HAProxy 2.6 side by side on
# the same configuration (mode http, nginx as the good server):
#  - hung: accepts and never answers. Alone: 504 at "timeout server";
#    beside a good server (roundrobin): the requests sent to it get 504
#    (neither retries a request already sent), the others 200.
#  - full accept queue (backlog 0, never accepting): SYNs dropped. Alone:
#    "timeout connect" on each attempt, then 503; beside a good server:
#    every request 200, the slowest after one connect timeout (both move
#    to the other server on the first retry).
#  - other clients (wrk on a frontend with the good server only, during
#    all of it): 0 errors, their p99 printed.
# Prints per daemon and backend the status codes and the slowest request.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

N=$(free_port); PH=$(free_port); PF=$(free_port)
start_nginx "$N" good
bg python3 "$HERE/badsrv.py" hung "$PH"
bg python3 "$HERE/badsrv.py" full "$PF"
wait_port 127.0.0.1 "$PH"
wait_listen "$PF"
bg python3 "$HERE/../hold.py" "$PF" 4 120 # fill its accept queue

# cfg FILE HUNG HUNGMIX FULL FULLMIX GOOD [EXTRA_GLOBAL]: frontend ports
cfg() {
  cat > "$1" <<CFG
global
$7
defaults
    mode http
    timeout connect 300ms
    timeout client 10s
    timeout server 700ms
    retries 2
    option redispatch
frontend hung
    bind 127.0.0.1:$2
    default_backend hung
frontend hungmix
    bind 127.0.0.1:$3
    default_backend hungmix
frontend full
    bind 127.0.0.1:$4
    default_backend full
frontend fullmix
    bind 127.0.0.1:$5
    default_backend fullmix
frontend good
    bind 127.0.0.1:$6
    default_backend good
backend hung
    server h 127.0.0.1:$PH
backend hungmix
    balance roundrobin
    server h 127.0.0.1:$PH
    server g 127.0.0.1:$N
backend full
    server f 127.0.0.1:$PF
backend fullmix
    balance roundrobin
    server f 127.0.0.1:$PF
    server g 127.0.0.1:$N
backend good
    server g 127.0.0.1:$N
CFG
}
declare -A port
for d in lbd ha; do
  for f in hung hungmix full fullmix good; do port[$d.$f]=$(free_port); done
done
args() { echo "${port[$1.hung]} ${port[$1.hungmix]} ${port[$1.full]} ${port[$1.fullmix]} ${port[$1.good]}"; }
cfg "$T/lbd.cfg" $(args lbd) ""
cfg "$T/ha.cfg" $(args ha) "    stats socket $T/ha.sock level admin"
bg haproxy -f "$T/ha.cfg" 2>"$T/ha.err"
HA_PID=$!
start_lbd "$T/lbd.cfg"
wait_port 127.0.0.1 "${port[ha.good]}"
wait_port 127.0.0.1 "${port[lbd.good]}"

# probe URL N: N requests one after the other; "CODE MS" per line
probe() {
  local i
  for i in $(seq 1 "$2"); do
    curl -s -o /dev/null --max-time 5 -w '%{http_code} %{time_total}\n' "$1" |
      awk '{ printf "%s %d\n", $1, $2 * 1000 }'
  done
}
# codes FILE: "CODE xCOUNT ..." sorted; slowest FILE: max ms
codes() { awk '{ n[$1]++ } END { for (c in n) printf "%s x%d\n", c, n[c] }' "$1" | sort | xargs; }
slowest() { awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' "$1"; }
between() { awk -v a="$1" -v b="$2" -v x="$3" 'BEGIN { exit !(x >= a && x <= b) }'; }

for d in lbd ha; do
  name=$([ "$d" = lbd ] && echo lbd || echo HAProxy)
  wrk -t1 -c8 -d${WRK_SECS:-14}s --latency "http://127.0.0.1:${port[$d.good]}/" > "$T/wrk.$d" 2>&1 &
  WRK=$!
  sleep 0.3
  for f in hung hungmix full fullmix; do
    probe "http://127.0.0.1:${port[$d.$f]}/" 6 > "$T/$d.$f"
    echo "$name $f: $(codes "$T/$d.$f"), slowest $(slowest "$T/$d.$f") ms"
  done
  wait "$WRK" || true
  p99=$(awk '$1 == "99%" { print $2 }' "$T/wrk.$d")
  reqs=$(awk '/requests in/ { print $1 }' "$T/wrk.$d")
  echo "$name good (other clients, wrk 8 connections): $reqs requests, p99 $p99"
  check "$name: other clients saw no error" bash -c "! grep -qE 'Non-2xx|Socket errors' $T/wrk.$d"
  check "$name: other clients were served ($reqs)" test "${reqs:-0}" -gt 100

  expect_eq "$name hung alone: 504 every time" "$(codes "$T/$d.hung")" "504 x6"
  check "$name hung alone: after timeout server (700 ms)" \
    bash -c "awk '\$2 < 650 || \$2 > 1500 { exit 1 }' $T/$d.hung"
  expect_eq "$name hung + good: half 504, half 200" "$(codes "$T/$d.hungmix")" "200 x3 504 x3"
  expect_eq "$name full alone: 503 every time" "$(codes "$T/$d.full")" "503 x6"
  # retries 2: three connect attempts of 300 ms
  check "$name full alone: after three connect timeouts ($(slowest "$T/$d.full") ms)" \
    bash -c "awk '\$2 < 850 || \$2 > 1600 { exit 1 }' $T/$d.full"
  expect_eq "$name full + good: all 200 (redispatch)" "$(codes "$T/$d.fullmix")" "200 x6"
done
# with option redispatch both leave the full server after one connect
# timeout (HAProxy 2.6 redispatches on every retry, lbd always does)
lf=$(slowest "$T/lbd.fullmix"); hf=$(slowest "$T/ha.fullmix")
echo "full + good, slowest request: lbd $lf ms, HAProxy $hf ms (one connect timeout of 300 ms)"
check "lbd: one connect timeout, then the good server ($lf ms)" between 250 800 "$lf"
check "HAProxy: one connect timeout, then the good server ($hf ms)" between 250 800 "$hf"
check "lbd still running" kill -0 "$LBD_PID"
check "HAProxy still running" kill -0 "$HA_PID"
finish
