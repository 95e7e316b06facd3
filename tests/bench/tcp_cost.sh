#!/usr/bin/env bash
# tcp_cost.sh - cost per proxied TCP connection, lbd vs HAProxy (one thread
# each, same backend, same client):
#  - user-space instructions per connection with valgrind --tool=callgrind:
#    (I(N2) - I(N1)) / (N2 - N1), so start-up and shutdown cancel out;
#  - syscalls per connection with perf stat -e raw_syscalls:sys_enter
#    (same difference method);
#  - memory per idle connection: RSS growth while C idle connections are
#    held open through the proxy, divided by C.
# Each connection: connect, send 64 bytes, read the 64-byte echo, close.
# MODE=http measures mode http instead: N is then the number of keep-alive
# GET requests on one client connection (the backend answers each with a
# 64-byte body), so the figures are per request.
# Usage: [MODE=http] tests/bench/tcp_cost.sh [N1] [N2] [C]   (defaults 500 1500 2000)
set -euo pipefail
N1=${1:-500}; N2=${2:-1500}; C=${3:-2000}
MODE=${MODE:-tcp}
HERE=$(cd "$(dirname "$0")" && pwd)
LBD=${LBD:-$HERE/../../build/lbd/lbd}
T=$(mktemp -d /tmp/lbkit-cost.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$T"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
waitp() { for i in $(seq 1 1200); do [ -n "$(ss -Hltn "sport = :$1")" ] && return 0; sleep 0.05; done; return 1; }

PB=$(port)
# echo backend: answers every read, holds idle connections
python3 - "$PB" "$MODE" <<'PY' & PIDS+=($!)
import asyncio, sys
RSP = b"HTTP/1.1 200 OK\r\nContent-Length: 64\r\n\r\n" + b"x" * 64
async def h(r, w):
    try:
        while True:
            d = await r.read(65536)
            if not d: break
            if sys.argv[2] == "http":
                w.write(RSP * d.count(b"\r\n\r\n"))
            else:
                w.write(d)
            await w.drain()
    except Exception: pass
    w.close()
async def main():
    s = await asyncio.start_server(h, "127.0.0.1", int(sys.argv[1]), backlog=4096)
    async with s: await s.serve_forever()
asyncio.run(main())
PY
waitp "$PB"

cat > "$T/client.py" <<'PY'
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
msg = b"x" * 64
if len(sys.argv) > 3 and sys.argv[3] == "http":
    s = socket.create_connection(("127.0.0.1", port))
    req = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
    for i in range(n):
        s.sendall(req)
        got = b""
        while not (b"\r\n\r\n" in got and len(got.split(b"\r\n\r\n", 1)[1]) >= 64):
            b = s.recv(4096)
            if not b: raise SystemExit("short read")
            got += b
    s.close()
    raise SystemExit(0)
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(msg)
    got = b""
    while len(got) < 64:
        b = s.recv(64 - len(got))
        if not b: raise SystemExit("short read")
        got += b
    s.close()
PY
cat > "$T/idle.py" <<'PY'
import socket, sys, time
port, n, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
http = len(sys.argv) > 4 and sys.argv[4] == "http"
conns = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    # mode http: one request, then the connection stays open, idle (keep-alive)
    s.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n" if http else b"x" * 64)
    s.recv(4096 if http else 64)
    conns.append(s)
print("ready", flush=True)
time.sleep(hold)
PY

cfg() { printf "global\n    maxconn 8000\n    nbthread 1\ndefaults\n    mode $MODE\n    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\nfrontend f\n    bind 127.0.0.1:%s\n    default_backend b\nbackend b\n    server s 127.0.0.1:$PB\n" "$1"; }

# start_proxy CMD...: sets $pid (a child of this shell, so "wait" works)
start_proxy() { "$@" > "$T/proxy.log" 2>&1 & pid=$!; }
# lbd stops on SIGINT; HAProxy's soft stop (SIGUSR1) also lets callgrind
# write its profile. Bounded: SIGKILL after 60 s.
stop_proxy() {
  local sig=INT i
  grep -q haproxy /proc/$pid/cmdline 2>/dev/null && sig=USR1
  kill -"$sig" "$pid" 2>/dev/null || true
  for i in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

instr() { # $1 name, $2 n
  local p f; p=$(port); f="$T/cg.$1.$2"
  cfg "$p" > "$T/$1.cfg"
  if [ "$1" = lbd ]; then
    start_proxy valgrind --tool=callgrind --callgrind-out-file="$f" "$LBD" -f "$T/$1.cfg" -R "$T"
  else
    start_proxy valgrind --tool=callgrind --callgrind-out-file="$f" haproxy -f "$T/$1.cfg" -db
  fi
  waitp "$p"; python3 "$T/client.py" "$p" "$2" "$MODE"
  stop_proxy
  awk '/^summary:|^totals:/ {print $2; exit}' "$f"
}

sysc() { # $1 name, $2 n
  local p c; p=$(port)
  cfg "$p" > "$T/$1.cfg"
  if [ "$1" = lbd ]; then start_proxy "$LBD" -f "$T/$1.cfg" -R "$T"; else start_proxy haproxy -f "$T/$1.cfg" -db; fi
  waitp "$p"
  perf stat -e raw_syscalls:sys_enter -p "$pid" -x, -o "$T/perf.$1.$2" &
  local perfpid=$!
  sleep 0.3
  python3 "$T/client.py" "$p" "$2" "$MODE"
  kill -INT "$perfpid"; wait "$perfpid" 2>/dev/null || true
  stop_proxy
  awk -F, '/raw_syscalls/ {print $1; exit}' "$T/perf.$1.$2"
}

idle_mem() { # $1 name -> KiB per idle connection
  local p r0 r1; p=$(port)
  cfg "$p" > "$T/$1.cfg"
  if [ "$1" = lbd ]; then start_proxy "$LBD" -f "$T/$1.cfg" -R "$T"; else start_proxy haproxy -f "$T/$1.cfg" -db; fi
  waitp "$p"; sleep 0.3
  python3 "$T/client.py" "$p" 50 "$MODE"   # warm-up: pools and first allocations
  r0=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  python3 "$T/idle.py" "$p" "$C" 3 "$MODE" > "$T/idle.out" &
  local ip=$!
  for i in $(seq 1 200); do grep -q ready "$T/idle.out" 2>/dev/null && break; sleep 0.1; done
  sleep 0.5
  r1=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  wait "$ip" || true
  stop_proxy
  python3 -c "print('%.2f' % (($r1 - $r0) / $C))"
}

unit=conn; [ "$MODE" = http ] && unit=req
printf "%-8s %14s %14s %12s\n" proxy "instr/$unit" "syscalls/$unit" "KiB/idle"
for who in lbd haproxy; do
  i1=$(instr $who "$N1"); i2=$(instr $who "$N2")
  s1=$(sysc $who "$N1"); s2=$(sysc $who "$N2")
  m=$(idle_mem $who)
  ipc=$(( (i2 - i1) / (N2 - N1) )); spc=$(python3 -c "print('%.1f' % (($s2 - $s1) / ($N2 - $N1)))")
  printf "%-8s %14s %14s %12s\n" "$who" "$ipc" "$spc" "$m"
  eval "I_$who=$ipc; S_$who=$spc; M_$who=$m"
done
python3 -c "print('lbd/HAProxy: instructions %.2f, syscalls %.2f, idle memory %.2f' % ($I_lbd/$I_haproxy, $S_lbd/$S_haproxy, $M_lbd/$M_haproxy if $M_haproxy else float('nan')))"
