"""Writes the dataset package's fixtures with NumPy and Pillow themselves,
so the Go readers are tested on files those libraries wrote.

Run from the repository root (any Python with numpy and pillow):

    python pkg/dataset/testdata/make_fixtures.py

The values follow formulas the Go tests compute again (dataset_test.go).
"""
import os

import numpy as np
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
npy = os.path.join(here, "npy")
os.makedirs(npy, exist_ok=True)


def save(name, a, **kw):
    np.save(os.path.join(npy, name), a, **kw)


# Images: uint8 NCHW (PyTorch), float32 NHWC (Keras), float64 [n, rows, cols],
# big-endian float32 NHWC of one channel.
save("u1_nchw.npy", ((np.arange(2 * 3 * 4 * 5) * 7) % 256).astype(np.uint8).reshape(2, 3, 4, 5))
save("f4_nhwc.npy", (np.arange(2 * 4 * 5 * 3) / 119).astype(np.float32).reshape(2, 4, 5, 3))
save("f8_nhw.npy", (np.arange(2 * 4 * 5) / 39).astype(np.float64).reshape(2, 4, 5))
save("f4be_nhwc.npy", (np.arange(2 * 4 * 5) / 40).astype(">f4").reshape(2, 4, 5, 1))
# Labels: int64 (torch), uint8, one-hot float32 rows (Keras' to_categorical).
save("labels_i8.npy", np.array([1, 0], dtype=np.int64))
save("labels_u1.npy", np.array([2, 1], dtype=np.uint8))
save("labels_onehot.npy", np.array([[0, 1, 0], [0, 0, 1]], dtype=np.float32))
# What must be refused: a pickled object array, Fortran order, 0..255 as floats.
save("object.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
save("fortran.npy", np.asfortranarray((np.arange(2 * 4 * 5) / 39).reshape(2, 4, 5)))
save("f4_255.npy", (np.arange(2 * 4 * 5) * 6).astype(np.float32).reshape(2, 4, 5))

# An ImageFolder tree: class "a" with a grey and a palette image, class "b"
# with RGB, RGBA and 16-bit grey ones, all 4×5. Expected values (NHWC,
# three channels, since some images have colour) beside it.
folder = os.path.join(here, "folder")
for c in ("a", "b"):
    os.makedirs(os.path.join(folder, c), exist_ok=True)
rows, cols = 4, 5
base = (np.arange(rows * cols) * 13 % 256).astype(np.uint8).reshape(rows, cols)
rgb = np.stack([base, 255 - base, (base.astype(np.int64) * 3) % 256], axis=-1).astype(np.uint8)
expected = []

Image.fromarray(base, "L").save(os.path.join(folder, "a", "0_gray.png"))
expected.append(np.repeat(base[..., None], 3, axis=-1) / 255)

pal = Image.fromarray(base // 16, "P")
pal.putpalette([v for i in range(16) for v in (i * 17,) * 3])
pal.save(os.path.join(folder, "a", "1_palette.png"))
expected.append(np.repeat((base // 16 * 17)[..., None], 3, axis=-1) / 255)

Image.fromarray(rgb, "RGB").save(os.path.join(folder, "b", "0_rgb.png"))
expected.append(rgb / 255)

rgba = np.concatenate([rgb, np.full((rows, cols, 1), 128, np.uint8)], axis=-1)
Image.fromarray(rgba, "RGBA").save(os.path.join(folder, "b", "1_rgba.png"))
expected.append(rgb / 255)  # Alpha dropped, as convert("RGB") drops it.

g16 = (base.astype(np.uint16) * 257 + 3).astype(np.uint16)
Image.fromarray(g16).save(os.path.join(folder, "b", "2_gray16.png"))
expected.append(np.repeat((g16 / 65535)[..., None], 3, axis=-1))

np.save(os.path.join(here, "folder_expected.npy"), np.stack(expected).astype(np.float32))
np.save(os.path.join(here, "folder_labels.npy"), np.array([0, 0, 1, 1, 1], dtype=np.int64))
print("wrote", npy, "and", folder)
