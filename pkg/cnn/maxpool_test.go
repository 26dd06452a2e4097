package cnn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/cnn"
)

// TestMaxPoolMatchesGoMLX compares cnn.MaxPooling2D, values and gradients, with
// GoMLX's MaxPool (differentiated through XLA's SelectAndScatter), on random
// values and on values full of ties.
func TestMaxPooling2DMatchesGoMLX(t *testing.T) {
	b := testutil.XLA(t)
	// The output is weighted by w so that each window's gradient differs.
	both := func(x, w *Node) []*Node {
		ours, theirs := cnn.MaxPooling2D(x, 4), MaxPool(x).Window(4).Done()
		return []*Node{ours, theirs,
			Gradient(ReduceAllSum(Mul(ours, w)), x)[0],
			Gradient(ReduceAllSum(Mul(theirs, w)), x)[0]}
	}
	exec := MustNewExec(b, both)
	rng := rand.New(rand.NewPCG(1, 1))
	const n, side, channels = 3, 26, 5 // 26 is not a multiple of 4: the border is dropped.
	random := make([]float32, n*side*side*channels)
	ties := make([]float32, len(random))
	for i := range random {
		random[i] = rng.Float32()
		if rng.IntN(3) == 0 { // Two thirds of the values tie at 0.25, the maximum.
			ties[i] = 0.25 * rng.Float32()
		} else {
			ties[i] = 0.25
		}
	}
	w := make([]float32, n*6*6*channels)
	for i := range w {
		w[i] = rng.Float32() + 0.5
	}
	for name, values := range map[string][]float32{"random": random, "ties": ties} {
		out := exec.MustCall(tensors.FromFlatDataAndDimensions(values, n, side, side, channels),
			tensors.FromFlatDataAndDimensions(w, n, 6, 6, channels))
		if got := out[0].Shape().Dimensions; got[1] != 6 || got[2] != 6 {
			t.Fatalf("%s: output shape %v", name, got)
		}
		for i, label := range []string{"values", "gradients"} {
			ours, theirs := tensors.MustCopyFlatData[float32](out[2*i]), tensors.MustCopyFlatData[float32](out[2*i+1])
			for j := range ours {
				if math.Abs(float64(ours[j]-theirs[j])) > 1e-6 {
					t.Fatalf("%s %s differ at %d: %g (cnn.MaxPooling2D) vs %g (GoMLX MaxPool)", name, label, j, ours[j], theirs[j])
				}
			}
		}
	}
}
