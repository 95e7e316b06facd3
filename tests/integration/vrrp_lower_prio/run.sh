#!/usr/bin/env bash
# Issue 12's smaller VRRP keywords at run time, seen on the wire (tshark on
# the client's link):
#  - vrrp_startup_delay: the instance does not start before the delay;
#    its notify_backup "CMD ARGS" nobody runs as nobody;
#  - higher_prio_send_advert on the old master (lb2, 100): when lb1 (150)
#    takes over it first sends one advertisement with its own priority,
#    then priority 0;
#  - garp_lower_prio_repeat 3 / garp_lower_prio_delay 1 on lb1: that
#    lower-priority advertisement makes lb1 send 3 gratuitous ARPs at once
#    and 3 more a second later, on top of its 2 on becoming master
#    (garp_master_repeat 2, garp_master_delay 0) and 2 more for lb2's
#    priority 0: 10; without higher_prio_send_advert lb1 hears only
#    priority 0: 2 + 2 = 4;
#  - vrrp_garp_interval 0.2: a burst of 3 GARPs is spread over 400 ms;
#  - check_unicast_src: with unicast, an advertisement from an address that
#    is not a unicast_peer is dropped.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../vrrp_common.sh"
need_root
command -v tshark >/dev/null || { echo "SKIP: tshark not installed"; exit 77; }
setup_net

conf() { # PRIO EXTRA_LINES
  cat <<CONF
vrrp_instance V {
    interface eth0
    virtual_router_id 51
    priority $1
    advert_int 1
    garp_master_repeat 2
    garp_master_delay 0
    $2
    virtual_ipaddress {
        $VIP/24
    }
}
CONF
}

# ---- vrrp_startup_delay --------------------------------------------------
# (with a notify script that has its own user, as Keepalived reads it:
# notify_backup "CMD ARGS" USER)
cat > "$T/idw.sh" <<'SH'
#!/bin/sh
echo "$(id -u) $*" >> "$(dirname "$0")/id.out"
SH
chmod 755 "$T" "$T/idw.sh"; : > "$T/id.out"; chmod 666 "$T/id.out"
{ echo "global_defs {
    vrrp_startup_delay 1.5
}"; conf 100 "notify_backup \"$T/idw.sh backup\" nobody"; } > "$T/delay.conf"
bg ip netns exec "$NSB" "$VRRPD" -f "$T/delay.conf" -R "$T/rb" 2>"$T/delay.log"; P=$!
wait_sock "$T/rb/vrrpd.sock" 5
sleep 0.7
expect_eq "startup delay: still INIT after 0.7 s" "$(vrrp_state "$T/rb")" "INIT"
check "startup delay: BACKUP after 1.5 s" wait_state "$T/rb" BACKUP 3
check "notify_backup ran as its own user (nobody)" bash -c "for i in \$(seq 1 40); do grep -q '^$(id -u nobody) backup\$' '$T/id.out' && exit 0; sleep 0.05; done; exit 1"
kill "$P"; wait "$P" 2>/dev/null || true

# ---- vrrp_garp_interval ------------------------------------------------------
{ echo "global_defs {
    vrrp_garp_interval 0.2
}"; conf 255 "" | sed 's/garp_master_repeat 2/garp_master_repeat 3/'; } > "$T/pace.conf"
ip netns exec "$NSC" timeout 10 tshark -q -i eth0 -a duration:4 -f arp -w "$T/pace.pcap" \
  >/dev/null 2>&1 & CAP=$!
wait_file "$T/pace.pcap" 5; sleep 0.5 # the owner is master at once: capture first
bg ip netns exec "$NSB" "$VRRPD" -f "$T/pace.conf" -R "$T/rp" 2>"$T/pace.log"; P=$!
wait "$CAP" 2>/dev/null || true
kill "$P"; wait "$P" 2>/dev/null || true
wait_novip "$NSB" 3000 || true
pace=$(tshark -r "$T/pace.pcap" -Y "arp.isgratuitous == 1 && eth.src == 02:77:00:00:00:22" -T fields -e frame.time_relative 2>/dev/null |
  awk 'NR == 1 {a = $1} {b = $1; n++} END {printf "%d %d", n, (b - a) * 1000}')
echo "vrrp_garp_interval 0.2: GARPs and spread (ms): $pace"
expect_eq "three GARPs on becoming master" "${pace% *}" 3
check "paced about 200 ms apart (spread 350-700 ms)" [ "${pace#* }" -ge 350 -a "${pace#* }" -le 700 ]

# run NAME B_EXTRA: lb2 master alone, then lb1 takes over; capture
run() {
  conf 100 "$2" > "$T/$1-b.conf"
  conf 150 "garp_lower_prio_repeat 3
    garp_lower_prio_delay 1" > "$T/$1-a.conf"
  bg ip netns exec "$NSB" "$VRRPD" -f "$T/$1-b.conf" -R "$T/$1-rb" 2>"$T/$1-b.log"; PB=$!
  wait_vip "$NSB" 8000 >/dev/null
  ip netns exec "$NSC" timeout 10 tshark -q -i eth0 -a duration:4 -f "arp or ip proto 112" \
    -w "$T/$1.pcap" >/dev/null 2>&1 & CAP=$!
  wait_file "$T/$1.pcap" 5; sleep 0.5 # tshark can take a second to start
  bg ip netns exec "$NSA" "$VRRPD" -f "$T/$1-a.conf" -R "$T/$1-ra" 2>"$T/$1-a.log"; PA=$!
  wait "$CAP" 2>/dev/null || true
  kill "$PA" "$PB"; wait "$PA" "$PB" 2>/dev/null || true
  wait_novip "$NSA" 3000 || true
}
garps() { tshark -r "$T/$1.pcap" -Y "arp.isgratuitous == 1 && arp.src.proto_ipv4 == $VIP && eth.src == 02:77:00:00:00:21" 2>/dev/null | wc -l; }
prios() { tshark -r "$T/$1.pcap" -Y "vrrp && ip.src == 10.77.0.22" -T fields -e vrrp.prio 2>/dev/null | tr '\n' ' '; }
# lb2's priorities after lb1's first advertisement
after_a() {
  tshark -r "$T/$1.pcap" -Y vrrp -T fields -e ip.src -e vrrp.prio 2>/dev/null |
    awk '$1 == "10.77.0.21" {a = 1} a && $1 == "10.77.0.22" {printf "%s ", $2}'
}
run hpsa "higher_prio_send_advert"
run plain ""
echo "lb2's priorities, with higher_prio_send_advert: $(prios hpsa)"
echo "lb2's priorities, without: $(prios plain)"
echo "lb2's priorities once lb1 spoke: '$(after_a hpsa)' with higher_prio_send_advert, '$(after_a plain)' without"
expect_eq "higher_prio_send_advert: lb2 sends its own priority, then priority 0" "$(after_a hpsa)" "100 0 "
expect_eq "without it: priority 0 only" "$(after_a plain)" "0 "
expect_eq "garp_lower_prio: lb1's GARPs with lb2's lower advert (2 + 3 + 2 + 3)" "$(garps hpsa)" 10
expect_eq "lb1's GARPs after a priority 0 only (2 + 2)" "$(garps plain)" 4
t=$(tshark -r "$T/hpsa.pcap" -Y "arp.isgratuitous == 1 && eth.src == 02:77:00:00:00:21" -T fields -e frame.time_relative 2>/dev/null | awk 'NR == 1 {a = $1} {b = $1} END {printf "%d", (b - a) * 1000}')
echo "garp_lower_prio_delay: last burst ${t} ms after the first"
check "the second lower-priority burst comes about 1 s later" [ "$t" -ge 900 -a "$t" -le 1300 ]

# ---- check_unicast_src ----------------------------------------------------
# lb1 (backup, 100) has lb2 as its only peer; lb2 is master; the client
# (not a peer) sends lb2's adverts too. Only the client's are dropped.
conf 100 "check_unicast_src
    unicast_peer {
        10.77.0.22
    }" > "$T/cus-a.conf"
conf 200 "unicast_peer {
        10.77.0.21
        10.77.0.30
    }" > "$T/cus-b.conf"
conf 250 "unicast_peer {
        10.77.0.21
    }" > "$T/cus-c.conf"
bg ip netns exec "$NSB" "$VRRPD" -f "$T/cus-b.conf" -R "$T/cus-rb" 2>"$T/cus-b.log"; PB=$!
wait_vip "$NSB" 8000 >/dev/null
bg ip netns exec "$NSA" "$VRRPD" -f "$T/cus-a.conf" -R "$T/cus-ra" 2>"$T/cus-a.log"; PA=$!
check "check_unicast_src: lb1 is backup of its peer" wait_state "$T/cus-ra" BACKUP 5
# the client pretends to be a higher master: lb1 must not follow it
bg ip netns exec "$NSC" "$VRRPD" -f "$T/cus-c.conf" -R "$T/cus-rc" 2>"$T/cus-c.log"; PC=$!
sleep 3
expect_eq "lb1 still follows its peer, not the stranger" "$(vrrp_json "$T/cus-ra" 'j["instances"][0]["master"]')" "10.77.0.22"
check "lb1 logged the stranger's adverts as dropped" grep -q "dropped advertisement from 10.77.0.30: not a unicast_peer" "$T/cus-a.log"
kill "$PA" "$PB" "$PC"; wait "$PA" "$PB" "$PC" 2>/dev/null || true
finish
