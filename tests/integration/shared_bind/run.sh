#!/usr/bin/env bash
# Two proxies binding one address (issue 11: a real file has two frontends
# on one port). HAProxy 2.6 accepts it: each has its own SO_REUSEPORT
# socket and the kernel spreads new connections between them. lbd does
# the same, in a plain start and under its master (-W, where the master
# binds and hands the sockets over): side by side with HAProxy, every
# connection is answered, both frontends get a share, and each one's
# "show stat" session count matches what its backend answered. No root.
source "$(dirname "$0")/../lib.sh"

cat > "$T/named.py" <<'PY'
import pysrv, sys
def serve(c, peer, name):
    try:
        c.sendall(name.encode() + b"\n")
    except OSError:
        pass
    c.close()
for i in range(1, len(sys.argv), 2):
    pysrv.serve(pysrv.tcp(sys.argv[i]), serve, sys.argv[i + 1])
pysrv.forever()
PY
PA=$(free_port); PB=$(free_port)
bg python3 "$T/named.py" "$PA" A "$PB" B
config() { # TAG PORT
    cat <<CFG
global
    stats socket $T/$1.sock level admin
    nbthread 2
defaults
    mode tcp
    timeout connect 1s
    timeout client 2s
    timeout server 2s
frontend fa
    bind 127.0.0.1:$2
    default_backend ba
listen lb
    bind 127.0.0.1:$2
    server s 127.0.0.1:$PB
backend ba
    server s 127.0.0.1:$PA
CFG
}
PL=$(free_port); PH=$(free_port); PW=$(free_port)
config lbd "$PL" > "$T/lbd.cfg"; config ha "$PH" > "$T/ha.cfg"; config w "$PW" > "$T/w.cfg"
beside_haproxy "$PA" "$PB" "$PL" "$PH"
bg "$LBD" -W -S "$T/master.sock" -f "$T/w.cfg" -R "$T/wrun" 2>"$T/w.log"
wait_listen "$PW"

cat > "$T/cli.py" <<'PY'
import socket, sys
n, got = int(sys.argv[2]), {}
for i in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
        r = s.recv(10).decode().strip() or "closed"
        s.close()
    except OSError:
        r = "error"
    got[r] = got.get(r, 0) + 1
print(" ".join("%s=%d" % kv for kv in sorted(got.items())))
PY
share_ok() { # "A=n B=m" N: both answered, each at least a tenth
    python3 -c 'import sys
d = dict(kv.split("=") for kv in sys.argv[1].split())
n = int(sys.argv[2])
sys.exit(0 if set(d) == {"A", "B"} and sum(map(int, d.values())) == n and min(map(int, d.values())) >= n // 10 else 1)' "$1" "$2"; }
stot() { # SOCK PROXY: its frontend's cumulative sessions
    echo "show stat" | socat - "$1" | awk -F, -v p="$2" '$1 == p && $2 == "FRONTEND" { print $8 }'; }
for who in "lbd $PL $T/lbd.sock" "HAProxy $PH $T/ha.sock" "lbd -W $PW $T/w.sock"; do
    set -- $who; [ "$2" = "-W" ] && { name="lbd -W"; shift; } || name=$1
    r=$(python3 "$T/cli.py" "$2" 200)
    check "$name: 200 connections, both proxies on the address answer ($r)" share_ok "$r" 200
    a=${r#A=}; a=${a%% *}; b=${r#*B=}
    expect_eq "$name: show stat fa counts what ba answered" "$(stot "$3" fa)" "$a"
    expect_eq "$name: show stat lb counts what it answered" "$(stot "$3" lb)" "$b"
done
finish
