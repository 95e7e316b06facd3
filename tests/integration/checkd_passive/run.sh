#!/usr/bin/env bash
# Passive health (HAProxy's observe layer4 + error-limit + on-error):
# checks are slow on purpose (inter 20s) so only live traffic can notice a
# dead server. lbd sees error-limit failed connects to w1, marks it DOWN at
# once, reports it to checkd (the feed shows DOWN with the passive reason),
# and checkd probes again at fastinter/downinter so that w1 is UP soon
# after it is back. No client request fails meanwhile (retries +
# redispatch).
source ../lib.sh

P1=$(free_port) P2=$(free_port) PF=$(free_port)
mkdir -p "$T/w1" "$T/w2" "$T/run"
echo w1 > "$T/w1/id.txt"
echo w2 > "$T/w2/id.txt"
start_web() {
  (cd "$T/$1" && exec python3 -m http.server "$2" --bind 127.0.0.1 >/dev/null 2>&1) &
  LK_PIDS+=($!)
  eval "PID_$1=$!"
}
start_web w1 "$P1"
start_web w2 "$P2"
wait_port 127.0.0.1 "$P1"
wait_port 127.0.0.1 "$P2"
bg "$CHECKD" -R "$T/run" 2>"$T/checkd.log"
wait_sock "$T/run/checkd.sock"
cat > "$T/lbd.cfg" <<CFG
global
    checkd socket $T/run/checkd.sock
defaults
    mode tcp
    timeout connect 1s
    timeout client 10s
    timeout server 10s
    retries 3
    option redispatch
    default-server check inter 20s fastinter 200 downinter 300 rise 2 fall 3 observe layer4 error-limit 3
frontend fe
    bind 127.0.0.1:$PF
    default_backend web
backend web
    balance roundrobin
    server w1 127.0.0.1:$P1
    server w2 127.0.0.1:$P2
CFG
bg "$LBD" -f "$T/lbd.cfg" -R "$T/lbdrun" 2>"$T/lbd.log"
wait_port 127.0.0.1 "$PF"
cksock() { echo "$1" | socat -t 2 - "UNIX-CONNECT:$T/run/checkd.sock" 2>/dev/null; }
state_of() { cksock "show health" | awk -v id="$1" '$1 == id { print $4 }' | tr -d ,; }
wait_state() {
  local start=$(date +%s%3N)
  until [ "$(state_of "$1")" = "$2" ]; do
    [ $(($(date +%s%3N) - start)) -gt "$3" ] && return 1
    sleep 0.02
  done
}
settled() { # every target UP with its counter at the top: next check in 20 s
  cksock "show health json" | python3 -c '
import json, sys
t = json.loads(sys.stdin.readline())["targets"]
sys.exit(0 if len(t) == 2 and all(x["state"] == "UP" and x["health"] == 4 for x in t) else 1)'
}
wait_settled() {
  local start=$(date +%s%3N)
  until settled; do
    [ $(($(date +%s%3N) - start)) -gt "$1" ] && return 1
    sleep 0.05
  done
}
check "w1 UP" wait_state web/w1 UP 5000
check "w2 UP" wait_state web/w2 UP 5000
# fresh targets are checked at fastinter until their counter is full
check "both settled (health 4/4)" wait_settled 5000

kill "$PID_w1"
sleep 0.2
t0=$(date +%s%3N)
bad=0
for i in $(seq 1 12); do
  out=$(curl -s --max-time 3 "http://127.0.0.1:$PF/id.txt" || true)
  [ "$out" = w2 ] || bad=$((bad + 1))
done
expect_eq "no failed request while w1 is dead" "$bad" 0
check "w1 DOWN long before inter x fall (60 s)" wait_state web/w1 DOWN 3000
echo "# w1 DOWN $(($(date +%s%3N) - t0)) ms after the first request"
check "lbd marked w1 down from live traffic" grep -q "Server web/w1 is DOWN, reason: passive health" "$T/lbd.log"
check "checkd marked it down from lbd's report" grep -q "target web/w1 is DOWN: passive health: mark-down" "$T/checkd.log"
fails=$(grep -c "web/w1 .*connect failed" "$T/lbd.log" || true)
echo "# connect failures logged before w1 was taken out: $fails"

start_web w1 "$P1"
t0=$(date +%s%3N)
check "w1 UP again soon (downinter 300 x rise 2)" wait_state web/w1 UP 3000
echo "# w1 UP $(($(date +%s%3N) - t0)) ms after restart"
sleep 0.2
n1=0
for i in $(seq 1 10); do
  [ "$(curl -s --max-time 3 "http://127.0.0.1:$PF/id.txt")" = w1 ] && n1=$((n1 + 1))
done
check "w1 takes traffic again ($n1/10)" test "$n1" -gt 0
finish
