#!/usr/bin/env bash
# server-state-file + load-server-state-from-file global|local +
# server-state-base: HAProxy 2.6 runs, an operator puts s2 in MAINT, s3 in
# DRAIN, sets s1's weight to 7, and s4's check fails; HAProxy's "show
# servers state" is saved as the state file (global, and one backend's as
# a local file). Then a second HAProxy and lbd start on that file, side by
# side: each server's operational state, admin state and weights must be
# the ones the second HAProxy restored, and lbd's traffic goes to s1 only.
# A backend whose configured weight changed keeps its new weight (both).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"

B1=$(free_port); B2=$(free_port); B3=$(free_port); DEAD=$(free_port)
P1=$(free_port); P2=$(free_port); PL=$(free_port)
start_nginx "$B1" s1
start_nginx "$B2" s2
start_nginx "$B3" s3
mkdir -p "$T/states"

gen() { # gen PORT SOCK WEIGHT_OF_bw_s1
  cat <<CFG
global
    stats socket $2 level admin
    server-state-base $T/states
    server-state-file $T/state
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    load-server-state-from-file global
frontend fe
    bind 127.0.0.1:$1
    use_backend bl if { path_beg /bl }
    use_backend bw if { path_beg /bw }
    default_backend b
CFG
  for be in b bl; do
    echo "backend $be"
    [ "$be" = bl ] && echo "    load-server-state-from-file local"
    echo "    server s1 127.0.0.1:$B1"
    echo "    server s2 127.0.0.1:$B2"
    echo "    server s3 127.0.0.1:$B3"
    echo "    server s4 127.0.0.1:$DEAD check inter 200ms fall 1 rise 1"
  done
  echo "backend bw"
  echo "    server s1 127.0.0.1:$B1 weight $3"
  echo "    server s2 127.0.0.1:$B2"
}
gen "$P1" "$T/ha1.sock" 1 > "$T/ha1.cfg"
gen "$P2" "$T/ha2.sock" 5 > "$T/ha2.cfg"
gen "$PL" "$T/lbd.sock" 5 > "$T/lbd.cfg"

ha() { echo "$2" | socat -t 2 - "UNIX-CONNECT:$T/$1.sock"; }
bg haproxy -f "$T/ha1.cfg" -db >"$T/ha1.log" 2>&1
wait_listen "$P1"
for be in b bl; do
  ha ha1 "disable server $be/s2" >/dev/null
  ha ha1 "set server $be/s3 state drain" >/dev/null
  ha ha1 "set weight $be/s1 7" >/dev/null
done
ha ha1 "set weight bw/s1 0" >/dev/null
for i in $(seq 50); do
  ha ha1 "show servers state b" | awk '$4 == "s4" && $6 == 0' | lk_grepq . && break
  sleep 0.1
done
ha ha1 "show servers state" > "$T/state"
ha ha1 "show servers state bl" > "$T/states/bl"
check "HAProxy wrote s4 STOPPED (op_state 0) after its check failed" \
  awk '$2 == "b" && $4 == "s4" && $6 == 0 {f=1} END {exit !f}' "$T/state"

# what each one restored: be srv op admin uweight iweight
fields() { awk 'NR > 2 && NF > 8 {print $2, $4, $6, $7, $8, $9}' | sort; }
bg haproxy -f "$T/ha2.cfg" -db >"$T/ha2.log" 2>&1
out=$("$LBD" -c -f "$T/lbd.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "lbd accepts the config ($out)" "$rc" 0
bg "$LBD" -f "$T/lbd.cfg" -R "$T/lbdrun" >"$T/lbd.log" 2>&1
wait_listen "$P2"
wait_listen "$PL"
ha ha2 "show servers state" | fields > "$T/ha2.st"
ha lbd "show servers state" | fields > "$T/lbd.st"
for be in b bl bw; do
  for s in s1 s2 s3 s4; do
    h=$(awk -v b="$be" -v s="$s" '$1 == b && $2 == s {print $3, $4, $5, $6}' "$T/ha2.st")
    [ -n "$h" ] || continue
    l=$(awk -v b="$be" -v s="$s" '$1 == b && $2 == s {print $3, $4, $5, $6}' "$T/lbd.st")
    expect_eq "$be/$s restored as HAProxy restores it (op admin uweight iweight)" "$l" "$h"
  done
done
grep -q "server-state: .* servers restored" "$T/lbd.log" && ok "lbd logs the servers it restored" \
  || fail "lbd logs the servers it restored ($(tail -3 "$T/lbd.log"))"
# the states are in force: only s1 takes traffic in b and bl
for p in / /bl; do
  got=$(for i in $(seq 12); do curl -s "http://127.0.0.1:$PL$p"; done | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
  expect_eq "lbd $p: 12 requests, all to s1 (s2 MAINT, s3 DRAIN, s4 DOWN)" "$got" "s1=12 "
done
finish
