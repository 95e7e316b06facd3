#!/usr/bin/env bash
# slowstart, side by side with HAProxy 2.6 on the same config: a server
# taken to MAINT and back ("set server B/S state maint", then "ready") warms
# up over its slowstart. Compared, from "show stat" read every 250 ms on
# both while it does: the server's weight and throttle columns and its
# backend's weight, step by step (HAProxy's sixteenths, a step a second),
# until the full weight; with roundrobin (a dynamic algorithm: the weight
# ramps) and balance uri map-based (static: full weight at once, the
# throttle still shown). And the traffic: right after "ready" the warming
# server gets at most a few of 34 requests on both, once warm about half.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"
PICK=$(cd "$(dirname "$0")/../balance_hash" && pwd)/pick.py

B1=$(free_port); B2=$(free_port); PL=$(free_port); PH=$(free_port)
start_nginx "$B1" s1
start_nginx "$B2" s2

# the same text for both but for the port and the admin socket
slow_cfg() {
  cat <<CFG
global
    stats timeout 10s
    stats socket $2 level admin
defaults
    balance roundrobin
    timeout client 5s
    timeout server 5s
    timeout connect 1s
    mode http
frontend fe
    bind 127.0.0.1:$1
    use_backend mb if { req.hdr(x-be) -m str mb }
    use_backend tr if { req.hdr(x-be) -m str tr }
    default_backend rr
backend rr
    server s1 127.0.0.1:$B1 weight 100
    server s2 127.0.0.1:$B2 weight 100 slowstart 6s maxconn 40
backend mb
    balance uri
    default-server slowstart 4s
    server s1 127.0.0.1:$B1 weight 30
    server s2 127.0.0.1:$B2 weight 30
backend tr
    server s1 127.0.0.1:$B1
    server s2 127.0.0.1:$B2 slowstart 30s
CFG
}
slow_cfg "$PL" "$T/lbd.sock" > "$T/lbd.cfg"
slow_cfg "$PH" "$T/ha.sock" > "$T/ha.cfg"
beside_haproxy "$PL" "$PH"

cmd() { echo "$2" | socat -t 2 - "UNIX-CONNECT:$1"; }
# weights SOCK OUT: per backend rr and mb, "server weight/throttle backend
# weight" appended to OUT.rr and OUT.mb (one "show stat" for both)
weights() {
  cmd "$1" "show stat" | awk -F, -v out="$2" '
    NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
    $2 == "s2" { s[$1] = $h["weight"] "/" $h["throttle"] }
    $2 == "BACKEND" { b[$1] = $h["weight"] }
    END { print s["rr"], b["rr"] >> (out ".rr"); print s["mb"], b["mb"] >> (out ".mb") }'
}
count_s2() { "$PY" "$PICK" "$1" "$2" none 34 | grep -c '^s2$' || true; }
back() { # back BACKEND: s2 to MAINT and back on both
  local s
  for s in lbd ha; do
    cmd "$T/$s.sock" "set server $1/s2 state maint" >/dev/null
    cmd "$T/$s.sock" "set server $1/s2 state ready" >/dev/null
  done
}

weights "$T/lbd.sock" "$T/l0"; weights "$T/ha.sock" "$T/h0"
for be in rr mb; do
  expect_eq "$be: weights before (lbd as HAProxy)" "$(cat "$T/l0.$be")" "$(cat "$T/h0.$be")"
done
back rr; back mb
for i in $(seq 36); do
  weights "$T/lbd.sock" "$T/l"; weights "$T/ha.sock" "$T/h"
  sleep 0.25
done
# The steps each saw, in order. The two count whole seconds of their own
# clocks, so at one instant they may be a step apart, and the first step
# lasts from a few ms to a second: compared from the first step both saw.
common() { # common A B: A's distinct readings from the first one B has too
  uniq "$1" | awk -v b="$2" 'BEGIN { while ((getline l < b) > 0) seen[l] = 1 }
    seen[$0] || on { on = 1; print }' | xargs -d '\n'
}
for be in rr mb; do
  echo "# $be HAProxy: $(uniq "$T/h.$be" | xargs -d '\n')"
  echo "# $be lbd:     $(uniq "$T/l.$be" | xargs -d '\n')"
  expect_eq "$be: lbd's weight/throttle steps are HAProxy's" \
    "$(common "$T/l.$be" "$T/h.$be")" "$(common "$T/h.$be" "$T/l.$be")"
done
# (16 e + 6) / 6 sixteenths of weight 100 for e = 0..5 s: the weight
# rounded up, the throttle down (HAProxy's arithmetic), then the full weight
want="7/6 107 19/18 119 38/37 138 57/56 157 69/68 169 88/87 188 100/ 200"
ramp_tail() { # ramp_tail FILE: its distinct readings end $want, >= 5 of them
  local got
  got=$(uniq "$1" | xargs -d '\n')
  [ "${want%"$got"}" != "$want" ] && [ "$(uniq "$1" | wc -l)" -ge 5 ]
}
check "rr (lbd): the steps seen end the expected ramp ($want)" ramp_tail "$T/l.rr"
check "rr (HAProxy): the steps seen end the expected ramp" ramp_tail "$T/h.rr"
expect_eq "mb: full weight at once, throttle 100 (lbd)" "$(sed -n 1p "$T/l.mb")" "30/100 60"
expect_eq "mb: no throttle once warm (lbd)" "$(tail -1 "$T/l.mb")" "30/ 60"

# traffic: just back with a 30 s slowstart (at most 3/19 of s2's weight in
# its first 3 s), then warm (rr, over by now)
back tr
early_l=$(count_s2 "$PL" tr); early_h=$(count_s2 "$PH" tr)
check "tr: just back, HAProxy sends s2 few of 34 requests ($early_h)" [ "$early_h" -le 6 ]
check "tr: just back, lbd sends s2 few of 34 requests ($early_l)" [ "$early_l" -le 6 ]
late_l=$(count_s2 "$PL" rr); late_h=$(count_s2 "$PH" rr)
half() { [ "$1" -ge 15 ] && [ "$1" -le 19 ]; }
check "rr: warm, HAProxy sends s2 about half ($late_h of 34)" half "$late_h"
check "rr: warm, lbd sends s2 about half ($late_l of 34)" half "$late_l"
finish
