#!/usr/bin/env bash
# "port N" on server/default-server (the clustercheck pattern, issue 10):
# the traffic port and the check port differ. checkd probes the check
# port, so the servers go UP only while something answers there, and DOWN
# when it stops, whatever the traffic port does; "addr IP" moves the
# check to another address.
source ../lib.sh
need_root

PT1=$(free_port) PT2=$(free_port) PC1=$(free_port) PC2=$(free_port) PF=$(free_port)
mkdir -p "$T/run" "$T/w"
echo hi > "$T/w/index.html"
listen() { # PORT: a plain HTTP server, its pid in LAST
  (cd "$T/w" && exec python3 -m http.server "$1" --bind 127.0.0.1 >/dev/null 2>&1) &
  LK_PIDS+=($!)
  LAST=$!
}
# traffic ports answer from the start; check ports do not yet
listen "$PT1"
listen "$PT2"
wait_port 127.0.0.1 "$PT1"
wait_port 127.0.0.1 "$PT2"
bg "$CHECKD" -R "$T/run" 2>"$T/checkd.log"
wait_sock "$T/run/checkd.sock"
cat > "$T/lbd.cfg" <<CFG
global
    checkd socket $T/run/checkd.sock
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:$PF
    default_backend db
backend db
    default-server port $PC1 check inter 200 rise 1 fall 1
    server s1 127.0.0.1:$PT1
    server s2 127.0.0.1:$PT2 check port $PC2
    server s3 127.0.0.1:$PT1 addr 127.0.0.2
CFG
bg "$LBD" -f "$T/lbd.cfg" -R "$T/lbdrun" 2>"$T/lbd.log"
wait_port 127.0.0.1 "$PF"
cksock() { echo "$1" | socat -t 2 - "UNIX-CONNECT:$T/run/checkd.sock" 2>/dev/null; }
field() { # ID FIELD
  cksock "show health json" | python3 -c '
import json, sys
for t in json.loads(sys.stdin.readline())["targets"]:
    if t["id"] == sys.argv[1]:
        print(t.get(sys.argv[2], ""))' "$1" "$2"; }
state_of() { cksock "show health" | awk -v id="$1" '$1 == id { print $4 }' | tr -d ,; }
wait_state() { # ID STATE TIMEOUT_MS
  local start=$(date +%s%3N)
  until [ "$(state_of "$1")" = "$2" ]; do
    [ $(($(date +%s%3N) - start)) -gt "$3" ] && return 1
    sleep 0.05
  done
}

check "s1 registered with the check port" wait_state db/s1 DOWN 5000
expect_eq "s1 probed at the default-server port" "$(field db/s1 addr)" "127.0.0.1:$PC1"
expect_eq "s2 probed at its own port" "$(field db/s2 addr)" "127.0.0.1:$PC2"
sleep 1 # five check intervals: each probe went to the closed check port
check "s2 DOWN while only its traffic port answers" wait_state db/s2 DOWN 1000
expect_eq "s2: the probe found nothing listening" "$(field db/s2 result)" L4CON

listen "$PC1"; C1=$LAST
listen "$PC2"
check "s1 UP once its check port answers" wait_state db/s1 UP 5000
check "s2 UP once its check port answers" wait_state db/s2 UP 5000
# s3 has s1's ports but checks go to 127.0.0.2, where nothing listens
expect_eq "s3 probed at its check address" "$(field db/s3 addr)" "127.0.0.2:$PC1"
expect_eq "s3 DOWN while s1 (same ports, other address) is UP" "$(state_of db/s3)" DOWN
expect_eq "s3: its probes found nothing at 127.0.0.2" "$(field db/s3 result)" L4CON
kill "$C1"; wait "$C1" 2>/dev/null || true
check "s1 DOWN when its check port stops (traffic port still up)" wait_state db/s1 DOWN 5000
check "s2 stays UP" wait_state db/s2 UP 1000
finish
