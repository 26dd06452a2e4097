package attack

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
)

// Scaling says how a step rescales the target-class gradient g of each image.
type Scaling int

const (
	// MaxAbs divides g by max|g| (the default, the article's choice as this
	// project reads it): the pixel with the steepest gradient moves by
	// exactly ε and every other pixel in proportion to its own gradient.
	// The raw gradient's size varies by orders of magnitude along the way
	// (it is tiny while the model is sure of the source class), so without
	// rescaling steps would be either negligible or huge; the max keeps the
	// L∞ size of every step at ε while keeping the gradient's shape, so the
	// change concentrates on the pixels that matter.
	MaxAbs Scaling = iota
	// Sign replaces g by sign(g): every pixel with a non-zero gradient moves
	// by ε, as in the fast gradient sign method. Denser perturbations.
	Sign
	// L2 divides g by its Euclidean norm: each step has L2 length ε (so ε
	// must be larger than for MaxAbs to move as far).
	L2
)

// String returns "maxabs", "sign" or "l2".
func (s Scaling) String() string {
	switch s {
	case MaxAbs:
		return "maxabs"
	case Sign:
		return "sign"
	case L2:
		return "l2"
	}
	return fmt.Sprintf("Scaling(%d)", int(s))
}

func (s Scaling) validate() error {
	if s < MaxAbs || s > L2 {
		return fmt.Errorf("attack: unknown %v: use MaxAbs, Sign or L2", s)
	}
	return nil
}

// scale rescales each image's gradient g [batch, 28, 28, 1]. An all-zero
// gradient stays zero (the step then leaves that image unchanged).
func (s Scaling) scale(g *graph.Node) *graph.Node {
	const tiny = 1e-30
	switch s {
	case Sign:
		return graph.Sign(g)
	case L2:
		norm := graph.Sqrt(graph.ReduceAndKeep(graph.Square(g), graph.ReduceSum, 1, 2, 3))
		return graph.Div(g, atLeast(norm, tiny))
	default:
		maxAbs := graph.ReduceAndKeep(graph.Abs(g), graph.ReduceMax, 1, 2, 3)
		return graph.Div(g, atLeast(maxAbs, tiny))
	}
}

// atLeast is max(x, floor) elementwise.
func atLeast(x *graph.Node, floor float64) *graph.Node {
	return graph.Max(x, graph.Scalar(x.Graph(), x.DType(), floor))
}
