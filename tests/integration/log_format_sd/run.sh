#!/usr/bin/env bash
# log-format-sd (issue 11 group 4), lbd and HAProxy 2.6 side by side: the
# RFC 5424 structured data of a mode http frontend (variables and samples)
# and of a mode tcp listen, in rfc5424 lines on stdout;
# a frontend without it writes "-"; a raw target gets no structured data.
# Lines compared with the date, host and pid masked. No root.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)

PB=$(free_port)
bg python3 "$D/../http_rules/echo.py" "$PB"
config() { # HTTP-PORT TCP-PORT PLAIN-PORT
    cat <<CFG
global
    log stdout format rfc5424 local0
defaults
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend web
    mode http
    bind 127.0.0.1:$1
    log stderr format raw local0
    log-format "web %ST %HP"
    log-format-sd "[req@32473 status=\"%ST\" path=\"%HP\" fe=\"%ft\" n=\"%[fe_name,upper]\"][srv@32473 be=\"%b\"]"
    default_backend be
frontend plain
    mode http
    bind 127.0.0.1:$3
    log-format "plain %ST"
    default_backend be
listen tcpfe
    mode tcp
    bind 127.0.0.1:$2
    log-format "tcp %f %b"
    log-format-sd "[tcp@1 fe=\"%f\"]"
    server s1 127.0.0.1:$PB
backend be
    mode http
    server s1 127.0.0.1:$PB
CFG
}
PL=$(free_port); PL2=$(free_port); PL3=$(free_port); PH=$(free_port); PH2=$(free_port); PH3=$(free_port)
config "$PL" "$PL2" "$PL3" > "$T/lbd.cfg"; config "$PH" "$PH2" "$PH3" > "$T/ha.cfg"
beside_haproxy "$PB" "$PL" "$PL2" "$PL3" "$PH" "$PH2" "$PH3"
for p in "$PL $PL2 $PL3" "$PH $PH2 $PH3"; do
    set -- $p
    curl -s -o /dev/null "http://127.0.0.1:$1/a/b"
    curl -s -o /dev/null "http://127.0.0.1:$3/c"
    curl -s -o /dev/null "http://127.0.0.1:$2/t"
done
sleep 0.7
norm() { grep -E '^<[0-9]+>1 ' "$1" | sed -E 's/^(<[0-9]+>1) [^ ]+ [^ ]+ ([^ ]+) [0-9]+ /\1 DATE HOST \2 PID /; s/^(<[0-9]+>1 DATE HOST) [^ ]+/\1 TAG/' | sort; }
a=$(norm "$T/lbd.log"); b=$(norm "$T/ha.log")
echo "$a"
expect_eq "3 rfc5424 lines" "$(grep -c . <<< "$a")" 3
expect_eq "rfc5424 lines with their structured data as HAProxy's" "$a" "$b"
check "the frontend's structured data" grep -qF '[req@32473 status="200" path="/a/b" fe="web" n="WEB"][srv@32473 be="be"] web 200 /a/b' <<< "$a"
check "mode tcp" grep -qF '[tcp@1 fe="tcpfe"] tcp tcpfe tcpfe' <<< "$a"
r=$(grep -h '^web ' "$T/lbd.log" || true)
expect_eq "a raw target: the line without structured data" "$r" "web 200 /a/b"
finish
