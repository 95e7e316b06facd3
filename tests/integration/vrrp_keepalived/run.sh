#!/usr/bin/env bash
# Interop with a real Keepalived (Debian's) in the same VRRP group:
#  v2 with auth PASS: vrrpd (150) is master, Keepalived (100) backup;
#    SIGTERM vrrpd -> Keepalived takes over; vrrpd back -> it preempts.
#  v3 (advert_int 0.1): Keepalived (150) master, vrrpd (100) backup;
#    SIGTERM Keepalived -> vrrpd takes over.
# tshark decodes vrrpd's packets with good checksums and nothing malformed.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../vrrp_common.sh"
need_root
command -v keepalived >/dev/null || { echo "SKIP: keepalived not installed"; exit 77; }
command -v tshark >/dev/null || { echo "SKIP: tshark not installed"; exit 77; }
setup_net

# conf FILE VERSION PRIO INTERVAL [TRACKED_SCRIPT]
conf() {
  local auth="" track=""
  [ "$2" = 2 ] && auth="authentication {
        auth_type PASS
        auth_pass lab1pass
    }"
  [ -n "${5:-}" ] && track="track_script {
        $5
    }"
  cat > "$1" <<CONF
global_defs {
    vrrp_version $2
    script_user root
    enable_script_security
}
vrrp_script chk_flag {
    script "/usr/bin/test -f $T/ka-ok"
    interval 1
    weight -60
}
vrrp_instance VI_1 {
    interface eth0
    state BACKUP
    virtual_router_id 11
    priority $3
    advert_int $4
    $auth
    virtual_ipaddress {
        $VIP/24
    }
    $track
}
CONF
}

start_ka() { # VERSION
  bg ip netns exec "$NSB" keepalived -n -l -D --vrrp -f "$T/ka$1.conf" -p "$T/ka$1.pid" \
    -r "$T/ka$1-vrrp.pid" >"$T/ka$1.log" 2>&1
  KA=$!
}
start_vr() { # VERSION
  bg ip netns exec "$NSA" "$VRRPD" -f "$T/vr$1.conf" -R "$T/ra" 2>>"$T/vr$1.log"
  VR=$!
  wait_sock "$T/ra/vrrpd.sock" 5
}
stop_pid() { kill -TERM "$1" 2>/dev/null || true; for i in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done; kill -9 "$1" 2>/dev/null || true; }

# capture NAME SECONDS: vrrpd's own packets only (source lb1)
capture() {
  ip netns exec "$NSA" timeout $(($2 + 5)) tshark -q -i eth0 -a "duration:$2" \
    -f "ip proto 112 and src host 10.77.0.21" -w "$T/$1.pcapng" >/dev/null 2>&1 || true
}
# check_capture NAME VERSION
check_capture() {
  local n bad good
  n=$(tshark -r "$T/$1.pcapng" -Y vrrp 2>/dev/null | wc -l)
  good=$(tshark -r "$T/$1.pcapng" -Y "vrrp.checksum.status == 1 && vrrp.version == $2" 2>/dev/null | wc -l)
  bad=$(tshark -r "$T/$1.pcapng" -Y "_ws.malformed || _ws.expert.severity >= warning" 2>/dev/null | wc -l)
  check "tshark saw vrrpd v$2 adverts ($n)" [ "$n" -gt 0 ]
  expect_eq "tshark: every v$2 checksum good" "$good" "$n"
  expect_eq "tshark: nothing malformed or warned" "$bad" "0"
  expect_eq "TTL 255 on every advert" "$(tshark -r "$T/$1.pcapng" -Y 'ip.ttl != 255' 2>/dev/null | wc -l)" "0"
}

mkdir -p "$T/ra"
# ---- v2, PASS auth, vrrpd higher -------------------------------------
conf "$T/ka2.conf" 2 100 1
conf "$T/vr2.conf" 2 150 1
start_ka 2
sleep 0.5
start_vr 2
capture v2 3 &
CAP=$!
check "v2: vrrpd (150) becomes master" wait_state "$T/ra" MASTER 8
check "v2: VIP on vrrpd's node" has_vip "$NSA"
wait "$CAP" || true
check "v2: Keepalived stays backup (no VIP)" bash -c "! ip -n $NSB -4 addr show dev eth0 | grep -q 'inet $VIP/'"
check "v2: Keepalived logged BACKUP" grep -q "Entering BACKUP STATE" "$T/ka2.log"
expect_eq "v2: vrrpd has no auth drops" "$(vrrp_json "$T/ra" 'j["instances"][0]["counters"]["drops"]["auth"]')" "0"
check_capture v2 2
stop_pid "$VR"
ms=$(wait_vip "$NSB" 5000) || true
echo "v2: Keepalived owns the VIP ${ms} ms after vrrpd exited (SIGTERM)"
check "v2: Keepalived takes over on vrrpd's priority 0" [ "$ms" -ge 0 ]
check "v2: vrrpd removed its VIP" wait_novip "$NSA" 2000
start_vr 2
check "v2: vrrpd preempts Keepalived" wait_state "$T/ra" MASTER 8
check "v2: Keepalived released the VIP" wait_novip "$NSB" 3000
expect_eq "v2: vrrpd received and accepted Keepalived's adverts" \
  "$(vrrp_json "$T/ra" 'j["instances"][0]["counters"]["adverts_received"] > 0')" "True"
stop_pid "$VR"
stop_pid "$KA"
wait_novip "$NSB" 3000 || true

# ---- v3, Keepalived higher --------------------------------------------
touch "$T/ka-ok"
conf "$T/ka3.conf" 3 150 0.1 chk_flag
conf "$T/vr3.conf" 3 100 0.1
start_vr 3
sleep 0.3
start_ka 3
check "v3: Keepalived (150) becomes master" wait_vip "$NSB" 5000
check "v3: vrrpd is backup" wait_state "$T/ra" BACKUP 5
sleep 0.5
expect_eq "v3: vrrpd follows Keepalived as master" "$(vrrp_json "$T/ra" 'j["instances"][0]["master"]')" "10.77.0.22"
expect_eq "v3: vrrpd accepts Keepalived's checksums" "$(vrrp_json "$T/ra" 'j["instances"][0]["counters"]["drops"]["checksum"]')" "0"
check "v3: no VIP on vrrpd's node" bash -c "! ip -n $NSA -4 addr show dev eth0 | grep -q 'inet $VIP/'"
stop_pid "$KA"
ms=$(wait_vip "$NSA" 3000) || true
echo "v3: vrrpd owns the VIP ${ms} ms after Keepalived exited (SIGTERM)"
check "v3: vrrpd takes over from Keepalived" [ "$ms" -ge 0 ]
check "v3: vrrpd is master" wait_state "$T/ra" MASTER 2
capture v3 1
check_capture v3 3
# Keepalived comes back with the higher priority: it preempts vrrpd
start_ka 3
check "v3: Keepalived preempts" wait_vip "$NSB" 5000
check "v3: vrrpd backs off" wait_state "$T/ra" BACKUP 5
check "v3: vrrpd removed the VIP" wait_novip "$NSA" 2000
# Keepalived's check fails (150 - 60 = 90 < 100): vrrpd takes over on
# Keepalived's first advertisement of 90 (fast takeover)
sleep 1.5
rm -f "$T/ka-ok"
ms=$(wait_vip "$NSA" 5000) || true
echo "v3: Keepalived's vrrp_script fails -> vrrpd owns the VIP in ${ms} ms (script interval 1 s)"
check "v3: vrrpd takes over from a degraded Keepalived" [ "$ms" -ge 0 ]
check "v3: Keepalived released the VIP" wait_novip "$NSB" 3000
expect_eq "v3: by fast takeover" "$(vrrp_json "$T/ra" 'j["instances"][0]["reason"]')" \
  "preempting a lower priority master (fast takeover)"
finish
