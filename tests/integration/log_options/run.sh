#!/usr/bin/env bash
# option dontlog-normal and option log-separate-errors (issue 11 group 4),
# lbd and HAProxy 2.6 side by side, each logging to its own UDP syslog
# receiver: the same lines are sent (normal ones dropped) with the same
# priorities (errors at local0.err = <131>, the rest at local0.info =
# <134>); "option httplog" in a backend is accepted with HAProxy's warning.
# No root.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)

PB=$(free_port)
bg python3 "$D/../http_rules/echo.py" "$PB"
wait_listen "$PB"
cat > "$T/syslog.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
open(sys.argv[2] + ".ready", "w").close()  # bound: lines sent now arrive
with open(sys.argv[2], "a") as f:
    while True:
        d = s.recv(65536).decode(errors="replace")
        f.write(d.rstrip("\n") + "\n")
        f.flush()
PY
config() { # PORT SYSLOG_PORT OPTIONS...
    local port=$1 sl=$2; shift 2
    cat <<CFG
defaults
    mode http
    log 127.0.0.1:$sl local0
    option httplog
$(for o in "$@"; do echo "    option $o"; done)
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:$port
    use_backend none if { path /none }
    default_backend be
backend be
    server s1 127.0.0.1:$PB
backend none
    option httplog
CFG
}
run_case() { # NAME LINES_EXPECTED_IN_ALL OPTIONS...
    local name=$1 want=$2; shift 2
    local SL=$(free_port) SH=$(free_port) PL=$(free_port) PH=$(free_port)
    bg python3 "$T/syslog.py" "$SL" "$T/$name.lbd.syslog"
    bg python3 "$T/syslog.py" "$SH" "$T/$name.ha.syslog"
    wait_file "$T/$name.lbd.syslog.ready"; wait_file "$T/$name.ha.syslog.ready"
    config "$PL" "$SL" "$@" > "$T/$name.lbd.cfg"; config "$PH" "$SH" "$@" > "$T/$name.ha.cfg"
    bg haproxy -f "$T/$name.ha.cfg" -db > "$T/$name.ha.log" 2>&1
    mkdir -p "$T/$name.run"
    bg "$LBD" -f "$T/$name.lbd.cfg" -R "$T/$name.run" > "$T/$name.lbd.log" 2>&1
    wait_listen "$PL"; wait_listen "$PH"
    for p in "$PL" "$PH"; do
        curl -s -m 5 -o /dev/null "http://127.0.0.1:$p/ok" || true
        curl -s -m 5 -o /dev/null "http://127.0.0.1:$p/none" || true
    done
    for i in $(seq 1 40); do # the lines arrive by UDP
        [ "$(cat "$T/$name.lbd.syslog" "$T/$name.ha.syslog" 2>/dev/null | wc -l)" -ge "$want" ] && break
        sleep 0.05
    done
    # priority and the request line of each line sent
    a=$(sed -E 's/^(<[0-9]+>).*"([A-Z]+ [^ ]+) .*/\1 \2/' "$T/$name.lbd.syslog" | sort)
    b=$(sed -E 's/^(<[0-9]+>).*"([A-Z]+ [^ ]+) .*/\1 \2/' "$T/$name.ha.syslog" | sort)
    echo "$name: $(tr '\n' ';' <<< "$a")"
    expect_eq "$name: the same lines at the same priorities as HAProxy" "$a" "$b"
}
run_case plain 4
run_case dontlog 2 dontlog-normal
run_case separate 4 log-separate-errors
run_case both 2 dontlog-normal log-separate-errors
expect_eq "dontlog-normal: only the 503 is logged" "$(wc -l < "$T/dontlog.lbd.syslog")" 1
check "log-separate-errors: the 503 at local0.err" grep -q '^<131>.*GET /none' "$T/separate.lbd.syslog"
check "log-separate-errors: the 200 at local0.info" grep -q '^<134>.*GET /ok' "$T/separate.lbd.syslog"
check "option httplog in a backend: HAProxy's warning" grep -q "ignored for proxy 'none'" "$T/plain.lbd.log"
finish
