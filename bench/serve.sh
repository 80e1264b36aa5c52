#!/usr/bin/env bash
# Serving benchmark (part of make bench): `tlab serve` (dynamic batching) vs. a Python peer (Flask,
# bench/peer_serve.py: the same torchvision model and weights, one forward per request, the same
# LibTorch threads), loaded with Debian's `hey` at concurrency 1, 4 and 8 in the same run.
# Reports requests/s, p50 and p99 latency, errors, peak RSS, and tlab's RSS after 500 and after
# 5,000 requests, each read 1 s after the load stops (a leak shows as growth).
# Usage: bash bench/serve.sh [BUILD_DIR]   (N=400 requests per level, THREADS=$(nproc))
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
THREADS=${THREADS:-$(nproc)}
N=${N:-400}
SHARED=../shared
WEIGHTS=$SHARED/weights/mobilenet_v2-imagenet-folded.pth
LABELS=$SHARED/weights/imagenet_classes.txt
IMAGE=${IMAGE:-$SHARED/images/cat_720p.jpg}
OUT=bench/out/serve
TLAB_PORT=${TLAB_PORT:-18480}
PEER_PORT=${PEER_PORT:-18481}
rm -rf "$OUT" && mkdir -p "$OUT"

"$BUILD/tlab" serve --model mobilenet_v2 --weights "$WEIGHTS" --labels "$LABELS" --port "$TLAB_PORT" \
  --threads "$THREADS" --http-threads 16 --max-batch-size 8 --max-batch-delay-ms 5 --max-queue 256 \
  > "$OUT/tlab.log" 2>&1 &
TLAB_PID=$!
/usr/bin/python3 bench/peer_serve.py --weights "$WEIGHTS" --labels "$LABELS" --port "$PEER_PORT" --threads "$THREADS" \
  > "$OUT/peer.log" 2>&1 &
PEER_PID=$!
trap 'kill $TLAB_PID $PEER_PID 2>/dev/null || true' EXIT

wait_ready() {  # URL PID
  for _ in $(seq 600); do
    curl -sf "$1" > /dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "the server (pid $2) exited; see $OUT" >&2; return 1; }
    sleep 0.1
  done
  echo "no answer from $1 after 60 s" >&2
  return 1
}
wait_ready "http://127.0.0.1:$TLAB_PORT/v2/health/ready" "$TLAB_PID"
wait_ready "http://127.0.0.1:$PEER_PORT/ready" "$PEER_PID"

TLAB_URL="http://127.0.0.1:$TLAB_PORT/v1/predict"
PEER_URL="http://127.0.0.1:$PEER_PORT/predict"
load() {  # NAME URL REQUESTS CONCURRENCY
  hey -n "$3" -c "$4" -m POST -T image/jpeg -D "$IMAGE" -t 60 "$2" > "$OUT/$1.txt"
}
# Resident set 1 s after a load stops (the server hands free heap pages back when idle, so this is
# what it keeps: a leak would stay).
rss_kb() { sleep 1; awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# Warm-up: 500 requests each (first-call allocations, kernel choices, the peer's thread start-up).
load tlab_warmup "$TLAB_URL" 500 8
load peer_warmup "$PEER_URL" 500 8
TLAB_RSS_500=$(rss_kb "$TLAB_PID")
for c in 1 4 8; do  # interleaved, so a slow spell of the shared machine hits both
  load "tlab_c$c" "$TLAB_URL" "$N" "$c"
  load "peer_c$c" "$PEER_URL" "$N" "$c"
done
SENT=$((500 + 3 * N))
if [ "$SENT" -lt 5000 ]; then load tlab_to5000 "$TLAB_URL" $((5000 - SENT)) 8; fi
TLAB_RSS_5000=$(rss_kb "$TLAB_PID")
TLAB_HWM=$(hwm_kb "$TLAB_PID")
PEER_HWM=$(hwm_kb "$PEER_PID")
curl -s "http://127.0.0.1:$TLAB_PORT/metrics" > "$OUT/tlab_metrics.txt"

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; threads $THREADS; $N requests per level;" \
     "image $(basename "$IMAGE"); mobilenet_v2"
/usr/bin/python3 - "$OUT" "$TLAB_RSS_500" "$TLAB_RSS_5000" "$TLAB_HWM" "$PEER_HWM" <<'PY' | tee "$OUT/serve.txt"
import re, sys
out, rss500, rss5000, tlab_hwm, peer_hwm = sys.argv[1], *map(int, sys.argv[2:])
def parse(name):
    t = open(f"{out}/{name}.txt").read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    lat = {p: float(v) * 1e3 for p, v in re.findall(r"(\d+)% in ([\d.]+) secs", t)}
    codes = {int(c): int(n) for c, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", t)}
    failed = t.split("Error distribution:")[1] if "Error distribution:" in t else ""  # no answer at all
    errors = sum(n for c, n in codes.items() if c != 200) + sum(int(n) for n in re.findall(r"^\s+\[(\d+)\]", failed, re.M))
    return rps, lat.get("50", float("nan")), lat.get("99", float("nan")), errors
print(f"{'concurrency':>11} {'tlab req/s':>10} {'peer req/s':>10} {'ratio':>6} {'tlab p50':>9} {'peer p50':>9} {'tlab p99':>9} {'peer p99':>9} {'errors t/p':>10}")
for c in (1, 4, 8):
    t, p = parse(f"tlab_c{c}"), parse(f"peer_c{c}")
    print(f"{c:>11} {t[0]:10.1f} {p[0]:10.1f} {t[0] / p[0]:6.2f} {t[1]:7.1f}ms {p[1]:7.1f}ms {t[2]:7.1f}ms {p[2]:7.1f}ms {t[3]:>5}/{p[3]}")
print(f"peak RSS: tlab {tlab_hwm / 1024:.0f} MB, peer {peer_hwm / 1024:.0f} MB")
print(f"tlab RSS after 500 requests {rss500 / 1024:.1f} MB, after 5,000 {rss5000 / 1024:.1f} MB: {100 * (rss5000 / rss500 - 1):+.1f}%")
PY
