#!/usr/bin/env bash
# Failover benchmark, vrrpd vs Keepalived, the lab guide's configuration
# (Figure 1.5: VRRP v2, advert_int 1, priorities 101/100, weight -10) in
# network namespaces: lb1 and lb2 each run lbd; the health check is
# vrrpd's track_lbd or Keepalived's vrrp_script (interval 1) asking lbd.
#   lbd killed:  kill -9 lbd on the master
#   node killed: the master's link cut at the bridge (no resignation)
# Prints the time until the VIP is configured on the backup, in ms.
# Usage: sudo tests/bench/vrrp_failover.sh [ROUNDS]   (default 3)
ROUNDS=${1:-3}
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/../integration/vrrp_common.sh"
need_root
setup_net
mkdir -p "$T/la" "$T/lb"
serve "$NSA" a
serve "$NSB" b
cat > "$T/lbd.cfg" <<CONF
defaults
    mode tcp
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend web
    bind *:8080
    default_backend web
backend web
    server local 127.0.0.1:8000
CONF
cat > "$T/chk_lbd.sh" <<'CHK'
#!/bin/sh
echo "show health" | socat -t 1 - "UNIX-CONNECT:$1" 2>/dev/null | grep -q "^health ok"
CHK
chmod 755 "$T/chk_lbd.sh"

start_lbd() {
  bg ip netns exec "${P}$1" "$LBD" -f "$T/lbd.cfg" -R "$T/l$1" 2>/dev/null
  eval "LBD_$1=$!"
  wait_file "$T/l$1/lbd.sock" 5
}
# conf KIND NODE PRIO: the guide's instance with the KIND's health check
conf() {
  local check
  if [ "$1" = vrrpd ]; then
    check="track_lbd {
        socket $T/l$2/lbd.sock
        weight -10
    }"
  else
    check="track_script {
        check_lbd
    }"
  fi
  cat > "$T/$1-$2.conf" <<CONF
global_defs{
    enable_script_security
    script_user root
}
vrrp_script check_lbd {
    script "$T/chk_lbd.sh $T/l$2/lbd.sock"
    interval 1
    weight -10
}
vrrp_instance V1_1{
    interface eth0
    virtual_router_id 11
    priority $3
    authentication {
        auth_type PASS
        auth_pass algumacoisamuitocomplicada
    }
    virtual_ipaddress {
        $VIP
    }
    $check
}
CONF
}
start_vrrp() { # KIND NODE
  mkdir -p "$T/r$1$2"
  if [ "$1" = vrrpd ]; then
    bg ip netns exec "${P}$2" "$VRRPD" -f "$T/$1-$2.conf" -R "$T/r$1$2" 2>/dev/null
  else
    bg ip netns exec "${P}$2" keepalived -n -l --vrrp -f "$T/$1-$2.conf" -p "$T/k$2.pid" \
      -r "$T/k$2v.pid" >/dev/null 2>&1
  fi
  eval "VR_$2=$!"
}
stop_vrrp() {
  kill -TERM "$VR_a" "$VR_b" 2>/dev/null || true
  wait_novip "$NSA" 5000 || true
  wait_novip "$NSB" 5000 || true
  sleep 0.5
}

declare -A RES
bench() { # KIND
  local k=$1 r ms
  conf "$k" a 101; conf "$k" b 100
  start_vrrp "$k" b; start_vrrp "$k" a
  for r in $(seq 1 "$ROUNDS"); do
    wait_vip "$NSA" 15000 >/dev/null || { echo "$k: a never became master"; break; }
    sleep 2.2 # a few adverts and checks in the steady state
    kill -9 "$LBD_a"
    ms=$(wait_vip "$NSB" 15000) || true
    RES[$k-lbd]+="$ms "
    start_lbd a
    wait_vip "$NSA" 15000 >/dev/null || true
    sleep 2.2
    ip -n "$NSBR" link set va down
    ms=$(wait_vip "$NSB" 15000) || true
    RES[$k-node]+="$ms "
    ip -n "$NSBR" link set va up
  done
  stop_vrrp
}
start_lbd a
start_lbd b
bench vrrpd
bench keepalived
echo
printf "%-12s %-34s %-34s\n" "failover" "vrrpd (track_lbd) ms" "keepalived (vrrp_script) ms"
printf "%-12s %-34s %-34s\n" "lbd killed" "${RES[vrrpd-lbd]}" "${RES[keepalived-lbd]}"
printf "%-12s %-34s %-34s\n" "node killed" "${RES[vrrpd-node]}" "${RES[keepalived-node]}"
finish
