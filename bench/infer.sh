#!/usr/bin/env bash
# Inference-throughput benchmark (part of make bench): zoo models in tlab vs. torchvision in Python.
# Usage: bash bench/infer.sh [BUILD_DIR]   (ROUNDS=3 THREADS=$(nproc) by default)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
THREADS=${THREADS:-$(nproc)}
OUT=bench/out
mkdir -p "$OUT"
# Inference throughput: zoo models vs. torchvision, batch 1 and 32, same threads. ROUNDS rounds,
# the four runs interleaved within each, so a slow spell of this shared machine hits all of them;
# the table gives each one's median over the rounds.
ROUNDS=${ROUNDS:-3}
rm -f "$OUT"/infer_*.jsonl
for round in $(seq "$ROUNDS"); do
  "$BUILD/tlab_bench_infer" --threads "$THREADS" >> "$OUT/infer_tlab.jsonl"
  /usr/bin/python3 bench/peer_infer.py --threads "$THREADS" >> "$OUT/infer_peer.jsonl"
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/peer_infer.py --threads "$THREADS" >> "$OUT/infer_peer_ob1.jsonl"
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/peer_infer.py --threads "$THREADS" --channels-last >> "$OUT/infer_peer_ob1_cl.jsonl"
done
/usr/bin/python3 - "$OUT" <<'PY' | tee "$OUT/infer_throughput.txt"
import json, statistics, sys
def load(f):
    runs = {}
    for r in map(json.loads, open(f"{sys.argv[1]}/{f}")):
        runs.setdefault((r["model"], r["batch"]), []).append(r["images_per_second"])
    return {k: statistics.median(v) for k, v in runs.items()}
ours = load("infer_tlab.jsonl")
peers = [load(f) for f in ("infer_peer.jsonl", "infer_peer_ob1.jsonl", "infer_peer_ob1_cl.jsonl")]
print("median img/s; ratio = tlab / peer. Peers: torchvision default env | OPENBLAS_NUM_THREADS=1 | same + channels-last by hand")
print(f"{'model':14} {'batch':>5} {'tlab':>7} {'peer':>7} {'ratio':>6} {'peerOB1':>8} {'ratio':>6} {'peerCL':>7} {'ratio':>6}")
for key in ours:
    cells = "".join(f" {p[key]:7.1f} {ours[key] / p[key]:6.2f}" for p in peers)
    print(f"{key[0]:14} {key[1]:5d} {ours[key]:7.1f}{cells}")
PY
