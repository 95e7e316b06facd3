#!/usr/bin/env bash
# Capture rules (issue 11 group 2), lbd and HAProxy 2.6 side by side:
# "http-request capture SAMPLE len N" and "id N", "http-response capture
# SAMPLE id N", "declare capture request|response len N", mixed with
# "capture request|response header"; the slots read back with
# capture.req.hdr(ID) / capture.res.hdr(ID) in response headers, and
# logged by %hr %hs %hrl %hsl in a log-format (slot order, cut at len, '|'
# and '"' escaping as HAProxy's). Compared: each answer's x-c* headers and
# every log line. Then the refusals HAProxy also makes. No root.
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
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:$1
    log-format "CAP %ci %ft hr=%hr hs=%hs hrl=%hrl hsl=%hsl q=%{+Q}hrl %{+Q}r"
    capture request header Host len 6
    http-request capture req.hdr(x-a) len 4
    declare capture request len 12
    http-request capture path id 2 if { path_beg /p }
    capture response header X-Srv len 3
    declare capture response len 5
    http-response capture res.hdr(x-r) id 1
    http-response set-header x-c0 "%[capture.req.hdr(0)]"
    http-response set-header x-c1 "%[capture.req.hdr(1)]"
    http-response set-header x-c2 "%[capture.req.hdr(2)]"
    http-response set-header x-c3 "%[capture.req.hdr(3)]"
    http-response set-header x-r0 "%[capture.res.hdr(0)]"
    http-response set-header x-r1 "%[capture.res.hdr(1)]"
    default_backend be
backend be
    http-request capture req.hdr(x-b),upper id 3
    http-request capture url_param(q) id 2 if { url_param(q) -m found }
    server s1 127.0.0.1:$PB
CFG
}
PL=$(free_port); PH=$(free_port)
# slot 3 is the backend's: the frontend declares it after its rules
config "$PL" | sed 's/^backend be$/    declare capture request len 3\n&/' > "$T/lbd.cfg"
config "$PH" | sed 's/^backend be$/    declare capture request len 3\n&/' > "$T/ha.cfg"
beside_haproxy "$PB" "$PL" "$PH"

ask() { # PORT -> per request: path and the x-c*/x-r* headers
    python3 - "$1" <<'PY'
import http.client, sys
cases = [("/plain", {}),
         ("/p/long/path/beyond/twelve", {"X-A": "abcdefgh", "X-B": "low"}),
         ("/q?q=a|b\"c", {"X-A": 'x|"y', "Host": "h|o\"st", "X-Want-X-R": "rrrrrrr|"}),
         ("/p?q=two", {"X-Want-X-R": "", "X-Want-X-Srv": "ignored"})]
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
for p, h in cases:
    h.setdefault("Host", "h")
    c.request("GET", p, headers=h)
    r = c.getresponse()
    r.read()
    print(p, r.status, sorted((k.lower(), v) for k, v in r.getheaders()
                              if k.lower()[:3] in ("x-c", "x-r")))
PY
}
a=$(ask "$PL"); b=$(ask "$PH")
echo "$a"
expect_eq "same answers and capture fetches as HAProxy" "$a" "$b"
check "a capture rule cut at its len, read back" grep -qF "('x-c1', 'abcd')" <<< "$a"
check "a backend's rule fills the frontend's slot by id" grep -qF "('x-c3', 'LOW')" <<< "$a"
sleep 0.5
a=$(grep -h '^CAP ' "$T/lbd.log" | sed -E 's/ fe / fe /'); b=$(grep -h '^CAP ' "$T/ha.log")
echo "$a"
expect_eq "4 log lines" "$(grep -c . <<< "$a")" 4
expect_eq "%hr %hs %hrl %hsl as HAProxy's" "$a" "$b"

# refusals HAProxy 2.6 makes too (each on its own line)
refuse() { # NAME FRONTEND-LINES [BACKEND-LINES]
    printf 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nfrontend f\n    bind 127.0.0.1:%s\n%b\n    default_backend b\nbackend b\n%b\n    server s 127.0.0.1:%s\n' \
        "$PL" "$2" "${3-}" "$PB" > "$T/r.cfg"
    haproxy -c -f "$T/r.cfg" >/dev/null 2>&1 && hrc=0 || hrc=$?
    out=$("$LBD" -c -f "$T/r.cfg" 2>&1) && lrc=0 || lrc=$?
    check "HAProxy refuses $1" test "$hrc" -ne 0
    check "lbd refuses $1 with FILE:LINE ($out)" grep -q 'r.cfg:[0-9]' <<< "$out"
    expect_eq "lbd's exit code on $1" "$lrc" 1
}
refuse "an unknown id" '    http-request capture path id 0'
refuse "http-response capture len" '    http-response capture status len 3'
refuse "capture len in a backend" '' '    http-request capture path len 3'
refuse "len 0" '    declare capture request len 0'
finish
