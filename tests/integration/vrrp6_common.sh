# vrrp6_common.sh - shared by the vrrp_ipv6* scenarios (sourced after
# lib.sh): namespaces a (vrrpd, fd00:77::21), b (Keepalived, fd00:77::22),
# c (client, fd00:77::30) joined by a bridge in its own namespace (prefix
# lk6-PID-), IPv6 on without DAD, and the helpers the scenarios share.
P="lk6-$$-"
NSBR=${P}br NSA=${P}a NSB=${P}b NSC=${P}c
VIP6=fd00:77::100
VIP4=10.77.0.100
MAC_A=02:77:00:00:00:21
MAC_B=02:77:00:00:00:22
NA_BOUND_MS=1000 # the client follows a new owner's NA within this

setup_net6() {
  local n ip ns
  ip netns add "$NSBR"; LK_NETNS+=("$NSBR")
  ip -n "$NSBR" link add br0 type bridge mcast_snooping 0
  ip -n "$NSBR" link set br0 up
  for n in a:21 b:22 c:30; do
    ip=${n#*:}; ns=${P}${n%:*}
    ip netns add "$ns"; LK_NETNS+=("$ns")
    # before any link comes up: IPv6 on, no duplicate address detection
    # (a tentative address cannot send)
    for k in all default; do
      ip netns exec "$ns" sysctl -qw net.ipv6.conf.$k.disable_ipv6=0 net.ipv6.conf.$k.accept_dad=0
    done
    ip -n "$NSBR" link add "v${n%:*}" type veth peer name eth0 netns "$ns"
    ip -n "$NSBR" link set "v${n%:*}" master br0 up
    ip -n "$ns" link set eth0 address "02:77:00:00:00:$ip"
    ip -n "$ns" addr add "10.77.0.$ip/24" dev eth0
    ip -n "$ns" addr add "fd00:77::$ip/64" dev eth0 nodad
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
  done
  # wait for the link-local addresses (the VRRP sources)
  for ns in "$NSA" "$NSB" "$NSC"; do
    for i in $(seq 1 100); do
      ip -n "$ns" -6 addr show dev eth0 scope link | lk_grepq "inet6 fe80" && break
      sleep 0.05
    done
  done
}
# link_locals: LL_A, LL_B, the VRRP sources of a and b
link_locals() {
  LL_A=$(ip -n "$NSA" -6 addr show dev eth0 scope link | awk '/inet6 fe80/{sub("/.*","",$2); print $2; exit}' || true)
  LL_B=$(ip -n "$NSB" -6 addr show dev eth0 scope link | awk '/inet6 fe80/{sub("/.*","",$2); print $2; exit}' || true)
}

# (no grep -q after a pipe: under pipefail its early exit fails the pipe)
has_vip6() { local o; o=$(ip -n "$1" -6 addr show dev eth0); [[ $o == *"inet6 $VIP6/64"* ]]; }
has_vip4() { local o; o=$(ip -n "$1" -4 addr show dev eth0); [[ $o == *"inet $VIP4/24"* ]]; }
quiet() { "$@" >/dev/null; }
now_ms() { date +%s%3N; }
# wait_for TIMEOUT_MS CMD...: prints the elapsed ms, or -1
wait_for() {
  local lim=$1 start; shift
  start=$(now_ms)
  while ! "$@"; do
    [ $(($(now_ms) - start)) -ge "$lim" ] && { echo -1; return 1; }
    sleep 0.005
  done
  echo $(($(now_ms) - start))
}
client_mac6() { ip -n "$NSC" -6 neigh show "$VIP6" dev eth0 | awk '{for(i=1;i<NF;i++) if($i=="lladdr") print $(i+1)}' || true; }
client_mac_is() { [ "$(client_mac6)" = "$1" ]; }
probe6() { ip netns exec "$NSC" curl -s -g --max-time 1 -o /dev/null "http://[$VIP6]:8000/"; }
vjson() {
  echo "show vrrp json" | socat -t 2 - "UNIX-CONNECT:$T/ra/vrrpd.sock" 2>/dev/null |
    python3 -c "import json,sys; j=json.loads(sys.stdin.readline()); i={x['name']:x for x in j['instances']}; print($1)" 2>/dev/null || echo "?"
}
state_is() { [ "$(vjson "i['$1']['state']")" = "$2" ]; }
stop_pid() { kill -TERM "$1" 2>/dev/null || true; for i in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done; kill -9 "$1" 2>/dev/null || true; }

start_vr() {
  bg ip netns exec "$NSA" "$VRRPD" -f "$T/vr.conf" -R "$T/ra" 2>>"$T/vr.log"
  VR=$!
  wait_sock "$T/ra/vrrpd.sock" 5
}
start_ka() {
  bg ip netns exec "$NSB" keepalived -n -l -D --vrrp -f "$T/ka.conf" -p "$T/ka.pid" \
    -r "$T/ka-vrrp.pid" >>"$T/ka.log" 2>&1
  KA=$!
}
# capture NS NAME SECONDS FILTER
capture() {
  ip netns exec "$1" timeout $(($3 + 5)) tshark -q -i eth0 -a "duration:$3" -f "$4" \
    -w "$T/$2.pcapng" >/dev/null 2>&1 || true
}
# tsf NAME FILTER FIELD...: the distinct values of the fields in the packets
# of $T/NAME.pcapng that match FILTER, space-separated (one tshark run)
tsf() {
  local f=$1 y=$2 e=() x; shift 2
  for x in "$@"; do e+=(-e "$x"); done
  tshark -r "$T/$f.pcapng" -Y "$y" -T fields -E separator=' ' "${e[@]}" 2>/dev/null | sort -u | tr '\n' ' ' | sed 's/ $//'
}
tsn() { tshark -r "$T/$1.pcapng" -Y "$2" 2>/dev/null | wc -l; }

