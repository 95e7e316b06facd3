#!/usr/bin/env bash
# Servers on UNIX stream sockets (issue 11): "server NAME unix@PATH" and
# "server NAME /PATH", in mode tcp and mode http, lbd and HAProxy 2.6 side
# by side: the answers, the bytes the servers get (send-proxy included:
# the client's TCP addresses, as HAProxy writes them), and show stat's
# addr field ("unix"). Health checks of such a server are refused at its
# line (checkd probes TCP only). No root.
source "$(dirname "$0")/../lib.sh"

cat > "$T/usrv.py" <<'PY'
import pysrv, sys
path, name, log = sys.argv[1], sys.argv[2], sys.argv[3]
def serve(c, peer):
    c.settimeout(2)
    try:
        d = c.recv(1000)
        # the PROXY header may come alone (lbd writes it before the client's
        # bytes): read those too, or closing with them unread resets
        if d.startswith(b"PROXY") and d.endswith(b"\r\n"):
            d += c.recv(1000)
        with open(log, "a") as f:
            f.write(repr(d.split(b"\r\n")[0] if d.startswith(b"PROXY") else d[:4]) + "\n")
        if b"GET " in d:
            body = name.encode()
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        else:
            c.sendall(name.encode() + b" " + d[-5:])
    except OSError:
        pass
    c.close()
pysrv.serve(pysrv.unix(path), serve)
pysrv.forever()
PY
for w in lbd ha; do
    for n in t h p; do bg python3 "$T/usrv.py" "$T/$w-$n.sock" "$n" "$T/$w-$n.log"; done
done
config() { # TAG PORT_TCP PORT_HTTP PORT_PROXY
    cat <<CFG
global
    stats socket $T/$1.sock level admin
defaults
    timeout connect 1s
    timeout client 2s
    timeout server 2s
listen t
    mode tcp
    bind 127.0.0.1:$2
    server t unix@$T/$1-t.sock
listen h
    mode http
    bind 127.0.0.1:$3
    server h $T/$1-h.sock
listen p
    mode tcp
    bind 127.0.0.1:$4
    server p unix@$T/$1-p.sock send-proxy
CFG
}
L=($(free_port) $(free_port) $(free_port)); H=($(free_port) $(free_port) $(free_port))
for f in lbd-t lbd-h lbd-p ha-t ha-h ha-p; do wait_file "$T/$f.sock" 30; done
config lbd "${L[@]}" > "$T/lbd.cfg"; config ha "${H[@]}" > "$T/ha.cfg"
beside_haproxy "${L[@]}" "${H[@]}"

tcp() { python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=4)
s.sendall(b"hello"); print(s.recv(100).decode())' "$1"; }
expect_eq "mode tcp through unix@PATH: as HAProxy" "$(tcp "${L[0]}")" "$(tcp "${H[0]}")"
expect_eq "mode tcp through unix@PATH answers" "$(tcp "${L[0]}")" "t hello"
a=$(curl -s -m 4 "http://127.0.0.1:${L[1]}/x" || true); b=$(curl -s -m 4 "http://127.0.0.1:${H[1]}/x" || true)
expect_eq "mode http through /PATH: as HAProxy ($a)" "$a" "$b"
expect_eq "mode http through /PATH answers" "$a" "h"
tcp "${L[2]}" >/dev/null; tcp "${H[2]}" >/dev/null || true
strip() { [ -e "$1" ] && sed -E 's/ [0-9]+ [0-9]+'"'"'$/ SPORT DPORT'"'"'/' "$1"; }
expect_eq "send-proxy to a UNIX server: the header as HAProxy's ($(strip "$T/lbd-p.log"))" \
    "$(strip "$T/lbd-p.log")" "$(strip "$T/ha-p.log")"
addr() { echo "show stat" | socat - "$1" | awk -F, '$2 == "t" || $2 == "h" { print $2 "=" $74 }' | tr '\n' ' '; }
expect_eq "show stat addr as HAProxy ($(addr "$T/lbd.sock"))" "$(addr "$T/lbd.sock")" "$(addr "$T/ha.sock")"

printf 'backend b\n  server s unix@/tmp/x.sock check\n' > "$T/bad.cfg"
out=$("$LBD" -c -f "$T/bad.cfg" 2>&1) && rc=0 || rc=$?
check "check on a UNIX-socket server: refused at its line ($out)" grep -q "bad.cfg:2: .*UNIX-socket server" <<<"$out"
printf 'backend b\n  server s unix@/tmp/x.sock check addr 127.0.0.1 port 9\n' > "$T/ok.cfg"
out=$("$LBD" -c -f "$T/ok.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "check addr+port on a UNIX-socket server: accepted ($out)" "$rc" 0
finish
