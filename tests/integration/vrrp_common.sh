# vrrp_common.sh - shared by the vrrp_* integration scenarios (sourced after
# lib.sh). Topology, all in namespaces this run creates (prefix lkv$$):
#
#   ${P}a (lb1 10.77.0.21) --veth-- +
#   ${P}b (lb2 10.77.0.22) --veth-- + br0 in ${P}br
#   ${P}c (client 10.77.0.30) -veth-+
#
# VIP 10.77.0.100. Every wait is bounded; only our namespaces are deleted.
P="lkv$$"
NSBR=${P}br
NSA=${P}a
NSB=${P}b
NSC=${P}c
VIP=10.77.0.100

setup_net() {
  local n ip
  ip netns add "$NSBR"; LK_NETNS+=("$NSBR")
  ip -n "$NSBR" link add br0 type bridge mcast_snooping 0
  ip -n "$NSBR" link set br0 up
  for n in a:21 b:22 c:30; do
    ip=${n#*:}; n=${n%:*}
    ip netns add "${P}$n"; LK_NETNS+=("${P}$n")
    ip -n "$NSBR" link add "v$n" type veth peer name eth0 netns "${P}$n"
    ip -n "$NSBR" link set "v$n" master br0 up
    ip -n "${P}$n" link set eth0 address "02:77:00:00:00:$ip"
    ip -n "${P}$n" addr add "10.77.0.$ip/24" dev eth0
    ip -n "${P}$n" link set eth0 up
    ip -n "${P}$n" link set lo up
  done
}

# has_vip NS: 0 if the VIP is configured in NS
has_vip() { ip -n "$1" -4 addr show dev eth0 | lk_grepq "inet $VIP/"; }

# wait_vip NS TIMEOUT_MS: wait until NS owns the VIP; prints elapsed ms
wait_vip() {
  local start now
  start=$(date +%s%3N)
  while :; do
    if has_vip "$1"; then now=$(date +%s%3N); echo $((now - start)); return 0; fi
    now=$(date +%s%3N)
    [ $((now - start)) -ge "$2" ] && { echo -1; return 1; }
    sleep 0.005
  done
}

# wait_novip NS TIMEOUT_MS
wait_novip() {
  local start now
  start=$(date +%s%3N)
  while has_vip "$1"; do
    now=$(date +%s%3N)
    [ $((now - start)) -ge "$2" ] && return 1
    sleep 0.01
  done
  return 0
}

# vrrp_conf NAME PRIO VERSION INTERVAL VRID: $T/NAME.conf, one instance on
# eth0 holding the VIP, starting as BACKUP
vrrp_conf() {
  cat > "$T/$1.conf" <<CONF
global_defs {
    router_id $1
    vrrp_version $3
}
vrrp_instance VI_1 {
    interface eth0
    state BACKUP
    virtual_router_id $5
    priority $2
    advert_int $4
    virtual_ipaddress {
        $VIP/24
    }
}
CONF
}

# vrrp_state SOCKDIR: state of the first instance, from show vrrp json
vrrp_state() {
  echo "show vrrp json" | socat -t 2 - "UNIX-CONNECT:$1/vrrpd.sock" 2>/dev/null |
    python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["instances"][0]["state"])' 2>/dev/null || echo "?"
}

# vrrp_json SOCKDIR EXPR: evaluate a python expression over j (the json)
vrrp_json() {
  echo "show vrrp json" | socat -t 2 - "UNIX-CONNECT:$1/vrrpd.sock" 2>/dev/null |
    python3 -c "import json,sys; j=json.loads(sys.stdin.readline()); print($2)" 2>/dev/null || echo "?"
}

# wait_state SOCKDIR STATE TIMEOUT_S
wait_state() {
  local i
  for i in $(seq 1 $(($3 * 20))); do
    [ "$(vrrp_state "$1")" = "$2" ] && return 0
    sleep 0.05
  done
  return 1
}

# serve NS NAME: a web server in NS on port 8000 answering NAME
serve() {
  mkdir -p "$T/www-$2"
  echo "$2" > "$T/www-$2/index.html"
  bg ip netns exec "$1" python3 -m http.server 8000 --bind 0.0.0.0 --directory "$T/www-$2" \
    >/dev/null 2>&1
}

# who_serves: which node answers the client on the VIP ("" if none)
who_serves() {
  ip netns exec "$NSC" curl -s --max-time 1 "http://$VIP:8000/" 2>/dev/null || true
}

# client_mac: the client's ARP entry for the VIP
client_mac() { ip -n "$NSC" neigh show "$VIP" | awk '{print $5}'; }

# client_loop MS PORT [STOPFILE]: a client asking VIP:PORT every ~20 ms for
# MS ms (or until STOPFILE exists), logging "time who" ("-" when nobody
# answered)
client_loop() {
  local end=$(($(date +%s%3N) + $1)) r
  while [ "$(date +%s%3N)" -lt "$end" ] && [ ! -e "${3:-/nonexistent}" ]; do
    r=$(ip netns exec "$NSC" curl -s --max-time 0.3 "http://$VIP:$2/" 2>/dev/null || true)
    echo "$(date +%s%3N) ${r:--}"
    sleep 0.02
  done
}
# longest time between two answered requests, and how many failed
outage() {
  python3 - "$1" <<'PY'
import sys
rows=[l.split() for l in open(sys.argv[1]) if l.strip()]
ok=[int(t) for t,w in rows if w!='-']
gap=max((b-a for a,b in zip(ok,ok[1:])), default=-1)
print(gap, sum(1 for t,w in rows if w=='-'), ok and rows[-1][1] or '-')
PY
}

# lbd_cfg: $T/lbd.cfg, lbd in TCP mode on *:8080 in front of the node's web
# server on 127.0.0.1:8000 (serve)
lbd_cfg() {
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
}
