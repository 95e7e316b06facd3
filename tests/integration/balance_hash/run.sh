#!/usr/bin/env bash
# balance uri / hdr / source under every hash-type HAProxy 2.6 has
# (map-based and consistent; sdbm, djb2, wt6, crc32; avalanche), and
# balance uri's len / depth / whole, side by side with HAProxy on the same
# config in front of four nginx that answer their name: for 200 different
# URIs, headers and source addresses, lbd must pick the server HAProxy
# picks (a migration keeps cache affinity). Then with one server in MAINT
# on both (consistent: only its keys move), and balance random(2) spreading
# as the weights (statistical bound), and use-server rules (a rule whose
# server is down is skipped) the same on both.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
N=200

B1=$(free_port); B2=$(free_port); B3=$(free_port); B4=$(free_port)
PL=$(free_port); PH=$(free_port)
start_nginx "$B1" s1
start_nginx "$B2" s2
start_nginx "$B3" s3
start_nginx "$B4" s4

# name|hash-type line|balance line|weights s1..s4
CASES="
map|hash-type map-based|balance uri|1 2 3 1
mapgcd|hash-type map-based|balance uri|2 4 6 2
mapdjb2|hash-type map-based djb2|balance uri|1 2 3 1
mapwt6|hash-type map-based wt6|balance uri|3 1 1 2
mapcrc|hash-type map-based crc32|balance uri|1 1 1 1
mapaval|hash-type map-based sdbm avalanche|balance uri|1 2 3 1
cons|hash-type consistent|balance uri|1 2 3 1
conssdbm|hash-type consistent sdbm|balance uri|1 1 1 1
consdjb2|hash-type consistent djb2 avalanche|balance uri|10 20 30 10
conswt6|hash-type consistent wt6|balance uri|1 2 3 1
conscrc|hash-type consistent crc32|balance uri|2 4 6 2
whole|hash-type map-based|balance uri whole|1 2 3 1
depth|hash-type map-based|balance uri depth 2|1 2 3 1
len|hash-type consistent|balance uri len 9|1 2 3 1
hdrmap|hash-type map-based|balance hdr(x-user)|1 2 3 1
hdrcons|hash-type consistent crc32|balance hdr(x-user)|1 2 3 1
srcmap|hash-type map-based|balance source|1 2 3 1
srccons|hash-type consistent|balance source|1 2 3 1
srcaval|hash-type map-based sdbm avalanche|balance source|1 1 1 1
"

gen() { # gen PORT SOCK
  cat <<CFG
global
    stats socket $2 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:$1
    use_backend rnd if { req.hdr(x-be) -m str rnd }
    use_backend us if { req.hdr(x-be) -m str us }
CFG
  echo "$CASES" | while IFS='|' read -r name ht bal w; do
    [ -n "$name" ] || continue
    echo "    use_backend $name if { req.hdr(x-be) -m str $name }"
  done
  echo "$CASES" | while IFS='|' read -r name ht bal w; do
    [ -n "$name" ] || continue
    set -- $w
    printf 'backend %s\n    %s\n    %s\n' "$name" "$bal" "$ht"
    printf '    server s1 127.0.0.1:%s weight %s\n    server s2 127.0.0.1:%s weight %s\n' "$B1" "$1" "$B2" "$2"
    printf '    server s3 127.0.0.1:%s weight %s\n    server s4 127.0.0.1:%s weight %s\n' "$B3" "$3" "$B4" "$4"
  done
  printf 'backend us\n    use-server s3 if { path_beg /pin }\n'
  printf '    use-server s2 if { req.hdr(x-pin) -m str two }\n'
  printf '    server s1 127.0.0.1:%s\n    server s2 127.0.0.1:%s\n' "$B1" "$B2"
  printf '    server s3 127.0.0.1:%s\n    server s4 127.0.0.1:%s\n' "$B3" "$B4"
  printf 'backend rnd\n    balance random(2)\n'
  printf '    server s1 127.0.0.1:%s weight 1\n    server s2 127.0.0.1:%s weight 2\n' "$B1" "$B2"
  printf '    server s3 127.0.0.1:%s weight 3\n    server s4 127.0.0.1:%s weight 2\n' "$B3" "$B4"
}
gen "$PL" "$T/lbd.sock" > "$T/lbd.cfg"
gen "$PH" "$T/ha.sock" > "$T/ha.cfg"
beside_haproxy "$PL" "$PH"

mode_of() {
  case $1 in hdr*) echo hdr ;; src*) echo src ;; *) echo uri ;; esac
}

# compare TAG: every case, N inputs, on both; counts the same picks
compare() {
  local tag=$1 name ht bal w m same distinct
  while IFS='|' read -r name ht bal w; do
    [ -n "$name" ] || continue
    m=$(mode_of "$name")
    "$PY" "$HERE/pick.py" "$PL" "$name" "$m" "$N" > "$T/l.$tag.$name"
    "$PY" "$HERE/pick.py" "$PH" "$name" "$m" "$N" > "$T/h.$tag.$name"
    same=$(paste -d' ' "$T/l.$tag.$name" "$T/h.$tag.$name" | awk '$1 == $2 && $1 ~ /^s[1-4]$/' | wc -l)
    distinct=$(sort -u "$T/h.$tag.$name" | grep -c '^s[1-4]$' || true)
    expect_eq "$tag $name ($bal; $ht; weights $w): lbd picks HAProxy's server for $N inputs" "$same" "$N"
    check "$tag $name: HAProxy spreads the $N inputs over >= 3 servers ($distinct)" [ "$distinct" -ge 3 ]
  done <<< "$CASES"
}
compare up

# use-server: 20 requests per rule, same answers on both
usesrv() { # usesrv TAG
  local m l h
  for m in pin two; do
    l=$("$PY" "$HERE/pick.py" "$PL" us "$m" 20 | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
    h=$("$PY" "$HERE/pick.py" "$PH" us "$m" 20 | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
    expect_eq "$1 use-server ($m): lbd's servers are HAProxy's ($h)" "$l" "$h"
  done
}
usesrv up

# s2 in MAINT on both: the hash tables are rebuilt without it
echo "$CASES" | while IFS='|' read -r name ht bal w; do
  [ -n "$name" ] || continue
  echo "disable server $name/s2" | socat -t 2 - "UNIX-CONNECT:$T/lbd.sock" >/dev/null
  echo "disable server $name/s2" | socat -t 2 - "UNIX-CONNECT:$T/ha.sock" >/dev/null
done
echo "disable server us/s2" | socat -t 2 - "UNIX-CONNECT:$T/lbd.sock" >/dev/null
echo "disable server us/s2" | socat -t 2 - "UNIX-CONNECT:$T/ha.sock" >/dev/null
compare s2maint
usesrv s2maint

# consistent hashing: with s2 gone, only the keys s2 had moved
moved=$(paste -d' ' "$T/l.up.cons" "$T/l.s2maint.cons" | awk '$1 != $2 && $1 != "s2"' | wc -l)
expect_eq "consistent: no key of s1/s3/s4 moved when s2 left" "$moved" 0
moved=$(paste -d' ' "$T/l.up.map" "$T/l.s2maint.map" | awk '$1 != $2 && $1 != "s2"' | wc -l)
check "map-based: keys of other servers moved when s2 left ($moved)" [ "$moved" -gt 0 ]

# balance random(2), weights 1 2 3 2 over 800 requests on each: the draws
# land on the consistent-hash ring, whose arcs are only roughly
# proportional to the weights (shares measured 0.05 away from weight/8), and that
# ring is HAProxy's: each server's share must be within 0.08 of the share
# HAProxy gives it (two samples of 800: about 3.5 standard deviations)
"$PY" "$HERE/pick.py" "$PL" rnd none 800 | sort | uniq -c > "$T/rnd.counts"
"$PY" "$HERE/pick.py" "$PH" rnd none 800 | sort | uniq -c > "$T/rnd.ha.counts"
for s in 1 2 3 4; do
  c=$(awk -v s="s$s" '$2 == s {print $1}' "$T/rnd.counts")
  h=$(awk -v s="s$s" '$2 == s {print $1}' "$T/rnd.ha.counts")
  check "random(2): s$s got ${c:-0}/800 on lbd, ${h:-0}/800 on HAProxy" \
    awk -v c="${c:-0}" -v h="${h:-0}" 'BEGIN { d = (c - h) / 800; exit !(c > 0 && d < 0.08 && d > -0.08) }'
done

finish
