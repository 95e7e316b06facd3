#!/usr/bin/env bash
# option external-check (issue 11), side by side with HAProxy 2.6: the same
# config runs a command per server in each (checkd runs lbd's). Compared:
# the arguments and environment each command gets (a listen section with
# its first bind, a backend with "NOT_USED", external-check path, maxconn,
# ids), and HAProxy's health log lines for a command that exits 0, one that
# exits 3 (PROCERR, code 3), one that outlives "inter" (PROCTOUT, killed)
# and one that does not exist (PROCERR, code 255). HAPROXY_SERVER_CURCONN
# is left out: checkd does not know lbd's connections (docs/lbd.md). Also:
# lbd refuses what HAProxy 2.6 refuses (no global external-check, no
# command, "external-check preserve-env") at FILE:LINE. No root.
# s1 and s2 have fall 2: with fall 3, checkd logs a "2/3 UP" line before
# HAProxy's "3/3 UP" on the first success (checkd starts a server's health
# at rise, HAProxy higher), a difference of every check kind, not this one.
source ../lib.sh
command -v haproxy >/dev/null || { echo "SKIP: haproxy missing"; exit 77; }
SRV=$(free_port) HS=$(free_port) LS=$(free_port) HF=$(free_port) LF=$(free_port)
mkdir -p "$T/run" "$T/ha" "$T/lb"
for d in ha lb; do
    cat > "$T/$d/dump.sh" <<'SH'
#!/bin/sh
o="$(/usr/bin/dirname "$0")/out.$HAPROXY_SERVER_NAME"
{ echo "ARGS $*"; /usr/bin/env | /usr/bin/sort; } > "$o.$$" && /bin/mv "$o.$$" "$o"
SH
    printf '#!/bin/sh\nexit 3\n' > "$T/$d/fail.sh"
    printf '#!/bin/sh\nexec /bin/sleep 5\n' > "$T/$d/slow.sh"
    chmod +x "$T/$d"/*.sh
done
bg python3 ../syslogd.py "$HS" "$T/ha.log"
bg python3 ../syslogd.py "$LS" "$T/lb.log"
wait_file "$T/ha.log.ready"; wait_file "$T/lb.log.ready"
cfg() { # DIR SYSLOG_PORT FRONTEND_PORT
cat <<CFG
    external-check
    insecure-fork-wanted
    log 127.0.0.1:$2 local0
defaults
    mode tcp
    log global
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 100ms
    option log-health-checks
listen l1
    bind 127.0.0.1:$3
    option external-check
    external-check command $1/dump.sh
    external-check path "/usr/bin:/bin"
    server s1 127.0.0.1:$SRV check inter 300 fall 2 maxconn 7
backend b2
    option external-check
    external-check command $1/dump.sh
    server s2 127.0.0.1:$SRV check inter 300 port 9 fall 2
    server s3 [::1]:$SRV check inter 300 fall 1
backend b3
    option external-check
    external-check command $1/fail.sh
    server fail 127.0.0.1:$SRV check inter 300 fall 1
backend b4
    option external-check
    external-check command $1/slow.sh
    server slow 127.0.0.1:$SRV check inter 300 fall 1
backend b5
    option external-check
    external-check command $1/nonexistent
    server none 127.0.0.1:$SRV check inter 300 fall 1
CFG
}
printf 'global\n%s\n' "$(cfg "$T/ha" "$HS" "$HF")" > "$T/ha.cfg"
printf 'global\n    checkd socket %s\n%s\n' "$T/run/checkd.sock" "$(cfg "$T/lb" "$LS" "$LF")" > "$T/lbd.cfg"
out=$("$LBD" -c -f "$T/lbd.cfg" 2>&1) && rc=0 || rc=$?
expect_eq "lbd -c accepts option external-check ($out)" "$rc" 0
start_pair
sleep 2.5
for s in s1 s2 s3; do
    # the listen section's own port differs between the two: written FPORT
    for d in ha lb; do
        p=$HF; [ $d = lb ] && p=$LF
        grep -v '^HAPROXY_SERVER_CURCONN=' "$T/$d/out.$s" 2>/dev/null | sed "s/\b$p\b/FPORT/g" > "$T/$d/$s.txt" ||
            echo missing > "$T/$d/$s.txt"
    done
    echo "--- $s (lbd):"; sed 's/^/  /' "$T/lb/$s.txt"
    expect_eq "$s: the command's arguments and environment as HAProxy's" "$(cat "$T/lb/$s.txt")" "$(cat "$T/ha/$s.txt")"
done
check "HAProxy set HAPROXY_SERVER_CURCONN (left out above)" grep -q '^HAPROXY_SERVER_CURCONN=0$' "$T/ha/out.s1"
norm() { python3 ../healthlines.py "$1"; }
norm "$T/ha.log" > "$T/ha.txt"
norm "$T/lb.log" > "$T/lb.txt"
echo "--- HAProxy 2.6 sent:"; cat "$T/ha.txt"
echo "--- lbd sent:"; cat "$T/lb.txt"
check "HAProxy sent PROCERR and PROCTOUT lines (the test is live)" grep -q 'External check timeout' "$T/ha.txt"
check "lbd sent the same health lines with the same priorities" diff "$T/ha.txt" "$T/lb.txt"
# refused as HAProxy refuses them
bad() { # NAME GLOBAL BACKEND_LINES WANT
    printf 'global\n%s\nbackend b\n%s\n    server s 127.0.0.1:1 check\n' "$2" "$3" > "$T/$1.cfg"
    h=$(haproxy -c -f "$T/$1.cfg" 2>&1) && hr=0 || hr=$?
    o=$("$LBD" -c -f "$T/$1.cfg" 2>&1) && lr=0 || lr=$?
    check "$1: HAProxy refuses it too ($hr)" [ "$hr" -ne 0 ]
    check "$1: lbd refuses it at FILE:LINE: $o" grep -q "$T/$1.cfg:[0-9]*: .*$4" <<< "$o"
}
bad noglobal "" "    option external-check
    external-check command /bin/true" "unable to find required 'global.external-check'"
bad nocmd "    external-check" "    option external-check" "unable to find required 'external-check command'"
bad preserve "    external-check preserve-env" "    option external-check
    external-check command /bin/true" "external-check"
finish
