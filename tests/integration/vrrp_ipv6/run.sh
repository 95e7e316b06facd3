#!/usr/bin/env bash
# VRRPv3 over IPv6 (RFC 5798) between vrrpd and a real Keepalived 2.2.7,
# both ways, with an IPv4 instance beside the IPv6 one in each daemon
# (mixed families, the same VRID 11: separate groups). Topology in
# namespaces joined by a bridge in its own namespace (prefix lk6-PID-):
#   a: vrrpd      fd00:77::21, 10.77.0.21, 02:77:00:00:00:21
#   b: Keepalived fd00:77::22, 10.77.0.22, 02:77:00:00:00:22
#   c: client     fd00:77::30, 10.77.0.30
# IPv6 VIP fd00:77::100/64, IPv4 VIP 10.77.0.100/24.
#  1. vrrpd (150) master, Keepalived (100) backup: the VIP on a, tshark
#     decodes vrrpd's adverts (v3, hop limit 255, link-local source, ff02::12,
#     good checksum, the VIP listed) and its neighbour advertisements (136,
#     Override, not Solicited, Router as the interface forwards, the VIP as
#     target, a's MAC); Keepalived stays backup.
#  2. SIGTERM vrrpd: Keepalived takes the VIP; the client's neighbour entry
#     for the VIP turns to b's MAC (Keepalived's NA) within a bound.
#  3. vrrpd (50) back as backup: it follows Keepalived's link-local address,
#     drops nothing; tshark compares Keepalived's advert fields with vrrpd's.
#  4. SIGTERM Keepalived: vrrpd takes the VIP; the client's entry turns to
#     a's MAC (vrrpd's NA) within the bound, and curl to the VIP sees a.
#     From 2 on both nodes forward IPv6: vrrpd's NA flags (Router set)
#     and layout, seen by the client, equal Keepalived's.
#  5. kill -9 of vrrpd as master: its guard resigns and removes the VIP.
#  6. kill -9 of vrrpd and its guard: the VIP's lifetime removes it before
#     Keepalived takes over (never on both nodes).
source "$(dirname "$0")/../lib.sh"
need_root
command -v keepalived >/dev/null || { echo "SKIP: keepalived not installed"; exit 77; }
command -v tshark >/dev/null || { echo "SKIP: tshark not installed"; exit 77; }

source "$(dirname "$0")/../vrrp6_common.sh"
setup_net6
link_locals
check "link-local addresses on a and b ($LL_A, $LL_B)" [ -n "$LL_A" ] && [ -n "$LL_B" ]

# conf FILE PRIO: the same two instances for both daemons
conf() {
  cat > "$1" <<CONF
global_defs {
    vrrp_version 3
}
vrrp_instance V4 {
    interface eth0
    state BACKUP
    virtual_router_id 11
    priority $2
    advert_int 1
    virtual_ipaddress {
        $VIP4/24
    }
}
vrrp_instance V6 {
    interface eth0
    state BACKUP
    virtual_router_id 11
    priority $2
    advert_int 1
    garp_master_repeat 3
    virtual_ipaddress {
        $VIP6/64
    }
}
CONF
}
mkdir -p "$T/ra" "$T/www-a" "$T/www-b"
echo a > "$T/www-a/index.html"
echo b > "$T/www-b/index.html"
bg ip netns exec "$NSA" python3 -m http.server 8000 --bind :: --directory "$T/www-a" >/dev/null 2>&1
bg ip netns exec "$NSB" python3 -m http.server 8000 --bind :: --directory "$T/www-b" >/dev/null 2>&1

# ---- 1. vrrpd master, Keepalived backup -------------------------------
conf "$T/ka.conf" 100
conf "$T/vr.conf" 150
capture "$NSA" vr 7 "src host $LL_A and ip6 proto 112 or (icmp6 and ip6[40] == 136)" &
CAP=$!
sleep 1
start_vr
sleep 0.3
start_ka # its Master_Down_Interval ends after vrrpd's: it hears vrrpd first
check "1: vrrpd's IPv6 instance becomes master" quiet wait_for 8000 state_is V6 MASTER
check "1: vrrpd's IPv4 instance becomes master too" quiet wait_for 3000 state_is V4 MASTER
check "1: the IPv6 VIP on vrrpd's node" has_vip6 "$NSA"
check "1: the IPv4 VIP on vrrpd's node" has_vip4 "$NSA"
check "1: the IPv6 VIP has no DAD flag (nodad: usable at once)" \
  bash -c "ip -n $NSA -6 addr show dev eth0 | grep -A0 'inet6 $VIP6/64' | grep -vq tentative"
expect_eq "1: vrrpd's source is its link-local address" "$(vjson "i['V6']['source']")" "$LL_A"
wait "$CAP" || true
check "1: Keepalived stays backup for IPv6 (no VIP on b)" bash -c "! ip -n $NSB -6 addr show dev eth0 | grep -q 'inet6 $VIP6/'"
check "1: Keepalived never was master" bash -c "! grep -q 'Entering MASTER STATE' $T/ka.log"
check "1: Keepalived logged BACKUP for IPv6" grep -q "(V6) Entering BACKUP STATE" "$T/ka.log"
check "1: Keepalived stays backup for IPv4" bash -c "! ip -n $NSB -4 addr show dev eth0 | grep -q 'inet $VIP4/'"
n=$(tsn vr "vrrp && ipv6")
check "1: tshark saw vrrpd's IPv6 adverts ($n)" [ "$n" -gt 0 ]
expect_eq "1: every advert checksum good" "$(tsn vr 'vrrp && ipv6 && vrrp.checksum.status == 1')" "$n"
expect_eq "1: every advert: version 3, hop limit 255, from the link-local address to ff02::12" \
  "$(tsf vr 'vrrp && ipv6' vrrp.version ipv6.hlim ipv6.src ipv6.dst)" "3 255 $LL_A ff02::12"
expect_eq "1: the VIP in the address list" "$(tsf vr 'vrrp && ipv6 && vrrp.prio == 150' vrrp.ipv6_addr)" "$VIP6"
expect_eq "1: tshark: nothing malformed or warned" "$(tsn vr '_ws.malformed || _ws.expert.severity >= warning')" "0"
# unsolicited (the kernel's answers to solicitations have S set)
NAF="icmpv6.type == 136 && eth.src == $MAC_A && icmpv6.nd.na.flag.s == 0"
NA_N=$(tsn vr "$NAF")
NA_T=$(tshark -r "$T/vr.pcapng" -Y "$NAF" -T fields -e frame.time_relative 2>/dev/null | tr '\n' ' ' || true)
echo "1: vrrpd sent $NA_N neighbour advertisements for the VIP (at $NA_T s)"
# the first burst: garp_master_repeat 3 within 100 ms of becoming master
first=$(python3 -c "import sys; t=[float(x) for x in sys.argv[1:]]; print(sum(1 for x in t if t and x - t[0] < 0.1))" $NA_T)
expect_eq "1: garp_master_repeat 3: three NAs in the first burst" "$first" "3"
# garp_master_delay (default 5 s): a second burst, when the capture lasted
second=$(python3 -c "import sys; t=[float(x) for x in sys.argv[1:]]; print('none' if len(t) == 3 else 'ok' if len(t) == 6 and all(4.9 < t[k+3]-t[k] < 5.3 for k in range(3)) else 'bad')" $NA_T)
check "1: garp_master_delay 5: the second burst 5 s after the first (or not captured): $second" [ "$second" != bad ]
expect_eq "1: NA target is the VIP" "$(tsf vr "$NAF" icmpv6.nd.na.target_address)" "$VIP6"
expect_eq "1: NA to ff02::1 from the VIP, hop limit 255" \
  "$(tsf vr "$NAF" ipv6.dst ipv6.src ipv6.hlim)" \
  "ff02::1 $VIP6 255"
expect_eq "1: NA flags: Override, not Solicited, not Router (eth0 does not forward)" \
  "$(tsf vr "$NAF" icmpv6.nd.na.flag.o icmpv6.nd.na.flag.s icmpv6.nd.na.flag.r)" \
  "1 0 0"
expect_eq "1: NA target link-layer address is a's MAC" \
  "$(tsf vr "$NAF" icmpv6.opt.linkaddr)" "$MAC_A"
expect_eq "1: NA checksum good" "$(tsn vr "$NAF && icmpv6.checksum.status == 1")" "$NA_N"
# the client learns a's MAC for the VIP
check "1: client reaches the IPv6 VIP" probe6
expect_eq "1: client's neighbour entry for the VIP is a's MAC" "$(client_mac6)" "$MAC_A"
expect_eq "1: curl to [VIP]:8000 reaches a" \
  "$(ip netns exec "$NSC" curl -s -g --max-time 1 "http://[$VIP6]:8000/" || true)" "a"

# ---- 2. vrrpd stops: Keepalived takes over -----------------------------
# from here on both nodes forward IPv6: Keepalived then sets the Router flag
# of its NAs, and vrrpd must do the same (compared in 4)
for ns in "$NSA" "$NSB"; do ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.forwarding=1; done
# one capture on the client for 2 to 4 (tshark takes a moment to start:
# it writes the file's header once it captures)
capture "$NSC" na 16 "icmp6 and ip6[40] == 136" &
CAP_NA=$!
wait_file "$T/na.pcapng" 5
sleep 0.3
kill -TERM "$VR"
ms=$(wait_for 5000 has_vip6 "$NSB") || true
stop_pid "$VR"
echo "2: Keepalived owns the IPv6 VIP ${ms} ms after SIGTERM to vrrpd (Keepalived waits Skew_Time after a priority 0)"
check "2: Keepalived takes the IPv6 VIP on vrrpd's priority 0" [ "$ms" -ge 0 ]
check "2: vrrpd removed its IPv6 VIP" bash -c "! ip -n $NSA -6 addr show dev eth0 | grep -q 'inet6 $VIP6/'"
na_ms=$(wait_for $NA_BOUND_MS client_mac_is "$MAC_B") || true
echo "2: the client's neighbour entry turned to b's MAC ${na_ms} ms after b had the VIP"
check "2: client follows Keepalived's NA within ${NA_BOUND_MS} ms" [ "$na_ms" -ge 0 ]
expect_eq "2: curl to the VIP reaches b" \
  "$(ip netns exec "$NSC" curl -s -g --max-time 1 "http://[$VIP6]:8000/" || true)" "b"


# ---- 3. vrrpd back as backup ---------------------------------------------
conf "$T/vr.conf" 50
capture "$NSB" ka 3 "src host $LL_B and ip6 proto 112" &
CAP=$!
start_vr
check "3: vrrpd's IPv6 instance is backup" quiet wait_for 5000 state_is V6 BACKUP
sleep 1.5
expect_eq "3: vrrpd follows Keepalived's link-local address as master" "$(vjson "i['V6']['master']")" "$LL_B"
expect_eq "3: and its priority" "$(vjson "i['V6']['master_priority']")" "100"
check "3: vrrpd received Keepalived's IPv6 adverts" [ "$(vjson "i['V6']['counters']['adverts_received']")" -gt 0 ]
expect_eq "3: vrrpd dropped none of them" \
  "$(vjson "sum(i['V6']['counters']['drops'].values()) - i['V6']['counters']['drops']['vrid']")" "0"
expect_eq "3: vrrpd's IPv4 instance follows Keepalived's too" "$(vjson "i['V4']['master']")" "10.77.0.22"
wait "$CAP" || true
# the same fields from Keepalived as from vrrpd in 1
expect_eq "3: Keepalived's adverts: version, hop limit, destination as vrrpd's" \
  "$(tsf ka 'vrrp' vrrp.version ipv6.hlim ipv6.dst vrrp.ipv6_addr)" \
  "$(tsf vr 'vrrp && ipv6 && vrrp.prio == 150' vrrp.version ipv6.hlim ipv6.dst vrrp.ipv6_addr)"
expect_eq "3: Keepalived's traffic class as vrrpd's" "$(tsf ka 'vrrp' ipv6.tclass)" "$(tsf vr 'vrrp && ipv6' ipv6.tclass)"

# ---- 4. Keepalived stops: vrrpd takes over -------------------------------
kill -TERM "$KA"
ms=$(wait_for 5000 has_vip6 "$NSA") || true
stop_pid "$KA"
echo "4: vrrpd owns the IPv6 VIP ${ms} ms after SIGTERM to Keepalived"
check "4: vrrpd takes the IPv6 VIP on Keepalived's priority 0" [ "$ms" -ge 0 ]
check "4: vrrpd's IPv4 instance is master too" quiet wait_for 3000 state_is V4 MASTER
na_ms=$(wait_for $NA_BOUND_MS client_mac_is "$MAC_A") || true
echo "4: the client's neighbour entry turned to a's MAC ${na_ms} ms after a had the VIP"
check "4: client follows vrrpd's NA within ${NA_BOUND_MS} ms" [ "$na_ms" -ge 0 ]
expect_eq "4: curl to the VIP reaches a" \
  "$(ip netns exec "$NSC" curl -s -g --max-time 1 "http://[$VIP6]:8000/" || true)" "a"
check "4: Keepalived removed its IPv6 VIP" bash -c "! ip -n $NSB -6 addr show dev eth0 | grep -q 'inet6 $VIP6/'"
# end the capture now: SIGTERM to its timeout (our child, by PID), which
# passes it to tshark, which writes the file out
tpid=$(pgrep -P "$CAP_NA" -x timeout || true)
[ -n "$tpid" ] && kill -TERM "$tpid" 2>/dev/null
wait "$CAP_NA" || true
KA_NA="icmpv6.type == 136 && eth.src == $MAC_B && icmpv6.nd.na.flag.s == 0"
check "2: the client saw Keepalived's NAs ($(tsn na "$KA_NA"))" [ "$(tsn na "$KA_NA")" -gt 0 ]
expect_eq "2: Keepalived's NA flags on a forwarding interface: Router, Override, not Solicited" \
  "$(tsf na "$KA_NA" icmpv6.nd.na.flag.r icmpv6.nd.na.flag.o icmpv6.nd.na.flag.s)" \
  "1 1 0"
VR_NA="icmpv6.type == 136 && eth.src == $MAC_A && icmpv6.nd.na.flag.s == 0"
check "4: the client saw vrrpd's NAs ($(tsn na "$VR_NA"))" [ "$(tsn na "$VR_NA")" -gt 0 ]
expect_eq "4: vrrpd's NA flags on a forwarding interface are Keepalived's (R O S)" \
  "$(tsf na "$VR_NA" icmpv6.nd.na.flag.r icmpv6.nd.na.flag.o icmpv6.nd.na.flag.s)" \
  "$(tsf na "$KA_NA" icmpv6.nd.na.flag.r icmpv6.nd.na.flag.o icmpv6.nd.na.flag.s)"
expect_eq "4: vrrpd's NA layout is Keepalived's (length, hop limit, destination)" \
  "$(tsf na "$VR_NA" frame.len ipv6.hlim ipv6.dst)" \
  "$(tsf na "$KA_NA" frame.len ipv6.hlim ipv6.dst)"
check "4: vrrpd counted its NAs" [ "$(vjson "i['V6']['counters']['na_sent']")" -gt 0 ]

# ---- 5. kill -9 of vrrpd as master: its guard resigns for it -------------
conf "$T/ka.conf" 30
start_ka
check "5: Keepalived (30) joins as backup" quiet wait_for 5000 grep -c "(V6) Entering BACKUP STATE" "$T/ka.log"
sleep 1
check "5: vrrpd (50) still master" state_is V6 MASTER
kill -9 "$VR"
gone=$(wait_for 2000 bash -c "! ip -n $NSA -6 addr show dev eth0 | grep -q 'inet6 $VIP6/'") || true
ms=$(wait_for 5000 has_vip6 "$NSB") || true
echo "5: after kill -9 of vrrpd: its IPv6 VIP gone in ${gone} ms, Keepalived owns it ${ms} ms later"
check "5: vrrpd's guard removed the IPv6 VIP" [ "$gone" -ge 0 ]
check "5: Keepalived took over" [ "$ms" -ge 0 ]
check "5: Keepalived saw vrrpd's guard resign (priority 0)" \
  quiet wait_for 1000 grep -c "(V6) Backup received priority 0 advertisement" "$T/ka.log"

# ---- 6. kill -9 of vrrpd and its guard: the IPv6 VIP's lifetime ----------
# nobody is left to resign or remove the VIP: the kernel drops it when its
# lifetime (renewed at each advertisement) runs out, before Keepalived's
# Master_Down_Interval ends
start_vr
check "6: vrrpd (50) preempts Keepalived (30)" quiet wait_for 6000 state_is V6 MASTER
check "6: the IPv6 VIP back on a" quiet wait_for 2000 has_vip6 "$NSA"
check "6: and gone from b" quiet wait_for 2000 bash -c "! ip -n $NSB -6 addr show dev eth0 | grep -q 'inet6 $VIP6/'"
vl=$(ip -n "$NSA" -6 addr show dev eth0 | awk -v v="inet6 $VIP6/64" 'index($0, v) {getline; print $2; exit}' || true)
check "6: the IPv6 VIP has a finite lifetime ($vl)" [ -n "$vl" ] && [ "$vl" != forever ]
sleep 1.2
guard=$(pgrep -P "$VR" -x vrrpd-guard || true)
check "6: a has a guard process" [ -n "$guard" ]
kill -9 $guard "$VR"
t0=$(now_ms) gone=-1 peer=-1 both=0
while [ $(($(now_ms) - t0)) -lt 6000 ]; do
  a=0 b=0
  has_vip6 "$NSA" && a=1
  has_vip6 "$NSB" && b=1
  [ "$a" = 0 ] && [ "$gone" -lt 0 ] && gone=$(($(now_ms) - t0))
  [ "$b" = 1 ] && [ "$peer" -lt 0 ] && peer=$(($(now_ms) - t0))
  [ "$a$b" = 11 ] && both=$((both + 1))
  [ "$gone" -ge 0 ] && [ "$peer" -ge 0 ] && break
  sleep 0.01
done
echo "6: kill -9 of vrrpd and its guard: the IPv6 VIP gone from a after $gone ms, Keepalived owns it after $peer ms, $both samples with both"
check "6: the IPv6 VIP expired on a" [ "$gone" -ge 0 ]
check "6: Keepalived took over" [ "$peer" -ge 0 ]
expect_eq "6: never on both nodes" "$both" "0"
stop_pid "$KA"
check "6: Keepalived removed the VIP at stop" quiet wait_for 2000 bash -c "! ip -n $NSB -6 addr show dev eth0 | grep -q 'inet6 $VIP6/'"

finish
