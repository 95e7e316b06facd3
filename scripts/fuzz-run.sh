#!/usr/bin/env bash
# Run every libFuzzer target of a clang LBKIT_FUZZ=ON build for a bounded
# time each: fuzz-run.sh BUILD_DIR SECONDS [TARGET...] (default: all).
# Each target starts from its committed corpus (tests/fuzz/corpus/<p>/,
# read only) plus a work corpus in BUILD_DIR/fuzz-work/<p>/ that keeps what
# it found between runs. A crash, leak or timeout stops that target, its
# input is left in BUILD_DIR/fuzz-crashes/<p>-crash-<sha1> (or leak-,
# timeout-, oom-) and the script exits non-zero after running the others.
# Reproduce with: BUILD_DIR/tests/fuzz/fuzz_<p> FILE
# LK_FUZZ_JOBS (default 1) runs that many fuzzing processes per target.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:?build dir}
secs=${2:?seconds per target}
shift 2
jobs=${LK_FUZZ_JOBS:-1}
# -jobs=1 would still fork a child logging to ./fuzz-0.log: only for > 1
jobargs=()
[ "$jobs" -gt 1 ] && jobargs=(-jobs="$jobs" -workers="$jobs")
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.c; do
    targets+=("$(basename "$f" .c | sed 's/^fuzz_//')")
  done
fi
mkdir -p "$dir/fuzz-crashes"
failed=()
for p in "${targets[@]}"; do
  bin=$dir/tests/fuzz/fuzz_$p
  [ -x "$bin" ] || { echo "fuzz-run: $bin missing" >&2; failed+=("$p"); continue; }
  mkdir -p "$dir/fuzz-work/$p"
  log=$dir/fuzz-work/$p.log
  echo "== fuzz $p: ${secs}s"
  # -timeout: one input taking 10 s is a bug (a loop); -rss_limit_mb bounds
  # memory on a shared box; leaks are on (libFuzzer's -detect_leaks=1).
  if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
      ${jobargs[@]+"${jobargs[@]}"} -print_final_stats=1 \
      -artifact_prefix="$dir/fuzz-crashes/$p-" \
      "$dir/fuzz-work/$p" "tests/fuzz/corpus/$p" >"$log" 2>&1; then
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" |
      tr '\n' ' '
    grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1
  else
    echo "fuzz-run: $p FAILED, input in $dir/fuzz-crashes/ (log $log):" >&2
    grep -E 'ERROR|SUMMARY|artifact' "$log" | head -5 >&2
    failed+=("$p")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz-run: failed: ${failed[*]}" >&2
  exit 1
fi
