#!/usr/bin/env bash
# The lab's experiment 4 end to end in a real browser: deploy/lab/lab up 4
# (two web servers with the shop, a Galera cluster of two nodes + garbd,
# lbd/checkd/vrrpd on four load balancers, a web VIP and a DB VIP), and
# headless Chromium (Debian's, driven by playwright-core: browser.js) in
# the client namespace logging in through the web VIP, adding and deleting
# items, while the test kills, one after the other, lb1's lbd, lb1's node
# (link down), a web server, a database node and lb3's lbd (the DB VIP's
# master, under the shop's writes), and heals each.
# Checked: the browser's session (its cookie) survives every step (no new
# login), every action gets done in the end, the shop answers again after
# each fault by itself (before the heal), the VIPs move where they should,
# the longest time without an answer stays within each step's bound; and
# afterwards every item whose add the page showed is in the database on
# both Galera nodes, every item whose delete it showed is on neither, and
# both hold exactly what the browser's last cart page listed. Prints a table
# per step (report.py). LAB_NET picks the lab's /24 (default 10.213.0).
source "$(dirname "$0")/../lib.sh"
need_root
HERE=$(cd "$(dirname "$0")" && pwd)
command -v mariadbd >/dev/null && [ -e /usr/lib/galera/libgalera_smm.so ] && command -v garbd >/dev/null || {
  echo "FAIL - mariadb-server, galera-4, galera-arbitrator-4 needed (scripts/deps.sh)"; exit 1; }
[ -x /usr/bin/chromium ] && command -v node >/dev/null && [ -d "$HERE/node_modules/playwright-core" ] || {
  echo "FAIL - chromium, node and playwright-core (npm ci in $HERE) needed (scripts/deps.sh)"; exit 1; }
SRC=${LK_SRC:-$(cd "$HERE/../../.." && pwd)}
NET=${LAB_NET:-10.213.0}
export LAB_PREFIX="lkf$$" LAB_STATE="/run/lbkit-lab-lkf$$" LAB_NET=$NET LBD CHECKD VRRPD
LAB=$SRC/deploy/lab/lab
lab_down() { "$LAB" down > /dev/null 2>&1 || true; }
trap 'lab_down; lk_cleanup' EXIT
PY=/usr/bin/python3

t0=$(date +%s%N)
if ! "$LAB" up 4 > "$T/up.log" 2>&1; then
  fail "lab up 4: $(tail -3 "$T/up.log")"; finish; exit 1
fi
ok "lab up 4 ($((($(date +%s%N) - t0) / 1000000)) ms)"
"$LAB" status > "$T/status0.txt"; grep -v '^    ' "$T/status0.txt"
check "web VIP on lb1" grep -q "web VIP $NET.200: lb1 $" "$T/status0.txt"
check "DB VIP on lb3" grep -q "DB VIP  $NET.250: lb3 $" "$T/status0.txt"
check "Galera: 2 nodes + garbd in the primary component" grep -q "db1: .*wsrep_cluster_size=3 wsrep_cluster_status=Primary" "$T/status0.txt"

mkdir -p "$T/b"
bg ip netns exec "$LAB_PREFIX-client" node "$HERE/browser.js" "http://$NET.200" \
  demo@lab.example demo-pw "$T/stop" 240 "$T/b" 2> "$T/browser.err"
BPID=$!
actions() { if [ -e "$T/b/actions.log" ]; then wc -l < "$T/b/actions.log"; else echo 0; fi; }
for i in $(seq 1 300); do
  [ "$(actions)" -ge 6 ] && break
  kill -0 "$BPID" 2>/dev/null || break
  sleep 0.1
done
if [ "$(actions)" -lt 6 ]; then
  fail "the browser did not get going: $(tail -5 "$T/browser.err")"; finish; exit 1
fi
mark() { echo "$(date +%s.%N | cut -c1-14) $1" >> "$T/phases"; }
vip_check() { # DESC REGEX [LINE]: a VIP's owners as lab status shows them (default the web VIP)
  local s; s=$("$LAB" status 2>/dev/null | grep "${3:-^web VIP}" || true)
  if grep -Eq "$2" <<< "$s"; then ok "$1"; else fail "$1: $s"; fi
}
step() { # SECONDS CMD...: a lab command, then the browser goes on for SECONDS
  local s=$1; shift
  mark "$*"
  "$LAB" "$@" > "$T/step.log" 2>&1 || fail "lab $*: $(tail -2 "$T/step.log")"
  sleep "$s"
}
step 5 kill lbd@lb1
vip_check "lbd killed on lb1: the web VIP moved to lb2" ": lb2 $"
step 4 heal lbd@lb1
step 8 kill node lb1
vip_check "lb1's link down: lb2 holds the web VIP" "lb2"
step 5 heal node lb1
vip_check "lb1 back: it holds the web VIP again, alone" ": lb1 $"
step 5 kill web1
step 4 heal web1
step 10 kill db1
step 10 heal db1
# the database tier's load balancers: lbd dies on lb3 (the DB VIP's
# master) while the shop writes through the DB VIP
step 6 kill lbd@lb3
vip_check "lbd killed on lb3: the DB VIP moved to lb4" ": lb4 $" "^DB VIP"
step 5 heal lbd@lb3
vip_check "lbd back on lb3: it holds the DB VIP again, alone" ": lb3 $" "^DB VIP"
mark end
touch "$T/stop"
for i in $(seq 1 900); do kill -0 "$BPID" 2>/dev/null || break; sleep 0.1; done
wait "$BPID" && rc=0 || rc=$?
expect_eq "the browser finished (exit status)" "$rc" 0
[ -s "$T/browser.err" ] && sed 's/^/browser: /' "$T/browser.err" | head -5
[ -s "$T/b/summary.json" ] || { fail "no summary from the browser"; finish; exit 1; }
$PY -c "import json,sys; d=json.load(open(sys.argv[1])); d.pop('final_items'); print(json.dumps(d))" "$T/b/summary.json"
field() { $PY -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[sys.argv[2]]))" "$T/b/summary.json" "$1"; }

$PY "$HERE/report.py" "$T/phases" "$T/b/requests.log" "$T/b/actions.log" > "$T/report.txt"
grep -v '^CHECK ' "$T/report.txt"
# the longest time each step may leave the browser without an answer
# (measured here: 0.2-0.4 s where nothing is lost; docs/lab.md): a dead
# lbd is seen by vrrpd at once; a dead node after VRRP's master-down
# interval (3.6 s) plus the browser's own retry of the request that hung
# (7.2 s seen once under the full CI's load); a dead web server costs at
# most a retried request; a
# dead database node stalls commits until Galera declares it gone (its
# suspect timeout, 5 s); a healed db1 takes a state transfer, which with
# the lab's mariabackup SST and galera-check allow-donor leaves db2 taking
# the writes (1.1 s measured; 6.2 s with rsync and the donor taken out)
declare -A LIMIT=([kill_lbd@lb1]=2000 [heal_lbd@lb1]=2000 [kill_node_lb1]=9000
  [heal_node_lb1]=2000 [kill_web1]=3000 [heal_web1]=3000 [kill_db1]=9000 [heal_db1]=4000
  [kill_lbd@lb3]=3000 [heal_lbd@lb3]=3000)
while read -r _ name gap recovered; do
  expect_eq "$name: the shop answered again before the heal, by itself" "$recovered" 1
  check "$name: longest gap ${gap} ms <= ${LIMIT[$name]} ms" test "$gap" -le "${LIMIT[$name]}"
done < <(grep '^CHECK ' "$T/report.txt")

expect_eq "the session survived every step (no new login)" "$(field relogins)" 0
adds=$(field add); adds_ok=$(field add_acked); dels=$(field delete); dels_ok=$(field delete_acked)
check "the browser added >= 40 items ($adds) and deleted >= 20 ($dels)" test "$adds" -ge 40 -a "$dels" -ge 20
expect_eq "every add was done in the end (acknowledged)" "$adds_ok" "$adds"
expect_eq "every delete was done in the end (acknowledged)" "$dels_ok" "$dels"
expect_eq "the acknowledged files agree" "$(wc -l < "$T/b/acked_adds") $(wc -l < "$T/b/acked_deletes")" "$adds_ok $dels_ok"

# the databases: both nodes Synced, then what each holds
sql() { ip netns exec "$LAB_PREFIX-$1" mariadb --no-defaults -S "$LAB_STATE/$1/mysqld.sock" -u root -N -B -e "$2"; }
for db in db1 db2; do
  for i in $(seq 1 150); do
    [ "$(sql "$db" "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | cut -f2)" = Synced ] && break
    sleep 0.2
  done
done
sort -u "$T/b/acked_deletes" > "$T/deleted"
comm -23 <(sort -u "$T/b/acked_adds") "$T/deleted" > "$T/kept"
$PY -c "import json,sys; print('\n'.join(json.load(open(sys.argv[1]))['final_items'] or []))" \
  "$T/b/summary.json" | sort > "$T/final"
check "the last cart page listed what was added and not deleted ($(wc -l < "$T/kept") items)" \
  cmp -s "$T/kept" <(sort -u "$T/final")
for db in db1 db2; do
  sql "$db" "SELECT c.tipo FROM carrinho.compras c JOIN carrinho.clientes u USING (id_cliente)
    WHERE u.email = 'demo@lab.example'" | sort > "$T/$db.items"
  expect_eq "$db has every acknowledged add that was not deleted" \
    "$(comm -23 "$T/kept" <(sort -u "$T/$db.items") | wc -l)" 0
  expect_eq "$db has none of the $(wc -l < "$T/deleted") acknowledged deletes" \
    "$(comm -12 "$T/deleted" <(sort -u "$T/$db.items") | wc -l)" 0
  check "$db holds exactly what the last cart page listed" cmp -s "$T/final" "$T/$db.items"
done
finish
