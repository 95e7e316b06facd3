#!/usr/bin/env bash
# Custom error pages (issue 11 group 2): errorfile, http-errors sections,
# errorfiles NAME [CODE...], http-error status ..., defaults inheritance and
# HAProxy's precedence (the backend's page, then the frontend's). One config
# run by lbd and by HAProxy 2.6 side by side; compare.py sends the same raw
# requests to both and compares status line, fields and body. Then lbd -c
# must refuse the files and codes HAProxy refuses, at FILE:LINE. No root.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)

PB=$(free_port)
PL=$(free_port)
PH=$(free_port)
PDEAD=$(free_port) # nothing listens there: connections are refused
bg python3 "$D/../http_rules/echo.py" "$PB"

# error files: LF line ends and a Connection field (rebuilt, as HAProxy does),
# an HTTP/1.0 status line without Content-Length, a status other than the code
printf 'HTTP/1.1 403 Forbidden\nContent-Type: text/plain\nX-Page: site-403\nConnection: keep-alive\nContent-Length: 9\n\nno entry\n' > "$T/site403.http"
printf 'HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\nX-Page: site-503\r\n\r\n<html><body>site is down</body></html>\n' > "$T/site503.http"
printf 'HTTP/1.1 503 Busy\r\nContent-Type: text/plain\r\nX-Page: own-503\r\nContent-Length: 10\r\n\r\nbe is busy' > "$T/own503.http"
printf 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nX-Page: site-404\r\n\r\n' > "$T/site404.http"
printf 'HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nX-Page: defaults-502\r\nContent-Length: 4\r\n\r\n502!' > "$T/def502.http"
printf 'HTTP/1.1 503 Imported\r\nContent-Type: text/plain\r\nX-Page: other-503\r\nContent-Length: 2\r\n\r\nim' > "$T/other503.http"

config() { # PORT
    cat <<CFG
http-errors site
    errorfile 403 $T/site403.http
    errorfile 404 $T/site404.http
    errorfile 503 $T/site503.http
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    errorfile 502 $T/def502.http
frontend fe
    bind 127.0.0.1:$1
    errorfiles site 403 503
    errorfile 408 /dev/null
    http-error status 429 content-type text/plain lf-string "slow down on %[path]" hdr x-retry-host "%[req.hdr(host)]"
    http-error status 500 content-type application/json string '{"e":500}'
    http-request deny if { path /deny }
    http-request deny deny_status 429 if { path /rate }
    http-request deny deny_status 500 if { path /boom }
    http-request deny deny_status 404 if { path /nf }
    http-request deny deny_status 408 if { path /empty }
    http-request deny deny_status 502 if { path /bad }
    http-request return status 503 default-errorfiles if { path /ret-default }
    http-request return status 404 errorfiles site if { path /ret-section }
    http-request return status 429 errorfiles site if { path /ret-fallback }
    http-request return errorfile $T/def502.http if { path /ret-file }
    use_backend be_loc if { path_beg /loc }
    use_backend be_dead if { path_beg /dead }
    use_backend be_own if { path_beg /own }
    use_backend be_imp if { path_beg /imp }
    default_backend be
backend be
    server s1 127.0.0.1:$PB
backend be_dead
    retries 0
    server s1 127.0.0.1:$PDEAD
backend be_own
    retries 0
    errorfile 503 $T/own503.http
    http-error status 401 content-type text/plain string "who are you" hdr x-from be_own
    http-request deny if { path /own/deny }
    http-request deny deny_status 401 if { path /own/auth }
    server s1 127.0.0.1:$PDEAD
backend be_loc
    retries 0
    errorloc 503 /sorry.html
    errorloc303 403 http://example.com/forbidden
    http-request deny if { path /loc/deny }
    server s1 127.0.0.1:$PDEAD
backend be_imp
    retries 0
    http-error status 503 errorfiles other
    server s1 127.0.0.1:$PDEAD
http-errors other
    errorfile 503 $T/other503.http
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

out=$(python3 "$D/compare.py" "$PL" "$PH" 2>&1) && rc=0 || rc=$?
echo "$out"
expect_eq "lbd answers as HAProxy in every case" "$rc" 0
# the comparisons only count if the pages were the configured ones
check "the site's 403 (its LF lines rebuilt)" grep -q '"x-page", "site-403"' <<< "$out"
check "backend's own 503 wins over the frontend's" grep -q '"x-page", "own-503"' <<< "$out"
check "the frontend's 503 for a backend without one" grep -q '"x-page", "site-503"' <<< "$out"
check "http-error errorfiles NAME imports a later section" grep -q '"x-page", "other-503"' <<< "$out"
check "http-error lf-string rendered" grep -q 'slow down on /rate' <<< "$out"
check "errorfile /dev/null: no answer" grep -q 'same deny_status 408.*"answer": null' <<< "$out"
check "errorloc: a 302 to the URL" grep -q '"location", "/sorry.html"' <<< "$out"
check "errorloc303: a 303" grep -q '"HTTP/1.1 303 See Other"' <<< "$out"
check "return errorfiles NAME: the section's page" grep -q 'same return errorfiles.*"x-page", "site-404"' <<< "$out"
check "defaults' errorfile inherited" grep -q '"x-page", "defaults-502"' <<< "$out"

# refused as HAProxy refuses them, at the line (HAProxy's message words)
printf 'HTTP/1.1 503 X\r\nContent-Length: 3\r\n\r\nabcdef' > "$T/clmis.http"
printf 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' > "$T/chunked.http"
printf 'GET / HTTP/1.1\r\n\r\n' > "$T/req.http"
printf 'HTTP/1.1 503 X\r\nX: y' > "$T/trunc.http"
printf 'HTTP/1.1 503 X\r\n\r\nok' > "$T/good.http"
while IFS='|' read -r line words; do
    printf 'frontend f\n  mode http\n  bind 127.0.0.1:1\n  %s\n  default_backend b\nbackend b\n  mode http\n' \
        "$line" > "$T/bad.cfg"
    out=$("$LBD" -c -f "$T/bad.cfg" 2>&1) && rc=0 || rc=$?
    ha=$(haproxy -c -f "$T/bad.cfg" 2>&1) && hrc=0 || hrc=$?
    check "refused at its line: $line ($out)" grep -q "bad.cfg:4: .*$words" <<< "$out"
    expect_eq "HAProxy refuses it too: $line" "$hrc" 1
done <<LINES
errorfile 503 $T/clmis.http|payload size does not match the announced content-length (6 != 3)
errorfile 503 $T/chunked.http|chunk-encoded payload not supported
errorfile 503 $T/req.http|unable to parse headers
errorfile 503 $T/trunc.http|unable to parse headers
errorfile 503 $T/nosuch.http|error opening file
errorfile 414 $T/good.http|status code '414' not handled
errorfile 999 $T/good.http|status code '999' not handled
errorfiles nosuch|unknown http-errors section 'nosuch'
errorfiles nosuch 302|status code '302' not handled
errorloc 414 /x|status code '414' not handled
errorloc 503|expects <status_code> and <url>
http-request return status 503 errorfiles nosuch|unknown http-errors section 'nosuch'
http-request return errorfile $T/clmis.http|payload size does not match
http-error status 503 string x|content-type
http-error status 505 content-type t string x|status code '505' not handled
http-error status 503 content-type t string x if TRUE|unknown keyword 'if'
LINES
finish
