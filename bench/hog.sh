#!/usr/bin/env bash
# HOG benchmark (part of make bench): features::hog vs. skimage.feature.hog on the same decoded
# images with the same settings, 1 thread vs. 1 process and N threads vs. a Pool of N processes,
# both measured in this run. tlab_bench_hog decodes the images once and writes them for the peer.
# Usage: bash bench/hog.sh [BUILD_DIR]     (WORKERS=1,$(nproc) REPS=7 PEER_REPS=3 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
WORKERS=${WORKERS:-1,$(nproc)}
REPS=${REPS:-7}
PEER_REPS=${PEER_REPS:-3}
SHARED=${SHARED:-../shared}
OUT=bench/out
mkdir -p "$OUT"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; workers $WORKERS"
"$BUILD/tlab_bench_hog" --out "$OUT/hog-images" --shared "$SHARED" --threads "$WORKERS" --reps "$REPS" \
    > "$OUT/hog.jsonl"
/usr/bin/python3 bench/hog_peer.py "$OUT/hog-images" --workers "$WORKERS" --reps "$PEER_REPS" >> "$OUT/hog.jsonl"
/usr/bin/python3 - "$OUT/hog.jsonl" <<'PY' | tee "$OUT/hog.txt"
import json, sys
runs = {(r["impl"], r["set"], r["workers"]): r for r in map(json.loads, open(sys.argv[1]))}
print("images/s of HOG features (9 orientations, L2-Hys); ratio = tlab / scikit-image")
print(f"{'set':16} {'size':>10} {'cells':>5} {'blocks':>6} {'workers':>7} {'tlab':>10} {'skimage':>9} {'ratio':>6}"
      "  same features")
for (impl, name, workers), ours in runs.items():
    if impl != "tlab":
        continue
    peer = runs[("skimage", name, workers)]
    same = (ours["feature_length"] == peer["feature_length"]
            and abs(ours["checksum"] - peer["checksum"]) <= 1e-6 * abs(peer["checksum"]))
    ratio = ours["images_per_second"] / peer["images_per_second"]
    print(f"{name:16} {ours['size']:>10} {ours['cell']:5d} {ours['block']:6d} {workers:7d} "
          f"{ours['images_per_second']:10.0f} {peer['images_per_second']:9.0f} {ratio:6.1f}  {'yes' if same else 'NO'}")
PY
