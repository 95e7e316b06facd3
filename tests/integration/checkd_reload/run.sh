#!/usr/bin/env bash
# checkd reloaded (SIGHUP, as its unit's ExecReload after "checkd -c") eight
# times under a client load through lbd (issue 13 item 3). Four nginx
# backends in backend "web", registered by lbd with checkd: w1 and w2 UP,
# w3 stopped (DOWN by its checks), w4 in MAINT by the operator on lbd.sock.
# checkd's own file has standalone targets (mon/n1 UP, mon/n3 DOWN), and
# repeats lbd's web/w3 with another kind (an operator's slip): lbd's check
# must stay (before the fix each reload restarted it, UP until checked). The
# reloads: the same file, a changed one (mon/n1's inter 1s -> 200ms, mon/n3's
# inter changed while DOWN, mon/n2 added), an invalid one (checkd -c exits 1
# with FILE:LINE, the SIGHUP is refused and the running config stays), and
# back. Asserted, for the whole load (two wrk, keep-alive and close):
#  - 0 socket errors, 0 non-2xx;
#  - no request, connection or retry to w3 (lbd's per-server counters),
#    none to w4 (its nginx log), and checkd never probes w4 (MAINT kept);
#  - no state change of any target that was settled before the reloads,
#    in checkd's feed (a subscriber for the whole run: no event that changes
#    a state, no re-created target, no INI result, no "removed"), in lbd's
#    "show stat" (polled every 100 ms) and in lbd's log;
#  - lbd never loses the feed (no fail-static, no reconnect);
#  - the changed file takes effect: mon/n2 comes and goes, mon/n1 is probed
#    five times as often, and mon/n3 stays DOWN through its inter change.
# Then checkd is killed (-9) and started again under a client: lbd keeps w3
# DOWN (checkd's "not checked yet" is no verdict).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"
command -v wrk >/dev/null || { echo "SKIP: wrk not installed"; exit 77; }
command -v nginx >/dev/null || { echo "SKIP: nginx not installed"; exit 77; }

B1=$(free_port) B2=$(free_port) B3=$(free_port) B4=$(free_port) PF=$(free_port)
mkdir -p "$T/run"
start_nginx "$B1" n1
start_nginx "$B2" n2
start_nginx "$B3" n3
N3_PID=$NGINX_PID
start_nginx "$B4" n4

# checkd's own file: A (the first), B (changed: two intervals, a target
# added), C (B with a typo). mkcfg INTER_N1 INTER_N3 [EXTRA_LINE]
mkcfg() {
  cat <<CFG
socket $T/run/checkd.sock mode 600 level admin
spread-checks 5
target mon/n1 127.0.0.1:$B1 kind http inter $1 timeout 2s method GET uri /mon1 expect status 200
target mon/n3 127.0.0.1:$B3 kind tcp inter $2 fall 2
# lbd's server again: lbd's registration wins, this line is refused at reload
target web/w3 127.0.0.1:$B3 kind tcp inter 1s
${3:-}
CFG
}
N2="target mon/n2 127.0.0.1:$B2 kind http inter 300ms timeout 2s method GET uri /mon2 expect status 200"
mkcfg 1s 300ms > "$T/a.cfg"
mkcfg 200ms 500ms "$N2" > "$T/b.cfg"
{ cat "$T/b.cfg"; echo "target mon/bad 127.0.0.1:$B1 kind http intr 1s"; } > "$T/c.cfg"
cp "$T/a.cfg" "$T/checkd.cfg"

# systemd's notify socket, played by socat
socat -u "UNIX-RECV:$T/notify" "OPEN:$T/notify.log,creat,append" &
LK_PIDS+=($!)
wait_file "$T/notify"
NOTIFY_SOCKET="$T/notify" bg "$CHECKD" -f "$T/checkd.cfg" -R "$T/run" 2>"$T/checkd.log"
PID_CHECKD=$!
wait_sock "$T/run/checkd.sock"

cat > "$T/lbd.cfg" <<CFG
global
    checkd socket $T/run/checkd.sock
defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
    # a loaded machine: a slow check is not a dead server
    timeout check 2s
    retries 3
    option redispatch
frontend fe
    bind 127.0.0.1:$PF
    default_backend web
backend web
    balance roundrobin
    option httpchk GET /health
    server w1 127.0.0.1:$B1 check inter 300 fall 3 rise 2
    server w2 127.0.0.1:$B2 check inter 300 fall 3 rise 2
    server w3 127.0.0.1:$B3 check inter 300 fall 3 rise 2
    server w4 127.0.0.1:$B4 check inter 300 fall 3 rise 2
CFG
bg "$LBD" -f "$T/lbd.cfg" -R "$T/lbdrun" 2>"$T/lbd.log"
LBD_PID=$!
wait_port 127.0.0.1 "$PF"
wait_sock "$T/lbdrun/lbd.sock"

cksock() { echo "$1" | socat -t 2 - "UNIX-CONNECT:$T/run/checkd.sock"; }
lbsock() { echo "$1" | socat -t 2 - "UNIX-CONNECT:$T/lbdrun/lbd.sock" 2>/dev/null; }
state_of() { cksock "show health" | awk -v id="$1" '$1 == id { print $4 }' | tr -d ,; }
wait_state() { # ID STATE SECS
  local i
  for i in $(seq 1 $(($3 * 20))); do
    [ "$(state_of "$1")" = "$2" ] && return 0
    sleep 0.05
  done
  echo "timeout: $1 is '$(state_of "$1")', not $2" >&2; return 1
}
stat_col() { # SERVER COLUMN: from lbd's "show stat"
  lbsock "show stat" | python3 -c '
import csv, sys
rows = list(csv.reader(l for l in sys.stdin if l.strip()))
hdr = [h.lstrip("# ") for h in rows[0]]
for r in rows[1:]:
    if len(r) == len(hdr) and r[0] == "web" and r[1] == sys.argv[1]:
        print(r[hdr.index(sys.argv[2])])' "$1" "$2"
}

for s in w1 w2 w3 w4; do check "lbd registered web/$s, UP" wait_state "web/$s" UP 10; done
check "mon/n1 UP" wait_state mon/n1 UP 10
lbsock "set server web/w4 state maint" >/dev/null
# (a counter frozen half-way by the maintenance showed as "DOWN 3/2, going up")
check "w4 MAINT mirrored in checkd" wait_state web/w4 MAINT 5
kill "$N3_PID"
check "w3 DOWN once its nginx is stopped" wait_state web/w3 DOWN 10
check "mon/n3 DOWN" wait_state mon/n3 DOWN 10
for i in $(seq 1 40); do [ "$(stat_col w3 status)" = DOWN ] && break; sleep 0.05; done
expect_eq "lbd: w3 DOWN" "$(stat_col w3 status)" DOWN
expect_eq "lbd: w4 MAINT" "$(stat_col w4 status)" MAINT

# the feed, for the whole run: every line as received
cat > "$T/sub.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"subscribe\n")
with open(sys.argv[2], "wb", buffering=0) as out:
    while True:
        d = s.recv(65536)
        if not d:
            break
        out.write(d)
PY
bg python3 "$T/sub.py" "$T/run/checkd.sock" "$T/feed.jsonl"
# lbd's view, every 100 ms: "TIME w1 w2 w3 w4" statuses
cat > "$T/poll.py" <<'PY'
import csv, socket, sys, time
while True:
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(sys.argv[1])
        s.sendall(b"show stat\n")
        buf = s.makefile("rb").read()
        s.close()
        rows = list(csv.reader(l for l in buf.decode().splitlines() if l.strip()))
        hdr = [h.lstrip("# ") for h in rows[0]]
        st = {r[1]: r[hdr.index("status")] for r in rows[1:] if len(r) == len(hdr) and r[0] == "web"}
        line = " ".join(st.get(n, "?") for n in ("w1", "w2", "w3", "w4"))
    except OSError as e:
        line = "error " + str(e)
    print(int(time.time() * 1000), line, flush=True)
    time.sleep(0.1)
PY
bg python3 "$T/poll.py" "$T/lbdrun/lbd.sock" > "$T/poll.txt"
POLL=$!
for i in $(seq 1 40); do grep -q '"type":"snapshot"' "$T/feed.jsonl" 2>/dev/null && break; sleep 0.05; done
check "subscriber got the snapshot" grep -q '"type":"snapshot"' "$T/feed.jsonl"

nlines() { grep -c "$2" "$T/nginx-$1.log" || true; }
w3_0="$(stat_col w3 lbtot) $(stat_col w3 stot) $(stat_col w3 econ) $(stat_col w3 wretr)"
n4_0=$(wc -l < "$T/nginx-n4.log")
LOGLINES_LBD=$(wc -l < "$T/lbd.log")

DUR=25
wrk -t1 -c8 -d${DUR}s "http://127.0.0.1:$PF/" > "$T/wrk-ka.txt" 2>&1 & WK1=$!
wrk -t1 -c4 -d${DUR}s -H 'Connection: close' "http://127.0.0.1:$PF/" > "$T/wrk-close.txt" 2>&1 & WK2=$!
LK_PIDS+=($WK1 $WK2)
sleep 2

# reload N FILE: ExecReload's two steps, "checkd -c" then SIGHUP; waits for
# checkd's answer in its log ("reloaded" or "reload failed": the N-th)
RELOADS=0 FAILED=0
reload() {
  local i out rc
  cp "$T/$2" "$T/checkd.cfg"
  out=$("$CHECKD" -c -f "$T/checkd.cfg" 2>&1) && rc=0 || rc=$?
  echo "# reload $1 ($2): checkd -c: rc $rc, $out"
  kill -HUP "$PID_CHECKD"
  for i in $(seq 1 100); do
    [ $(($(grep -c -E 'reloaded|reload failed' "$T/checkd.log" || true))) -ge "$1" ] && break
    sleep 0.05
  done
  RELOADS=$(grep -c 'reloaded ' "$T/checkd.log" || true)
  FAILED=$(grep -c 'reload failed' "$T/checkd.log" || true)
  [ "$rc" = 0 ]
}
hits_in() { # NGINX URI SECS: probes of URI seen by nginx NGINX over SECS
  local a
  a=$(nlines "$1" "$2")
  sleep "$3"
  echo $(($(nlines "$1" "$2") - a))
}

check "reload 1 (same file): checkd -c" reload 1 a.cfg
slow=$(hits_in n1 "GET /mon1 " 2)
check "reload 2 (changed file): checkd -c" reload 2 b.cfg
check "added target mon/n2 UP" wait_state mon/n2 UP 5
fast=$(hits_in n1 "GET /mon1 " 2)
echo "# mon/n1 probes in 2 s: $slow at inter 1s, $fast at inter 200ms"
check "inter change in effect: mon/n1 probed at 200 ms ($slow -> $fast in 2 s)" \
  test "$slow" -le 4 -a "$fast" -ge 6
check "reload 3 (same file): checkd -c" reload 3 b.cfg
sleep 1
out=$("$CHECKD" -c -f "$T/c.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "checkd -c refuses the invalid file (systemctl reload fails)" "$rc" 1
check "checkd -c names FILE:LINE ($out)" grep -q "c.cfg:8: " <<< "$out"
reload 4 c.cfg || true
check "SIGHUP with the invalid file refused, FILE:LINE logged" \
  grep -q "reload failed, keeping the running config: $T/checkd.cfg:8: " "$T/checkd.log"
expect_eq "the running config stays: mon/n2 still checked" "$(state_of mon/n2)" UP
expect_eq "... and no mon/bad" "$(cksock 'show health' | grep -c '^mon/bad ' || true)" 0
kept=$(hits_in n1 "GET /mon1 " 2)
check "... and mon/n1 still at 200 ms ($kept in 2 s)" test "$kept" -ge 6
check "reload 5 (valid again): checkd -c" reload 5 b.cfg
sleep 1
check "reload 6 (first file back): checkd -c" reload 6 a.cfg
for i in $(seq 1 40); do [ -z "$(state_of mon/n2)" ] && break; sleep 0.05; done
expect_eq "mon/n2 gone with the first file" "$(state_of mon/n2)" ""
sleep 1
check "reload 7 (same file): checkd -c" reload 7 a.cfg
sleep 1.5
check "reload 8 (same file): checkd -c" reload 8 a.cfg
echo "# $RELOADS reloads done, $FAILED refused"
check "the file's web/w3 gave way to lbd's registration at start" \
  grep -q "target web/w3 of the config file: now registered by lbd" "$T/checkd.log"
expect_eq "... and is refused at each applied reload" \
  "$(grep -c "target web/w3 not applied: registered over the socket" "$T/checkd.log")" 7
expect_eq "7 reloads applied, 1 refused" "$RELOADS $FAILED" "7 1"

wait "$WK1" "$WK2" || true
kill "$POLL" 2>/dev/null || true
for f in ka close; do
  echo "== wrk $f"; cat "$T/wrk-$f.txt"
done
req_ka=$(awk '/requests in/ {print $1}' "$T/wrk-ka.txt")
req_cl=$(awk '/requests in/ {print $1}' "$T/wrk-close.txt")
echo "# requests: ${req_ka:-0} keep-alive + ${req_cl:-0} close over ${DUR} s"
for f in ka close; do
  check "wrk $f: 0 socket errors (connect, read, write, timeout)" \
    bash -c "! grep -q 'Socket errors' '$T/wrk-$f.txt'"
  check "wrk $f: 0 non-2xx" bash -c "! grep -q 'Non-2xx' '$T/wrk-$f.txt'"
done
check "requests served (${req_ka:-0} + ${req_cl:-0})" test "${req_ka:-0}" -gt 500 -a "${req_cl:-0}" -gt 100
check "w1 and w2 served ($(nlines n1 'GET / ') + $(nlines n2 'GET / '))" \
  test "$(nlines n1 'GET / ')" -gt 100 -a "$(nlines n2 'GET / ')" -gt 100
# lbtot: times chosen, stot: sessions, econ: failed connects, wretr: retries
expect_eq "nothing sent to the DOWN w3 (lbtot stot econ wretr)" \
  "$(stat_col w3 lbtot) $(stat_col w3 stot) $(stat_col w3 econ) $(stat_col w3 wretr)" "$w3_0"
expect_eq "nothing reached w4 in MAINT, not even a check" "$(wc -l < "$T/nginx-n4.log")" "$n4_0"

# lbd's view: every sample UP UP DOWN MAINT
samples=$(wc -l < "$T/poll.txt")
bad=$(grep -v -c ' UP UP DOWN MAINT$' "$T/poll.txt" || true)
check "lbd show stat: $samples samples, every one w1 UP, w2 UP, w3 DOWN, w4 MAINT ($bad others)" \
  test "$samples" -gt 150 -a "$bad" -eq 0
# show servers state: field 6 srv_op_state (0 stopped, 2 running), 7
# srv_admin_state (1: forced MAINT)
sst=$(lbsock "show servers state web")
expect_eq "show servers state after the reloads: op/admin of w1..w4" \
  "$(awk '$4 ~ /^w[1-4]$/ {printf "%s:%s/%s ", $4, $6, $7}' <<< "$sst")" "w1:2/0 w2:2/0 w3:0/0 w4:0/1 "
tail -n +"$((LOGLINES_LBD + 1))" "$T/lbd.log" > "$T/lbd-load.log"
check "lbd logged no server transition under the reloads" \
  bash -c "! grep -E 'Server web/w[1-4] (is|was)' '$T/lbd-load.log'"
check "lbd never went fail-static" bash -c "! grep -q 'keep their last known state' '$T/lbd.log'"
expect_eq "lbd followed the feed on one connection" "$(grep -c 'following the feed' "$T/lbd.log")" 1
check "checkd is the same process" kill -0 "$PID_CHECKD"

# kill -9 of checkd under a client (its unit restarts it), which also ends
# the subscriber's feed, read below: every
# target is new to the restarted one, UP "not checked yet" until its first
# probe; lbd, which holds a verdict for each server, keeps it until checkd
# has one
L=$(wc -l < "$T/lbd.log")
wrk -t1 -c4 -d4s -H 'Connection: close' "http://127.0.0.1:$PF/" > "$T/wrk-restart.txt" 2>&1 & WK3=$!
LK_PIDS+=($WK3)
sleep 1
kill -9 "$PID_CHECKD"
for i in $(seq 1 100); do kill -0 "$PID_CHECKD" 2>/dev/null || break; sleep 0.05; done
cat > "$T/feed.py" <<'PY'
import json, sys
want = {"web/w1": "UP", "web/w2": "UP", "web/w3": "DOWN", "web/w4": "MAINT",
        "mon/n1": "UP", "mon/n3": "DOWN"}
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
snap = lines[0]
assert snap["type"] == "snapshot", snap["type"]
bad, events, n2 = [], 0, []
for t in snap["targets"]:
    if t["id"] in want and t["state"] != want[t["id"]]:
        bad.append("snapshot %s %s" % (t["id"], t["state"]))
for m in lines[1:]:
    tid = m["target"]["id"] if m["type"] == "event" else m.get("id")
    if tid == "mon/n2":
        n2.append(m["type"] + ":" + (m["target"]["state"] if m["type"] == "event" else ""))
        continue
    if tid not in want:
        continue
    events += 1
    if m["type"] != "event":
        bad.append("%s %s" % (m["type"], tid))
    elif m["prev"] is None or m["target"]["result"] == "INI":
        bad.append("re-created %s (%s)" % (tid, m["target"]["result"]))
    elif m["target"]["state"] != want[tid] or m["prev"] != want[tid]:
        bad.append("%s %s -> %s" % (tid, m["prev"], m["target"]["state"]))
print("feed: %d lines, %d events of the settled targets, %d flaps%s; mon/n2: %s"
      % (len(lines), events, len(bad), (" (" + ", ".join(sorted(set(bad))[:8]) + ")") if bad else "",
         " ".join(n2)))
# mon/n2: registered (prev null, UP), checked, then removed
ok = not bad and n2[:1] == ["event:UP"] and n2[-1:] == ["removed:"] and \
    all(x in ("event:UP", "removed:") for x in n2)
sys.exit(0 if ok else 1)
PY
out=$(python3 "$T/feed.py" "$T/feed.jsonl") && rc=0 || rc=$?
echo "# $out"
expect_eq "feed: no state change, re-creation or removal of a settled target; mon/n2 came and went" "$rc" 0
# datagrams, not lines: count the words
expect_eq "RELOADING=1 for each of the 8 SIGHUPs" "$(grep -o 'RELOADING=1' "$T/notify.log" | wc -l)" 8
expect_eq "READY=1 at start and after each" "$(grep -o 'READY=1' "$T/notify.log" | wc -l)" 9

rm -f "$T/run/checkd.sock"
bg "$CHECKD" -f "$T/checkd.cfg" -R "$T/run" 2>>"$T/checkd.log"
PID_CHECKD=$!
for i in $(seq 1 100); do
  [ "$(grep -c 'following the feed' "$T/lbd.log")" -ge 2 ] && break; sleep 0.05
done
expect_eq "lbd follows the restarted checkd" "$(grep -c 'following the feed' "$T/lbd.log")" 2
check "w3 DOWN in the restarted checkd" wait_state web/w3 DOWN 5
wait "$WK3" || true
echo "# across the checkd restart: $(awk '/requests in/ {print $1}' "$T/wrk-restart.txt") requests"
check "wrk across the checkd restart: 0 socket errors, 0 non-2xx" \
  bash -c "grep -q 'requests in' '$T/wrk-restart.txt' && ! grep -q -E 'Socket errors|Non-2xx' '$T/wrk-restart.txt'"
check "lbd kept w3 DOWN across the kill -9 and restart of checkd (no 'Server web/w3 is UP')" \
  bash -c "! tail -n +$((L + 1)) '$T/lbd.log' | grep 'Server web/w3 is UP'"
expect_eq "lbd: w3 DOWN after the checkd restart" "$(stat_col w3 status)" DOWN
check "no sanitizer report" \
  test -z "$(grep -i -E 'sanitizer|runtime error' "$T/checkd.log" "$T/lbd.log" || true)"
finish
