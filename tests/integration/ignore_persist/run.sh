#!/usr/bin/env bash
# ignore-persist, side by side with HAProxy 2.6 on the same config (cookie
# insert persistence, two nginx that answer their name): a request for
# which the condition holds is balanced whatever its cookie says and gets no
# Set-Cookie; the others follow the cookie, or get one. Compared for each
# request: the server that answered (where the cookie decides), the
# Set-Cookie sent, and the cookie letters of the log's termination state
# (%tsc: U = present but not used, V = valid, N = none, I = inserted);
# several rules, if and unless, the first that holds decides.
# In a frontend both warn that it is ignored.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"

B1=$(free_port); B2=$(free_port); PL=$(free_port); PH=$(free_port)
start_nginx "$B1" s1
start_nginx "$B2" s2
icfg() { # icfg PORT
  cat <<CFG
global
    log stdout format raw local0
defaults
    log global
    log-format "IP %HP %tsc %s"
    mode http
    timeout client 5s
    timeout connect 1s
    timeout server 5s
frontend fe
    bind 127.0.0.1:$1
    ignore-persist if TRUE
    default_backend app
backend app
    balance roundrobin
    cookie SRV insert
    ignore-persist if { path_beg /static }
    ignore-persist unless { path_beg /app /nokeep }
    ignore-persist if { path_beg /nokeep } !{ req.hdr(x-keep) -m found }
    server s1 127.0.0.1:$B1 cookie c1
    server s2 127.0.0.1:$B2 cookie c2
CFG
}
icfg "$PL" > "$T/lbd.cfg"
icfg "$PH" > "$T/ha.cfg"
beside_haproxy "$PL" "$PH"

# ask PORT PATH [CURL ARGS]: "<server> <Set-Cookie or ->"
ask() {
  local port=$1 path=$2 out
  shift 2
  out=$(curl -s --max-time 5 -D "$T/h.txt" "$@" "http://127.0.0.1:$port$path")
  printf '%s %s\n' "$out" "$(grep -i '^set-cookie:' "$T/h.txt" | tr -d '\r' | cut -d' ' -f2- | head -1 || true)"
}
both() { # both DESC PATH [CURL ARGS]: the same answer from both
  local l h
  l=$(ask "$PL" "$2" "${@:3}"); h=$(ask "$PH" "$2" "${@:3}")
  expect_eq "$1: lbd answers as HAProxy ($h)" "$l" "$h"
}
both "cookie c2, persistence kept" /app/1 -H 'Cookie: SRV=c2'
both "cookie c1, persistence kept" /app/2 -H 'Cookie: SRV=c1'
both "no cookie: one is inserted" /app/3
# ignored: balanced round robin, cookie or not, and no Set-Cookie
for s in l h; do
  p=$PL; [ $s = h ] && p=$PH
  for i in 1 2 3 4; do ask "$p" "/static/$i" -H 'Cookie: SRV=c2'; done > "$T/$s.static"
done
expect_eq "ignored (path_beg /static): lbd's servers and Set-Cookie are HAProxy's" \
  "$(sort "$T/l.static" | xargs)" "$(sort "$T/h.static" | xargs)"
check "ignored: HAProxy sends 2 of 4 to s1 despite the cookie c2" \
  [ "$(grep -c '^s1 ' "$T/h.static")" -eq 2 ]
check "ignored: no Set-Cookie from lbd" [ -z "$(awk '$2 != ""' "$T/l.static")" ]
both "ignored without a cookie: none inserted" /static/x
both "if A !B, B there: persistence kept" /nokeep/1 -H 'Cookie: SRV=c2' -H 'X-Keep: 1'
for s in l h; do
  p=$PL; [ $s = h ] && p=$PH
  ask "$p" /nokeep/2 -H 'Cookie: SRV=c2' | cut -d' ' -f2- > "$T/$s.nokeep"
  ask "$p" /other/1 -H 'Cookie: SRV=c1' | cut -d' ' -f2- > "$T/$s.other"
done
expect_eq "if A !B, B missing: ignored, no Set-Cookie (as HAProxy)" "$(cat "$T/l.nokeep")" "$(cat "$T/h.nokeep")"
expect_eq "unless { path_beg /app /nokeep }: /other ignored, no Set-Cookie (as HAProxy)" \
  "$(cat "$T/l.other")" "$(cat "$T/h.other")"

sleep 0.5
logs() { grep -ao 'IP /[^ ]* [^ ]* [^ ]*' "$1" | grep -v '/static/[0-9]' | cut -d' ' -f2,3 | xargs; }
expect_eq "the log's cookie letters are HAProxy's ($(logs "$T/ha.log"))" "$(logs "$T/lbd.log")" "$(logs "$T/ha.log")"
expect_eq "the ignored requests with a cookie are logged --UN on both" \
  "$(grep -ao 'IP /static/[0-9] [^ ]*' "$T/lbd.log" | cut -d' ' -f3 | sort -u) $(grep -ao 'IP /static/[0-9] [^ ]*' "$T/ha.log" | cut -d' ' -f3 | sort -u)" "--UN --UN"
check "HAProxy warns about ignore-persist in a frontend" grep -q "'ignore-persist' ignored because frontend 'fe' has no backend capability" "$T/ha.log"
check "lbd warns about ignore-persist in a frontend" grep -q "'ignore-persist' ignored because frontend 'fe' has no backend capability" "$T/lbd.log"
finish
