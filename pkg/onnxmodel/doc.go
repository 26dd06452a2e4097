// Package onnxmodel reads a classifier exported to ONNX (torch.onnx.export
// from PyTorch, tf2onnx from Keras) into a classifier.Model, so that every
// attack, evaluation and figure of this project takes it as it takes the
// project's own networks: white-box, with gradients through the whole graph
// (onnx-gomlx converts the ONNX graph to GoMLX; XLA runs it).
//
// Load takes the file and Options whose zero value reads most exports:
//
//   - the input's layout (NCHW from PyTorch, NHWC from Keras) is found from
//     its shape; Options.Layout says it where the shape does not;
//   - the logits are the graph's output, or the input of the Softmax or
//     LogSoftmax that makes it (attacks need logits); Options.Output names
//     another tensor;
//   - Options.Mean and Options.Std make the model's normalisation part of
//     it, so images stay pixels in [0, 1] and budgets stay in pixel units;
//   - the image size and the number of classes are read from the model,
//     and any batch size runs.
//
// Images go in as everywhere in the project: flat, [n, rows, cols,
// channels], values in [0, 1].
//
// Two conversions turn the ONNX graph into GoMLX (Options.Converter). The
// package's own, ChannelsLast, covers the operations of image classifiers
// (Conv, Gemm, MatMul, BatchNormalization, the pools, Relu, Sigmoid, Tanh,
// Add, Sub, Mul, Div, Concat, Transpose, Flatten, Reshape, Dropout and
// Identity, and the shape arithmetic exporters write for a dynamic
// flatten) and builds them with activations stored channels last, as XLA
// runs convolutions fastest, with hand-written gradients where XLA's are
// slow; onnx-gomlx's, ONNXGoMLX, converts many more operations, in the
// file's NCHW layout. The default takes ChannelsLast when every operation
// the logits need is in it, and tells which in Model.Converter. Both read
// the same weights, so fine-tuning and WriteONNX work with either.
package onnxmodel
