#!/usr/bin/env bash
# The whole test suite: dependencies, a warnings-as-errors build with
# AddressSanitizer + UndefinedBehaviorSanitizer, then every ctest test
# (unit, fuzz corpus replay, integration with real daemons and peers).
# Prints ctest's summary; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
BUILD_DIR=${BUILD_DIR:-build-test}
BUILD_DIR=$BUILD_DIR ./scripts/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLBKIT_WERROR=ON \
  -DLBKIT_SANITIZE="address;undefined"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 600 "$@"
