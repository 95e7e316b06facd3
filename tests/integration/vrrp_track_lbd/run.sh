#!/usr/bin/env bash
# Experiment 2 of the lab guide with lbkit: lbd on two nodes, vrrpd with
# the guide's Keepalived config (v2, PASS, 101/100, weight -10) where the
# haproxy check is replaced by track_lbd. kill -9 lbd on the master moves
# the VIP (fast takeover); a hung lbd (SIGSTOP) is caught by the timeout;
# lbd back -> the VIP moves back (preempt); SIGHUP reload keeps mastership;
# with nopreempt it stays. Then the same crash with Keepalived and the
# guide's vrrp_script (interval 1, weight -10), timed side by side.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../vrrp_common.sh"
need_root
setup_net
mkdir -p "$T/ra" "$T/rb" "$T/la" "$T/lb"
serve "$NSA" a
serve "$NSB" b

lbd_cfg
start_lbd() { # NODE
  local ns=${P}$1
  bg ip netns exec "$ns" "$LBD" -f "$T/lbd.cfg" -R "$T/l$1" 2>>"$T/lbd-$1.log"
  eval "LBD_$1=$!"
  wait_sock "$T/l$1/lbd.sock" 5
}

# vconf NODE PRIO STATE [EXTRA]: the guide's Figure 1.5, track_lbd added
vconf() {
  cat > "$T/v$1.conf" <<CONF
global_defs{
    enable_script_security
    script_user root
}
vrrp_instance V1_1{
    interface eth0
    state $3
    virtual_router_id 11
    priority $2
    ${4:-}
    authentication {
        auth_type PASS
        auth_pass algumacoisamuitocomplicada
    }
    virtual_ipaddress {
        $VIP
    }
    track_lbd {
        socket $T/l$1/lbd.sock
        weight -10
        timeout 1500
    }
}
CONF
}
vconf a 101 MASTER
vconf b 100 BACKUP
start_lbd a
start_lbd b
bg ip netns exec "$NSA" "$VRRPD" -f "$T/va.conf" -R "$T/ra" 2>"$T/vrrpd-a.log"; VA=$!
bg ip netns exec "$NSB" "$VRRPD" -f "$T/vb.conf" -R "$T/rb" 2>"$T/vrrpd-b.log"; VB=$!
wait_sock "$T/ra/vrrpd.sock" 5
check "a master" wait_state "$T/ra" MASTER 8
check "b backup" wait_state "$T/rb" BACKUP 3
check "VIP on a" has_vip "$NSA"
expect_eq "a tracks lbd ok" "$(vrrp_json "$T/ra" 'j["instances"][0]["tracks"][0]["ok"]')" "True"
for i in $(seq 1 20); do [ -n "$(who_serves)" ] && break; sleep 0.1; done

client_lbd() { ip netns exec "$NSC" curl -s --max-time 1 "http://$VIP:8080/" 2>/dev/null || true; }
expect_eq "client -> VIP:8080 -> lbd a -> web a" "$(client_lbd)" "a"

# ---- lbd crash on the master -----------------------------------------
client_loop 3000 8080 > "$T/client.log" &
CL=$!
sleep 1
kill -9 "$LBD_a"
ms=$(wait_vip "$NSB" 6000) || true
VR_CRASH_MS=$ms
echo "vrrpd track_lbd: lbd kill -9 -> VIP on backup in ${ms} ms"
check "VIP moved to b" [ "$ms" -ge 0 ]
check "within one advert interval (1000 ms)" [ "$ms" -lt 1000 ]
check "a logged why" grep -q "lbd socket closed: priority 101 -> 91" "$T/vrrpd-a.log"
check "a released the VIP" wait_novip "$NSA" 2000
expect_eq "a priority now 91" "$(vrrp_json "$T/ra" 'j["instances"][0]["priority"]')" "91"
expect_eq "client -> lbd b -> web b" "$(client_lbd)" "b"
wait "$CL" || true
read -r gap failed last < <(outage "$T/client.log")
echo "client during the lbd crash: longest gap between answers ${gap} ms, ${failed} requests failed"
check "client kept being answered (gap < 1000 ms)" [ "$gap" -ge 0 ] && [ "$gap" -lt 1000 ]
expect_eq "client ends on b" "$last" "b"

# ---- lbd back: preempt ------------------------------------------------
start_lbd a
ms=$(wait_vip "$NSA" 5000) || true
echo "vrrpd: lbd restarted -> VIP back on a in ${ms} ms (includes lbd start-up)"
check "VIP back on a (preempt)" [ "$ms" -ge 0 ]
check "b released it" wait_novip "$NSB" 2000

# ---- hung lbd: timeout ------------------------------------------------
kill -STOP "$LBD_a"
ms=$(wait_vip "$NSB" 6000) || true
echo "vrrpd track_lbd: lbd SIGSTOP (hung) -> VIP on backup in ${ms} ms (timeout 1500 ms)"
check "hung lbd detected, VIP moved" [ "$ms" -ge 1000 ] && [ "$ms" -lt 3000 ]
check "a says hung" bash -c "grep -q 'no health line from lbd for 1500 ms' '$T/vrrpd-a.log'"
kill -CONT "$LBD_a"
check "VIP back on a after lbd resumes" wait_vip "$NSA" 5000

# ---- lbd stopped cleanly (SIGTERM): the same, through "stopping"/EOF ------
kill -TERM "$LBD_a"
ms=$(wait_vip "$NSB" 6000) || true
echo "vrrpd track_lbd: lbd SIGTERM (graceful stop) -> VIP on backup in ${ms} ms"
check "VIP moved to b when lbd stops" [ "$ms" -ge 0 ] && [ "$ms" -lt 1000 ]
for i in $(seq 1 100); do kill -0 "$LBD_a" 2>/dev/null || break; sleep 0.1; done
start_lbd a
check "VIP back on a once lbd runs again" wait_vip "$NSA" 5000

# ---- SIGHUP reload keeps mastership; nopreempt ----------------------------
# written "nopreempt 1" as in public files: Keepalived 2.2 reads no word
# after it (nopreempt is set); vrrpd does the same with a warning (it used
# to refuse the file, so the reload failed and a preempted below)
vconf a 101 MASTER "nopreempt 1"
# under traffic: a client on the VIP through lbd every ~20 ms across it
client_loop 2500 8080 > "$T/reload.client" &
CL=$!
sleep 0.8
kill -HUP "$VA"
wait "$CL" || true
read -r rgap rfailed rlast < <(outage "$T/reload.client")
echo "vrrpd reload under a client: longest gap $rgap ms, $rfailed failed, last answer from $rlast"
expect_eq "reload under traffic: no failed request" "$rfailed" "0"
expect_eq "reload under traffic: still served by a" "$rlast" "a"
expect_eq "reload counted" "$(vrrp_json "$T/ra" 'j["reloads"]')" "1"
expect_eq "a still master after reload" "$(vrrp_state "$T/ra")" "MASTER"
check "'nopreempt 1' warned of on reload" grep -q "'nopreempt' reads no value: '1' is not read" "$T/vrrpd-a.log"
check "VIP stayed on a" has_vip "$NSA"
expect_eq "became_master not incremented by reload" \
  "$(vrrp_json "$T/ra" 'j["instances"][0]["counters"]["became_master"]')" "4"
kill -9 "$LBD_a"
check "b takes over again" wait_vip "$NSB" 3000
start_lbd a
sleep 2.5
expect_eq "nopreempt: a stays backup with lbd back" "$(vrrp_state "$T/ra")" "BACKUP"
check "nopreempt: VIP stays on b" has_vip "$NSB"
kill -TERM "$VA" "$VB"
wait_novip "$NSA" 2000 || true
wait_novip "$NSB" 2000 || true
sleep 0.3

# ---- the same crash with Keepalived + the guide's vrrp_script ------------
cat > "$T/chk_lbd.sh" <<'CHK'
#!/bin/sh
# the guide's "service haproxy status", for lbd
echo "show health" | socat -t 1 - "UNIX-CONNECT:$1" 2>/dev/null | grep -q "^health ok"
CHK
chmod 755 "$T/chk_lbd.sh"
kconf() {
  cat > "$T/k$1.conf" <<CONF
global_defs{
    enable_script_security
    script_user root
}
vrrp_script check_haproxy {
    script "$T/chk_lbd.sh $T/l$1/lbd.sock"
    interval 1
    weight -10
}
vrrp_instance V1_1{
    interface eth0
    state $3
    virtual_router_id 11
    priority $2
    authentication {
        auth_type PASS
        auth_pass algumacoisamuitocomplicada
    }
    virtual_ipaddress {
        $VIP
    }
    track_script {
        check_haproxy
    }
}
CONF
}
kconf a 101 MASTER
kconf b 100 BACKUP
pkill_lbd_a() { kill -9 "$LBD_a" 2>/dev/null || true; }
bg ip netns exec "$NSA" keepalived -n -l -D --vrrp -f "$T/ka.conf" -p "$T/ka.pid" -r "$T/ka-v.pid" >"$T/ka-a.log" 2>&1
bg ip netns exec "$NSB" keepalived -n -l -D --vrrp -f "$T/kb.conf" -p "$T/kb.pid" -r "$T/kb-v.pid" >"$T/ka-b.log" 2>&1
check "keepalived: a master" wait_vip "$NSA" 8000
sleep 1.5 # let the script run a few times
pkill_lbd_a
ms=$(wait_vip "$NSB" 10000) || true
KA_CRASH_MS=$ms
echo "keepalived vrrp_script: lbd kill -9 -> VIP on backup in ${ms} ms"
check "keepalived moved the VIP" [ "$ms" -ge 0 ]
echo
echo "FAILOVER lbd-crash  vrrpd+track_lbd: ${VR_CRASH_MS} ms   keepalived+vrrp_script: ${KA_CRASH_MS} ms"
check "vrrpd faster than keepalived" [ "$VR_CRASH_MS" -lt "$KA_CRASH_MS" ]
finish
