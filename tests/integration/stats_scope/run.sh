#!/usr/bin/env bash
# stats scope, show-desc, show-node and stats settings in defaults, side by
# side with HAProxy 2.6 on the same config: which proxies the page's CSV
# lists (scope NAME, scope "."), the report title of the HTML page ("on
# NODE", ": TEXT", from the line or from global node/description), the
# defaults' stats settings in a proxy without stats lines, and dropped by a
# proxy's first stats line; "stats admin" in defaults refused by both.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"

B1=$(free_port)
start_nginx "$B1" a1
gen() { # gen WEB SCOPED FROMDEF DESC OWN
  cat <<CFG
global
    node lab-node
    description Lab cluster, rack 2
defaults
    timeout server 5s
    timeout connect 1s
    timeout client 5s
    mode http
    stats uri /st
    stats show-node
frontend web
    bind 127.0.0.1:$1
    default_backend app
backend app
    server a1 127.0.0.1:$B1
backend media
    server m1 127.0.0.1:$B1
listen scoped
    bind 127.0.0.1:$2
    stats enable
    stats uri /
    stats scope app
    stats scope .
    stats show-desc Status  of   the lab
    stats show-node node-x
listen fromdef
    bind 127.0.0.1:$3
listen descglobal
    bind 127.0.0.1:$4
    stats show-desc
listen own
    bind 127.0.0.1:$5
    stats enable
CFG
}
L=(); H=()
for i in 1 2 3 4 5; do L+=("$(free_port)"); H+=("$(free_port)"); done
gen "${L[@]}" > "$T/lbd.cfg"
gen "${H[@]}" > "$T/ha.cfg"
beside_haproxy "${L[@]}" "${H[@]}"

get() { curl -s --max-time 5 "http://127.0.0.1:$1$2"; }
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$1$2"; }
rows() { get "$1" "$2" | grep -v '^#' | cut -d, -f1,2 | sed '/^$/d' | xargs; }
pxs() { get "$1" "$2" | grep -v '^#' | cut -d, -f1 | sed '/^$/d' | sort -u | xargs; }
title() { get "$1" "$2" | grep -o '<h2>[^<]*</h2>' | sed 's/pid [0-9]*/pid N/'; }

expect_eq "scope app + .: the CSV rows are HAProxy's ($(rows "${H[1]}" '/;csv'))" \
  "$(rows "${L[1]}" '/;csv')" "$(rows "${H[1]}" '/;csv')"
check "scope: media and web are not listed" [ -z "$(rows "${L[1]}" '/;csv' | grep -E 'media|web')" ]
expect_eq "show-desc TEXT, show-node NAME: the title is HAProxy's ($(title "${H[1]}" /))" \
  "$(title "${L[1]}" /)" "$(title "${H[1]}" /)"
expect_eq "stats from defaults: the page is at /st on both" "$(code "${L[2]}" /st)" "$(code "${H[2]}" /st)"
expect_eq "stats from defaults: every proxy listed, as HAProxy" \
  "$(pxs "${L[2]}" '/st;csv')" "$(pxs "${H[2]}" '/st;csv')"
expect_eq "show-node from defaults: the global node in the title ($(title "${H[2]}" /st))" \
  "$(title "${L[2]}" /st)" "$(title "${H[2]}" /st)"
expect_eq "show-desc alone: the global description ($(title "${H[3]}" /haproxy?stats))" \
  "$(title "${L[3]}" /haproxy?stats)" "$(title "${H[3]}" /haproxy?stats)"
expect_eq "own stats line: the defaults' uri is dropped (status of /st as HAProxy)" \
  "$(code "${L[4]}" /st)" "$(code "${H[4]}" /st)"
expect_eq "own stats line: the page at the default /haproxy?stats (as HAProxy)" \
  "$(code "${L[4]}" '/haproxy?stats')" "$(code "${H[4]}" '/haproxy?stats')"
expect_eq "own stats line: 200 at /haproxy?stats" "$(code "${L[4]}" '/haproxy?stats')" 200

printf 'defaults\n    mode http\n    stats admin if TRUE\nlisten s\n    bind 127.0.0.1:1\n    stats enable\n' > "$T/adm.cfg"
"$LBD" -c -f "$T/adm.cfg" > "$T/adm.l" 2>&1 && lrc=0 || lrc=$?
haproxy -c -f "$T/adm.cfg" > "$T/adm.h" 2>&1 && hrc=0 || hrc=$?
check "stats admin in defaults: HAProxy refuses it ($hrc)" [ "$hrc" -ne 0 ]
expect_eq "stats admin in defaults: lbd refuses it at its line" \
  "$lrc $(grep -o 'adm.cfg:3: .stats admin. not allowed in .defaults. section' "$T/adm.l")" \
  "1 adm.cfg:3: 'stats admin' not allowed in 'defaults' section"
finish
