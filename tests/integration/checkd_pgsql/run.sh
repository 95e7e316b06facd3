#!/usr/bin/env bash
# option pgsql-check user U against a real PostgreSQL, side by side with
# HAProxy 2.6: a known role (trust) is UP with "PostgreSQL server is ok", an
# unknown role gets the server's ErrorResponse, a stopped server L4CON. A
# recorder then checks that lbkit sends HAProxy's StartupMessage byte for
# byte, and redis-check and ssl-hello-chk their bytes too.
# Root: PostgreSQL runs as its own user (as MariaDB in checkd_galera).
source ../lib.sh
need_root
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/postgres" ] && command -v haproxy >/dev/null || { echo "SKIP: postgresql or haproxy missing"; exit 77; }
PG=$(free_port) DEAD=$(free_port) REC=$(free_port)
mkdir -p "$T/pg" "$T/run" "$T/rec"
chown postgres "$T/pg"
chmod 755 "$T"
runuser -u postgres -- "$PGBIN/initdb" -D "$T/pg/data" -A trust -U postgres >"$T/initdb.log" 2>&1
# a role the server turns away: its ErrorResponse is what the check reports
sed -i '1i host all nobody_here 127.0.0.1/32 reject' "$T/pg/data/pg_hba.conf"
runuser -u postgres -- "$PGBIN/postgres" -D "$T/pg/data" -k "$T/pg" -p "$PG" \
  -c listen_addresses=127.0.0.1 >"$T/pg.log" 2>&1 &
LK_PIDS+=($!)
wait_listen "$PG" 20
runuser -u postgres -- "$PGBIN/psql" -h 127.0.0.1 -p "$PG" -U postgres -qc \
  "CREATE ROLE haproxy_check LOGIN" >/dev/null

backends() {
cat <<CFG
backend pg
    option pgsql-check user haproxy_check
    server ok 127.0.0.1:$PG $1
    server dead 127.0.0.1:$DEAD $1
backend pg_norole
    option pgsql-check user nobody_here
    server pg 127.0.0.1:$PG $1
CFG
}
head='defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 700ms'
printf 'global\n    stats socket %s level admin\n%s\n%s\n' "$T/ha.sock" "$head" \
  "$(backends 'check inter 300 rise 1 fall 1')" > "$T/ha.cfg"
printf 'global\n    checkd socket %s\n%s\n%s\n' "$T/run/checkd.sock" "$head" \
  "$(backends 'check inter 300 rise 1 fall 1')" > "$T/lbd.cfg"
check "lbd -c accepts option pgsql-check" "$LBD" -c -f "$T/lbd.cfg"
start_pair
sleep 1.5
pair_snapshot
python3 - "$T/ha.csv" "$T/ck.json" > "$T/cmp.txt" <<'PY'
import sys
sys.path.insert(0, "..")
from pairstat import ha_servers, ck_targets, same_info
ha, ck = ha_servers(sys.argv[1]), ck_targets(sys.argv[2])
for id, h in ha.items():
    c, hs = ck[id], h["check_status"].lstrip("* ")
    print(id, hs, "==", c["result"], "|", h["last_chk"], "|", c["reason"],
          "OK" if hs == c["result"] and same_info(h, c) else "DIFF")
PY
cat "$T/cmp.txt"
expect_eq "3 servers, each as HAProxy reports it" "$(grep -c ' OK$' "$T/cmp.txt")" 3
expect_eq "known role: UP" "$(grep '^pg/ok ' "$T/cmp.txt" | cut -d' ' -f2,4)" "L7OK L7OK"
check "a role pg_hba.conf rejects: the server's error" grep -q '^pg_norole/pg L7RSP == L7RSP' "$T/cmp.txt"

# the bytes each sends, seen by a recorder in place of the server
cat > "$T/rec.py" <<'PY'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4)
c, _ = s.accept(); c.settimeout(0.5); data = b""
try:
    while True:
        d = c.recv(4096)
        if not d: break
        data += d
except Exception: pass
open(sys.argv[2], "wb").write(data)
PY
record() { # NAME OPTION: what haproxy and lbd+checkd send first, in rec/NAME.{ha,lb}
  local d r
  for side in ha lb; do
    python3 "$T/rec.py" "$REC" "$T/rec/$1.$side" & r=$!; LK_PIDS+=($r)
    wait_listen "$REC"
    # HAProxy needs a listener to run: its stats socket
    printf 'global\n    checkd socket %s\n%s\nbackend b_%s\n    %s\n    server s 127.0.0.1:%s check inter 200\n' \
      "$T/run/checkd.sock" "$head" "$1" "$2" "$REC" > "$T/rec/$1.cfg"
    if [ "$side" = ha ]; then
      sed -i "s|checkd socket .*|stats socket $T/rec/$1.sock|" "$T/rec/$1.cfg"
      haproxy -f "$T/rec/$1.cfg" 2>/dev/null & d=$!
    else
      "$LBD" -f "$T/rec/$1.cfg" -R "$T/rec/run.$1" 2>/dev/null & d=$!
    fi
    LK_PIDS+=($d)
    for _ in $(seq 100); do if ! kill -0 "$r" 2>/dev/null; then break; fi; sleep 0.05; done
    kill "$d" "$r" 2>/dev/null || true
    wait "$d" "$r" 2>/dev/null || true
  done
  # checkd keeps a target lbd registered after lbd goes (fail-static)
  echo "unregister b_$1/s" | socat -t 2 - "UNIX-CONNECT:$T/run/checkd.sock" >/dev/null
}
same() { # NAME [FROM TO]: identical but for bytes [FROM, TO)
  python3 - "$T/rec/$1.ha" "$T/rec/$1.lb" "${2:-0}" "${3:-0}" <<'PY'
import sys
a, b = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
lo, hi = int(sys.argv[3]), int(sys.argv[4])
print("  haproxy %s\n  lbkit   %s" % (a.hex(), b.hex()))
sys.exit(0 if a and len(a) == len(b) and a[:lo] + a[hi:] == b[:lo] + b[hi:] else 1)
PY
}
record pgsql "option pgsql-check user haproxy_check"
check "pgsql-check: HAProxy's StartupMessage, byte for byte" same pgsql
record redis "option redis-check"
check "redis-check: HAProxy's PING, byte for byte" same redis
record tls "option ssl-hello-chk"
# bytes 11-42 are gmt_unix_time and the random, each sender's own
check "ssl-hello-chk: HAProxy's ClientHello but for time and random" same tls 11 43
finish
