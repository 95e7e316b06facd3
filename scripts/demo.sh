#!/usr/bin/env bash
# Install, build and start lbd on its built-in config in front of two demo
# web servers on loopback (ports 8081, 8082), listening on 127.0.0.1:8080.
# Ctrl-C stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
# the built-in configuration uses fixed ports: say so instead of answering
# from whatever else holds them
port_busy() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
busy=()
for port in 8080 8081 8082; do port_busy "$port" && busy+=("$port"); done
if [ ${#busy[@]} -gt 0 ]; then
  for port in "${busy[@]}"; do
    echo "demo: port $port is already in use (ss -ltnp 'sport = :$port' shows by whom)" >&2
  done
  echo "demo: the demo needs 8080, 8081 and 8082 free; nothing was started" >&2
  exit 1
fi
./scripts/deps.sh
./scripts/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo
# up PORT PID WHAT: wait (at most 5 s) until PID listens on PORT
up() {
  local i
  for i in $(seq 1 50); do
    kill -0 "$2" 2>/dev/null || { echo "demo: $3 exited at start (log: $demo/$3.log):" >&2;
      cat "$demo/$3.log" >&2; exit 1; }
    port_busy "$1" && return 0
    sleep 0.1
  done
  echo "demo: $3 is not listening on 127.0.0.1:$1 after 5 s; its log:" >&2
  cat "$demo/$3.log" >&2
  exit 1
}
demo=$(mktemp -d /tmp/lbkit-demo.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$demo"; }
trap cleanup EXIT INT TERM
for n in 1 2; do
  mkdir -p "$demo/web$n"
  echo "hello from demo server $n (port 808$n)" > "$demo/web$n/index.html"
  python3 -m http.server "808$n" --bind 127.0.0.1 --directory "$demo/web$n" >"$demo/web$n.log" 2>&1 &
  pids+=($!)
  up "808$n" "$!" "web$n"
done
./build/lbd/lbd -R "$demo" 2> >(tee "$demo/lbd.log" >&2) &
pids+=($!)
up 8080 "$!" lbd
for n in 1 2; do
  curl -sf -m 2 "http://127.0.0.1:808$n/" | grep -q "demo server $n" ||
    { echo "demo: web$n on 127.0.0.1:808$n does not answer with its page" >&2; exit 1; }
done
cat <<TXT

lbd is running (pid ${pids[2]}) on its built-in configuration:
  connect to   http://127.0.0.1:8080/      (try: curl http://127.0.0.1:8080/ twice)
  admin socket $demo/lbd.sock  (try: echo 'show health' | socat - UNIX-CONNECT:$demo/lbd.sock)
Press Ctrl-C to stop.
TXT
wait "${pids[2]}"
