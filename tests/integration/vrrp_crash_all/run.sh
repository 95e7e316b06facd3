#!/usr/bin/env bash
# kill -9 of every vrrpd process on the master at once (vrrpd and its
# guard, as `systemctl kill -s KILL` does): nobody is left to resign or
# remove the VIP, so the peer waits Master_Down_Interval, and the VIP must
# vanish from the dead node by itself. vrrpd adds its VIPs with a lifetime
# (renewed at each advertisement) that the kernel enforces. Per run, prints
# the ms from the kill until the VIP left the dead node and until the peer
# owned it, and asserts: VRRP v2 and v3 at advert_int 1: never both at once;
# v3 at 0.1 s (Master_Down_Interval 0.34 s, below the 1 s minimum lifetime):
# gone within 1.6 s (lifetime 1 s + 0.25 s + one 0.1 s renewal interval), the overlap reported. Before, the VIP stayed forever.
# Last, v3 at 0.1 s with what vrrpd.service's ExecStopPost runs after such
# a kill, `vrrpd --resign`: the wills the guard kept in RUNDIR/vrrpd.wills
# (priority 0 sent, VIP removed) at once, so the peer takes over in ms.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../vrrp_common.sh"
need_root
# our own namespace prefix
P="lkf$$"; NSBR=${P}br; NSA=${P}a; NSB=${P}b; NSC=${P}c
setup_net
serve "$NSA" a
serve "$NSB" b
RUNS=${VRRP_CRASH_ALL_RUNS:-2}

conf() { vrrp_conf "$@" 53; } # NAME PRIO VERSION INTERVAL
mkdir -p "$T/ra" "$T/rb"
start_a() { bg ip netns exec "$NSA" "$VRRPD" -f "$T/a.conf" -R "$T/ra" 2>>"$T/a.log"; PID_A=$!; }
start_b() { bg ip netns exec "$NSB" "$VRRPD" -f "$T/b.conf" -R "$T/rb" 2>>"$T/b.log"; PID_B=$!; }

# watch both nodes every ~5 ms for up to $1 ms after the kill: prints
# "GONE_MS PEER_MS BOTH_SAMPLES" (-1: not seen)
watch_move() {
  local start now gone=-1 peer=-1 both=0 a b
  start=$(date +%s%3N)
  while :; do
    has_vip "$NSA" && a=1 || a=0
    has_vip "$NSB" && b=1 || b=0
    now=$(($(date +%s%3N) - start))
    [ "$a" = 0 ] && [ "$gone" = -1 ] && gone=$now
    [ "$b" = 1 ] && [ "$peer" = -1 ] && peer=$now
    [ "$a" = 1 ] && [ "$b" = 1 ] && both=$((both + 1))
    [ "$gone" != -1 ] && [ "$peer" != -1 ] && break
    [ "$now" -ge "$1" ] && break
    sleep 0.005
  done
  echo "$gone $peer $both"
}

for v in "2 1 strict" "3 1 strict" "3 0.1 bound" "3 0.1 resign"; do
  set -- $v
  conf a 150 "$1" "$2"
  conf b 100 "$1" "$2"
  start_b
  gones="" peers="" gaps=""
  for run in $(seq 1 "$RUNS"); do
    start_a
    check "v$1/$2 run $run: a master" wait_state "$T/ra" MASTER 8
    check "v$1/$2 run $run: VIP on a only" bash -c "ip -n $NSA -4 addr show dev eth0 | grep -q 'inet $VIP/' && ! ip -n $NSB -4 addr show dev eth0 | grep -q 'inet $VIP/'"
    check "v$1/$2 run $run: the VIP has a lifetime" bash -c "ip -n $NSA -4 addr show dev eth0 | grep -A1 'inet $VIP/' | grep -q 'valid_lft [0-9]*sec'"
    guard=$(pgrep -P "$PID_A" -x vrrpd-guard || true)
    check "v$1/$2 run $run: a has a guard process" [ -n "$guard" ]
    # at a random point between two renewals, kill both, the guard first:
    # killed second it could still see vrrpd's end and resign for it
    # a client on the VIP every ~20 ms from before the kill until after
    client_loop 6000 8000 > "$T/client.$v.$run" &
    CL=$!
    sleep 0.$((RANDOM % 9 + 3))
    kill -9 $guard "$PID_A"
    # what the unit's ExecStopPost does once systemd sees vrrpd gone
    if [ "$3" = resign ]; then
      wait "$PID_A" 2>/dev/null || true
      check "v$1/$2 run $run: a wills file was left" test -s "$T/ra/vrrpd.wills"
      ip netns exec "$NSA" "$VRRPD" --resign -R "$T/ra" 2>>"$T/a.log" &
    fi
    read -r gone peer both < <(watch_move 8000)
    wait "$CL" || true
    read -r gap failed last < <(outage "$T/client.$v.$run")
    echo "v$1 advert_int $2 run $run: client: longest gap $gap ms, $failed failed requests, last answer from $last"
    expect_eq "v$1/$2 run $run: the client ends served by b" "$last" b
    echo "v$1 advert_int $2 run $run: kill -9 of vrrpd and its guard -> VIP gone from the dead node after $gone ms, peer owns it after $peer ms, $both samples with both"
    check "v$1/$2 run $run: the VIP left the dead node" [ "$gone" -ge 0 ]
    check "v$1/$2 run $run: the peer took the VIP" [ "$peer" -ge 0 ]
    if [ "$3" = resign ]; then
      check "v$1/$2 run $run: vrrpd --resign removed the VIP within 300 ms ($gone)" [ "$gone" -ge 0 -a "$gone" -lt 300 ]
      check "v$1/$2 run $run: the peer took over on its priority 0 within 300 ms ($peer)" [ "$peer" -ge 0 -a "$peer" -lt 300 ]
      check "v$1/$2 run $run: the wills file is gone" test ! -e "$T/ra/vrrpd.wills"
    elif [ "$3" = strict ]; then
      expect_eq "v$1/$2 run $run: no sample with the VIP on both nodes" "$both" 0
    else
      check "v$1/$2 run $run: gone within 1600 ms" [ "$gone" -ge 0 -a "$gone" -lt 1600 ]
    fi
    check "v$1/$2 run $run: b master" wait_state "$T/rb" MASTER 2
    wait "$PID_A" 2>/dev/null || true
    gones="$gones $gone" peers="$peers $peer" gaps="$gaps $gap"
  done
  echo "v$1 advert_int $2: client longest gaps (ms):$gaps"
  echo "v$1 advert_int $2: VIP gone from the dead node (ms):$gones; peer owns it (ms):$peers"
  kill -TERM "$PID_B"
  wait "$PID_B" 2>/dev/null || true
  check "v$1/$2: b removed its VIP on SIGTERM" wait_novip "$NSB" 2000
done
finish
