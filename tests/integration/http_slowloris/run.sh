#!/usr/bin/env bash
# Slowloris: 5,000 clients (SLOW_N) trickle request heads one field at a time. lbd
# keeps serving normal clients at full speed meanwhile, and answers each
# slow one 408 when its "timeout http-request" (2 s) runs out, even though
# each keeps sending within "timeout client".
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"
# 5,000 slow clients, for slow.py and lbd; maxconn above them (at maxconn
# 5000 the slow ones held every slot and a normal client waited for the
# first 408s, 2 s)
ulimit -n 16384
SLOW_N=${SLOW_N:-5000}

P=$(free_port); N=$(free_port)
start_nginx "$N" web
cat > "$T/lbd.cfg" <<CFG
global
    maxconn 10000
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

"$PY" "$(dirname "$0")/slow.py" "$P" "$SLOW_N" 0.3 8 > "$T/slow.out" &
SLOW=$!
sleep 0.5
ok_fast=0 slowest=0
for i in $(seq 1 50); do
  t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "http://127.0.0.1:$P/")
  code=${t% *}; secs=${t#* }
  slowest=$(awk -v a="$slowest" -v b="$secs" 'BEGIN { print (b > a ? b : a) }')
  if [ "$code" = 200 ] && awk -v s="$secs" 'BEGIN { exit !(s < 0.5) }'; then
    ok_fast=$((ok_fast + 1))
  fi
done
expect_eq "50 normal requests answered fast during the attack" "$ok_fast" 50
wrk -t1 -c10 -d1s "http://127.0.0.1:$P/" > "$T/wrk.out" 2>&1
check "wrk during the attack: no errors" bash -c "! grep -qE 'Non-2xx|Socket errors' $T/wrk.out"
wait "$SLOW"
read -r n408 still < "$T/slow.out"
echo "slowloris: $n408 of $SLOW_N slow clients got 408, $still left open; normal clients: $ok_fast of 50 under 0.5 s, slowest $slowest s"
expect_eq "every slow client got 408" "$n408" "$SLOW_N"
expect_eq "no slow client left open" "$still" 0

finish
