#!/usr/bin/env bash
# HAProxy's port ranges and port mapping, mode tcp (the iRODS-style file
# of the corpus): "bind ADDR:P1-P2" listens on every port of the range, and
# a server written without a port sends each connection to the port the
# client connected to ("127.0.0.2"), or to it plus an offset
# ("127.0.0.2:+N" / ":-N"). lbd and HAProxy 2.6 side by side on the same
# ports of two loopback addresses (lbd 127.0.0.1, HAProxy 127.0.0.3); each
# backend port answers with its own number. Then the refusals: a check with
# no port to go to (HAProxy's own error), port mapping in mode http (lbd:
# not supported), a reversed range. No root.
source "$(dirname "$0")/../lib.sh"

# three consecutive ports free on every address
free_range() {
  local b i used
  for _ in $(seq 1 50); do
    b=$((20000 + RANDOM % 12000)) # below the ephemeral ports (32768-)
    used=0
    for i in 0 1 2; do [ -n "$(ss -Hltn "sport = :$((b + i))")" ] && used=1; done
    [ $used = 0 ] && { echo "$b"; return; }
  done
  return 1
}
B=$(free_range)
for _ in $(seq 1 20); do
  C=$(free_range)
  [ $((C - B)) -ge 3 ] || [ $((B - C)) -ge 3 ] && break
done
OFF=$((B - C))
SIGN=$([ $OFF -ge 0 ] && echo "+$OFF" || echo "$OFF")

# each backend port answers its own number and closes
cat >"$T/ports.py" <<'PY'
import asyncio, sys
b = int(sys.argv[1])
async def main():
    async def serve(port):
        async def h(r, w):
            w.write(b"%d\n" % port); await w.drain(); w.close()
        return await asyncio.start_server(h, "127.0.0.2", port)
    srvs = [await serve(b + i) for i in range(3)]
    await asyncio.sleep(280)
asyncio.run(main())
PY
bg python3 "$T/ports.py" "$B"
for i in 0 1 2; do wait_listen $((B + i)); done

config() { # BIND-ADDR [GLOBAL-LINE]
  [ -z "${2:-}" ] || printf 'global\n    %s\n' "$2"
  cat <<CFG
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend same
    bind $1:$B-$((B + 2))
    default_backend same
backend same
    server s 127.0.0.2
frontend shifted
    bind $1:$C-$((C + 2))
    default_backend shifted
backend shifted
    server s 127.0.0.2:$SIGN check port $B inter 500
CFG
}
mkdir -p "$T/run"
bg "$CHECKD" -R "$T/run" 2>"$T/checkd.log"
wait_sock "$T/run/checkd.sock"
config 127.0.0.1 "checkd socket $T/run/checkd.sock" >"$T/lbd.cfg"
config 127.0.0.3 >"$T/ha.cfg"
beside_haproxy "$B" "$C"
# every listener of both ranges, on each one's own address
for a in 127.0.0.1 127.0.0.3; do
  for p in $B $((B + 1)) $((B + 2)) $C $((C + 1)) $((C + 2)); do
    for _ in $(seq 1 100); do [ -n "$(ss -Hltn "src $a:$p")" ] && break; sleep 0.05; done
  done
done
# the checked server: its checks go to "port $B" (UP), the traffic is mapped
for _ in $(seq 1 50); do
  echo "show stat" | socat -t 2 - "UNIX-CONNECT:$T/lbdrun/lbd.sock" 2>/dev/null | grep -q '^shifted,s,.*,UP' && break
  sleep 0.1
done
check "the mapped server's check (port $B) finds it UP" \
  grep -q '^shifted,s,.*,UP' <<<"$(echo "show stat" | socat -t 2 - "UNIX-CONNECT:$T/lbdrun/lbd.sock" 2>/dev/null)"

# read only: a client that half-closes at once races HAProxy, which may drop
# the connection before connecting to the server
got() { timeout 5 socat -u "TCP:$1:$2" STDOUT 2>/dev/null | tr -d "\r\n"; }
for i in 0 1 2; do
  check "range: lbd listens on $((B + i))" test -n "$(ss -Hltn "src 127.0.0.1:$((B + i))")"
  expect_eq "no port: lbd $((B + i)) -> the backend's $((B + i))" "$(got 127.0.0.1 $((B + i)))" $((B + i))
  expect_eq "no port: HAProxy $((B + i)) -> the backend's $((B + i))" "$(got 127.0.0.3 $((B + i)))" $((B + i))
  expect_eq "$SIGN: lbd $((C + i)) -> the backend's $((B + i))" "$(got 127.0.0.1 $((C + i)))" $((B + i))
  expect_eq "$SIGN: HAProxy $((C + i)) -> the backend's $((B + i))" "$(got 127.0.0.3 $((C + i)))" $((B + i))
done

# refusals
printf 'defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\nbackend b\n  server s 127.0.0.2 check\nlisten l\n  bind 127.0.0.1:%s\n  server t 127.0.0.2\n' \
  "$(free_port)" >"$T/nochk.cfg"
check "HAProxy refuses a check with no port" bash -c "! haproxy -c -f '$T/nochk.cfg' >/dev/null 2>&1"
out=$("$LBD" -c -f "$T/nochk.cfg" 2>&1) && rc=0 || rc=$?
check "lbd refuses a check with no port at its line ($out)" \
  grep -q "nochk.cfg:7: backend 'b': server 's' has neither service port nor check port" <<<"$out"
sed 's/mode tcp/mode http/; s/ check$//' "$T/nochk.cfg" >"$T/http.cfg"
out=$("$LBD" -c -f "$T/http.cfg" 2>&1) && rc=0 || rc=$?
check "lbd refuses port mapping in mode http ($out)" \
  grep -q "http.cfg:7: server 's': an address without a port .* mode tcp only" <<<"$out"
printf 'frontend f\n  mode tcp\n  bind 127.0.0.1:30010-30001\n' >"$T/rev.cfg"
out=$("$LBD" -c -f "$T/rev.cfg" 2>&1) && rc=0 || rc=$?
check "lbd refuses a reversed range ($out)" grep -q "rev.cfg:3: bind: invalid port range" <<<"$out"
[ "$LK_FAILS" -eq 0 ] || tail -5 "$T/lbd.log" "$T/ha.log"
finish
