#!/usr/bin/env bash
# bind ... accept-proxy (issue 11): lbd and HAProxy 2.6 side by side on the
# same config, each sent the same PROXY v1 and v2 headers (ppsend.py: TCP4,
# TCP6, UNKNOWN, LOCAL, TLVs, a CRC32C TLV, and malformed, truncated, split,
# missing and late headers). Compared: what each answers, the client and
# frontend addresses each logs (%ci:%cp %fi:%fp), the PROXY header each
# forwards to its server (send-proxy: the addresses of the received header
# chained on), the X-Forwarded-For and src ACL of an HTTP frontend, and the
# line each logs for a connection whose header is refused. No root.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)

conf() { # FT FH SERVER ECHO SYSLOG
    cat <<CFG
defaults
    log 127.0.0.1:$5 local0
    timeout connect 2s
    timeout client 1s
    timeout server 5s
frontend ft
    mode tcp
    bind 127.0.0.1:$1 accept-proxy
    log-format "TL %ci:%cp %fi:%fp %b/%s %ts"
    default_backend bt
backend bt
    mode tcp
    server s 127.0.0.1:$3 send-proxy
frontend fh
    mode http
    bind 127.0.0.1:$2 accept-proxy name pp
    option forwardfor
    log-format "HL %ci:%cp %fi:%fp %[src] %ST %HP"
    http-request deny if { src 203.0.113.66 }
    default_backend bh
backend bh
    mode http
    server s 127.0.0.1:$4
CFG
}
PE=$(free_port)
bg python3 "$D/../http_rules/echo.py" "$PE"
for n in L H; do
    for k in FT FH S SL; do eval "${n}_$k=$(free_port)"; done
    mkdir -p "$T/$n.srv"
    bg python3 "$D/../send_proxy/ppcap.py" "$(eval echo \$${n}_S)" "$T/$n.srv"
    bg python3 "$D/../syslogd.py" "$(eval echo \$${n}_SL)" "$T/$n.syslog"
done
conf "$L_FT" "$L_FH" "$L_S" "$PE" "$L_SL" > "$T/lbd.cfg"
conf "$H_FT" "$H_FH" "$H_S" "$PE" "$H_SL" > "$T/ha.cfg"
wait_file "$T/L.syslog.ready"
wait_file "$T/H.syslog.ready"
beside_haproxy "$L_FT" "$L_FH" "$H_FT" "$H_FH"
wait_listen "$PE"; wait_listen "$L_S"; wait_listen "$H_S"

# norm: the parts that differ by run (client ports, dates, pids, the
# frontends' own ports) as fixed words
norm() {
    sed -E -e 's/^<([0-9]+)>.*\[[0-9]+\]: /<\1> /' -e 's/127\.0\.0\.1:[0-9]+/127.0.0.1:P/g' \
        -e 's/\[[0-9]{2}\/[A-Z][a-z]{2}\/[0-9:.]+\]/[DATE]/g' \
        -e "s/127\.0\.0\.1 127\.0\.0\.1 [0-9]+ [0-9]+/127.0.0.1 127.0.0.1 P P/g"
}
# the newest connection file of server side N (what the last case forwarded)
last_fwd() {
    local f
    f=$(ls -t "$T/$1.srv" 2>/dev/null | head -n1)
    [ -n "$f" ] && head -n1 "$T/$1.srv/$f" | tr -d '\r' | norm || echo "-"
}

tcp_cases="t_v1_tcp4 t_v1_tcp6 t_v1_unknown t_v2_tcp4 t_v2_tcp6 t_v2_tlv t_v2_local t_v2_unix
  t_v2_crc_ok t_v2_crc_bad t_v2_tlv_cut t_v2_badcmd t_v1_port0 t_v1_port_big t_v1_port_sign
  t_v1_space2 t_v1_6_port0 t_v1_6_v4 t_v2_auth_long t_v2_uid_long t_v2_crc_len t_v2_short4
  t_v2_ver1 t_v1_fam t_v1_udp t_v1_unknown_long
  t_v1_nocrlf t_plain t_split t_empty t_silent"
http_cases="h_v1 h_v2 h_deny h_plain"
for c in $tcp_cases $http_cases; do
    for n in L H; do
        p=$(eval echo \$${n}_FT)
        [ "${c#h_}" != "$c" ] && p=$(eval echo \$${n}_FH)
        rm -rf "$T/$n.srv"/* 2>/dev/null || true
        got=$(python3 "$D/ppsend.py" "$p" "$c")
        sleep 0.2
        fwd=$(last_fwd $n)
        [ "${c#h_}" != "$c" ] && fwd="-"
        echo "$got | $fwd" > "$T/$n.$c"
    done
    echo "$c: lbd: $(cat "$T/L.$c")"
    expect_eq "$c: answer and forwarded header as HAProxy's" "$(cat "$T/L.$c")" "$(cat "$T/H.$c")"
done
sleep 0.5
norm < "$T/L.syslog" > "$T/L.log"
norm < "$T/H.syslog" > "$T/H.log"
echo "lbd's log:"; sed 's/^/  /' "$T/L.log"
check "one log line per case ($(wc -l < "$T/L.log"))" [ "$(wc -l < "$T/L.log")" -ge 25 ]
if ! diff "$T/H.log" "$T/L.log" > "$T/log.diff"; then
    fail "log lines as HAProxy's (< HAProxy, > lbd):"
    cat "$T/log.diff"
else
    ok "log lines as HAProxy's (addresses from the headers, refusals in HAProxy's words)"
fi
finish
