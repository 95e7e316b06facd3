#!/usr/bin/env bash
# Run-time DNS (issue 11 group 5): a "resolvers" section, "server ...
# resolvers NAME resolve-prefer ipv4 init-addr none" and a server-template
# fed by an A record set, run by lbd and HAProxy 2.6 side by side against
# the same tiny DNS server (dnsd.py, whose zone the test rewrites):
#   1. the name does not resolve: the server is MAINT (resolution), 503;
#   2. the record appears: UP, traffic reaches backend A; the template's
#      3 slots get the set's 2 addresses, the third stays MAINT;
#   3. the record moves to backend B: new connections go there, and
#      "show servers state" shows the new address;
#   4. "set server B/S fqdn NAME" switches to another name.
# show stat's status column and show servers state's address, state and
# fqdn columns must be the same for both. No root: loopback only.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3 # Debian's, which has python3-dnslib

udp_port() {
    "$PY" -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
PD=$(udp_port)
PW=$(free_port)
PL=$(free_port)
PL2=$(free_port)
PH=$(free_port)
PH2=$(free_port)
ZONE=$T/zone.json
zone() { echo "$1" > "$ZONE.tmp" && mv "$ZONE.tmp" "$ZONE"; }
zone '{}'
bg "$PY" "$D/dnsd.py" "$PD" "$ZONE"

# backends A (127.0.0.2) and B (127.0.0.3) on the same port: the DNS answer
# alone says which one a server is
web() { # IP NAME
    "$PY" - "$1" "$PW" "$2" <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        b = sys.argv[3].encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
HTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
PY
    LK_PIDS+=($!)
}
web 127.0.0.2 A
web 127.0.0.3 B
# a name server that answers every query with junk: a random body under
# the query's id, a cut header, a header that promises 50 answers
PJ=$(udp_port)
"$PY" - "$PJ" "$T/junk.log" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    q, peer = s.recvfrom(4096)
    with open(sys.argv[2], "a") as log:
        log.write("query\n")
    s.sendto(q[:2] + os.urandom(40), peer)
    s.sendto(q[:5], peer)
    s.sendto(q[:2] + b"\x81\x80\x00\x01\x00\x32\x00\x00\x00\x00" + q[12:] + b"\xc0\x0c", peer)
PY
LK_PIDS+=($!)

config() { # FRONTEND_PORT TEMPLATE_FRONTEND_PORT SOCKET SRV_FRONTEND_PORT
    cat <<CFG
global
    stats socket $3 level admin
    nbthread 2
resolvers dns
    nameserver ns1 127.0.0.1:$PD
    resolve_retries 2
    timeout resolve 300ms
    timeout retry 300ms
    hold valid 1s
    hold nx 1s
    hold obsolete 0s
    accepted_payload_size 1232
resolvers junk
    nameserver j 127.0.0.1:$PJ
    timeout resolve 300ms
    timeout retry 200ms
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
backend bj
    server j1 junk.test:$PW resolvers junk init-addr none
backend bc
    server c1 chk.test:$PW check inter 300 resolvers dns resolve-prefer ipv4 init-addr none
frontend fe
    bind 127.0.0.1:$1
    default_backend be
frontend fe2
    bind 127.0.0.1:$2
    default_backend tp
backend be
    server s1 web.test:$PW resolvers dns resolve-prefer ipv4 init-addr none
backend tp
    server-template t 3 many.test:$PW resolvers dns resolve-prefer ipv4 init-addr none
frontend fe3
    bind 127.0.0.1:$4
    default_backend ts
backend ts
    server-template r 3 _http._tcp.svc.test resolvers dns resolve-prefer ipv4 init-addr none
backend plain
    server p1 127.0.0.2:$PW
backend plain2
    server p2 127.0.0.3:$PW resolvers dns resolve-prefer ipv4
CFG
}
LS=$T/lbd.sock
HS=$T/ha.sock
PL3=$(free_port)
PH3=$(free_port)
# lbd's health checks run in checkd, which follows the address DNS gives
config "$PL" "$PL2" "$LS" "$PL3" | sed "2i\\    checkd socket $T/run/checkd.sock" > "$T/lbd.cfg"
config "$PH" "$PH2" "$HS" "$PH3" > "$T/ha.cfg"
bg "$CHECKD" -R "$T/run" 2> "$T/checkd.log"
wait_sock "$T/run/checkd.sock"
out=$(haproxy -c -f "$T/ha.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "HAProxy accepts the config ($out)" "$rc" 0
out=$("$LBD" -c -f "$T/lbd.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "lbd accepts the config ($out)" "$rc" 0
bg haproxy -f "$T/ha.cfg" -db > "$T/haproxy.log" 2>&1
bg "$LBD" -f "$T/lbd.cfg" -R "$T/run" > "$T/lbd.log" 2>&1
wait_listen "$PW" && wait_listen "$PL" && wait_listen "$PH" && wait_file "$LS" && wait_file "$HS"

cli() { echo "$2" | socat -t 2 - "UNIX-CONNECT:$1"; }
# "be/s1=STATUS ..." for every server row of show stat
statuses() {
    cli "$1" "show stat" | awk -F, '$2 != "FRONTEND" && $2 != "BACKEND" && $1 !~ /^#/ && NF > 2 \
        && $1 !~ /^(plain|plain2|bj|bc)$/ { printf "%s/%s=%s ", $1, $2, $18 }'
}
# name, address, op state, admin state, fqdn, port, weight, SRV record of
# every server
states() {
    cli "$1" "show servers state" | awk 'NF > 20 && $1 !~ /^#/ && $2 != "plain" && $2 != "bj" && $2 != "bc" \
        { printf "%s/%s=%s,%s,%s,%s,%s,%s,%s ", $2, $4, $5, $6, $7, $18, $19, $8, $20 }'
}
get() { curl -s -m 3 -o - -w ' %{http_code}' "http://127.0.0.1:$1/"; }
# wait_for DESC CMD WANT: poll CMD (bounded, 10 s) until it prints WANT
wait_for() {
    local i got=""
    for i in $(seq 1 50); do
        got=$($2 2>/dev/null || true)
        [ "$got" = "$3" ] && { ok "$1"; return 0; }
        sleep 0.2
    done
    fail "$1: got '$got', want '$3'"
}

# 1. nothing resolves yet
want='be/s1=MAINT (resolution) tp/t1=MAINT (resolution) tp/t2=MAINT (resolution) tp/t3=MAINT (resolution) ts/r1=MAINT (resolution) ts/r2=MAINT (resolution) ts/r3=MAINT (resolution) '
expect_eq "lbd: unresolved servers in MAINT (resolution)" "$(statuses "$LS")" "$want"
expect_eq "HAProxy: same statuses" "$(statuses "$HS")" "$want"
expect_eq "same servers state before resolution (lbd $(states "$LS"))" "$(states "$LS")" \
    "$(states "$HS")"
for sock in "$LS" "$HS"; do
    cli "$sock" "set server be/s1 state ready" > /dev/null
    expect_eq "state ready: a server without address stays in MAINT (resolution) ($sock)" \
        "$(statuses "$sock" | grep -o 'be/s1=[^)]*)')" "be/s1=MAINT (resolution)"
done
expect_eq "lbd: no server, 503" "$(get "$PL" | tail -c 3)" 503
expect_eq "HAProxy: no server, 503" "$(get "$PH" | tail -c 3)" 503

# 2. the records appear
zone '{"web.test.": {"A": ["127.0.0.2"]}, "many.test.": {"A": ["127.0.0.2", "127.0.0.3"]}}'
wait_for "lbd: s1 comes up and reaches A" "get $PL" "A 200"
wait_for "HAProxy: s1 comes up and reaches A" "get $PH" "A 200"
want='be/s1=no check tp/t1=no check tp/t2=no check tp/t3=MAINT (resolution) ts/r1=MAINT (resolution) ts/r2=MAINT (resolution) ts/r3=MAINT (resolution) '
wait_for "lbd: template, 2 slots active, 1 in MAINT" "statuses $LS" "$want"
wait_for "HAProxy: template, 2 slots active, 1 in MAINT" "statuses $HS" "$want"
expect_eq "same servers state once resolved (lbd $(states "$LS"))" "$(states "$LS")" \
    "$(states "$HS")"
# the two active slots are the two records, one each
expect_eq "lbd: the slots share the set" \
    "$(states "$LS" | tr ' ' '\n' | grep -o 'tp/t[12]=127.0.0.[23]' | sort | cut -d= -f2 | tr '\n' ' ')" \
    "127.0.0.2 127.0.0.3 "
n=0
for i in 1 2 3 4; do get "$PL2" | lk_grepq ' 200$' && n=$((n + 1)); done
expect_eq "lbd: the template backend serves" "$n" 4

# 3. the record moves to B; then one of the set's records goes away
zone '{"web.test.": {"A": ["127.0.0.3"]}, "many.test.": {"A": ["127.0.0.3"]}}'
wait_for "lbd: traffic moves to B" "get $PL" "B 200"
wait_for "HAProxy: traffic moves to B" "get $PH" "B 200"
want='be/s1=no check tp/t1=MAINT (resolution) tp/t2=no check tp/t3=MAINT (resolution) ts/r1=MAINT (resolution) ts/r2=MAINT (resolution) ts/r3=MAINT (resolution) '
wait_for "lbd: the slot whose record went is in MAINT" "statuses $LS" "$want"
wait_for "HAProxy: the slot whose record went is in MAINT" "statuses $HS" "$want"
expect_eq "lbd: show servers state has the new address" \
    "$(states "$LS" | grep -o 'be/s1=[^,]*')" "be/s1=127.0.0.3"
expect_eq "same servers state after the change (lbd $(states "$LS"))" "$(states "$LS")" \
    "$(states "$HS")"

# 4. set server fqdn (and what "add server" refuses)
for cmd in "set server be/s1 fqdn other.test" "set server plain/p1 fqdn other.test" \
    "set server be/s1 fqdn" "set server fe/s1 fqdn other.test" \
    "set server plain2/p2 fqdn other.test" \
    "add server plain/d1 x.test:80 resolvers dns" "add server plain/d2 127.0.0.2:80 init-addr none"; do
    a=$(cli "$LS" "$cmd")
    b=$(cli "$HS" "$cmd")
    expect_eq "same answer to '$cmd' ($a)" "$a" "$b"
done
zone '{"web.test.": {"A": ["127.0.0.3"]}, "other.test.": {"A": ["127.0.0.2"]}, "many.test.": {"A": ["127.0.0.3"]}}'
wait_for "lbd: the new name takes s1 back to A" "get $PL" "A 200"
wait_for "HAProxy: the new name takes s1 back to A" "get $PH" "A 200"
wait_for "lbd: a literal server given a name takes its address" \
    "eval states $LS | grep -o 'plain2/p2=[^,]*'" "plain2/p2=127.0.0.2"
expect_eq "lbd: servers state shows the new fqdn" "$(states "$LS" | grep -o 'be/s1=[^ ]*')" \
    "be/s1=127.0.0.2,2,0,other.test,$PW,1,-"
expect_eq "same servers state after set server fqdn (lbd $(states "$LS"))" "$(states "$LS")" \
    "$(states "$HS")"

# the name goes away (NXDOMAIN): past "hold nx" the server is in MAINT again
zone '{"web.test.": {"A": ["127.0.0.3"]}, "many.test.": {"A": ["127.0.0.3"]}}'
s1_status() { statuses "$1" | grep -o 'be/s1=[^=]*) \|be/s1=no check'; }
wait_for "lbd: NXDOMAIN past hold nx: MAINT (resolution)" "s1_status $LS" "be/s1=MAINT (resolution) "
wait_for "HAProxy: NXDOMAIN past hold nx: MAINT (resolution)" "s1_status $HS" \
    "be/s1=MAINT (resolution) "
# (HAProxy 2.6 shows admin state 96 here for a server whose name was set
# with "set server fqdn", 32 otherwise: its HMAINT flag after that command
# is not reproduced, so the admin column is left out of this comparison)
no_admin() { states "$1" | tr ' ' '\n' | awk -F, 'NF { $3 = ""; print }' | tr '\n' ' '; }
expect_eq "same servers state after NXDOMAIN but admin (lbd $(no_admin "$LS"))" \
    "$(no_admin "$LS")" "$(no_admin "$HS")"
expect_eq "lbd: NXDOMAIN: no address, admin state 32" "$(states "$LS" | grep -o 'be/s1=[^ ]*')" \
    "be/s1=-,0,32,other.test,$PW,1,-"

# 5. an SRV record set: each record gives a slot its target, port and
# weight (SRV weight / 256 + 1); the slot then resolves its target
srvzone() { # SRV-RECORDS
    zone '{"_http._tcp.svc.test.": {"SRV": ['"$1"']}, "a.test.": {"A": ["127.0.0.2"]},
           "b.test.": {"A": ["127.0.0.3"]}, "web.test.": {"A": ["127.0.0.3"]},
           "other.test.": {"A": ["127.0.0.2"]}, "many.test.": {"A": ["127.0.0.3"]}}'
}
srvzone "[0, 1000, $PW, \"a.test.\"], [0, 10, $PW, \"b.test.\"]"
srv_states() { states "$1" | tr ' ' '\n' | grep '^ts/' | tr '\n' ' '; }
want="ts/r1=127.0.0.2,2,64,a.test,$PW,4,_http._tcp.svc.test ts/r2=127.0.0.3,2,64,b.test,$PW,1,_http._tcp.svc.test ts/r3=-,0,32,-,0,1,_http._tcp.svc.test "
wait_for "lbd: SRV records fill 2 of 3 slots" "srv_states $LS" "$want"
wait_for "HAProxy: SRV records fill 2 of 3 slots" "srv_states $HS" "$want"
expect_eq "lbd: the SRV backend serves A" "$(get "$PL3" | grep -c 200)" 1
srvzone "[0, 1000, $PW, \"a.test.\"]"
want="ts/r1=127.0.0.2,2,64,a.test,$PW,4,_http._tcp.svc.test ts/r2=-,0,96,-,0,1,_http._tcp.svc.test ts/r3=-,0,32,-,0,1,_http._tcp.svc.test "
wait_for "lbd: the slot whose SRV record went is in MAINT" "srv_states $LS" "$want"
wait_for "HAProxy: the slot whose SRV record went is in MAINT" "srv_states $HS" "$want"
PX=$(free_port)
srvzone "[0, 1000, $PX, \"a.test.\"]"
# a record whose port changed is a new record: its slot goes to MAINT and
# the record goes to a slot no record ever named (HAProxy 2.6's choice)
want="ts/r1=-,0,96,-,0,4,_http._tcp.svc.test ts/r2=-,0,96,-,0,1,_http._tcp.svc.test ts/r3=127.0.0.2,2,64,a.test,$PX,4,_http._tcp.svc.test "
wait_for "lbd: the SRV record's new port moves the slot" "srv_states $LS" "$want"
wait_for "HAProxy: the SRV record's new port moves the slot" "srv_states $HS" "$want"

# refusals name FILE:LINE
bad() { # DESC WANT-SUBSTRING CONFIG-LINES
    printf 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nfrontend f\n    bind 127.0.0.1:%s\n    default_backend b\nbackend b\n%s\n' \
        "$PL" "$3" > "$T/bad.cfg"
    out=$("$LBD" -c -f "$T/bad.cfg" 2>&1) && rc=0 || rc=$?
    if [ "$rc" -ne 0 ] && [[ "$out" == *"$2"* ]]; then ok "$1"; else fail "$1: rc $rc, '$out'"; fi
}
bad "unknown resolvers section" "bad.cfg:10: server 'b/s': no resolvers section named 'nope'" \
    "    server s x.test:80 resolvers nope init-addr none"
bad "an SRV record needs resolvers" "the SRV record '_http._tcp.x.test' needs 'resolvers'" \
    "    server s _http._tcp.x.test init-addr none"
bad "bad init-addr" "init-addr: 'bogus' is neither" "    server s x.test:80 init-addr bogus"
bad "bad resolve-opts" "resolve-opts: unknown option 'x'" \
    "    server s x.test:80 init-addr none resolve-opts x"

# a checked server: checks start once DNS gives it an address
chk() { cli "$1" "show stat" | awk -F, '$1 == "bc" && $2 == "c1" { print $18 }'; }
expect_eq "lbd: checked server without address: MAINT (resolution)" "$(chk "$LS")" \
    "MAINT (resolution)"
expect_eq "HAProxy: checked server without address: MAINT (resolution)" "$(chk "$HS")" \
    "MAINT (resolution)"
zone '{"chk.test.": {"A": ["127.0.0.2"]}}'
wait_for "lbd: resolved, checked by checkd: UP" "chk $LS" "UP"
wait_for "HAProxy: resolved, checked: UP" "chk $HS" "UP"
expect_eq "lbd: checkd probes the resolved address" \
    "$(cli "$LS" "show stat" | awk -F, '$1 == "bc" && $2 == "c1" { print $37 }')" "L4OK"
check "lbd never registered an address-less check" \
    bash -c "! grep -q 'refused a registration' '$T/lbd.log'"

# the junk answers changed nothing, in either
for sock in "$LS" "$HS"; do
    expect_eq "junk DNS answers: the server stays in MAINT ($sock)" \
        "$(cli "$sock" "show stat" | awk -F, '$1 == "bj" && $2 == "j1" { print $18 }')" \
        "MAINT (resolution)"
done
check "the junk name server was asked ($(wc -l < "$T/junk.log") queries)" test -s "$T/junk.log"
check "lbd is still running after the junk answers" kill -0 "${LK_PIDS[-1]}"

# lbd stops cleanly (SIGTERM): the sanitizers find nothing on its way out
kill "${LK_PIDS[-1]}"
for i in $(seq 1 50); do kill -0 "${LK_PIDS[-1]}" 2>/dev/null || break; sleep 0.1; done
check "lbd exits without sanitizer reports" \
    bash -c "! grep -q 'Sanitizer\|runtime error' '$T/lbd.log'"

if [ "$LK_FAILS" -ne 0 ]; then
    tail -n 20 "$T/lbd.log" "$T/haproxy.log"
fi
finish
