#!/usr/bin/env bash
# HAProxy's port ranges and port mapping, mode tcp (the iRODS-style file
# of the corpus): "bind ADDR:P1-P2" listens on every port of the range, and
# a server written without a port sends each connection to the port the
# client connected to ("127.0.0.2"), or to it plus an offset
# ("127.0.0.2:+N" / ":-N"), a name ("localhost:+N"), and in mode http too
# (each request to the port its client connected to, a client connection's
# requests on one server connection). A server without a port is checked
# on its 'port N' or on the port of a first 'tcp-check connect port N'.
# lbd and HAProxy 2.6 side by side on the same ports of two loopback
# addresses (lbd 127.0.0.1, HAProxy 127.0.0.3); each backend port answers
# with its own number. Then the refusals: a check with no port to go to
# (HAProxy's own error), a reversed range. No root.
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
H=$(free_range) # mode http: the frontends' and the backend's ports
D=$(free_range) # by name: the frontends' ports
E=$(free_range) # by name: the backend's, on localhost (127.0.0.1 and ::1)
for r in "$H" "$D" "$E"; do
  for o in "$B" "$C" "$H" "$D" "$E"; do
    [ "$r" = "$o" ] || [ $((r - o)) -ge 3 ] || [ $((o - r)) -ge 3 ] ||
      { echo "SKIP: no disjoint port ranges"; exit 77; }
  done
done
[ "$D" != "$E" ] || { echo "SKIP: no disjoint port ranges"; exit 77; }
NOFF=$((E - D))
NSIGN=$([ $NOFF -ge 0 ] && echo "+$NOFF" || echo "$NOFF")

# each backend port answers its own number and closes; the HTTP ones answer
# "PORT CONN" to each request of a keep-alive connection (CONN counts the
# connections that port accepted)
cat >"$T/ports.py" <<'PY'
import asyncio, sys
b, hb, e = (int(a) for a in sys.argv[1:4])
async def main():
    async def serve(host, port):
        async def h(r, w):
            w.write(b"%d\n" % port); await w.drain(); w.close()
        return await asyncio.start_server(h, host, port)
    async def serve_http(port):
        n = [0]
        async def h(r, w):
            n[0] += 1
            conn = n[0]
            try:
                while True:
                    head = await r.readuntil(b"\r\n\r\n")
                    body = b"%d %d\n" % (port, conn)
                    w.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                    await w.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                w.close()
        return await asyncio.start_server(h, "127.0.0.2", port)
    srvs = [await serve("127.0.0.2", b + i) for i in range(3)]
    srvs += [await serve_http(hb + i) for i in range(3)]
    srvs += [await serve(a, e + i) for i in range(3) for a in ("127.0.0.1", "::1")]
    await asyncio.sleep(280)
asyncio.run(main())
PY
bg python3 "$T/ports.py" "$B" "$H" "$E"
for i in 0 1 2; do wait_listen $((B + i)); wait_listen $((H + i)); wait_listen $((E + i)); done

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
frontend named
    bind $1:$D-$((D + 2))
    default_backend named
backend named
    option tcp-check
    tcp-check connect port $E
    server n localhost:$NSIGN check inter 500
frontend web
    mode http
    bind $1:$H-$((H + 2))
    default_backend web
backend web
    mode http
    server s 127.0.0.2
CFG
}
mkdir -p "$T/run"
bg "$CHECKD" -R "$T/run" 2>"$T/checkd.log"
wait_sock "$T/run/checkd.sock"
config 127.0.0.1 "checkd socket $T/run/checkd.sock" >"$T/lbd.cfg"
config 127.0.0.3 >"$T/ha.cfg"
beside_haproxy "$B" "$C" "$D" "$H"
# every listener of both ranges, on each one's own address
for a in 127.0.0.1 127.0.0.3; do
  for p in $B $((B + 1)) $((B + 2)) $C $((C + 1)) $((C + 2)) $D $((D + 2)) $H $((H + 2)); do
    for _ in $(seq 1 100); do [ -n "$(ss -Hltn "src $a:$p")" ] && break; sleep 0.05; done
  done
done
# the checked server: its checks go to "port $B" (UP), the traffic is mapped
for _ in $(seq 1 50); do
  echo "show stat" | socat -t 2 - "UNIX-CONNECT:$T/lbdrun/lbd.sock" 2>/dev/null | lk_grepq '^shifted,s,.*,UP' && break
  sleep 0.1
done
stat=$(echo "show stat" | socat -t 2 - "UNIX-CONNECT:$T/lbdrun/lbd.sock" 2>/dev/null)
check "the mapped server's check (port $B) finds it UP" grep -q '^shifted,s,.*,UP' <<<"$stat"
for _ in $(seq 1 50); do
  grep -q '^named,n,.*,UP' <<<"$stat" && break
  sleep 0.1
  stat=$(echo "show stat" | socat -t 2 - "UNIX-CONNECT:$T/lbdrun/lbd.sock" 2>/dev/null)
done
check "the named server's check (tcp-check connect port $E) finds it UP" grep -q '^named,n,.*,UP' <<<"$stat"

# read only: a client that half-closes at once races HAProxy, which may drop
# the connection before connecting to the server
got() { timeout 5 socat -u "TCP:$1:$2" STDOUT 2>/dev/null | tr -d "\r\n"; }
for i in 0 1 2; do
  check "range: lbd listens on $((B + i))" test -n "$(ss -Hltn "src 127.0.0.1:$((B + i))")"
  expect_eq "no port: lbd $((B + i)) -> the backend's $((B + i))" "$(got 127.0.0.1 $((B + i)))" $((B + i))
  expect_eq "no port: HAProxy $((B + i)) -> the backend's $((B + i))" "$(got 127.0.0.3 $((B + i)))" $((B + i))
  expect_eq "$SIGN: lbd $((C + i)) -> the backend's $((B + i))" "$(got 127.0.0.1 $((C + i)))" $((B + i))
  expect_eq "$SIGN: HAProxy $((C + i)) -> the backend's $((B + i))" "$(got 127.0.0.3 $((C + i)))" $((B + i))
  expect_eq "localhost$NSIGN: lbd $((D + i)) -> the backend's $((E + i))" "$(got 127.0.0.1 $((D + i)))" $((E + i))
  expect_eq "localhost$NSIGN: HAProxy $((D + i)) -> the backend's $((E + i))" "$(got 127.0.0.3 $((D + i)))" $((E + i))
done
# mode http: two requests on one client connection, to each port of the
# range; both go to the client's port, for lbd as for HAProxy. lbd sends
# them on one server connection (the connection number is the same twice);
# HAProxy 2.6 does so or opens a second one (seen: 1 or 2), so its number
# is printed, not compared.
two() { curl -s --max-time 5 "http://$1:$2/a" "http://$1:$2/b" | awk '{print $1}' | xargs; }
conns() { curl -s --max-time 5 "http://$1:$2/a" "http://$1:$2/b" | awk '{print $2}' | sort -u | wc -l; }
for i in 0 1 2; do
  expect_eq "mode http, no port: lbd $((H + i)) -> the backend's $((H + i)) twice" \
    "$(two 127.0.0.1 $((H + i)))" "$((H + i)) $((H + i))"
  expect_eq "mode http, no port: HAProxy $((H + i)) -> the backend's $((H + i)) twice" \
    "$(two 127.0.0.3 $((H + i)))" "$((H + i)) $((H + i))"
  expect_eq "mode http: lbd sends a client connection's requests on one server connection" \
    "$(conns 127.0.0.1 $((H + i)))" 1
  echo "# mode http: HAProxy used $(conns 127.0.0.3 $((H + i))) server connection(s) for two requests"
done

# refusals
printf 'defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\nbackend b\n  server s 127.0.0.2 check\nlisten l\n  bind 127.0.0.1:%s\n  server t 127.0.0.2\n' \
  "$(free_port)" >"$T/nochk.cfg"
check "HAProxy refuses a check with no port" bash -c "! haproxy -c -f '$T/nochk.cfg' >/dev/null 2>&1"
out=$("$LBD" -c -f "$T/nochk.cfg" 2>&1) && rc=0 || rc=$?
check "lbd refuses a check with no port at its line ($out)" \
  grep -q "nochk.cfg:7: backend 'b': server 's' has neither service port nor check port" <<<"$out"
printf 'backend c2\n  option tcp-check\n  tcp-check send PING\\r\\n\n  tcp-check connect port 81\n  server s 127.0.0.2 check\n' \
  >"$T/lateport.cfg"
cat "$T/nochk.cfg" | sed '/^backend b/,$d' >"$T/head.cfg"
cat "$T/head.cfg" "$T/lateport.cfg" >"$T/late.cfg"
check "HAProxy refuses a connect port that is not the first rule" bash -c "! haproxy -c -f '$T/late.cfg' >/dev/null 2>&1"
out=$("$LBD" -c -f "$T/late.cfg" 2>&1) && rc=0 || rc=$?
check "so does lbd, at the server's line ($out)" grep -q "late.cfg:10: backend 'c2': server 's' has neither" <<<"$out"
printf 'frontend f\n  mode tcp\n  bind 127.0.0.1:30010-30001\n' >"$T/rev.cfg"
out=$("$LBD" -c -f "$T/rev.cfg" 2>&1) && rc=0 || rc=$?
check "lbd refuses a reversed range ($out)" grep -q "rev.cfg:3: bind: invalid port range" <<<"$out"
[ "$LK_FAILS" -eq 0 ] || tail -5 "$T/lbd.log" "$T/ha.log"
finish
