#!/usr/bin/env bash
# agent-check with agent-port, agent-inter, agent-send and agent-addr: a
# python TCP agent answers each connection with the line in a file; the test
# rewrites the line ("up 100%", "75%", "drain", "ready", "maint", "down#...",
# "up") and HAProxy 2.6 and lbd, following the same agent side by side, must
# show the same server status and weight in "show stat" after each, and
# send the same log lines to their syslog receivers.
source ../lib.sh
command -v haproxy >/dev/null || { echo "SKIP: haproxy missing"; exit 77; }
WEB=$(free_port) AG=$(free_port) FE=$(free_port) HS=$(free_port) LS=$(free_port)
mkdir -p "$T/run"
cat > "$T/agent.py" <<'PY'
# each connection: read what the checker sends (agent-send), record it,
# answer the current line of REPLY_FILE, close
import socket, sys, threading
port, reply_file, rec = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(64)
def serve(c):
    c.settimeout(0.2)
    try: got = c.recv(256)
    except Exception: got = b""
    with open(rec, "ab") as f: f.write(got.replace(b"\n", b"\\n") + b"\n")
    try: c.sendall(open(reply_file, "rb").read().strip() + b"\n")
    except Exception: pass
    c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
echo "up 100%" > "$T/reply"
bg python3 -m http.server "$WEB" --bind 127.0.0.1 --directory "$T" >/dev/null 2>&1
bg python3 "$T/agent.py" "$AG" "$T/reply" "$T/agent.rec"
cat > "$T/syslog.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        d, _ = s.recvfrom(65535); f.write(d.rstrip(b"\n") + b"\n")
PY
bg python3 "$T/syslog.py" "$HS" "$T/ha.syslog"
bg python3 "$T/syslog.py" "$LS" "$T/lb.syslog"
wait_listen "$WEB"; wait_listen "$AG"
for p in "$HS" "$LS"; do
  for _ in $(seq 100); do if [ -n "$(ss -Hlun "sport = :$p")" ]; then break; fi; sleep 0.05; done
done
backends() {
cat <<CFG
backend app
    server a 127.0.0.1:$WEB weight 10 check inter 200 agent-check agent-port $AG agent-inter 200 agent-send "hello agent\n" agent-addr 127.0.0.1
    server b 127.0.0.1:$WEB weight 10 check inter 200
CFG
}
head='defaults
    mode tcp
    log global
    timeout connect 1s
    timeout client 5s
    timeout server 5s'
printf 'global\n    stats socket %s level admin\n    log 127.0.0.1:%s local0\n%s\n%s\n' \
  "$T/ha.sock" "$HS" "$head" "$(backends)" > "$T/ha.cfg"
printf 'global\n    checkd socket %s\n    log 127.0.0.1:%s local0\n%s\nfrontend fe\n    bind 127.0.0.1:%s\n    default_backend app\n%s\n' \
  "$T/run/checkd.sock" "$LS" "$head" "$FE" "$(backends)" > "$T/lbd.cfg"
check "lbd -c accepts the agent-check keywords" "$LBD" -c -f "$T/lbd.cfg"
start_pair
wait_port 127.0.0.1 "$FE"
stat_of() { # SOCK: "STATUS WEIGHT" of app/a
  echo "show stat" | socat -t 2 - "UNIX-CONNECT:$1" | python3 -c '
import csv, sys
rows = list(csv.reader(sys.stdin)); h = rows[0]; h[0] = "pxname"
for r in rows[1:]:
    d = dict(zip(h, r))
    if d.get("pxname") == "app" and d.get("svname") == "a": print(d["status"], d["weight"])'
}
step() { # REPLY WANT_DESC
  echo "$1" > "$T/reply"
  local i ha lb
  for i in $(seq 40); do # both have asked the agent again by then (agent-inter 200)
    ha=$(stat_of "$T/ha.sock"); lb=$(stat_of "$T/lbdrun/lbd.sock")
    if [ "$ha" = "$lb" ] && [ "$i" -gt 5 ]; then break; fi
    sleep 0.1
  done
  echo "  agent '$1': haproxy [$ha] lbd [$lb]"
  expect_eq "agent '$1': lbd shows what HAProxy shows ($2)" "$lb" "$ha"
}
sleep 1
step "up 100%" "UP, full weight"
step "75%" "weight 7 of 10"
step "drain" "DRAIN"
step "ready" "back UP"
step "maint" "MAINT"
step "ready 100%" "UP again"
step "down#disk full" "not a word HAProxy knows: unchanged"
step "down #disk full" "DOWN (agent)"
step "up" "UP"
sleep 0.5
norm() { # the server lines, after "tag[pid]: ", durations as N, with the priority
  python3 - "$1" <<'PY'
import re, sys
for l in open(sys.argv[1], errors="replace"):
    m = re.match(r"<(\d+)>.*?\[\d+\]: (.*)", l.rstrip("\n"))
    if m and re.match(r"(Server |backend )", m.group(2)):
        print("<%s> %s" % (m.group(1), re.sub(r"duration: \d+ms", "duration: Nms", m.group(2))))
PY
}
norm "$T/ha.syslog" > "$T/ha.lines"
norm "$T/lb.syslog" > "$T/lb.lines"
echo "--- HAProxy 2.6 logged:"; cat "$T/ha.lines"
check "HAProxy logged the agent's drain, maint, down and up (the test is live)" \
  test "$(wc -l < "$T/ha.lines")" -ge 6
check "lbd logged the same lines, in the same order" diff "$T/ha.lines" "$T/lb.lines"
check "the agent received agent-send's bytes from lbd (checkd)" grep -qx 'hello agent\\n' "$T/agent.rec"
finish
