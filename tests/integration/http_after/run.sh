#!/usr/bin/env bash
# http-after-response (issue 11 group 2): rules on every response, the
# server's and lbd's own (http-error pages, errorfiles, return, redirect,
# the built-in pages), none on request parsing errors, the backend's rules
# then the frontend's, a named defaults section's first. One config run by
# lbd and by HAProxy 2.6 side by side; ../http_errors/compare.py (case set
# "after") compares status line, fields and body. Then lbd -c refuses what
# HAProxy refuses and the actions lbd lacks, at FILE:LINE. No root.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)

PB=$(free_port)
PL=$(free_port)
PH=$(free_port)
PDEAD=$(free_port) # nothing listens there
bg python3 "$D/../http_rules/echo.py" "$PB"
printf 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nCache-Control: no-cache\r\nContent-Length: 4\r\n\r\ngone' > "$T/503.http"

config() { # PORT
    cat <<CFG
defaults fe_side
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    http-after-response set-header x-def from-defaults
frontend fe from fe_side
    bind 127.0.0.1:$1
    http-error status 404 content-type text/plain string "not here"
    http-request deny deny_status 404 if { path /nf }
    http-request deny if { path /deny }
    http-request return status 200 content-type text/plain string ok if { path /ret }
    http-request redirect location /elsewhere code 302 if { path /redir }
    use_backend be_dead if { path_beg /dead }
    default_backend be
    http-after-response allow if { res.hdr(x-stop) -m found }
    http-after-response set-header x-after fe
    http-after-response add-header x-status %[status]
    http-after-response del-header x-srv
    http-after-response replace-header x-rep (.*)-old \1-new
    http-after-response replace-value cache-control ^no-cache$ private
    http-after-response set-status 418 reason Teapot if { status 404 }
    http-after-response set-var(txn.st) status
    http-after-response set-header x-var st-%[var(txn.st)]
    http-after-response unset-var(txn.st)
    http-after-response set-header x-unset "%[var(txn.st,none)]"
defaults be_side
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
backend be
    http-response set-header x-rsp 1
    http-after-response set-header x-be be
    http-after-response set-header x-order be-first
    server s1 127.0.0.1:$PB
backend be_dead
    retries 0
    errorfile 503 $T/503.http
    http-after-response set-header x-be dead
    server s1 127.0.0.1:$PDEAD
CFG
}
config "$PL" > "$T/lbd.cfg"
config "$PH" > "$T/ha.cfg"
out=$(haproxy -c -f "$T/ha.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "HAProxy accepts the config ($out)" "$rc" 0
out=$("$LBD" -c -f "$T/lbd.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "lbd accepts the config ($out)" "$rc" 0
bg haproxy -f "$T/ha.cfg" -db > "$T/haproxy.log" 2>&1
bg "$LBD" -f "$T/lbd.cfg" > "$T/lbd.log" 2>&1
wait_listen "$PB" && wait_listen "$PL" && wait_listen "$PH"

out=$(python3 "$D/../http_errors/compare.py" "$PL" "$PH" after 2>&1) && rc=0 || rc=$?
echo "$out"
expect_eq "lbd answers as HAProxy in every case" "$rc" 0
# the comparisons only count if the rules acted
check "rules acted on a server response" grep -q 'same server response: backend.*"x-after", "fe"' <<< "$out"
check "rules acted on an http-error page (set-status 418)" grep -q '"status": "HTTP/1.1 418 Teapot"' <<< "$out"
check "rules acted on an errorfile" grep -q 'same 503 errorfile.*"x-be", "dead"' <<< "$out"
check "rules acted on a redirect" grep -q 'same redirect.*"x-after", "fe"' <<< "$out"
check "none on a parsing error" grep -q 'same invalid request.*\[\]\]' <<< "$out"
check "replace-value acted" grep -q '"cache-control", "private, public"' <<< "$out"

while IFS='|' read -r sec line words; do
    printf '%s\n  mode http\n  %s\nfrontend f\n  mode http\n  bind 127.0.0.1:1\n  default_backend b\nbackend b\n  mode http\n' \
        "$sec" "$line" > "$T/bad.cfg"
    out=$("$LBD" -c -f "$T/bad.cfg" 2>&1) && rc=0 || rc=$?
    ha=$(haproxy -c -f "$T/bad.cfg" 2>&1) && hrc=0 || hrc=$?
    check "refused at its line: $sec / $line ($out)" grep -q "bad.cfg:3: .*$words" <<< "$out"
    expect_eq "HAProxy refuses it too: $sec / $line" "$hrc" 1
done <<LINES
defaults|http-after-response set-header x 1|not allowed in anonymous 'defaults' section
defaults named|http-after-response set-header x %[path]|
defaults named|http-after-response deny|action not supported
defaults named|http-after-response nosuch|action not supported
LINES
# what HAProxy has and lbd does not: refused, never ignored
for line in "http-after-response capture res.hdr(x) id 0" "http-after-response strict-mode off"; do
    printf 'frontend f\n  mode http\n  bind 127.0.0.1:1\n  %s\n  default_backend b\nbackend b\n  mode http\n' \
        "$line" > "$T/bad.cfg"
    out=$("$LBD" -c -f "$T/bad.cfg" 2>&1) && rc=0 || rc=$?
    check "refused at its line: $line ($out)" grep -q "bad.cfg:4: .*not supported" <<< "$out"
done
# a stats-only proxy's page is served without rules: refused, not ignored
printf 'defaults\n  mode http\nlisten stats\n  bind 127.0.0.1:1\n  stats enable\n  stats uri /s\n  http-after-response set-header x 1\n' > "$T/bad.cfg"
out=$("$LBD" -c -f "$T/bad.cfg" 2>&1) && rc=0 || rc=$?
check "refused on a stats page ($out)" grep -q "bad.cfg:7: .*not supported" <<< "$out"
finish
