#!/usr/bin/env bash
# The lab's experiment 4 end to end (deploy/lab/lab up 4: two web servers
# with the shop, a Galera cluster of two nodes + garbd, lbd/checkd/vrrpd on
# four load balancers, a web VIP and a DB VIP), with a user adding items
# through the web VIP while the test kills, one after the other, lb1's lbd,
# lb1's node (link down), a web server and a database node, and heals each.
# Checked: the user's session survives every step (no new login), the shop
# answers again after each fault by itself, and every item whose add was
# acknowledged is in the database on both Galera nodes afterwards. Prints
# a table: per fault, failed requests and the longest run of failures.
source "$(dirname "$0")/../lib.sh"
need_root
command -v mariadbd >/dev/null && [ -e /usr/lib/galera/libgalera_smm.so ] && command -v garbd >/dev/null || {
  echo "FAIL - mariadb-server, galera-4, galera-arbitrator-4 needed (scripts/deps.sh)"; exit 1; }
SRC=${LK_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}
export LAB_PREFIX="lkf$$" LAB_STATE="/run/lbkit-lab-lkf$$" LBD CHECKD VRRPD
LAB=$SRC/deploy/lab/lab
lab_down() { "$LAB" down > /dev/null 2>&1 || true; }
trap 'lab_down; lk_cleanup' EXIT
PY=/usr/bin/python3
NET=10.213.0

t0=$(date +%s%N)
if ! "$LAB" up 4 > "$T/up.log" 2>&1; then
  fail "lab up 4: $(tail -3 "$T/up.log")"; finish; exit 1
fi
ok "lab up 4 ($((($(date +%s%N) - t0) / 1000000)) ms)"
"$LAB" status > "$T/status0.txt"; cat "$T/status0.txt" | grep -v '^    '
check "web VIP on lb1, DB VIP on lb3" grep -q "web VIP $NET.200: lb1" "$T/status0.txt"
check "DB VIP on lb3" grep -q "DB VIP  $NET.250: lb3" "$T/status0.txt"
check "Galera: 2 nodes + garbd in the primary component" grep -q "db1: .*wsrep_cluster_size=3 wsrep_cluster_status=Primary" "$T/status0.txt"

ip netns exec "$LAB_PREFIX-client" $PY "$(dirname "$0")/writer.py" "http://$NET.200" \
  demo@lab.example demo-pw 50 0.05 "$T/acked" "$T/requests.log" > "$T/writer.json" 2>"$T/writer.err" &
WPID=$!
mark() { echo "$(date +%s.%N | cut -c1-14) $1" >> "$T/phases"; }
step() { # SECONDS CMD...: run a lab command, then let the shop run for SECONDS
  local s=$1; shift
  mark "$*"; "$LAB" "$@" > /dev/null; sleep "$s"
}
sleep 3
step 4 kill lbd@lb1;  step 3 heal lbd@lb1
step 6 kill node lb1; step 4 heal node lb1
step 4 kill web1;     step 3 heal web1
step 8 kill db1;      step 10 heal db1
mark end
wait "$WPID" || true
cat "$T/writer.json"
out=$(cat "$T/writer.json")
field() { $PY -c "import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2]))" "$out" "$1"; }
check "the writer ran (>= 200 requests)" test "$(field requests)" -ge 200
expect_eq "the session survived every fault (no new login)" "$(field relogins)" 0

# per fault: failed requests and the longest run of failures
$PY - "$T/phases" "$T/requests.log" <<'PY' | tee "$T/table.txt"
import sys
ph = [l.split(" ", 1) for l in open(sys.argv[1]).read().splitlines()]
rq = [l.split() for l in open(sys.argv[2]).read().splitlines()]
print("%-18s %8s %8s %14s" % ("fault", "requests", "failed", "longest_out_ms"))
for (t0, name), (t1, _) in zip(ph, ph[1:]):
    rs = [(float(t), g == "1") for t, g, _ in rq if float(t0) <= float(t) < float(t1)]
    longest, start = 0.0, None
    for t, good in rs:
        if not good and start is None: start = t
        if good and start is not None: longest = max(longest, t - start); start = None
    if start is not None: longest = max(longest, float(t1) - start)
    print("%-18s %8d %8d %14.0f" % (name, len(rs), sum(1 for _, g in rs if not g), longest * 1000))
PY
tail5=$(tail -n 20 "$T/requests.log" | awk '{s+=$2} END {print s}')
expect_eq "the shop answers again after the last heal (last 20 requests ok)" "$tail5" 20

# every acknowledged add is on both Galera nodes
sql() { ip netns exec "$LAB_PREFIX-$1" mariadb --no-defaults -S "$LAB_STATE/$1/mysqld.sock" -u root -N -B -e "$2"; }
for i in $(seq 1 100); do
  [ "$(sql db1 "SHOW STATUS LIKE 'wsrep_local_state_comment'" | cut -f2)" = Synced ] && break; sleep 0.2
done
acked=$(wc -l < "$T/acked")
for db in db1 db2; do
  sql "$db" "SELECT tipo FROM carrinho.compras" | sort > "$T/$db.items"
  missing=$(comm -23 <(sort "$T/acked") "$T/$db.items" | wc -l)
  expect_eq "$db has every acknowledged item ($acked)" "$missing" 0
done
finish
