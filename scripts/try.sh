#!/usr/bin/env bash
# try.sh [1|2|3|4] [--no-arbitrator] - the lab guide's HA web shop on this
# machine, in one command (as root, on Debian 12): experiment 4 by default
# (two web servers with the shop, a Galera cluster + arbitrator, four load
# balancers with lbd + checkd + vrrpd, a web VIP and a DB VIP), 2 for a
# quicker start (one MariaDB, two load balancers, the web VIP).
#  1. installs the packages the lab needs (deploy/lab/packages), no more,
#     and starts no Debian service: scripts/apt-install.sh forbids starts
#     while installing (policy-rc.d) and disables and stops the units the
#     packages enabled (mariadb, garb...), naming them;
#  2. builds lbd, checkd, vrrpd into build/ (LBKIT_BIN=DIR: use those);
#  3. deploy/lab/lab up: each daemon is checked to be running and listening
#     on its ports; the shop through the VIP and the stats pages are tried.
# It says what failed and exits non-zero; what a failed start left running
# is stopped (deploy/lab/lab down), its logs kept in a directory it names.
# LAB_PREFIX, LAB_NET, LAB_STATE as for deploy/lab/lab.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
LAB=$SRC/deploy/lab/lab
exp=${1:-4}
die() { echo "try: $*" >&2; exit 1; }
case $exp in 1|2|3|4) ;; *) die "usage: try.sh [1|2|3|4] [--no-arbitrator]" ;; esac
[ "$(id -u)" -eq 0 ] || die "run as root (network namespaces, packages)"
P=${LAB_PREFIX:-lkl}
NET=${LAB_NET:-10.213.0}
export LAB_STATE=${LAB_STATE:-/run/lbkit-lab-$P}
[ -e "$LAB_STATE/experiment" ] &&
  die "a lab is up already ($LAB_STATE): '$LAB status' shows it, '$LAB down' stops it"

mapfile -t pkgs < <(grep -v '^#' deploy/lab/packages | grep .)
./scripts/apt-install.sh "${pkgs[@]}" || die "installing the lab's packages failed (above)"

if [ -n "${LBKIT_BIN:-}" ]; then
  echo "try: using the binaries in $LBKIT_BIN"
else
  echo "try: building lbd, checkd, vrrpd into build/"
  ./scripts/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo > /tmp/lbkit-try-build.log 2>&1 ||
    { tail -20 /tmp/lbkit-try-build.log >&2; die "the build failed (log: /tmp/lbkit-try-build.log)"; }
  export LBKIT_BIN=$SRC/build
fi

if ! LAB_NO_GUIDE=1 "$LAB" up "$exp" "${@:2}" 2>&1; then
  # refused before starting anything (its reason is above)
  [ -e "$LAB_STATE/experiment" ] || die "the lab was not started"
  logs=$(mktemp -d /tmp/lbkit-try-logs.XXXXXX)
  (cd "$LAB_STATE" 2>/dev/null && find . -name '*.log' -exec cp --parents {} "$logs" \;) || true
  "$LAB" down > /dev/null 2>&1 || true
  die "the lab did not come up (what failed is said above); stopped what it started; its logs: $logs"
fi

# the lab checked each daemon as it started; now what a user will try
c="ip netns exec $P-client"
front=$NET.200; [ "$exp" = 1 ] && front=$NET.31
bad=0
check() { # WHAT CMD...
  local what=$1; shift
  if "$@" > /dev/null 2>&1; then echo "try: ok: $what"; else echo "try: FAILED: $what" >&2; bad=1; fi
}
check "the shop's login page through http://$front/" bash -c "$c curl -sf -m 5 http://$front/login | grep -q login-form"
lbs="31"; [ "$exp" -ge 2 ] && lbs="31 32"
for n in $lbs; do
  check "the stats page of $NET.$n:9999" bash -c "$c curl -sf -m 5 http://$NET.$n:9999/stats | grep -q webserver01"
done
[ "$exp" -ge 3 ] && check "MariaDB through lbd on the DB tier" \
  $c mariadb --no-defaults -h "$([ "$exp" = 4 ] && echo "$NET.250" || echo "$NET.33")" \
  -u shop -pshop-pw --connect-timeout=5 -e 'SELECT 1' carrinho
if [ "$bad" = 1 ]; then
  die "the lab is up but the checks above failed: '$LAB status' shows more, '$LAB down' stops it"
fi
"$LAB" guide
