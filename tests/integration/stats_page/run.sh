#!/usr/bin/env bash
# The lab guide's stats page (Figure 1.3's "listen stats": auth
# haproxy:haproxy, refresh 10s, hide-version) served by lbd: 401 with a
# realm, basic auth with several users, HTML with auto-refresh, ;csv equal
# in format to the socket's "show stat", ;json, ;up, ;norefresh, admin
# actions, and a Prometheus endpoint that promtool accepts.
source "$(dirname "$0")/../lib.sh"
TOOL="python3 $(dirname "$0")/../tcptool.py"
P1=$(free_port); P2=$(free_port); PF=$(free_port); PS=$(free_port)
bg $TOOL server "$P1"; bg $TOOL server "$P2"
wait_listen "$P1"; wait_listen "$P2"
cat > "$T/lbd.cfg" <<CFG
global
    stats socket $T/admin.sock mode 660 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
listen stats
    bind 127.0.0.1:$PS
    stats enable
    stats hide-version
    stats refresh 10s
    stats uri /stats
    stats auth haproxy:haproxy
    stats auth ops:s3cret
    stats admin if TRUE
frontend db
    mode tcp
    bind 127.0.0.1:$PF
    default_backend dbs
backend dbs
    mode tcp
    server s1 127.0.0.1:$P1
    server s2 127.0.0.1:$P2
CFG
bg "$LBD" -f "$T/lbd.cfg" -R "$T" > "$T/lbd.log" 2>&1; LBDPID=$!
wait_listen "$PS"
URL="http://127.0.0.1:$PS/stats"

hdr=$(curl -s -D - -o "$T/401.html" "$URL")
check "no credentials: 401" grep -q "^HTTP/1.1 401" <<< "$hdr"
check "401 carries the realm" grep -qi '^www-authenticate: Basic realm="HAProxy Statistics"' <<< "$hdr"
expect_eq "401 body is HAProxy's (112 bytes)" "$(wc -c < "$T/401.html")" 112
expect_eq "wrong password: 401" "$(curl -s -o /dev/null -w '%{http_code}' -u haproxy:nope "$URL")" 401
expect_eq "first user: 200" "$(curl -s -o "$T/page.html" -w '%{http_code}' -u haproxy:haproxy "$URL")" 200
expect_eq "second user: 200" "$(curl -s -o /dev/null -w '%{http_code}' -u ops:s3cret "$URL")" 200
check "HTML page lists the backend servers" grep -q '>s2</td>' "$T/page.html"
check "HTML refreshes every 10 s" grep -q 'http-equiv="refresh" content="10"' "$T/page.html"
check "hide-version: no version shown" test -z "$(grep -o 'version 0\.' "$T/page.html")"
check ";norefresh drops the refresh" test -z "$(curl -s -u haproxy:haproxy "$URL;norefresh" | grep 'http-equiv="refresh"')"
$TOOL upload 127.0.0.1 "$PF" 1000 > /dev/null
curl -s -u haproxy:haproxy "$URL;csv" > "$T/page.csv"
echo "show stat" | socat - "UNIX-CONNECT:$T/admin.sock" > "$T/sock.csv"
expect_eq ";csv has the socket's header" "$(head -1 "$T/page.csv")" "$(head -1 "$T/sock.csv")"
expect_eq ";csv has the socket's rows" "$(cut -d, -f1,2,18 "$T/page.csv")" "$(grep -v '^$' "$T/sock.csv" | cut -d, -f1,2,18)"
check ";csv counts the traffic" test "$(awk -F, '$2=="BACKEND" && $1=="dbs" {print $8}' "$T/page.csv")" -ge 1
check ";json is valid JSON" python3 -c "import json,sys; json.load(sys.stdin)" < <(curl -s -u haproxy:haproxy "$URL;json")
# admin action from the page: s1 to maintenance, seen by the socket and by traffic
code=$(curl -s -o /dev/null -w '%{http_code}' -u haproxy:haproxy -d 'b=dbs&action=maint&s=s1' "$URL")
expect_eq "admin POST answered with a redirect" "$code" 303
expect_eq "admin action reflected on the socket" "$(echo 'show stat' | socat - "UNIX-CONNECT:$T/admin.sock" | awk -F, '$2=="s1"{print $18}')" MAINT
check ";up hides the server in maintenance" test -z "$(curl -s -u haproxy:haproxy "$URL;up" | grep '>s1</td>')"
check "the page offers no action it cannot apply" test -z "$(curl -s -u haproxy:haproxy "$URL" | grep -o 'value=dhlth')"
code=$(curl -s -o "$T/dhlth.html" -w '%{http_code}' -u haproxy:haproxy -d 'b=dbs&action=dhlth&s=s2' "$URL")
expect_eq "unknown admin action refused: 400" "$code" 400
check "the refusal names the actions" grep -q "ready, drain and maint" "$T/dhlth.html"
expect_eq "refused action changed nothing" "$(echo 'show stat' | socat - "UNIX-CONNECT:$T/admin.sock" | awk -F, '$2=="s2"{print $18}')" "no check"
echo "enable server dbs/s1" | socat - "UNIX-CONNECT:$T/admin.sock" > /dev/null
check "page shows s1 again after enable" grep -q '>s1</td>' <(curl -s -u haproxy:haproxy "$URL")
expect_eq "unknown path on the stats proxy: 503" "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$PS/other)" 503
printf 'GARBAGE\r\n\r\n' | timeout 3 socat - "TCP:127.0.0.1:$PS" > "$T/garbage.out" || true
check "garbage request: 400" grep -q '^HTTP/1.1 400' "$T/garbage.out"
# the page reads requests with proto/http1: what it refuses is refused here
printf 'POST /stats HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 30\r\n\r\nabc' |
  timeout 3 socat - "TCP:127.0.0.1:$PS" > "$T/dupcl.out" || true
check "duplicate Content-Length: 400" grep -q '^HTTP/1.1 400' "$T/dupcl.out"
printf 'GET /stats HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' |
  timeout 3 socat - "TCP:127.0.0.1:$PS" > "$T/chunked.out" || true
check "chunked body the page cannot read: 501" grep -q '^HTTP/1.1 501' "$T/chunked.out"
# Prometheus
curl -s -u haproxy:haproxy "http://127.0.0.1:$PS/metrics" > "$T/metrics.txt"
check "metrics: server status per state" grep -q 'haproxy_server_status{proxy="dbs",server="s1",state="UP"} 1' "$T/metrics.txt"
check "metrics: backend sessions counted" grep -qE '^haproxy_backend_sessions_total\{proxy="dbs"\} [1-9]' "$T/metrics.txt"
if command -v promtool >/dev/null; then
  out=$(promtool check metrics < "$T/metrics.txt" 2>&1) && prc=0 || prc=$?
  expect_eq "promtool check metrics accepts the exposition ($out)" "$prc" 0
else
  fail "promtool missing: run scripts/deps.sh"
fi
check "lbd still alive" kill -0 "$LBDPID"
finish
