#!/usr/bin/env bash
# log-format (issue 11 group 4): lbd and HAProxy 2.6 side by side on the
# same configs, each logging to its own UDP syslog receiver; the lines are
# compared field by field (compare.py: only timers, ports, dates, pids and
# byte counts may differ, and must be numbers). The formats are written in
# the styles public configs use: the httplog fields spelled out, a JSON
# line, a CLF line built with %{+Q}o, tcplog spelled out and a custom tcp
# line. Unknown variables are refused at FILE:LINE by both. No root.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)

PB=$(free_port)
bg python3 "$D/../http_rules/echo.py" "$PB"
wait_listen "$PB"

# The formats, one per case (NAME MODE FORMAT MASK): MASK lists the digit
# runs (compare.py) that may differ.
F_HTTPLOG='HL %ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r'
F_JSON='{"t":"JS","pid":%pid,"client":"%ci","port":%cp,"date":"%t","fe":"%f","be":"%b","srv":"%s","status":%ST,"bytes":%B,"up":%U,"treq":%TR,"tw":%Tw,"tc":%Tc,"tr":%Tr,"ta":%Ta,"tt":%Tt,"method":"%HM","path":"%HP","query":"%HQ","ver":"%HV","uri":"%HU","ts":"%tsc","srvip":"%si","srvport":%sp}'
F_CLF='%{+Q}o CLF %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl'
F_TCPLOG='TL %ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq'
F_TCPX='TX %{+Q}[src] %fi %{+X}ci %b %s %si %sp %U %B %{+Q}f %tsc %ts %Td %Tw %Tc %Tt %ST'

config() { # MODE FORMAT PORT SYSLOG_PORT QUOTE
    cat <<CFG
defaults
    mode $1
    log 127.0.0.1:$4 local0
    $( [ "$2" = clf ] && echo "option httplog clf" || echo "log-format $5$2$5" )
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:$3
${EXTRA:-}
$( [ "$1" = http ] && printf '    capture request header X-Tag len 8\n    capture response header X-Srv len 4\n    use_backend none if { path /none }\n' )
    default_backend be
backend be
    server web 127.0.0.1:$PB
backend none
CFG
}

run_case() { # NAME MODE FORMAT TAG MASK [QUOTE]
    local name=$1 mode=$2 fmt=$3 tag=$4 mask=$5 q=${6:-\"} p out
    local SL=$(free_port) SH=$(free_port) PL=$(free_port) PH=$(free_port)
    bg python3 "$D/../syslogd.py" "$SL" "$T/$name.lbd.syslog"
    bg python3 "$D/../syslogd.py" "$SH" "$T/$name.ha.syslog"
    wait_file "$T/$name.lbd.syslog.ready"; wait_file "$T/$name.ha.syslog.ready"
    config "$mode" "$fmt" "$PL" "$SL" "$q" > "$T/$name.lbd.cfg"
    config "$mode" "$fmt" "$PH" "$SH" "$q" > "$T/$name.ha.cfg"
    out=$(haproxy -c -q -f "$T/$name.ha.cfg" 2>&1) || echo "$out"
    check "$name: HAProxy accepts it" haproxy -c -q -f "$T/$name.ha.cfg"
    check "$name: lbd accepts it" "$LBD" -c -f "$T/$name.lbd.cfg"
    bg haproxy -f "$T/$name.ha.cfg" -db > "$T/$name.ha.log" 2>&1
    mkdir -p "$T/$name.run"
    bg "$LBD" -f "$T/$name.lbd.cfg" -R "$T/$name.run" > "$T/$name.lbd.log" 2>&1
    wait_listen "$PL"; wait_listen "$PH"
    PL_LAST=$PL PH_LAST=$PH
    for p in "$PH" "$PL"; do # the same requests, in the same order
        if [ "$mode" = http ]; then
            curl -s -m 5 -o "$T/$name.$p.body" -H 'X-Tag: a"b|c{d}' "http://127.0.0.1:$p/a/b?x=1&y=%41" || true
            curl -s -m 5 -o /dev/null "http://127.0.0.1:$p/none?x=1&y=%41" || true
            curl -s -m 5 -o /dev/null -d 'hello' "http://127.0.0.1:$p/post?x=1&y=%41" || true
        else
            curl -s -m 5 -o /dev/null --http1.0 "http://127.0.0.1:$p/t" || true
        fi
    done
    want=$([ "$mode" = http ] && echo 6 || echo 2)
    for i in $(seq 1 60); do # the lines arrive by UDP, after the close
        [ "$(cat "$T/$name.lbd.syslog" "$T/$name.ha.syslog" | wc -l)" -ge "$want" ] && break
        sleep 0.05
    done
    head -n1 "$T/$name.lbd.syslog" "$T/$name.ha.syslog"
    check "$name: the same lines as HAProxy, field by field" \
        python3 "$D/compare.py" "$T/$name.lbd.syslog" "$T/$name.ha.syslog" "$tag" "$mask"
}

# digit runs that may differ: client port, dates, timers, bytes (%B %U:
# the responses differ: lbd's 503 page, header bytes)
run_case httplog http "$F_HTTPLOG" HL 4,5,6,7,8,9,10,11,12,13,14,15,17
run_case json http "$F_JSON" '{"t":"JS"' 0,5,6,7,8,9,10,11,13,14,15,16,17,18,19,20 "'"
run_case clf http "$F_CLF" CLF 4,5,6,7,8,9,15,16,17,18,19,20,21,22
run_case optclf http clf 127 4,5,6,7,8,9,15,16,17,18,19,20,21,22
# unique-id-format / unique-id-header as real files write them: the ID in
# the log line and in the request the server gets
EXTRA='    unique-id-format %{+X}o%ci:%cp_%fi:%fp_%Ts_%rt:%pid
    unique-id-header X-Unique-ID' \
    run_case uid http 'ID %ID %{+Q}ID %ci' ID hex
ids() { python3 -c 'import json,sys; h=dict(json.load(open(sys.argv[1]))["headers"]); print(h.get("x-unique-id", "none"))' "$1"; }
lid=$(ids "$T/uid.$PL_LAST.body"); hid=$(ids "$T/uid.$PH_LAST.body")
echo "unique-id seen by the server: lbd $lid, haproxy $hid"
shape() { sed -E 's/[0-9A-F]+/H/g' <<< "$1"; }
check "uid: the server gets X-Unique-ID from lbd" test "$lid" != none
expect_eq "uid: same shape as HAProxy's" "$(shape "$lid")" "$(shape "$hid")"
expect_eq "uid: client IP part as HAProxy's" "${lid%%:*}" "${hid%%:*}"
check "uid: lbd logs the ID the server got" grep -q "ID $lid \"$lid\" 127.0.0.1" "$T/uid.lbd.syslog"
# the other form real files write: a random ID per request, uuid()
EXTRA='    unique-id-format %[uuid()]
    unique-id-header X-Request-ID' \
    run_case uuid http 'UU %ci' UU 0
rid() { python3 -c 'import json,sys; h=dict(json.load(sys.stdin)["headers"]); print(h.get("x-request-id", "none"))'; }
lu=$(rid < "$T/uuid.$PL_LAST.body"); hu=$(rid < "$T/uuid.$PH_LAST.body")
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
check "uuid(): lbd sends a version 4 UUID ($lu)" grep -Eq "$UUID_RE" <<< "$lu"
check "uuid(): as HAProxy does ($hu)" grep -Eq "$UUID_RE" <<< "$hu"
lu2=$(curl -s -m 5 "http://127.0.0.1:$PL_LAST/again" | rid)
check "uuid(): a new one for the next request ($lu2)" bash -c "[ '$lu2' != '$lu' ] && grep -Eq '$UUID_RE' <<< '$lu2'"
printf 'defaults\n    mode http\nfrontend f\n    bind 127.0.0.1:1\n    unique-id-format %%[uuid(7)]\n' > "$T/uuid7.cfg"
out=$("$LBD" -c -f "$T/uuid7.cfg" 2>&1) && rc=0 || rc=$?
check "uuid(7): refused at its line, as HAProxy 2.6 knows version 4 only ($out)" \
    grep -q "uuid7.cfg:5: .*uuid(7): only version 4 is supported" <<< "$out"
run_case tcplog tcp "$F_TCPLOG" TL 4,5,6,7,8,9,10,11,12,13
run_case tcpx tcp "$F_TCPX" TX 17,18,19,20

# log targets in each format, log-tag (global, then the frontend's) and
# log-send-hostname: the same datagrams, dates and pids masked
targets_cfg() { # PORT SYSLOG_PORT
    cat <<CFG
global
    log-send-hostname lbhost
    log-tag gtag
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:$1
    log-tag ftag
$(for f in rfc3164 rfc5424 short priority timed iso raw; do echo "    log 127.0.0.1:$2 format $f local0"; done)
    log 127.0.0.1:$2 len 80 format short local1 notice
    log 127.0.0.1:$2 local2 info notice
    log-format "X %ci %ST 0123456789012345678901234567890123456789012345678901234567890123456789 %HP"
    default_backend be
frontend other
    bind 127.0.0.1:$3
    log 127.0.0.1:$2 local0
    log-format "Y %ci %ST"
    default_backend be
backend be
    server web 127.0.0.1:$PB
CFG
}
SL=$(free_port) SH=$(free_port) PL=$(free_port) PH=$(free_port) OL=$(free_port) OH=$(free_port)
bg python3 "$D/../syslogd.py" "$SL" "$T/tg.lbd.syslog"
bg python3 "$D/../syslogd.py" "$SH" "$T/tg.ha.syslog"
wait_file "$T/tg.lbd.syslog.ready"; wait_file "$T/tg.ha.syslog.ready"
targets_cfg "$PL" "$SL" "$OL" > "$T/tg.lbd.cfg"; targets_cfg "$PH" "$SH" "$OH" > "$T/tg.ha.cfg"
check "targets: HAProxy accepts it" haproxy -c -q -f "$T/tg.ha.cfg"
check "targets: lbd accepts it" "$LBD" -c -f "$T/tg.lbd.cfg"
bg haproxy -f "$T/tg.ha.cfg" -db > "$T/tg.ha.log" 2>&1
mkdir -p "$T/tg.run"
bg "$LBD" -f "$T/tg.lbd.cfg" -R "$T/tg.run" > "$T/tg.lbd.log" 2>&1
wait_listen "$PL"; wait_listen "$PH"; wait_listen "$OL"; wait_listen "$OH"
for p in "$PH" "$PL"; do curl -s -m 5 -o /dev/null "http://127.0.0.1:$p/a" || true; done
for p in "$OH" "$OL"; do curl -s -m 5 -o /dev/null "http://127.0.0.1:$p/b" || true; done
for i in $(seq 1 60); do
    [ "$(cat "$T/tg.lbd.syslog" "$T/tg.ha.syslog" | wc -l)" -ge 20 ] && break
    sleep 0.05
done
norm() {
    sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}[+-][0-9]{2}:[0-9]{2}/ISO/g;
            s/^(<[0-9]+>)[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} /\1DATE /;
            s/\[[0-9]+\]: /[PID]: /; s/^(<[0-9]+>1 ISO [^ ]+ [^ ]+) [0-9]+ /\1 PID /' "$1"
}
cat "$T/tg.lbd.syslog"
expect_eq "targets: the datagrams HAProxy sends (formats, tag, host, len, levels)" \
    "$(norm "$T/tg.lbd.syslog")" "$(norm "$T/tg.ha.syslog")"

# refused by both, at the line
refused() { # NAME MODE FORMAT WHAT
    config "$2" "$3" "$(free_port)" 514 '"' > "$T/$1.cfg"
    local ha lb
    ha=$(haproxy -c -f "$T/$1.cfg" 2>&1) && fail "$1: HAProxy accepts it" || ok "$1: HAProxy refuses it"
    lb=$("$LBD" -c -f "$T/$1.cfg" 2>&1) && fail "$1: lbd accepts it" || ok "$1: lbd refuses it"
    echo "$lb"
    check "$1: lbd names FILE:LINE and $4" grep -q "$T/$1.cfg:4: .*$4" <<< "$lb"
}
refused unknown http 'x %ci %zz' "no such format variable 'zz'"
refused tcp_http_var tcp 'x %ci %HM' "'HM' is reserved for HTTP mode"
refused req_fetch http 'x %[req.hdr(host)]' "req.hdr"
finish
