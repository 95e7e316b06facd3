#!/usr/bin/env bash
# http-reuse never|safe|aggressive|always (issue 11 item 7) and stale idle
# server connections (issue 10 item 12), lbd and HAProxy 2.6 side by side
# on one config. Every (mode, scenario) pair has its own listen section and
# its own origin port, so each starts with an empty pool; connsrv.py logs
# every TCP connection it accepts. For each pair: the number of server
# connections is HAProxy's, and so is which connection (1st, 2nd... of the
# pair) carried each request, and the statuses the clients got. No root.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)

# modes: what each listen section adds to its http-reuse line
declare -A MODE=(
    [safe]="http-reuse safe" [never]="http-reuse never"
    [aggressive]="http-reuse aggressive" [always]="http-reuse always"
    [saferetry]="retry-on all-retryable-errors"
    [max0]="default-server pool-max-conn 0" [max1]="default-server pool-max-conn 1"
    [purge1s]="default-server pool-purge-delay 1s" [purge0]="default-server pool-purge-delay 0"
    [stat]="default-server pool-purge-delay 60s"
)
MODES="safe never aggressive always saferetry max0 max1 purge0 purge1s stat"
# scenario name and client script (client.py); "conc" runs two clients at
# once, so only its counts and statuses are compared
declare -A SCRIPT=(
    [seq]="A:GET:/ A:POST:/ A:POST:/ A:GET:/"
    [conc]="par(A:GET:/slow,B:GET:/slow) par(A:POST:/slow,B:POST:/slow) par(A:GET:/slow,B:GET:/slow)"
    [first]="A:GET:/ A:close sleep:0.1 B:GET:/ B:POST:/ B:close"
    [proven]="A:GET:/ A:GET:/ A:close sleep:0.1 B:POST:/ B:GET:/"
    [rr]="A:GET:/ A:GET:/ A:GET:/ A:GET:/ B:GET:/ B:GET:/"
    [junk]="A:GET:/junk sleep:0.8 A:GET:/ A:close B:GET:/junk B:close sleep:0.8 C:GET:/"
    [close]="A:GET:/close sleep:0.8 A:POST:/ A:GET:/"
    [ntlm]="A:GET:/ntlm B:GET:/ B:GET:/ B:GET:/ A:GET:/ntlm"
    [drop]="A:GET:/ A:POST:/drop B:POST:/drop"
    [idle1]="A:GET:/ sleep:1.5 A:GET:/"
    [idle4]="A:GET:/ sleep:4.5 A:GET:/"
)
ALL="seq conc first proven rr junk close ntlm"
# the scenarios of a mode
scen() {
    case $1 in
    max0 | purge0) echo "seq conc" ;;
    max1) echo "seq conc rr" ;;
    purge1s) echo "idle1 idle4" ;;
    stat) echo "seq first conc proven" ;; # no purge: "show stat" compared after
    saferetry) echo "$ALL" ;;
    *) echo "$ALL drop" ;;
    esac
}
n=0
for m in $MODES; do for s in $(scen "$m"); do n=$((n + 1)); done; done
# ports: per daemon and pair, a frontend and two origins
read -r -a P <<< "$(python3 - $((n * 6)) <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
)"
# port of daemon d (0 lbd, 1 HAProxy), pair i, role r (0 fe, 1 and 2 origins)
port() { echo "${P[$(( ($1 * n + $2) * 3 + $3 ))]}"; }

config() { # DAEMON
    local i=0 m s
    # one thread: HAProxy's pools are per thread, and which thread takes
    # a client connection would change which idle connections it sees
    cat <<CFG
global
    nbthread 1
    stats socket $T/stats.$1.sock
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
CFG
    for m in $MODES; do for s in $(scen "$m"); do
        printf 'listen %s_%s\n    bind 127.0.0.1:%s\n    balance roundrobin\n' "$m" "$s" "$(port "$1" $i 0)"
        printf '    %s\n' "${MODE[$m]}"
        printf '    server a 127.0.0.1:%s\n' "$(port "$1" $i 1)"
        [ "$s" = rr ] && printf '    server b 127.0.0.1:%s\n' "$(port "$1" $i 2)"
        i=$((i + 1))
    done; done
}
config 0 > "$T/lbd.cfg"; config 1 > "$T/ha.cfg"
origins=()
for d in 0 1; do for i in $(seq 0 $((n - 1))); do origins+=("$(port $d "$i" 1)" "$(port $d "$i" 2)"); done; done
bg python3 "$D/connsrv.py" "$T/conns.log" "${origins[@]}"
for p in "${origins[@]}"; do wait_listen "$p"; done
beside_haproxy "$(port 0 $((n - 1)) 0)" "$(port 1 $((n - 1)) 0)"

# the connections of pair i of daemon d, as counted by the origin
conns() { awk -v a="$(port "$1" "$2" 1)" -v b="$(port "$1" "$2" 2)" '$1 == a || $1 == b' "$T/conns.log" | wc -l; }
# client output with connection ids renumbered by first use: "A 200 c1#2"
norm() {
    awk '{ split($3, x, "/"); k = x[1] "/" x[2]
           if ($3 == "-") { print $1, $2; next }
           if (!(k in id)) id[k] = ++nid
           print $1, $2, "c" id[k] "#" x[3] }' "$1"
}

i=0
# run_modes MODE...: the scenarios of these modes at once (their pools are
# apart), then their checks; MODES in order, a few at a time
run_modes() {
    local m s j=$i cl=()
    for m; do for s in $(scen "$m"); do
        python3 "$D/client.py" "$(port 0 $j 0)" "${SCRIPT[$s]}" > "$T/out.0.$j" 2>&1 & cl+=($!)
        python3 "$D/client.py" "$(port 1 $j 0)" "${SCRIPT[$s]}" > "$T/out.1.$j" 2>&1 & cl+=($!)
        j=$((j + 1))
    done; done
    wait "${cl[@]}" || true
    for m; do for s in $(scen "$m"); do
        check_pair "$m" "$s"
        i=$((i + 1))
    done; done
}
check_pair() { # MODE SCENARIO, pair $i
    local a b
    a=$(conns 0 $i); b=$(conns 1 $i)
    echo "$1/$2: lbd $a server connections, HAProxy $b"
    expect_eq "$1/$2: as many server connections as HAProxy" "$a" "$b"
    if [ "$2" = conc ]; then
        expect_eq "$1/$2: the same statuses as HAProxy" \
            "$(norm "$T/out.0.$i" | cut -d' ' -f1,2 | sort)" "$(norm "$T/out.1.$i" | cut -d' ' -f1,2 | sort)"
    else
        expect_eq "$1/$2: the same connection carries each request as in HAProxy" \
            "$(norm "$T/out.0.$i")" "$(norm "$T/out.1.$i")"
    fi
    case $2 in
    junk | close) # a stale idle connection is not reused: the next request gets its answer
        expect_eq "$1/$2: every request answered 200 by lbd" \
            "$(grep -c ' 200 ' "$T/out.0.$i")" "$(grep -oE ':(GET|POST):' <<< "${SCRIPT[$2]}" | wc -l)" ;;
    esac
}
run_modes safe never aggressive
run_modes always saferetry max0 max1
run_modes purge0 purge1s stat
# HAProxy's stats fields of the server connections, server and backend
# rows of the "stat" sections (no purge ran: the pools are as left)
stat_fields() { # SOCKET
    echo "show stat" | socat -t 2 - "UNIX-CONNECT:$1" | python3 -c '
import csv, sys
rows = list(csv.reader(sys.stdin))
h = [x.lstrip("# ") for x in rows[0]]
keep = ["connect", "reuse", "srv_icur", "idle_conn_cur", "safe_conn_cur", "used_conn_cur", "need_conn_est"]
for r in rows[1:]:
    d = dict(zip(h, r))
    if d.get("pxname", "").startswith("stat_") and d["svname"] != "FRONTEND":
        print(d["pxname"], d["svname"], *(k + "=" + d[k] for k in keep))'
}
sl=$(stat_fields "$T/stats.0.sock"); sh=$(stat_fields "$T/stats.1.sock")
echo "$sl"
check "show stat: stat sections listed" test -n "$sl"
expect_eq "show stat: connect, reuse, idle/safe/used connections and need as HAProxy's" "$sl" "$sh"
finish
