#!/usr/bin/python3
"""Reference outputs from torchvision for the parity tests (run with Debian's /usr/bin/python3).

Usage: torchvision_reference.py ARCH OUT_DIR [--num-classes K] [--side S] [--batch N]
Builds torchvision.models.ARCH with random weights (seed 0; BatchNorm statistics and affine
parameters randomised too, so eval-mode BatchNorm is not the identity), saves its state dict with
torch.save to OUT_DIR/weights.pth, and {'input': x, 'output': model.eval()(x)} to OUT_DIR/io.pth.
"""
import argparse
import os

import torch
import torchvision


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("arch")
    ap.add_argument("out")
    ap.add_argument("--num-classes", type=int, default=1000)
    ap.add_argument("--side", type=int, default=224)
    ap.add_argument("--batch", type=int, default=2)
    a = ap.parse_args()
    torch.manual_seed(0)
    kwargs = {"num_classes": a.num_classes}
    if a.arch == "inception_v3":
        kwargs.update(aux_logits=True, init_weights=True)
    model = getattr(torchvision.models, a.arch)(**kwargs)
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    with torch.no_grad():
        # Random affine parameters, then running statistics measured on random batches (plus noise):
        # eval-mode BatchNorm is then far from the identity, yet activations stay normalised, so even
        # resnet152's logits stay O(1) and the tolerance means something.
        for m in bns:
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.2, 0.2)
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batches
        if bns:
            model.train()
            aux = getattr(model, "AuxLogits", None)
            if aux is not None:
                model.AuxLogits = None  # inception's aux head needs >= 299 px; eval never runs it
            for _ in range(2):
                model(torch.randn(4, 3, a.side, a.side))
            if aux is not None:
                model.AuxLogits = aux
            for m in bns:
                m.running_mean.add_(torch.empty_like(m.running_mean).uniform_(-0.1, 0.1))
                m.running_var.mul_(torch.empty_like(m.running_var).uniform_(0.8, 1.25))
                m.momentum = 0.1
    model.eval()
    x = torch.randn(a.batch, 3, a.side, a.side)
    with torch.no_grad():
        y = model(x)
    os.makedirs(a.out, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(a.out, "weights.pth"))
    torch.save({"input": x, "output": y}, os.path.join(a.out, "io.pth"))


if __name__ == "__main__":
    main()
