#!/usr/bin/env bash
# kill -9 of vrrpd on the master, VRRP v2 (advert_int 1) and v3 (advert_int
# 0.1), several runs each: the guard process resigns for it (priority 0)
# and removes its VIP, so the peer is MASTER at once and the VIP is never
# left on the dead node. Prints, per run, the ms until the peer owns the
# VIP and the dead node does not. Without the guard the dead node kept the
# VIP forever and the peer waited Master_Down_Interval (3.6 s at v2).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../vrrp_common.sh"
need_root
setup_net
RUNS=${VRRP_CRASH_RUNS:-4}

conf() { vrrp_conf "$@" 52; } # NAME PRIO VERSION INTERVAL
mkdir -p "$T/ra" "$T/rb"
start_a() { bg ip netns exec "$NSA" "$VRRPD" -f "$T/a.conf" -R "$T/ra" 2>>"$T/a.log"; PID_A=$!; }
start_b() { bg ip netns exec "$NSB" "$VRRPD" -f "$T/b.conf" -R "$T/rb" 2>>"$T/b.log"; PID_B=$!; }

vip_only() { has_vip "$1" && ! has_vip "$2"; }

# ms until b has the VIP and a has not (-1 after TIMEOUT_MS)
wait_moved() {
  local start now
  start=$(date +%s%3N)
  while :; do
    if has_vip "$NSB" && ! has_vip "$NSA"; then
      now=$(date +%s%3N); echo $((now - start)); return 0
    fi
    now=$(date +%s%3N)
    [ $((now - start)) -ge "$1" ] && { echo -1; return 1; }
    sleep 0.005
  done
}

for v in "2 1" "3 0.1"; do
  set -- $v
  conf a 150 "$1" "$2"
  conf b 100 "$1" "$2"
  start_b
  all=""
  for run in $(seq 1 "$RUNS"); do
    start_a
    check "v$1 run $run: a master" wait_state "$T/ra" MASTER 8
    check "v$1 run $run: VIP on a only" vip_only "$NSA" "$NSB"
    guard=$(pgrep -P "$PID_A" -x vrrpd-guard || true)
    check "v$1 run $run: a has a guard process" [ -n "$guard" ]
    kill -9 "$PID_A"
    ms=$(wait_moved 6000) || true
    echo "v$1 advert_int $2 run $run: kill -9 of the master's vrrpd -> VIP on the peer only after ${ms} ms"
    check "v$1 run $run: VIP moved to b and left a" [ "$ms" -ge 0 ]
    check "v$1 run $run: within 300 ms" [ "$ms" -ge 0 -a "$ms" -lt 300 ]
    check "v$1 run $run: b master" wait_state "$T/rb" MASTER 2
    check "v$1 run $run: the guard exited" bash -c "for i in \$(seq 1 100); do kill -0 $guard 2>/dev/null || exit 0; sleep 0.02; done; exit 1"
    wait "$PID_A" 2>/dev/null || true
    all="$all $ms"
  done
  echo "v$1 advert_int $2: kill -9 takeover ms:$all"
  expect_eq "v$1: b saw a priority 0 per crash" \
    "$(vrrp_json "$T/rb" 'j["instances"][0]["counters"]["prio0_received"] >= '"$RUNS")" "True"
  kill -TERM "$PID_B"
  wait "$PID_B" 2>/dev/null || true
  check "v$1: b removed its VIP on SIGTERM" wait_novip "$NSB" 2000
done
finish
