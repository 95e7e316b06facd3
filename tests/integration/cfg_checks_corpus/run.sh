#!/usr/bin/env bash
# Health-check configs in the style of real deployments (Redis master
# election, Patroni, Galera clustercheck, SMTP relays, TLS pass-through,
# agents, the Kubernetes control plane; tests/fixtures/lbd/checks): each is
# valid for HAProxy 2.6 (haproxy -c) and for lbd -c, except the one whose
# check needs TLS, which lbd refuses at that line.
source "$(dirname "$0")/../lib.sh"
command -v haproxy >/dev/null || { echo "SKIP: haproxy missing"; exit 77; }
FIX=$(cd "$(dirname "$0")/../../fixtures/lbd/checks" && pwd)
n=0
for f in "$FIX"/*.cfg; do
  name=$(basename "$f")
  check "$name: haproxy -c accepts it" haproxy -c -q -f "$f"
  if [ "$name" = k8s-apiserver-healthz-tls.cfg ]; then
    out=$("$LBD" -c -f "$f" 2>&1) && rc=0 || rc=$?
    expect_eq "$name: lbd -c refuses it" "$rc" 1
    check "$name: at the TLS check's line, saying why" \
      grep -qF "$f:13: http-check connect: not supported by lbd" <<< "$out"
  else
    check "$name: lbd -c accepts it" "$LBD" -c -f "$f"
  fi
  n=$((n + 1))
done
expect_eq "7 configs read" "$n" 7
finish
