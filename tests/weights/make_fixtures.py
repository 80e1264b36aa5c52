#!/usr/bin/python3
"""Fixtures for the weight-reader tests (run with Debian's /usr/bin/python3 and python3-torch).

usage: make_fixtures.py OUTDIR SPEC [SPEC...]   where SPEC is GROUP[:ARG[:ARG...]]

One run makes several groups (importing torch is the slow part). Groups, each writing into OUTDIR
with a JSON file of the values torch.load gives:
  dtypes            dtypes.pth (zip) and dtypes_legacy.pth (legacy format) holding every dtype
                    torch.save writes for a state dict, non-contiguous views, 0-d, empty tensors
                    and an nn.Parameter; dtypes.json with the expected values.
  containers        plain.pth (a dict), ckpt_state_dict.pth ({'state_dict': sd, 'epoch': 3}),
                    ckpt_model.pth ({'model': sd}), the same in the legacy format, containers.json.
  evil:MARKER       evil_system.pth (os.system, i.e. posix.system), evil_eval.pth (eval: protocol 2
                    names it __builtin__.eval), evil_eval_p4.pth (builtins.eval, protocol 4),
                    evil_system_p4.pth (pickle protocol 4: STACK_GLOBAL), evil_system_legacy.pth;
                    each creates MARKER when its pickle is executed (checked here with
                    torch.load, then MARKER is removed again).
  real:FILE[:FILE]  real.json: for each torch.save FILE, its keys in order and, per tensor, the
                    shape, the float64 sum and the first four elements as torch.load gives them.
  simple_cnn:NAME:C:SIDE:CLASSES[:zip|legacy|safetensors]
                    NAME.pth: a state dict with the names and shapes of TransferLab's simple_cnn
                    for C input channels, SIDE x SIDE images and CLASSES outputs; NAME.json holds
                    the sum of each tensor.
  legacy_view       legacy_view.pth: a legacy file written by hand whose tensor uses a storage view
                    (the 6th field of the persistent id: a slice of a larger storage, as very old
                    PyTorch versions wrote), legacy_view.json with what torch.load gives.
  safetensors       st_<dtype>.safetensors for every safetensors dtype (written by hand with struct
                    and json), st_all.safetensors with all of them, safetensors.json with values.
"""
import collections
import json
import os
import pickle
import struct
import sys

import torch

OUT = sys.argv[1]
ARGS = []  # the arguments of the group being made


def path(name):
    return os.path.join(OUT, name)


def describe(t):
    """dtype, shape, stride-independent flat values (floats exactly, as Python floats)."""
    flat = t.detach().reshape(-1)
    if t.dtype in (torch.float16, torch.bfloat16):
        flat = flat.float()
    if t.dtype == torch.bool:
        flat = flat.to(torch.int64)
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "values": flat.tolist()}


def dump(name, obj):
    with open(path(name), "w") as f:
        json.dump(obj, f)


def dtype_state_dict():
    sd = collections.OrderedDict()
    sd["f32"] = torch.randn(3, 4)
    sd["f64"] = torch.randn(5, dtype=torch.float64)
    sd["f16"] = torch.randn(2, 3).half()
    sd["bf16"] = torch.randn(4).bfloat16()
    sd["i64"] = torch.tensor([0, -1, 2**40, -(2**62), 2**62 + 12345], dtype=torch.int64)
    sd["i32"] = torch.tensor([0, -1, 2**31 - 1, -(2**31)], dtype=torch.int32)
    sd["i16"] = torch.tensor([[0, -1], [32767, -32768]], dtype=torch.int16)
    sd["i8"] = torch.tensor([0, -1, 127, -128, 5], dtype=torch.int8)
    sd["u8"] = torch.tensor([0, 1, 128, 255], dtype=torch.uint8)
    sd["bool"] = torch.tensor([True, False, False, True, True])
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    sd["transposed"] = base.t()                      # stride (1, 4): not contiguous
    whole = torch.arange(20, dtype=torch.float64) * 0.5
    sd["whole"] = whole
    sd["slice"] = whole[5:11]                        # storage offset 5, shares whole's storage
    sd["strided"] = whole[1::3]                      # stride 3, shares it too
    sd["expanded"] = torch.tensor([1.5, -2.0, 3.25]).expand(4, 3)  # stride (0, 1)
    sd["scalar_f32"] = torch.tensor(3.5)
    sd["scalar_i64"] = torch.tensor(-7)
    sd["empty"] = torch.empty(0)
    sd["empty_2d"] = torch.zeros(0, 3, dtype=torch.int32)
    sd["param"] = torch.nn.Parameter(torch.randn(2, 2))  # pickled via _rebuild_parameter
    assert not sd["transposed"].is_contiguous()
    assert sd["slice"].storage_offset() == 5
    return sd


def group_dtypes():
    sd = dtype_state_dict()
    torch.save(sd, path("dtypes.pth"))
    torch.save(sd, path("dtypes_legacy.pth"), _use_new_zipfile_serialization=False)
    # What torch.load gives back is the reference (and the same for both containers).
    expected = collections.OrderedDict()
    for k, v in torch.load(path("dtypes.pth")).items():
        expected[k] = describe(v)
    legacy = torch.load(path("dtypes_legacy.pth"))
    assert list(legacy.keys()) == list(expected.keys())
    for k, v in legacy.items():
        assert describe(v) == expected[k], k
    dump("dtypes.json", {"keys": list(expected.keys()), "tensors": expected})


def small_state_dict():
    sd = collections.OrderedDict()
    sd["conv.weight"] = torch.randn(2, 1, 3, 3)
    sd["conv.bias"] = torch.randn(2)
    sd["steps"] = torch.tensor(42)
    return sd


def group_containers():
    sd = small_state_dict()
    plain = dict(sd)  # a plain dict (pickled as EMPTY_DICT + SETITEMS, not OrderedDict)
    files = {
        "plain.pth": plain,
        "ckpt_state_dict.pth": {"epoch": 3, "state_dict": sd, "best_acc": 0.75},
        "ckpt_model.pth": {"model": sd, "optimizer": {"lr": 0.1, "momentum": 0.9}},
    }
    for name, obj in files.items():
        torch.save(obj, path(name))
        torch.save(obj, path(name.replace(".pth", "_legacy.pth")), _use_new_zipfile_serialization=False)
    dump("containers.json", {"keys": list(sd.keys()), "tensors": {k: describe(v) for k, v in sd.items()}})


class EvilSystem:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, ("touch " + self.marker,))


class EvilEval:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (eval, ("__import__('os').system('touch %s')" % self.marker,))


def group_evil():
    marker = ARGS[0]
    weight = torch.randn(2, 2)
    torch.save({"weight": weight, "payload": EvilSystem(marker)}, path("evil_system.pth"))
    torch.save({"weight": weight, "payload": EvilEval(marker)}, path("evil_eval.pth"))  # names __builtin__.eval
    torch.save({"weight": weight, "payload": EvilEval(marker)}, path("evil_eval_p4.pth"), pickle_protocol=4)
    torch.save({"weight": weight, "payload": EvilSystem(marker)}, path("evil_system_p4.pth"), pickle_protocol=4)
    torch.save({"weight": weight, "payload": EvilSystem(marker)}, path("evil_system_legacy.pth"),
               _use_new_zipfile_serialization=False)
    # The payloads are live: torch.load (which trusts the pickle) runs them. Prove it, then clean up.
    for name in ("evil_system.pth", "evil_eval.pth", "evil_eval_p4.pth", "evil_system_p4.pth", "evil_system_legacy.pth"):
        assert not os.path.exists(marker)
        torch.load(path(name))
        assert os.path.exists(marker), name + " did not run its payload under torch.load"
        os.remove(marker)


def group_real():
    out = {}
    for f in ARGS:
        sd = torch.load(f, map_location="cpu")
        tensors = {}
        for k, v in sd.items():
            flat = v.detach().reshape(-1)
            tensors[k] = {
                "dtype": str(v.dtype).replace("torch.", ""),
                "shape": list(v.shape),
                "sum": flat.to(torch.float64).sum().item(),
                "first": flat[:4].to(torch.float64).tolist(),
            }
        out[f] = {"keys": list(sd.keys()), "tensors": tensors}
    dump("real.json", out)


def simple_cnn_state_dict(c, side, classes):
    s = ((side - 2) // 2 - 2) // 2
    shapes = [
        ("conv1.weight", (32, c, 3, 3)), ("conv1.bias", (32,)),
        ("conv2.weight", (64, 32, 3, 3)), ("conv2.bias", (64,)),
        ("fc1.weight", (64, 64 * s * s)), ("fc1.bias", (64,)),
        ("fc2.weight", (classes, 64)), ("fc2.bias", (classes,)),
    ]
    return collections.OrderedDict((k, torch.randn(*shape) * 0.1) for k, shape in shapes)


def write_safetensors(file, tensors):
    """tensors: list of (name, dtype tag, shape, raw little-endian bytes)."""
    header, data = {}, b""
    for name, tag, shape, raw in tensors:
        header[name] = {"dtype": tag, "shape": list(shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)  # the reference writer pads the header to 8 bytes
    with open(file, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


def raw_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def group_simple_cnn():
    name, c, side, classes = ARGS[0], int(ARGS[1]), int(ARGS[2]), int(ARGS[3])
    fmt = ARGS[4] if len(ARGS) > 4 else "zip"
    sd = simple_cnn_state_dict(c, side, classes)
    if fmt == "safetensors":
        write_safetensors(path(name + ".safetensors"), [(k, "F32", v.shape, raw_bytes(v)) for k, v in sd.items()])
    else:
        torch.save(sd, path(name + ".pth"), _use_new_zipfile_serialization=(fmt == "zip"))
    dump(name + ".json", {k: {"shape": list(v.shape), "sum": v.to(torch.float64).sum().item()} for k, v in sd.items()})


SAFETENSORS_TYPES = [
    ("F64", torch.float64), ("F32", torch.float32), ("F16", torch.float16), ("BF16", torch.bfloat16),
    ("I64", torch.int64), ("I32", torch.int32), ("I16", torch.int16), ("I8", torch.int8),
    ("U8", torch.uint8), ("BOOL", torch.bool),
]


def safetensors_values(dtype):
    if dtype == torch.bool:
        return torch.tensor([[True, False, True], [False, False, True]])
    if dtype.is_floating_point:
        v = torch.tensor([[0.0, -1.5, 3.140625], [65504.0 if dtype == torch.float16 else 1e4, -0.0, 2.0 ** -14]])
        return (v + torch.randn(2, 3) * (dtype != torch.float16)).to(dtype)
    info = torch.iinfo(dtype)
    return torch.tensor([[info.min, info.max, 0], [1, -1 if info.min < 0 else 2, 7]], dtype=torch.int64).to(dtype)


def group_safetensors():
    all_tensors, expected = [], {}
    for tag, dtype in SAFETENSORS_TYPES:
        t = safetensors_values(dtype)
        write_safetensors(path("st_%s.safetensors" % tag), [("t", tag, t.shape, raw_bytes(t))])
        all_tensors.append(("t_" + tag, tag, t.shape, raw_bytes(t)))
        expected[tag] = describe(t)
    scalar = torch.tensor(2.5)
    all_tensors.append(("scalar", "F32", (), raw_bytes(scalar.reshape(1))))
    all_tensors.append(("empty", "F32", (0, 4), b""))
    write_safetensors(path("st_all.safetensors"), all_tensors)
    dump("safetensors.json", expected)


class StorageRef:
    """Stands for a storage in a hand-written legacy pickle; pickled as its persistent id."""

    def __init__(self, pid):
        self.pid = pid


class RebuildTensor:
    def __init__(self, ref, offset, size, stride):
        self.args = (ref, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, self.args)


class LegacyPickler(pickle.Pickler):
    def persistent_id(self, obj):
        return obj.pid if isinstance(obj, StorageRef) else None


def group_legacy_view():
    root = ("storage", torch.FloatStorage, "k", "cpu", 10, None)
    view = ("storage", torch.FloatStorage, "k", "cpu", 10, ("k_view", 4, 3))  # elements 4, 5, 6
    obj = collections.OrderedDict([
        ("root", RebuildTensor(StorageRef(root), 0, (10,), (1,))),
        ("view", RebuildTensor(StorageRef(view), 1, (2,), (1,))),  # elements 5, 6 of the root
    ])
    with open(path("legacy_view.pth"), "wb") as f:
        sys_info = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}
        for header in (0x1950A86A20F9469CFC6C, 1001, sys_info):
            pickle.dump(header, f, protocol=2)
        LegacyPickler(f, protocol=2).dump(obj)
        pickle.dump(["k"], f, protocol=2)
        f.write(struct.pack("<q", 10) + torch.arange(10, dtype=torch.float32).numpy().tobytes())
    sd = torch.load(path("legacy_view.pth"))
    assert sd["view"].tolist() == [5.0, 6.0], sd
    dump("legacy_view.json", {"keys": list(sd.keys()), "tensors": {k: describe(v) for k, v in sd.items()}})


GROUPS = {
    "dtypes": group_dtypes,
    "containers": group_containers,
    "evil": group_evil,
    "real": group_real,
    "simple_cnn": group_simple_cnn,
    "safetensors": group_safetensors,
    "legacy_view": group_legacy_view,
}

for spec in sys.argv[2:]:
    group, *ARGS = spec.split(":")
    torch.manual_seed(1234)
    GROUPS[group]()
