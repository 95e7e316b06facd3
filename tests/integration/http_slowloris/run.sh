#!/usr/bin/env bash
# Slowloris: 200 clients trickle request heads one field at a time. lbd
# keeps serving normal clients at full speed meanwhile, and answers each
# slow one 408 when its "timeout http-request" (2 s) runs out, even though
# each keeps sending within "timeout client".
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"

P=$(free_port); N=$(free_port)
start_nginx "$N" web
cat > "$T/lbd.cfg" <<CFG
global
    maxconn 5000
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout http-request 2s
frontend fe
    bind 127.0.0.1:$P
    default_backend be
backend be
    server web 127.0.0.1:$N
CFG
start_lbd "$T/lbd.cfg"

"$PY" "$(dirname "$0")/slow.py" "$P" 200 0.3 6 > "$T/slow.out" &
SLOW=$!
sleep 0.5
ok_fast=0
for i in $(seq 1 50); do
  t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "http://127.0.0.1:$P/")
  code=${t% *}; secs=${t#* }
  if [ "$code" = 200 ] && awk -v s="$secs" 'BEGIN { exit !(s < 0.5) }'; then
    ok_fast=$((ok_fast + 1))
  fi
done
expect_eq "50 normal requests answered fast during the attack" "$ok_fast" 50
wrk -t1 -c10 -d1s "http://127.0.0.1:$P/" > "$T/wrk.out" 2>&1
check "wrk during the attack: no errors" bash -c "! grep -qE 'Non-2xx|Socket errors' $T/wrk.out"
wait "$SLOW"
read -r n408 still < "$T/slow.out"
expect_eq "every slow client got 408" "$n408" 200
expect_eq "no slow client left open" "$still" 0

finish
