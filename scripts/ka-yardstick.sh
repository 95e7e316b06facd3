#!/usr/bin/env bash
# ka-yardstick.sh DIR: measure vrrpd against Keepalived on a directory of
# keepalived.conf files (for example real public ones, kept OUTSIDE this
# repository). For each *.conf in DIR, `keepalived -t -f F` (Debian's 2.2.7)
# and `vrrpd -t -f F` run in a network namespace of our own that has every
# interface the files name (veth pairs, created here, deleted at exit).
#
# Scripts the files run (/etc/keepalived/check_x.sh, notify scripts) exist on
# the hosts the files come from but not here; Keepalived disables a missing
# check and vrrpd refuses it, which would measure this host instead of the
# keywords. So both checkers run in a private mount namespace in which each
# missing script is an executable stub (`exit 0`) on an overlay of its nearest
# existing directory (nothing on the host changes). --no-stubs turns this off.
#
# Prints the counts (files with LVS virtual_server apart: out of scope), the
# rank of vrrpd's refusal messages (file:line and names taken out), and
# writes one line a file to $OUT/results.tsv:
#   file  ka_rc  ka_class  vr_rc  vrrpd's message (or "-")
# ka_class: clean (exit 0, silent); security (exit 6 with nothing but the
# SECURITY VIOLATION of scripts run as root without enable_script_security:
# a clean file on a host without that policy); warn (exit 0 with messages,
# or 4-6 with other messages: the daemon runs the file after dropping what
# it complains of); refuse.
#
# Environment: VRRPD (default build-rel/vrrpd/vrrpd, then build/vrrpd/vrrpd),
# NS (namespace name, default lkya-PID), OUT (default a new temp dir).
set -euo pipefail

usage() { echo "usage: $0 [--no-stubs] DIR" >&2; exit 2; }
STUBS=1
if [ "${1:-}" = "--no-stubs" ]; then STUBS=0; shift; fi
[ $# -eq 1 ] && [ -d "$1" ] || usage
DIR=$(cd "$1" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${VRRPD:-}" ]; then
  VRRPD=$SRC/build-rel/vrrpd/vrrpd
  [ -x "$VRRPD" ] || VRRPD=$SRC/build/vrrpd/vrrpd
fi
[ "$(id -u)" -eq 0 ] || { echo "$0: needs root (namespaces)" >&2; exit 77; }
command -v keepalived >/dev/null || { echo "$0: keepalived is not installed" >&2; exit 77; }
[ -x "$VRRPD" ] || { echo "$0: no vrrpd at $VRRPD (set VRRPD)" >&2; exit 2; }

# The mount namespace: re-run this script inside `unshare -m` so that the
# overlays vanish with it.
if [ "$STUBS" -eq 1 ] && [ -z "${KA_YARDSTICK_INNER:-}" ]; then
  KA_YARDSTICK_INNER=1 VRRPD=$VRRPD exec unshare -m --propagation private "$0" "$DIR"
fi

NS=${NS:-lkya-$$}
OUT=${OUT:-$(mktemp -d /tmp/ka-yardstick.XXXXXX)}
mkdir -p "$OUT"
OV=$(mktemp -d /tmp/ka-yardstick-ov.XXXXXX)
cleanup() {
  ip netns del "$NS" 2>/dev/null || true
  if [ "$STUBS" -eq 1 ]; then umount -R "$OV" 2>/dev/null || true; fi
  rm -rf "$OV"
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up

# Interface names a file uses: after interface/dev/default_interface/
# lvs_sync_daemon_interface, and the lines of track_interface blocks.
ifnames() {
  sed -e 's/[#!].*//' "$1" | awk '
    /track_interface[ \t]*\{/ { inblk = 1; next }
    inblk && /\}/ { inblk = 0; next }
    inblk && NF { print $1; next }
    { for (i = 1; i < NF; i++)
        if ($i == "interface" || $i == "dev" || $i == "default_interface" ||
            $i == "lvs_sync_daemon_interface" || $i == "track_interface")
          print $(i + 1) }' | tr -d '{};"' | awk 'length($0) > 0 && length($0) < 16' | sort -u
}
nlink=0
add_link() {
  ip -n "$NS" link show dev "$1" >/dev/null 2>&1 && return 0
  nlink=$((nlink + 1))
  ip -n "$NS" link add "$1" type veth peer name "kyp$nlink" 2>/dev/null || return 0
  ip -n "$NS" link set "kyp$nlink" up
  ip -n "$NS" link set "$1" up
  ip -n "$NS" addr add "10.$((200 + nlink / 250)).$((nlink % 250)).2/24" dev "$1"
}

# Commands a file runs: first word of script/notify*/misc_path values.
commands() {
  sed -n -E 's/^[[:space:]]*(script|notify[a-z_]*|misc_path|vrrp_notify_fifo_script)[[:space:]]+(.*)$/\2/p' "$1" |
    sed -E 's/[[:space:]]+[#!].*//; s/^\\?["'"'"']//' | awk '{print $1}' | tr -d '"'"'"'\\' | sort -u
}
overlaid=()
under_overlay() {
  local d
  for d in "${overlaid[@]}"; do case "$1/" in "$d"/*) return 0 ;; esac; done
  return 1
}
stub() {
  local p=$1 a n
  a=$(dirname "$p")
  while [ ! -d "$a" ]; do a=$(dirname "$a"); done
  [ "$a" = / ] && { echo "  (no stub for $p: under /)"; return 0; }
  if ! under_overlay "$a"; then
    n=${#overlaid[@]}
    mkdir -p "$OV/u$n" "$OV/w$n"
    mount -t overlay overlay -o "lowerdir=$a,upperdir=$OV/u$n,workdir=$OV/w$n" "$a"
    overlaid+=("$a")
  fi
  mkdir -p "$(dirname "$p")"
  printf '#!/bin/sh\nexit 0\n' > "$p"
  chmod 755 "$p"
}
if [ "$STUBS" -eq 1 ]; then
  mount -t tmpfs ka-yardstick "$OV"
fi

files=("$DIR"/*.conf)
missing=()
for f in "${files[@]}"; do
  for n in $(ifnames "$f"); do add_link "$n"; done
  [ "$STUBS" -eq 1 ] || continue
  for c in $(commands "$f"); do
    case "$c" in
      /*) [ -e "$c" ] || missing+=("$c") ;;
      */*) ;;
      *) command -v "$c" >/dev/null || missing+=("/usr/local/bin/$c") ;;
    esac
  done
done
# Shallowest directories first: an overlay does not show the mounts below
# its lower directory, so /etc must be overlaid before /etc/keepalived would.
nstub=0
if [ ${#missing[@]} -gt 0 ]; then
  while read -r _ c; do
    stub "$c" && nstub=$((nstub + 1))
  done < <(for c in $(printf '%s\n' "${missing[@]}" | sort -u); do
             a=$(dirname "$c"); while [ ! -d "$a" ]; do a=$(dirname "$a"); done
             echo "$(echo "$a" | tr -cd / | wc -c) $c"
           done | sort -n)
fi
echo "namespace $NS: $nlink interfaces; $nstub missing scripts stubbed"

: > "$OUT/results.tsv"
for f in "${files[@]}"; do
  name=$(basename "$f")
  ip netns exec "$NS" keepalived -t -f "$f" >"$OUT/$name.ka" 2>&1 && ka=0 || ka=$?
  ip netns exec "$NS" "$VRRPD" -t -f "$f" >"$OUT/$name.vr" 2>&1 && vr=0 || vr=$?
  if grep -qE '^[[:space:]]*virtual_server(_group)?[[:space:]]' "$f"; then
    cls=lvs
  elif [ "$ka" -eq 0 ] && [ ! -s "$OUT/$name.ka" ]; then
    cls=clean
  elif [ "$ka" -eq 6 ] && ! grep -qv 'SECURITY VIOLATION' "$OUT/$name.ka"; then
    cls=security
  elif [ "$ka" -eq 0 ] || [ "$ka" -ge 4 ] && [ "$ka" -le 6 ]; then
    cls=warn
  else
    cls=refuse
  fi
  msg=-
  if [ "$vr" -ne 0 ]; then
    msg=$(grep '^vrrpd: ' "$OUT/$name.vr" | tail -1 | sed -E "s/^vrrpd: [^ :]+(:[0-9]+)?: //" || true)
    [ -n "$msg" ] || msg="(exit $vr) $(tail -1 "$OUT/$name.vr")"
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$ka" "$cls" "$vr" "$msg" >> "$OUT/results.tsv"
done

awk -F'\t' '
  { n++; c[$3]++; if ($4 == 0) ok[$3]++ }
  END {
    acc = c["clean"] + c["security"] + c["warn"]
    printf "files: %d; LVS (virtual_server, out of scope): %d\n", n, c["lvs"]
    printf "Keepalived accepts %d of the %d without LVS: clean %d, clean but for SECURITY VIOLATION %d, with warnings %d; refuses %d\n",
      acc, n - c["lvs"], c["clean"], c["security"], c["warn"], c["refuse"]
    printf "vrrpd accepts %d of the %d Keepalived accepts: %d of %d clean, %d of %d security, %d of %d with warnings\n",
      ok["clean"] + ok["security"] + ok["warn"], acc, ok["clean"], c["clean"], ok["security"], c["security"], ok["warn"], c["warn"]
    printf "vrrpd accepts %d of the %d Keepalived refuses\n", ok["refuse"], c["refuse"]
  }' "$OUT/results.tsv"
echo "vrrpd refusals of files Keepalived accepts, by number of files:"
awk -F'\t' '$3 != "lvs" && $3 != "refuse" && $4 != 0 { print $5 }' "$OUT/results.tsv" |
  sed -E "s/(vrrp_instance|vrrp_script|vrrp_sync_group|vrrp_track_process|track_process|track_script) '[^']*'/\1 'NAME'/g" |
  sort | uniq -c | sort -rn
echo "per-file results: $OUT/results.tsv"
