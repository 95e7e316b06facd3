#!/usr/bin/env bash
# The write outage when a killed Galera node comes back (docs/lab.md, "A
# healed database node"), measured through lbd on the lab's experiment 3
# (db1 + db2 + garbd, lbd + checkd on lb3 with galera-check, db2 backup):
# one writer inserts a row every 50 ms through lb3:3306 while, RUNS times,
# db1 is killed (kill -9), the writes resume on db2, then db1 is healed
# (`lab heal db1`: a full state transfer, db2 its donor). Per run: the
# longest time without an acknowledged write from the heal until 3 s after
# db1 is Synced and serving again, the failed attempts in that window, the
# state transfer's duration on db1 (heal to Synced) and kind (SST or IST,
# from db1's log); acknowledged writes missing on either node at the end.
# Usage: sudo tests/bench/lab_galera_heal.sh [RUNS]   (default 3)
# LAB_SST (rsync | mariabackup) and LAB_ALLOW_DONOR pass to deploy/lab/lab.
RUNS=${1:-3}
source "$(dirname "$0")/../integration/lib.sh"
need_root
SRC=$(cd "$(dirname "$0")/../.." && pwd)
NET=${LAB_NET:-10.213.0}
export LAB_PREFIX="lkh$$" LAB_STATE="/run/lbkit-lab-lkh$$" LAB_NET=$NET LBKIT_BIN=${LBKIT_BIN:-$LK_BUILD}
unset LBD CHECKD VRRPD
LAB=$SRC/deploy/lab/lab
W="ip netns exec $LAB_PREFIX-client /usr/bin/python3 $(dirname "$0")/lab_galera.py"
PY=/usr/bin/python3
trap '"$LAB" down > /dev/null 2>&1 || true; lk_cleanup' EXIT
say() { echo "bench: $*" >&2; }
sql() { ip netns exec "$LAB_PREFIX-$1" mariadb --no-defaults -S "$LAB_STATE/$1/mysqld.sock" -u root -N -B -e "$2"; }
state() { sql "$1" "SHOW STATUS LIKE 'wsrep_local_state'" 2>/dev/null | cut -f2; }
now() { date +%s.%N | cut -c1-14; }
# wait_writes EPOCH: until 20 writes after EPOCH were acknowledged (<= 60 s)
wait_writes() {
  local i
  for i in $(seq 1 600); do
    [ "$(awk -v k="$1" '$1 > k && $2 == 0' "$T/steady.log" | wc -l)" -ge 20 ] && return 0
    sleep 0.1
  done
  return 1
}
# gap FROM TO: the longest time without an acknowledged write in [FROM, TO]
# (from the last success before FROM), and the failed attempts in it
gap() {
  $PY - "$1" "$2" "$T/steady.log" <<'PY'
import sys
a, b = float(sys.argv[1]), float(sys.argv[2])
rows = [(float(t), int(e)) for t, e in (l.split() for l in open(sys.argv[3]) if l.strip())]
ok = [t for t, e in rows if e == 0]
prev = max((t for t in ok if t <= a), default=a)
longest = 0.0
for t in (t for t in ok if a < t <= b):
    longest = max(longest, t - prev)
    prev = t
longest = max(longest, b - prev)
fails = sum(1 for t, e in rows if e and a < t <= b)
print("%.2f %d" % (longest, fails))
PY
}

"$LAB" up 3 > "$T/up.log" 2>&1 || { cat "$T/up.log" >&2; exit 1; }
sql db1 "CREATE TABLE carrinho.steady (id INT PRIMARY KEY) ENGINE=InnoDB;"
rm -f "$T/stop"
$W steady "$NET.33" 3306 0.05 "$T/stop" "$T/acked" "$T/steady.log" &
SPID=$!
sleep 3
echo "lab heal db1, $(date -u +%Y-%m-%d), $(nproc) cores, sst=${LAB_SST:-rsync} allow_donor=${LAB_ALLOW_DONOR:-0}"
for r in $(seq 1 "$RUNS"); do
  k=$(now); "$LAB" kill db1 > /dev/null
  wait_writes "$k" || { say "no writes after killing db1"; break; }
  sleep 2
  # (lab heal starts db1 with a new log)
  log=$LAB_STATE/db1/mariadbd.log
  h=$(now)
  "$LAB" heal db1 > "$T/heal.log" 2>&1 || { cat "$T/heal.log" >&2; break; }
  synced=none
  for _ in $(seq 1 600); do
    [ "$(state db1)" = 4 ] && { synced=$(now); break; }
    sleep 0.1
  done
  [ "$synced" = none ] && { say "db1 never Synced"; break; }
  sleep 3
  e=$(now)
  read -r longest fails <<< "$(gap "$h" "$e")"
  kind=$(grep -q 'SST succeeded' "$log" && echo SST || echo IST)
  printf 'run %d: heal -> db1 Synced %.1f s (%s); longest time without an acknowledged write %s s; failed attempts %s\n' \
    "$r" "$($PY -c "print(float('$synced') - float('$h'))")" "$kind" "$longest" "$fails"
done
touch "$T/stop"; wait "$SPID" 2>/dev/null || true
for n in db1 db2; do
  echo "acknowledged writes missing on $n: $(comm -23 <(sort "$T/acked") <(sql "$n" "SELECT id FROM carrinho.steady" | sort) | wc -l) of $(wc -l < "$T/acked")"
done
