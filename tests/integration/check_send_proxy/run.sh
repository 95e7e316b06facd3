#!/usr/bin/env bash
# Health checks of servers with send-proxy / send-proxy-v2 and
# check-send-proxy (issue 11): HAProxy 2.6 writes the PROXY header on its
# checks too when the check goes to the server's own address and port
# (v1: the check connection's own ends; v2: the LOCAL command), not when
# the check has its own "port", unless check-send-proxy. checkd does the
# same: each server's first check connection is recorded, for lbd+checkd
# and for HAProxy on the same config, and compared byte for byte (the
# check's local port and the recorder's port written as SPORT and DPORT).
# No root.
source "$(dirname "$0")/../lib.sh"

cat > "$T/rec.py" <<'PY'
import pysrv, sys, threading
out = sys.argv[1]
lock = threading.Lock()
# a plain tcp check may end with a reset before anything is read (HAProxy's
# does): nothing here may ask the accepted socket more than recv
def serve(c, peer, me):
    c.settimeout(0.5)
    data = b""
    try:
        while len(data) < 200:
            d = c.recv(200)
            if not d:
                break
            data += d
    except OSError:
        pass
    c.close()
    line = repr(data).replace(" %d " % peer[1], " SPORT ").replace(" %d\\r" % me, " DPORT\\r")
    with lock, open(out, "a") as f:
        f.write("%d %s\n" % (me, line))
for p in sys.argv[2:]:
    pysrv.serve(pysrv.tcp(p), serve, int(p))
pysrv.forever()
PY
config() { # PORTS: plain v1 v2 http own-port own-port-check-send-proxy-v2 tcp-check check-send-proxy-only
    cat <<CFG
global
    checkd socket $T/run/checkd.sock
defaults
    mode tcp
    timeout connect 1s
    timeout client 2s
    timeout server 2s
    timeout check 1s
frontend fe
    bind 127.0.0.1:$9
    default_backend b
backend b
    default-server inter 300 rise 1 fall 1
    server v1 127.0.0.1:$1 check send-proxy
    server v2 127.0.0.1:$2 check send-proxy-v2
    server own 127.0.0.1:$4 check send-proxy port $5
    server ownv2 127.0.0.1:$4 check send-proxy-v2 check-send-proxy port $6
    server only 127.0.0.1:$8 check check-send-proxy
backend h
    mode http
    option httpchk GET /health
    server h 127.0.0.1:$3 check send-proxy inter 300
backend t
    option tcp-check
    tcp-check send PING\\r\\n
    server t 127.0.0.1:$7 check send-proxy inter 300
CFG
}
ports() { local i; for i in 1 2 3 4 5 6 7 8 9; do free_port; done; }
L=($(ports)); H=($(ports))
bg python3 "$T/rec.py" "$T/lbd.rec" "${L[@]:0:8}"
bg python3 "$T/rec.py" "$T/ha.rec" "${H[@]:0:8}"
config "${L[@]}" > "$T/lbd.cfg"
config "${H[@]}" | grep -v "checkd socket" > "$T/ha.cfg"
wait_listen "${L[0]}"; wait_listen "${H[0]}"
out=$(haproxy -c -f "$T/ha.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "HAProxy accepts the config ($out)" "$rc" 0
out=$("$LBD" -c -f "$T/lbd.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "lbd accepts the config ($out)" "$rc" 0
start_pair
sleep 2
# the first record of each recorder port, by the port's place in the list
first() { # FILE PORT...
    local f=$1 p; shift
    for p in "$@"; do awk -v p="$p" '$1 == p { $1 = ""; print substr($0, 2); exit }' "$f"; done; }
names=(send-proxy send-proxy-v2 "httpchk with send-proxy" "traffic port (no check)" \
    "own check port" "own check port with check-send-proxy (v2)" "tcp-check with send-proxy" \
    "check-send-proxy alone")
# checkd's HTTP check request differs from HAProxy's (Connection: close and
# User-Agent, see checkd.md): for httpchk the header before it is compared
for i in 0 1 2 4 5 6 7; do
    a=$(first "$T/lbd.rec" "${L[$i]}"); b=$(first "$T/ha.rec" "${H[$i]}")
    [ "$i" = 2 ] && a=${a%%GET *} && b=${b%%GET *}
    # HAProxy's plain tcp check resets a connection that carried nothing so
    # early that it leaves the accept queue unseen: no record is "no bytes"
    [ "$i" = 4 ] && b=${b:-b\'\'}
    expect_eq "${names[$i]}: checkd sends $a as HAProxy" "$a" "$b"
done
expect_eq "v1 header names the check's own ends" "$(first "$T/lbd.rec" "${L[0]}")" \
    "b'PROXY TCP4 127.0.0.1 127.0.0.1 SPORT DPORT\\r\\n'"
expect_eq "v2 header is the LOCAL command" "$(first "$T/lbd.rec" "${L[1]}")" \
    "b'\\r\\n\\r\\n\\x00\\r\\nQUIT\\n \\x00\\x00\\x00'"
expect_eq "a check on its own port sends no header" "$(first "$T/lbd.rec" "${L[4]}")" "b''"
expect_eq "the traffic port of those two gets no check" "$(first "$T/lbd.rec" "${L[3]}")" ""
finish
