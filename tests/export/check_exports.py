"""The Python side of tests/export/families_test.cpp: for each exported model in a manifest, the
TorchScript file loaded with torch.jit.load (Debian's python3-torch) and run on the test inputs at
batch 1 and batch N, and the ONNX file checked with onnx.checker (python3-onnx, full_check: strict
shape inference too). Prints one JSON list, an object per model:
  {"name", "torchscript_diff": max |logit - expected| over both batches, "first_names": the first
   parameter names, "onnx_checker": "ok" | the error, "error": what failed otherwise}
Usage: /usr/bin/python3 check_exports.py MANIFEST.json
Each manifest entry: {"name", "torchscript", "onnx", "x", "y", "shape": [N, C, H, W], "classes": K}
with x and y raw float32 files (inputs [N, C, H, W]; expected logits [1 + N, K]: the first image
alone, then the batch), and "threads": LibTorch's thread count in the C++ test (the same here, so
the same kernels split the same way).
"""
import json
import sys

import numpy as np
import onnx
import torch


def check(entry):
    result = {"name": entry["name"]}
    n, c, h, w = entry["shape"]
    x = torch.from_numpy(np.fromfile(entry["x"], dtype=np.float32).reshape(n, c, h, w))
    y = torch.from_numpy(np.fromfile(entry["y"], dtype=np.float32).reshape(1 + n, entry["classes"]))
    torch.set_num_threads(entry["threads"])
    try:
        module = torch.jit.load(entry["torchscript"])
        module.eval()
        with torch.no_grad():
            diff = max((module(x[:1]) - y[:1]).abs().max().item(), (module(x) - y[1:]).abs().max().item())
        result["torchscript_diff"] = diff
        result["first_names"] = list(module.state_dict())[:3]
    except Exception as e:  # reported per model, so one failure names its family
        result["error"] = "torchscript: " + repr(e)
    try:
        onnx.checker.check_model(entry["onnx"], full_check=True)
        result["onnx_checker"] = "ok"
    except Exception as e:
        result["onnx_checker"] = repr(e)
    return result


def main():
    with open(sys.argv[1]) as f:
        manifest = json.load(f)
    print(json.dumps([check(e) for e in manifest]))


if __name__ == "__main__":
    main()
