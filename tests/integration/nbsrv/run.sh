#!/usr/bin/env bash
# nbsrv(BACKEND), side by side with HAProxy 2.6 on the same config: the
# usable servers of a backend (active ones; without any, 1 for the first
# usable backup, or every usable backup with option allbackups), read in a
# response header and in an ACL, through MAINT, weight 0 and DRAIN set on
# both from the admin socket. A backend that does not exist is refused.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"

B1=$(free_port); PL=$(free_port); PH=$(free_port)
start_nginx "$B1" o
ncfg() { # ncfg PORT SOCK
  cat <<CFG
global
    stats socket $2 level admin
defaults
    timeout client 5s
    timeout connect 1s
    timeout server 5s
    mode http
frontend fe
    bind 127.0.0.1:$1
    http-response set-header X-N "%[nbsrv(app)] %[nbsrv(bk)] %[nbsrv(ab)]"
    http-response set-header X-Low yes if { nbsrv(app) lt 2 }
    default_backend web
backend web
    server o 127.0.0.1:$B1
backend app
    server s1 127.0.0.1:$B1
    server s2 127.0.0.1:$B1
    server s3 127.0.0.1:$B1
backend bk
    server a1 127.0.0.1:$B1
    server b1 127.0.0.1:$B1 backup
    server b2 127.0.0.1:$B1 backup
backend ab
    option allbackups
    server a1 127.0.0.1:$B1
    server b1 127.0.0.1:$B1 backup
    server b2 127.0.0.1:$B1 backup
CFG
}
ncfg "$PL" "$T/lbd.sock" > "$T/lbd.cfg"
ncfg "$PH" "$T/ha.sock" > "$T/ha.cfg"
beside_haproxy "$PL" "$PH"

hdrs() { curl -s -o /dev/null -D - --max-time 5 "http://127.0.0.1:$1/" | tr -d '\r' |
  grep -iE '^x-(n|low):' | tr 'A-Z' 'a-z' | sort | xargs; }
both_cmd() { local s; for s in lbd ha; do echo "$1" | socat -t 2 - "UNIX-CONNECT:$T/$s.sock" >/dev/null; done; }
step() { # step DESC WANT [ADMIN COMMAND...]
  local desc=$1 want=$2 c l h
  shift 2
  for c in "$@"; do both_cmd "$c"; done
  l=$(hdrs "$PL"); h=$(hdrs "$PH")
  expect_eq "$desc: lbd's headers are HAProxy's ($h)" "$l" "$h"
  expect_eq "$desc: HAProxy's X-N" "$(sed 's/.*x-n: //' <<< "$h")" "$want"
}
step "all up" "3 1 1"
step "app/s1 in MAINT" "2 1 1" "disable server app/s1"
step "no active server in bk and ab: backups" "2 1 2" "disable server bk/a1" "disable server ab/a1"
step "app/s2 weight 0: not usable" "1 1 2" "set weight app/s2 0"
step "app/s3 draining: not usable" "0 1 2" "set server app/s3 state drain"
step "one backup left" "0 1 1" "disable server bk/b1" "disable server ab/b1"
step "no server at all" "0 0 0" "disable server bk/b2" "disable server ab/b2"
step "back" "2 1 1" "enable server app/s1" "set server app/s3 state ready" "enable server bk/a1" "enable server ab/a1"

printf 'frontend f\n    mode http\n    bind 127.0.0.1:1\n    http-request deny if { nbsrv(nosuch) eq 0 }\n' > "$T/bad.cfg"
"$LBD" -c -f "$T/bad.cfg" > "$T/bad.l" 2>&1 && lrc=0 || lrc=$?
haproxy -c -f "$T/bad.cfg" > "$T/bad.h" 2>&1 && hrc=0 || hrc=$?
check "nbsrv(nosuch): HAProxy refuses it ($hrc)" [ "$hrc" -ne 0 ]
expect_eq "nbsrv(nosuch): lbd refuses it at its line" \
  "$lrc $(grep -c "bad.cfg:4: nbsrv: no backend 'nosuch'" "$T/bad.l")" "1 1"
finish
