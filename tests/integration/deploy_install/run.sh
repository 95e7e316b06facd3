#!/usr/bin/env bash
# deploy_install: `cmake --install` into a DESTDIR gives the file set the
# units, man pages and docs promise; every path the units run exists there;
# `systemd-analyze verify` is clean and `systemd-analyze security` stays under
# the issue-14 limits (lbd, checkd <= 2.0; vrrpd <= 3.0); lbd really runs as
# a non-root user with only CAP_NET_BIND_SERVICE (binds :80, registers with a
# non-root checkd over checkd.sock, writes lbd.sock), vrrpd as non-root with
# only CAP_NET_ADMIN + CAP_NET_RAW takes the VIP; cpack builds a .deb
# holding the same files and the postinst.
. "$(dirname "$0")/../lib.sh"
need_root
for tool in systemd-analyze setpriv curl socat; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done

prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$LK_BUILD/CMakeCache.txt")
D=$T/dest
DESTDIR=$D cmake --install "$LK_BUILD" >"$T/install.log" 2>&1 || { cat "$T/install.log"; exit 1; }
P=$D$prefix
units=$P/lib/systemd/system

# --- the file set
for f in sbin/lbd sbin/checkd sbin/vrrpd \
  lib/systemd/system/lbd.service lib/systemd/system/checkd.service \
  lib/systemd/system/vrrpd.service lib/sysusers.d/lbkit.conf \
  share/man/man8/lbd.8 share/man/man8/checkd.8 share/man/man8/vrrpd.8 \
  share/man/man5/lbd.cfg.5 share/man/man5/vrrpd.conf.5 \
  share/doc/lbkit/README.md share/doc/lbkit/deploy.md share/doc/lbkit/lbd.md \
  share/doc/lbkit/vrrpd.md share/doc/lbkit/checkd.md \
  share/doc/lbkit/examples/lbd-exp1-web.cfg share/doc/lbkit/examples/vrrpd-track-lbd.conf; do
  check "installed $prefix/$f" test -s "$P/$f"
done
check "binaries executable" test -x "$P/sbin/lbd" -a -x "$P/sbin/checkd" -a -x "$P/sbin/vrrpd"

# --- every command a unit runs is installed (prefix-relative) or on the host
for u in lbd checkd vrrpd; do
  cmds=$(sed -n 's/^Exec[A-Za-z]*=-\?\([^ ]*\).*/\1/p' "$units/$u.service" | sort -u)
  for c in $cmds; do
    case $c in
      "$prefix"/*) check "$u.service runs $c (installed)" test -x "$D$c" ;;
      *) check "$u.service runs $c (system)" test -x "$c" ;;
    esac
  done
  # one config name, one runtime directory, the user the package creates
  grep -q '^RuntimeDirectory=lbkit$' "$units/$u.service" && ok "$u: RuntimeDirectory=lbkit" ||
    fail "$u: RuntimeDirectory"
  grep -q '^User=lbkit$' "$units/$u.service" && ok "$u: User=lbkit" || fail "$u: User"
done
check "vrrpd.service reads /etc/lbkit/vrrpd.conf" grep -q -- '-f /etc/lbkit/vrrpd.conf' "$units/vrrpd.service"
vr_default=$("$P/sbin/vrrpd" -h | sed -n 's/.*(default \(\/etc[^)]*\)).*/\1/p')
expect_eq "vrrpd's built-in default config is the unit's" "$vr_default" /etc/lbkit/vrrpd.conf
check "sysusers creates lbkit" grep -q '^u lbkit ' "$P/lib/sysusers.d/lbkit.conf"

# --- systemd-analyze verify: copies whose Exec paths point into DESTDIR, so
# a missing binary fails verify too; man pages looked up in DESTDIR
mkdir -p "$T/verify"
for u in lbd checkd vrrpd; do
  sed "s|=\(-\?\)$prefix/|=\1$P/|" "$units/$u.service" >"$T/verify/$u.service"
done
# (warnings about the host's own units, e.g. /lib/systemd/system/garb.service,
# are not ours: only lines naming our units or files count)
(cd "$T/verify" && MANPATH=$P/share/man systemd-analyze verify lbd.service checkd.service \
  vrrpd.service) >"$T/verify.log" 2>&1 && vrc=0 || vrc=$?
if [ "$vrc" -eq 0 ] && ! grep -E "^(lbd|checkd|vrrpd)\.service|$T" "$T/verify.log"; then
  ok "systemd-analyze verify clean"
else
  fail "systemd-analyze verify: $(cat "$T/verify.log")"
fi
# the check above can fail: a unit running a binary that is not installed
sed 's|sbin/lbd |sbin/lbd-missing |' "$T/verify/lbd.service" >"$T/verify/lbdbad.service"
if (cd "$T/verify" && MANPATH=$P/share/man systemd-analyze verify lbdbad.service) >/dev/null 2>&1; then
  fail "verify did not notice a missing binary"
else
  ok "verify notices a missing binary"
fi

# --- exposure scores (offline, on the installed files)
score() {
  systemd-analyze security --offline=yes --root="$D" "$1.service" 2>/dev/null |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
for lim in lbd:2.0 checkd:2.0 vrrpd:3.0; do
  u=${lim%%:*}; max=${lim#*:}
  s=$(score "$u")
  echo "security $u.service: ${s:-?} (limit $max)"
  check "$u.service exposure ${s:-?} <= $max" awk -v s="${s:-99}" -v m="$max" 'BEGIN { exit !(s <= m) }'
done

# --- lbd as a non-root user with only CAP_NET_BIND_SERVICE, next to a
# non-root checkd, in a private netns (port 80 there is ours)
ns="${NS_PREFIX}d-nr"
ip netns add "$ns" && LK_NETNS+=("$ns")
ip -n "$ns" link set lo up
run=$T/run
install -d -m 0750 -o nobody -g nogroup "$run"
mkdir -p "$T/www" && echo "deploy-nonroot-ok" >"$T/www/index.html"
chmod -R a+rX "$T"
web=$(free_port)
# exec: the PID bg records is the daemon's own, so the cleanup kills it
asuser() { exec ip netns exec "$ns" setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
inns() { ip netns exec "$ns" bash -c "$(declare -f wait_port); $*"; }
# /usr/bin/python3: user nobody cannot reach root's own python (e.g. pyenv)
bg asuser /usr/bin/python3 -m http.server "$web" --bind 127.0.0.1 --directory "$T/www" \
  >"$T/web.log" 2>&1
inns wait_port 127.0.0.1 "$web" 10 || { cat "$T/web.log"; exit 1; }
cat >"$T/lbd.cfg" <<CFG
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend web
    bind *:80
    default_backend app
backend app
    server web1 127.0.0.1:$web check inter 200 fall 2 rise 1
CFG
chmod a+r "$T/lbd.cfg"
# negative first: without the capability, binding :80 must fail
if timeout 5 ip netns exec "$ns" setpriv --reuid=nobody --regid=nogroup --clear-groups \
  "$LBD" -f "$T/lbd.cfg" -R "$run" >"$T/lbd-nocap.log" 2>&1; then
  fail "lbd without CAP_NET_BIND_SERVICE bound :80 (test proves nothing)"
else
  ok "lbd without CAP_NET_BIND_SERVICE cannot bind :80"
fi
rm -f "$run"/*.sock
bg asuser "$CHECKD" -R "$run"
wait_sock "$run/checkd.sock" 10
bg asuser --inh-caps=+net_bind_service --ambient-caps=+net_bind_service "$LBD" -f "$T/lbd.cfg" -R "$run"
wait_sock "$run/lbd.sock" 10
check "lbd.sock written by the non-root lbd" test "$(stat -c %U "$run/lbd.sock")" = nobody
inns wait_port 127.0.0.1 80 10
body=$(ip netns exec "$ns" curl -s -m 5 http://127.0.0.1/ || true)
expect_eq "non-root lbd serves :80" "$body" deploy-nonroot-ok
up=""
for _ in $(seq 1 50); do
  up=$(echo "show health" | ip netns exec "$ns" socat -t 2 - "UNIX-CONNECT:$run/checkd.sock" 2>/dev/null |
    grep -c 'web1.*UP' || true)
  [ "${up:-0}" -ge 1 ] && break
  sleep 0.1
done
check "lbd registered web1 with the non-root checkd (UP in checkd's table)" test "${up:-0}" -ge 1

# --- vrrpd as a non-root user with CAP_NET_ADMIN + CAP_NET_RAW only (what
# vrrpd.service grants): it opens the VRRP socket, becomes master, adds the
# VIP over rtnetlink, removes it at SIGTERM; without them it is refused
if [ -n "${VRRPD:-}" ] && [ -x "$VRRPD" ]; then
  n1="${NS_PREFIX}d-v1"; n2="${NS_PREFIX}d-v2"
  ip netns add "$n1" && LK_NETNS+=("$n1")
  ip netns add "$n2" && LK_NETNS+=("$n2")
  ip -n "$n1" link add eth0 type veth peer name eth0 netns "$n2"
  ip -n "$n1" addr add 10.251.0.1/24 dev eth0
  ip -n "$n2" addr add 10.251.0.2/24 dev eth0
  ip -n "$n1" link set eth0 up; ip -n "$n2" link set eth0 up; ip -n "$n1" link set lo up
  vrun=$T/vrun
  install -d -m 0750 -o nobody -g nogroup "$vrun"
  cat >"$T/vrrpd.conf" <<CFG
global_defs {
    script_user nobody
}
vrrp_instance V1 {
    interface eth0
    state MASTER
    virtual_router_id 51
    priority 101
    advert_int 1
    virtual_ipaddress {
        10.251.0.100
    }
}
CFG
  chmod a+r "$T/vrrpd.conf"
  vip_on() { ip -n "$n1" -4 addr show dev eth0 | lk_grepq 'inet 10.251.0.100/'; }
  if timeout 5 ip netns exec "$n1" setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$VRRPD" -f "$T/vrrpd.conf" -R "$vrun" >"$T/vrrpd-nocap.log" 2>&1; then :; fi
  if grep -q 'VRRP socket on eth0: Operation not permitted' "$T/vrrpd-nocap.log" && ! vip_on; then
    ok "vrrpd without capabilities is refused its VRRP socket"
  else
    fail "vrrpd without capabilities: $(tail -2 "$T/vrrpd-nocap.log")"
  fi
  rm -f "$vrun"/*.sock
  vasuser() { exec ip netns exec "$n1" setpriv --reuid=nobody --regid=nogroup --clear-groups \
    --inh-caps=+net_admin,+net_raw --ambient-caps=+net_admin,+net_raw "$@"; }
  bg vasuser "$VRRPD" -f "$T/vrrpd.conf" -R "$vrun"
  vpid=$!
  for _ in $(seq 1 80); do vip_on && break; sleep 0.1; done
  check "non-root vrrpd with NET_ADMIN+NET_RAW becomes master and adds the VIP" vip_on
  st=$(echo 'show vrrp' | ip netns exec "$n1" socat -t 2 - "UNIX-CONNECT:$vrun/vrrpd.sock" 2>/dev/null |
    sed -n 's/^Instance V1: state \([A-Z]*\).*/\1/p')
  expect_eq "vrrpd.sock (written by the non-root vrrpd) answers" "$st" MASTER
  kill "$vpid"
  for _ in $(seq 1 50); do vip_on || break; sleep 0.1; done
  check "the non-root vrrpd removes the VIP at SIGTERM" bash -c "! ip -n $n1 -4 addr show dev eth0 | grep -q 10.251.0.100/"
fi

# --- the .deb (cpack into the test dir; dpkg-deb lists what it holds)
if command -v cpack >/dev/null && command -v dpkg-deb >/dev/null; then
  if (cd "$T" && timeout 150 cpack -G DEB -B "$T/pkg" --config "$LK_BUILD/CPackConfig.cmake") \
    >"$T/cpack.log" 2>&1; then
    deb=$(ls "$T"/pkg/lbkit_*.deb | head -1)
    dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$T/deb.list"
    for f in "$prefix/sbin/lbd" "$prefix/sbin/checkd" "$prefix/sbin/vrrpd" \
      "$prefix/lib/systemd/system/lbd.service" "$prefix/lib/systemd/system/vrrpd.service" \
      "$prefix/lib/systemd/system/checkd.service" "$prefix/share/man/man8/lbd.8" \
      "$prefix/share/man/man5/vrrpd.conf.5" "$prefix/share/doc/lbkit/examples/lbd-exp1-web.cfg"; do
      check ".deb holds $f" grep -qx "$f" "$T/deb.list"
    done
    dpkg-deb -e "$deb" "$T/ctl"
    check ".deb postinst creates the lbkit user" grep -q 'adduser --system' "$T/ctl/postinst"
  else
    fail "cpack: $(tail -5 "$T/cpack.log")"
  fi
fi
finish
