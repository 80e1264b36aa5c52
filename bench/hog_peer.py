#!/usr/bin/python3
"""The peer of tlab_bench_hog: skimage.feature.hog (features only, feature_vector=True) on the very
pixels tlab_bench_hog decoded and wrote to DIR (sets.json + raw uint8 stacks), with the same settings,
in 1 process or a multiprocessing Pool of N (forked after loading, so the workers already hold the
images; each is handed an index range and returns only a sum). Prints one JSON line per (set, workers):
the median images/s over --reps timed passes after one warm-up pass, and the sum of all features.
Usage: /usr/bin/python3 bench/hog_peer.py DIR [--workers 1,2] [--reps 3]"""
import argparse
import json
import multiprocessing
import time

import numpy as np
from skimage.feature import hog

SETS = {}  # name -> (images, hog keyword arguments); read before the pool forks


def features(name, begin, end):
    images, kwargs = SETS[name]
    return float(sum(hog(images[i], **kwargs).sum() for i in range(begin, end)))


def features_of(task):
    return features(*task)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    for s in json.load(open(f"{args.dir}/sets.json")):
        shape = (s["count"], s["rows"], s["cols"]) + ((s["channels"],) if s["channels"] > 1 else ())
        images = np.fromfile(f"{args.dir}/{s['file']}", np.uint8).reshape(shape)
        SETS[s["name"]] = (images, dict(orientations=s["orientations"], pixels_per_cell=(s["cell"], s["cell"]),
                                        cells_per_block=(s["block"], s["block"]), block_norm=s["norm"],
                                        feature_vector=True, channel_axis=-1 if s["channels"] > 1 else None))
    for name, (images, kwargs) in SETS.items():
        n = len(images)
        for workers in map(int, args.workers.split(",")):
            if workers == 1:
                run, pool = (lambda: features(name, 0, n)), None
            else:
                pool = multiprocessing.get_context("fork").Pool(workers)
                tasks = [(name, n * w // workers, n * (w + 1) // workers) for w in range(workers)]
                run = lambda: sum(pool.map(features_of, tasks, chunksize=1))
            checksum = run()  # warm-up (and the workers started)
            seconds = []
            for _ in range(args.reps):
                t0 = time.perf_counter()
                run()
                seconds.append(time.perf_counter() - t0)
            if pool:
                pool.close()
                pool.join()
            length = len(hog(images[0], **kwargs))
            print(json.dumps({"impl": "skimage", "set": name, "workers": workers, "images": n,
                              "feature_length": length,
                              "images_per_second": round(n / sorted(seconds)[len(seconds) // 2], 1),
                              "checksum": round(checksum, 6)}), flush=True)


if __name__ == "__main__":
    main()
