#!/usr/bin/env bash
# option forwardfor [except NET] [header NAME] [if-none]: lbd and HAProxy 2.6
# side by side on one config; the echo backend returns the x-* fields it got,
# and each case's fields must be the same through both and the expected ones
# (except in IPv4 and IPv6, with a length and a dotted mask; the backend's
# header name over the frontend's; if-none keeping the client's field). The
# refused forms are checked at FILE:LINE. No root.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)

PB=$(free_port)
bg python3 "$D/../http_rules/echo.py" "$PB"
wait_listen "$PB"

# name FRONTEND-BIND FRONTEND-OPTION BACKEND-OPTION
CASES=(
  "plain|127.0.0.1|option forwardfor|"
  "exc4|127.0.0.1|option forwardfor except 127.0.0.0/8|"
  "exc4mask|127.0.0.1|option forwardfor except 127.0.0.1/255.255.255.255|"
  "exc4other|127.0.0.1|option forwardfor except 10.0.0.0/8|"
  "hdr|127.0.0.1|option forwardfor header X-Client|"
  "ifnone|127.0.0.1|option forwardfor header X-Client if-none|"
  "behdr|127.0.0.1|option forwardfor header X-Fe|option forwardfor header X-Be"
  "beexc|127.0.0.1|option forwardfor|option forwardfor except 127.0.0.0/31"
  "exc6|::1|option forwardfor except ::1/128|"
  "exc6other|::1|option forwardfor except 2001:db8::/32|"
)

config() { # SUFFIX: ports differ between the two configs
  local c name bind fo bo
  printf 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n'
  for c in "${CASES[@]}"; do
    IFS='|' read -r name bind fo bo <<<"$c"
    if [ "$bind" = ::1 ]; then bind="[::1]"; fi
    printf 'frontend f_%s\n    bind %s:%s\n    %s\n    default_backend b_%s\n' \
      "$name" "$bind" "${PORT[$name$1]}" "$fo" "$name"
    printf 'backend b_%s\n    %s\n    server s1 127.0.0.1:%s\n' "$name" "$bo" "$PB"
  done
}

declare -A PORT
ports=()
for c in "${CASES[@]}"; do
  n=${c%%|*}
  PORT[${n}l]=$(free_port); PORT[${n}h]=$(free_port)
  ports+=("${PORT[${n}l]}" "${PORT[${n}h]}")
done
config l >"$T/lbd.cfg"
config h >"$T/ha.cfg"
beside_haproxy "${ports[@]}"

# fields NAME SUFFIX [CURL-ARGS]: the x-* fields the server got, "name=value;..."
fields() {
  local n=$1 s=$2 host=127.0.0.1; shift 2
  case "$n" in exc6*) host="[::1]" ;; esac
  curl -s -g --max-time 5 "$@" "http://$host:${PORT[$n$s]}/" |
    python3 -c 'import json,sys; print(";".join(k+"="+v for k,v in json.load(sys.stdin)["headers"] if k!="host"))' || true
}

# case NAME WANT [CURL-ARGS]
case_() {
  local n=$1 want=$2 l h; shift 2
  l=$(fields "$n" l "$@"); h=$(fields "$n" h "$@")
  expect_eq "$n $*: lbd as HAProxy" "$l" "$h"
  expect_eq "$n $*: fields" "$l" "$want"
}
case_ plain "x-forwarded-for=127.0.0.1"
case_ plain "x-forwarded-for=1.2.3.4;x-forwarded-for=127.0.0.1" -H 'X-Forwarded-For: 1.2.3.4'
case_ exc4 ""
case_ exc4mask ""
case_ exc4other "x-forwarded-for=127.0.0.1"
case_ hdr "x-client=127.0.0.1"
case_ hdr "x-client=9.9.9.9;x-client=127.0.0.1" -H 'X-Client: 9.9.9.9'
case_ ifnone "x-client=127.0.0.1"
case_ ifnone "x-client=9.9.9.9" -H 'X-Client: 9.9.9.9'
case_ ifnone "x-forwarded-for=9.9.9.9;x-client=127.0.0.1" -H 'X-Forwarded-For: 9.9.9.9'
case_ behdr "x-be=127.0.0.1"
case_ beexc ""
case_ exc6 ""
case_ exc6other "x-forwarded-for=::1"

# refused at FILE:LINE with a hint
for bad in "except" "except 300.0.0.0/8" "except 10.0.0.0/33" "header" "sideways"; do
  printf 'defaults\n    mode http\nlisten l\n    bind 127.0.0.1:1\n    option forwardfor %s\n' "$bad" >"$T/bad.cfg"
  out=$("$LBD" -c -f "$T/bad.cfg" 2>&1) && rc=0 || rc=$?
  check "option forwardfor $bad: refused at bad.cfg:5 ($out)" bash -c "[ $rc -ne 0 ] && echo \"\$1\" | grep -q 'bad.cfg:5'" _ "$out"
done
finish
