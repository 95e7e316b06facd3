#!/usr/bin/env bash
# show stat in mode http counts what the backend did while assigning
# servers: retries (wretr), redispatches (wredis), queueing at maxconn
# (qmax) and the last session (lastsess), with the same config run by
# HAProxy 2.6 beside lbd as the reference. Before lbd/core/backend.c, mode
# http never wrote these counters and they stayed 0.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"
cli() { echo "$2" | socat -t 5 - "UNIX-CONNECT:$1"; }

B1=$(free_port); DEAD=$(free_port); PL=$(free_port); PH=$(free_port)
start_backend "$B1" b1
mkcfg() { # $1 port of the frontend, $2 admin socket
  cat <<CFG
global
    nbthread 2
    stats socket $2 mode 600 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
    timeout queue 10s
    retries 2
    option redispatch
frontend fe
    bind 127.0.0.1:$1
    use_backend slow if { path_beg /sleep }
    default_backend be
backend be
    balance roundrobin
    server dead 127.0.0.1:$DEAD
    server s1 127.0.0.1:$B1
backend slow
    server s1 127.0.0.1:$B1 maxconn 1
CFG
}
mkcfg "$PL" "$T/lstats.sock" > "$T/lbd.cfg"
mkcfg "$PH" "$T/ha.sock" > "$T/ha.cfg"
bg "$LBD" -f "$T/lbd.cfg" -R "$T" > "$T/lbd.log" 2>&1; LBDPID=$!
bg haproxy -f "$T/ha.cfg" -db > "$T/haproxy.log" 2>&1
wait_port 127.0.0.1 "$PL"; wait_port 127.0.0.1 "$PH"; wait_sock "$T/ha.sock"

# field numbers of show stat (HAProxy 2.6 layout): qcur 3, qmax 4, wretr 16,
# wredis 17, lastsess 36
field() { # socket proxy server column
  cli "$1" "show stat" | awk -F, -v p="$2" -v s="$3" -v c="$4" '$1==p && $2==s {print $c}'
}
for port in "$PL" "$PH"; do
  for i in 1 2 3 4 5 6; do curl -s -o /dev/null "http://127.0.0.1:$port/" || true; done
  # three requests at once on a server with maxconn 1: two wait in the queue
  pids=()
  for i in 1 2 3; do curl -s -m 10 -o /dev/null "http://127.0.0.1:$port/sleep?ms=400" & pids+=($!); done
  wait "${pids[@]}"
done
for sock in lstats ha; do
  wr=$(field "$T/$sock.sock" be BACKEND 16); wd=$(field "$T/$sock.sock" be BACKEND 17)
  echo "$sock: be wretr=$wr wredis=$wd qmax(slow)=$(field "$T/$sock.sock" slow BACKEND 4) lastsess(s1)=$(field "$T/$sock.sock" be s1 36)"
done
# lbd counts every new attempt after a failed connect as a retry (wretr)
# and, when it lands on another server, also as a redispatch (wredis);
# HAProxy counts the attempts it moves to another server only as
# redispatches, so its wretr stays 0 here (docs/http.md, "Retries").
check "lbd: retries counted on the backend (wretr > 0)" test "$(field "$T/lstats.sock" be BACKEND 16)" -gt 0
for sock in lstats ha; do
  check "$sock: redispatches counted on the backend (wredis > 0)" test "$(field "$T/$sock.sock" be BACKEND 17)" -gt 0
  check "$sock: the failed server's redispatches counted" test "$(field "$T/$sock.sock" be dead 17)" -gt 0
  check "$sock: queueing at maxconn counted (qmax >= 1)" test "$(field "$T/$sock.sock" slow BACKEND 4)" -ge 1
  expect_eq "$sock: nothing left in the queue (qcur)" "$(field "$T/$sock.sock" slow BACKEND 3)" 0
  ls=$(field "$T/$sock.sock" be s1 36)
  check "$sock: lastsess of a server that took sessions is set ($ls)" test "$ls" -ge 0
done
# "set maxconn" from the control thread while the two worker threads take
# server slots: a plain field there was a data race (ThreadSanitizer run of
# scripts/test.sh); the new limit applies
expect_eq "set maxconn server" "$(cli "$T/lstats.sock" "set maxconn server slow/s1 3")" ""
cli "$T/lstats.sock" "set maxconn frontend fe 500" > /dev/null
pids=()
for i in 1 2 3 4 5 6; do curl -s -m 10 -o /dev/null "http://127.0.0.1:$PL/sleep?ms=300" & pids+=($!); done
sleep 0.15
cur=$(field "$T/lstats.sock" slow s1 5)
wait "${pids[@]}"
check "at most 3 at once on the server after set maxconn (saw $cur)" test "$cur" -le 3 -a "$cur" -ge 2
check "lbd still alive" kill -0 "$LBDPID"
finish
