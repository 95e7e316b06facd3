#!/usr/bin/env bash
# The figures of docs/lab.md on the lab's Galera tier, measured through lbd
# (deploy/lab/lab up 3: db1 + db2, lbd + checkd on lb3 with galera-check):
#  1. writers to one hot row: THREADS connections updating one row in
#     autocommit for SECONDS, through a second lbd on lb3 (:3307) with
#     balance roundrobin over both nodes, then through the lab's own
#     single-writer frontend (:3306, mariadb02 backup): the share of
#     commits refused with 1213 (Galera's certification conflict);
#  2. the writer node killed (kill -9 db1) while one writer inserts a row
#     every 50 ms through :3306, without an arbitrator (lab up 3
#     --no-arbitrator): when the survivor leaves the primary component,
#     that it still refuses writes (1047) WAIT seconds later, and how long
#     after an operator's bootstrap (pc.bootstrap=YES, done at once here)
#     writes come back; acknowledged writes lost;
#  3. the same with garbd (lab up 3): the write outage, no operator,
#     acknowledged writes lost.
# Usage: sudo tests/bench/lab_galera.sh [THREADS] [SECONDS] [WAIT]
#        (default 4 10 10). LAB_NET picks the lab's /24 (default 10.213.0).
THREADS=${1:-4}
SECONDS_HOT=${2:-10}
WAIT=${3:-10}
source "$(dirname "$0")/../integration/lib.sh"
need_root
SRC=$(cd "$(dirname "$0")/../.." && pwd)
NET=${LAB_NET:-10.213.0}
export LAB_PREFIX="lkb$$" LAB_STATE="/run/lbkit-lab-lkb$$" LAB_NET=$NET LBKIT_BIN=$LK_BUILD
unset LBD CHECKD VRRPD
LAB=$SRC/deploy/lab/lab
W="ip netns exec $LAB_PREFIX-client /usr/bin/python3 $(dirname "$0")/lab_galera.py"
PY=/usr/bin/python3
trap '"$LAB" down > /dev/null 2>&1 || true; lk_cleanup' EXIT
say() { echo "bench: $*" >&2; }
sql() { ip netns exec "$LAB_PREFIX-$1" mariadb --no-defaults -S "$LAB_STATE/$1/mysqld.sock" -u root -N -B -e "$2"; }
status() { sql "$1" "SHOW STATUS LIKE 'wsrep_cluster_status'" 2>/dev/null | cut -f2; }
up() { "$LAB" up 3 "$@" > "$T/up.log" 2>&1 || { cat "$T/up.log" >&2; exit 1; }; }
now() { date +%s.%N | cut -c1-14; }

# steady_start / steady_stop: the 50 ms writer through lb3:3306
steady_start() {
  rm -f "$T/stop"
  $W steady "$NET.33" 3306 0.05 "$T/stop" "$T/acked" "$T/steady.log" &
  SPID=$!
  sleep 3
}
steady_stop() { touch "$T/stop"; wait "$SPID" 2>/dev/null || true; }
# wait_writes EPOCH: until 20 writes after EPOCH were acknowledged (<= 60 s)
wait_writes() {
  local i
  for i in $(seq 1 600); do
    [ "$(awk -v k="$1" '$1 > k && $2 == 0' "$T/steady.log" | wc -l)" -ge 20 ] && return 0
    sleep 0.1
  done
}
# lost NODE: acknowledged ids missing on NODE
lost() { comm -23 <(sort "$T/acked") <(sql "$1" "SELECT id FROM carrinho.steady" | sort) | wc -l; }
# outage KILL_EPOCH: from the last success before KILL to the first after
outage() {
  $PY - "$1" "$T/steady.log" <<'PY'
import sys
k = float(sys.argv[1])
rows = [(float(t), int(e)) for t, e in (l.split() for l in open(sys.argv[2]) if l.strip())]
before = max((t for t, e in rows if e == 0 and t < k), default=k)
after = min((t for t, e in rows if e == 0 and t > k), default=None)
codes = {}
for t, e in rows:
    if e and t > k:
        codes[e] = codes.get(e, 0) + 1
print("%s %s" % ("%.1f" % (after - before) if after else "none",
                 ",".join("%d:%d" % kv for kv in sorted(codes.items())) or "-"))
PY
}

# ---- 1. hot row ----
say "lab up 3 (with garbd)"
up
sql db1 "CREATE TABLE carrinho.hot (id INT PRIMARY KEY, n BIGINT NOT NULL) ENGINE=InnoDB;
  INSERT INTO carrinho.hot VALUES (1, 0);
  CREATE TABLE carrinho.steady (id INT PRIMARY KEY) ENGINE=InnoDB;"
d=$LAB_STATE/lb3
mkdir -p "$d/rr"
sed -e 's/bind \*:3306/bind *:3307/' -e 's/ backup$//' -e 's/^frontend .*/frontend rr/' \
  -e '/^global/a\    checkd socket '"$d/rr/checkd.sock" "$d/lbd.cfg" > "$d/lbd-rr.cfg"
grep -q 'balance' "$d/lbd-rr.cfg" || sed -i '/^backend/a\    balance roundrobin' "$d/lbd-rr.cfg"
bg ip netns exec "$LAB_PREFIX-lb3" "$LK_BUILD/checkd/checkd" -R "$d/rr" > "$d/rr/checkd.log" 2>&1
RR_CHECKD=$!
wait_file "$d/rr/checkd.sock" 10
bg ip netns exec "$LAB_PREFIX-lb3" "$LK_BUILD/lbd/lbd" -f "$d/lbd-rr.cfg" -R "$d/rr" > "$d/rr/lbd.log" 2>&1
RR_LBD=$!
wait_file "$d/rr/lbd.sock" 10
for i in $(seq 1 100); do
  [ "$(echo 'show health' | socat -t 2 - "UNIX-CONNECT:$d/rr/checkd.sock" | grep -c ' UP ')" -ge 2 ] && break
  sleep 0.1
done
rr=$($W hot "$NET.33" 3307 "$THREADS" "$SECONDS_HOT")
one=$($W hot "$NET.33" 3306 "$THREADS" "$SECONDS_HOT")
say "round-robin: $rr"
say "one writer:  $one"
kill "$RR_LBD" "$RR_CHECKD"
pct() { $PY -c "import json,sys; d=json.loads(sys.argv[1]); print(d['deadlock_pct'], d['errors'].get('1213', 0), d['attempts'], '+'.join(sorted(set(d['nodes']))))" "$1"; }

# ---- 3. writer node killed, with garbd ----
steady_start
k=$(now); "$LAB" kill db1 > /dev/null
wait_writes "$k"
steady_stop
read -r garb_out garb_codes <<< "$(outage "$k")"
garb_lost=$(lost db2)
"$LAB" down > /dev/null

# ---- 2. writer node killed, no arbitrator ----
say "lab up 3 --no-arbitrator"
up --no-arbitrator
sql db1 "CREATE TABLE carrinho.steady (id INT PRIMARY KEY) ENGINE=InnoDB;"
steady_start
k=$(now); "$LAB" kill db1 > /dev/null
np=none
for i in $(seq 1 600); do
  s=$(status db2)
  [ -n "$s" ] && [ "$s" != Primary ] && { np=$(now); break; }
  sleep 0.1
done
sleep "$WAIT"
# what the survivor itself answers a write, past lbd (galera-check has
# taken it out of lbd's servers: through lbd the connection is refused)
direct=$(sql db2 "INSERT INTO carrinho.steady VALUES (-1)" 2>&1 || true)
direct=$(grep -o "ERROR [0-9]*" <<< "$direct" || echo "none (accepted)")
# still refused, WAIT s after the quorum loss: the last WAIT/2 seconds of attempts
refused=$(awk -v t="$(now)" -v w="$WAIT" '$1 > t - w / 2 { n++; if ($2 != 0) r++ } END { printf "%d/%d", r, n }' "$T/steady.log")
b=$(now)
sql db2 "SET GLOBAL wsrep_provider_options='pc.bootstrap=YES'"
wait_writes "$b"
steady_stop
read -r noarb_out noarb_codes <<< "$(outage "$k")"
back=$($PY -c "import sys; b=float(sys.argv[1]); print('%.1f' % (min((float(t) for t, e in (l.split() for l in open(sys.argv[2])) if e == '0' and float(t) > b), default=b) - b))" "$b" "$T/steady.log")
noarb_lost=$(lost db2)
npt=$([ "$np" = none ] && echo never || $PY -c "print('%.1f' % (float('$np') - float('$k')))")

read -r rr_pct rr_n rr_att rr_nodes <<< "$(pct "$rr")"
read -r one_pct one_n one_att one_nodes <<< "$(pct "$one")"
cat <<TXT
lab Galera figures, $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r), $(mariadbd --version | awk '{print $3}')
hot row, $THREADS connections x ${SECONDS_HOT}s, round-robin over $rr_nodes: ${rr_pct}% of commits refused with 1213 ($rr_n of $rr_att)
hot row, $THREADS connections x ${SECONDS_HOT}s, one writer ($one_nodes):   ${one_pct}% ($one_n of $one_att)
writer node killed, garbd:          write outage ${garb_out} s, no operator; errors seen (code:count) $garb_codes; acknowledged writes lost: $garb_lost
writer node killed, no arbitrator:  survivor non-Primary ${npt} s after the kill; ${WAIT} s later still refusing ($refused attempts failed in the last $((WAIT / 2)) s; a write on db2 itself: $direct); errors through lbd $noarb_codes; writes back ${back} s after the operator's bootstrap (made ${WAIT} s after the quorum loss): write outage ${noarb_out} s; acknowledged writes lost: $noarb_lost
TXT
