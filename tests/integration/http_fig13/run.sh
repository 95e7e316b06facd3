#!/usr/bin/env bash
# The lab guide's Figure 1.3 config, addresses moved to loopback, in front
# of two real Flask web servers (the guide's shop in miniature): a browser
# session logs in (form POST, redirect, session cookie), adds and deletes
# items while requests alternate between the servers; then a web server is
# killed during a wrk run of GETs and no request fails.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"

P=$(free_port); STATS=$(free_port); W1=$(free_port); W2=$(free_port)
bg "$FLASK_PY" "$HTTP_TOOLS/flaskapp.py" "$W1" webserver01 "$FLASK_SERVER"; W1_PID=$!
bg "$FLASK_PY" "$HTTP_TOOLS/flaskapp.py" "$W2" webserver02 "$FLASK_SERVER"
echo "Flask served by $FLASK_SERVER ($FLASK_PY)"
wait_port 127.0.0.1 "$W1"; wait_port 127.0.0.1 "$W2"

cat > "$T/lbd.cfg" <<CFG
global
    stats socket $T/run/admin.sock mode 660 level admin

defaults
    mode http

listen stats
    bind 127.0.0.1:$STATS
    stats enable
    stats hide-version
    stats refresh 10s
    stats uri /stats
    stats auth haproxy:haproxy

frontend http-in
    bind 127.0.0.1:$P
    default_backend webservers

backend webservers
    balance roundrobin
    server webserver01 127.0.0.1:$W1 check inter 500 fall 3
    server webserver02 127.0.0.1:$W2 check inter 500 fall 3
CFG
check "lbd -c accepts the Figure 1.3 config" "$LBD" -c -f "$T/lbd.cfg"
start_lbd "$T/lbd.cfg"
U=http://127.0.0.1:$P

# roundrobin: ten GETs alternate between the two servers
seq_srv=$(for i in $(seq 1 10); do curl -s "$U/whoami"; done | tr '\n' ' ')
n1=$(echo "$seq_srv" | grep -o webserver01 | wc -l)
n2=$(echo "$seq_srv" | grep -o webserver02 | wc -l)
expect_eq "roundrobin spreads 10 requests 5/5" "$n1/$n2" "5/5"
alternating=yes
prev=""
for s in $seq_srv; do [ "$s" = "$prev" ] && alternating=no; prev=$s; done
expect_eq "consecutive requests alternate" "$alternating" yes

# a browser session: form, login POST + redirect + cookie, cart changes
J=$T/cookies
code=$(curl -s -o "$T/form" -w '%{http_code}' "$U/login")
expect_eq "login form served" "$code" 200
check "form has a password field" grep -q 'type="password"' "$T/form"
loc=$(curl -s -c "$J" -o /dev/null -w '%{http_code} %{redirect_url}' \
  -d username=alice -d password=secret "$U/login")
expect_eq "login POST redirects to /" "$loc" "302 $U/"
check "session cookie set" grep -q session "$J"
curl -s -b "$J" -c "$J" -d item=apple "$U/add" -o /dev/null
curl -s -b "$J" -c "$J" -d item=pear "$U/add" -o /dev/null
curl -s -b "$J" -c "$J" -d item=plum "$U/add" -o /dev/null
curl -s -b "$J" -c "$J" -d item=apple "$U/delete" -o /dev/null
page=$(curl -s -b "$J" "$U/")
expect_eq "cart after add x3, delete" "$(echo "$page" | sed 's/ server=.*//')" \
  "user=alice items=pear,plum"
servers=$(for i in 1 2 3 4; do curl -s -b "$J" -D - -o /dev/null "$U/" | \
  sed -n 's/^X-Server: \(.*\)\r$/\1/p'; done | sort -u | wc -l)
expect_eq "the logged-in session is served by both servers" "$servers" 2
code=$(curl -s -o /dev/null -w '%{http_code}' -d username=bob -d password=wrong "$U/login")
expect_eq "bad password answered by the app (403)" "$code" 403

# keep-alive reuse with Flask: 10 client connections (one curl each) of 10
# requests, the servers see few connections (distinct source ports of
# lbd): with http-reuse safe (HAProxy's default) a client connection's
# first request gets a new server connection, its later ones idle ones
for i in $(seq 1 10); do curl -s $(for j in $(seq 1 10); do printf '%s ' "$U/conn"; done); done > "$T/conns"
n=$(sort -u "$T/conns" | wc -l)
echo "100 requests on 10 client connections reached Flask on $n connections"
if [ "$FLASK_SERVER" = waitress ]; then
  check "server connections reused across requests ($n <= 20)" test "$n" -le 20
else
  echo "skip reuse check: Werkzeug's dev server closes every connection (install python3-waitress)"
fi
expect_eq "all 100 answered" "$(wc -l < "$T/conns")" 100

# kill webserver01 during a wrk run of GETs: no error reaches a client
wrk -t2 -c20 -d4s --latency "$U/whoami" > "$T/wrk.out" 2>&1 &
WRK=$!
sleep 1.5
kill "$W1_PID"
wait "$WRK"
reqs=$(awk '/requests in/ {print $1}' "$T/wrk.out")
echo "wrk: $reqs requests"
check "wrk ran requests" test "${reqs:-0}" -gt 100
check "no non-2xx responses while a server died" bash -c "! grep -q 'Non-2xx' $T/wrk.out"
grep -E "Socket errors" "$T/wrk.out" || true
check "no socket errors while a server died" bash -c "! grep -q 'Socket errors' $T/wrk.out"
after=$(for i in 1 2 3 4; do curl -s "$U/whoami"; done | sort -u | tr -d '\n')
expect_eq "survivor serves everything" "$after" webserver02

finish
