#!/usr/bin/env bash
# userlist + http_auth / http_auth_group + "http-request auth" (issue 11
# group 2): one config run by lbd and HAProxy 2.6 side by side; the same
# requests (no credentials, a crypt(3) password, a clear one, a wrong one,
# a user outside the group) must get the same status, challenge and
# forwarded user. No root.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)

PB=$(free_port)
PL=$(free_port)
PH=$(free_port)
bg python3 "$D/../http_rules/echo.py" "$PB"
HASH=$(openssl passwd -6 -salt lbkitsalt 's3cret')

config() { # PORT
    cat <<CFG
userlist admins
    group ops users bob
    group dev
    user alice password $HASH groups ops,dev
    user bob insecure-password hunter2
    user carol insecure-password pw groups dev
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:$1
    acl authok http_auth(admins)
    acl isops http_auth_group(admins) ops
    http-request auth realm "Admin Area" if { path_beg /admin } !authok
    http-request auth if { path_beg /plain } !authok
    http-request deny if { path_beg /admin } !isops
    http-request set-header X-User %[http_auth_user] if authok
    default_backend be
backend be
    server s1 127.0.0.1:$PB
CFG
}
config "$PL" > "$T/lbd.cfg"
config "$PH" > "$T/ha.cfg"
beside_haproxy "$PB" "$PL" "$PH"

ask() { # PORT PATH [USER:PASS] -> "status|www-authenticate|x-user seen by the backend"
    python3 - "$@" <<'PY'
import base64, http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
h = {"Host": "a"}
if len(sys.argv) > 3:
    h["Authorization"] = "Basic " + base64.b64encode(sys.argv[3].encode()).decode()
c.request("GET", sys.argv[2], headers=h)
r = c.getresponse()
b = r.read()
user = "-"
if r.status == 200:
    user = dict(json.loads(b)["headers"]).get("x-user", "-")
print(f"{r.status}|{r.getheader('www-authenticate', '-')}|{user}")
PY
}
for c in "/admin/x" "/admin/x alice:s3cret" "/admin/x alice:wrong" "/admin/x bob:hunter2" \
    "/admin/x carol:pw" "/admin/x nobody:x" "/plain" "/plain carol:pw" "/open" "/open bob:hunter2"; do
    # shellcheck disable=SC2086
    a=$(ask "$PL" $c)
    # shellcheck disable=SC2086
    b=$(ask "$PH" $c)
    expect_eq "same answer for $c (lbd $a)" "$a" "$b"
done
# the comparison is only worth something if each outcome occurred
expect_eq "no credentials: challenged" "$(ask "$PL" /admin/x)" '401|Basic realm="Admin Area"|-'
expect_eq "crypt(3) password accepted" "$(ask "$PL" /admin/x alice:s3cret)" '200|-|alice'
expect_eq "user outside the group denied" "$(ask "$PL" /admin/x carol:pw)" '403|-|-'
expect_eq "default realm is the proxy's name" "$(ask "$PL" /plain)" '401|Basic realm="fe"|-'
finish
