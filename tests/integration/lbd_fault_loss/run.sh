#!/usr/bin/env bash
# 5 % packet loss (both directions) on the link between the load
# balancer and its web servers, lbd and HAProxy 2.6 side by side on the
# same configuration in the LB namespace, nginx x2 in the web namespace.
# wrk (16 keep-alive connections, 8 s) through each in turn, first on a
# clean link, then with the loss: prints requests, errors, non-2xx and
# latency percentiles for both, and asserts that lbd, like HAProxy, turns
# the loss into latency (TCP retransmits) rather than errors. The loss is
# an nftables rule on each side's egress (numgen random: 5 in 100 packets
# dropped, counted): this kernel has no sch_netem.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../http_tools/common.sh"
need_root
P="lkf$$"; NSL=${P}lb; NSW=${P}web
ip netns add "$NSL"; LK_NETNS+=("$NSL")
ip netns add "$NSW"; LK_NETNS+=("$NSW")
ip -n "$NSL" link add eth0 type veth peer name eth0 netns "$NSW"
ip -n "$NSL" addr add 10.78.0.1/24 dev eth0
ip -n "$NSW" addr add 10.78.0.2/24 dev eth0
for ns in "$NSL" "$NSW"; do ip -n "$ns" link set eth0 up; ip -n "$ns" link set lo up; done
for ns in "$NSL" "$NSW"; do
  ip netns exec "$ns" nft add table inet lkf
  ip netns exec "$ns" nft add chain inet lkf out '{ type filter hook output priority 0; }'
done

W1=8081 W2=8082 PL=8001 PH=8002
NGINX_NS=$NSW NGINX_ADDR=10.78.0.2 start_nginx "$W1" w1
NGINX_NS=$NSW NGINX_ADDR=10.78.0.2 start_nginx "$W2" w2
cfg() { # FILE PORT
  cat > "$1" <<CFG
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch
frontend fe
    bind 127.0.0.1:$2
    default_backend web
backend web
    balance roundrobin
    server w1 10.78.0.2:$W1
    server w2 10.78.0.2:$W2
CFG
}
cfg "$T/lbd.cfg" "$PL"
cfg "$T/ha.cfg" "$PH"
bg ip netns exec "$NSL" "$LBD" -f "$T/lbd.cfg" -R "$T/run" 2>"$T/lbd.log"
LBD_PID=$!
bg ip netns exec "$NSL" haproxy -f "$T/ha.cfg" 2>"$T/ha.err"
HA_PID=$!
inl() { ip netns exec "$NSL" "$@"; }
for i in $(seq 1 100); do inl curl -s -o /dev/null "http://127.0.0.1:$PL/" && inl curl -s -o /dev/null "http://127.0.0.1:$PH/" && break; sleep 0.05; done

# load NAME PORT TAG: wrk through it; prints "REQS ERRORS NON2XX P50 P99" (ms)
load() {
  inl wrk -t1 -c16 -d8s --timeout 10s --latency "http://127.0.0.1:$2/" > "$T/wrk.$1.$3" 2>&1 || true
  python3 - "$T/wrk.$1.$3" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def ms(s):
    m = re.match(r"([\d.]+)(us|ms|s)", s)
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)] if m else -1
reqs = re.search(r"(\d+) requests in", t)
err = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
non2 = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
p = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", t, re.M))
print(reqs.group(1) if reqs else 0, sum(map(int, err.groups())) if err else 0,
      non2.group(1) if non2 else 0, "%.1f" % ms(p.get("50", "")), "%.1f" % ms(p.get("99", "")))
PY
}
for tag in clean loss; do
  if [ "$tag" = loss ]; then
    for ns in "$NSL" "$NSW"; do
      ip netns exec "$ns" nft add rule inet lkf out oifname eth0 numgen random mod 100 '<' 5 counter drop
    done
  fi
  for d in lbd ha; do
    port=$([ "$d" = lbd ] && echo "$PL" || echo "$PH")
    read -r reqs err non2 p50 p99 < <(load "$d" "$port" "$tag")
    echo "$tag link, $d: $reqs requests, $err socket errors, $non2 non-2xx, p50 $p50 ms, p99 $p99 ms"
    eval "R_${d}_$tag=$reqs E_${d}_$tag=$err N_${d}_$tag=$non2 P99_${d}_$tag=$p99"
  done
done
dropped() { ip netns exec "$1" nft list chain inet lkf out | awk '/counter/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'; }
dl=$(dropped "$NSL"); dw=$(dropped "$NSW")
echo "loss: $dl packets dropped towards the web servers, $dw towards the load balancer"
check "the loss was applied ($dl + $dw dropped)" test "${dl:-0}" -gt 0 -a "${dw:-0}" -gt 0
for d in lbd ha; do
  name=$([ "$d" = lbd ] && echo lbd || echo HAProxy)
  eval "r=\$R_${d}_loss e=\$E_${d}_loss n=\$N_${d}_loss"
  check "$name with loss: requests served ($r)" test "$r" -gt 100
  expect_eq "$name with loss: no socket error" "$e" 0
  expect_eq "$name with loss: no non-2xx answer" "$n" 0
done
check "with loss lbd serves at least half of HAProxy's requests ($R_lbd_loss vs $R_ha_loss)" \
  test $((R_lbd_loss * 2)) -ge "$R_ha_loss"
check "lbd still running" kill -0 "$LBD_PID"
check "HAProxy still running" kill -0 "$HA_PID"
finish
