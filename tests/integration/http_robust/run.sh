#!/usr/bin/env bash
# Hostile backends and odd-but-valid clients against lbd under the
# sanitizers (issue 10): every case is answered the way HAProxy answers it,
# nothing reaches a server past lbd's framing, and lbd survives.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"
need_root
D=$(dirname "$0")
client() { "$PY" "$D/client.py" "$@"; }

P=$(free_port); PK=$(free_port); PS=$(free_port); J=$(free_port); G=$(free_port); G2=$(free_port); BC=$(free_port); PB=$(free_port); EX=$(free_port); LA=$(free_port); PX=$(free_port)
bg "$PY" "$D/hostile.py" "$J" junk "$T/junk.log"; wait_port 127.0.0.1 "$J"
bg "$PY" "$D/hostile.py" "$G" good "$T/good.log"; wait_port 127.0.0.1 "$G"
bg "$PY" "$D/hostile.py" "$G2" good "$T/good2.log"; wait_port 127.0.0.1 "$G2"
bg "$PY" "$D/hostile.py" "$BC" badchunk "$T/badchunk.log"; wait_port 127.0.0.1 "$BC"
bg "$PY" "$D/hostile.py" "$EX" extra "$T/extra.log"; wait_port 127.0.0.1 "$EX"
bg "$PY" "$D/hostile.py" "$LA" late "$T/late.log"; wait_port 127.0.0.1 "$LA"
cli() { echo "$1" | socat -t 5 - "UNIX-CONNECT:$T/admin.sock"; }
cat > "$T/lbd.cfg" <<CFG
global
    log stderr local0
    stats socket $T/admin.sock mode 600 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 3s
    timeout server 3s
frontend fe
    bind 127.0.0.1:$P
    default_backend be
backend be
    balance first
    retries 3
    retry-on all-retryable-errors
    server junk 127.0.0.1:$J
    server good 127.0.0.1:$G
frontend ka
    bind 127.0.0.1:$PK
    default_backend ka
backend ka
    server k1 127.0.0.1:$G
frontend strict
    bind 127.0.0.1:$PS
    log global
    option httplog
    http-request deny if { hdr(host) -i admin.example }
    default_backend ok
backend ok
    server o1 127.0.0.1:$G2
frontend fbad
    bind 127.0.0.1:$PB
    default_backend badchunk
backend badchunk
    server bc 127.0.0.1:$BC
frontend fx
    bind 127.0.0.1:$PX
    use_backend late if { path_beg /late }
    default_backend extra
backend extra
    server ex 127.0.0.1:$EX
backend late
    server la 127.0.0.1:$LA
CFG
start_lbd "$T/lbd.cfg"

# 1. junk response + retry-on: the junk server's connection is closed
# before the retry (it used to stay polled with a freed session as owner)
for i in 1 2 3 4; do
  got=$(client "$P" 0 'GET /r'$i' HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
  expect_eq "junk response retried on the good server ($i)" "$got" "HTTP/1.1 200 OK"
done
check "lbd alive after junk responses" kill -0 "$LBD_PID"

# 1b. part of a chunked body went to the junk server: the rest alone must
# not go to the next one (its bytes would be read as framing there)
got=$(client "$P" 0.5 'POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n28\r\n' \
  '0\r\n\r\nGET /SMUGGLED HTTP/1.1\r\nHost: x\r\n\r\n\r\n0\r\n\r\n')
expect_eq "partly sent body: 502, not retried" "$got" "HTTP/1.1 502 Bad Gateway"
check "nothing smuggled to the next server" bash -c "! grep -q SMUGGLED $T/good.log"
check "lbd alive after partly sent body" kill -0 "$LBD_PID"

# 2. a server added at run time gets pooled keep-alive connections: the
# idle-connection array (made on first use) has a list for it
n=$(curl -s "http://127.0.0.1:$PK/a" "http://127.0.0.1:$PK/b" | grep -c good)
expect_eq "keep-alive traffic before add server" "$n" 2
expect_eq "add server" "$(cli "add server ka/k2 127.0.0.1:$G2")" "New server registered."
cli "enable server ka/k2" >/dev/null
cli "disable server ka/k1" >/dev/null
n=$(curl -s "http://127.0.0.1:$PK/c" "http://127.0.0.1:$PK/d" "http://127.0.0.1:$PK/e" | grep -c good)
expect_eq "keep-alive traffic to the added server" "$n" 3
check "the added server served it" grep -q "GET /e" "$T/good2.log"
check "lbd alive after add server" kill -0 "$LBD_PID"

# 4. absolute-form target whose authority differs from Host: 400, as
# HAProxy (the deny rule sees Host, the server would route on the target)
got=$(client "$PS" 0 'GET http://admin.example/ HTTP/1.1\r\nHost: www.example\r\nConnection: close\r\n\r\n')
expect_eq "absolute-form authority != Host: 400" "$got" "HTTP/1.1 400 Bad request"
got=$(client "$PS" 0 'GET http://admin.example/ HTTP/1.1\r\nHost: admin.example\r\nConnection: close\r\n\r\n')
expect_eq "absolute-form authority == Host: the Host rule applies" "$got" "HTTP/1.1 403 Forbidden"
check "admin.example never reached a server" bash -c "! grep -q admin.example $T/good2.log"

# 5. Transfer-Encoding forms not every parser reads as chunked: 400
for te in ',chunked' ' , chunked' 'chunked,' 'chunked ;' 'chunked;q=1' 'gzip;a=\", chunked'; do
  got=$(client "$PS" 0 "POST /te HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: $te\r\nConnection: close\r\n\r\n0\r\n\r\n")
  expect_eq "Transfer-Encoding: '$te' refused" "$got" "HTTP/1.1 400 Bad request"
done
check "no odd Transfer-Encoding forwarded" bash -c "! grep -q 'POST /te' $T/good2.log"

# 6. a request line where a trailer should be: 400, nothing forwarded
got=$(client "$PS" 0 'POST /tr HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\nGET /TRAILER HTTP/1.1\r\nHost: a\r\n\r\n')
expect_eq "request line as trailer: 400" "$got" "HTTP/1.1 400 Bad request"
check "the trailer request never reached a server" bash -c "! grep -q TRAILER $T/good2.log"
got=$(client "$PS" 0 'POST /tr2 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\nX-Sum: 1\r\n\r\n')
expect_eq "valid trailer still passes" "$got" "HTTP/1.1 200 OK"

# 7. leading empty lines split between CR and LF across two reads
got=$(client "$PS" 0.3 '\r\n\r' '\nGET /split HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
expect_eq "empty lines split across reads: 200" "$got" "HTTP/1.1 200 OK"

# 8. invalid chunked framing in the same read as the response head: the
# client gets a 502, not a reset
got=$(client "$PB" 0 'GET /bc HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
expect_eq "bad chunked response with its head: 502" "$got" "HTTP/1.1 502 Bad Gateway"

# 9. an invalid request line is logged escaped (#XX), as HAProxy does
got=$(client "$PS" 0 'GET /q"u\x01x HTTP/1.1\r\nHost: a\r\n\r\n')
expect_eq "invalid request line: 400" "$got" "HTTP/1.1 400 Bad request"
for i in $(seq 1 20); do grep -q 'q#22u#01x' "$T/lbd.log" && break; sleep 0.1; done
check "request line logged escaped" grep -q '"GET /q#22u#01x HTTP/1.1"$' "$T/lbd.log"
check "no raw control byte in the log" bash -c "! grep -qP '\x01' $T/lbd.log"

# 12. a server that sends bytes after its response: its connection is not
# reused, the next request never gets them as its answer
R='GET /x HTTP/1.1\r\nHost: a\r\n\r\n'; RL='GET /late HTTP/1.1\r\nHost: a\r\n\r\n'
got=$(client "$PX" 0.3 "$R" "$R" 'GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
expect_eq "extra bytes with the response: connection not reused" "$got" "HTTP/1.1 200 OK HTTP/1.1 200 OK HTTP/1.1 200 OK"
got=$(client "$PX" 0.3 "$RL" "$RL" 'GET /late HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
expect_eq "extra bytes after the response: connection not reused" "$got" "HTTP/1.1 200 OK HTTP/1.1 200 OK HTTP/1.1 200 OK"
got=$(client "$PX" 0 "$R$R"'GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
expect_eq "pipelined, extra bytes with the response: never taken as an answer" "$got" "HTTP/1.1 200 OK HTTP/1.1 200 OK HTTP/1.1 200 OK"

kill "$LBD_PID"
for i in $(seq 1 50); do kill -0 "$LBD_PID" 2>/dev/null || break; sleep 0.1; done
check "no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error' $T/lbd.log"
check "clean stop" grep -q 'lbd stopped' "$T/lbd.log"
finish
