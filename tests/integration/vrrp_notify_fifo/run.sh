#!/usr/bin/env bash
# Keepalived's notify FIFO, side by side: the same keepalived.conf (global
# vrrp_notify_fifo + vrrp_notify_fifo_script, a vrrp_sync_group of two
# instances whose member tracks a file, a third instance with
# notify_priority_changes) runs under Keepalived 2.2.7, then under vrrpd,
# on the same node; the same actions (track files changed, SIGTERM) must
# write the same lines to the FIFO, phase by phase:
#   start: both members BACKUP then MASTER together, the group with them;
#   a member's tracked file goes non-zero: the whole group goes FAULT
#     (weights of sync group members are forced to 0, as Keepalived does);
#   back to 0: the group leaves FAULT together;
#   the third instance's file goes to 1: "MASTER_PRIORITY 90";
#   SIGTERM: STOP lines for every instance and the group.
# The test reads the FIFO itself for the comparison (Keepalived sends
# SIGTERM to its vrrp_notify_fifo_script at stop, often before the script
# has read the STOP lines); a last vrrpd run checks that its
# vrrp_notify_fifo_script gets every line, STOP included (vrrpd closes the
# FIFO first: the script reads to EOF).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../vrrp_common.sh"
need_root
command -v keepalived >/dev/null || { echo "SKIP: keepalived not installed"; exit 77; }
setup_net

cat > "$T/reader.sh" <<'SH'
#!/bin/sh
# reader.sh OUT FIFO: every line of the FIFO appended to OUT
while read -r line; do echo "$line" >> "$1"; done < "$2"
SH
chmod 755 "$T/reader.sh"

conf() { # DAEMON [script]
  local script=""
  [ -n "${2:-}" ] && script="vrrp_notify_fifo_script \"$T/reader.sh $T/$1.lines\""
  cat <<CONF
global_defs {
    script_user root
    enable_script_security
    vrrp_notify_fifo $T/$1.fifo
    $script
}
# weight 1 (the default): in a sync group Keepalived makes it 0, as vrrpd
track_file tf_sync {
    file $T/sync.val
    weight 1
}
track_file tf_solo {
    file $T/solo.val
    weight -10
}
vrrp_sync_group G1 {
    group {
        V1
        V2
    }
}
vrrp_instance V1 {
    interface eth0
    virtual_router_id 31
    priority 100
    advert_int 1
    track_file {
        tf_sync
    }
    virtual_ipaddress {
        10.77.0.131/24
    }
}
vrrp_instance V2 {
    interface eth0
    virtual_router_id 32
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.77.0.132/24
    }
}
vrrp_instance V3 {
    interface eth0
    virtual_router_id 33
    priority 100
    advert_int 1
    notify_priority_changes
    track_file {
        tf_solo
    }
    virtual_ipaddress {
        10.77.0.133/24
    }
}
CONF
}

# lines NAME: the FIFO lines so far, sorted (within a phase the order of
# independent instances is not defined), then the count is remembered
seen=0
phase() { # NAME PHASE
  local all
  all=$(cat "$T/$1.lines" 2>/dev/null || true)
  echo "$all" | sed -n "$((seen + 1)),\$p" | sed '/^$/d' | sort > "$T/$1.$2"
  seen=$(echo "$all" | sed '/^$/d' | wc -l)
}
# wait_lines NAME N TIMEOUT_S: until the FIFO produced N lines
wait_lines() {
  local i
  for i in $(seq 1 $(($3 * 20))); do
    [ "$(sed '/^$/d' "$T/$1.lines" 2>/dev/null | wc -l)" -ge "$2" ] && return 0
    sleep 0.05
  done
  return 1
}

run() { # NAME CMD...
  local name=$1 pid; shift
  echo 0 > "$T/sync.val"; echo 0 > "$T/solo.val"
  seen=0
  conf "$name" > "$T/$name.conf"
  mkfifo "$T/$name.fifo"
  bg sh -c "exec cat '$T/$name.fifo' >> '$T/$name.lines'"
  bg ip netns exec "$NSA" "$@" -f "$T/$name.conf" >"$T/$name.log" 2>&1
  pid=$!
  wait_lines "$name" 6 10 || true; sleep 0.5; phase "$name" 1-start
  echo 1 > "$T/sync.val"
  wait_lines "$name" $((seen + 3)) 5 || true; sleep 0.5; phase "$name" 2-fault
  echo 0 > "$T/sync.val"
  wait_lines "$name" $((seen + 6)) 10 || true; sleep 0.5; phase "$name" 3-unfault
  echo 1 > "$T/solo.val"
  wait_lines "$name" $((seen + 1)) 5 || true; sleep 0.5; phase "$name" 4-prio
  kill -TERM "$pid"
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  sleep 0.5; phase "$name" 5-stop
}

run ka keepalived -n -l -D --vrrp -p "$T/ka.pid" -r "$T/ka-vrrp.pid"
run vr "$VRRPD" -R "$T/run"

for p in 1-start 2-fault 3-unfault 4-prio 5-stop; do
  echo "== $p: keepalived / vrrpd"; paste -d'|' "$T/ka.$p" "$T/vr.$p" | column -t -s'|'
  check "$p: keepalived wrote lines" test -s "$T/ka.$p"
  expect_eq "$p: vrrpd writes Keepalived's lines" "$(cat "$T/vr.$p")" "$(cat "$T/ka.$p")"
done
# vrrpd's own fifo script: every line reaches it, the STOP lines too
conf vs script | sed 's/^    enable_script_security$/&\n    fifo_write_vrrp_states_on_reload/' > "$T/vs.conf"
bg ip netns exec "$NSA" "$VRRPD" -R "$T/run" -f "$T/vs.conf" >"$T/vs.log" 2>&1
pid=$!
wait_lines vs 9 10 || true
# fifo_write_vrrp_states_on_reload: a reload writes each state once more
kill -HUP "$pid"
wait_lines vs 12 5 || true
expect_eq "reload: every instance's state written again" \
  "$(grep -c 'INSTANCE "V[123]" MASTER ' "$T/vs.lines")" 6
expect_eq "reload: and the group's" "$(grep -c 'GROUP "G1" MASTER 0' "$T/vs.lines")" 2
kill -TERM "$pid"
for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
wait_lines vs 16 3 || true
check "vrrp_notify_fifo_script got the start lines" grep -q 'GROUP "G1" MASTER 0' "$T/vs.lines"
check "vrrp_notify_fifo_script got the STOP lines" grep -q 'GROUP "G1" STOP 0' "$T/vs.lines"
check "vrrpd created the FIFO itself" test -p "$T/vs.fifo"
check "V3's priority change is on the FIFO" grep -q 'INSTANCE "V3" MASTER_PRIORITY 90' "$T/vr.4-prio"
check "vrrpd logged the sync group weight rule" grep -q "member of sync group G1" "$T/vr.log"
finish
