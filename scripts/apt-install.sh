#!/usr/bin/env bash
# apt-install.sh PKG... - install the Debian packages of the list that are
# missing, and leave no Debian service running or enabled because of it:
#  - while installing, a policy-rc.d (exit 101) forbids every service start
#    (one already present, as in Docker images, is kept as it is);
#  - afterwards, every service, socket or timer unit that was not enabled
#    before and is now (mariadb, nginx, haproxy, keepalived, prometheus...)
#    is disabled and stopped, and named. Units enabled before are left alone.
# Idempotent: with every package present it changes nothing. Used by
# scripts/deps.sh (the test toolchain) and scripts/try.sh (the lab only).
set -euo pipefail
trap 'echo "apt-install: failed (line $LINENO, exit status $?)" >&2' ERR
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "apt-install: all $# packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "apt-install: missing ${missing[*]}; run as root" >&2
  exit 1
fi
# the units enabled, as the symlinks in /etc/systemd/system/*.wants and
# *.requires: what a package's postinst enabled shows there with or without
# systemctl (a container or a chroot has none; deb-systemd-helper still
# enables)
enabled_units() {
  find /etc/systemd/system -mindepth 2 -maxdepth 2 \( -path '*.wants/*' -o -path '*.requires/*' \) \
    -printf '%f\n' 2>/dev/null | grep -E '\.(service|socket|timer)$' | sort -u || true
}
before=$(enabled_units)
export DEBIAN_FRONTEND=noninteractive
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\n# apt-install.sh: no service starts while installing\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
echo "apt-install: installing ${missing[*]}"
apt-get update -q -o DPkg::Lock::Timeout=600
apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}"
new=$(comm -13 <(echo "$before") <(enabled_units) | grep -v '^$' || true)
for u in $new; do
  if command -v systemctl >/dev/null; then
    systemctl disable -q "$u" 2>/dev/null || true
    # policy-rc.d kept it from starting; a running systemd is told to be sure
    [ -d /run/systemd/system ] && systemctl stop -q "$u" 2>/dev/null || true
  else # no systemctl: disabling is removing the symlinks
    find /etc/systemd/system -mindepth 2 -maxdepth 2 -type l -name "$u" \
      \( -path '*.wants/*' -o -path '*.requires/*' \) -delete
  fi
done
if [ -n "$new" ]; then
  echo "apt-install: disabled and stopped the units these packages enabled:" $new
fi
