#!/usr/bin/env bash
# lbd -W on two nodes, vrrpd's track_lbd pointed at each master CLI socket
# (what lbd.service and docs/lbd.md prescribe). kill -9 of the worker on the
# VRRP master: the master respawns it, its "subscribe health" stays ok, the
# VIP does not move and the client barely notices. A reload under the same
# client: the VIP stays, no request fails. kill -9 of the lbd master: the
# socket closes, vrrpd fails over at once. With track_lbd on lbd.sock (the
# worker's own socket) the same worker crash moved the VIP.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../vrrp_common.sh"
need_root
setup_net
mkdir -p "$T/ra" "$T/rb" "$T/la" "$T/lb"
serve "$NSA" a
serve "$NSB" b
lbd_cfg

start_lbd() { # NODE
  bg ip netns exec "${P}$1" "$LBD" -W -S "$T/l$1/master.sock" -f "$T/lbd.cfg" -R "$T/l$1" \
    2>>"$T/lbd-$1.log"
  eval "LBD_$1=$!"
  wait_sock "$T/l$1/master.sock" 5
}
vconf() { # NODE PRIO STATE
  cat > "$T/v$1.conf" <<CONF
vrrp_instance V1_1{
    interface eth0
    state $3
    virtual_router_id 11
    priority $2
    advert_int 1
    virtual_ipaddress {
        $VIP
    }
    track_lbd {
        socket $T/l$1/master.sock
        weight -10
        timeout 1500
    }
}
CONF
}
worker_of() { # NODE
  { echo "show proc" | socat -t 2 - "UNIX-CONNECT:$T/l$1/master.sock" 2>/dev/null |
    awk '/^# workers/ {w=1; next} /^#/ {w=0} w {print $1; exit}'; } || true
}
vconf a 101 MASTER
vconf b 100 BACKUP
start_lbd a
start_lbd b
bg ip netns exec "$NSA" "$VRRPD" -f "$T/va.conf" -R "$T/ra" 2>"$T/vrrpd-a.log"
bg ip netns exec "$NSB" "$VRRPD" -f "$T/vb.conf" -R "$T/rb" 2>"$T/vrrpd-b.log"
wait_sock "$T/ra/vrrpd.sock" 5
check "a master" wait_state "$T/ra" MASTER 8
check "b backup" wait_state "$T/rb" BACKUP 3
check "a tracks the lbd master ok" test "$(vrrp_json "$T/ra" 'j["instances"][0]["tracks"][0]["ok"]')" = True
client_lbd() { ip netns exec "$NSC" curl -s --max-time 1 "http://$VIP:8080/" 2>/dev/null || true; }
for i in $(seq 1 20); do [ "$(client_lbd)" = a ] && break; sleep 0.1; done
expect_eq "client -> VIP:8080 -> lbd a" "$(client_lbd)" a

# ---- kill -9 of the worker on the VRRP master: no failover -------------
client_loop 3000 8080 > "$T/client1.log" &
CL=$!
sleep 1
W=$(worker_of a)
nb=$(wc -l < "$T/vrrpd-b.log")
kill -9 "$W"
wait "$CL" || true
read -r gap failed last < <(outage "$T/client1.log")
echo "worker kill -9 on the VRRP master: longest gap ${gap} ms, ${failed} failed requests, last answer from $last"
check "the master replaced the worker" grep -q "worker $W killed by signal 9: starting a new one" "$T/lbd-a.log"
check "VIP stayed on a" has_vip "$NSA"
check "b never took it" bash -c "! tail -n +$((nb + 1)) '$T/vrrpd-b.log' | grep -q 'Entering MASTER STATE'"
check "a's priority never dropped" bash -c "! grep -q 'priority 101 -> 91' '$T/vrrpd-a.log'"
check "client served by a all along" test "$last" = a
check "client gap < 500 ms" test "$gap" -ge 0 -a "$gap" -lt 500

# ---- reload under the client: nothing moves, nothing fails -------------
client_loop 2000 8080 > "$T/client2.log" &
CL=$!
sleep 0.5
kill -USR2 "$LBD_a"
wait "$CL" || true
read -r gap failed last < <(outage "$T/client2.log")
echo "reload on the VRRP master: longest gap ${gap} ms, ${failed} failed requests"
check "reload done" grep -q "reload 1 done" "$T/lbd-a.log"
expect_eq "no request failed during the reload" "$failed" 0
check "VIP still on a" has_vip "$NSA"

# ---- kill -9 of the lbd master: fail over at once ------------------------
kill -9 "$LBD_a"
ms=$(wait_vip "$NSB" 6000) || true
echo "lbd master kill -9 -> VIP on b in ${ms} ms"
check "VIP moved to b" test "$ms" -ge 0
check "within one advert interval (1000 ms)" test "$ms" -lt 1000
check "a logged why" grep -q "lbd socket closed" "$T/vrrpd-a.log"
expect_eq "client -> lbd b" "$(client_lbd)" b
finish
