#!/usr/bin/env bash
# Random clients (fixed seeds) against lbd under the sanitizers: pipelined
# and split requests, bodies both framings, garbage, truncation, early
# departures, upgrades. Every valid request is answered, lbd survives, and
# its log shows no sanitizer report.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"

P=$(free_port); B1=$(free_port); B2=$(free_port)
start_backend "$B1" b1
start_backend "$B2" b2
cat > "$T/lbd.cfg" <<CFG
defaults
    mode http
    timeout connect 1s
    timeout client 3s
    timeout server 3s
    timeout http-request 2s
frontend fe
    bind 127.0.0.1:$P
    default_backend be
backend be
    server b1 127.0.0.1:$B1
    server b2 127.0.0.1:$B2
CFG
start_lbd "$T/lbd.cfg"

for seed in 1 2 3; do
  out=$("$PY" "$(dirname "$0")/chaos.py" "$P" 300 "$seed" 2>&1 || true)
  check "seed $seed: every valid request answered ($out)" bash -c "echo '$out' | grep -q '^ok '"
done
check "lbd still running" kill -0 "$LBD_PID"
last=$(curl -s "http://127.0.0.1:$P/last")
check "lbd still serves ($last)" bash -c "echo '$last' | grep -qE '^b[12] GET /last$'"
kill "$LBD_PID"
for i in $(seq 1 50); do kill -0 "$LBD_PID" 2>/dev/null || break; sleep 0.1; done
check "no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error' $T/lbd.log"
check "clean stop" grep -q 'lbd stopped' "$T/lbd.log"

finish
