#!/usr/bin/env bash
# lbd -W (master-worker): 20 reloads under load cost nothing. Two nginx
# backends behind a mode http and a mode tcp frontend; three wrk runs at
# once (http keep-alive, http "Connection: close", tcp "Connection: close")
# while the master is sent SIGUSR2 twenty times, alternating two valid
# configs that differ (a weight, an added server). Every wrk must report 0
# socket errors (connect = refused, read, write, timeout) and 0 non-2xx.
# Then: an invalid file fails "lbd -c" and a reload with it leaves the
# running worker serving; a server put in MAINT stays MAINT across a
# reload; "show proc" has HAProxy's layout. Before lbd -W, SIGUSR2 killed
# lbd (no handler) and SIGHUP only logged a warning.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"
command -v wrk >/dev/null || { echo "SKIP: wrk not installed"; exit 77; }
command -v nginx >/dev/null || { echo "SKIP: nginx not installed"; exit 77; }
cli() { echo "$2" | socat -t 5 - "UNIX-CONNECT:$1"; }

B1=$(free_port); B2=$(free_port); B3=$(free_port); PH=$(free_port); PT=$(free_port)
start_nginx "$B1" one; start_nginx "$B2" two; start_nginx "$B3" three
mkcfg() { # $1: weight of s2, $2: extra server line
  cat <<CFG
global
    nbthread 2
    hard-stop-after 10s
    stats socket $T/stats.sock mode 600 level admin
defaults
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend web
    mode http
    bind 127.0.0.1:$PH
    default_backend be_http
frontend raw
    mode tcp
    bind 127.0.0.1:$PT
    default_backend be_tcp
backend be_http
    mode http
    balance roundrobin
    server s1 127.0.0.1:$B1
    server s2 127.0.0.1:$B2 weight $1
    $2
backend be_tcp
    mode tcp
    server s1 127.0.0.1:$B1
    server s2 127.0.0.1:$B2 weight $1
CFG
}
mkcfg 1 "" > "$T/a.cfg"
mkcfg 3 "server s3 127.0.0.1:$B3" > "$T/b.cfg"
cp "$T/a.cfg" "$T/lbd.cfg"
# systemd's side of Type=notify: every datagram with the sender's pid
"$PY" - "$T/notify.sock" > "$T/notify.txt" 2>&1 <<'PY' &
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = [struct.unpack("iII", d)[0] for l, t, d in anc if t == socket.SCM_CREDENTIALS]
    print(pid[0] if pid else "?", msg.decode().replace("\n", " "), flush=True)
PY
LK_PIDS+=($!)
wait_file "$T/notify.sock"
NOTIFY_SOCKET=$T/notify.sock bg "$LBD" -W -S "$T/master.sock" -f "$T/lbd.cfg" -R "$T" 2> "$T/lbd.log"; MASTER=$!
wait_port 127.0.0.1 "$PH"; wait_port 127.0.0.1 "$PT"; wait_sock "$T/master.sock"

# show proc: the layout of HAProxy 2.6's, run beside it (haproxy -W -S)
HP=$(free_port)
cat > "$T/ha.cfg" <<CFG
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend web
    bind 127.0.0.1:$HP
    default_backend be
backend be
    server s1 127.0.0.1:$B1
CFG
bg haproxy -W -S "$T/ha-master.sock" -f "$T/ha.cfg" -db > "$T/haproxy.log" 2>&1
wait_sock "$T/ha-master.sock"; wait_port 127.0.0.1 "$HP"
proc=$(cli "$T/master.sock" "show proc")
# HAProxy's master re-executes itself once its worker is up, and refuses
# connections on its socket for that moment: ask until it lists a worker
for _ in $(seq 50); do
  haproc=$(cli "$T/ha-master.sock" "show proc" 2>/dev/null) && grep -q ' worker ' <<< "$haproc" && break
  sleep 0.1
done
echo "$proc"; echo "$haproc"
expect_eq "show proc header as HAProxy's" "$(head -1 <<< "$proc")" "$(head -1 <<< "$haproc")"
expect_eq "show proc sections as HAProxy's" "$(grep '^#' <<< "$proc" | tail -n +2)" \
  "$(grep '^#' <<< "$haproc" | tail -n +2)"
check "show proc master line" grep -qE "^$MASTER +master +0 \[failed: 0\] +0d00h00m[0-9]{2}s +[0-9]" <<< "$proc"
# same columns as HAProxy's master line (PID, type, reloads, uptime start at the same offsets)
cols() { awk '$2=="master" {print index($0,"master"), index($0,"0 [failed"), index($0,"0d")}' <<< "$1"; }
expect_eq "show proc master columns as HAProxy's" "$(cols "$proc")" "$(cols "$haproc")"
check "show proc one worker" test "$(grep -cE '^[0-9]+ +worker +0 ' <<< "$proc")" = 1

# reloads counted by "show proc": wait_reload N
wait_reload() {
  local i
  for i in $(seq 1 100); do
    grep -qE "^$MASTER +master +$1 " <<< "$(cli "$T/master.sock" "show proc" 2>/dev/null || true)" && return 0
    sleep 0.05
  done
  echo "reload $1 not done" >&2; return 1
}

DUR=20
wrk -t2 -c16 -d${DUR}s "http://127.0.0.1:$PH/" > "$T/wrk-ka.txt" 2>&1 & W1=$!
wrk -t1 -c8 -d${DUR}s -H 'Connection: close' "http://127.0.0.1:$PH/" > "$T/wrk-close.txt" 2>&1 & W2=$!
wrk -t1 -c8 -d${DUR}s -H 'Connection: close' "http://127.0.0.1:$PT/" > "$T/wrk-tcp.txt" 2>&1 & W3=$!
sleep 1
done_reloads=0
for i in $(seq 1 20); do
  if [ $((i % 2)) = 1 ]; then cp "$T/b.cfg" "$T/lbd.cfg"; else cp "$T/a.cfg" "$T/lbd.cfg"; fi
  "$LBD" -c -f "$T/lbd.cfg" > /dev/null
  kill -USR2 "$MASTER"
  wait_reload "$i" && done_reloads=$i
  sleep 0.6
done
wait "$W1" "$W2" "$W3" || true
expect_eq "20 reloads done" "$done_reloads" 20
for f in ka close tcp; do
  echo "== wrk $f"; cat "$T/wrk-$f.txt"
  reqs=$(awk '/requests in/ {print $1}' "$T/wrk-$f.txt")
  check "wrk $f: requests served (${reqs:-0})" test "${reqs:-0}" -gt 100
  check "wrk $f: 0 socket errors (refused, read, write, timeout)" \
    bash -c "! grep -q 'Socket errors' '$T/wrk-$f.txt'"
  check "wrk $f: 0 non-2xx" bash -c "! grep -q 'Non-2xx' '$T/wrk-$f.txt'"
done
check "master still the same process" kill -0 "$MASTER"
check "the added server s3 served after odd reloads" test -s "$T/nginx-three.log"

# an invalid file: lbd -c fails, the reload fails, the worker keeps serving
printf 'global\n    nbthread two\n' > "$T/lbd.cfg"
check "lbd -c rejects the invalid file" bash -c "! '$LBD' -c -f '$T/lbd.cfg' 2>/dev/null"
kill -USR2 "$MASTER"
for i in $(seq 1 50); do
  cli "$T/master.sock" "show proc" | lk_grepq -E '\[failed: 1\]' && break; sleep 0.05
done
check "show proc counts the failed reload" bash -c "echo 'show proc' | socat -t 5 - UNIX-CONNECT:$T/master.sock | grep -q 'failed: 1'"
check "invalid reload: error logged" grep -q "reload failed: invalid configuration" "$T/lbd.log"
check "invalid reload: still serving" curl -sf -m 2 -o /dev/null "http://127.0.0.1:$PH/"
# the file on disk is still invalid: a worker that dies now is replaced on
# the text the master validated, not on the file
W=""
for i in $(seq 1 40); do # the master may be busy finishing the failed reload
  W=$(cli "$T/master.sock" "show proc" 2>/dev/null | awk '/^# workers/ {w=1; next} /^#/ {w=0} w {print $1; exit}') || true
  [ -n "$W" ] && break
  sleep 0.05
done
check "the worker's pid from show proc ($W)" test -n "$W"
kill -9 "$W" 2>/dev/null || true
for i in $(seq 1 100); do
  N=$(cli "$T/master.sock" "show proc" 2>/dev/null | awk '/^# workers/ {w=1; next} /^#/ {w=0} w {print $1; exit}') || true
  [ -n "$N" ] && [ "$N" != "$W" ] && curl -sf -m 1 -o /dev/null "http://127.0.0.1:$PH/" && break
  sleep 0.05
done
check "worker crash with an invalid file on disk: replaced, serving" curl -sf -m 2 -o /dev/null "http://127.0.0.1:$PH/"
check "... by a worker that loaded the validated text" grep -q "worker $N ready" "$T/lbd.log"

# operator state carried over: MAINT before a reload, MAINT after
cp "$T/a.cfg" "$T/lbd.cfg"
cli "$T/stats.sock" "set server be_http/s2 state maint" > /dev/null
cli "$T/stats.sock" "set weight be_http/s1 7" > /dev/null
kill -USR2 "$MASTER"; wait_reload 21
st=$(cli "$T/stats.sock" "show servers state be_http")
echo "$st"
# show servers state: field 6 srv_op_state (0 = stopped), 7 srv_admin_state
# (HAProxy's bits; 1 = forced MAINT), 8 srv_uweight
check "s2 still MAINT after the reload" test "$(awk '$4=="s2" {print $7}' <<< "$st")" != 0
check "s1 weight 7 after the reload" test "$(awk '$4=="s1" {print $8}' <<< "$st")" = 7
check "no request reaches s2 in MAINT" bash -c "
  before=\$(wc -l < '$T/nginx-two.log')
  for i in 1 2 3 4 5 6; do curl -s -o /dev/null http://127.0.0.1:$PH/; done
  test \"\$(wc -l < '$T/nginx-two.log')\" = \"\$before\""

# an old worker still draining a connection is listed under "# old workers"
"$PY" - "$PT" <<'PY' > "$T/hold.txt" 2>&1 &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
# an answer proves the worker accepted and forwards it (a connection still
# in the listen queue would go to the next worker); keep-alive holds it
s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
s.recv(4096)
print("connected", flush=True)
time.sleep(15)
PY
HOLD=$!
# the redirection creates the file at once: wait for the answer itself
for i in $(seq 1 100); do grep -q connected "$T/hold.txt" && break; sleep 0.05; done
kill -USR2 "$MASTER"; wait_reload 22
proc=$(cli "$T/master.sock" "show proc")
echo "$proc"
check "show proc: old worker draining, 1 reload old" \
  bash -c "grep -A1 -x '# old workers' <<< '$proc' | grep -qE '^[0-9]+ +worker +1 '"
kill "$HOLD" 2>/dev/null || true; wait "$HOLD" 2>/dev/null || true
# The reply is read whole before grep: with pipefail, `cli | grep -q` is false
# when grep matches early and socat then dies of SIGPIPE, which ended this wait
# at once and failed the check below while the worker was still exiting.
old_listed() {
    local r
    r=$(cli "$T/master.sock" "show proc" 2>/dev/null) || true
    grep -q '^# workers' <<< "$r" || return 0 # no answer: not known to be gone
    grep -qx '# old workers' <<< "$r"
}
for i in $(seq 1 60); do old_listed || break; sleep 0.1; done
if old_listed; then
    fail "the old worker exits once its connection is done"
    cli "$T/master.sock" "show proc"
    for p in $(cli "$T/master.sock" "show proc" | sed -n '/^# old workers/,$p' | awk '$2 == "worker" {print $1}'); do
        echo "old worker $p: $(tr '\0' ' ' < "/proc/$p/status" 2>/dev/null | grep -E '^(State|Threads)' | tr '\n' ' ')"
        for t in /proc/$p/task/*; do echo "  task ${t##*/}: $(cat "$t/comm") $(cat "$t/wchan" 2>/dev/null)"; done
        ls -l "/proc/$p/fd" 2>/dev/null | sed -n 's/.*-> //p' | sort | uniq -c || true
    done
    ss -tanp 2>/dev/null | grep -E ":($PT|$B1|$B2)\b" || true
    tail -n 20 "$T/lbd.log"
else
    ok "the old worker exits once its connection is done"
fi

kill -TERM "$MASTER"
for i in $(seq 1 100); do kill -0 "$MASTER" 2>/dev/null || break; sleep 0.05; done
# sd_notify: READY=1 once, RELOADING=1 (with MONOTONIC_USEC) then READY=1 around
# each reload, failed one included; STOPPING=1; all from the master, none
# from a worker
sleep 0.1
echo "notify: $(wc -l < "$T/notify.txt") messages"; head -4 "$T/notify.txt"
check "sd_notify from the master only" bash -c "! awk '\$1 != $MASTER' '$T/notify.txt' | grep -q ."
expect_eq "RELOADING=1 for each of the 23 reloads" "$(grep -c 'RELOADING=1 MONOTONIC_USEC=[0-9]' "$T/notify.txt")" 23
expect_eq "READY=1 at start and after each reload" "$(grep -c 'READY=1' "$T/notify.txt")" 24
check "each RELOADING=1 followed by READY=1" bash -c "awk '{print \$2}' '$T/notify.txt' | tr '\n' ' ' | grep -Eq '^READY=1 (RELOADING=1 READY=1 ){23}STOPPING=1 \$'"
check "master exits on SIGTERM" bash -c "! kill -0 $MASTER 2>/dev/null"
check "no worker left behind" bash -c "! pgrep -f -- '-[S] $T/master.sock' >/dev/null"
check "lbd.sock removed" test ! -e "$T/lbd.sock"
grep -E "err|reload" "$T/lbd.log" | tail -5
finish
