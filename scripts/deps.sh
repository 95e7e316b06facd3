#!/usr/bin/env bash
# Install everything lbkit builds and tests with, from Debian 12's packages.
# Idempotent: packages already present are left alone.
set -euo pipefail
PKGS=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libuv1-dev libjansson-dev libcmocka-dev libnl-3-dev libnl-route-3-dev libmnl-dev libpcre2-dev
  libc-ares-dev
  libmariadb-dev
  mariadb-server mariadb-client galera-4
  haproxy keepalived nginx-light python3 python3-flask python3-waitress
  python3-flask-login python3-flaskext.wtf python3-flask-sqlalchemy python3-pymysql
  python3-dnslib
  galera-arbitrator-4 rsync
  curl wrk socat tshark iproute2 apache2-utils iperf3 procps psmisc valgrind linux-perf
  prometheus prometheus-haproxy-exporter hatop tmux
  mmdebstrap util-linux systemd man-db
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PKGS[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing ${missing[*]}; run as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# services that Debian starts on install are not wanted here: the tests
# start their own instances
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
echo "deps: installing ${missing[*]}"
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
