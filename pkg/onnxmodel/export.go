package onnxmodel

import (
	"fmt"
	"os"

	"github.com/gomlx/compute-onnx/support/protos"
	"github.com/gomlx/gomlx/core/tensors"
	"google.golang.org/protobuf/proto"

	"github.com/advmlgo/advml/pkg/cnn"
)

// SaveCNN writes m, a network of package cnn (the article's cnn.Default,
// the robust cnn.Robust, or any cnn.Config), as an ONNX file (opset 13)
// that onnxruntime, PyTorch's and TensorFlow's importers and Load read:
// input "images" [batch, rows, cols, channels] in [0, 1] (NHWC, as
// everywhere in this project), output "logits" [batch, classes]. Inside,
// a Transpose feeds ONNX's NCHW Conv and MaxPool, and the features are put
// back in (row, column, channel) order before the dense layers, so the
// weights are the checkpoint's, rearranged but not retrained.
func SaveCNN(m *cnn.Model, path string) error {
	data, err := cnnProto(m)
	if err != nil {
		return fmt.Errorf("onnxmodel: SaveCNN %s: %w", path, err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("onnxmodel: %w", err)
	}
	return nil
}

func cnnProto(m *cnn.Model) ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("the model is nil: load one with cnn.Load")
	}
	if err := m.Config.Validate(); err != nil {
		return nil, fmt.Errorf("the model's Config (%v) is not a network: %v", m.Config, err)
	}
	g := m.Geometry()
	weights := func(path string) (values []float32, dims []int, err error) {
		v := m.Store().GetVariable(path)
		if v == nil {
			return nil, nil, fmt.Errorf("the model has no weights at %s for its Config (%v): save networks of cnn.Config (cnn.New, cnn.Load)", path, m.Config)
		}
		t, err := v.Value()
		if err != nil {
			return nil, nil, err
		}
		values, err = tensors.CopyFlatData[float32](t)
		return values, t.Shape().Dimensions, err
	}
	// layer returns an operation's weights, their shape and its biases.
	layer := func(op cnn.Op) (w []float32, dims []int, b []float32, err error) {
		wPath, bPath := op.WeightPaths()
		if w, dims, err = weights(wPath); err != nil {
			return nil, nil, nil, err
		}
		b, _, err = weights(bPath)
		return w, dims, b, err
	}
	graph := &protos.GraphProto{Name: "advml " + m.Config.String()}
	var inits []*protos.TensorProto
	addTensor := func(name string, dims []int, values []float32) {
		d := make([]int64, len(dims))
		for i, v := range dims {
			d[i] = int64(v)
		}
		inits = append(inits, &protos.TensorProto{Name: name, Dims: d, DataType: int32(protos.TensorProto_FLOAT), FloatData: values})
	}
	ints := func(name string, v ...int64) *protos.AttributeProto {
		return &protos.AttributeProto{Name: name, Type: protos.AttributeProto_INTS, Ints: v}
	}
	node := func(op, name string, inputs []string, attrs ...*protos.AttributeProto) string {
		graph.Node = append(graph.Node, &protos.NodeProto{OpType: op, Name: name, Input: inputs, Output: []string{name}, Attribute: attrs})
		return name
	}
	x := node("Transpose", "to_nchw", []string{"images"}, ints("perm", 0, 3, 1, 2))
	ops := m.Config.Ops()
	for k, op := range ops {
		name := fmt.Sprintf("op%d_", k)
		switch op.Kind {
		case cnn.OpConv:
			w, dims, b, err := layer(op)
			if err != nil {
				return nil, err
			}
			// GoMLX's kernels are [k, k, in, out]; ONNX's [out, in, k, k].
			kh, kw, in, out := dims[0], dims[1], dims[2], dims[3]
			oihw := make([]float32, len(w))
			for a := range kh {
				for c := range kw {
					for i := range in {
						for o := range out {
							oihw[((o*in+i)*kh+a)*kw+c] = w[((a*kw+c)*in+i)*out+o]
						}
					}
				}
			}
			addTensor(name+"W", []int{out, in, kh, kw}, oihw)
			addTensor(name+"B", []int{out}, b)
			pad, stride := int64(op.Pad), int64(max(op.Stride, 1))
			x = node("Conv", name+"conv", []string{x, name + "W", name + "B"},
				ints("kernel_shape", int64(kh), int64(kw)), ints("strides", stride, stride), ints("pads", pad, pad, pad, pad))
		case cnn.OpReLU:
			x = node("Relu", name+"relu", []string{x})
		case cnn.OpMaxPool:
			p := int64(op.Size)
			x = node("MaxPool", name+"maxpool", []string{x}, ints("kernel_shape", p, p), ints("strides", p, p))
		case cnn.OpFlatten:
			// The dense layer's rows follow (row, column, channel).
			x = node("Transpose", name+"to_nhwc", []string{x}, ints("perm", 0, 2, 3, 1))
			x = node("Flatten", name+"flatten", []string{x}, &protos.AttributeProto{Name: "axis", Type: protos.AttributeProto_INT, I: 1})
		case cnn.OpDense:
			w, dims, b, err := layer(op)
			if err != nil {
				return nil, err
			}
			addTensor(name+"W", dims, w)
			addTensor(name+"B", []int{dims[1]}, b)
			x = node("Gemm", name+"dense", []string{x, name + "W", name + "B"})
		default:
			return nil, fmt.Errorf("operation %d of kind %d has no ONNX form here", k, op.Kind)
		}
	}
	node("Identity", "logits", []string{x})
	graph.Initializer = inits
	tensorType := func(name string, dims ...int) *protos.ValueInfoProto {
		shape := &protos.TensorShapeProto{Dim: []*protos.TensorShapeProto_Dimension{{Value: &protos.TensorShapeProto_Dimension_DimParam{DimParam: "batch"}}}}
		for _, d := range dims {
			shape.Dim = append(shape.Dim, &protos.TensorShapeProto_Dimension{Value: &protos.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
		}
		return &protos.ValueInfoProto{Name: name, Type: &protos.TypeProto{Value: &protos.TypeProto_TensorType{
			TensorType: &protos.TypeProto_Tensor{ElemType: int32(protos.TensorProto_FLOAT), Shape: shape}}}}
	}
	graph.Input = []*protos.ValueInfoProto{tensorType("images", g.Rows, g.Cols, g.Channels)}
	graph.Output = []*protos.ValueInfoProto{tensorType("logits", g.Classes)}
	mp := &protos.ModelProto{
		IrVersion: 8, ProducerName: "advml", ProducerVersion: "1",
		OpsetImport: []*protos.OperatorSetIdProto{{Domain: "", Version: 13}},
		Graph:       graph,
	}
	return proto.Marshal(mp)
}
