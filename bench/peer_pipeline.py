#!/usr/bin/python3
"""The PyTorch (Python) peer of bench/pipeline_bench.cpp: torchvision.datasets.ImageFolder (PIL
decoding) + torchvision transforms + torch DataLoader with the same workers and batch size.
  train: RandomResizedCrop(size), RandomHorizontalFlip, ColorJitter(0.4, 0.4, 0.4, 0.1), ToTensor, Normalize
  eval:  Resize(size * 8 // 7) + CenterCrop(size) (size <= 64: Resize((size, size))), ToTensor, Normalize
One warm-up pass, then `epochs` timed passes (persistent workers: start-up is not timed)."""
import argparse, json, time
import torch, torchvision
import torchvision.transforms as T

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True)
ap.add_argument("--pipeline", choices=["train", "eval"], default="train")
ap.add_argument("--workers", type=int, default=2)
ap.add_argument("--size", type=int, default=224)
ap.add_argument("--epochs", type=int, default=3)
ap.add_argument("--batch-size", type=int, default=32)
a = ap.parse_args()
torch.set_num_threads(1)
norm = [T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]
if a.pipeline == "train":
    tf = T.Compose([T.RandomResizedCrop(a.size), T.RandomHorizontalFlip(), T.ColorJitter(0.4, 0.4, 0.4, 0.1)] + norm)
elif a.size > 64:
    tf = T.Compose([T.Resize(a.size * 8 // 7), T.CenterCrop(a.size)] + norm)
else:
    tf = T.Compose([T.Resize((a.size, a.size))] + norm)
ds = torchvision.datasets.ImageFolder(a.data, transform=tf)
extra = {"persistent_workers": True, "prefetch_factor": 2} if a.workers > 0 else {}
loader = torch.utils.data.DataLoader(ds, batch_size=a.batch_size, shuffle=True, num_workers=a.workers, **extra)
def one_pass():
    return sum(x.shape[0] for x, _ in loader)
one_pass()
t0 = time.perf_counter()
n = sum(one_pass() for _ in range(a.epochs))
dt = time.perf_counter() - t0
print(json.dumps({"impl": "torchvision-pil", "data": a.data, "pipeline": a.pipeline, "workers": a.workers,
                  "images": n, "seconds": round(dt, 3), "images_per_second": round(n / dt, 1)}), flush=True)
