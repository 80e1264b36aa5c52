#!/usr/bin/env bash
# Image-pipeline benchmark (part of make bench): tlab's loader vs. torchvision transforms on PIL
# with torch's DataLoader, same data, same pipeline, same workers, same batch size, in one run.
# Usage: bash bench/pipeline.sh [BUILD_DIR]     (WORKERS="0 2" ROUNDS=2 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
WORKERS=${WORKERS:-"0 $(nproc)"}
ROUNDS=${ROUNDS:-2}
SHARED=${SHARED:-../shared/datasets}
OUT=bench/out
mkdir -p "$OUT"
rm -f "$OUT/pipeline.jsonl"
run() {  # data pipeline size epochs workers
  "$BUILD/tlab_bench_pipeline" --data "$1" --pipeline "$2" --size "$3" --epochs "$4" --workers "$5" >> "$OUT/pipeline.jsonl"
  /usr/bin/python3 bench/peer_pipeline.py --data "$1" --pipeline "$2" --size "$3" --epochs "$4" --workers "$5" >> "$OUT/pipeline.jsonl"
}
for round in $(seq "$ROUNDS"); do
  for w in $WORKERS; do
    run "$SHARED/hymenoptera/train" train 224 3 "$w"
    run "$SHARED/flowers5" eval 224 1 "$w"
    run "$SHARED/cifar10-jpg/test" eval 32 1 "$w"
  done
done
/usr/bin/python3 - "$OUT/pipeline.jsonl" <<'PY' | tee "$OUT/pipeline.txt"
import json, statistics, sys
runs = {}
for r in map(json.loads, open(sys.argv[1])):
    runs.setdefault((r["data"].rstrip("/").split("/datasets/")[-1], r["pipeline"], r["workers"], r["impl"]), []).append(r["images_per_second"])
print("median images/s over the rounds; ratio = tlab / torchvision+PIL")
print(f"{'data':22} {'pipeline':8} {'workers':>7} {'tlab':>8} {'peer':>8} {'ratio':>6}")
for (data, pipe, w, impl), v in runs.items():
    if impl != "tlab":
        continue
    ours, peer = statistics.median(v), statistics.median(runs[(data, pipe, w, "torchvision-pil")])
    print(f"{data:22} {pipe:8} {w:7d} {ours:8.1f} {peer:8.1f} {ours / peer:6.2f}")
PY
