#!/usr/bin/env bash
# Training-throughput benchmark: `tlab train` vs. the same network, recipe, batch size and thread
# count in PyTorch (Python, Debian's python3-torch), measured in the same run.
# Usage: bash bench/run.sh [BUILD_DIR]   (make bench)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
THREADS=${THREADS:-$(nproc)}
EPOCHS=${EPOCHS:-2}
OUT=bench/out
mkdir -p "$OUT"
RECIPE="--model simple_cnn --epochs $EPOCHS --batch-size 64 --optimizer sgd --lr 0.01 --momentum 0.9 --schedule constant --warmup-epochs 0 --label-smoothing 0"

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; threads $THREADS; epochs $EPOCHS"
rm -rf "$OUT/tlab-run"
"$BUILD/tlab" train --data fashion-mnist $RECIPE --threads "$THREADS" --out "$OUT/tlab-run" > "$OUT/tlab.log"
# The epoch lines tlab prints ("epoch N  train loss ... 3456 img/s  data wait ..."), averaged.
ours=$(/usr/bin/python3 -c "import re,sys; r=[float(m.group(1)) for m in re.finditer(r'^epoch \d+ .* (\d+) img/s', open(sys.argv[1]).read(), re.M)]; print(sum(r)/len(r))" "$OUT/tlab.log")

peer_default=$(/usr/bin/python3 bench/peer_train.py --threads "$THREADS" --epochs "$EPOCHS")
peer_tuned=$(OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/peer_train.py --threads "$THREADS" --epochs "$EPOCHS")

/usr/bin/python3 - "$ours" "$peer_default" "$peer_tuned" <<'PY' | tee "$OUT/train_throughput.txt"
import json, sys
ours = float(sys.argv[1])
rate = lambda s: sum(json.loads(s)["images_per_second"]) / len(json.loads(s)["images_per_second"])
default, tuned = rate(sys.argv[2]), rate(sys.argv[3])
print(f"tlab train (C++)                              {ours:8.0f} img/s")
print(f"PyTorch Python, default environment           {default:8.0f} img/s   ratio tlab/peer {ours / default:.2f}")
print(f"PyTorch Python, OPENBLAS_NUM_THREADS=1        {tuned:8.0f} img/s   ratio tlab/peer {ours / tuned:.2f}")
PY

bash bench/infer.sh "$BUILD"
bash bench/pipeline.sh "$BUILD"
bash bench/hog.sh "$BUILD"
bash bench/serve.sh "$BUILD"
