#!/usr/bin/env bash
# Long fuzzing runs (nightly): build the clang libFuzzer targets and fuzz
# each for LK_FUZZ_SECONDS (default 3600) with LK_FUZZ_JOBS processes
# (default: nproc). Extra arguments name the targets (default: all).
# Inputs that crash land in build-fuzz/fuzz-crashes/; each one found must
# be fixed and committed to tests/fuzz/corpus/<p>/ as a regression.
set -euo pipefail
cd "$(dirname "$0")/.."
export LK_FUZZ_JOBS=${LK_FUZZ_JOBS:-$(nproc)}
CC=clang BUILD_DIR=build-fuzz ./scripts/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLBKIT_WERROR=ON -DLBKIT_FUZZ=ON
exec ./scripts/fuzz-run.sh build-fuzz "${LK_FUZZ_SECONDS:-3600}" "$@"
