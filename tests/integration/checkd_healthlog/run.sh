#!/usr/bin/env bash
# HAProxy's health log lines sent to the proxy's log targets, side by side
# with HAProxy 2.6: "option log-health-checks" ("Health check for server
# B/S succeeded|failed, reason: ..., check duration: Nms, status: H/N
# UP|DOWN.") and the server transitions ("Server B/S is DOWN, reason: ...
# N active and M backup servers left. ...", "... is UP ... online ...",
# "backend B has no server available!"), each with HAProxy's syslog
# priority. A server is killed and started again; the set of lines each
# daemon sent to its UDP syslog receiver must be the same.
source ../lib.sh
command -v haproxy >/dev/null || { echo "SKIP: haproxy missing"; exit 77; }
OK=$(free_port) BAD=$(free_port) DEAD=$(free_port) HS=$(free_port) LS=$(free_port) FE=$(free_port)
mkdir -p "$T/run"
cat > "$T/peer.py" <<'PY'
import socket, sys, threading
port, reply = int(sys.argv[1]), bytes.fromhex(sys.argv[2])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(64)
def serve(c):
    c.settimeout(0.3)
    try:
        c.sendall(reply)
        while c.recv(4096): pass
    except Exception: pass
    c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
cat > "$T/syslog.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        d, _ = s.recvfrom(65535); f.write(d.rstrip(b"\n") + b"\n")
PY
# an HTTP server answering the status written in $T/code (disable-on-404)
cat > "$T/web.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = int(open(sys.argv[2]).read())
        self.send_response(code); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
WEB=$(free_port); echo 200 > "$T/code"
bg python3 "$T/web.py" "$WEB" "$T/code"; wait_listen "$WEB"
peer() { bg python3 "$T/peer.py" "$1" "$2"; LAST=$!; wait_listen "$1"; }
peer "$OK" 2b504f4e470d0a; P_OK=$LAST
peer "$BAD" 2d4552520d0a
bg python3 "$T/syslog.py" "$HS" "$T/ha.log"
bg python3 "$T/syslog.py" "$LS" "$T/lb.log"
for p in "$HS" "$LS"; do # the receivers are bound before anything logs
  for _ in $(seq 100); do if [ -n "$(ss -Hlun "sport = :$p")" ]; then break; fi; sleep 0.05; done
done
cfg() { # SYSLOG_PORT
cat <<CFG
    log 127.0.0.1:$1 local0
defaults
    mode tcp
    log global
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 500ms
    default-server check inter 200 rise 2 fall 2
backend logged
    option log-health-checks
    option redis-check
    server ok 127.0.0.1:$OK
    server bad 127.0.0.1:$BAD
backend plain
    server up 127.0.0.1:$OK
    server dead 127.0.0.1:$DEAD
backend tcpchk
    option tcp-check
    tcp-check send PING\r\n
    tcp-check expect string +PONG
    server ok 127.0.0.1:$OK backup
backend web404
    # a 404 to the check: "Server web404/w is stopping", then UP again
    mode http
    option httpchk GET /
    http-check disable-on-404
    server w 127.0.0.1:$WEB
backend webst
    # the same 404 without disable-on-404: "wrong status, code: 404, info: ..."
    mode http
    option httpchk GET /
    server w 127.0.0.1:$WEB
backend webstr
    # a body check that never matches, every check logged
    mode http
    option log-health-checks
    option httpchk GET /
    http-check expect string nothere
    server w 127.0.0.1:$WEB
CFG
}
printf 'global\n    stats socket %s level admin\n%s\n' "$T/ha.sock" "$(cfg "$HS")" > "$T/ha.cfg"
printf 'global\n    checkd socket %s\n%s\nfrontend fe\n    bind 127.0.0.1:%s\n    default_backend plain\n' \
  "$T/run/checkd.sock" "$(cfg "$LS")" "$FE" > "$T/lbd.cfg"
check "lbd -c accepts option log-health-checks" "$LBD" -c -f "$T/lbd.cfg"
start_pair
sleep 1.5
kill "$P_OK"; wait "$P_OK" 2>/dev/null || true
echo 404 > "$T/code"
sleep 1.5
peer "$OK" 2b504f4e470d0a
echo 200 > "$T/code"
sleep 1.5
# the message after "tag[pid]: ", durations as N, with the priority
norm() { python3 ../healthlines.py "$1"; }
norm "$T/ha.log" > "$T/ha.txt"
norm "$T/lb.log" > "$T/lb.txt"
echo "--- HAProxy 2.6 sent:"; cat "$T/ha.txt"
echo "--- lbd sent:"; cat "$T/lb.txt"
check "HAProxy sent health lines (the test is live)" test "$(wc -l < "$T/ha.txt")" -ge 8
check "lbd sent the same lines with the same priorities" diff "$T/ha.txt" "$T/lb.txt"
finish
