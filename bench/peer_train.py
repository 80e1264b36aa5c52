#!/usr/bin/python3
"""The PyTorch (Python) peer of `tlab train` on Fashion-MNIST: the same simple_cnn, recipe, batch size
and thread count. Prints one JSON line: training images/s per epoch and the test accuracy.

Usage: /usr/bin/python3 bench/peer_train.py --threads 2 --epochs 1 [--lr 0.01 --batch-size 64]
"""
import argparse, gzip, json, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DIR = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    data = gzip.open(path, "rb").read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def simple_cnn(channels=1, classes=10, side=28):
    s = ((side - 2) // 2 - 2) // 2
    return nn.Sequential(nn.Conv2d(channels, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(64 * s * s, 64), nn.ReLU(), nn.Linear(64, classes))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--train-samples", type=int, default=54000, help="tlab holds out 10%% for validation")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.from_numpy(read_idx(f"{DIR}/train-images-idx3-ubyte.gz").copy())[: args.train_samples]
    y = torch.from_numpy(read_idx(f"{DIR}/train-labels-idx1-ubyte.gz").astype(np.int64))[: args.train_samples]
    xt = torch.from_numpy(read_idx(f"{DIR}/t10k-images-idx3-ubyte.gz").copy())
    yt = torch.from_numpy(read_idx(f"{DIR}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    mean, std = 0.2860, 0.3530

    def prep(u8):  # uint8 [B, 28, 28] -> normalised float [B, 1, 28, 28], done per batch like a loader
        return ((u8.float() / 255.0 - mean) / std).unsqueeze(1)

    model = simple_cnn()
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    rates = []
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(x))
        t0 = time.perf_counter()
        for i in range(0, len(x), args.batch_size):
            idx = perm[i: i + args.batch_size]
            xb, yb = prep(x[idx]), y[idx]
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
        rates.append(len(x) / (time.perf_counter() - t0))
    model.eval()
    with torch.no_grad():
        acc = sum((model(prep(xt[i:i + 256])).argmax(1) == yt[i:i + 256]).sum().item()
                  for i in range(0, len(xt), 256)) / len(xt)
    print(json.dumps({"peer": "pytorch-python", "torch": torch.__version__, "threads": args.threads,
                      "images_per_second": rates, "test_accuracy": acc}))


if __name__ == "__main__":
    main()
