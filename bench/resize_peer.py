#!/usr/bin/python3
"""Pillow's resize time for the inputs of tlab_bench_resize (run with Debian's /usr/bin/python3):
torchvision's Resize(256) on a PIL image is this call. Prints milliseconds per image, median."""
import time

import numpy as np
from PIL import Image


def median_ms(f, reps):
    f()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        t.append((time.perf_counter() - t0) * 1e3)
    return sorted(t)[len(t) // 2]


for w, h in [(500, 375), (1280, 720), (4000, 3000), (32, 32)]:
    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8))
    size = (int(256 * w / h), 256)
    reps = 6 if w * h > 4_000_000 else 30
    for name, f in (("bilinear", Image.BILINEAR), ("bicubic", Image.BICUBIC)):
        ms = median_ms(lambda: image.resize(size, f), reps)
        print("%4dx%-4d -> %dx%d  Pillow %-18s %8.3f ms" % (w, h, size[0], size[1], name, ms))
