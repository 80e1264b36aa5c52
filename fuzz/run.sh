#!/usr/bin/env bash
# Runs one fuzz target (one process: the machine is shared) with its seeds and dictionary.
#   fuzz/run.sh pickle|pth|safetensors|image_header [SECONDS=300] [BUILD_DIR=build-fuzz]
# The growing corpus lives in BUILD_DIR/corpus/<target>, crashes in BUILD_DIR/artifacts/<target>/,
# the fuzzer's output in BUILD_DIR/logs/<target>-<UTC time>.log (final stats at the end).
set -euo pipefail
target=${1:?usage: fuzz/run.sh pickle|pth|safetensors|image_header [seconds] [build dir]}
seconds=${2:-300}
build=${3:-build-fuzz}
here=$(cd "$(dirname "$0")" && pwd)
case $target in
  pickle|pth) dict=$here/pickle.dict ;;
  safetensors) dict=$here/safetensors.dict ;;
  image_header) dict=$here/image_header.dict ;;
  *) echo "unknown target '$target'" >&2; exit 2 ;;
esac
mkdir -p "$build/corpus/$target" "$build/artifacts/$target" "$build/logs"
log=$build/logs/$target-$(date -u +%Y%m%dT%H%M%SZ).log
echo "fuzz_$target for ${seconds}s; log: $log"
# No -jobs/-workers: libFuzzer then fuzzes in this one process (the same as -jobs=1 -workers=1,
# without the fuzz-0.log indirection).
"$build/fuzz/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=25 -print_final_stats=1 \
  -dict="$dict" -artifact_prefix="$build/artifacts/$target/" \
  "$build/corpus/$target" "$here/seeds/$target" 2>&1 | tee "$log" | grep -E "^#[0-9]+ +(INITED|DONE)|ERROR|SUMMARY|Test unit|stat::" || true
