package cnn

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
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
// The deeper network (Config.Filters2 > 0), and any network on colour
// images, has no hand-written product: it goes through automatic
// differentiation.
func (m *Model) LogitsWithVJP(scope *model.Scope, images *Node) (logits *Node, vjp func(cotangent *Node) *Node) {
	logits, vjps := m.LogitsWithVJPs(scope, images)
	return logits, func(cotangent *Node) *Node {
		dims := cotangent.Shape().Dimensions
		return Reshape(vjps(Reshape(cotangent, dims[0], 1, dims[1])), images.Shape().Dimensions...)
	}
}

// LogitsWithVJPs is LogitsWithVJP for several cotangents per image at once
// (classifier.ManyGradients): vjps takes cotangents [batch, n, 10] to the n
// gradients of each image, [batch, n, 28, 28, 1]. A batch Jacobian is the
// ten one-hot cotangents in one pass, which XLA runs faster than ten passes.
func (m *Model) LogitsWithVJPs(scope *model.Scope, images *Node) (logits *Node, vjps func(cotangents *Node) *Node) {
	cfg := m.Config
	if cfg.deep() || !cfg.singleChannel() {
		logits = Logits(scope, cfg, images)
		return logits, func(cotangents *Node) *Node {
			n := cotangents.Shape().Dimensions[1]
			rows := make([]*Node, n)
			for i := range n {
				c := StopGradient(Squeeze(Slice(cotangents, AxisRange(), AxisElem(i)), 1))
				rows[i] = Gradient(ReduceAllSum(Mul(c, logits)), images)[0]
			}
			return Stack(rows, 1)
		}
	}
	g := images.Graph()
	dtype := images.DType()
	batch := images.Shape().Dimensions[0]
	rows, cols := cfg.ConvSize()
	pooledRows, pooledCols := cfg.PoolSize()
	k, p, filters := cfg.Kernel, cfg.Pool, cfg.Filters
	scope = scope.In(ScopeName)
	convScope, denseScope := scope.In("conv2d").In("conv"), scope.In("dense").In("dense")
	kernel := convScope.VariableWithShape("weights", shapes.Make(dtype, k, k, 1, filters)).NodeValue(g)
	bias := convScope.VariableWithShape("biases", shapes.Make(dtype, filters)).NodeValue(g)
	weights := denseScope.VariableWithShape("weights", shapes.Make(dtype, cfg.Features(), cfg.classes())).NodeValue(g)
	biases := denseScope.VariableWithShape("biases", shapes.Make(dtype, cfg.classes())).NodeValue(g)

	conv := Add(Convolve(images, kernel).NoPadding().Done(), Reshape(bias, 1, 1, 1, filters)) // [batch, rows, cols, filters]
	// The max-pool: the running maximum over the window's k² strided slices,
	// with the position (row-major in the window) of the first maximum.
	var maxima, first *Node
	for a := range p {
		for b := range p {
			slice := Slice(conv, AxisRange(), AxisRange(a, a+(pooledRows-1)*p+1).Stride(p), AxisRange(b, b+(pooledCols-1)*p+1).Stride(p), AxisRange())
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

	// vjps takes cotangents [batch, n, classes] to n gradients per image,
	// [batch, n, rows, cols, 1].
	vjps = func(cotangents *Node) *Node {
		cotangents = StopGradient(cotangents)
		n := cotangents.Shape().Dimensions[1]
		// Back through the dense layer: [batch, n, pooledRows, 1, pooledCols, 1, filters].
		perFeature := Reshape(Einsum("bnc,fc->bnf", cotangents, weights), batch, n, pooledRows, 1, pooledCols, 1, filters)
		// To each window's first maximum: the conv output's gradient, laid out
		// as [batch, n, pooledRows, p, pooledCols, p, filters] windows.
		positions := shapes.Make(dtypes.Int32, 1, 1, 1, p, 1, p, 1)
		inWindow := Add(MulScalar(Iota(g, positions, 3), float64(p)), Iota(g, positions, 5))
		windows := []int{batch, n, pooledRows, p, pooledCols, p, filters}
		chosen := BroadcastToDims(Equal(inWindow, Reshape(first, batch, 1, pooledRows, 1, pooledCols, 1, filters)), windows...)
		spread := BroadcastToDims(perFeature, windows...)
		routed := Reshape(Where(chosen, spread, ZerosLike(spread)), batch, n, pooledRows*p, pooledCols*p, filters)
		if pooledRows*p < rows || pooledCols*p < cols { // Rows and columns the max-pool dropped get no gradient.
			routed = Pad(routed, Scalar(g, dtype, 0), []PadAxis{{}, {}, {End: rows - pooledRows*p}, {End: cols - pooledCols*p}, {}}...)
		}
		// Back through the convolution: each output position spreads its
		// gradient times the kernel over its k×k input patch.
		patches := Einsum("bnijc,kc->bnijk", routed, Reshape(kernel, k*k, filters)) // [batch, n, rows, cols, k·k]
		var grad *Node
		for u := range k {
			for v := range k {
				piece := Reshape(Slice(patches, AxisRange(), AxisRange(), AxisRange(), AxisRange(), AxisElem(u*k+v)), batch, n, rows, cols)
				piece = Pad(piece, Scalar(g, dtype, 0), []PadAxis{{}, {}, {Start: u, End: k - 1 - u}, {Start: v, End: k - 1 - v}}...)
				if grad == nil {
					grad = piece
				} else {
					grad = Add(grad, piece)
				}
			}
		}
		dims := images.Shape().Dimensions
		return Reshape(grad, batch, n, dims[1], dims[2], dims[3])
	}
	return logits, vjps
}
