#!/usr/bin/env bash
# option logasap (issue 11 group 4), lbd and HAProxy 2.6 side by side: the
# httplog line goes out with the response head and the tcplog line once
# connected, with the total time and byte count marked '+' (compared with
# the numbers blanked, the markers kept). No root.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)

PB=$(free_port)
bg python3 "$D/../http_rules/echo.py" "$PB"
config() { # HTTP_PORT TCP_PORT
    cat <<CFG
global
    log stdout format raw local0
defaults
    log global
    option logasap
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend web
    mode http
    option httplog
    bind 127.0.0.1:$1
    default_backend be
listen raw
    mode tcp
    option tcplog
    bind 127.0.0.1:$2
    server s1 127.0.0.1:$PB
backend be
    mode http
    server s1 127.0.0.1:$PB
CFG
}
LH=$(free_port); LT=$(free_port); HH=$(free_port); HT=$(free_port)
config "$LH" "$LT" > "$T/lbd.cfg"; config "$HH" "$HT" > "$T/ha.cfg"
beside_haproxy "$PB" "$LH" "$LT" "$HH" "$HT"
for p in "$LH" "$HH"; do curl -s -o /dev/null "http://127.0.0.1:$p/x"; done
for p in "$LT" "$HT"; do curl -s -o /dev/null "http://127.0.0.1:$p/y"; done
sleep 0.5
norm() { # the line without client, date, and with every number blanked
    grep -E '^[0-9.]+:[0-9]+ \[' "$1" | sed -E 's/^[0-9.]+:[0-9]+ \[[^]]+\] //; s/[0-9]+/N/g'
}
a=$(norm "$T/lbd.log"); b=$(norm "$T/ha.log")
echo "$a"
expect_eq "log lines as HAProxy's (+ markers included)" "$a" "$b"
check "httplog: +Ta and +bytes" grep -q 'N/N/N/N/+N N +N ' <<< "$a"
check "tcplog: +Tt and +bytes" grep -q 'N/N/+N +N ' <<< "$a"
finish
