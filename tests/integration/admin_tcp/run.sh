#!/usr/bin/env bash
# "stats socket" on TCP (ipv4@ADDR:PORT, ADDR:PORT), as real files use it
# (issue 11 group 6): lbd serves its admin commands there as on a Unix
# socket, HAProxy 2.6 beside it on the same kind of address: the same
# show stat header and rows, the same levels. No root.
source "$(dirname "$0")/../lib.sh"

PB=$(free_port); PL=$(free_port); PH=$(free_port); AL=$(free_port); AH=$(free_port); AL2=$(free_port)
config() { # PORT ADMIN_PORT [SECOND]
    cat <<CFG
global
    stats socket ipv4@127.0.0.1:$2 level admin
${3:+    stats socket 127.0.0.1:$3 level user}
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:$1
    default_backend be
backend be
    server s1 127.0.0.1:$PB
CFG
}
config "$PL" "$AL" "$AL2" > "$T/lbd.cfg"; config "$PH" "$AH" > "$T/ha.cfg"
out=$("$LBD" -c -f "$T/lbd.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "lbd accepts stats socket on TCP ($out)" "$rc" 0
bg haproxy -f "$T/ha.cfg" -db > "$T/ha.log" 2>&1
bg "$LBD" -f "$T/lbd.cfg" > "$T/lbd.log" 2>&1
wait_listen "$AL" || cat "$T/lbd.log"; wait_listen "$AH"; wait_listen "$AL2"
cmd() { echo "$2" | socat -t 2 - "TCP:127.0.0.1:$1"; }
a=$(cmd "$AL" "show stat" | cut -d, -f1,2); b=$(cmd "$AH" "show stat" | cut -d, -f1,2)
expect_eq "show stat over TCP: the same rows as HAProxy" "$a" "$b"
check "show stat has the server row" grep -qx "be,s1" <<< "$a"
check "admin level over TCP: disable server answers as HAProxy" \
    test "$(cmd "$AL" "disable server be/s1")" = "$(cmd "$AH" "disable server be/s1")"
check "user level over TCP refuses admin commands" \
    bash -c "echo 'disable server be/s1' | socat -t 2 - TCP:127.0.0.1:$AL2 | grep -q 'Permission denied'"
finish
