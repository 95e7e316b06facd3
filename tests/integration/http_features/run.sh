#!/usr/bin/env bash
# Mode http features against a real origin server (backend.py): pipelining,
# WebSocket tunnel, hop-by-hop fields, X-Forwarded-For, sticky cookies,
# ACL routing, http-request deny, errorfile, balance uri / hdr, and the
# 502 / 503 / 504 error answers.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"

P=$(free_port); B1=$(free_port); B2=$(free_port); B3=$(free_port); DEAD=$(free_port)
PC=$(free_port); PS=$(free_port); PK=$(free_port)
start_backend "$B1" b1
start_backend "$B2" b2
start_backend "$B3" api
printf 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 15\r\nConnection: close\r\n\r\nshop is closed\n' > "$T/503.http"
cat > "$T/lbd.cfg" <<CFG
global
    log stderr local0
defaults
    mode http
    log global
    option httplog
    option forwardfor
    timeout connect 1s
    timeout client 5s
    timeout server 2s
    timeout tunnel 10s
frontend fe
    bind 127.0.0.1:$P
    acl is_api path_beg /api/
    acl from_lo src 127.0.0.0/8
    http-request deny if { path_beg /admin } !{ hdr(x-admin) -i yes }
    use_backend api if is_api from_lo
    use_backend hashed if { path_beg /hash/ }
    use_backend byhdr if { hdr(host) -i byhdr.example }
    use_backend dead if { path_beg /dead }
    use_backend queued if { path_beg /q/ }
    use_backend queued_short if { path_beg /qs/ }
    default_backend shop
frontend fe_close
    bind 127.0.0.1:$PC
    option httpclose
    default_backend api
frontend fe_sclose
    bind 127.0.0.1:$PS
    option http-server-close
    default_backend api
frontend fe_ka
    bind 127.0.0.1:$PK
    timeout http-keep-alive 500ms
    default_backend api
backend shop
    balance roundrobin
    cookie SRV insert indirect nocache
    server s1 127.0.0.1:$B1 cookie c1
    server s2 127.0.0.1:$B2 cookie c2
backend api
    server a1 127.0.0.1:$B3
backend hashed
    balance uri
    server s1 127.0.0.1:$B1
    server s2 127.0.0.1:$B2
backend byhdr
    balance hdr(x-user)
    server s1 127.0.0.1:$B1
    server s2 127.0.0.1:$B2
backend queued
    server one 127.0.0.1:$B3 maxconn 1
backend queued_short
    timeout queue 100ms
    server one 127.0.0.1:$B3 maxconn 1
backend dead
    errorfile 503 $T/503.http
    server gone 127.0.0.1:$DEAD
CFG
start_lbd "$T/lbd.cfg"
U=http://127.0.0.1:$P

# pipelining: three requests in one write come back in order
out=$(printf 'GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\nGET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | raw "$P" | grep -ao 'GET /[a-z]*' | tr '\n' ' ')
expect_eq "pipelined answers in order" "$out" "GET /one GET /two GET /three "

# WebSocket echo through the tunnel
expect_eq "websocket echo" "$("$PY" "$(dirname "$0")/ws_client.py" "$P" 2>&1)" "ok 3"

# hop-by-hop fields removed, X-Forwarded-For added
h=$(curl -s -H 'Connection: keep-alive, X-Secret' -H 'X-Secret: 1' -H 'Keep-Alive: 5' \
  -H 'TE: trailers' -H 'Proxy-Connection: keep-alive' -H 'X-Kept: 1' "$U/headers")
names=$(echo "$h" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(sorted(d["names"])))')
for f in connection x-secret keep-alive te proxy-connection; do
  check "hop-by-hop '$f' not forwarded" bash -c "! echo ' $names ' | grep -q ' $f '"
done
check "end-to-end field kept" bash -c "echo ' $names ' | grep -q ' x-kept '"
expect_eq "X-Forwarded-For" "$(echo "$h" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["xff"])')" 127.0.0.1

# sticky cookie: inserted once, then the same server; hidden from servers
curl -s -D "$T/h1" -o /dev/null "$U/"
ck=$(tr -d '\r' < "$T/h1" | sed -n 's/^Set-Cookie: SRV=\(c[12]\); path=\/$/\1/p')
check "Set-Cookie SRV inserted" test -n "$ck"
check "nocache adds Cache-Control: private" grep -qi '^Cache-Control: private' "$T/h1"
want=b${ck#c}
got=$(for i in 1 2 3 4 5 6; do curl -s -b "SRV=$ck" "$U/x"; done | awk '{print $1}' | sort -u | tr -d '\n')
expect_eq "cookie keeps the browser on one server" "$got" "$want"
curl -s -D "$T/h2" -o /dev/null -b "SRV=$ck" "$U/"
check "no Set-Cookie when the cookie is valid" bash -c "! grep -qi '^Set-Cookie' $T/h2"
seen=$(curl -s -b "SRV=$ck; other=1" "$U/headers" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["cookie"])')
expect_eq "indirect: the server does not see SRV" "$seen" "other=1"

# routing and deny
expect_eq "use_backend on path_beg + src" "$(curl -s "$U/api/x" | awk '{print $1}')" api
expect_eq "http-request deny -> 403" "$(curl -s -o /dev/null -w '%{http_code}' "$U/admin/")" 403
expect_eq "deny condition false -> forwarded" \
  "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Admin: YES' "$U/admin/")" 200
a=$(for i in 1 2 3 4; do curl -s "$U/hash/some/path?q=$i"; done | awk '{print $1}' | sort -u | wc -l)
expect_eq "balance uri: one path, one server" "$a" 1
a=$(for i in 1 2 3 4; do curl -s -H 'Host: byhdr.example' -H 'X-User: joe' "$U/u$i"; done | awk '{print $1}' | sort -u | wc -l)
expect_eq "balance hdr(x-user): one user, one server" "$a" 1

# errors
expect_eq "errorfile 503 when no server answers" "$(curl -s "$U/dead")" "shop is closed"
expect_eq "504 on timeout server" "$(curl -s -o /dev/null -w '%{http_code}' "$U/sleep?ms=4000")" 504
expect_eq "502 on a non-HTTP answer" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$U/junk")" 502
expect_eq "502 on close without answer (POST: no retry)" \
  "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$U/close-early")" 502
expect_eq "HTTP/1.0 request served" "$(curl -s -0 "$U/ten" | awk '{print $3}')" /ten
expect_eq "HEAD has no body" "$(curl -s -I "$U/" | head -1 | tr -d '\r')" "HTTP/1.1 200 OK"

# server maxconn 1: requests wait their turn, or get 503 after timeout queue
# three_at_once PATH: three concurrent requests, their statuses sorted
three_at_once() {
  local pids=() i
  for i in 1 2 3; do
    curl -s -o "$T/q$i" -w '%{http_code}' "$U$1" > "$T/q$i.code" & pids+=($!)
  done
  wait "${pids[@]}"
  cat "$T/q1.code" "$T/q2.code" "$T/q3.code" | fold -w3 | sort | tr '\n' ' '
}
s0=$(date +%s%N)
expect_eq "queued requests all served" "$(three_at_once "/q/sleep?ms=300")" "200 200 200 "
ms=$((($(date +%s%N) - s0) / 1000000))
check "queued requests served one at a time (${ms} ms >= 850)" test "$ms" -ge 850
expect_eq "timeout queue: 1 served, 2 get 503" "$(three_at_once "/qs/sleep?ms=400")" "200 503 503 "

# connection modes: the api server counts its connections
conns() { curl -s "http://127.0.0.1:$B3/stats" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["conns"])'; }
c0=$(conns)
curl -sv "http://127.0.0.1:$PK/a" "http://127.0.0.1:$PK/b" "http://127.0.0.1:$PK/c" \
  "http://127.0.0.1:$PK/d" > /dev/null 2> "$T/ka.err"
c1=$(conns)
check "keep-alive: client connection reused" grep -q 'Re-using existing connection' "$T/ka.err"
check "keep-alive: 4 requests, at most 1 new server connection" test $((c1 - c0 - 1)) -le 1
curl -sv "http://127.0.0.1:$PS/a" "http://127.0.0.1:$PS/b" "http://127.0.0.1:$PS/c" \
  "http://127.0.0.1:$PS/d" > /dev/null 2> "$T/sc.err"
c2=$(conns)
check "http-server-close: client connection kept" grep -q 'Re-using existing connection' "$T/sc.err"
expect_eq "http-server-close: one server connection per request" "$((c2 - c1 - 1))" 4
curl -sv "http://127.0.0.1:$PC/a" "http://127.0.0.1:$PC/b" > /dev/null 2> "$T/cl.err"
check "httpclose: Connection: close sent" grep -qi '< Connection: close' "$T/cl.err"
check "httpclose: client connection not reused" bash -c "! grep -q 'Re-using existing' $T/cl.err"
# timeout http-keep-alive 500ms: an idle client connection is closed
t=$(printf 'GET /x HTTP/1.1\r\nHost: x\r\n\r\n' | (s=$(date +%s%N); "$PY" "$HTTP_TOOLS/raw.py" "$PK" 5 > /dev/null; echo $((($(date +%s%N) - s) / 1000000))))
check "timeout http-keep-alive closes an idle connection (${t} ms)" test "$t" -ge 400 -a "$t" -lt 2500

# one httplog line per request, HAProxy's format
line=$(grep '"GET /x HTTP/1.1"$' "$T/lbd.log" | grep ' fe shop/' | head -1)
echo "log: $line"
check "httplog line format" bash -c "echo '$line' | grep -qE '^127\.0\.0\.1:[0-9]+ \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:.]{12}\] fe shop/s[12] [0-9]+/0/[0-9-]+/[0-9-]+/[0-9]+ 200 [0-9]+ - - --[VNID][IN] [0-9]+/[0-9]+/[0-9]+/[0-9]+/0 0/0 \"GET /x HTTP/1.1\"$'"
check "403 logged as denied (PR)" grep -q ' 403 .* PR' "$T/lbd.log"

finish
