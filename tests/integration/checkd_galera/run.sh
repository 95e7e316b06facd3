#!/usr/bin/env bash
# checkd against a real MariaDB with Galera (Debian galera-4, one-node
# cluster with its own datadir, ports and socket under the test's temp dir):
#  - galera probe through Connector/C: Synced -> UP; SET GLOBAL
#    wsrep_desync=ON -> DOWN (Donor/Desynced), OFF -> UP again;
#  - a wrong monitor password -> DOWN with MySQL error 1045;
#  - mysql-check (HAProxy's login) with a known user -> UP, unknown -> 1045;
#  - a TCP server that never speaks -> L7TOUT, one that sends garbage ->
#    L7RSP; checkd keeps running throughout;
#  - lbd in mode tcp with "galera-check user U password P" registers the
#    node, follows the desync, and client queries go through it;
#  - the lab guide's experiment 3 config (plain "check") served by checkd.
source ../lib.sh
need_root
command -v mariadbd >/dev/null && [ -e /usr/lib/galera/libgalera_smm.so ] || {
  echo "SKIP: mariadb-server / galera-4 not installed"; exit 77; }

DBP=$(free_port) GP=$(free_port) SILENT=$(free_port) JUNK=$(free_port) PF=$(free_port)
mkdir -p "$T/run"
cat > "$T/my.cnf" <<CNF
[mysqld]
user=root
datadir=$T/db
socket=$T/db.sock
port=$DBP
bind-address=127.0.0.1
pid-file=$T/db.pid
log-error=$T/db.err
skip-name-resolve
innodb_buffer_pool_size=32M
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=/usr/lib/galera/libgalera_smm.so
wsrep_cluster_address=gcomm://
wsrep_node_address=127.0.0.1
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:$GP"
CNF
mariadb-install-db --defaults-file="$T/my.cnf" --auth-root-authentication-method=normal \
  >"$T/install.log" 2>&1
bg mariadbd --defaults-file="$T/my.cnf" --wsrep-new-cluster
wait_sock "$T/db.sock" 30
sql() { mariadb -S "$T/db.sock" -uroot -N -e "$1"; }
for i in $(seq 1 100); do [ "$(sql "SHOW STATUS LIKE 'wsrep_ready'" | cut -f2)" = ON ] && break; sleep 0.1; done
sql "CREATE USER 'mon'@'127.0.0.1' IDENTIFIED BY 'm0n'; CREATE USER 'haproxy_check'@'127.0.0.1';
     CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'app'; GRANT SELECT ON *.* TO 'app'@'127.0.0.1'"
# a monitoring user with the ed25519 plugin (Connector/C loads its client side)
ED=0
if sql "INSTALL SONAME 'auth_ed25519'" 2>/dev/null &&
   sql "CREATE USER 'mon_ed'@'127.0.0.1' IDENTIFIED VIA ed25519 USING PASSWORD('ed')"; then ED=1; fi

# a server that accepts and never speaks, one that answers garbage
bg python3 -c 'import socket,time,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64); c=[]
while True: c.append(s.accept()[0])' "$SILENT"
bg python3 -c 'import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
while True:
    c=s.accept()[0]
    try: c.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n\x00\xff garbage")
    except OSError: pass
    c.close()' "$JUNK"
wait_port 127.0.0.1 "$SILENT"
wait_port 127.0.0.1 "$JUNK"

cat > "$T/checkd.cfg" <<CFG
spread-checks 0
target db/galera  127.0.0.1:$DBP kind galera user mon password m0n inter 200 fall 2 rise 2
target db/badpw   127.0.0.1:$DBP kind galera user mon password wrong inter 200 fall 1
target db/mysql   127.0.0.1:$DBP kind mysql user haproxy_check inter 200
target db/nouser  127.0.0.1:$DBP kind mysql user nosuch inter 200 fall 1
target db/silent  127.0.0.1:$SILENT kind mysql inter 300 timeout 250ms fall 1
target db/junk    127.0.0.1:$JUNK kind mysql inter 200 fall 1
target db/junkgal 127.0.0.1:$JUNK kind galera user mon password m0n inter 200 timeout 500ms fall 1
CFG
[ "$ED" = 1 ] && echo "target db/ed25519 127.0.0.1:$DBP kind galera user mon_ed password ed inter 200" >> "$T/checkd.cfg"
check "checkd -c accepts the config" "$CHECKD" -c -f "$T/checkd.cfg"
check "lbd -c accepts the galera example" "$LBD" -c -f "${LK_SRC:-../../..}/deploy/examples/lbd-exp3-galera-check.cfg"
bg "$CHECKD" -f "$T/checkd.cfg" -R "$T/run" 2>"$T/checkd.log"
PID_CHECKD=$!
wait_sock "$T/run/checkd.sock"

cksock() { echo "$1" | socat -t 2 - "UNIX-CONNECT:$T/run/checkd.sock"; }
field() { # ID FIELD(json key) from "show health json"
  cksock "show health json" | python3 -c '
import json, sys
snap = json.loads(sys.stdin.readline())
for t in snap["targets"]:
    if t["id"] == sys.argv[1]:
        print(t[sys.argv[2]])' "$1" "$2"
}
wait_field() { # ID FIELD VALUE TIMEOUT_MS
  local start=$(date +%s%3N)
  until [ "$(field "$1" "$2")" = "$3" ]; do
    [ $(($(date +%s%3N) - start)) -gt "$4" ] && return 1
    sleep 0.05
  done
}

check "galera node Synced -> UP" wait_field db/galera state UP 5000
expect_eq "galera result" "$(field db/galera result)/$(field db/galera code)" "L7OK/4"
check "wrong password -> DOWN" wait_field db/badpw state DOWN 5000
expect_eq "wrong password reason" "$(field db/badpw result)/$(field db/badpw code)" "L7STS/1045"
check "mysql-check known user -> UP" wait_field db/mysql result L7OK 5000
check "mysql-check unknown user -> 1045" wait_field db/nouser code 1045 5000
expect_eq "unknown user DOWN" "$(field db/nouser state)" DOWN
check "silent server -> L7TOUT" wait_field db/silent result L7TOUT 5000
expect_eq "silent server DOWN" "$(field db/silent state)" DOWN
check "garbage server -> L7RSP" wait_field db/junk result L7RSP 5000
check "garbage for Connector/C -> DOWN" wait_field db/junkgal state DOWN 5000
echo "# junkgal: $(field db/junkgal result) $(field db/junkgal reason)"
if [ "$ED" = 1 ]; then
  check "ed25519 monitoring user -> UP" wait_field db/ed25519 result L7OK 5000
else
  echo "# ed25519 plugin not available in this server: skipped"
fi

# lbd balancing MariaDB in mode tcp, checks served by checkd
cat > "$T/lbd.cfg" <<CFG
global
    checkd socket $T/run/checkd.sock
defaults
    mode tcp
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout check 1s
frontend mysql_front
    bind 127.0.0.1:$PF
    default_backend mysql_galera
backend mysql_galera
    option tcpka
    galera-check user mon password m0n
    server db1 127.0.0.1:$DBP check inter 200 fall 2 rise 2 on-marked-down shutdown-sessions
# the same node with clustercheck's "available when donor"
backend mysql_donor
    galera-check user mon password m0n allow-donor
    server db1 127.0.0.1:$DBP check inter 200 fall 2 rise 2
CFG
printf 'defaults\n    mode tcp\nbackend b\n    galera-check user mon allow-donor password m0n\n' >"$T/badgal.cfg"
check "galera-check: allow-donor before password refused" bash -c "! '$LBD' -c -f '$T/badgal.cfg' 2>'$T/badgal.err'"
check "galera-check refusal names FILE:LINE" grep -q 'badgal.cfg:4: .*allow-donor' "$T/badgal.err"
bg "$LBD" -f "$T/lbd.cfg" -R "$T/lbdrun" 2>"$T/lbd.log"
wait_port 127.0.0.1 "$PF"
check "lbd registered db1 as galera" wait_field mysql_galera/db1 kind galera 5000
check "db1 UP" wait_field mysql_galera/db1 state UP 5000
expect_eq "query through lbd" "$(mariadb -h127.0.0.1 -P"$PF" -uapp -papp -N -e 'SELECT 40+2')" 42

# desync: DOWN in the feed and in lbd; back to Synced: UP
mkfifo "$T/sub.in"
socat - "UNIX-CONNECT:$T/run/checkd.sock" <"$T/sub.in" >"$T/feed.jsonl" &
LK_PIDS+=($!)
exec 7>"$T/sub.in"
echo subscribe >&7
sleep 0.2
# a client in a long query through lbd: cut when db1 is marked down
mariadb -h127.0.0.1 -P"$PF" -uapp -papp -N -e 'SELECT SLEEP(30)' >"$T/long.out" 2>&1 &
LONG=$!
LK_PIDS+=($LONG)
for i in $(seq 1 100); do # until lbd holds the session
  n=$(echo "show info" | socat -t 2 - "UNIX-CONNECT:$T/lbdrun/lbd.sock" 2>/dev/null | awk '/^CurrConns:/ {print $2}')
  [ "${n:-0}" -ge 1 ] && break
  sleep 0.05
done
t0=$(date +%s%6N)
sql "SET GLOBAL wsrep_desync=ON"
check "desync -> galera DOWN" wait_field db/galera state DOWN 5000
t=$((($(field db/galera change_time) - t0) / 1000))
echo "# desync seen DOWN after $t ms (inter 200 x fall 2)"
check "desync DOWN within inter x (fall + 1) + 0.3 s" test "$t" -le 900
expect_eq "desync reason" "$(field db/galera code)" 2
check "desync -> lbd db1 DOWN" wait_field mysql_galera/db1 state DOWN 5000
sleep 0.6 # three more probes of mysql_donor/db1
expect_eq "desync: galera-check allow-donor keeps db1 UP" "$(field mysql_donor/db1 state)" UP
for i in $(seq 1 40); do grep -q "Server mysql_galera/db1 is DOWN" "$T/lbd.log" && break; sleep 0.05; done
check "lbd applied DOWN" grep -q "Server mysql_galera/db1 is DOWN" "$T/lbd.log"
for i in $(seq 1 100); do kill -0 "$LONG" 2>/dev/null || break; sleep 0.05; done
check "on-marked-down shutdown-sessions cut the long query" bash -c "! kill -0 $LONG 2>/dev/null"
echo "# long query cut $((($(date +%s%6N) - t0) / 1000)) ms after the desync (upper bound, polled)"
check "client saw the connection lost" grep -q -E "2013|Lost connection" "$T/long.out"
sql "SET GLOBAL wsrep_desync=OFF"
check "resync -> galera UP" wait_field db/galera state UP 5000
check "resync -> lbd db1 UP" wait_field mysql_galera/db1 state UP 5000
for i in $(seq 1 40); do grep -q "Server mysql_galera/db1 is UP" "$T/lbd.log" && break; sleep 0.05; done
check "lbd applied UP" grep -q "Server mysql_galera/db1 is UP" "$T/lbd.log"
expect_eq "query through lbd after resync" \
  "$(mariadb -h127.0.0.1 -P"$PF" -uapp -papp -N -e 'SELECT 1')" 1
check "subscriber saw galera DOWN" grep -q '"id":"db/galera"[^}]*"state":"DOWN"[^}]*"code":2' "$T/feed.jsonl"
check "subscriber saw galera UP" grep -q '"prev":"DOWN","target":{"id":"db/galera"[^}]*"state":"UP"' "$T/feed.jsonl"

# the lab guide's experiment 3 (Figure 2.6) as written, addresses replaced,
# plus where checkd listens: plain "check" (tcp) served by checkd;
# mariadb02 is an address where nothing listens
DEAD=$(free_port) PF3=$(free_port)
cat > "$T/exp3.cfg" <<CFG
global
    checkd socket $T/run/checkd.sock
defaults
    timeout connect 1s
    timeout client 30s
    timeout server 30s
frontend mariadb_cluster_frontend
    bind 127.0.0.1:$PF3
    mode tcp
    option tcplog
    default_backend galera_cluster_backend

;; modo TCP
;; utilizando roundrobin entre o mariadb01 e mariadb02
backend galera_cluster_backend
    mode tcp
    option tcpka
    balance roundrobin
    server mariadb01 127.0.0.1:$DBP check weight 1
    server mariadb02 127.0.0.1:$DEAD check weight 1
CFG
bg "$LBD" -f "$T/exp3.cfg" -R "$T/lbd3run" 2>"$T/lbd3.log"
wait_port 127.0.0.1 "$PF3"
check "exp3: mariadb01 UP (tcp via checkd)" wait_field galera_cluster_backend/mariadb01 result L4OK 5000
check "exp3: mariadb02 DOWN (L4CON)" wait_field galera_cluster_backend/mariadb02 result L4CON 5000
for i in $(seq 1 40); do grep -q "Server galera_cluster_backend/mariadb02 is DOWN" "$T/lbd3.log" && break; sleep 0.05; done
ok3=0
for i in $(seq 1 10); do
  [ "$(mariadb -h127.0.0.1 -P"$PF3" -uapp -papp -N -e 'SELECT 7' 2>/dev/null)" = 7 ] && ok3=$((ok3 + 1))
done
expect_eq "exp3: every query answered through lbd" "$ok3" 10
expect_eq "exp3: no connect attempt to the dead node" \
  "$(grep -c 'galera_cluster_backend/mariadb02 .*connect failed' "$T/lbd3.log" || true)" 0

check "checkd still running" kill -0 "$PID_CHECKD"
check "checkd answers" test "$(cksock 'show info' | awk '/^Targets:/ {print $2}')" = $((11 + ED))
check "probes ran without a leak report" test -z "$(grep -i -E 'sanitizer|runtime error' "$T/checkd.log" || true)"
check "no aborted connections from good checks" test "$(grep -c "Aborted connection.*user: 'mon'" "$T/db.err" || true)" = 0
finish
