#!/usr/bin/env bash
# lbd's admin socket next to a real HAProxy 2.6 on the same config: same
# "show stat" header and row width, same "show servers state" header, same
# error strings; state changes take effect on traffic at once; access
# levels; prompt mode; add/del server; set server addr; shutdown sessions.
source "$(dirname "$0")/../lib.sh"
TOOL="python3 $(dirname "$0")/../tcptool.py"
cli() { echo "$2" | socat -t 5 - "UNIX-CONNECT:$1"; }

P1=$(free_port); P2=$(free_port); P3=$(free_port); PF=$(free_port); PH=$(free_port)
bg $TOOL server "$P1"; S1PID=$!; bg $TOOL server "$P2"; bg $TOOL server "$P3"
wait_listen "$P1"; wait_listen "$P2"; wait_listen "$P3"
mkcfg() { # $1 port, $2 admin socket, $3 user socket
  cat <<CFG
global
    stats socket $2 mode 600 level admin
    stats socket $3 mode 600 level user
defaults
    mode tcp
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:$1
    default_backend be
backend be
    balance roundrobin
    server s1 127.0.0.1:$P1
    server s2 127.0.0.1:$P2 weight 2
CFG
}
mkcfg "$PF" "$T/admin.sock" "$T/user.sock" > "$T/lbd.cfg"
mkcfg "$PH" "$T/hadmin.sock" "$T/huser.sock" > "$T/haproxy.cfg"
bg "$LBD" -f "$T/lbd.cfg" -R "$T" > "$T/lbd.log" 2>&1; LBDPID=$!
bg haproxy -f "$T/haproxy.cfg" -db > "$T/haproxy.log" 2>&1
wait_sock "$T/admin.sock"; wait_sock "$T/hadmin.sock"

# formats, against the real thing
cli "$T/admin.sock" "show stat" > "$T/lstat.csv"
cli "$T/hadmin.sock" "show stat" > "$T/hstat.csv"
expect_eq "show stat header identical to HAProxy 2.6" "$(head -1 "$T/lstat.csv")" "$(head -1 "$T/hstat.csv")"
widths=$(grep -v '^$' "$T/lstat.csv" | awk -F, '{print NF}' | sort -u | tr '\n' ' ')
hwidth=$(head -1 "$T/hstat.csv" | awk -F, '{print NF}')
expect_eq "every show stat row has HAProxy's width" "$widths" "$hwidth "
expect_eq "same rows in the same order" "$(cut -d, -f1,2 "$T/lstat.csv")" "$(cut -d, -f1,2 "$T/hstat.csv")"
expect_eq "same status column" "$(cut -d, -f18 "$T/lstat.csv")" "$(cut -d, -f18 "$T/hstat.csv")"
expect_eq "same weight/act/bck columns" "$(cut -d, -f19-21 "$T/lstat.csv")" "$(cut -d, -f19-21 "$T/hstat.csv")"
expect_eq "same type/iid/sid columns" "$(cut -d, -f28,29,33 "$T/lstat.csv")" "$(cut -d, -f28,29,33 "$T/hstat.csv")"
expect_eq "show servers state header identical" "$(cli "$T/admin.sock" "show servers state" | head -2)" "$(cli "$T/hadmin.sock" "show servers state" | head -2)"
expect_eq "servers state: ids, names, weights as HAProxy" \
  "$(cli "$T/admin.sock" "show servers state" | sed -n '3,$p' | awk '{print $1,$2,$3,$4,$5,$6,$7,$8,$9}')" \
  "$(cli "$T/hadmin.sock" "show servers state" | sed -n '3,$p' | awk '{print $1,$2,$3,$4,$5,$6,$7,$8,$9}')"
for cmd in "disable server nope/s1" "disable server be/nope" "disable server be" "get weight be/s2" "show backend"; do
  expect_eq "'$cmd' answered as HAProxy" "$(cli "$T/admin.sock" "$cmd")" "$(cli "$T/hadmin.sock" "$cmd")"
done
expect_eq "user level refused as HAProxy refuses it" "$(cli "$T/user.sock" "disable server be/s1")" "$(cli "$T/huser.sock" "disable server be/s1")"
check "unknown command reported" grep -q "Unknown command" <<< "$(cli "$T/admin.sock" "frobnicate")"
check "show stat json is valid JSON with typed fields" python3 -c "
import json,sys; d=json.loads(sys.stdin.read()); f=d[0][0]
assert f['field']['name']=='pxname' and f['value']['type']=='str', f" <<< "$(cli "$T/admin.sock" "show stat json")"
check "show info json is valid JSON" python3 -c "import json,sys; json.loads(sys.stdin.read())" <<< "$(cli "$T/admin.sock" "show info json")"
check "show info has the fields tools read" test "$(cli "$T/admin.sock" "show info" | grep -cE '^(Name|Version|Release_date|Nbproc|Process_num|Pid|Uptime|Maxconn|CurrConns|Maxpipes|PipesUsed|Tasks|Run_queue|node): ')" -eq 14

# tools built for HAProxy work unchanged: haproxy_exporter and hatop
EP=$(free_port)
bg prometheus-haproxy-exporter --haproxy.scrape-uri="unix:$T/admin.sock" --web.listen-address="127.0.0.1:$EP"
wait_listen "$EP"
curl -s "http://127.0.0.1:$EP/metrics" > "$T/exp.txt"
check "haproxy_exporter scrapes lbd (haproxy_up 1)" grep -q '^haproxy_up 1' "$T/exp.txt"
check "haproxy_exporter sees both servers up" test "$(grep -c '^haproxy_server_up{backend="be",server="s[12]"} 1' "$T/exp.txt")" -eq 2
TM="lkhat$$"
tmux new-session -d -s "$TM" -x 200 -y 40 "hatop -s $T/admin.sock"
sleep 2
tmux capture-pane -p -t "$TM" > "$T/hatop.txt" || true
tmux kill-session -t "$TM" 2>/dev/null || true
check "hatop shows the backend and its servers" grep -qE '^s2 +2 ' "$T/hatop.txt"
check "hatop shows the frontend OPEN" grep -qE '^FRONTEND +[0-9]+ OPEN' "$T/hatop.txt"

# prompt mode: several commands on one connection, "> " after each answer
out=$(printf 'prompt\nshow backend\nget weight be/s1\nquit\n' | socat -t 5 - "UNIX-CONNECT:$T/admin.sock")
check "prompt mode answers each command followed by '> '" test "$(grep -c '^> ' <<< "$out")" -ge 2
check "semicolon-separated commands both answered" test "$(cli "$T/admin.sock" "get weight be/s1; get weight be/s2" | grep -c initial)" -eq 2

# state changes act on traffic at once
conn_server() { # one short connection through lbd; which server took it shows in show stat
  $TOOL upload 127.0.0.1 "$PF" 10 > /dev/null
}
cli "$T/admin.sock" "disable server be/s1" > /dev/null
expect_eq "disabled server shows MAINT" "$(cli "$T/admin.sock" "show stat" | awk -F, '$2=="s1"{print $18}')" MAINT
before=$(cli "$T/admin.sock" "show stat" | awk -F, '$2=="s1"{print $8}')
for i in 1 2 3 4; do conn_server; done
after=$(cli "$T/admin.sock" "show stat" | awk -F, '$2=="s1"{print $8}')
expect_eq "no connection goes to a server in maintenance" "$after" "$before"
cli "$T/admin.sock" "enable server be/s1" > /dev/null
cli "$T/admin.sock" "set server be/s2 state drain" > /dev/null
expect_eq "drain shows DRAIN" "$(cli "$T/admin.sock" "show stat" | awk -F, '$2=="s2"{print $18}')" DRAIN
before=$(cli "$T/admin.sock" "show stat" | awk -F, '$2=="s2"{print $8}')
for i in 1 2 3 4; do conn_server; done
expect_eq "draining server takes no new connection" "$(cli "$T/admin.sock" "show stat" | awk -F, '$2=="s2"{print $8}')" "$before"
cli "$T/admin.sock" "set server be/s2 state ready" > /dev/null
cli "$T/admin.sock" "set weight be/s2 0" > /dev/null
expect_eq "set weight 0 reflected" "$(cli "$T/admin.sock" "get weight be/s2")" "0 (initial 2)"
cli "$T/admin.sock" "set weight be/s2 100%" > /dev/null
expect_eq "set weight 100% restores the configured weight" "$(cli "$T/admin.sock" "get weight be/s2")" "2 (initial 2)"
cli "$T/admin.sock" "set server be/s1 health down" > /dev/null
expect_eq "set server health down shows DOWN" "$(cli "$T/admin.sock" "show stat" | awk -F, '$2=="s1"{print $18}')" DOWN
cli "$T/admin.sock" "set server be/s1 health up" > /dev/null

# add server, traffic reaches it; del server
expect_eq "add server" "$(cli "$T/admin.sock" "add server be/s3 127.0.0.1:$P3 weight 10")" "New server registered."
for i in 1 2 3 4 5 6; do conn_server; done
s3=$(cli "$T/admin.sock" "show stat" | awk -F, '$2=="s3"{print $8}')
check "added server takes traffic ($s3 of 6)" test "$s3" -ge 3
expect_eq "del server refused unless in maintenance" "$(cli "$T/admin.sock" "del server be/s3")" "Only servers in maintenance mode can be deleted."
cli "$T/admin.sock" "disable server be/s3" > /dev/null
expect_eq "del server" "$(cli "$T/admin.sock" "del server be/s3")" "Server deleted."
check "deleted server gone from show stat" test -z "$(cli "$T/admin.sock" "show stat" | awk -F, '$2=="s3"')"

# set server addr: new connections go to the new address
cli "$T/admin.sock" "disable server be/s2" > /dev/null
cli "$T/admin.sock" "set server be/s1 addr 127.0.0.1 port $P3" > /dev/null
check "set server addr reflected in show stat" grep -q "127.0.0.1:$P3" <<< "$(cli "$T/admin.sock" "show stat" | awk -F, '$2=="s1"{print $74}')"
# the old address stops listening: a connection lbd still sent there would
# be refused (s2 is in maintenance, so there is no other server to retry on)
kill "$S1PID"; wait "$S1PID" 2>/dev/null || true
for i in $(seq 1 40); do [ -z "$(ss -Hltn "sport = :$P1")" ] && break; sleep 0.05; done
check "traffic follows the new address (old one closed)" $TOOL upload 127.0.0.1 "$PF" 10

# shutdown sessions server: a held connection is cut at once
$TOOL hold 127.0.0.1 "$PF" 3 > "$T/hold.out" 2>&1 & HOLD=$!
wait_conns "$T/admin.sock" 1
cli "$T/admin.sock" "shutdown sessions server be/s1" > /dev/null
wait "$HOLD" && hrc=0 || hrc=$?
check "shutdown sessions cut the held connection" test "$hrc" -ne 0
check "lbd still alive" kill -0 "$LBDPID"

# on-marked-up shutdown-backup-sessions: while s1 is DOWN a connection goes
# to the backup; s1 coming back UP cuts it (HAProxy's policy)
PU=$(free_port)
cat > "$T/up.cfg" <<CFG
global
    stats socket $T/up.sock mode 600 level admin
defaults
    mode tcp
    timeout connect 2s
    timeout client 30s
    timeout server 30s
listen li
    bind 127.0.0.1:$PU
    server s1 127.0.0.1:$P2 on-marked-up shutdown-backup-sessions
    server b1 127.0.0.1:$P3 backup
CFG
mkdir -p "$T/up"
bg "$LBD" -f "$T/up.cfg" -R "$T/up" > "$T/lbd-up.log" 2>&1; UPPID=$!
wait_sock "$T/up.sock"
cli "$T/up.sock" "set server li/s1 health down" > /dev/null
$TOOL hold 127.0.0.1 "$PU" 4 > "$T/hold-up.out" 2>&1 & HOLD=$!
wait_conns "$T/up.sock" 1
expect_eq "the held connection is on the backup" \
  "$(cli "$T/up.sock" "show stat" | awk -F, '$2=="b1"{print $5}')" "1"
cli "$T/up.sock" "set server li/s1 health up" > /dev/null
wait "$HOLD" && hrc=0 || hrc=$?
check "on-marked-up shutdown-backup-sessions cut the backup's session" test "$hrc" -ne 0
check "lbd (on-marked-up) still alive" kill -0 "$UPPID"

# a socket line with every option HAProxy's files put on it (user, group,
# mode, level, expose-fd): twelve words, which lbd once refused with "expects
# at least 1 argument, got 12"; the socket gets the owner and mode asked
# for, as HAProxy's does (side by side, root only: chown)
if [ "$(id -u)" = 0 ]; then
  for who in lbd ha; do # up.cfg with that socket line and a port of its own
    sed -e "s#stats socket .*#stats socket $T/own-$who.sock user nobody group nogroup mode 640 level admin expose-fd listeners#" \
      -e "s#bind 127.0.0.1:$PU#bind 127.0.0.1:$(free_port)#" "$T/up.cfg" > "$T/own-$who.cfg"
  done
  out=$(haproxy -c -f "$T/own-ha.cfg" 2>&1) && rc=0 || rc=$?
  expect_eq "HAProxy accepts the twelve-word socket line ($out)" "$rc" 0
  out=$("$LBD" -c -f "$T/own-lbd.cfg" 2>&1) && rc=0 || rc=$?
  expect_eq "lbd accepts the twelve-word socket line ($out)" "$rc" 0
  mkdir -p "$T/own"
  bg "$LBD" -f "$T/own-lbd.cfg" -R "$T/own" > "$T/lbd-own.log" 2>&1
  bg haproxy -f "$T/own-ha.cfg" -db > "$T/ha-own.log" 2>&1
  wait_sock "$T/own-lbd.sock"
  wait_sock "$T/own-ha.sock"
  expect_eq "lbd's socket: owner, group and mode as asked" \
    "$(stat -c '%U %G %a' "$T/own-lbd.sock")" "nobody nogroup 640"
  expect_eq "HAProxy's socket: the same" "$(stat -c '%U %G %a' "$T/own-ha.sock")" "nobody nogroup 640"
fi
printf 'global\n    master-worker no-exit-on-failure extra\n' > "$T/many.cfg"
out=$("$LBD" -c -f "$T/many.cfg" 2>&1) && rc=0 || rc=$?
check "too many words: refused at its line as too many, not as too few ($out)" \
  grep -q "many.cfg:2: 'master-worker' expects at most 1 argument, got 2" <<<"$out"
finish
