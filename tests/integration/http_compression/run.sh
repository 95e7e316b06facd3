#!/usr/bin/env bash
# compression algo|type|offload (issue 11 group 2), zlib from Debian: one
# config run by lbd and by HAProxy 2.6 side by side in front of one backend
# (srv.py); compare.py sends the same requests to both and compares status,
# fields and the decompressed body (which must equal the backend's). Then
# curl --compressed reads lbd's gzip, and lbd -c refuses what HAProxy
# refuses, at FILE:LINE. No root.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)

PB=$(free_port)
PL=$(free_port)
PH=$(free_port)
bg python3 "$D/srv.py" "$PB"

config() { # PORT
    cat <<CFG
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:$1
    compression algo gzip
    compression algo deflate
    compression type text/html text/plain application/json
    http-after-response set-header x-ce "%[res.hdr(content-encoding)]-%[res.hdr(content-length)]"
    use_backend be_raw if { path_beg /raw/ }
    use_backend be_off if { path_beg /off/ }
    use_backend be_types if { path_beg /types/ }
    default_backend be
backend be
    server s1 127.0.0.1:$PB
backend be_raw
    compression algo raw-deflate
    server s1 127.0.0.1:$PB
backend be_off
    compression algo identity gzip
    compression offload
    server s1 127.0.0.1:$PB
backend be_types
    compression type application/json
    server s1 127.0.0.1:$PB
CFG
}
config "$PL" > "$T/lbd.cfg"
config "$PH" > "$T/ha.cfg"
out=$(haproxy -c -f "$T/ha.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "HAProxy accepts the config ($out)" "$rc" 0
out=$("$LBD" -c -f "$T/lbd.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "lbd accepts the config ($out)" "$rc" 0
bg haproxy -f "$T/ha.cfg" -db > "$T/haproxy.log" 2>&1
bg "$LBD" -f "$T/lbd.cfg" > "$T/lbd.log" 2>&1
wait_listen "$PB" && wait_listen "$PL" && wait_listen "$PH"

out=$(python3 "$D/compare.py" "$PL" "$PH" "$PB" 2>&1) && rc=0 || rc=$?
echo "$out"
expect_eq "lbd answers as HAProxy in every case" "$rc" 0
check "compression acted: gzip" grep -q 'same gzip, Content-Length.*"content-encoding", "gzip"' <<< "$out"
check "compression acted: deflate" grep -q 'same deflate:.*"content-encoding", "deflate"' <<< "$out"
check "a 300000-byte body went out compressed" grep -qE 'large body streamed.*body 300000 bytes, [0-9]{3,5} on' <<< "$out"
check "http-after-response saw the head before compression" grep -q 'same gzip, Content-Length.*"x-ce", "-5000"' <<< "$out"
check "offload: the server saw no Accept-Encoding" grep -q 'same backend offload.*"x-seen-ae", "-"' <<< "$out"

# what curl makes of it (its own zlib)
body=$(curl -s --compressed "http://127.0.0.1:$PL/text?n=70000" | md5sum)
direct=$(curl -s "http://127.0.0.1:$PB/text?n=70000" | md5sum)
expect_eq "curl --compressed reads lbd's gzip as the backend's body" "$body" "$direct"
hdr=$(curl -s -o /dev/null -D - -H 'Accept-Encoding: gzip' "http://127.0.0.1:$PL/text?n=70000" | tr -d '\r')
check "curl sees Content-Encoding: gzip" grep -qi '^content-encoding: gzip' <<< "$hdr"
# keep-alive: several compressed answers on one connection
n=$(curl -s --compressed "http://127.0.0.1:$PL/text?n=9000" "http://127.0.0.1:$PL/chunked?n=9000" "http://127.0.0.1:$PL/text?n=9000" -w '%{num_connects}\n' -o /dev/null -o /dev/null -o /dev/null | paste -sd' ')
expect_eq "three compressed answers on one connection (connects per transfer)" "$n" "1 0 0"

# pipelined: three requests in one write, two answers compressed, in order
printf 'GET /text?n=20000 HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\nGET /chunked?n=20000 HTTP/1.1\r\nHost: a\r\nAccept-Encoding: deflate\r\n\r\nGET /text?n=10 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' |
    timeout 10 socat -t 3 - "TCP:127.0.0.1:$PL" > "$T/pipe.out" || true
expect_eq "pipelined: three answers" "$(grep -ac '^HTTP/1.1 200' "$T/pipe.out" || true)" 3
expect_eq "pipelined: gzip then deflate" "$(grep -ai '^content-encoding' "$T/pipe.out" | tr -d '\r' | paste -sd' ')" "Content-Encoding: gzip Content-Encoding: deflate"
check "pipelined: the last answer is whole" grep -aq 'lbkit comp$' "$T/pipe.out"

while IFS='|' read -r sec line words; do
    printf '%s\n  mode http\n  %s\nfrontend f\n  mode http\n  bind 127.0.0.1:1\n  default_backend b\nbackend b\n  mode http\n' \
        "$sec" "$line" > "$T/bad.cfg"
    out=$("$LBD" -c -f "$T/bad.cfg" 2>&1) && rc=0 || rc=$?
    ha=$(haproxy -c -f "$T/bad.cfg" 2>&1) && hrc=0 || hrc=$?
    check "$sec / $line: lbd says '$words' ($out)" grep -q "bad.cfg:3: .*$words" <<< "$out"
    expect_eq "HAProxy agrees on validity: $sec / $line" "$rc" "$hrc"
done <<LINES
frontend x|compression algo lz4|'lz4' is not a supported algorithm
frontend x|compression algo|'compression' expects <algorithm>
frontend x|compression type|'compression' expects <type>
frontend x|compression foo|'compression' expects 'algo', 'type' or 'offload'
defaults|compression offload|'offload' ignored in 'defaults' section
LINES
finish
