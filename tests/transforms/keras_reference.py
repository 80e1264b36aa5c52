#!/usr/bin/python3
"""Reference for the keras op's parity test (run with Debian's /usr/bin/python3 and python3-scipy).

Usage: keras_reference.py IN.raw H W C THETA TX TY SHEAR ZX ZY FILL_MODE CVAL OUT.raw

Reads a uint8 H x W x C image, applies Keras ImageDataGenerator's affine transform as
keras_preprocessing 1.1 does it with scipy (apply_affine_transform, channels last: the image
becomes float32, the matrices act on (row, col), rotation * shift * shear * zoom is offset to
the centre (h / 2 + 0.5, w / 2 + 0.5), and every channel goes through
scipy.ndimage.affine_transform with order 1), and writes the result as float32 H x W x C.
"""
import sys

import numpy as np
import scipy.ndimage as ndi


def keras_matrix(theta, tx, ty, shear, zx, zy, h, w):
    t = np.deg2rad(theta)
    s = np.deg2rad(shear)
    rotation = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    shift = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
    shear_m = np.array([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]])
    zoom = np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
    m = rotation @ shift @ shear_m @ zoom
    o_r, o_c = h / 2 + 0.5, w / 2 + 0.5
    to_centre = np.array([[1, 0, o_r], [0, 1, o_c], [0, 0, 1]])
    back = np.array([[1, 0, -o_r], [0, 1, -o_c], [0, 0, 1]])
    return to_centre @ m @ back


def main():
    (src, h, w, c, theta, tx, ty, shear, zx, zy, fill_mode, cval, dst) = sys.argv[1:]
    h, w, c = int(h), int(w), int(c)
    x = np.fromfile(src, dtype=np.uint8).reshape(h, w, c).astype(np.float32)
    m = keras_matrix(float(theta), float(tx), float(ty), float(shear), float(zx), float(zy), h, w)
    channels = [
        ndi.affine_transform(x[:, :, k], m[:2, :2], m[:2, 2], order=1, mode=fill_mode, cval=float(cval))
        for k in range(c)
    ]
    np.stack(channels, axis=2).astype(np.float32).tofile(dst)


if __name__ == "__main__":
    main()
