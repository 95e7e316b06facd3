#!/usr/bin/env bash
# The map_reg converter: each key of the map file is a regular expression
# (PCRE2, unanchored as HAProxy's regex patterns), tried in file order; the
# first that matches gives the value, else the default argument. lbd and
# HAProxy 2.6 side by side on one config: a dynamic use_backend
# (be_%[base,map_reg(FILE,none)], the OpenShift router's pattern) and a
# header set from a second map without a default; the echo backend returns
# what it got, which must be the same through both and the expected value.
# A map file with an invalid regex is refused by both, lbd naming the map
# file's line. No root.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)

PB=$(free_port)
bg python3 "$D/../http_rules/echo.py" "$PB"
wait_listen "$PB"

# first match wins: "shop.blog.example" matches both lines, takes "shop"
cat >"$T/hosts.map" <<'MAP'
# Host + path (base) -> backend suffix
^shop\.[a-z.]+(:[0-9]+)?/     shop
blog                          blog
MAP
cat >"$T/tier.map" <<'MAP'
/api/v[0-9]+/   api
\.(png|css)$    static
MAP

config() { # PORT
  cat <<CFG
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:$1
    http-request set-header X-Tier %[path,map_reg($T/tier.map)]
    use_backend be_%[base,map_reg($T/hosts.map,none)]
backend be_shop
    http-request set-header X-Be shop
    server s1 127.0.0.1:$PB
backend be_blog
    http-request set-header X-Be blog
    server s1 127.0.0.1:$PB
backend be_none
    http-request set-header X-Be none
    server s1 127.0.0.1:$PB
CFG
}
PL=$(free_port); PH=$(free_port)
config "$PL" >"$T/lbd.cfg"
config "$PH" >"$T/ha.cfg"
beside_haproxy "$PL" "$PH"

# fields PORT HOST PATH: the x-* fields the server got, "name=value;..."
fields() {
  curl -s --max-time 5 -H "Host: $2" "http://127.0.0.1:$1$3" |
    python3 -c 'import json,sys; print(";".join(k+"="+v for k,v in json.load(sys.stdin)["headers"] if k!="host"))' || true
}
# case HOST PATH WANT
case_() {
  local l h
  l=$(fields "$PL" "$1" "$2"); h=$(fields "$PH" "$1" "$2")
  expect_eq "$1$2: lbd as HAProxy" "$l" "$h"
  expect_eq "$1$2: fields" "$l" "$3"
}
case_ shop.example / "x-tier=;x-be=shop"
case_ shop.example:8080 /api/v2/cart "x-tier=api;x-be=shop"
case_ www.blog.example /a.css "x-tier=static;x-be=blog"
case_ shop.blog.example / "x-tier=;x-be=shop"
case_ www.example /api/vX/ "x-tier=;x-be=none"
case_ SHOP.example / "x-tier=;x-be=none"

# a bad regex in the map: both refuse; lbd names the map file and its line
printf 'ok  a\n(unclosed  b\n' >"$T/bad.map"
sed "s|$T/hosts.map|$T/bad.map|" "$T/lbd.cfg" >"$T/bad.cfg"
check "HAProxy refuses an invalid regex in a map" bash -c "! haproxy -c -f '$T/bad.cfg' >/dev/null 2>&1"
out=$("$LBD" -c -f "$T/bad.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "lbd refuses an invalid regex in a map ($out)" "$rc" 1
check "lbd names the config line and the map's line 2" \
  grep -q "bad.cfg:9: .*map file '$T/bad.map' line 2: invalid regex '(unclosed'" <<<"$out"
finish
