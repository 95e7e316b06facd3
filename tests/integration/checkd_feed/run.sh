#!/usr/bin/env bash
# The feed socket itself:
#  - a read-only socket (level user) answers "show health" but refuses
#    "register", "unregister" and "disable health";
#  - a subscriber that stops reading while thousands of events are
#    published is told how many it missed and gets a fresh snapshot: the
#    events it received plus the missed count account for every sequence
#    number (nothing dropped silently), and checkd's memory stays bounded;
#  - hostile input on the socket (garbage JSON, huge lines, binary) does
#    not take checkd down.
source ../lib.sh

mkdir -p "$T/run"
P1=$(free_port)
cat > "$T/checkd.cfg" <<CFG
socket $T/run/checkd.sock mode 600 level admin
socket $T/run/checkd-ro.sock mode 666 level user
feed-buffer 16k
target static/dead 127.0.0.1:$P1 kind tcp inter 1s
CFG
# systemd's notify socket, played by socat
socat -u "UNIX-RECV:$T/notify" "OPEN:$T/notify.log,creat,append" &
LK_PIDS+=($!)
wait_file "$T/notify"
NOTIFY_SOCKET="$T/notify" bg "$CHECKD" -f "$T/checkd.cfg" -R "$T/run" 2>"$T/checkd.log"
PID_CHECKD=$!
wait_sock "$T/run/checkd-ro.sock"
for i in $(seq 1 40); do grep -q READY=1 "$T/notify.log" 2>/dev/null && break; sleep 0.05; done
check "READY=1 sent to systemd" grep -q "READY=1" "$T/notify.log"
ro() { echo "$1" | socat -t 2 - "UNIX-CONNECT:$T/run/checkd-ro.sock" 2>/dev/null; }
rw() { echo "$1" | socat -t 2 - "UNIX-CONNECT:$T/run/checkd.sock" 2>/dev/null; }

check "the example config is valid" "$CHECKD" -c -f "${LK_SRC:-../../..}/deploy/examples/checkd.cfg"
expect_eq "socket mode" "$(stat -c %a "$T/run/checkd-ro.sock")" 666
check "read-only socket shows health" bash -c "echo 'show health' | socat - UNIX-CONNECT:$T/run/checkd-ro.sock | grep -q static/dead"
REG='register {"id":"x/y","addr":"127.0.0.1:9","kind":"tcp","inter":1000,"rise":2,"fall":3}'
expect_eq "read-only socket refuses register" "$(ro "$REG" | head -1)" "Permission denied"
expect_eq "read-only socket refuses disable" "$(ro 'disable health static/dead' | head -1)" "Permission denied"
expect_eq "read-only socket refuses unregister" "$(ro 'unregister static/dead' | head -1)" "Permission denied"
expect_eq "admin socket accepts register" "$(rw "$REG" | head -1)" "registered x/y"
expect_eq "admin socket disables" "$(rw 'disable health x/y' | head -1)" "maintenance for x/y"
check "MAINT shown" bash -c "echo 'show health' | socat - UNIX-CONNECT:$T/run/checkd.sock | grep -q '^x/y .* MAINT'"
expect_eq "unregister" "$(rw 'unregister x/y' | head -1)" "unregistered x/y"

# slow subscriber: subscribes, sleeps while 3000 register/unregister
# events are published through another connection, then reads everything
cat > "$T/slow.py" <<'PY'
import json, socket, sys, time
path, admin = sys.argv[1], sys.argv[2]
sub = socket.socket(socket.AF_UNIX)
sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
sub.connect(path)
sub.sendall(b"subscribe\n")
time.sleep(0.3)
adm = socket.socket(socket.AF_UNIX)
adm.connect(admin)
adm.sendall(b"prompt\n")
for i in range(1500):
    t = {"id": "gen/t%d" % i, "addr": "127.0.0.1:9", "kind": "tcp", "inter": 60000,
         "rise": 1, "fall": 1, "init": "fully-down"}
    adm.sendall(b"register " + json.dumps(t, separators=(",", ":")).encode() + b"\n")
    adm.sendall(b"unregister gen/t%d\n" % i)
time.sleep(1.0)
adm.sendall(b"quit\n")
adm.close()
time.sleep(0.5)
sub.settimeout(1.0)
buf = b""
try:
    while True:
        d = sub.recv(65536)
        if not d:
            break
        buf += d
except socket.timeout:
    pass
lines = [json.loads(l) for l in buf.decode().splitlines() if l]
s0 = lines[0]["seq"]
got = missed = 0
last = None
for m in lines[1:]:
    if m["type"] in ("event", "removed"):
        got += 1
    elif m["type"] == "missed":
        missed += m["count"]
    elif m["type"] == "snapshot":
        last = m["seq"]
final = max(m["seq"] for m in lines)
print("lines=%d got=%d missed=%d s0=%d final=%d resync=%s" % (len(lines), got, missed, s0, final, last))
ok = missed > 0 and last is not None and got + missed == final - s0
sys.exit(0 if ok else 1)
PY
out=$(timeout 60 python3 "$T/slow.py" "$T/run/checkd-ro.sock" "$T/run/checkd.sock") && rc=0 || rc=$?
echo "# $out"
expect_eq "slow subscriber: missed + received == published, then a snapshot" "$rc" 0
rss=$(awk '/VmRSS/ {print $2}' /proc/$PID_CHECKD/status)
echo "# checkd RSS ${rss} kB"
check "checkd memory bounded (<200 MB incl. ASan)" test "$rss" -lt 204800

# hostile input
head -c 200000 /dev/urandom | tr '\n' 'x' | socat -t 1 - "UNIX-CONNECT:$T/run/checkd.sock" >/dev/null 2>&1 || true
head -c 70000 /dev/zero | tr '\0' 'a' | socat -t 1 - "UNIX-CONNECT:$T/run/checkd.sock" >/dev/null 2>&1 || true
expect_eq "garbage register refused" "$(rw 'register {"id":' | head -1)" "register: invalid target object"
expect_eq "bad address refused" "$(rw 'register {"id":"a/b","addr":"nowhere"}' | head -1)" "register a/b: address must be IP:PORT"
expect_eq "bad regex refused" \
  "$(rw 'register {"id":"a/b","addr":"127.0.0.1:1","kind":"http","http":{"expect":"rstatus","expect_arg":"(["}}' | head -1)" \
  "register a/b: http-check expect rstatus: invalid regular expression"
check "checkd alive after hostile input" kill -0 "$PID_CHECKD"
expect_eq "checkd still answers" "$(rw 'show info' | awk '/^Targets:/ {print $2}')" 1
# reload (SIGHUP): static/dead goes, static/new comes, x/keep keeps its state
cat > "$T/checkd.cfg" <<CFG
socket $T/run/checkd.sock mode 600 level admin
socket $T/run/checkd-ro.sock mode 666 level user
feed-buffer 16k
target static/new 127.0.0.1:$P1 kind tcp inter 1s
CFG
kill -HUP "$PID_CHECKD"
for i in $(seq 1 40); do grep -q "reloaded" "$T/checkd.log" && break; sleep 0.05; done
check "reload logged" grep -q "reloaded $T/checkd.cfg: 1 targets, 1 removed" "$T/checkd.log"
check "RELOADING=1 sent to systemd" grep -q "RELOADING=1" "$T/notify.log"
check "new target after reload" bash -c "echo 'show health' | socat - UNIX-CONNECT:$T/run/checkd.sock | grep -q '^static/new '"
check "dropped target gone" bash -c "! echo 'show health' | socat - UNIX-CONNECT:$T/run/checkd.sock | grep -q '^static/dead '"
echo "target broken" >> "$T/checkd.cfg"
kill -HUP "$PID_CHECKD"
for i in $(seq 1 40); do grep -q "reload failed" "$T/checkd.log" && break; sleep 0.05; done
check "bad reload refused with FILE:LINE" grep -q "reload failed, keeping the running config: $T/checkd.cfg:5:" "$T/checkd.log"
check "checkd alive after bad reload" kill -0 "$PID_CHECKD"
check "no sanitizer report" test -z "$(grep -i -E 'sanitizer|runtime error' "$T/checkd.log" || true)"
finish
