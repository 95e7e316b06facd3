#!/usr/bin/env bash
# checkd + lbd + two real web servers (python3 -m http.server):
#  - lbd registers its "check" servers with checkd and follows the feed;
#  - a web server stopped is DOWN within inter x fall (+ one interval of
#    spread) and traffic moves to the other one without a failed request;
#  - started again, it is UP within inter x rise and takes traffic again;
#  - checkd killed: lbd keeps serving with the last states, reconnects and
#    re-registers when checkd is back (which still knows nothing: restart);
#  - lbd restarted gets the states from checkd's snapshot (no server-state
#    file): a server checkd knows is DOWN gets no traffic at all;
#  - a socat subscriber sees every transition.
source ../lib.sh

INTER=200 FALL=3 RISE=2
P1=$(free_port) P2=$(free_port) PF=$(free_port)
mkdir -p "$T/w1" "$T/w2" "$T/run"
echo w1 > "$T/w1/id.txt"
echo w2 > "$T/w2/id.txt"

start_web() { # DIR PORT
  (cd "$T/$1" && exec python3 -m http.server "$2" --bind 127.0.0.1 >/dev/null 2>&1) &
  LK_PIDS+=($!)
  eval "PID_$1=$!"
}
start_web w1 "$P1"
start_web w2 "$P2"
wait_port 127.0.0.1 "$P1"
wait_port 127.0.0.1 "$P2"

start_checkd() {
  bg "$CHECKD" -R "$T/run" 2>>"$T/checkd.log"
  PID_CHECKD=$!
  wait_sock "$T/run/checkd.sock"
}
start_checkd

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
frontend fe
    bind 127.0.0.1:$PF
    default_backend web
backend web
    balance roundrobin
    option httpchk GET /id.txt HTTP/1.0
    http-check expect status 200
    server w1 127.0.0.1:$P1 check inter $INTER fall $FALL rise $RISE
    server w2 127.0.0.1:$P2 check inter $INTER fall $FALL rise $RISE
CFG
bg "$LBD" -f "$T/lbd.cfg" -R "$T/lbdrun" 2>"$T/lbd.log"
LBD_PID=$!
wait_port 127.0.0.1 "$PF"

cksock() { echo "$1" | socat -t 2 - "UNIX-CONNECT:$T/run/checkd.sock"; }
state_of() { cksock "show health" | awk -v id="$1" '$1 == id { print $4 }' | tr -d ,; }
wait_state() { # ID STATE TIMEOUT_MS -> prints elapsed ms, fails on timeout
  local start now
  start=$(date +%s%3N)
  while :; do
    [ "$(state_of "$1")" = "$2" ] && break
    now=$(date +%s%3N)
    if [ $((now - start)) -gt "$3" ]; then echo "timeout"; return 1; fi
    sleep 0.02
  done
  echo $(($(date +%s%3N) - start))
}
quiet() { "$@" >/dev/null; }
change_time() { # ID: checkd's wall-clock us of the target's last UP/DOWN change
  cksock "show health json" | python3 -c '
import json, sys
for t in json.loads(sys.stdin.readline())["targets"]:
    if t["id"] == sys.argv[1]:
        print(t["change_time"])' "$1"
}
hits() { # N -> "w1 count, w2 count, failures"
  local i out ok1=0 ok2=0 bad=0
  for i in $(seq 1 "$1"); do
    out=$(curl -s --max-time 2 "http://127.0.0.1:$PF/id.txt" || true)
    case "$out" in w1) ok1=$((ok1 + 1)) ;; w2) ok2=$((ok2 + 1)) ;; *) bad=$((bad + 1)) ;; esac
  done
  echo "$ok1 $ok2 $bad"
}

check "lbd registered w1" quiet wait_state web/w1 UP 5000
check "lbd registered w2" quiet wait_state web/w2 UP 5000
expect_eq "checkd knows 2 targets" "$(cksock 'show info' | awk '/^Targets:/ { print $2 }')" 2

# a monitoring client on the feed: socat, its stdin kept open by a fifo
mkfifo "$T/sub.in"
socat - "UNIX-CONNECT:$T/run/checkd.sock" <"$T/sub.in" >"$T/feed.jsonl" &
LK_PIDS+=($!)
exec 7>"$T/sub.in"
echo subscribe >&7
sleep 0.3

read -r a b bad <<<"$(hits 10)"
check "traffic reaches both (w1=$a w2=$b)" test "$a" -gt 0 -a "$b" -gt 0 -a "$bad" -eq 0

# background traffic: one request after the other until told to stop,
# every failure counted (retries + redispatch must hide the failures)
traffic_start() {
  rm -f "$T/traffic.stop"
  : > "$T/traffic.log"
  ( n=0
    while [ ! -e "$T/traffic.stop" ] && [ $n -lt 2000 ]; do
      out=$(curl -s --max-time 2 "http://127.0.0.1:$PF/id.txt" || true)
      case "$out" in w1|w2) echo ok ;; *) echo "bad:$out" ;; esac
      n=$((n + 1))
    done >> "$T/traffic.log" ) &
  TRAFFIC=$!
  LK_PIDS+=($TRAFFIC)
}
traffic_stop() { # prints "OK BAD"
  touch "$T/traffic.stop"
  wait "$TRAFFIC" 2>/dev/null || true
  echo "$(grep -c '^ok' "$T/traffic.log" || true) $(grep -c '^bad' "$T/traffic.log" || true)"
}

# stop w1: DOWN within inter x fall (+ one interval for spread and timing)
traffic_start
sleep 0.3
t0=$(date +%s%6N)
kill "$PID_w1"
check "w1 DOWN" quiet wait_state web/w1 DOWN 5000
sleep 0.3
read -r okc badc <<<"$(traffic_stop)"
echo "# requests while w1 died: $okc ok, $badc failed"
# new connections to the dead w1 are retried on w2; only a request that w1
# had already accepted when it was killed can be lost (mode tcp cannot
# replay it), so at most one
check "no request lost while w1 died but the one in flight ($okc served, $badc lost)" \
  test "$badc" -le 1 -a "$okc" -gt 5
t=$((($(change_time web/w1) - t0) / 1000)) # checkd's clock, not the polling's
echo "# w1 DOWN after ${t} ms (inter x fall = $((INTER * FALL)) ms)"
check "w1 DOWN within inter x (fall + 1) + 0.3 s" test "$t" -le $((INTER * (FALL + 1) + 300))
for i in $(seq 1 40); do grep -q "Server web/w1 is DOWN" "$T/lbd.log" && break; sleep 0.05; done
check "lbd applied DOWN to w1" grep -q "Server web/w1 is DOWN" "$T/lbd.log"
read -r a b bad <<<"$(hits 20)"
expect_eq "all traffic on w2 while w1 is down" "$a $b $bad" "0 20 0"
# lbd's HAProxy-style "show stat" carries checkd's verdict
stat_col() { # SERVER COLUMN
  echo "show stat" | socat -t 2 - "UNIX-CONNECT:$T/lbdrun/lbd.sock" 2>/dev/null | python3 -c '
import csv, sys
rows = list(csv.reader(l for l in sys.stdin if l.strip()))
hdr = [h.lstrip("# ") for h in rows[0]]
for r in rows[1:]:
    if len(r) == len(hdr) and r[0] == "web" and r[1] == sys.argv[1]:
        print(r[hdr.index(sys.argv[2])])' "$1" "$2"
}
expect_eq "show stat: w1 status" "$(stat_col w1 status)" DOWN
expect_eq "show stat: w1 check_status" "$(stat_col w1 check_status)" L4CON
expect_eq "show stat: w2 check_status" "$(stat_col w2 check_status)" L7OK
expect_eq "show stat: w2 check_code" "$(stat_col w2 check_code)" 200
# an operator cycling w1 through maintenance does not resurrect it
echo "set server web/w1 state maint" | socat -t 2 - "UNIX-CONNECT:$T/lbdrun/lbd.sock" >/dev/null 2>&1
expect_eq "w1 in MAINT" "$(stat_col w1 status)" MAINT
for i in $(seq 1 40); do [ "$(state_of web/w1)" = MAINT ] && break; sleep 0.05; done
expect_eq "lbd's maintenance is mirrored in checkd's feed" "$(state_of web/w1)" MAINT
echo "set server web/w1 state drain" | socat -t 2 - "UNIX-CONNECT:$T/lbdrun/lbd.sock" >/dev/null 2>&1
echo "set server web/w2 state drain" | socat -t 2 - "UNIX-CONNECT:$T/lbdrun/lbd.sock" >/dev/null 2>&1
for i in $(seq 1 40); do [ "$(state_of web/w2)" = DRAIN ] && break; sleep 0.05; done
expect_eq "lbd's drain of a healthy server is mirrored in checkd's feed" "$(state_of web/w2)" DRAIN
expect_eq "a drained server that is down shows DOWN in the feed" "$(state_of web/w1)" DOWN
echo "set server web/w2 state ready" | socat -t 2 - "UNIX-CONNECT:$T/lbdrun/lbd.sock" >/dev/null 2>&1
for i in $(seq 1 40); do [ "$(state_of web/w2)" = UP ] && break; sleep 0.05; done
expect_eq "ready again: UP in the feed" "$(state_of web/w2)" UP
echo "set server web/w1 state ready" | socat -t 2 - "UNIX-CONNECT:$T/lbdrun/lbd.sock" >/dev/null 2>&1
# checkd resumes checks with the health it kept, or lbd re-applies the
# last verdict itself: either way w1 is DOWN again at once
for i in $(seq 1 40); do [ "$(stat_col w1 status)" = DOWN ] && break; sleep 0.05; done
expect_eq "checkd's DOWN re-applied after ready" "$(stat_col w1 status)" DOWN
for i in $(seq 1 40); do [ "$(state_of web/w1)" != MAINT ] && break; sleep 0.05; done
check "checks resume in checkd after ready" test "$(state_of web/w1)" != MAINT
read -r a b bad <<<"$(hits 10)"
expect_eq "still no traffic to w1" "$a $b $bad" "0 10 0"

# start w1 again: UP within inter x rise
t0=$(date +%s%6N)
start_web w1 "$P1"
check "w1 UP again" quiet wait_state web/w1 UP 5000
t=$((($(change_time web/w1) - t0) / 1000))
echo "# w1 UP after ${t} ms (inter x rise = $((INTER * RISE)) ms, python start included)"
sleep 0.2
read -r a b bad <<<"$(hits 10)"
check "traffic on both again (w1=$a w2=$b)" test "$a" -gt 0 -a "$b" -gt 0 -a "$bad" -eq 0

# kill checkd during traffic: lbd keeps serving with the last states
traffic_start
sleep 0.3
kill -9 "$PID_CHECKD"
sleep 0.7
read -r okc badc <<<"$(traffic_stop)"
echo "# requests while checkd was killed: $okc ok, $badc failed"
check "no request lost while checkd died ($okc served)" test "$badc" -eq 0 -a "$okc" -gt 5
read -r a b bad <<<"$(hits 10)"
check "lbd serves without checkd (w1=$a w2=$b bad=$bad)" test "$bad" -eq 0 -a "$a" -gt 0 -a "$b" -gt 0
check "lbd logged the outage" grep -q "servers keep their last known state" "$T/lbd.log"
kill "$PID_w2"   # changes while checkd is away are not seen ...
rm -f "$T/run/checkd.sock"
start_checkd     # ... until checkd is back and lbd has re-registered
check "re-registered w1 after checkd restart" quiet wait_state web/w1 UP 8000
t=$(wait_state web/w2 DOWN 8000)
check "w2 seen DOWN after checkd restart ($t ms)" test "$t" != timeout
for i in $(seq 1 40); do grep -q "Server web/w2 is DOWN" "$T/lbd.log" && break; sleep 0.05; done
read -r a b bad <<<"$(hits 10)"
expect_eq "traffic on w1 only" "$a $b $bad" "10 0 0"

# lbd restart: the new lbd starts with every server UP (config), and the
# snapshot of checkd brings w2's DOWN at once: no request tries w2
# a server of backend "web" that the configuration no longer has (as if
# registered by an earlier lbd run): the restarted lbd unregisters it
cksock 'register {"id":"web/old","addr":"127.0.0.1:9","owner":"lbd","kind":"tcp","inter":1000,"rise":2,"fall":3}' >/dev/null
check "stale web/old registered" bash -c "echo 'show health' | socat - UNIX-CONNECT:$T/run/checkd.sock | grep -q '^web/old '"
kill "$LBD_PID"
for i in $(seq 1 100); do kill -0 "$LBD_PID" 2>/dev/null || break; sleep 0.05; done
bg "$LBD" -f "$T/lbd.cfg" -R "$T/lbdrun" 2>"$T/lbd2.log"
LBD_PID=$!
wait_port 127.0.0.1 "$PF"
for i in $(seq 1 40); do grep -q "Server web/w2 is DOWN" "$T/lbd2.log" && break; sleep 0.05; done
check "restarted lbd got w2 DOWN from checkd" grep -q "Server web/w2 is DOWN" "$T/lbd2.log"
gone() { ! cksock "show health" | lk_grepq '^web/old '; }
for i in $(seq 1 40); do gone && break; sleep 0.05; done
check "restarted lbd dropped the stale web/old" gone
read -r a b bad <<<"$(hits 10)"
expect_eq "restarted lbd sends nothing to w2" "$a $b $bad" "10 0 0"
expect_eq "no connect attempt to w2 after restart" "$(grep -c 'web/w2 .*connect failed' "$T/lbd2.log" || true)" 0

# run-time servers on lbd's admin socket are followed by checkd
lbsock() { echo "$1" | socat -t 2 - "UNIX-CONNECT:$T/lbdrun/lbd.sock" 2>/dev/null; }
P3=$(free_port)
expect_eq "add server with check" "$(lbsock "add server web/w3 127.0.0.1:$P3 check inter 200 fall 1" | head -1)" "New server registered."
check "checkd probes the added server" quiet wait_state web/w3 DOWN 5000
expect_eq "added server's address" "$(cksock 'show health' | awk '$1 == "web/w3" {print $2}')" "127.0.0.1:$P3"
lbsock "set server web/w3 addr 127.0.0.1 port $P1" >/dev/null
check "new address re-registered, UP" quiet wait_state web/w3 UP 5000
expect_eq "checkd has the new address" "$(cksock 'show health' | awk '$1 == "web/w3" {print $2}')" "127.0.0.1:$P1"
lbsock "set server web/w3 state maint" >/dev/null
expect_eq "del server" "$(lbsock "del server web/w3" | head -1)" "Server deleted."
gone3() { ! cksock "show health" | lk_grepq '^web/w3 '; }
for i in $(seq 1 40); do gone3 && break; sleep 0.05; done
check "deleted server unregistered" gone3

# the lab guide's experiment 1 (Figure 1.3) as written, addresses replaced,
# plus where checkd listens: w1 is up, w2 is down at this point
PF1=$(free_port) PS1=$(free_port)
cat > "$T/exp1.cfg" <<CFG
global
    stats socket $T/exp1-admin.sock mode 660 level admin
    checkd socket $T/run/checkd.sock
defaults
    mode http
listen stats
    bind 127.0.0.1:$PS1
    stats enable
    stats hide-version
    stats refresh 10s
    stats uri /stats
    stats auth haproxy:haproxy
frontend http-in
    bind 127.0.0.1:$PF1
    default_backend webservers
backend webservers
    balance roundrobin
    server webserver01 127.0.0.1:$P1 check inter 500 fall 3
    server webserver02 127.0.0.1:$P2 check inter 500 fall 3
CFG
bg "$LBD" -f "$T/exp1.cfg" -R "$T/exp1run" 2>"$T/exp1.log"
wait_port 127.0.0.1 "$PF1"
check "exp1: webserver02 DOWN via checkd" quiet wait_state webservers/webserver02 DOWN 5000
check "exp1: webserver01 UP via checkd" quiet wait_state webservers/webserver01 UP 5000
for i in $(seq 1 40); do grep -q "Server webservers/webserver02 is DOWN" "$T/exp1.log" && break; sleep 0.05; done
n=0
for i in $(seq 1 10); do
  [ "$(curl -s --max-time 2 "http://127.0.0.1:$PF1/id.txt")" = w1 ] && n=$((n + 1))
done
expect_eq "exp1: every request served by webserver01" "$n" 10

# the first subscriber's feed (it ended with the first checkd)
check "feed has a snapshot" grep -q '"type":"snapshot"' "$T/feed.jsonl"
check "feed saw w1 UP->DOWN" grep -q '"prev":"UP","target":{"id":"web/w1"[^}]*"state":"DOWN"' "$T/feed.jsonl"
check "feed saw w1 DOWN->UP" grep -q '"prev":"DOWN","target":{"id":"web/w1"[^}]*"state":"UP"' "$T/feed.jsonl"
check "every feed line is JSON" python3 -c '
import json, sys
for line in open(sys.argv[1]):
    json.loads(line)
' "$T/feed.jsonl"
check "checkd logged no crash" test -z "$(grep -i -E 'sanitizer|runtime error' "$T/checkd.log" || true)"
finish
