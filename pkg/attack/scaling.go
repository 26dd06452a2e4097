package attack

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
)

// Scaling says how a step rescales the target-class gradient g of each image.
type Scaling int

const (
	// ScaleMaxAbs divides g by max|g| (the default, the article's choice as this
	// project reads it): the pixel with the steepest gradient moves by
	// exactly ε and every other pixel in proportion to its own gradient.
	// The raw gradient's size varies by orders of magnitude along the way
	// (it is tiny while the model is sure of the source class), so without
	// rescaling steps would be either negligible or huge; the max keeps the
	// L∞ size of every step at ε while keeping the gradient's shape, so the
	// change concentrates on the pixels that matter.
	ScaleMaxAbs Scaling = iota
	// ScaleSign replaces g by sign(g): every pixel with a non-zero gradient moves
	// by ε, as in the fast gradient sign method. Denser perturbations.
	ScaleSign
	// ScaleL2 divides g by its Euclidean norm: each step has L2 length ε
	// (so ε must be larger than for ScaleMaxAbs to move as far).
	ScaleL2
)

// String returns "maxabs", "sign" or "l2".
func (s Scaling) String() string {
	switch s {
	case ScaleMaxAbs:
		return "maxabs"
	case ScaleSign:
		return "sign"
	case ScaleL2:
		return "l2"
	}
	return fmt.Sprintf("Scaling(%d)", int(s))
}

func (s Scaling) validate() error {
	if s < ScaleMaxAbs || s > ScaleL2 {
		return fmt.Errorf("attack: unknown %v: use ScaleMaxAbs, ScaleSign or ScaleL2", s)
	}
	return nil
}

// scale rescales each image's gradient g [batch, rows, cols, channels]. An
// all-zero gradient stays zero (the step then leaves that image unchanged).
func (s Scaling) scale(g *graph.Node) *graph.Node {
	const tiny = 1e-30
	switch s {
	case ScaleSign:
		return graph.Sign(g)
	case ScaleL2:
		return graph.Div(g, atLeast(norm(g, L2), tiny))
	default:
		return graph.Div(g, atLeast(norm(g, Linf), tiny))
	}
}
