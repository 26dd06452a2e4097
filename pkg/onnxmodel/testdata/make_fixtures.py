"""Writes the ONNX fixtures of pkg/onnxmodel's tests, and onnxruntime's
logits on a few images for each (testdata/<name>.json), so that the Go tests
need neither Python nor onnxruntime. Run export_torch.py first: the
fixtures it exports get their onnxruntime logits here too.

    python -m venv /tmp/onnx && /tmp/onnx/bin/pip install -r pkg/onnxmodel/testdata/requirements.txt
    /tmp/onnx/bin/python pkg/onnxmodel/testdata/make_fixtures.py

The graphs are built with onnx.helper in the two layouts exporters write,
with seeded random weights (the values do not matter, only that Go and
onnxruntime compute the same function of them):

- torchstyle.onnx: what torch.onnx.export writes for a small PyTorch CNN,
  NCHW input [N, 1, 28, 28]: Conv, BatchNormalization (eval), Relu,
  MaxPool, Flatten, Identity, Gemm; its output is the logits [N, 10].
- kerasstyle.onnx: what tf2onnx writes for a small Keras CNN, NHWC input
  [N, 32, 32, 3]: Transpose to NCHW, Conv, Relu, GlobalAveragePool, Reshape,
  MatMul and Add, then Softmax; its output is probabilities [N, 5], and the
  reference is the Softmax's input, the logits.
- opszoo.onnx and samepad.onnx: the operations of the channels-last
  conversion, NCHW [N, 3, 16, 16] with 4 classes and NHWC [N, 13, 13, 1]
  with 3 (see their functions).
- evenkernel.onnx: convolutions with kernels of even size, NCHW
  [N, 3, 12, 12] with 3 classes.
"""
import json
import pathlib

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

HERE = pathlib.Path(__file__).resolve().parent
OPSET = 17
rng = np.random.default_rng(1)


def weights(name, *shape, scale=0.3):
    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


def torchstyle():
    nodes = [
        helper.make_node("Conv", ["input", "conv.weight", "conv.bias"], ["conv"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["conv", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"], ["bn"], epsilon=1e-5),
        helper.make_node("Relu", ["bn"], ["relu"]),
        helper.make_node("MaxPool", ["relu"], ["pool"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["pool"], ["flatten"], axis=1),
        helper.make_node("Identity", ["flatten"], ["flat"]),  # As exporters leave them, e.g. for Dropout in eval mode.
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["logits"], transB=1),
    ]
    init = [weights("conv.weight", 4, 1, 3, 3), weights("conv.bias", 4),
            weights("bn.weight", 4), weights("bn.bias", 4), weights("bn.running_mean", 4, scale=0.1),
            numpy_helper.from_array((rng.uniform(0.5, 1.5, 4)).astype(np.float32), "bn.running_var"),
            weights("fc.weight", 10, 4 * 14 * 14, scale=0.05), weights("fc.bias", 10)]
    graph = helper.make_graph(nodes, "torchstyle",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], init)
    return graph, "logits", (28, 28, 1), "NCHW"


def kerasstyle():
    nodes = [
        helper.make_node("Transpose", ["input_1"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["nchw", "conv2d/kernel", "conv2d/bias"], ["conv"], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["conv"], ["relu"]),
        helper.make_node("GlobalAveragePool", ["relu"], ["gap"]),
        helper.make_node("Reshape", ["gap", "shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "dense/kernel"], ["matmul"]),
        helper.make_node("Add", ["matmul", "dense/bias"], ["dense"]),
        helper.make_node("Softmax", ["dense"], ["dense_softmax"], axis=-1),
    ]
    init = [weights("conv2d/kernel", 6, 3, 3, 3), weights("conv2d/bias", 6),
            numpy_helper.from_array(np.array([-1, 6], dtype=np.int64), "shape"),
            weights("dense/kernel", 6, 5, scale=1.0), weights("dense/bias", 5)]
    graph = helper.make_graph(nodes, "kerasstyle",
                              [helper.make_tensor_value_info("input_1", TensorProto.FLOAT, ["unk__1", 32, 32, 3])],
                              [helper.make_tensor_value_info("dense_softmax", TensorProto.FLOAT, ["unk__1", 5])], init)
    return graph, "dense", (32, 32, 3), "NHWC"


def opszoo():
    """What the channels-last conversion (pkg/onnxmodel/nhwc.go) builds,
    in operations onnx-gomlx converts too, so that the tests compare the
    two conversions' gradients: a 3-channel convolution with padding and
    dilation (the few-channel input gradient), BatchNormalization, a Relu
    and tiled MaxPool (the bias and Relu moved after the pool), a grouped
    and a 1x1 convolution, Tanh, Sigmoid, Concat, Add and Mul of
    constants, a padded 3x3 MaxPool of stride 2, AveragePool, Transpose and
    Reshape, Gemm with alpha and beta, Sub, Div, MatMul, GlobalAveragePool
    and Flatten."""
    nodes = [
        helper.make_node("Conv", ["input", "a.w", "a.b"], ["a"], kernel_shape=[3, 3], pads=[2, 2, 2, 2], dilations=[2, 2]),
        helper.make_node("BatchNormalization", ["a", "bn.scale", "bn.bias", "bn.mean", "bn.var"], ["a_bn"], epsilon=1e-3),
        helper.make_node("Relu", ["a_bn"], ["a_relu"]),
        helper.make_node("MaxPool", ["a_relu"], ["a_pool"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["a_pool", "b.w", "b.b"], ["b"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=2),
        helper.make_node("Tanh", ["b"], ["b_tanh"]),
        helper.make_node("Conv", ["a_pool", "c.w"], ["c"], kernel_shape=[1, 1]),
        helper.make_node("Sigmoid", ["c"], ["c_sig"]),
        helper.make_node("Concat", ["b_tanh", "c_sig"], ["bc"], axis=1),
        helper.make_node("Add", ["bc", "shift"], ["shifted"]),
        helper.make_node("Mul", ["shifted", "gain"], ["scaled"]),
        helper.make_node("MaxPool", ["scaled"], ["d_pool"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["d_pool"], ["d"]),
        helper.make_node("AveragePool", ["d"], ["e"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Transpose", ["e"], ["e_nhwc"], perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", ["e_nhwc", "flat_shape"], ["e_flat"]),
        helper.make_node("Gemm", ["e_flat", "f.w", "f.b"], ["f"], alpha=0.5, beta=2.0),
        helper.make_node("Sub", ["f", "f.centre"], ["f_centred"]),
        helper.make_node("Div", ["f_centred", "two"], ["f_half"]),
        helper.make_node("MatMul", ["f_half", "g.w"], ["g"]),
        helper.make_node("GlobalAveragePool", ["d"], ["h_gap"]),
        helper.make_node("Flatten", ["h_gap"], ["h_flat"]),
        helper.make_node("MatMul", ["h_flat", "h.w"], ["h"]),
        helper.make_node("Add", ["g", "h"], ["logits"]),
    ]
    init = [weights("a.w", 8, 3, 3, 3), weights("a.b", 8),
            weights("bn.scale", 8), weights("bn.bias", 8), weights("bn.mean", 8, scale=0.1),
            numpy_helper.from_array(rng.uniform(0.5, 1.5, 8).astype(np.float32), "bn.var"),
            weights("b.w", 8, 4, 3, 3), weights("b.b", 8), weights("c.w", 6, 8, 1, 1),
            weights("shift", 14, 1, 1), numpy_helper.from_array(np.array(1.5, dtype=np.float32), "gain"),
            numpy_helper.from_array(np.array([-1, 56], dtype=np.int64), "flat_shape"),
            weights("f.w", 56, 16), weights("f.b", 16), weights("f.centre", 16),
            numpy_helper.from_array(np.array(2.0, dtype=np.float32), "two"),
            weights("g.w", 16, 4, scale=1.0), weights("h.w", 14, 4, scale=1.0)]
    graph = helper.make_graph(nodes, "opszoo",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 16, 16])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 4])], init)
    return graph, "logits", (16, 16, 3), "NCHW"


def samepad():
    """What only the channels-last conversion takes: a Keras-style NHWC
    input, Conv with auto_pad SAME_UPPER and stride 2, AveragePool with
    padding counted (count_include_pad), GlobalMaxPool, Squeeze of an
    axes input, Gemm."""
    nodes = [
        helper.make_node("Transpose", ["image"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["nchw", "conv/kernel", "conv/bias"], ["conv"], kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER"),
        helper.make_node("Relu", ["conv"], ["relu"]),
        helper.make_node("AveragePool", ["relu"], ["avg"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1),
        helper.make_node("GlobalMaxPool", ["avg"], ["gmp"]),
        helper.make_node("Squeeze", ["gmp", "axes"], ["squeezed"]),
        helper.make_node("Gemm", ["squeezed", "dense/kernel", "dense/bias"], ["logits"], transB=1),
    ]
    init = [weights("conv/kernel", 4, 1, 3, 3), weights("conv/bias", 4),
            numpy_helper.from_array(np.array([2, 3], dtype=np.int64), "axes"),
            weights("dense/kernel", 3, 4, scale=1.0), weights("dense/bias", 3)]
    graph = helper.make_graph(nodes, "samepad",
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 13, 13, 1])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 3])], init)
    return graph, "logits", (13, 13, 1), "NHWC"


def evenkernel():
    """Kernels of even size, whose input gradient GoMLX v0.28.8's own
    convolution gets wrong (see internal/conv): a 4x4 convolution of a
    3-channel NCHW image [N, 3, 12, 12] with stride 1 and uneven padding
    (one row and column before, two after: the channels-last conversion's
    hand-written gradient of image convolutions), a 2x2 one of its 6
    channels (package conv's), AveragePool, Flatten, Gemm; 3 classes."""
    nodes = [
        helper.make_node("Conv", ["image", "a.w", "a.b"], ["a"], kernel_shape=[4, 4], pads=[1, 1, 2, 2]),
        helper.make_node("Relu", ["a"], ["a_relu"]),
        helper.make_node("Conv", ["a_relu", "b.w", "b.b"], ["b"], kernel_shape=[2, 2]),
        helper.make_node("Relu", ["b"], ["b_relu"]),
        helper.make_node("AveragePool", ["b_relu"], ["pool"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["pool"], ["flat"]),
        helper.make_node("Gemm", ["flat", "dense.w", "dense.b"], ["logits"], transB=1),
    ]
    init = [weights("a.w", 6, 3, 4, 4), weights("a.b", 6), weights("b.w", 5, 6, 2, 2), weights("b.b", 5),
            weights("dense.w", 3, 5 * 5 * 5, scale=0.1), weights("dense.b", 3)]
    graph = helper.make_graph(nodes, "evenkernel",
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 12, 12])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 3])], init)
    return graph, "logits", (12, 12, 3), "NCHW"


def test_images(n, rows, cols, channels):
    """n images, NHWC in [0, 1] as pkg/classifier takes them: value k of
    the flat batch is (7919·k mod 1000) / 999, which the Go test computes
    the same way (testImages), so the fixtures need not store them."""
    k = np.arange(n * rows * cols * channels, dtype=np.int64)
    return ((k * 7919 % 1000) / 999.0).astype(np.float32).reshape(n, rows, cols, channels)


# The fixtures export_torch.py writes with torch.onnx.export and
# export_keras.py with Keras' model.export: their logits tensor, image size
# and layout. The Keras graph ends in its Softmax; export_keras.py records
# the tensor it takes.
EXPORTED = [("torch_cnn", "logits", (28, 28, 1), "NCHW"), ("torch_resnet", "logits", (28, 28, 1), "NCHW")]
if (HERE / "keras_cnn.keras.json").exists():
    EXPORTED.append(("keras_cnn", json.loads((HERE / "keras_cnn.keras.json").read_text())["logits_tensor"], (28, 28, 1), "NHWC"))


def built():
    """Yields (model, logits name, image size, layout) of the graphs built
    here, after writing each."""
    for make in (torchstyle, kerasstyle, opszoo, samepad, evenkernel):
        graph, logits_name, size, layout = make()
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="advml fixtures")
        model.ir_version = 8
        onnx.checker.check_model(model, full_check=True)
        onnx.save(model, HERE / f"{graph.name}.onnx")
        yield graph.name, model, logits_name, size, layout


def exported():
    """Yields the same of export_torch.py's fixtures."""
    for name, logits_name, size, layout in EXPORTED:
        model = onnx.load(HERE / f"{name}.onnx")
        onnx.checker.check_model(model, full_check=True)
        yield name, model, logits_name, size, layout


def main():
    for name, model, logits_name, (rows, cols, channels), layout in [*built(), *(exported() if (HERE / "torch_cnn.onnx").exists() else [])]:
        graph = model.graph
        # onnxruntime's logits: the graph's logits tensor made an output.
        probe = onnx.ModelProto()
        probe.CopyFrom(model)
        if logits_name not in [o.name for o in probe.graph.output]:
            probe.graph.output.append(helper.make_tensor_value_info(logits_name, TensorProto.FLOAT, None))
        session = onnxruntime.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
        images = test_images(4, rows, cols, channels)
        feed = images.transpose(0, 3, 1, 2) if layout == "NCHW" else images
        logits = session.run([logits_name], {graph.input[0].name: feed})[0]
        (HERE / f"{name}.json").write_text(json.dumps({
            "onnxruntime": onnxruntime.__version__, "rows": rows, "cols": cols, "channels": channels,
            "images": len(images), "logits": [float(v) for v in logits.ravel()]}) + "\n")
        print(f"{name}.onnx: {layout} {rows}x{cols}x{channels}, {logits.shape[1]} classes")


if __name__ == "__main__":
    main()
