#!/usr/bin/env bash
# bind options real files use (issue 11): v4v6 / v6only on an IPv6
# wildcard, backlog, defer-accept; TLS (and an unknown option) refused at their
# line. The socket options are checked on the listening sockets and by
# connecting. No root.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)

if ! python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
    echo "SKIP: no IPv6 loopback"; exit 77
fi
PB=$(free_port); P1=$(free_port); P2=$(free_port); P3=$(free_port); P4=$(free_port); P5=$(free_port)
bg python3 "$D/../http_rules/echo.py" "$PB"
cat > "$T/lbd.cfg" <<CFG
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend both
    bind [::]:$P1 v4v6 backlog 64 defer-accept name dual
    default_backend be
frontend six
    bind [::]:$P2 v6only
    default_backend be
frontend limited
    bind 127.0.0.1:$P3
    maxconn 300
    default_backend be
backend be
    server s1 127.0.0.1:$PB
CFG
out=$("$LBD" -c -f "$T/lbd.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "lbd accepts the bind options ($out)" "$rc" 0
out=$(haproxy -c -f "$T/lbd.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "HAProxy accepts the same file ($out)" "$rc" 0
bg "$LBD" -f "$T/lbd.cfg" > "$T/lbd.log" 2>&1
wait_listen "$PB"; wait_listen "$P1"; wait_listen "$P2"
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1" || true; }
expect_eq "v4v6: an IPv4 client reaches [::]:port" "$(code "http://127.0.0.1:$P1/")" 200
expect_eq "v4v6: an IPv6 client too" "$(code "http://[::1]:$P1/")" 200
expect_eq "v6only: an IPv6 client reaches [::]:port" "$(code "http://[::1]:$P2/")" 200
expect_eq "v6only: an IPv4 client is refused" "$(code "http://127.0.0.1:$P2/")" 000
check "backlog 64 on the listening socket" bash -c "ss -Hltn 'sport = :$P1' | awk '{print \$3}' | grep -qx 64"
# without "backlog", HAProxy's: the frontend's maxconn, else the global
# maxconn, capped by net.core.somaxconn (lbd used 1024 whatever the limits)
cat > "$T/ha.cfg" <<CFG
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend limited
    bind 127.0.0.1:$P4
    maxconn 300
    default_backend be
frontend plain
    bind 127.0.0.1:$P5
    default_backend be
backend be
    server s1 127.0.0.1:$PB
CFG
bg haproxy -f "$T/ha.cfg" 2>"$T/ha.err"
wait_listen "$P4"; wait_listen "$P5"
backlog() { ss -Hltn "sport = :$1" | awk 'NR == 1 { print $3 }'; }
echo "default backlog: lbd $(backlog "$P3") / $(backlog "$P2"), HAProxy $(backlog "$P4") / $(backlog "$P5") (frontend maxconn 300 / none)"
expect_eq "backlog defaults to the frontend's maxconn, as HAProxy" "$(backlog "$P3")" "$(backlog "$P4")"
expect_eq "else to the global maxconn (capped by somaxconn), as HAProxy" "$(backlog "$P2")" "$(backlog "$P5")"
for opt in "ssl crt /nonexistent.pem" "bogus-option"; do
    printf 'frontend f\n  bind 127.0.0.1:1 %s\n' "$opt" > "$T/bad.cfg"
    out=$("$LBD" -c -f "$T/bad.cfg" 2>&1) && rc=0 || rc=$?
    check "refused at its line: bind ... $opt ($out)" grep -q "bad.cfg:2: bind: option" <<< "$out"
done
finish
