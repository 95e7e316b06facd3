# lib.sh - shared helpers for integration tests (sourced by run.sh files).
# Every test: works in its own temp dir (netns ones need root, else exit 77), kills
# only the PIDs it started, deletes only the namespaces it created (names
# carry a per-run prefix), and bounds every wait.
set -euo pipefail

LK_BUILD=${LK_BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}
LBD=${LBD:-$LK_BUILD/lbd/lbd}
CHECKD=${CHECKD:-$LK_BUILD/checkd/checkd}
VRRPD=${VRRPD:-$LK_BUILD/vrrpd/vrrpd}
# the tests' inline Python servers import pysrv.py from here
export PYTHONPATH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)${PYTHONPATH:+:$PYTHONPATH}"
LK_PIDS=()
LK_NETNS=()
LK_FAILS=0
LK_PASSES=0

# Scenarios that need root (network namespaces, MariaDB's own user, tc)
# call need_root; the others run on loopback as any user.
need_root() {
  if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root"; exit 77; fi
}

T=$(mktemp -d /tmp/lbkit-it.XXXXXX)
NS_PREFIX="lk$$"

lk_cleanup() {
  local p ns
  for p in "${LK_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.2
  for p in "${LK_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for ns in "${LK_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  if [ -n "${LK_KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap lk_cleanup EXIT

# bg CMD...: start in background, remember its PID in $! and LK_PIDS
bg() { "$@" & LK_PIDS+=($!); }

# A free TCP port on loopback (ephemeral range, asked of the kernel).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_port HOST PORT [TIMEOUT_S]
wait_port() {
  local i
  for i in $(seq 1 $((${3:-10} * 20))); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "timeout waiting for $1:$2" >&2; return 1
}

# wait_listen PORT [TIMEOUT_S]: like wait_port but without connecting (for
# servers that must see only the test's own connections)
wait_listen() {
  local i
  for i in $(seq 1 $((${2:-10} * 20))); do
    [ -n "$(ss -Hltn "sport = :$1")" ] && return 0
    sleep 0.05
  done
  echo "timeout waiting for a listener on $1" >&2; return 1
}

# wait_conns SOCK N [TIMEOUT_S]: until lbd on admin socket SOCK holds at
# least N connections (so a test acts on a connection that really exists)
wait_conns() {
  local i n
  for i in $(seq 1 $((${3:-10} * 20))); do
    n=$(echo "show info" | socat -t 2 - "UNIX-CONNECT:$1" 2>/dev/null | awk '/^CurrConns:/ {print $2}')
    [ "${n:-0}" -ge "$2" ] && return 0
    sleep 0.05
  done
  echo "timeout waiting for $2 connections on $1" >&2; return 1
}

# wait_file PATH [TIMEOUT_S]
wait_file() {
  local i
  for i in $(seq 1 $((${2:-10} * 20))); do [ -e "$1" ] && return 0; sleep 0.05; done
  echo "timeout waiting for $1" >&2; return 1
}

# wait_sock PATH [SECS]: until a Unix stream socket accepts a connection
# (a daemon binds, which creates the file, before it listens on it)
wait_sock() {
  local i
  for i in $(seq 1 $((${2:-10} * 20))); do
    socat -u OPEN:/dev/null "UNIX-CONNECT:$1" 2>/dev/null && return 0; sleep 0.05
  done
  echo "timeout waiting for a listener on $1" >&2; return 1
}

ok() { LK_PASSES=$((LK_PASSES + 1)); echo "ok - $*"; }
fail() { LK_FAILS=$((LK_FAILS + 1)); echo "FAIL - $*"; }
# lk_grepq ARGS...: grep -q that reads all of its input. With pipefail,
# `producer | grep -q` is false whenever grep matches before the producer has
# written everything (the producer dies of SIGPIPE): a found line reads as
# missing, at random. Use this after a pipe in the test's own shell.
lk_grepq() { grep "$@" > /dev/null; }
# check DESC CMD...: ok if CMD succeeds
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
# expect_eq DESC GOT WANT
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: got '$2', want '$3'"; fi; }

finish() {
  echo "$LK_PASSES passed, $LK_FAILS failed"
  [ "$LK_FAILS" -eq 0 ]
}

# beside_haproxy PORT...: lbd and HAProxy 2.6 side by side on one config,
# $T/lbd.cfg and $T/ha.cfg (written by the caller: the same text but for
# the ports). Each must pass its own -c (one check each), then both start
# in the foreground mode with their logs in $T/lbd.log and $T/ha.log (lbd's
# runtime dir $T/lbdrun), and each PORT given is waited for.
beside_haproxy() {
  local out rc p
  out=$(haproxy -c -f "$T/ha.cfg" 2>&1) && rc=0 || rc=$?
  expect_eq "HAProxy accepts the config ($out)" "$rc" 0
  out=$("$LBD" -c -f "$T/lbd.cfg" 2>&1) && rc=0 || rc=$?
  expect_eq "lbd accepts the config ($out)" "$rc" 0
  bg haproxy -f "$T/ha.cfg" -db >"$T/ha.log" 2>&1
  bg "$LBD" -f "$T/lbd.cfg" -R "$T/lbdrun" >"$T/lbd.log" 2>&1
  for p in "$@"; do wait_listen "$p"; done
}

# Side by side with HAProxy (the checkd_* scenarios): start_pair starts
# HAProxy on $T/ha.cfg, then checkd (socket in $T/run) and lbd on
# $T/lbd.cfg (runtime dir $T/lbdrun); stderr in $T/{ha,lbd}.err, $T/checkd.log.
start_pair() {
  mkdir -p "$T/run"
  bg haproxy -f "$T/ha.cfg" 2>"$T/ha.err"
  bg "$CHECKD" -R "$T/run" 2>"$T/checkd.log"
  wait_sock "$T/run/checkd.sock"
  bg "$LBD" -f "$T/lbd.cfg" -R "$T/lbdrun" 2>"$T/lbd.err"
}
# pair_snapshot: HAProxy's "show stat" in $T/ha.csv, checkd's targets in
# $T/ck.json. HAProxy shows "* STATUS" and no info while a check is in
# progress, so each server's row is the first of 12 readings (100 ms
# apart) that is not.
pair_snapshot() {
  local i
  for i in $(seq 12); do
    echo "show stat" | socat -t 2 - "UNIX-CONNECT:$T/ha.sock" >"$T/ha.$i.csv"
    sleep 0.1
  done
  python3 "$(dirname "${BASH_SOURCE[0]}")/pairstat.py" settled "$T"/ha.[0-9]*.csv >"$T/ha.csv"
  echo "show health json" | socat -t 2 - "UNIX-CONNECT:$T/run/checkd.sock" >"$T/ck.json"
}
