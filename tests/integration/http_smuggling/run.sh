#!/usr/bin/env bash
# Each request-smuggling class and malformed request, sent raw over a
# socket: lbd answers the right status, closes, and the server behind it
# never sees the request hidden in the message.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"

P=$(free_port); B=$(free_port)
start_backend "$B" origin
cat > "$T/lbd.cfg" <<CFG
defaults
    mode http
    timeout connect 1s
    timeout client 3s
    timeout server 3s
    timeout http-request 3s
frontend fe
    bind 127.0.0.1:$P
    default_backend be
backend be
    server origin 127.0.0.1:$B
CFG
start_lbd "$T/lbd.cfg"

"$PY" "$(dirname "$0")/cases.py" "$P" > "$T/results"
while read -r name got want; do
  expect_eq "$name -> $want" "$got" "$want"
done < "$T/results"
check "the server never saw a smuggled request" bash -c "! grep -q SMUGGLED $T/reqlog"
check "a chunked body hiding a request line is only a body" bash -c \
  "printf 'POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n23\r\nGET /SMUGGLED HTTP/1.1\r\nHost: x\r\n\r\n\r\n0\r\n\r\n' | \"$PY\" $HTTP_TOOLS/raw.py $P | grep -q ' 35 1'"
check "still no smuggled request at the server" bash -c "! grep -q SMUGGLED $T/reqlog"
expect_eq "lbd still serves after all that" \
  "$(curl -s "http://127.0.0.1:$P/ok")" "origin GET /ok"
# the rejected requests are captured for "show errors", as HAProxy does
echo "show errors" | socat -t 2 - "UNIX-CONNECT:$T/run/lbd.sock" > "$T/errors.txt"
n=$(awk '/^Total events captured/ {print $NF}' "$T/errors.txt")
check "show errors counts the rejected requests ($n)" test "${n:-0}" -ge 20
check "show errors shows the last invalid request with its bytes" \
  grep -qE '^\[.*\] frontend [^ ]+ \(#[0-9]+\): invalid request$' "$T/errors.txt"
check "show errors dumps the captured bytes" grep -qE '^  00000  ' "$T/errors.txt"
# and counted in show stat: request errors (ereq) and 4xx responses of the frontend
echo "show stat -1 1 -1" | socat -t 2 - "UNIX-CONNECT:$T/run/lbd.sock" > "$T/stat.csv"
ereq=$(awk -F, '$2=="FRONTEND" {print $13}' "$T/stat.csv"); h4=$(awk -F, '$2=="FRONTEND" {print $43}' "$T/stat.csv")
check "show stat counts the rejected requests as ereq ($ereq)" test "${ereq:-0}" -ge 20
check "show stat counts them as 4xx responses ($h4)" test "${h4:-0}" -ge 20

finish
