package onnxmodel

import (
	"reflect"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
)

// The gradient of a max-pool, for speed.
//
// onnx-gomlx turns an ONNX MaxPool into GoMLX's MaxPool, a ReduceWindow
// whose gradient GoMLX builds with XLA's SelectAndScatter, which XLA's CPU
// backend runs as a slow scalar loop (pkg/cnn/maxpool.go measured it for the
// project's network). On the PyTorch model of models/ the two max-pools'
// gradients took 51 of the 88 ms of one PGD step on 128 digits. Exports
// almost always pool in tiles (the window's stride is its size, no padding,
// no dilation: PyTorch's MaxPool2d(k) and Keras' MaxPooling2D(k)); for those,
// tiledMaxVJP computes the same gradient with a reshape, an argmax and a
// one-hot mask, as pkg/cnn's MaxPooling2D does: each tile's gradient goes to
// its first maximum in row-major order, the element SelectAndScatter picks,
// ties included. Other pools keep GoMLX's own gradient.
//
// GoMLX v0.28.8 keeps a ReduceWindow's parameters in an unexported field
// with no accessor, so tiledMax reads them by reflection; if a later GoMLX
// renames them, it finds nothing and every pool keeps GoMLX's gradient
// (TestTiledMaxPoolGradient fails then, so the speed is not lost silently).

// gomlxReduceWindowVJP is GoMLX's own gradient of ReduceWindow.
var gomlxReduceWindowVJP = VJPRegistration[NodeTypeReduceWindow]

func init() {
	VJPRegistration[NodeTypeReduceWindow] = func(node *Node, v []*Node, outputShape shapes.Shape) []*Node {
		if window := tiledMax(node); window != nil {
			return []*Node{tiledMaxVJP(node.Inputs()[0], v[0], window)}
		}
		return gomlxReduceWindowVJP(node, v, outputShape)
	}
}

// tiledMax returns the window of node, a ReduceWindow, when it takes the
// maximum over tiles (strides equal to the window, no padding, no
// dilation); nil otherwise.
func tiledMax(node *Node) []int {
	if node.Type() != NodeTypeReduceWindow || node.NumOutputs() != 1 {
		return nil
	}
	p := reflect.ValueOf(node).Elem().FieldByName("inputs")
	if !p.IsValid() || p.Kind() != reflect.Interface || p.IsNil() {
		return nil
	}
	p = p.Elem()
	if p.Kind() != reflect.Pointer || p.IsNil() || p.Elem().Kind() != reflect.Struct {
		return nil
	}
	p = p.Elem()
	ints := func(name string) ([]int, bool) {
		f := p.FieldByName(name)
		if !f.IsValid() || f.Kind() != reflect.Slice || f.Type().Elem().Kind() != reflect.Int {
			return nil, false
		}
		out := make([]int, f.Len())
		for i := range out {
			out[i] = int(f.Index(i).Int())
		}
		return out, true
	}
	op := p.FieldByName("reductionType")
	if !op.IsValid() || !op.CanInt() || compute.ReduceOpType(op.Int()) != compute.ReduceOpMax {
		return nil
	}
	window, ok1 := ints("windowDimensions")
	strides, ok2 := ints("strides")
	inputDilations, ok3 := ints("inputDilations")
	windowDilations, ok4 := ints("windowDilations")
	if !ok1 || !ok2 || !ok3 || !ok4 || len(window) != node.Rank() || !slices.Equal(window, strides) {
		return nil
	}
	for _, d := range append(inputDilations, windowDilations...) {
		if d != 1 {
			return nil
		}
	}
	pads := p.FieldByName("paddings")
	if !pads.IsValid() || pads.Kind() != reflect.Slice {
		return nil
	}
	for i := range pads.Len() {
		pad := pads.Index(i)
		if pad.Kind() != reflect.Array || pad.Len() != 2 || pad.Index(0).Int() != 0 || pad.Index(1).Int() != 0 {
			return nil
		}
	}
	for _, w := range window {
		if w < 1 {
			return nil
		}
	}
	return window
}

// tiledMaxVJP is the gradient, with respect to x, of the maximum over
// tiles of the given window (incomplete tiles at the end of an axis dropped,
// as the pool drops them), given v, the gradient of the pool's output:
// each tile's v goes to its first maximum in row-major order.
func tiledMaxVJP(x, v *Node, window []int) *Node {
	dims := x.Shape().Dimensions
	rank := len(dims)
	// Each axis pooled (window > 1) splits in two, [tiles, window]; the
	// others stay whole. outer lists the tile axes of the split shape,
	// inner the window axes.
	var split, outer, inner, cropped []int
	crop := make([]SliceAxisSpec, rank)
	pad := make([]PadAxis, rank)
	size, padded := 1, false
	for i, w := range window {
		out := dims[i] / w
		crop[i] = AxisRange(0, out*w)
		cropped = append(cropped, out*w)
		pad[i] = PadAxis{End: dims[i] - out*w}
		padded = padded || pad[i].End > 0
		outer = append(outer, len(split))
		split = append(split, out)
		if w > 1 {
			inner = append(inner, len(split))
			split = append(split, w)
			size *= w
		}
	}
	perm := append(slices.Clone(outer), inner...)
	outDims := v.Shape().Dimensions
	tiles := Reshape(TransposeAllAxes(Reshape(Slice(x, crop...), split...), perm...), append(withRoom(outDims), size)...)
	first := OneHot(StopGradient(ArgMax(tiles, -1)), size, x.DType())
	grad := Mul(first, ExpandAxes(v, -1)) // [out..., size]
	permuted := make([]int, len(perm))
	for i, p := range perm {
		permuted[i] = split[p]
	}
	inverse := make([]int, len(perm))
	for i, p := range perm {
		inverse[p] = i
	}
	grad = Reshape(TransposeAllAxes(Reshape(grad, permuted...), inverse...), cropped...)
	if padded {
		grad = Pad(grad, ScalarZero(x.Graph(), x.DType()), pad...)
	}
	return grad
}

// withRoom returns a copy of dims with room for more.
func withRoom(dims []int) []int { return append(make([]int, 0, len(dims)+1), dims...) }
