package cnn

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/internal/conv"
)

// ScopeName is the scope, under the store's root, that holds the weights.
const ScopeName = "cnn"

// Logits builds the network of cfg on images shaped [batch, rows, cols,
// channels] (cfg.Geometry(): [batch, 28, 28, 1] for MNIST) and returns the
// logits, shaped [batch, classes]. The weights are variables under
// scope.In(ScopeName), created (with GoMLX's default initializer) on first
// use and reused afterwards. They take the dtype of images: a float64 graph
// gets float64 weights.
func Logits(scope *model.Scope, cfg Config, images *Node) *Node {
	scope = scope.In(ScopeName)
	batch := images.Shape().Dimensions[0]
	x := images
	for _, l := range cfg.Ops() {
		switch l.Kind {
		case OpConv:
			if !cfg.deep() && cfg.singleChannel() {
				x = convolution(scope.In("%s", l.Scope), cfg, x) // The article's, with its own kernel gradient.
			} else {
				// The variables of layers.Convolution (scope/conv/weights
				// and biases, created in that order), with the padding
				// and stride of l.
				vars := scope.In("%s", l.Scope).In("conv")
				kernel := vars.VariableWithShape("weights", shapes.Make(x.DType(), l.Kernel, l.Kernel, x.Shape().Dimensions[3], l.Size)).NodeValue(x.Graph())
				bias := vars.VariableWithShape("biases", shapes.Make(x.DType(), l.Size)).NodeValue(x.Graph())
				x = Add(Convolve2D(l, x, kernel), Reshape(bias, 1, 1, 1, l.Size))
			}
		case OpReLU:
			x = activation.Relu(x)
		case OpMaxPool:
			x = MaxPooling2D(x, l.Size)
		case OpFlatten:
			x = Reshape(x, batch, -1) // In the same (row, column, channel) order as Keras.
		case OpDense:
			x = layers.Dense(scope.In("%s", l.Scope), x, true, l.Size)
		}
	}
	return x
}

// Convolve2D is the convolution of op (an OpConv) of x ([batch, rows,
// cols, channels]) by kernel ([Kernel, Kernel, channels, Size]), without
// the bias: op.Pad zeros on each side of the rows and columns, windows
// op.Stride apart. Logits and package certify's bounds both build it.
//
// It goes through package conv, whose gradients are right for kernels of
// even size (LeNetSmall's 4×4), where GoMLX's own are not.
func Convolve2D(op Op, x, kernel *Node) *Node {
	p := op.Pad
	return conv.Conv(x, kernel, []int{op.stride(), op.stride()}, nil, [][2]int{{p, p}, {p, p}}, 1)
}

// convolution is the article's single-channel convolution with its bias,
// the same variables as layers.Convolution's (scope/conv/weights and
// biases, created in that order), with a hand-written gradient for its
// kernel. XLA on the CPU computes the kernel's gradient of a convolution
// with one input channel slowly (3.4 ms against 0.6 ms for the forward pass
// at batch 64, measured); it is one matrix product of the k² shifted views
// of the images with the output's gradient, [k², B·rows·cols] × [B·rows·cols, F].
// The forward pass stays XLA's convolution. Two identities with custom
// gradients carry it: one on the output, which notes the output's gradient
// as back-propagation passes it, and one on the kernel, which returns the
// product in place of the transposed convolution that automatic
// differentiation builds (XLA then drops that unused computation).
func convolution(scope *model.Scope, cfg Config, images *Node) *Node {
	g, dtype := images.Graph(), images.DType()
	k, filters := cfg.Kernel, cfg.Filters
	scope = scope.In("conv")
	kernel := scope.VariableWithShape("weights", shapes.Make(dtype, k, k, 1, filters)).NodeValue(g)
	var outputGradient *Node
	kernel = IdentityWithCustomGradient(kernel, func(_, _ *Node) *Node {
		rows, cols := cfg.ConvSize()
		views := make([]*Node, 0, k*k)
		for u := range k {
			for v := range k {
				views = append(views, Slice(images, AxisRange(), AxisRange(u, u+rows), AxisRange(v, v+cols), AxisRange()))
			}
		}
		patches := Concatenate(views, -1) // [batch, rows, cols, k²]
		return Reshape(Einsum("bijk,bijf->kf", patches, outputGradient), k, k, 1, filters)
	})
	conv := Convolve(images, kernel).NoPadding().Done()
	conv = IdentityWithCustomGradient(conv, func(_, v *Node) *Node {
		outputGradient = v
		return v
	})
	bias := scope.VariableWithShape("biases", shapes.Make(dtype, filters)).NodeValue(g)
	return Add(conv, Reshape(bias, 1, 1, 1, filters))
}

// Probabilities is the softmax of Logits: the model's output as the article
// uses it.
func Probabilities(scope *model.Scope, cfg Config, images *Node) *Node {
	return Softmax(Logits(scope, cfg, images), -1)
}
