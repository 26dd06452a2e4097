"""MNIST's IDX files, read as the Python references need them: images NHWC
in [0, 1] (float32), labels as integers. Shared by the TensorFlow and the
PyTorch references, which live in different venvs (numpy only here)."""
import gzip

import numpy as np


def read_idx(path, images):
    """The gzipped IDX file at path: images [n, 28, 28, 1] in [0, 1] when
    images is true, else the labels (int32)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    if images:
        n = int.from_bytes(data[4:8], "big")
        return (np.frombuffer(data, np.uint8, offset=16).reshape(n, 28, 28, 1) / np.float32(255)).astype(np.float32)
    return np.frombuffer(data, np.uint8, offset=8).astype(np.int32)
