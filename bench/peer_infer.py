#!/usr/bin/python3
"""The PyTorch (Python) peer of bench/infer_bench.cpp: torchvision models, eval, inference_mode,
same threads, same timing rule (1 warm-up batch, then >= 3 batches and >= 2 s).
--channels-last converts the model by hand (model.to(memory_format=torch.channels_last)), as tlab's
inference path does; by default the model runs as torchvision builds it (NCHW)."""
import argparse, json, time
import torch, torchvision

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--models", default="resnet18,resnet50,mobilenet_v2")
ap.add_argument("--batches", default="1,32")
ap.add_argument("--channels-last", action="store_true")
a = ap.parse_args()
torch.set_num_threads(a.threads)
with torch.inference_mode():
    for name in a.models.split(","):
        model = getattr(torchvision.models, name)().eval()
        if a.channels_last:
            model = model.to(memory_format=torch.channels_last)
        for b in map(int, a.batches.split(",")):
            x = torch.randn(b, 3, 224, 224)
            for _ in range(1):
                model(x)
            iters, t0 = 0, time.perf_counter()
            while iters < 3 or time.perf_counter() - t0 < 2.0:
                model(x)
                iters += 1
            dt = time.perf_counter() - t0
            print(json.dumps({"impl": "pytorch-python" + ("-channels-last" if a.channels_last else ""), "model": name, "batch": b, "threads": a.threads,
                              "images_per_second": iters * b / dt}), flush=True)
