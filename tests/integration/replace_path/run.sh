#!/usr/bin/env bash
# http-request replace-path / replace-pathq / replace-uri, side by side with
# HAProxy 2.6 on the same rules in front of one nginx: for each request the
# request line nginx receives through lbd must be the one it receives
# through HAProxy (the part replaced whole by the rendered replacement with
# \1..\9 from the match, the query kept by replace-path, nothing done when
# the regex does not match, %[...] in the replacement, conditions).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"

B1=$(free_port); PL=$(free_port); PH=$(free_port)
start_nginx "$B1" o
rcfg() { # rcfg PORT
  cat <<CFG
defaults
    mode http
    timeout server 5s
    timeout client 5s
    timeout connect 1s
frontend fe
    bind 127.0.0.1:$1
    http-request replace-path /_db(/)?(.*) /\2 if { req.hdr(x-t) -m str db }
    http-request replace-pathq ^/q/(.*)\$ /Q/\1 if { req.hdr(x-t) -m str pq }
    http-request replace-uri ^/u/([^?]*)(.*) /U\2/\1 if { req.hdr(x-t) -m str uri }
    http-request replace-path ^/h/(.*) /%[req.hdr(x-p)]/\1 if { req.hdr(x-t) -m str fmt }
    http-request replace-path ^/(a)(b)?(c) /\3\2\1\0 if { req.hdr(x-t) -m str groups }
    default_backend be
backend be
    server o 127.0.0.1:$B1
CFG
}
rcfg "$PL" > "$T/lbd.cfg"
rcfg "$PH" > "$T/ha.cfg"
beside_haproxy "$PL" "$PH"

seen() { # seen PORT TARGET HEADER...: the request line nginx got (or nothing)
  local port=$1 target=$2 h=() x n
  shift 2
  for x in "$@"; do h+=(-H "$x"); done
  n=$(wc -l < "$T/nginx-o.log")
  curl -s -o /dev/null --max-time 5 --path-as-is --request-target "$target" "${h[@]}" \
    "http://127.0.0.1:$port/" || true
  sleep 0.1
  tail -n +$((n + 1)) "$T/nginx-o.log" | cut -d' ' -f2- | xargs
}
same() { # same DESC TARGET HEADER...
  local l h
  l=$(seen "$PL" "${@:2}"); h=$(seen "$PH" "${@:2}")
  expect_eq "$1: nginx gets '$h' from lbd too" "$l" "$h"
  check "$1: nginx got one request" [ -n "$h" ]
}
same "replace-path, query kept" "/_db/foo/bar?x=1&y" "X-T: db"
same "replace-path, empty group" "/_db" "X-T: db"
same "replace-path, no match: unchanged" "/other/_dbx?q" "X-T: dbx"
same "replace-path, match inside: the whole path replaced" "/pre/_db/in?z" "X-T: db"
same "replace-pathq: the query is matched too" "/q/a/b?c=d" "X-T: pq"
same "replace-pathq without query" "/q/plain" "X-T: pq"
same "replace-uri: the whole target" "/u/v/w?k=1" "X-T: uri"
same "replace-path with %[req.hdr()]" "/h/rest?s" "X-T: fmt" "X-P: from-hdr"
same "groups out of order, \\0 and an unset group" "/ac/tail?g" "X-T: groups"
same "condition false: unchanged" "/_db/kept" "X-T: none"
finish
