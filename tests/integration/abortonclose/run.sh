#!/usr/bin/env bash
# option abortonclose (issue 11), side by side with HAProxy 2.6 in mode
# http: a server with maxconn 1 held by a slow request, and a second client
# that sends its request and then half-closes (FIN) or closes while queued
# (CQ), and one that closes while its request waits for the response (CH).
# With the option in defaults (frontend and backend) both abort: the server
# never sees the queued request and the log says CQ / CH; with it in the
# backend alone HAProxy 2.6's HTTP/1 side does not watch the client, so both
# serve the request, as without the option. Compared: what each server
# received, what each client got, and the log lines (status, termination
# flags, backend/server). No root.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)
command -v haproxy >/dev/null || { echo "SKIP: haproxy missing"; exit 77; }

conf() { # SYSLOG F_DEF F_BE SERVER_DEF SERVER_BE
    cat <<CFG
defaults ab
    mode http
    log 127.0.0.1:$1 local0
    option httplog
    option abortonclose
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout queue 5s
defaults plain
    mode http
    log 127.0.0.1:$1 local0
    option httplog
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout queue 5s
frontend fdef from ab
    bind 127.0.0.1:$2
    default_backend bdef
backend bdef from ab
    server s 127.0.0.1:$4 maxconn 1
frontend fbe from plain
    bind 127.0.0.1:$3
    default_backend bbe
backend bbe from plain
    option abortonclose
    server s 127.0.0.1:$5 maxconn 1
CFG
}
for n in L H; do
    for k in SL FD FB SD SB; do eval "${n}_$k=$(free_port)"; done
    bg python3 "$D/../syslogd.py" "$(eval echo \$${n}_SL)" "$T/$n.syslog"
    bg python3 "$D/server.py" "$(eval echo \$${n}_SD)" "$T/$n.def.srv"
    bg python3 "$D/server.py" "$(eval echo \$${n}_SB)" "$T/$n.be.srv"
    wait_file "$T/$n.syslog.ready"
done
conf "$L_SL" "$L_FD" "$L_FB" "$L_SD" "$L_SB" > "$T/lbd.cfg"
conf "$H_SL" "$H_FD" "$H_FB" "$H_SD" "$H_SB" > "$T/ha.cfg"
for n in L H; do wait_listen "$(eval echo \$${n}_SD)"; wait_listen "$(eval echo \$${n}_SB)"; done
beside_haproxy "$L_FD" "$L_FB" "$H_FD" "$H_FB"

# case FE PATH MODE: a slow request takes the slot, then PATH is sent and
# the client does MODE; prints what that client got
run_case() {
    local n c
    for n in L H; do
        p=$(eval echo \$${n}_$1)
        python3 "$D/client.py" "$p" "/slow-$2" none > "$T/$n.slow" &
        c=$!
        sleep 0.4 # the slow request holds the slot first, even under load
        python3 "$D/client.py" "$p" "$2" "$3" > "$T/$n.got"
        wait "$c"
    done
    echo "$1 $2 $3: lbd: $(cat "$T/L.got"), HAProxy: $(cat "$T/H.got")"
    expect_eq "$1 $2 $3: the client gets what HAProxy's gets" "$(cat "$T/L.got")" "$(cat "$T/H.got")"
}
run_case FD /q-shut shut
run_case FD /q-close close
run_case FB /q-shut shut
run_case FB /q-close close
# the response wait: /hold takes 2.5 s, the client closes after 0.3 s
for n in L H; do
    python3 "$D/client.py" "$(eval echo \$${n}_FD)" /hold-close close > /dev/null
done
sleep 3
for k in def be; do
    echo "--- what the $k server received (lbd):"; sed 's/^/  /' "$T/L.$k.srv"
    expect_eq "the $k server received what HAProxy's did" "$(cat "$T/L.$k.srv")" "$(cat "$T/H.$k.srv")"
done
check "with the option in defaults the queued requests never reached the server" \
    bash -c "! grep -q 'GET /q-' '$T/H.def.srv' && ! grep -q 'GET /q-' '$T/L.def.srv'"
# the log: frontend, backend/server, status, termination flags, request
# the timers with each number written N but -1 (a phase never reached)
norm() {
    python3 -c '
import re, sys
for l in open(sys.argv[1], errors="replace"):
    m = re.search(r"\] (\S+) (\S+) (\S+) (-?\d+) \d+ \S+ \S+ (\S{4}) .*\"(.*)\"", l)
    if m:
        g = list(m.groups())
        g[2] = re.sub(r"(?<![-\d])\d+", "N", g[2])
        print(" ".join(g))' "$1" | sort
}
norm "$T/L.syslog" > "$T/L.log"
norm "$T/H.syslog" > "$T/H.log"
echo "--- HAProxy's log:"; sed 's/^/  /' "$T/H.log"
echo "--- lbd's log:"; sed 's/^/  /' "$T/L.log"
check "HAProxy logged CQ and CH (the test is live)" bash -c "grep -q ' CQ-- ' '$T/H.log' && grep -q ' CH-- ' '$T/H.log'"
check "lbd logged the same lines (status, flags, backend/server)" diff "$T/H.log" "$T/L.log"
finish
