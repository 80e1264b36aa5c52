#!/usr/bin/python3
"""Writes the seed corpora for the fuzz targets (run with Debian's /usr/bin/python3, python3-torch).

usage: fuzz/make_seeds.py [OUTDIR]      (default: fuzz/seeds next to this script)

  OUTDIR/pth/          small torch.save files: zip and legacy containers, pickle protocols 2 and 4,
                       every dtype, views sharing a storage, 0-d and empty tensors, nn.Parameter,
                       checkpoint dicts, and one with a forbidden global (os.system)
  OUTDIR/pickle/       the data.pkl pickles of the zip files above, plus plain pickles of dicts
  OUTDIR/safetensors/  small safetensors files written by hand (struct + json)
  OUTDIR/image_header/ the first bytes of a JPEG, PNG, GIF, BMP, WebP (VP8, VP8L, VP8X), TIFF and
                       PNM file, up to and including the size, written by hand
All seeds are a few hundred bytes to ~2 KB; the whole set stays well under 50 KB.
"""
import collections
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import torch

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
torch.manual_seed(0)
for sub in ("pth", "pickle", "safetensors", "image_header"):
    os.makedirs(os.path.join(OUT, sub), exist_ok=True)


class Evil:
    def __reduce__(self):
        return (os.system, ("true",))


def state_dicts():
    base = torch.arange(6, dtype=torch.float32)
    yield "one", collections.OrderedDict(w=torch.tensor([1.0, -2.0]))
    yield "dtypes", collections.OrderedDict(
        f64=torch.tensor([1.5], dtype=torch.float64), f16=torch.tensor([2.0]).half(),
        bf16=torch.tensor([3.0]).bfloat16(), i64=torch.tensor([-4]), i32=torch.tensor([5], dtype=torch.int32),
        i16=torch.tensor([6], dtype=torch.int16), i8=torch.tensor([-7], dtype=torch.int8),
        u8=torch.tensor([8], dtype=torch.uint8), b=torch.tensor([True]))
    yield "views", collections.OrderedDict(
        whole=base, slice=base[2:5], t=base.reshape(2, 3).t(), e=torch.tensor([1.0]).expand(3),
        scalar=torch.tensor(2.0), empty=torch.zeros(0, 2))
    yield "param", {"p": torch.nn.Parameter(torch.ones(2, 2))}
    yield "ckpt", {"epoch": 3, "state_dict": collections.OrderedDict(w=torch.ones(1)), "lr": 0.1}
    yield "model", {"model": {"fc.weight": torch.zeros(1, 2)}, "names": ["a", "b"], "t": (1, None, True)}
    yield "evil", {"w": torch.ones(1), "x": Evil()}


for name, obj in state_dicts():
    for suffix, kwargs in (("zip", {}), ("zip_p4", {"pickle_protocol": 4}),
                           ("legacy", {"_use_new_zipfile_serialization": False})):
        buf = io.BytesIO()
        torch.save(obj, buf, **kwargs)
        data = buf.getvalue()
        with open(os.path.join(OUT, "pth", "%s_%s.pth" % (name, suffix)), "wb") as f:
            f.write(data)
        if suffix.startswith("zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                pkl = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
                with open(os.path.join(OUT, "pickle", "%s_%s.pkl" % (name, suffix)), "wb") as f:
                    f.write(z.read(pkl))

for proto in (2, 3, 4, 5):
    obj = collections.OrderedDict(a=[1, 2.5, "x", b"y", None, True], b={"k": (1, 2, 3)}, c=-(2**40))
    with open(os.path.join(OUT, "pickle", "plain_p%d.pkl" % proto), "wb") as f:
        f.write(pickle.dumps(obj, protocol=proto))


def safetensors(tensors, metadata=True):
    header, data = {}, b""
    for name, tag, shape, raw in tensors:
        header[name] = {"dtype": tag, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


st = {
    "f32": [("w", "F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4))],
    "mixed": [("a", "F64", [1], struct.pack("<d", 1.5)), ("b", "I64", [2], struct.pack("<2q", -1, 2)),
              ("c", "BOOL", [3], b"\x01\x00\x01"), ("d", "BF16", [1], b"\x80\x3f"), ("e", "F16", [1], b"\x00\x3c"),
              ("f", "I32", [], struct.pack("<i", 7)), ("g", "I16", [1], b"\x01\x00"), ("h", "I8", [1], b"\xff"),
              ("i", "U8", [0, 3], b"")],
}
for name, tensors in st.items():
    with open(os.path.join(OUT, "safetensors", name + ".safetensors"), "wb") as f:
        f.write(safetensors(tensors))


# Image headers, 40 x 30, each cut right after the size fields.
headers = {
    "jpeg": bytes.fromhex("ffd8ffe000104a46494600010100000100010000" "ffc0001108001e002803012200021101031101"),
    "png": b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 40, 30) + b"\x08\x02\x00\x00\x00",
    "gif": b"GIF89a" + struct.pack("<HH", 40, 30),
    "bmp": b"BM" + bytes(12) + struct.pack("<Iii", 40, 40, -30),
    "bmp_core": b"BM" + bytes(12) + struct.pack("<IHH", 12, 40, 30),
    "webp_vp8": b"RIFF" + bytes(4) + b"WEBPVP8 " + bytes(7) + b"\x9d\x01\x2a" + struct.pack("<HH", 40, 30),
    "webp_vp8l": b"RIFF" + bytes(4) + b"WEBPVP8L" + bytes(4) + b"\x2f" + struct.pack("<I", 39 | 29 << 14),
    "webp_vp8x": b"RIFF" + bytes(4) + b"WEBPVP8X" + bytes(8) + (39).to_bytes(3, "little") + (29).to_bytes(3, "little"),
    "tiff_be": b"MM\0*" + struct.pack(">IH", 8, 2) + struct.pack(">HHIHH", 256, 3, 1, 40, 0) + struct.pack(">HHII", 257, 4, 1, 30),
    "tiff_le": b"II*\0" + struct.pack("<IH", 8, 2) + struct.pack("<HHIHH", 256, 3, 1, 40, 0) + struct.pack("<HHII", 257, 4, 1, 30),
    "pnm": b"P6\n# comment\n40 30\n255\n",
}
for name, data in headers.items():
    with open(os.path.join(OUT, "image_header", name), "wb") as f:
        f.write(data)
