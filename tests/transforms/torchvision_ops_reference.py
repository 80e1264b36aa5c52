#!/usr/bin/python3
"""Reference for the image-op parity test (run with Debian's /usr/bin/python3 and python3-torchvision).

Usage: torchvision_ops_reference.py IN.raw H W OUT_DIR

Reads a uint8 H x W x 3 RGB image, applies torchvision 0.14's functional ops to it as a PIL image
(the ops ColorJitter, RandAugment and TrivialAugmentWide use, with RandAugment's nearest
interpolation and fill None), and writes each result to OUT_DIR/NAME.raw (uint8 H x W x 3).
The names and parameters must match the list in augment_test.cpp.
"""
import math
import os
import sys

import numpy as np
from PIL import Image
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode
from torchvision.transforms.autoaugment import _apply_op


def ops():
    nearest = InterpolationMode.NEAREST
    auto = lambda name, m: (lambda img: _apply_op(img, name, m, interpolation=nearest, fill=None))
    return {
        "brightness_1.3": lambda img: F.adjust_brightness(img, 1.3),
        "brightness_0.6": lambda img: F.adjust_brightness(img, 0.6),
        "contrast_1.4": lambda img: F.adjust_contrast(img, 1.4),
        "contrast_0.5": lambda img: F.adjust_contrast(img, 0.5),
        "saturation_1.5": lambda img: F.adjust_saturation(img, 1.5),
        "saturation_0.3": lambda img: F.adjust_saturation(img, 0.3),
        "hue_0.2": lambda img: F.adjust_hue(img, 0.2),
        "hue_-0.3": lambda img: F.adjust_hue(img, -0.3),
        "sharpness_1.8": lambda img: F.adjust_sharpness(img, 1.8),
        "sharpness_0.2": lambda img: F.adjust_sharpness(img, 0.2),
        "posterize_3": lambda img: F.posterize(img, 3),
        "solarize_100": lambda img: F.solarize(img, 100),
        "autocontrast": F.autocontrast,
        "equalize": F.equalize,
        "shear_x_0.3": auto("ShearX", 0.3),
        "shear_y_-0.2": auto("ShearY", -0.2),
        "translate_x_7.6": auto("TranslateX", 7.6),
        "translate_y_-5": auto("TranslateY", -5.0),
        "rotate_25": auto("Rotate", 25.0),
        "rotate_-90": auto("Rotate", -90.0),
    }


def main():
    src, h, w, out = sys.argv[1:]
    h, w = int(h), int(w)
    img = Image.fromarray(np.fromfile(src, dtype=np.uint8).reshape(h, w, 3), "RGB")
    for name, op in ops().items():
        np.asarray(op(img), dtype=np.uint8).tofile(os.path.join(out, name + ".raw"))


if __name__ == "__main__":
    main()
