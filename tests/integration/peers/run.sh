#!/usr/bin/env bash
# peers sections (issue 11): lbd and HAProxy 2.6 are the two members of one
# peers section on loopback and share three stick tables with HAProxy's
# peers protocol. Checked: traffic lbd tracks appears in HAProxy's
# "show table" with its counters, and the other way round; an entry
# HAProxy stored with "stick on" sends the same user to the same server
# through lbd; a restarted HAProxy, then a restarted lbd, gets every entry
# back by a full resync; a "table" line of the section is shared as
# HAProxy names it; a malformed message from a peer closes that
# session only (lbd keeps serving and syncing); "show peers". No root;
# ports 23100-23199.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)

PL=23102 PH=23101 PG=23199      # peer ports: lbd, HAProxy, a peer never up
FL=23110 FH=23111               # the frontends
SA=23120 SB=23121               # two echo servers
bg python3 "$D/../http_rules/echo.py" "$SA"
bg python3 "$D/../http_rules/echo.py" "$SB"

config() { # LOCALPEER SOCK FRONTPORT
    cat <<CFG
global
    localpeer $1
    nbthread 2
    stats socket $T/$2 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
peers mesh
    peer hap 127.0.0.1:$PH
    peer lbd 127.0.0.1:$PL
$( [ "$1" = lbd ] && echo "    peer ghost 127.0.0.1:$PG" )
    table t1 type ip size 100 expire 30m store gpc0
backend rates
    stick-table type ip size 1k expire 30m store conn_cnt,http_req_cnt,http_req_rate(1m),gpc0 peers mesh
backend sticky
    balance roundrobin
    stick-table type string len 16 size 100 expire 30m store server_id peers mesh
    stick on req.hdr(x-user)
    server a 127.0.0.1:$SA
    server b 127.0.0.1:$SB
frontend web
    bind 127.0.0.1:$3
    http-request track-sc0 src table rates
    http-request sc-inc-gpc0(0) if { path /inc }
    http-request track-sc1 src table mesh/t1
    http-request sc-inc-gpc0(1) if { path /inc1 }
    http-request return status 200 content-type text/plain string ok if { path_beg /r }
    default_backend sticky
CFG
}
config lbd lbd.sock "$FL" > "$T/lbd.cfg"
config hap ha.sock "$FH" > "$T/ha.cfg"
start_ha() { bg haproxy -f "$T/ha.cfg" -db >>"$T/ha.log" 2>&1; HA_PID=$!; wait_listen "$PH"; }
start_lbd() {
    bg "$LBD" -f "$T/lbd.cfg" -R "$T/lbdrun" >>"$T/lbd.log" 2>&1; LBD_PID=$!
    wait_listen "$FL"
}
out=$(haproxy -c -f "$T/ha.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "HAProxy accepts its config ($out)" "$rc" 0
out=$("$LBD" -c -f "$T/lbd.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "lbd accepts its config ($out)" "$rc" 0
# the same file is refused by nobody when this host is not a member: the
# section is dropped with HAProxy's warning
out=$("$LBD" -c -L nobody -f "$T/lbd.cfg" 2>&1) && rc=0 || rc=$?
check "-L names another peer: section removed with a warning ($rc)" \
    grep -q "Removing incomplete section 'peers mesh' (no peer named 'nobody')" <<< "$out"
start_ha
start_lbd

cli() { echo "$2" | socat -t 2 - "UNIX-CONNECT:$T/$1" 2>/dev/null; }
# waitfor DESC SECS CMD...: until CMD succeeds (bounded), then ok/fail
waitfor() {
    local d=$1 n=$(($2 * 10)) i
    shift 2
    for i in $(seq "$n"); do "$@" && { ok "$d"; return 0; }; sleep 0.1; done
    fail "$d"
}
established() { cli lbd.sock "show peers" | lk_grepq "id=hap(remote,active).*last_status=ESTA"; }
waitfor "lbd and HAProxy establish a peers session" 10 established
# an entry, without its address and expiry: "key=... counters"
entry() { # SOCK TABLE KEY
    cli "$1" "show table $2 key $3" | grep "key=" | sed -E 's/^0x[0-9a-f]+: //; s/ use=[0-9]+ exp=[0-9]+//'
}
get() { # PORT PATH [IFACE] -> status
    curl -s -o /dev/null -w "%{http_code}" ${3:+--interface "$3"} "http://127.0.0.1:$1$2"
}

# 1. lbd's traffic appears in HAProxy's table, counters included
for p in /r1 /inc /r2; do get "$FL" "$p" > /dev/null; done
want="key=127.0.0.1 gpc0=1 conn_cnt=3 http_req_cnt=3 http_req_rate(60000)=3"
expect_eq "lbd's own entry" "$(entry lbd.sock rates 127.0.0.1)" "$want"
same_ha() { [ "$(entry ha.sock rates "$1")" = "$2" ]; }
waitfor "the entry lbd tracked is in HAProxy's show table with its counters" 5 same_ha 127.0.0.1 "$want"
entry ha.sock rates 127.0.0.1

# 2. and HAProxy's in lbd's
for p in /r1 /r2; do get "$FH" "$p" 127.0.0.7 > /dev/null; done
want="key=127.0.0.7 gpc0=0 conn_cnt=2 http_req_cnt=2 http_req_rate(60000)=2"
expect_eq "HAProxy's own entry" "$(entry ha.sock rates 127.0.0.7)" "$want"
same_lbd() { [ "$(entry lbd.sock rates "$1")" = "$2" ]; }
waitfor "the entry HAProxy tracked is in lbd's show table with its counters" 5 same_lbd 127.0.0.7 "$want"
# a learnt entry goes on counting locally
get "$FL" /r3 127.0.0.7 > /dev/null
expect_eq "lbd counts on from the learnt values" "$(entry lbd.sock rates 127.0.0.7)" \
    "key=127.0.0.7 gpc0=0 conn_cnt=3 http_req_cnt=3 http_req_rate(60000)=3"
waitfor "... and HAProxy sees the new counts" 5 same_ha 127.0.0.7 \
    "key=127.0.0.7 gpc0=0 conn_cnt=3 http_req_cnt=3 http_req_rate(60000)=3"

# a table of the peers section itself ("table" line, mesh/t1 elsewhere)
get "$FL" /inc1 127.0.0.5 > /dev/null
t1_ha() { [ "$(entry ha.sock mesh/t1 127.0.0.5)" = "key=127.0.0.5 gpc0=1" ]; }
waitfor "a peers section's own table (mesh/t1) is shared too" 5 t1_ha

# 3. persistence learnt through the peer: HAProxy sends zed to a, bob to b
srv() { # PORT USER -> the echo server's port that answered
    curl -s -D - -o /dev/null -H "X-User: $2" "http://127.0.0.1:$1/s" | tr -d '\r' |
        awk -F': ' 'tolower($1) == "x-port" {print $2}'
}
expect_eq "HAProxy: zed on server a" "$(srv "$FH" zed)" "$SA"
expect_eq "HAProxy: bob on server b" "$(srv "$FH" bob)" "$SB"
has_bob() { cli lbd.sock "show table sticky" | lk_grepq "key=bob .*server_id=2"; }
waitfor "lbd learnt bob -> server_id 2" 5 has_bob
# lbd's roundrobin would start on a: bob still reaches b, carol (unknown) a
expect_eq "lbd: bob sticks to b, learnt from HAProxy" "$(srv "$FL" bob)" "$SB"
# carol is new to both: lbd picks her server, HAProxy learns it
C=$(srv "$FL" carol)
CID=$([ "$C" = "$SA" ] && echo 1 || echo 2)
check "lbd: carol (not learnt) gets a server ($C)" test -n "$C"
has_carol() { cli "$1" "show table sticky" | lk_grepq "key=carol .*server_id=$CID"; }
waitfor "HAProxy learnt carol -> server_id $CID from lbd" 5 has_carol ha.sock
expect_eq "HAProxy: carol sticks to lbd's choice" "$(srv "$FH" carol)" "$C"

# 4. a malformed message closes that session only. HAProxy may still
# switch to its own connection in its first seconds (both ends connect at
# start): wait until the session has been up for 2 s, then count sessions
settled() {
    local n=$(grep -c "session with 'hap' established" "$T/lbd.log")
    sleep 2
    [ "$n" = "$(grep -c "session with 'hap' established" "$T/lbd.log")" ] && established
}
waitfor "the session with HAProxy is settled" 20 settled
out=$(python3 - "$PL" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
s.sendall(b"HAProxyS 2.1\nlbd\nghost 4242 1\n")
st = s.recv(4)
# a table definition whose name is longer than the message
s.sendall(bytes([10, 0x82, 3, 1, 5, 0x41]))
got = b""
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        got += d
except socket.timeout:
    got += b"<timeout>"
print(st.decode().strip(), got[-2:].hex() if got else "-", "closed" if not got.endswith(b"<timeout>") else "open")
PY
)
echo "$out"
expect_eq "malformed message: handshake 200, protocol error 0100, connection closed" \
    "$(cut -d' ' -f1,3 <<< "$out")" "200 closed"
check "lbd answered with a protocol error message ($out)" grep -q " 0100 " <<< "$out"
check "lbd is still running" kill -0 "$LBD_PID"
check "show peers counts the protocol error" \
    bash -c "echo 'show peers' | socat -t 2 - UNIX-CONNECT:$T/lbd.sock | grep -A1 'id=ghost' | grep -q proto_err=1"
# HAProxy itself sometimes replaces lbd's connection by its own in its first
# seconds; what matters is that lbd closed nothing but the bad session
check "lbd closed no HAProxy session itself" \
    bash -c "! grep \"session with 'hap' closed\" '$T/lbd.log' | grep -v 'closed by the peer'"
waitfor "the HAProxy session is up" 10 established
get "$FL" /r4 127.0.0.9 > /dev/null
waitfor "... and still carries updates" 5 same_ha 127.0.0.9 \
    "key=127.0.0.9 gpc0=0 conn_cnt=1 http_req_cnt=1 http_req_rate(60000)=1"

# 5. "show peers": the local peer's own line and the remote ones
sp=$(cli lbd.sock "show peers")
echo "$sp"
check "show peers: the local peer's line" grep -q "id=lbd(local,inactive) addr=127.0.0.1:$PL" <<< "$sp"
check "show peers: ghost never answered" grep -q "id=ghost(remote,inactive)" <<< "$sp"
check "show peers: the shared tables" grep -q "table: id=sticky" <<< "$sp"
expect_eq "show peers NAME: unknown section" "$(cli lbd.sock 'show peers nope' | head -1)" \
    "No such peers section"

# 6. HAProxy restarted: it asks lbd for a full resync and has every entry back
norate() { entry "$@" | sed -E 's/ http_req_rate\([0-9]+\)=[0-9]+//'; }
same_norate() { [ "$(norate "$1" rates "$2")" = "$3" ]; }
kill "$HA_PID"; wait "$HA_PID" 2>/dev/null || true
want=$(norate lbd.sock rates 127.0.0.1)
check "lbd's 127.0.0.1 entry ($want)" grep -q "gpc0=1 conn_cnt=" <<< "$want"
start_ha
waitfor "restarted HAProxy resynced 127.0.0.1 from lbd" 10 same_norate ha.sock 127.0.0.1 "$want"
waitfor "... and bob's server" 5 bash -c "echo 'show table sticky' | socat -t 2 - UNIX-CONNECT:$T/ha.sock | grep -q 'key=bob .*server_id=2'"

# 7. lbd restarted: it asks HAProxy and has every entry back
want=$(norate ha.sock rates 127.0.0.7)
kill "$LBD_PID"; wait "$LBD_PID" 2>/dev/null || true
start_lbd
waitfor "restarted lbd resynced 127.0.0.7 from HAProxy ($want)" 10 same_norate lbd.sock 127.0.0.7 "$want"
waitfor "... and carol's server" 5 has_carol lbd.sock
expect_eq "restarted lbd: bob still sticks to b" "$(srv "$FL" bob)" "$SB"
check "lbd logged no error" bash -c "! grep -E ' (err|crit|alert):' '$T/lbd.log'"
finish
