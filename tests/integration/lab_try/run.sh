#!/usr/bin/env bash
# The README's "try it" path (scripts/try.sh, deploy/lab/lab) and the
# demo (scripts/demo.sh) say what failed and exit non-zero, and work when
# nothing does. The packages are already there (scripts/deps.sh), so
# try.sh's install step changes nothing, and it uses the tested binaries
# (LBKIT_BIN) instead of building. Cases:
#  - demo.sh with 8081 taken: names the port, exits non-zero, starts nothing;
#  - try.sh while a namespace of the lab's prefix exists: names it;
#  - try.sh where lbd cannot bind its stats port (:9999 taken, in lb1's
#    namespace, by a listener started there first): says lbd on lb1 exited
#    and why (lbd's own log line), exits non-zero, leaves no namespace;
#  - try.sh 2 with nothing in the way: the lab comes up, the commands it
#    prints work (the shop and the stats page through them, lab status).
source "$(dirname "$0")/../lib.sh"
need_root
SRC=${LK_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}
NET=${LAB_NET:-10.213.0}
export LAB_PREFIX="lkt$$" LAB_STATE="/run/lbkit-lab-lkt$$" LAB_NET=$NET LBKIT_BIN=$LK_BUILD
unset LBD CHECKD VRRPD # the lab takes them from LBKIT_BIN
lab_down() { "$SRC/deploy/lab/lab" down > /dev/null 2>&1 || true; }
holders=()
trap 'for p in "${holders[@]}"; do kill "$p" 2>/dev/null || true; done; lab_down; lk_cleanup' EXIT
lab_netns() { ip netns list | grep -c "^$LAB_PREFIX-" || true; }

# demo.sh: a port of its fixed three taken
bg /usr/bin/python3 -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8081)); s.listen(); time.sleep(60)' 2> "$T/hold.err"
wait_listen 8081 5 || true
timeout 60 "$SRC/scripts/demo.sh" > "$T/demo.out" 2> "$T/demo.err" && rc=0 || rc=$?
sed 's/^/  demo: /' "$T/demo.err" | head -4
check "demo.sh with 8081 taken exits non-zero ($rc)" test "$rc" -ne 0 -a "$rc" -ne 124
check "and says port 8081 is in use" grep -q "port 8081 is already in use" "$T/demo.err"
check "and started nothing" grep -q "nothing was started" "$T/demo.err"
check "(no lbd)" bash -c "! grep -q 'lbd is running' '$T/demo.out'"

# try.sh: a namespace of the lab's prefix left over
ip netns add "$LAB_PREFIX-web1"; LK_NETNS+=("$LAB_PREFIX-web1")
"$SRC/scripts/try.sh" 1 > "$T/try1.out" 2>&1 && rc=0 || rc=$?
sed 's/^/  try: /' "$T/try1.out" | tail -3
check "try.sh with a leftover namespace exits non-zero ($rc)" test "$rc" -ne 0
check "and names it" grep -q "network namespace $LAB_PREFIX-web1 exists" "$T/try1.out"
check "the install step installed nothing (the packages are present)" grep -q "apt-install: all .* packages present" "$T/try1.out"
check "and left the namespace alone" test -e "/run/netns/$LAB_PREFIX-web1"
expect_eq "and started no other" "$(lab_netns)" 1
ip netns del "$LAB_PREFIX-web1"

# try.sh: lbd's stats port taken in lb1's namespace. The wrapper starts
# the listener where lbd is about to run (only for the daemon, not for
# lbd -c, which runs outside the namespaces), then becomes lbd.
cat > "$T/lbd-wrap" <<SH
#!/bin/sh
if [ "\$1" != -c ]; then
  /usr/bin/python3 -c 'import socket, time
s = socket.socket(); s.bind(("0.0.0.0", 9999)); s.listen(); time.sleep(120)' &
  echo \$! >> "$T/holders"
  sleep 0.5
fi
exec "$LK_BUILD/lbd/lbd" "\$@"
SH
chmod +x "$T/lbd-wrap"
LBD=$T/lbd-wrap "$SRC/scripts/try.sh" 1 > "$T/try2.out" 2>&1 && rc=0 || rc=$?
mapfile -t holders < <(cat "$T/holders" 2>/dev/null)
sed 's/^/  try: /' "$T/try2.out" | tail -6
check "try.sh where :9999 is taken exits non-zero ($rc)" test "$rc" -ne 0
check "and says lbd on lb1 exited at start" grep -q "lbd on lb1 exited at start" "$T/try2.out"
check "with lbd's reason (cannot bind *:9999: address already in use)" \
  grep -q "cannot bind \*:9999: address already in use" "$T/try2.out"
check "and that it stopped what it started, keeping the logs" grep -q "stopped what it started; its logs: /tmp/lbkit-try-logs" "$T/try2.out"
expect_eq "no namespace of the lab is left" "$(lab_netns)" 0
logs=$(grep -o "/tmp/lbkit-try-logs\.[A-Za-z0-9]*" "$T/try2.out" | head -1)
check "the kept logs have lbd's" test -s "$logs/lb1/lbd.log"
[ -n "$logs" ] && rm -rf "$logs"
for p in "${holders[@]}"; do kill "$p" 2>/dev/null || true; done

# try.sh 2: nothing in the way
"$SRC/scripts/try.sh" 2 > "$T/try3.out" 2>&1 && rc=0 || rc=$?
sed 's/^/  try: /' "$T/try3.out" | head -12
expect_eq "try.sh 2 exits 0" "$rc" 0
check "it checked the shop through the VIP" grep -q "try: ok: the shop's login page through http://$NET.200/" "$T/try3.out"
check "and both stats pages" test "$(grep -c 'try: ok: the stats page' "$T/try3.out")" = 2
shop=$(grep -o "ip netns exec [^ ]* curl -s http://[^ ]*/login" "$T/try3.out" | head -1)
stats=$(grep -o "ip netns exec [^ ]* curl -s http://[^ ]*:9999/stats" "$T/try3.out" | head -1)
check "the printed shop command shows the login page ($shop)" bash -c "$shop | grep -q login-form"
check "the printed stats command shows the stats page" bash -c "$stats | grep -q webserver02"
check "it prints the failure injection and watch commands" \
  grep -q "lab kill node lb1" "$T/try3.out"
check "lab status shows the web VIP on lb1" bash -c "'$SRC/deploy/lab/lab' status | grep -q 'web VIP $NET.200: lb1'"
lab_down
expect_eq "lab down leaves no namespace" "$(lab_netns)" 0
finish
