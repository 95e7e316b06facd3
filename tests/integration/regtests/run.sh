#!/usr/bin/env bash
# HAProxy 2.6's own reg-tests (reg-tests/*.vtc) on the features lbd's docs
# claim, restated in regtests.py: every case runs on HAProxy 2.6 and on lbd
# in front of the same origin servers (Python, on loopback); HAProxy must
# give the answers the reg-test expects, lbd must give HAProxy's, and each
# case's outcome (same / differs / refused) must be the one listed there.
# No root: loopback only.
source "$(dirname "$0")/../lib.sh"
D=$(cd "$(dirname "$0")" && pwd)
command -v haproxy >/dev/null || { echo "SKIP: haproxy not installed"; exit 77; }

out=$(timeout 200 python3 "$D/regtests.py" "$LBD" "$T" 2>&1) && rc=0 || rc=$?
echo "$out"
expect_eq "every reg-test case has its listed outcome" "$rc" 0
# the comparison is only worth something if cases ran on both daemons
n=$(grep -c '^ok   .* same ' <<< "$out" || true)
check "at least 20 reg-tests behave as HAProxy ($n)" test "$n" -ge 20
finish
