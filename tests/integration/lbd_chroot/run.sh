#!/usr/bin/env bash
# "chroot DIR" (HAProxy's keyword) in master-worker mode: the worker takes
# its sockets from the master, reads its config, then enters the jail and
# drops to user/group. checkd.sock lives outside the jail, so the master
# connects to checkd for the worker and passes the socket (SCM_RIGHTS), at
# start and at every reconnect: health still works in the jail, also after
# checkd restarts and after a reload. Without -W, "chroot" is refused at its
# FILE:LINE (it used to be accepted with a warning and ignored).
source "$(dirname "$0")/../lib.sh"
need_root
cli() { echo "$2" | socat -t 5 - "UNIX-CONNECT:$1"; }
op_state() { # server -> srv_op_state of "show servers state" (0 down, 2 up)
  { cli "$T/lbd.sock" "show servers state web" 2>/dev/null || true; } | awk -v s="$1" '$4==s {print $6}'
}
wait_state() { # server state
  local i
  for i in $(seq 1 100); do [ "$(op_state "$1")" = "$2" ] && return 0; sleep 0.05; done
  echo "$1 not in state $2 (now '$(op_state "$1")')" >&2; return 1
}

P1=$(free_port) P2=$(free_port) PF=$(free_port)
mkdir -p "$T/w1" "$T/w2" "$T/jail"
echo w1 > "$T/w1/id.txt"; echo w2 > "$T/w2/id.txt"
start_web() { # DIR PORT
  (cd "$T/$1" && exec python3 -m http.server "$2" --bind 127.0.0.1 >/dev/null 2>&1) &
  LK_PIDS+=($!); eval "PID_$1=$!"
}
start_web w1 "$P1"; start_web w2 "$P2"
wait_port 127.0.0.1 "$P1"; wait_port 127.0.0.1 "$P2"
start_checkd() { bg "$CHECKD" -R "$T" 2>> "$T/checkd.log"; PID_CHECKD=$!; wait_sock "$T/checkd.sock"; }
start_checkd

cat > "$T/lbd.cfg" <<CFG
global
    chroot $T/jail
    user nobody
    group nogroup
defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:$PF
    default_backend web
backend web
    server w1 127.0.0.1:$P1 check inter 200 fall 2 rise 1
    server w2 127.0.0.1:$P2 check inter 200 fall 2 rise 1
CFG

# without master-worker: refused at the keyword's line
out=$("$LBD" -f "$T/lbd.cfg" -R "$T" 2>&1 || true)
echo "$out"
check "chroot without -W is refused at FILE:LINE" grep -q "lbd.cfg:2: 'chroot' is supported by lbd only in master-worker mode" <<< "$out"
check "lbd -c -W accepts it" "$LBD" -c -W -f "$T/lbd.cfg"

bg "$LBD" -W -S "$T/master.sock" -f "$T/lbd.cfg" -R "$T" 2> "$T/lbd.log"; MASTER=$!
wait_port 127.0.0.1 "$PF"; wait_sock "$T/master.sock"
worker_pid() { { cli "$T/master.sock" "show proc" 2>/dev/null | awk '/^# workers/ {w=1; next} /^#/ {w=0} w {print $1; exit}'; } || true; }
W=$(worker_pid)
check "the worker is in the jail" test "$(readlink "/proc/$W/root")" = "$T/jail"
check "the worker runs as nobody" test "$(awk '/^Uid:/ {print $2}' "/proc/$W/status")" = "$(id -u nobody)"
check "the master is not jailed" test "$(readlink "/proc/$MASTER/root")" = /
check "both servers UP through checkd" bash -c "$(declare -f cli op_state wait_state); T=$T; wait_state w1 2 && wait_state w2 2"

kill "$PID_w2"
check "w2 stopped: DOWN in the jailed worker (feed through the master's socket)" \
  bash -c "$(declare -f cli op_state wait_state); T=$T; wait_state w2 0"
body=$(for i in 1 2 3 4; do curl -s -m 2 "http://127.0.0.1:$PF/id.txt"; done | sort -u | tr '\n' ' ')
expect_eq "traffic only to w1" "$body" "w1 "

# checkd restarted: the worker reconnects through the master again
kill "$PID_CHECKD"; sleep 0.5; rm -f "$T/checkd.sock"
start_web w2 "$P2"; wait_port 127.0.0.1 "$P2"
start_checkd
check "after checkd's restart w2 is UP again (new socket from the master)" \
  bash -c "$(declare -f cli op_state wait_state); T=$T; wait_state w2 2"
check "the worker followed the feed twice" test "$(grep -c "lbd\[$W\].*following the feed" "$T/lbd.log")" -ge 2

# a reload: the new worker is jailed too and gets its own checkd socket
kill -USR2 "$MASTER"
for i in $(seq 1 100); do N=$(worker_pid); [ -n "$N" ] && [ "$N" != "$W" ] && break; sleep 0.05; done
for i in $(seq 1 100); do grep -q "reload 1 done" "$T/lbd.log" && break; sleep 0.05; done
check "reload done" grep -q "reload 1 done" "$T/lbd.log"
check "the new worker is in the jail" test "$(readlink "/proc/$N/root")" = "$T/jail"
check "the new worker follows checkd" bash -c "for i in \$(seq 1 60); do grep -q 'lbd\[$N\].*following the feed' '$T/lbd.log' && exit 0; sleep 0.05; done; exit 1"
check "still serving" curl -sf -m 2 -o /dev/null "http://127.0.0.1:$PF/id.txt"
finish
