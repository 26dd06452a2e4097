"""Exports the Keras fixture of pkg/onnxmodel's tests as a Keras user would,
with Keras 3's own model.export(format="onnx") (which runs tf2onnx), and
writes Keras's own probabilities on the test images beside it
(keras_cnn.keras.json), with the name of the tensor the final Softmax
takes (the logits). Runs in a venv with TensorFlow for the CPU:

    uv pip install "tensorflow-cpu==2.21.0" "keras==3.15.1" "tf2onnx==1.17.0" \\
        "onnx==1.23.2" "onnxruntime==1.32.0" "protobuf==7.36.2" "numpy==2.4.6"
    python pkg/onnxmodel/testdata/export_keras.py

then make_fixtures.py adds onnxruntime's logits. What was found here:
tf2onnx.convert.from_keras fails on Keras 3 models (KeyError on
'keras_tensor_…' in tf2onnx 1.17.0), while model.export(format="onnx") and
tf2onnx.convert.from_function both work. The weights are seeded random
values (no training): what is tested is the export, not the accuracy.

- keras_cnn.onnx: Conv2D(8, 3, ReLU), MaxPooling2D, Dropout, Conv2D(16, 3,
  ReLU), Flatten, Dense(32, ReLU), Dense(10), Softmax; NHWC 28×28×1 in, the
  probabilities out (tf2onnx writes the NHWC↔NCHW conversions and Keras'
  flatten as Reshape, Transpose, Shape, Gather, Slice, Concat).
"""
import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
import tensorflow as tf  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent


def test_images(n, rows, cols, channels):
    """make_fixtures.test_images."""
    k = np.arange(n * rows * cols * channels, dtype=np.int64)
    return ((k * 7919 % 1000) / 999.0).astype(np.float32).reshape(n, rows, cols, channels)


def main():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28, 1), name="image"),
        keras.layers.Conv2D(8, 3, activation="relu"), keras.layers.MaxPooling2D(2), keras.layers.Dropout(0.25),
        keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10, name="logits"), keras.layers.Softmax()])
    # Biases away from zero, so that the export keeps every Add.
    for layer in model.layers:
        if getattr(layer, "bias", None) is not None:
            layer.bias.assign(np.random.default_rng(1).normal(0, 0.1, layer.bias.shape).astype(np.float32))
    path = HERE / "keras_cnn.onnx"
    model.export(str(path), format="onnx", input_signature=[tf.TensorSpec((None, 28, 28, 1), tf.float32, name="image")], opset_version=17)
    graph = onnx.load(path).graph
    softmax = [n for n in graph.node if n.op_type == "Softmax"]
    assert len(softmax) == 1, [n.op_type for n in graph.node]
    probs = model.predict(test_images(4, 28, 28, 1), verbose=0)
    (HERE / "keras_cnn.keras.json").write_text(json.dumps({
        "keras": keras.__version__, "tensorflow": tf.__version__, "logits_tensor": softmax[0].input[0],
        "probabilities": [float(v) for v in probs.ravel()]}) + "\n")
    print(f"wrote {path}: {[n.op_type for n in graph.node]}; logits are {softmax[0].input[0]!r}")


if __name__ == "__main__":
    main()
