#!/usr/bin/env bash
# Keepalived-style vrrp_script / track_script (interval, weight, rise, fall,
# timeout) and notify scripts, on vrrpd, with unicast_peer (no multicast):
#  - a check that fails `fall` times lowers a's priority and b takes over;
#  - it must succeed `rise` times before a gets its priority back;
#  - a check that hangs is killed after `timeout` and counts as failed;
#  - notify / notify_master / notify_backup run with Keepalived's arguments;
#  - adverts go to the peer's unicast address (tshark);
#  - the file check is written as public files write theirs, a sh -c with
#    a single-quoted argument: split as Keepalived splits it (quotes group
#    and go), it is one argument (before, sh got "'test" and failed).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../vrrp_common.sh"
need_root
setup_net
mkdir -p "$T/ra" "$T/rb"
cat > "$T/notify.sh" <<'SH'
#!/bin/sh
echo "$*" >> "$(dirname "$0")/notify.log"
SH
cat > "$T/master.sh" <<'SH'
#!/bin/sh
echo "master" >> "$(dirname "$0")/master.log"
SH
cat > "$T/hang.sh" <<'SH'
#!/bin/sh
# sleeps as long as the file given says (no file: returns at once)
[ -f "$1" ] && exec sleep "$(cat "$1")"
exit 0
SH
chmod 755 "$T/notify.sh" "$T/master.sh" "$T/hang.sh"
touch "$T/healthy-a" "$T/healthy-b"

conf() { # NODE PRIO SRC PEER
  cat > "$T/$1.conf" <<CONF
global_defs {
    vrrp_version 3
    enable_script_security
    script_user root
}
vrrp_script chk_file {
    script "/bin/sh -c 'test -f $T/healthy-\$1' chk $1"
    interval 0.2
    fall 2
    rise 3
    weight -60
}
vrrp_script chk_hang {
    script "/bin/sh $T/hang.sh $T/hang-$1"
    interval 0.3
    timeout 0.2
    weight -70
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 7
    priority $2
    advert_int 0.1
    unicast_src_ip $3
    unicast_peer {
        $4
    }
    virtual_ipaddress {
        $VIP/24
    }
    track_script {
        chk_file
    }
    notify $T/notify.sh
    notify_master $T/master.sh
}
CONF
}
conf a 150 10.77.0.21 10.77.0.22
conf b 100 10.77.0.22 10.77.0.21
bg ip netns exec "$NSB" "$VRRPD" -f "$T/b.conf" -R "$T/rb" 2>"$T/b.log"
bg ip netns exec "$NSA" "$VRRPD" -f "$T/a.conf" -R "$T/ra" 2>"$T/a.log"
VA=$!
wait_sock "$T/ra/vrrpd.sock" 5
check "a master (unicast)" wait_state "$T/ra" MASTER 5
check "b backup (unicast)" wait_state "$T/rb" BACKUP 3
ip netns exec "$NSA" timeout 5 tshark -q -i eth0 -a duration:1 -f "ip proto 112" \
  -w "$T/u.pcapng" >/dev/null 2>&1 || true
expect_eq "adverts go to the peer, not 224.0.0.18" \
  "$(tshark -r "$T/u.pcapng" -Y 'vrrp && ip.dst == 224.0.0.18' 2>/dev/null | wc -l)" "0"
check "adverts to 10.77.0.22 seen" [ "$(tshark -r "$T/u.pcapng" -Y 'vrrp && ip.dst == 10.77.0.22 && vrrp.checksum.status == 1' 2>/dev/null | wc -l)" -gt 0 ]

# ---- fall: two failures at 200 ms -> 150 - 60 = 90 < 100 ----------------
rm -f "$T/healthy-a"
ms=$(wait_vip "$NSB" 3000) || true
echo "vrrp_script (interval 0.2, fall 2) failing -> VIP on backup in ${ms} ms"
check "b takes over after the script fails" [ "$ms" -ge 0 ]
expect_eq "a priority 90" "$(vrrp_json "$T/ra" 'j["instances"][0]["priority"]')" "90"
check "a logs the script's exit" grep -q "chk_file script exited with 1: priority 150 -> 90" "$T/a.log"

# ---- rise: needs 3 successes (~600 ms) --------------------------------
touch "$T/healthy-a"
t0=$(date +%s%3N)
ms=$(wait_vip "$NSA" 3000) || true
echo "vrrp_script recovered (rise 3) -> VIP back on a in ${ms} ms"
check "a back after rise" [ "$ms" -ge 0 ]
check "rise waited for 3 runs (>= 350 ms)" [ "$ms" -ge 350 ]

# ---- notify scripts ----------------------------------------------------
sleep 0.3
check "notify_master ran on a" grep -q master "$T/master.log"
check "notify got INSTANCE VI_1 MASTER 150" grep -q "^INSTANCE VI_1 MASTER 150$" "$T/notify.log"
check "notify got INSTANCE VI_1 BACKUP 90" grep -q "^INSTANCE VI_1 BACKUP 90$" "$T/notify.log"

# ---- timeout: a hanging check is killed and counts as failed --------------
sed -i 's/^        chk_file$/        chk_file\n        chk_hang/' "$T/a.conf"
kill -HUP "$VA"
sleep 0.8
expect_eq "reload: a still master" "$(vrrp_state "$T/ra")" "MASTER"
echo 5 > "$T/hang-a"
ms=$(wait_vip "$NSB" 3000) || true
echo "vrrp_script hanging (timeout 0.2) -> VIP on backup in ${ms} ms"
check "hung script timed out, b took over" [ "$ms" -ge 0 ]
check "a logs the timeout" grep -q "chk_hang script timed out after 200 ms" "$T/a.log"
rm -f "$T/hang-a"
check "a back when the check stops hanging" wait_vip "$NSA" 3000
finish
