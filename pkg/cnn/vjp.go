package cnn

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/mnist"
)

// LogitsWithVJP builds the model's logits on images [batch, 28, 28, 1] and
// the function that turns a cotangent of the logits [batch, 10] into the
// gradient of Σ cotangent·logits with respect to the images: what attacks
// and Jacobians need (Model implements classifier.FastGradients).
//
// The network is linear except for the max-pool's choice of one value per
// window, so the gradient is written out: the cotangent goes back through
// the dense layer, to each window's first maximum (the element the max-pool
// picked: the first in row-major order on ties, as MaxPooling2D, TensorFlow
// and XLA route it), and back through the convolution as a matrix product
// with the kernel followed by the sum of the shifted patches. GoMLX's
// automatic differentiation of the same network takes about 1.5 times as
// long, most of it in XLA's transposed convolution; the forward pass here
// is faster too, with the max-pool written as the maximum of its k²
// strided slices (the weights are the same variables as Logits').
//
// The deeper network (Config.Filters2 > 0) has no hand-written product: it
// goes through automatic differentiation.
func (m *Model) LogitsWithVJP(scope *model.Scope, images *Node) (logits *Node, vjp func(cotangent *Node) *Node) {
	cfg := m.Config
	if cfg.deep() {
		logits = Logits(scope, cfg, images)
		return logits, func(cotangent *Node) *Node {
			return Gradient(ReduceAllSum(Mul(StopGradient(cotangent), logits)), images)[0]
		}
	}
	g := images.Graph()
	dtype := images.DType()
	batch := images.Shape().Dimensions[0]
	side, pooled, k, p, filters := cfg.ConvSide(), cfg.PoolSide(), cfg.Kernel, cfg.Pool, cfg.Filters
	scope = scope.In(ScopeName)
	convScope, denseScope := scope.In("conv2d").In("conv"), scope.In("dense").In("dense")
	kernel := convScope.VariableWithShape("weights", shapes.Make(dtype, k, k, 1, filters)).NodeValue(g)
	bias := convScope.VariableWithShape("biases", shapes.Make(dtype, filters)).NodeValue(g)
	weights := denseScope.VariableWithShape("weights", shapes.Make(dtype, cfg.Features(), mnist.NumClasses)).NodeValue(g)
	biases := denseScope.VariableWithShape("biases", shapes.Make(dtype, mnist.NumClasses)).NodeValue(g)

	conv := Add(Convolve(images, kernel).NoPadding().Done(), Reshape(bias, 1, 1, 1, filters)) // [batch, side, side, filters]
	// The max-pool: the running maximum over the window's k² strided slices,
	// with the position (row-major in the window) of the first maximum.
	var maxima, first *Node
	for a := range p {
		for b := range p {
			slice := Slice(conv, AxisRange(), AxisRange(a, a+(pooled-1)*p+1).Stride(p), AxisRange(b, b+(pooled-1)*p+1).Stride(p), AxisRange())
			position := BroadcastToDims(Scalar(g, dtypes.Int32, a*p+b), slice.Shape().Dimensions...)
			if maxima == nil {
				maxima, first = slice, position
				continue
			}
			first = Where(GreaterThan(slice, maxima), position, first)
			maxima = Max(maxima, slice)
		}
	}
	logits = Add(Einsum("bf,fc->bc", Reshape(maxima, batch, -1), weights), Reshape(biases, 1, -1))

	vjp = func(cotangent *Node) *Node {
		cotangent = StopGradient(cotangent)
		// Back through the dense layer: [batch, pooled, 1, pooled, 1, filters].
		perFeature := Reshape(Einsum("bc,fc->bf", cotangent, weights), batch, pooled, 1, pooled, 1, filters)
		// To each window's first maximum: the conv output's gradient, laid out
		// as [batch, pooled, p, pooled, p, filters] windows.
		positions := shapes.Make(dtypes.Int32, 1, 1, p, 1, p, 1)
		inWindow := Add(MulScalar(Iota(g, positions, 2), float64(p)), Iota(g, positions, 4))
		chosen := Equal(inWindow, Reshape(first, batch, pooled, 1, pooled, 1, filters))
		windows := []int{batch, pooled, p, pooled, p, filters}
		routed := Where(chosen, BroadcastToDims(perFeature, windows...), ZerosLike(BroadcastToDims(perFeature, windows...)))
		routed = Reshape(routed, batch, pooled*p, pooled*p, filters)
		if pooled*p < side { // Rows and columns the max-pool dropped get no gradient.
			routed = Pad(routed, Scalar(g, dtype, 0), []PadAxis{{}, {End: side - pooled*p}, {End: side - pooled*p}, {}}...)
		}
		// Back through the convolution: each output position spreads its
		// gradient times the kernel over its k×k input patch.
		patches := Einsum("bijc,kc->bijk", routed, Reshape(kernel, k*k, filters)) // [batch, side, side, k·k]
		var grad *Node
		for u := range k {
			for v := range k {
				piece := Reshape(Slice(patches, AxisRange(), AxisRange(), AxisRange(), AxisElem(u*k+v)), batch, side, side)
				piece = Pad(piece, Scalar(g, dtype, 0), []PadAxis{{}, {Start: u, End: k - 1 - u}, {Start: v, End: k - 1 - v}}...)
				if grad == nil {
					grad = piece
				} else {
					grad = Add(grad, piece)
				}
			}
		}
		return Reshape(grad, images.Shape().Dimensions...)
	}
	return logits, vjp
}
