#!/usr/bin/env bash
# The unique-id sample fetch (issue 11 group 4), lbd and HAProxy 2.6 side
# by side: with unique-id-format it reads the transaction's id (the same
# value in a request rule, a response rule, unique-id-header and the log
# line, whichever asks first); without one it has no value. No root.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)

PB=$(free_port)
bg python3 "$D/../http_rules/echo.py" "$PB"
config() { # PORT1 PORT2
    cat <<CFG
global
    log stdout format raw local0
defaults
    mode http
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend withid
    bind 127.0.0.1:$1
    unique-id-format "id-%ft-%ci-%[fe_name,upper]"
    unique-id-header x-uid-hdr
    log-format "UID %ft %ID"
    http-request set-header x-uid-req "%[unique-id]"
    http-request set-path /rewritten
    http-response set-header x-uid-rsp "%[unique-id]"
    http-response set-header x-has "%[unique-id,length]" if { unique-id -m found }
    default_backend be
frontend noid
    bind 127.0.0.1:$2
    log-format "UID %ft %ID"
    http-response set-header x-uid-rsp "%[unique-id]"
    http-response set-header x-found yes if { unique-id -m found }
    default_backend be
backend be
    server s1 127.0.0.1:$PB
CFG
}
PL1=$(free_port); PL2=$(free_port); PH1=$(free_port); PH2=$(free_port)
config "$PL1" "$PL2" > "$T/lbd.cfg"; config "$PH1" "$PH2" > "$T/ha.cfg"
beside_haproxy "$PB" "$PL1" "$PL2" "$PH1" "$PH2"

ask() { # PORT -> status, the x-uid*/x-has/x-found headers, what the server got
    python3 - "$1" <<'PY'
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
for p, k in (("/a", "one"), ("/b/c", "two")):
    c.request("GET", p, headers={"Host": "h", "X-K": k})
    r = c.getresponse()
    body = json.loads(r.read())
    print(p, r.status, sorted((h.lower(), v) for h, v in r.getheaders() if h.lower()[:5] in ("x-uid", "x-has", "x-fou")),
          sorted(v for v in body["headers"] if v[0].startswith("x-uid")), body["line"])
PY
}
a=$(ask "$PL1"; ask "$PL2"); b=$(ask "$PH1"; ask "$PH2")
echo "$a"
expect_eq "same answers and ids as HAProxy" "$a" "$b"
check "the id reaches the server" grep -qF "['x-uid-req', 'id-withid-127.0.0.1-WITHID']" <<< "$a"
check "no unique-id-format: no value" grep -qF "('x-uid-rsp', '')" <<< "$a"
sleep 0.5
a=$(grep -h '^UID ' "$T/lbd.log"); b=$(grep -h '^UID ' "$T/ha.log")
echo "$a"
expect_eq "log lines as HAProxy's" "$a" "$b"
expect_eq "4 log lines" "$(grep -c . <<< "$a")" 4
finish
