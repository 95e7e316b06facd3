#!/usr/bin/env bash
# VRRPv3 over IPv6 unicast (unicast_src_ip, unicast_peer) between vrrpd and
# Keepalived 2.2.7, advert_int 0.2, in the topology of vrrp6_common.sh:
# vrrpd master with Keepalived backup (Keepalived accepts vrrpd's unicast
# adverts), SIGTERM vrrpd -> Keepalived takes over, vrrpd back as backup
# follows Keepalived; tshark checks both sides' destinations, hop limits,
# checksums (Keepalived 2.2.7 sends hop limit 64 to unicast peers; vrrpd
# sends 255 and, as Keepalived, checks the hop limit of multicast only).
# vrrpd's node has no IPv4 address at all.
source "$(dirname "$0")/../lib.sh"
need_root
command -v keepalived >/dev/null || { echo "SKIP: keepalived not installed"; exit 77; }
command -v tshark >/dev/null || { echo "SKIP: tshark not installed"; exit 77; }
source "$(dirname "$0")/../vrrp6_common.sh"
setup_net6
mkdir -p "$T/ra"
touch "$T/ka.log"
# a has no IPv4 address: an IPv6 instance must not wait for one
ip -n "$NSA" -4 addr del 10.77.0.21/24 dev eth0

# conf_uc FILE PRIO SELF PEER
conf_uc() {
  cat > "$1" <<CONF
vrrp_instance U6 {
    interface eth0
    state BACKUP
    virtual_router_id 12
    priority $2
    advert_int 0.2
    unicast_src_ip $3
    unicast_peer {
        $4
    }
    virtual_ipaddress {
        $VIP6/64
    }
}
CONF
}
conf_uc "$T/vr.conf" 150 fd00:77::21 fd00:77::22
conf_uc "$T/ka.conf" 100 fd00:77::22 fd00:77::21
kam=$(grep -c "Entering MASTER STATE" "$T/ka.log" || true)
capture "$NSA" uc 4 "ip6 proto 112" &
CAP=$!
wait_file "$T/uc.pcapng" 5
start_vr
check "vrrpd's unicast IPv6 instance becomes master" quiet wait_for 3000 state_is U6 MASTER
start_ka
sleep 1.5
expect_eq "Keepalived stays backup on vrrpd's unicast adverts" \
  "$(grep -c "Entering MASTER STATE" "$T/ka.log" || true)" "$kam"
check "the VIP on a only" bash -c "! ip -n $NSB -6 addr show dev eth0 | grep -q 'inet6 $VIP6/'"
kill -TERM "$VR"
ms=$(wait_for 3000 has_vip6 "$NSB") || true
stop_pid "$VR"
echo "unicast: Keepalived owns the IPv6 VIP ${ms} ms after SIGTERM to vrrpd"
check "Keepalived takes over" [ "$ms" -ge 0 ]
conf_uc "$T/vr.conf" 50 fd00:77::21 fd00:77::22
start_vr
check "vrrpd (50) is backup" quiet wait_for 3000 state_is U6 BACKUP
sleep 0.5
expect_eq "vrrpd follows Keepalived's unicast source" "$(vjson "i['U6']['master']")" "fd00:77::22"
expect_eq "vrrpd dropped none of Keepalived's adverts" \
  "$(vjson "sum(i['U6']['counters']['drops'].values())")" "0"
wait "$CAP" || true
VRU="vrrp && ipv6.src == fd00:77::21"
KAU="vrrp && ipv6.src == fd00:77::22"
check "tshark saw vrrpd's unicast adverts ($(tsn uc "$VRU"))" [ "$(tsn uc "$VRU")" -gt 0 ]
expect_eq "vrrpd's go to the peer, hop limit 255, checksum good" \
  "$(tsf uc "$VRU" ipv6.dst ipv6.hlim vrrp.checksum.status)" \
  "fd00:77::22 255 1"
expect_eq "Keepalived's go to vrrpd, checksum good (hop limit 64: Keepalived's)" \
  "$(tsf uc "$KAU" ipv6.dst ipv6.hlim vrrp.checksum.status)" \
  "fd00:77::21 64 1"
stop_pid "$VR"
stop_pid "$KA"
finish
