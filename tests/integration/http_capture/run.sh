#!/usr/bin/env bash
# monitor-uri / monitor fail and capture request|response header (issue
# 11 groups 2 and 4), lbd and HAProxy 2.6 side by side: the same answers,
# monitor requests not logged, and the same {captured|values} in the
# httplog lines (compared without the parts that differ by nature: client
# port, date, timers, byte counts). No root.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)

PB=$(free_port)
bg python3 "$D/../http_rules/echo.py" "$PB"
config() { # PORT
    cat <<CFG
global
    log stdout format raw local0
defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:$1
    monitor-uri /healthz
    monitor fail if { req.hdr(x-fail) 1 }
    capture request header Host len 8
    capture request header User-Agent len 5
    capture response header X-Srv len 10
    capture response header Content-Type len 4
    default_backend be
backend be
    server s1 127.0.0.1:$PB
CFG
}
PL=$(free_port); PH=$(free_port)
config "$PL" > "$T/lbd.cfg"; config "$PH" > "$T/ha.cfg"
beside_haproxy "$PB" "$PL" "$PH"

ask() { # PORT -> one line per request: status
    python3 - "$1" <<'PY'
import http.client, sys
cases = [("/healthz", {}), ("/healthz", {"X-Fail": "1"}), ("/healthz?x", {}),
         ("/a", {"User-Agent": "curl/8.0.0", "Host": "averyverylonghost"}),
         ("/b", {"Host": 'we|ird"{h}'}), ("/healthz", {})]
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
for p, h in cases:
    h.setdefault("Host", "h")
    c.request("GET", p, headers=h)
    r = c.getresponse()
    r.read()
    print(p, r.status)
PY
}
a=$(ask "$PL"); b=$(ask "$PH")
echo "$a"
expect_eq "same answers as HAProxy" "$a" "$b"
check "monitor-uri: 200, and 503 with monitor fail" grep -qx "/healthz 503" <<< "$a"
sleep 0.5
# the log lines: frontend, backend/server, status, captures, request line
norm() {
    grep -E '^[0-9.]+:[0-9]+ \[' "$1" | sed -E 's/^[0-9.]+:[0-9]+ \[[^]]+\] //; s/ [0-9-]+\/[0-9-]+\/[0-9-]+\/[0-9-]+\/[0-9-]+ / T /; s/ ([0-9]{3}) [0-9]+ / \1 B /; s/ [0-9]+\/[0-9]+\/[0-9]+\/[0-9]+\/\+?[0-9]+ [0-9]+\/[0-9]+/ C/'
}
a=$(norm "$T/lbd.log"); b=$(norm "$T/ha.log")
echo "$a"
expect_eq "log lines (captures included) as HAProxy's" "$a" "$b"
expect_eq "monitor requests are not logged" "$(grep -c healthz <<< "$a")" 1
check "request and response captures logged" grep -qF '{averyver|curl/} {a|appl}' <<< "$a"
finish
