#!/usr/bin/env bash
# The ants-and-bees walk-through (examples/ants-and-bees/README.md), end to end:
# raw image folder -> linear probe -> fine-tuned classifier -> evaluation -> predictions.
# Usage: bash examples/ants-and-bees/run.sh [BUILD_DIR] [OUT_DIR]   (from the repository root)
set -euo pipefail
BUILD=${1:-build}
OUT=${2:-runs/ants-and-bees}
DATA=../shared/datasets/hymenoptera
WEIGHTS=../shared/weights/mobilenet_v2-imagenet-folded.pth
TLAB="$BUILD/tlab"
rm -rf "$OUT"
mkdir -p "$OUT"

echo "== 1. what augmentation does to these photos =="
"$TLAB" augment-preview --data "$DATA" --augment light --out "$OUT/augment-light.png"

echo "== 2. the baseline: a linear probe on frozen ImageNet features =="
"$TLAB" train --data "$DATA" --model mobilenet_v2 --weights "$WEIGHTS" --strategy linear-probe --out "$OUT/probe"

echo "== 3. fine-tuning: head warm-up, then the whole backbone at 1/100 of the head's learning rate =="
"$TLAB" train --data "$DATA" --model mobilenet_v2 --weights "$WEIGHTS" --strategy fine-tune \
  --augment light --batch-size 32 --epochs 10 --out "$OUT/fine-tune"

echo "== 4. evaluate the run (its best checkpoint) on the validation folder, as a user with new labelled data would =="
"$TLAB" eval --checkpoint "$OUT/fine-tune" --data "$DATA/val" --out "$OUT/eval"

echo "== 5. predict photos the model has never been trained on =="
"$TLAB" predict --checkpoint "$OUT/fine-tune" --topk 2 \
  "$DATA/val/ants/10308379_1b6c72e180.jpg" "$DATA/val/bees/1032546534_06907fe3b3.jpg" \
  ../shared/images/parrot.jpg
"$TLAB" predict --checkpoint "$OUT/fine-tune" --topk 1 --json \
  "$DATA/val/bees/10870992_eebeeb3a12.jpg" > "$OUT/predictions.json"
cat "$OUT/predictions.json"
