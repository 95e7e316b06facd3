#!/usr/bin/env bash
# The whole test suite:
#  1. dependencies (scripts/deps.sh);
#  2. clang build with LBKIT_FUZZ=ON: each fuzz target runs over its
#     committed corpus under libFuzzer + AddressSanitizer, then fuzzes for
#     LK_FUZZ_SECONDS (default 20) each (scripts/fuzz-run.sh; a crash
#     fails the run, its input is left in build-fuzz/fuzz-crashes/);
#  3. gcc build with ThreadSanitizer: unit tests and the scenarios that run
#     lbd with several worker threads (LK_TSAN_TESTS);
#  4. gcc build with warnings as errors and AddressSanitizer +
#     UndefinedBehaviorSanitizer, then every ctest test (unit, corpus
#     replays, integration with real daemons and peers).
# ctest's summary of step 4 is the last thing printed; any failure exits
# non-zero. Extra arguments go to the step-4 ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
LK_TSAN_TESTS=${LK_TSAN_TESTS:-unit\.|integration\.(tcp_forward|http_counters|admin_limits|lbd_reload|dns_resolvers|peers|stats_forward)}

if ls tests/fuzz/fuzz_*.c >/dev/null 2>&1; then
  echo "== clang + libFuzzer: corpus runs"
  CC=clang BUILD_DIR=build-fuzz ./scripts/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLBKIT_WERROR=ON -DLBKIT_FUZZ=ON
  (cd build-fuzz && ctest --output-on-failure -L fuzz)
  echo "== clang + libFuzzer: ${LK_FUZZ_SECONDS:-20}s per target"
  ./scripts/fuzz-run.sh build-fuzz "${LK_FUZZ_SECONDS:-20}"
fi

# ThreadSanitizer: the tests whose lbd runs several worker threads
# (nbthread > 1) and the unit tests of shared counters; a data race stops
# the daemon (halt_on_error), which fails its scenario.
echo "== gcc + ThreadSanitizer: multi-threaded scenarios"
BUILD_DIR=build-tsan ./scripts/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLBKIT_WERROR=ON \
  -DLBKIT_SANITIZE=thread
(cd build-tsan && TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1} \
  ctest --output-on-failure --timeout 600 -R "$LK_TSAN_TESTS")

echo "== gcc + ASan/UBSan: all tests"
BUILD_DIR=${BUILD_DIR:-build-test}
BUILD_DIR=$BUILD_DIR ./scripts/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLBKIT_WERROR=ON \
  -DLBKIT_SANITIZE="address;undefined"
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 900 "$@"
