"""onnxruntime on an ONNX file that advml finetune wrote, beside our logits.

advml finetune -check check.json writes the first test images (NHWC pixels
in [0, 1]), the file's normalisation and layout, and the logits our engine
gives through the written file. This script runs onnxruntime on the same
file and images, normalised and laid out as the file expects, and fails
(status 1) when a logit differs by more than 1e-5 relative (at least 1e-5
absolute). Run by make finetune, in .venv-torch (onnx, onnxruntime).
"""
import json
import sys

import numpy as np
import onnxruntime

TOLERANCE = 1e-5


def main(path):
    with open(path) as f:
        check = json.load(f)
    n, rows, cols, channels = check["dims"]
    x = np.asarray(check["images"], dtype=np.float32).reshape(n, rows, cols, channels)
    if check["mean"]:
        mean = np.asarray(check["mean"], dtype=np.float32)
        std = np.asarray(check["std"], dtype=np.float32)
        x = (x - mean) / std
    if check["layout"] == "NCHW":
        x = x.transpose(0, 3, 1, 2)
    session = onnxruntime.InferenceSession(check["model"], providers=["CPUExecutionProvider"])
    (theirs,) = session.run(None, {session.get_inputs()[0].name: np.ascontiguousarray(x)})
    ours = np.asarray(check["logits"], dtype=np.float32)
    worst = float(np.max(np.abs(theirs - ours) / np.maximum(np.abs(theirs), 1.0)))
    agree = bool(worst <= TOLERANCE and (theirs.argmax(1) == ours.argmax(1)).all())
    print(json.dumps({"model": check["model"], "images": n, "onnxruntime": onnxruntime.__version__,
                      "max_rel_logit_diff": worst, "tolerance": TOLERANCE, "agree": agree}))
    return 0 if agree else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: onnxruntime_check.py check.json (written by advml finetune -check)")
    sys.exit(main(sys.argv[1]))
