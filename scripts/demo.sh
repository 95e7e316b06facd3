#!/usr/bin/env bash
# Install, build and start lbd on its built-in config in front of two demo
# web servers on loopback (ports 8081, 8082), listening on 127.0.0.1:8080.
# Ctrl-C stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo
demo=$(mktemp -d /tmp/lbkit-demo.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$demo"; }
trap cleanup EXIT INT TERM
for n in 1 2; do
  mkdir -p "$demo/web$n"
  echo "hello from demo server $n (port 808$n)" > "$demo/web$n/index.html"
  python3 -m http.server "808$n" --bind 127.0.0.1 --directory "$demo/web$n" >/dev/null 2>&1 &
  pids+=($!)
done
./build/lbd/lbd -R "$demo" &
pids+=($!)
sleep 0.5
cat <<TXT

lbd is running (pid ${pids[2]}) on its built-in configuration:
  connect to   http://127.0.0.1:8080/      (try: curl http://127.0.0.1:8080/ twice)
  admin socket $demo/lbd.sock  (try: echo 'show health' | socat - UNIX-CONNECT:$demo/lbd.sock)
Press Ctrl-C to stop.
TXT
wait "${pids[2]}"
