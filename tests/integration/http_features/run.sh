#!/usr/bin/env bash
# Mode http features against a real origin server (backend.py): pipelining,
# WebSocket tunnel, hop-by-hop fields, X-Forwarded-For, sticky cookies,
# ACL routing, http-request deny, errorfile, balance uri / hdr, and the
# 502 / 503 / 504 error answers.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"
need_root

P=$(free_port); B1=$(free_port); B2=$(free_port); B3=$(free_port); DEAD=$(free_port)
start_backend "$B1" b1
start_backend "$B2" b2
start_backend "$B3" api
printf 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 15\r\nConnection: close\r\n\r\nshop is closed\n' > "$T/503.http"
cat > "$T/lbd.cfg" <<CFG
defaults
    mode http
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
    default_backend shop
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

finish
