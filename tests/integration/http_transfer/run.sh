#!/usr/bin/env bash
# lbd in mode http between real clients (curl, ab, wrk) and real servers
# (two nginx, the Python origin server): server connection reuse, a 10,000
# request wrk run, 100 MB downloads and uploads with checksums, chunked
# bodies both ways, Expect: 100-continue.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"

P=$(free_port); N1=$(free_port); N2=$(free_port); PB=$(free_port); PU=$(free_port)
start_nginx "$N1" nginx1
start_nginx "$N2" nginx2
start_backend "$PB" py1
cat > "$T/lbd.cfg" <<CFG
global
    maxconn 10000
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend web
    bind 127.0.0.1:$P
    default_backend nginx
frontend upload
    bind 127.0.0.1:$PU
    default_backend py
backend nginx
    balance roundrobin
    server n1 127.0.0.1:$N1
    server n2 127.0.0.1:$N2
backend py
    server p1 127.0.0.1:$PB
CFG
start_lbd "$T/lbd.cfg"
U=http://127.0.0.1:$P

# 1000 requests on 10 keep-alive client connections (ab -k): the servers
# see the same few connections again and again (HAProxy's http-reuse safe,
# the default: a client connection's first request gets a new server
# connection, its later ones take idle ones)
ab -q -k -n 1000 -c 10 "$U/" > "$T/ab.out" 2>&1
expect_eq "ab: 1000 complete" "$(awk '/^Complete requests/ {print $3}' "$T/ab.out")" 1000
expect_eq "ab: 0 failed" "$(awk '/^Failed requests/ {print $3}' "$T/ab.out")" 0
reqs=$(cat "$T/nginx-nginx1.log" "$T/nginx-nginx2.log" | wc -l)
conns=$( (sed 's/^/a/' "$T/nginx-nginx1.log"; sed 's/^/b/' "$T/nginx-nginx2.log") | \
  awk '{print $1}' | sort -u | wc -l)
echo "servers saw $reqs requests on $conns connections"
expect_eq "servers got every request" "$reqs" 1000
check "server connections reused across client connections ($conns << $reqs)" \
  test "$conns" -le 50
n1=$(wc -l < "$T/nginx-nginx1.log")
expect_eq "roundrobin spread" "$n1" 500

# wrk, keep-alive: at least 10,000 requests, none failing
wrk -t2 -c50 -d3s "$U/" > "$T/wrk.out" 2>&1
wreqs=$(awk '/requests in/ {print $1}' "$T/wrk.out")
echo "wrk: $wreqs requests"
check "wrk ran >= 10000 requests" test "${wreqs:-0}" -ge 10000
check "wrk: no non-2xx" bash -c "! grep -q 'Non-2xx' $T/wrk.out"
check "wrk: no socket errors" bash -c "! grep -q 'Socket errors' $T/wrk.out"

# 100 MB down (nginx, Content-Length) and up (Python server, CL and chunked)
head -c 100000000 /dev/urandom > "$T/www/big"
want=$(sha1sum < "$T/www/big" | cut -d' ' -f1)
curl -s "$U/files/big" -o "$T/dl" -D "$T/dl.h"; got=$(sha1sum < "$T/dl" | cut -d" " -f1)
expect_eq "100 MB download checksum" "$got" "$want"
got=$(curl -s --data-binary @"$T/www/big" -H 'Expect:' "http://127.0.0.1:$PU/upload")
expect_eq "100 MB upload (Content-Length) checksum" "$got" "$want 100000000 0"
got=$(curl -s -T "$T/www/big" -H 'Transfer-Encoding: chunked' -H 'Expect:' \
  "http://127.0.0.1:$PU/upload")
expect_eq "100 MB upload (chunked) checksum" "$got" "$want 100000000 1"

# chunked response with trailers, 3 MB of a known pattern
want=$("$PY" -c 'import sys; b=bytes(range(256))*32; d=(b*400)[:3000000]; import hashlib; print(hashlib.sha1(d).hexdigest())')
got=$(curl -s "http://127.0.0.1:$PU/chunked?size=3000000" | sha1sum | cut -d' ' -f1)
expect_eq "chunked download checksum" "$got" "$want"
te=$(curl -s -D - -o /dev/null "http://127.0.0.1:$PU/chunked?size=10" | tr -d '\r' | \
  awk -F': ' 'tolower($1)=="transfer-encoding" {print $2}')
expect_eq "chunked framing kept" "$te" chunked

# Expect: 100-continue: the server's 100 reaches curl, then the body goes
head -c 2000000 /dev/urandom > "$T/two"
want=$(sha1sum < "$T/two" | cut -d' ' -f1)
curl -sv --data-binary @"$T/two" -H 'Expect: 100-continue' "http://127.0.0.1:$PU/upload" \
  > "$T/exp.out" 2> "$T/exp.err"
expect_eq "Expect: 100-continue upload" "$(cat "$T/exp.out")" "$want 2000000 0"
check "client saw 100 Continue" grep -q '< HTTP/1.1 100 Continue' "$T/exp.err"

finish
