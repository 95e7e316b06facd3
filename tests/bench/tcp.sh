#!/usr/bin/env bash
# tcp.sh - lbd vs HAProxy in mode tcp, same run, same backend, interleaved.
#  1. short connections: wrk with "Connection: close" through each proxy to
#     nginx (a new proxied TCP connection per request) - requests/s, p99;
#  2. keep-alive: wrk over long-lived proxied connections - requests/s, p99;
#  3. bulk: iperf3 through each proxy and direct - Gbit/s.
# Both proxies run one thread. Rounds alternate lbd/HAProxy so drift on
# this shared machine hits both alike. Bounded: DUR seconds per run.
# Usage: tests/bench/tcp.sh [ROUNDS] [DUR]   (needs a built lbd: build/ or LBD=)
set -euo pipefail
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
ROUNDS=${1:-3}
DUR=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
LBD=${LBD:-$HERE/../../build/lbd/lbd}
T=$(mktemp -d /tmp/lbkit-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.2; rm -rf "$T"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
waitp() { for i in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

PN=$(port); PL=$(port); PH=$(port); PI=$(port); PLI=$(port); PHI=$(port)
mkdir -p "$T/www"; head -c 612 /dev/zero | tr '\0' 'x' > "$T/www/index.html"
cat > "$T/nginx.conf" <<CFG
worker_processes 1;
pid $T/nginx.pid;
error_log $T/nginx.err;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$PN reuseport backlog=4096; root $T/www; }
}
CFG
nginx -c "$T/nginx.conf" -g 'daemon off;' & PIDS+=($!)
iperf3 -s -B 127.0.0.1 -p "$PI" >/dev/null 2>&1 & PIDS+=($!)

common="defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend web
    bind 127.0.0.1:%s
    default_backend web
frontend bulk
    bind 127.0.0.1:%s
    default_backend bulk
backend web
    server n1 127.0.0.1:$PN
backend bulk
    server i1 127.0.0.1:$PI
"
printf "global\n    maxconn 8000\n    nbthread 1\n$common" "$PL" "$PLI" > "$T/lbd.cfg"
printf "global\n    maxconn 8000\n    nbthread 1\n$common" "$PH" "$PHI" > "$T/haproxy.cfg"
"$LBD" -f "$T/lbd.cfg" -R "$T" 2>"$T/lbd.err" & PIDS+=($!)
haproxy -f "$T/haproxy.cfg" -db 2>"$T/haproxy.err" & PIDS+=($!)
waitp "$PN"; waitp "$PL"; waitp "$PH"; waitp "$PI"

# wrk_run PORT EXTRA... -> "rps p99ms"
wrk_run() {
  local p=$1; shift
  wrk -t1 -c50 -d"${DUR}s" --latency "$@" "http://127.0.0.1:$p/" 2>&1 | awk '
    /Requests\/sec/ {rps=$2}
    /^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; p99=v}
    END {printf "%.0f %.2f\n", rps, p99}'
}
iperf_run() { iperf3 -c 127.0.0.1 -p "$1" -t "$DUR" -J 2>/dev/null | python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))'; }

declare -A sum
add() { sum[$1]=$(python3 -c "print(${sum[$1]:-0} + $2)"); }
printf "%-6s %-10s %12s %9s %12s %9s\n" round test lbd_rps lbd_p99 haproxy_rps hap_p99
for r in $(seq 1 "$ROUNDS"); do
  for mode in close keepalive; do
    extra=(); [ "$mode" = close ] && extra=(-H "Connection: close")
    read -r lr lp < <(wrk_run "$PL" "${extra[@]}")
    read -r hr hp < <(wrk_run "$PH" "${extra[@]}")
    printf "%-6s %-10s %12s %9s %12s %9s\n" "$r" "$mode" "$lr" "$lp" "$hr" "$hp"
    add "l_$mode" "$lr"; add "h_$mode" "$hr"
  done
  lb=$(iperf_run "$PLI"); hb=$(iperf_run "$PHI"); db=$(iperf_run "$PI")
  printf "%-6s %-10s %12s %9s %12s %9s   direct %s Gbit/s\n" "$r" bulk "${lb}G" - "${hb}G" - "$db"
  add l_bulk "$lb"; add h_bulk "$hb"; add d_bulk "$db"
done
echo
for mode in close keepalive bulk; do
  python3 -c "
l=${sum[l_$mode]}; h=${sum[h_$mode]}
print('%-10s lbd/HAProxy = %.2f' % ('$mode', l/h))"
done
python3 -c "print('bulk       lbd/direct  = %.2f' % (${sum[l_bulk]}/${sum[d_bulk]}))"
