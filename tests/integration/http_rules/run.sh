#!/usr/bin/env bash
# http-request / http-response rules, redirect and return (issue 11 group
# 2; typed rules of issue 9): one config run by lbd and by HAProxy 2.6 side
# by side in front of one echo backend; compare.py sends the same requests
# to both and compares status, the headers rules touch and what the backend
# received. Then lbd -c refuses what it does not implement. No root.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)

PB=$(free_port)
PL=$(free_port)
PH=$(free_port)
bg python3 "$D/echo.py" "$PB"
cat > "$T/hosts.map" <<'MAP'
# host -> site
www.example.com shop
api.example.com api
MAP

config() { # PORT
    cat <<CFG
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    timeout tarpit 400ms
frontend fe
    bind 127.0.0.1:$1
    acl is_admin hdr(host) -i admin.example
    acl bot hdr_sub(user-agent) -i bot
    acl many_x req.hdr_cnt(x-dup) ge 1
    acl q_debug url_param(debug) -m str 1
    acl img path_reg -i \.(png|jpg)$
    http-request deny deny_status 429 if bot
    http-request tarpit deny_status 403 if { path /tarpit }
    http-request return status 200 content-type text/plain lf-string "pong %[path]" hdr X-Method "%[method]" if { path /ping }
    http-request redirect scheme https code 301 if { path_beg /secure }
    http-request redirect prefix /v2 drop-query if { path_beg /old }
    http-request redirect location /login?from=%[path] if { path_beg /account } !{ req.cook(session) -m found }
    http-request set-header X-Client %[src]
    http-request add-header X-Added "a b"
    http-request set-header X-Host-Lower %[req.hdr(host),lower]
    http-request del-header X-Remove
    http-request del-header X-Drop- -m beg
    http-request replace-header X-Rep (.*)-old \1-new
    http-request replace-value X-List ^b$ B
    http-request set-path /rewritten%[path] if { path_beg /rw/ }
    http-request set-query q=2 if { path_beg /q }
    http-request set-method POST if { path /asPOST }
    http-request set-uri /uri-set if { path /seturi }
    http-request set-header X-Many yes if many_x
    http-request set-header X-Debug on if q_debug
    http-request set-header X-Img 1 if img
    http-request set-header X-Regsub %[path,regsub(/+,_,g)] if { path_beg /a/ }
    http-request set-header X-Map %[req.hdr(host),lower,map_str($T/hosts.map,unknown)] if { path /m }
    http-request deny if is_admin
    http-request set-var(txn.host) req.hdr(host),lower
    http-request set-var-fmt(txn.tag) "t-%[method]-%[path]"
    http-request set-var(txn.n) int(41) if { path /var/n }
    http-request set-header X-N %[var(txn.n)] if { path /var/n }
    http-request unset-var(txn.host) if { path /unset }
    http-request set-header X-Var %[var(txn.host)] if { path_beg /var } or { path /unset }
    http-request set-header X-Var-Def %[var(txn.nope,dflt)] if { path_beg /var }
    http-request set-header X-Tag %[var(txn.tag)] if { path_beg /var }
    use_backend be_%[req.hdr(x-be)] if { req.hdr(x-be) -m found }
    redirect prefix /new if { path_beg /legacy }
    http-response set-header X-Resp hello
    http-response del-header Server
    http-response replace-header X-Srv (.*) srv-\1
    http-response set-status 299 reason Fine if { res.hdr(x-flag) -m str yes }
    http-response deny if { res.hdr(x-secret) -m found }
    default_backend be
backend be
    server s1 127.0.0.1:$PB
backend be_two
    http-request set-header X-Which two
    server s1 127.0.0.1:$PB
CFG
}
config "$PL" > "$T/lbd.cfg"
config "$PH" > "$T/ha.cfg"
beside_haproxy "$PB" "$PL" "$PH"

out=$(python3 "$D/compare.py" "$PL" "$PH" 2>&1) && rc=0 || rc=$?
echo "$out"
expect_eq "lbd answers as HAProxy in every case" "$rc" 0
# the comparisons are only worth something if the rules acted at all
check "rules acted: set-path seen by the backend" grep -q '"GET /rewritten/rw/a/b?k=v HTTP/1.1"' <<< "$out"
check "rules acted: 429 for the bot" grep -q '"status": 429' <<< "$out"
check "rules acted: response set-status 299" grep -q '"status": 299' <<< "$out"
check "rules acted: map lookup" grep -q '"x-map", "shop"' <<< "$out"

# tarpit: the answer comes after "timeout tarpit" (400 ms here)
t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "http://127.0.0.1:$PL/tarpit")
check "tarpit: 403 after at least 0.4 s ($t)" awk -v t="$t" 'BEGIN { split(t, a, " "); exit !(a[1] == 403 && a[2] >= 0.4) }'

# what lbd does not implement is refused at its line, never ignored
for line in "http-request tarpit string x content-type t" "http-request normalize-uri path-merge-slashes" "http-request set-var(proc.a) str(b)" \
    "http-response set-header X %[path]" "http-request set-header Content-Length 0" \
    "http-request set-header X %{+Q}[path]" "http-request set-header X %[nosuchfetch]" \
    "http-request set-header X %[path,nosuchconv]" "http-response set-var(txn.a) path"; do
    printf 'frontend f\n  mode http\n  bind 127.0.0.1:1\n  %s\n  default_backend b\nbackend b\n  mode http\n' \
        "$line" > "$T/bad.cfg"
    out=$("$LBD" -c -f "$T/bad.cfg" 2>&1) && rc=0 || rc=$?
    check "refused at its line: $line ($out)" grep -q "bad.cfg:4: " <<< "$out"
done
finish
