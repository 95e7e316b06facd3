#!/usr/bin/env bash
# HAProxy 2.6's tcp-check engine and the protocol checks built on it, run
# by checkd for lbd against real peers, side by side with HAProxy 2.6 on the
# same backends: every server must get HAProxy's check_status, and the info
# HAProxy shows in last_chk, and HAProxy's state (UP/DOWN).
#   redis-server master + replica: option tcp-check with the Redis
#     PING/+PONG, "info replication"/role:master, QUIT/+OK steps, and
#     option redis-check;
#   aiosmtpd: option smtpchk EHLO domain;  openssl s_server: ssl-hello-chk;
#   python servers for the failure forms (wrong answer, empty answer,
#   refused, expect !, binary, rbinary, min-recv, comment, connect port).
source ../lib.sh
for b in redis-server haproxy openssl; do
  command -v "$b" >/dev/null || { echo "SKIP: $b missing"; exit 77; }
done
# Debian's python3-aiosmtpd is in the system python, which may not be first in PATH
SMTPY=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import aiosmtpd' 2>/dev/null; then SMTPY=$p; break; fi
done
[ -n "$SMTPY" ] || { echo "SKIP: python3-aiosmtpd missing"; exit 77; }

RM=$(free_port) RR=$(free_port) SM=$(free_port) TL=$(free_port) OK=$(free_port)
BAD=$(free_port) DEAD=$(free_port) HOLD=$(free_port) REC=$(free_port) FE=$(free_port)
mkdir -p "$T/run" "$T/rec"
bg redis-server --port "$RM" --bind 127.0.0.1 --save '' --appendonly no >"$T/rm.log" 2>&1
bg redis-server --port "$RR" --bind 127.0.0.1 --save '' --appendonly no \
  --replicaof 127.0.0.1 "$RM" >"$T/rr.log" 2>&1
bg "$SMTPY" -m aiosmtpd -n -l "127.0.0.1:$SM" >"$T/smtp.log" 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k.pem" -out "$T/c.pem" -days 1 \
  -subj /CN=lbkit >/dev/null 2>&1
bg openssl s_server -quiet -accept "127.0.0.1:$TL" -cert "$T/c.pem" -key "$T/k.pem" -naccept 1000 \
  >/dev/null 2>&1 </dev/null
# ANSWER (hex) then keep reading until the peer closes; records what came
cat > "$T/peer.py" <<'PY'
import socket, sys, threading, os
port, rec = int(sys.argv[1]), sys.argv[3]
# "flood:N": N times the bytes 0..255
reply = (bytes(range(256)) * int(sys.argv[2][6:]) if sys.argv[2].startswith("flood:")
         else bytes.fromhex(sys.argv[2]))
hold = len(sys.argv) > 4
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(64)
def serve(c, n):
    data = b""
    c.settimeout(None if hold else 0.3)
    try:
        if reply: c.sendall(reply)
        while True:
            d = c.recv(4096)
            if not d: break
            data += d
    except Exception: pass
    if rec != "-":
        with open("%s.%d" % (rec, n), "wb") as f: f.write(data)
    c.close()
n = 0
while True:
    c, peer = s.accept(); n += 1
    threading.Thread(target=serve, args=(c, n), daemon=True).start()
PY
bg python3 "$T/peer.py" "$OK" 2b504f4e470d0a -        # "+PONG\r\n"
bg python3 "$T/peer.py" "$BAD" 2d4552520d0a -         # "-ERR\r\n"
bg python3 "$T/peer.py" "$HOLD" 68656c6c6f0d0a - hold  # "hello\r\n", never closes
# a listener whose accept queue is full and never drained: SYNs are dropped,
# connects time out (L4TOUT) on loopback
STUCK=$(free_port)
cat > "$T/stuck.py" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(0)
fill = []
for i in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", port))
    except BlockingIOError: pass
    fill.append(c)
time.sleep(3600)
PY
bg python3 "$T/stuck.py" "$STUCK"
FLOOD=$(free_port)  # 200 kB of bytes 0-255 then close: more than any check reads
bg python3 "$T/peer.py" "$FLOOD" flood:800 -
for p in "$RM" "$RR" "$SM" "$TL" "$OK" "$BAD" "$HOLD" "$FLOOD" "$STUCK"; do wait_listen "$p"; done

backends() { # the backends both daemons run; SRV_OPTS after each server
cat <<CFG
backend redis_tcpcheck
    option tcp-check
    tcp-check comment "is it a master"
    tcp-check send PING\r\n
    tcp-check expect string +PONG
    tcp-check send info\ replication\r\n
    tcp-check expect string role:master
    tcp-check send-lf QUIT\r\n
    tcp-check expect string-lf +OK
    server master 127.0.0.1:$RM $1
    server replica 127.0.0.1:$RR $1
    server dead 127.0.0.1:$DEAD $1
backend redis_check
    option redis-check
    server master 127.0.0.1:$RM $1
    server bad 127.0.0.1:$BAD $1
backend smtp
    option smtpchk EHLO lbkit.example
    server mail 127.0.0.1:$SM $1
    server bad 127.0.0.1:$BAD $1
backend tls
    option ssl-hello-chk
    server tls 127.0.0.1:$TL $1
    server plain 127.0.0.1:$OK $1
backend forms
    option tcp-check
    tcp-check connect port $HOLD comment "the greeter"
    tcp-check expect min-recv 3 string hel
    tcp-check expect ! rstring ^nope
    tcp-check expect rbinary ^68656C
    tcp-check connect port $OK
    tcp-check send-binary 50494e470d0a
    tcp-check expect binary 2b504f4e47
    server a 127.0.0.1:$DEAD $1
backend unwanted
    option tcp-check
    tcp-check expect ! string hello comment nothello
    server a 127.0.0.1:$HOLD $1
backend quiet
    option tcp-check
    tcp-check expect string never comment waiting
    server a 127.0.0.1:$HOLD $1
backend plain
    option tcp-check
    server up 127.0.0.1:$OK $1
    server dead 127.0.0.1:$DEAD $1
    server stuck 127.0.0.1:$STUCK $1
backend stuck
    server nocheckopt 127.0.0.1:$STUCK $1
backend stuck_redis
    option redis-check
    server a 127.0.0.1:$STUCK $1
backend stuck_step
    option tcp-check
    tcp-check connect port $STUCK comment "the stuck one"
    server a 127.0.0.1:$DEAD $1
CFG
}
cat > "$T/ha.cfg" <<CFG
global
    stats socket $T/ha.sock level admin
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 700ms
$(backends "check inter 400 rise 1 fall 1")
CFG
cat > "$T/lbd.cfg" <<CFG
global
    checkd socket $T/run/checkd.sock
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 700ms
frontend fe
    bind 127.0.0.1:$FE
    default_backend plain
$(backends "check inter 400 rise 1 fall 1")
backend flood
    option tcp-check
    tcp-check expect rstring ^never
    tcp-check expect rbinary ^00
    server a 127.0.0.1:$FLOOD check inter 200 rise 1 fall 1
backend flood_bin
    option tcp-check
    tcp-check send-binary 00ff00
    tcp-check expect binary FEFF
    server a 127.0.0.1:$FLOOD check inter 200 rise 1 fall 1
CFG
check "haproxy -c accepts the file" haproxy -c -q -f "$T/ha.cfg"
check "lbd -c accepts the file" "$LBD" -c -f "$T/lbd.cfg"
start_pair
wait_port 127.0.0.1 "$FE"
sleep 2.5 # several rounds of checks on both sides, the 700 ms timeouts included

pair_snapshot
python3 - "$T/ha.csv" "$T/ck.json" > "$T/cmp.txt" <<'PY'
import sys
sys.path.insert(0, "..")
from pairstat import ha_servers, ck_targets, ha_state, same_info
ha, ck = ha_servers(sys.argv[1]), ck_targets(sys.argv[2])
for id in sorted(ha):
    h, c = ha[id], ck.get(id)
    if not c: print("MISSING", id); continue
    st = ha_state(h)
    print("%s %s %s %s | ha: %s %s [%s] | lbkit: %s %s [%s]" % (
        id, "same" if h["check_status"] == c["result"] else "DIFF-STATUS",
        "same" if same_info(h, c) else "DIFF-INFO", "same" if st == c["state"] else "DIFF-STATE",
        h["check_status"], st, h["last_chk"], c["result"], c["state"], c["reason"]))
PY
cat "$T/cmp.txt"
# lbd's own show stat: HAProxy's check_status and last_chk columns
echo "show stat" | socat -t 2 - "UNIX-CONNECT:$T/lbdrun/lbd.sock" >"$T/lb.csv"
python3 - "$T/ha.csv" "$T/lb.csv" > "$T/lbstat.txt" <<'PY'
import sys
sys.path.insert(0, "..")
from pairstat import ha_servers
ha, lb = ha_servers(sys.argv[1]), ha_servers(sys.argv[2])
for id in sorted(ha):
    h, l = ha[id], lb.get(id, {})
    got = (l.get("check_status"), l.get("last_chk"), l.get("check_desc"))
    want = (h["check_status"], h["last_chk"], h["check_desc"])
    print(id, "same" if got == want else "DIFF %s != %s" % (got, want))
PY
cat "$T/lbstat.txt"
expect_eq "lbd's show stat: check_status, last_chk, check_desc as HAProxy's" \
  "$(grep -c DIFF "$T/lbstat.txt" || true)" 0
n=$(wc -l < "$T/cmp.txt")
expect_eq "every server of HAProxy's is checked by checkd" "$(grep -c '^MISSING' "$T/cmp.txt" || true)" 0
expect_eq "18 servers compared" "$n" 18
expect_eq "check_status as HAProxy's on every server" "$(grep -c DIFF-STATUS "$T/cmp.txt" || true)" 0
# smtp/mail: aiosmtpd's EHLO answer has several lines, QUIT waits for the
# last one as HAProxy's does, and the info is QUIT's answer ("Bye")
expect_eq "last_chk info as HAProxy's on every server" "$(grep -c DIFF-INFO "$T/cmp.txt" || true)" 0
expect_eq "UP/DOWN as HAProxy's on every server" "$(grep -c DIFF-STATE "$T/cmp.txt" || true)" 0
line() { grep "^$1 " "$T/cmp.txt" | sed 's/.*| lbkit: //'; }
expect_eq "redis master passes every step" "$(line redis_tcpcheck/master)" \
  'L7OK UP [Layer7 check passed, code: 0, info: "(tcp-check)"]'
expect_eq "redis replica: no role:master, waited for it until the timeout" \
  "$(line redis_tcpcheck/replica)" \
  "L7TOUT DOWN [Layer7 timeout, info: \" at step 5 of tcp-check (expect string 'role:master')\"]"
expect_eq "smtp server greets and answers EHLO" "$(line smtp/mail | cut -d' ' -f1-2)" "L7OK UP"
expect_eq "connect timeout, implicit connect" "$(line plain/stuck)" \
  'L4TOUT DOWN [Layer4 timeout, info: " at initial connection step of tcp-check"]'
expect_eq "connect timeout, connect step" "$(line stuck_step/a)" \
  "L4TOUT DOWN [Layer4 timeout, info: \" at step 1 of tcp-check (connect port $STUCK) comment: 'the stuck one'\"]"
expect_eq "connect timeout, no check option" "$(line stuck/nocheckopt)" 'L4TOUT DOWN [Layer4 timeout]'
expect_eq "ssl-hello-chk: openssl answers the ClientHello" "$(line tls/tls)" \
  'L6OK UP [Layer6 check passed]'
# a server flooding binary bytes: judged, nothing more read than a check needs
python3 - "$T/ck.json" > "$T/flood.txt" <<'PY'
import json, sys
ck = {t["id"]: t for t in json.loads(open(sys.argv[1]).readline())["targets"]}
print(ck["flood/a"]["result"], ck["flood/a"]["state"], ck["flood_bin/a"]["result"], ck["flood_bin/a"]["state"])
PY
expect_eq "200 kB of binary: regex fails, binary pattern found" "$(cat "$T/flood.txt")" "L7RSP DOWN L7OK UP"
check "checkd is still running" kill -0 "$(pgrep -f "$CHECKD -R $T/run" | head -1)"

finish
