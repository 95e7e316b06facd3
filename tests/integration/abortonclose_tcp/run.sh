#!/usr/bin/env bash
# option abortonclose in mode tcp (issue 11: a real file sets it in a tcp
# defaults section). HAProxy 2.6 applies it there too: a connection queued
# for a server at maxconn whose client closes (FIN) is dropped from the
# queue ("CQ") instead of reaching the server once a slot frees; without
# the option it is served later. lbd and HAProxy side by side: what the
# servers get, what the queued client gets, the termination states logged.
# No root.
source "$(dirname "$0")/../lib.sh"

cat > "$T/srv.py" <<'PY'
import pysrv, sys, time
out = open(sys.argv[2], "a")
def serve(c, peer):
    c.settimeout(3)
    d = b""
    try:
        while b"hold" not in d:
            x = c.recv(100)
            if not x:
                break
            d += x
        if b"hold" in d:
            time.sleep(0.6)      # the slot stays taken meanwhile
        c.sendall(b"bye\n")
    except OSError:
        pass
    out.write(repr(d) + "\n"); out.flush()
    c.close()
pysrv.serve(pysrv.tcp(sys.argv[1]), serve)
pysrv.forever()
PY
cat > "$T/cli.py" <<'PY'
import select, socket, sys, time
p = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", p)); a.sendall(b"hold")
time.sleep(0.2)
b = socket.create_connection(("127.0.0.1", p), timeout=3); b.sendall(b"queued"); b.shutdown(socket.SHUT_WR)
time.sleep(0.2)  # the first connection still holds the slot: is b closed already?
early = select.select([b], [], [], 0)[0]
ra = a.recv(100); a.close()
try:
    rb = b.recv(100)
except OSError as e:
    rb = type(e).__name__
print("a=%r b=%r%s" % (ra, rb, " early" if early else ""))
PY
config() { # PORT_ABORT PORT_PLAIN SERVER_ABORT SERVER_PLAIN
    cat <<CFG
global
    log stderr format raw local0
defaults
    mode tcp
    log global
    option tcplog
    timeout connect 1s
    timeout client 3s
    timeout server 3s
    timeout queue 3s
frontend fa
    bind 127.0.0.1:$1
    default_backend ba
frontend fn
    bind 127.0.0.1:$2
    default_backend bn
backend ba
    option abortonclose
    server s 127.0.0.1:$3 maxconn 1
backend bn
    server s 127.0.0.1:$4 maxconn 1
CFG
}
P=($(for i in 1 2 3 4 5 6 7 8; do free_port; done))
for i in 4 5 6 7; do bg python3 "$T/srv.py" "${P[$i]}" "$T/srv.${P[$i]}"; done
config "${P[0]}" "${P[1]}" "${P[4]}" "${P[5]}" > "$T/lbd.cfg"
config "${P[2]}" "${P[3]}" "${P[6]}" "${P[7]}" > "$T/ha.cfg"
beside_haproxy "${P[@]}"

got() { cat "$T/srv.$1" 2>/dev/null | tr '\n' ' '; }
for w in "abortonclose 0 2 4 6" "without 1 3 5 7"; do
    set -- $w
    a=$(python3 "$T/cli.py" "${P[$2]}"); b=$(python3 "$T/cli.py" "${P[$3]}")
    sleep 0.3
    expect_eq "$1: the clients get from lbd what HAProxy gives ($a)" "$a" "$b"
    expect_eq "$1: lbd's server gets what HAProxy's gets ($(got "${P[$4]}"))" "$(got "${P[$4]}")" "$(got "${P[$5]}")"
done
expect_eq "abortonclose: the queued client is closed at once, nothing served" \
    "$(python3 "$T/cli.py" "${P[0]}")" "a=b'bye\\n' b=b'' early"
expect_eq "abortonclose: its server only got the first connection" "$(got "${P[4]}")" "b'hold' b'hold' "
expect_eq "without: the queued connection is served once the slot frees" \
    "$(python3 "$T/cli.py" "${P[1]}")" "a=b'bye\\n' b=b'bye\\n'"
sleep 0.3
# termination states per frontend, sorted (the tcplog line's 7th field)
states() { awk -v fe="$2" '$3 == fe { print $7 }' "$1" | sort | tr '\n' ' '; }
# HAProxy ran one round per frontend, lbd two: lbd's states are each twice
twice() { states "$1" "$2" | tr ' ' '\n' | sed '/^$/d;p' | sort | tr '\n' ' '; }
for fe in fa fn; do
    expect_eq "termination states of $fe as HAProxy ($(states "$T/lbd.log" $fe))" \
        "$(states "$T/lbd.log" $fe)" "$(twice "$T/ha.log" $fe)"
done
expect_eq "fa: the queued connections are logged CQ" "$(states "$T/lbd.log" fa)" "-- -- CQ CQ "
finish
