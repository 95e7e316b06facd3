#!/usr/bin/env bash
# http.sh - lbd against HAProxy in mode http, same machine, same nginx
# backend, one proxy thread each: wrk with keep-alive and with
# "Connection: close", runs interleaved (lbd, haproxy, lbd, ...) over
# ROUNDS rounds of DURATION each. Prints requests/s and p99 latency per run,
# the medians, and the lbd/HAProxy ratio.
#
# usage: tests/bench/http.sh [ROUNDS] [DURATION]
# env:   LBD (default: build-bench/lbd/lbd, built RelWithDebInfo if absent),
#        CONNS (wrk connections, 50), THREADS (wrk threads, 1).
# Loopback only; every process it starts is stopped on exit.
set -euo pipefail
ROUNDS=${1:-3}
DURATION=${2:-5s}
CONNS=${CONNS:-50}
THREADS=${THREADS:-1}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
LBD=${LBD:-$SRC/build-bench/lbd/lbd}
if [ ! -x "$LBD" ]; then
  cmake -S "$SRC" -B "$SRC/build-bench" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  make -C "$SRC/build-bench" -j2 lbd >/dev/null
fi
for t in wrk haproxy nginx; do
  command -v "$t" >/dev/null || { echo "bench: $t is missing (scripts/deps.sh)" >&2; exit 1; }
done

T=$(mktemp -d /tmp/lbkit-bench.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.2
  if [ -n "${KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  local i
  for i in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
  echo "bench: nothing listens on $1" >&2; return 1
}

N=$(port); PL=$(port); PH=$(port)
cat > "$T/nginx.conf" <<NGX
worker_processes 1;
daemon off;
pid $T/nginx.pid;
error_log $T/nginx.err;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $T/b; proxy_temp_path $T/p; fastcgi_temp_path $T/f;
  uwsgi_temp_path $T/u; scgi_temp_path $T/s;
  server { listen 127.0.0.1:$N; location / { return 200 "hello world, this is a small page\n"; } }
}
NGX
COMMON="    timeout connect 2s
    timeout client 30s
    timeout server 30s"
cat > "$T/lbd.cfg" <<CFG
global
    nbthread 1
    maxconn 8000
defaults
    mode http
$COMMON
frontend fe
    bind 127.0.0.1:$PL
    default_backend be
backend be
    server web 127.0.0.1:$N
CFG
cat > "$T/haproxy.cfg" <<CFG
global
    nbthread 1
    maxconn 8000
defaults
    mode http
$COMMON
frontend fe
    bind 127.0.0.1:$PH
    default_backend be
backend be
    http-reuse safe
    server web 127.0.0.1:$N
CFG
nginx -c "$T/nginx.conf" -p "$T" & PIDS+=($!)
"$LBD" -f "$T/lbd.cfg" -R "$T" 2>"$T/lbd.err" & PIDS+=($!)
haproxy -f "$T/haproxy.cfg" -db 2>"$T/haproxy.err" & PIDS+=($!)
wait_port "$N"; wait_port "$PL"; wait_port "$PH"

# run NAME PORT MODE -> "reqs p99ms" (and the raw wrk output in $T)
run() {
  local hdr=() out
  [ "$3" = close ] && hdr=(-H "Connection: close")
  out=$T/wrk-$1-$3-$r
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "${hdr[@]}" "http://127.0.0.1:$2/" > "$out" 2>&1
  if grep -qE 'Non-2xx|Socket errors' "$out"; then
    echo "bench: errors in $1 $3 run:" >&2
    grep -E 'Non-2xx|Socket errors' "$out" >&2
  fi
  awk '/Requests\/sec/ {rps=$2} / 99%/ {v=$2; u=v; gsub(/[0-9.]/,"",u); gsub(/[a-z]/,"",v);
       if (u=="us") v/=1000; else if (u=="s") v*=1000; p99=v}
       END {printf "%d %.2f\n", rps, p99}' "$out"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '%-10s %-6s %-5s %12s %10s\n' proxy mode round req/s p99_ms
for mode in keepalive close; do
  : > "$T/lbd.$mode"; : > "$T/hap.$mode"
  for r in $(seq 1 "$ROUNDS"); do
    read -r rps p99 < <(run lbd "$PL" "$mode")
    printf '%-10s %-6s %-5s %12s %10s\n' lbd "$mode" "$r" "$rps" "$p99"
    echo "$rps $p99" >> "$T/lbd.$mode"
    read -r rps p99 < <(run haproxy "$PH" "$mode")
    printf '%-10s %-6s %-5s %12s %10s\n' haproxy "$mode" "$r" "$rps" "$p99"
    echo "$rps $p99" >> "$T/hap.$mode"
  done
done
echo
printf '%-10s %14s %14s %10s %12s %12s\n' mode lbd_req/s haproxy_req/s ratio lbd_p99_ms hap_p99_ms
for mode in keepalive close; do
  lr=$(awk '{print $1}' "$T/lbd.$mode" | median); hr=$(awk '{print $1}' "$T/hap.$mode" | median)
  lp=$(awk '{print $2}' "$T/lbd.$mode" | median); hp=$(awk '{print $2}' "$T/hap.$mode" | median)
  printf '%-10s %14s %14s %10s %12s %12s\n' "$mode" "$lr" "$hr" \
    "$(awk -v a="$lr" -v b="$hr" 'BEGIN {printf "%.2f", b ? a / b : 0}')" "$lp" "$hp"
done
