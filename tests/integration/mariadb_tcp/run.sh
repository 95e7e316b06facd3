#!/usr/bin/env bash
# The lab guide's Figure 2.6 config (addresses moved to loopback) under lbd
# in front of two real mariadbd instances: the mariadb client and
# concurrent writers through lbd, roundrobin spread seen with @@port, then
# leastconn, source and backup behaving as configured.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../mariadb.sh"
need_root
command -v mariadbd >/dev/null || { echo "mariadbd missing: run scripts/deps.sh"; exit 1; }

DB1=$(free_port); DB2=$(free_port); PF=$(free_port)
mdb_start db1 "$DB1"
mdb_start db2 "$DB2"
check "db1 answers directly" test "$(mdb "$DB1" 'select @@port')" = "$DB1"

# Figure 2.6 as written, addresses moved to loopback
write_cfg() { # $1 = balance line, $2 = server options for db2
  cat > "$T/lbd.cfg" <<CFG
global
    log stdout format raw local0
defaults
    log global
    timeout connect 2s
    timeout client 1m
    timeout server 1m

frontend mariadb_cluster_frontend
    bind 127.0.0.1:$PF
    mode tcp
    option tcplog
    default_backend galera_cluster_backend

;; modo TCP
;; utilizando roundrobin entre o mariadb01 e mariadb02
backend galera_cluster_backend
    mode tcp
    option tcpka
    $1
    server mariadb01 127.0.0.1:$DB1 check weight 1
    server mariadb02 127.0.0.1:$DB2 check weight 1 $2
CFG
}
start_lbd() {
  bg "$LBD" -f "$T/lbd.cfg" -R "$T" >> "$T/lbd.log" 2>&1; LBDPID=$!
  wait_port 127.0.0.1 "$PF"
}
stop_lbd() { kill "$LBDPID"; wait "$LBDPID" || true; }

write_cfg "balance roundrobin" ""
check "Figure 2.6 config accepted" "$LBD" -c -f "$T/lbd.cfg"
start_lbd

ports=""
for i in 1 2 3 4 5 6; do ports="$ports $(mdb "$PF" 'select @@port')"; done
# wait_port's probe took the first turn, so either node may come first
alt=" $DB1 $DB2 $DB1 $DB2 $DB1 $DB2"; [ "${ports# }" = "${alt# }" ] || alt=" $DB2 $DB1 $DB2 $DB1 $DB2 $DB1"
expect_eq "roundrobin alternates between the nodes" "$ports" "$alt"

# concurrent writers insert through lbd, then every row is found on the nodes
for w in $(seq 1 8); do
  ( for i in $(seq 1 25); do
      mdb "$PF" "INSERT INTO carrinho.itens (cliente, produto, servidor) VALUES ('c$w', 'p$i', @@port)" || exit 1
    done ) &
  WRITERS+=($!)
done
wrc=0; for p in "${WRITERS[@]}"; do wait "$p" || wrc=1; done
expect_eq "8 concurrent writers x 25 inserts through lbd succeeded" "$wrc" 0
n1=$(mdb "$DB1" 'select count(*) from carrinho.itens'); n2=$(mdb "$DB2" 'select count(*) from carrinho.itens')
expect_eq "all 200 rows stored (db1=$n1 db2=$n2)" "$((n1 + n2))" 200
check "both nodes received writes" test "$n1" -gt 50 -a "$n2" -gt 50
wrong=$(mdb "$DB1" "select count(*) from carrinho.itens where servidor <> $DB1")
expect_eq "rows on db1 were written by db1's sessions" "$wrong" 0
# a longer session keeps its server for all its statements
sess=$(mdb "$PF" "select @@port; select sleep(0.2); select @@port; select count(*) from carrinho.itens" | tr '\n' ' ')
first=$(echo "$sess" | awk '{print $1}'); third=$(echo "$sess" | awk '{print $3}')
expect_eq "one client session stays on one node" "$first" "$third"
check "tcplog lines name the server" grep -qE 'mariadb_cluster_frontend galera_cluster_backend/mariadb0[12] [0-9]+/[0-9]+/[0-9]+ [0-9]+ -- ' "$T/lbd.log"
stop_lbd

# leastconn: a long-held connection on one node sends the next ones to the other
write_cfg "balance leastconn" ""
start_lbd
mdb "$PF" "select sleep(3)" > /dev/null & HOLD=$!
wait_conns "$T/lbd.sock" 1
p1=$(mdb "$PF" 'select @@port'); p2=$(mdb "$PF" 'select @@port')
check "leastconn avoids the node holding a long query ($p1 $p2)" test "$p1" = "$p2"
wait "$HOLD"
stop_lbd

# source: the same client address always lands on the same node
write_cfg "balance source" ""
start_lbd
seen=""
for i in 1 2 3 4 5; do seen="$seen $(mdb "$PF" 'select @@port')"; done
uniq_n=$(echo $seen | tr ' ' '\n' | sort -u | wc -l)
expect_eq "balance source keeps 127.0.0.1 on one node ($seen)" "$uniq_n" 1
stop_lbd

# backup: db2 only takes traffic when db1 is gone
write_cfg "balance roundrobin" "backup"
start_lbd
seen=""
for i in 1 2 3 4; do seen="$seen $(mdb "$PF" 'select @@port')"; done
expect_eq "backup node unused while the active node is up" "$seen" " $DB1 $DB1 $DB1 $DB1"
echo "disable server galera_cluster_backend/mariadb01" | socat - "UNIX-CONNECT:$T/lbd.sock" >/dev/null
expect_eq "backup takes over when the active node is in maintenance" "$(mdb "$PF" 'select @@port')" "$DB2"
echo "enable server galera_cluster_backend/mariadb01" | socat - "UNIX-CONNECT:$T/lbd.sock" >/dev/null
expect_eq "active node back in service" "$(mdb "$PF" 'select @@port')" "$DB1"
# the active node dies: its connect fails and lbd goes to the backup at once
kill -9 "$MDB_PID_db1"
wait "$MDB_PID_db1" 2>/dev/null || true
expect_eq "connect failure on the dead node is retried on the backup" "$(mdb "$PF" 'select @@port')" "$DB2"
stop_lbd
finish
