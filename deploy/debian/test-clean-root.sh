#!/usr/bin/env bash
# test-clean-root.sh DEB [ROOT] [--boot]: install the lbkit .deb into a clean Debian 12
# root made by mmdebstrap (from the machine's Debian mirror), then check the
# user, the files the units run, `systemd-analyze verify` and the exposure
# scores inside that root. No service is started (policy-rc.d, chroot).
# --boot: then boot that root's systemd as PID 1 in new PID/mount/network
# namespaces (the root bind-mounted on itself, so the units' private mounts
# work), write a minimal lbd.cfg, and check checkd and lbd reach
# "active (running)" as user lbkit; the booted systemd is killed at the end.
set -euo pipefail
deb=$(realpath "$1")
root=${2:-$(mktemp -d /tmp/lbkit-root.XXXXXX)}
boot=${3:-}
command -v mmdebstrap >/dev/null || { echo "needs mmdebstrap (scripts/deps.sh)" >&2; exit 1; }
mmdebstrap --variant=apt --include=systemd,adduser,procps,libuv1,libjansson4,libmariadb3,libmnl0,libc-ares2 \
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
[ "$boot" = --boot ] || exit 0

rm -f "$root/usr/sbin/policy-rc.d"
mkdir -p "$root/etc/lbkit"
printf '%s\n' defaults '    mode http' '    timeout connect 2s' '    timeout client 10s' \
  '    timeout server 10s' 'frontend web' '    bind *:80' '    default_backend app' \
  'backend app' '    server web1 127.0.0.1:5000 check' >"$root/etc/lbkit/lbd.cfg"
timeout 120 unshare --pid --fork --mount --uts --ipc --net sh -c "mount --make-rprivate / &&
  mount --bind '$root' '$root' && mount -t proc proc '$root/proc' &&
  exec chroot '$root' /lib/systemd/systemd --system" >"$root/../$(basename "$root").boot.log" 2>&1 &
tpid=$!
sd=""
for _ in $(seq 1 50); do
  sd=$(pgrep -P "$(pgrep -P "$tpid" | head -1)" 2>/dev/null | head -1 || true)
  [ -n "$sd" ] && break
  sleep 0.2
done
[ -n "$sd" ] || { echo "systemd did not start" >&2; exit 1; }
trap 'kill -9 "$sd" 2>/dev/null || true' EXIT
in_root() { nsenter -t "$sd" -a -r -w "$@"; }
rc=1
for _ in $(seq 1 60); do
  a=$(in_root systemctl is-active checkd.service lbd.service 2>/dev/null | tr '\n' ' ' || true)
  [ "$a" = "active active " ] && { rc=0; break; }
  sleep 0.5
done
in_root systemctl --no-pager status checkd.service lbd.service | grep -E '●|Active:|Status:' || true
[ "$rc" -eq 0 ] && in_root systemctl reload checkd.service lbd.service || rc=1
for p in $(in_root pgrep -x 'lbd|checkd'); do in_root ps -o user=,comm= -p "$p"; done
[ "$rc" -eq 0 ] && echo "booted: checkd and lbd active (running), reload OK" || echo "boot check FAILED" >&2
exit "$rc"
