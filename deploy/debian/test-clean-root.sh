#!/usr/bin/env bash
# test-clean-root.sh DEB [ROOT]: install the lbkit .deb into a clean Debian 12
# root made by mmdebstrap (from the machine's Debian mirror), then check the
# user, the files the units run, `systemd-analyze verify` and the exposure
# scores inside that root. No service is started (policy-rc.d, chroot).
set -euo pipefail
deb=$(realpath "$1")
root=${2:-$(mktemp -d /tmp/lbkit-root.XXXXXX)}
command -v mmdebstrap >/dev/null || { echo "needs mmdebstrap (scripts/deps.sh)" >&2; exit 1; }
mmdebstrap --variant=apt --include=systemd,adduser,procps,libuv1,libjansson4,libmariadb3,libmnl0 \
  bookworm "$root"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
cp "$deb" "$root/tmp/lbkit.deb"
chroot "$root" dpkg -i /tmp/lbkit.deb
chroot "$root" getent passwd lbkit
for u in lbd checkd vrrpd; do
  for c in $(sed -n 's/^Exec[A-Za-z]*=-\?\([^ ]*\).*/\1/p' "$root/usr/lib/systemd/system/$u.service" | sort -u); do
    test -x "$root$c" || { echo "$u.service runs $c: missing" >&2; exit 1; }
  done
  test -s "$root/usr/share/man/man8/$u.8"
done
# minbase roots have no man(1): the man pages' presence is checked above
chroot "$root" systemd-analyze verify --man=no lbd.service checkd.service vrrpd.service
for u in lbd checkd vrrpd; do chroot "$root" systemd-analyze security --offline=yes "$u.service" | tail -1; done
echo "clean-root install OK in $root"
