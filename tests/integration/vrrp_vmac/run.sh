#!/usr/bin/env bash
# use_vmac (RFC 5798 7.3): the master answers for the VIP with the virtual
# router MAC 00:00:5e:00:01:VRID from a macvlan "vrrp.VRID" on eth0, and
# its adverts leave with that source MAC, so a failover changes no
# client's ARP entry. vrrpd against vrrpd, then vrrpd against Keepalived
# 2.2.7 (use_vmac on both). Before, vrrpd refused use_vmac.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../vrrp_common.sh"
need_root
setup_net
VMAC=00:00:5e:00:01:33 # VRID 51
mkdir -p "$T/ra" "$T/rb"
serve "$NSA" a
serve "$NSB" b

# vmconf NAME PRIO: one instance on eth0, VIP on vrrp.51
vmconf() {
  cat > "$T/$1.conf" <<CONF
global_defs {
    router_id $1
}
vrrp_instance VM {
    interface eth0
    state BACKUP
    virtual_router_id 51
    priority $2
    advert_int 1
    use_vmac
    authentication {
        auth_type PASS
        auth_pass vmac51
    }
    virtual_ipaddress {
        $VIP/24
    }
}
CONF
}
vip_on_vmac() { ip -n "$1" -4 addr show dev vrrp.51 2>/dev/null | lk_grepq "inet $VIP/"; }
wait_vmac_vip() { # NS TIMEOUT_MS
  local i
  for i in $(seq 1 $(($2 / 10))); do vip_on_vmac "$1" && return 0; sleep 0.01; done
  return 1
}
vmconf a 150
vmconf b 100
check "vrrpd -t accepts use_vmac" ip netns exec "$NSA" "$VRRPD" -t -f "$T/a.conf"
bg ip netns exec "$NSA" "$VRRPD" -f "$T/a.conf" -R "$T/ra" 2>"$T/vrrpd-a.log"; VA=$!
bg ip netns exec "$NSB" "$VRRPD" -f "$T/b.conf" -R "$T/rb" 2>"$T/vrrpd-b.log"; VB=$!
check "a master" wait_state "$T/ra" MASTER 8
check "b backup" wait_state "$T/rb" BACKUP 3
check "a made vrrp.51, a macvlan in bridge mode" bash -c "ip -n '$NSA' -d link show vrrp.51 | grep -q 'macvlan mode bridge'"
expect_eq "vrrp.51 has the virtual router MAC" "$(ip -n "$NSA" -br link show vrrp.51 | awk '{print $3}')" "$VMAC"
check "the VIP is on vrrp.51, not on eth0" bash -c "ip -n '$NSA' -4 addr show dev vrrp.51 | grep -q 'inet $VIP/' && ! ip -n '$NSA' -4 addr show dev eth0 | grep -q 'inet $VIP/'"
check "the backup's vrrp.51 has no VIP" bash -c "! ip -n '$NSB' -4 addr show dev vrrp.51 | grep -q 'inet $VIP/'"
check "no IPv6 link-local on the master's vmac (it would send the virtual MAC)" bash -c "! ip -n '$NSA' -6 addr show dev vrrp.51 | grep -q inet6"
expect_eq "eth0 answers ARP only for its own addresses" "$(ip netns exec "$NSA" cat /proc/sys/net/ipv4/conf/eth0/arp_ignore)" "1"
expect_eq "eth0's ARP requests name its own address" "$(ip netns exec "$NSA" cat /proc/sys/net/ipv4/conf/eth0/arp_announce)" "2"
expect_eq "client -> VIP -> a" "$(who_serves)" "a"
expect_eq "the client's ARP entry is the virtual MAC" "$(client_mac)" "$VMAC"
src=$(ip netns exec "$NSC" timeout 5 tshark -i eth0 -f "ip proto 112" -c 2 -T fields -e eth.src 2>/dev/null | sort -u | tr '\n' ' ')
expect_eq "adverts leave with the virtual MAC as source" "$src" "$VMAC "

# failover: the backup takes the VIP on its own vrrp.51; the client keeps
# its ARP entry and is answered by b
kill -TERM "$VA"
check "b takes over" wait_vmac_vip "$NSB" 4000
check "a removed vrrp.51 when it stopped" bash -c "! ip -n '$NSA' link show vrrp.51 2>/dev/null"
for i in $(seq 1 100); do [ "$(who_serves)" = b ] && break; sleep 0.05; done
expect_eq "client -> VIP -> b" "$(who_serves)" "b"
expect_eq "the client's ARP entry did not change" "$(client_mac)" "$VMAC"
# a comes back and preempts: b, master with its vmac up, must hear a's
# adverts although their source is b's own vmac MAC (a private macvlan
# would take them for its own echo and hide them from eth0)
wait "$VA" 2>/dev/null || true
bg ip netns exec "$NSA" "$VRRPD" -f "$T/a.conf" -R "$T/ra" 2>"$T/vrrpd-a1.log"; VA=$!
check "a preempts" wait_state "$T/ra" MASTER 8
check "b hears it and goes back to BACKUP" wait_state "$T/rb" BACKUP 5
check "VIP only on a" bash -c "! ip -n '$NSB' -4 addr show dev vrrp.51 | grep -q 'inet $VIP/'"
kill -TERM "$VA" "$VB"
wait "$VA" "$VB" 2>/dev/null || true

# ---- against Keepalived (use_vmac on both) ------------------------------
if command -v keepalived >/dev/null; then
  vmconf b 100
  check "keepalived -t accepts the same file" ip netns exec "$NSB" keepalived -t -f "$T/b.conf"
  bg ip netns exec "$NSB" keepalived -n -l -D -f "$T/b.conf" -p "$T/kb.pid" -r "$T/kb-vrrp.pid" >"$T/ka-b.log" 2>&1; KB=$!
  sleep 1
  bg ip netns exec "$NSA" "$VRRPD" -f "$T/a.conf" -R "$T/ra" 2>"$T/vrrpd-a2.log"; VA=$!
  check "vrrpd master against Keepalived" wait_state "$T/ra" MASTER 8
  check "VIP on vrrpd's vrrp.51" wait_vmac_vip "$NSA" 3000
  check "Keepalived backup: no VIP on its vmac" bash -c "! ip -n '$NSB' -4 addr show dev vrrp.51 2>/dev/null | grep -q 'inet $VIP/'"
  kill -TERM "$VA"
  check "Keepalived takes over on its vmac" wait_vmac_vip "$NSB" 4000
  for i in $(seq 1 100); do [ "$(who_serves)" = b ] && break; sleep 0.05; done
  expect_eq "client -> VIP -> Keepalived's node" "$(who_serves)" "b"
  expect_eq "the client's ARP entry is still the virtual MAC" "$(client_mac)" "$VMAC"
  kill -TERM "$KB"
  wait "$KB" 2>/dev/null || true
fi
# ---- vmac_xmit_base: adverts from eth0, the VIP still on vrrp.51 ---------
sed -i 's/^    use_vmac$/    use_vmac\n    vmac_xmit_base/' "$T/a.conf"
check "the config has vmac_xmit_base" grep -q vmac_xmit_base "$T/a.conf"
bg ip netns exec "$NSA" "$VRRPD" -f "$T/a.conf" -R "$T/ra" 2>"$T/vrrpd-a3.log"; VA=$!
check "a master alone" wait_state "$T/ra" MASTER 8
check "VIP on vrrp.51" wait_vmac_vip "$NSA" 3000
src=$(ip netns exec "$NSC" timeout 5 tshark -i eth0 -f "ip proto 112" -c 2 -T fields -e eth.src 2>/dev/null | sort -u | tr '\n' ' ')
expect_eq "vmac_xmit_base: adverts leave with eth0's MAC" "$src" "02:77:00:00:00:21 "
kill -TERM "$VA"
wait "$VA" 2>/dev/null || true
finish
