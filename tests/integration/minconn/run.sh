#!/usr/bin/env bash
# minconn / fullconn, side by side with HAProxy 2.6 on the same config (mode
# tcp, one server that holds every connection): a server's limit is
# max(minconn, backend connections x maxconn / fullconn) below fullconn,
# maxconn from there. Three connections at once to a backend with fullconn
# 8 (server minconn 1 maxconn 4): the server gets 1, the others queue; to a
# backend with fullconn 2: it gets all 3. Counted at the server, on lbd then
# on HAProxy. And the backends' slim in "show stat" is their fullconn.
source "$(dirname "$0")/../lib.sh"
TOOL="python3 $(dirname "$0")/../tcptool.py"
HOLD="python3 $(dirname "$0")/../hold.py"

B1=$(free_port); B2=$(free_port)
bg $TOOL server "$B1"; bg $TOOL server "$B2"
wait_listen "$B1"; wait_listen "$B2"
L1=$(free_port); L2=$(free_port); H1=$(free_port); H2=$(free_port)
mcfg() { # mcfg PORT1 PORT2 SOCK
  cat <<CFG
global
    stats socket $3 level admin
defaults
    mode tcp
    timeout queue 20s
    timeout connect 1s
    timeout client 20s
    timeout server 20s
frontend f8
    bind 127.0.0.1:$1
    default_backend low
frontend f2
    bind 127.0.0.1:$2
    default_backend full
backend low
    fullconn 8
    server s1 127.0.0.1:$B1 minconn 1 maxconn 4
backend full
    fullconn 2
    server s1 127.0.0.1:$B2 minconn 1 maxconn 4
CFG
}
mcfg "$L1" "$L2" "$T/lbd.sock" > "$T/lbd.cfg"
mcfg "$H1" "$H2" "$T/ha.sock" > "$T/ha.cfg"
beside_haproxy "$L1" "$L2" "$H1" "$H2"

at_server() { ss -Htn state established "( sport = :$1 )" | wc -l; }
served() { # served FRONT_PORT SERVER_PORT: 3 held connections, how many reach the server
  local n
  $HOLD "$1" 3 3 &
  sleep 1.5
  n=$(at_server "$2")
  wait
  sleep 0.5
  echo "$n"
}
slim() {
  echo "show stat" | socat -t 2 - "UNIX-CONNECT:$1" | awk -F, -v px="$2" '
    NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
    $1 == px && $2 == "BACKEND" { print $h["slim"] }'
}
l=$(served "$L1" "$B1"); h=$(served "$H1" "$B1")
expect_eq "fullconn 8, 3 connections: HAProxy's server gets 1" "$h" 1
expect_eq "fullconn 8, 3 connections: lbd's server gets HAProxy's count" "$l" "$h"
l=$(served "$L2" "$B2"); h=$(served "$H2" "$B2")
expect_eq "fullconn 2, 3 connections: HAProxy's server gets 3" "$h" 3
expect_eq "fullconn 2, 3 connections: lbd's server gets HAProxy's count" "$l" "$h"
for be in low full; do
  expect_eq "$be: the backend's slim is HAProxy's ($(slim "$T/ha.sock" $be))" \
    "$(slim "$T/lbd.sock" $be)" "$(slim "$T/ha.sock" $be)"
done
printf 'listen l\n    bind 127.0.0.1:1\n    server s 127.0.0.1:2 minconn 2 maxconn 9\n' > "$T/nofull.cfg"
"$LBD" -c -f "$T/nofull.cfg" > "$T/nofull.l" 2>&1 && rc=0 || rc=$?
expect_eq "minconn without fullconn: refused at the server's line (HAProxy derives it)" \
  "$rc $(grep -c "nofull.cfg:3: server 's': 'minconn' without 'fullconn'" "$T/nofull.l")" "1 1"
finish
