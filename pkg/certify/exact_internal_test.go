package certify

import (
	"math"
	"math/rand"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/backend"
	"github.com/advmlgo/advml/pkg/cnn"
)

// TestLinearLayerBoundsAreExact: through one dense layer the box's image is
// bounded exactly: each logit's upper bound is the value at the corner that
// takes each input's upper end where the weight is positive, its lower end
// elsewhere, and the lower bound the opposite corner's.
func TestLinearLayerBoundsAreExact(t *testing.T) {
	const inputs, classes, batch = 12, 4, 3
	rng := rand.New(rand.NewSource(5))
	w := make([]float32, inputs*classes)
	b := make([]float32, classes)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	for i := range b {
		b[i] = float32(rng.NormFloat64())
	}
	store := model.NewStore()
	op := cnn.Op{Kind: cnn.OpDense, Scope: "dense", Size: classes}
	wPath, bPath := op.WeightPaths()
	if _, err := store.CreateVariable(wPath, tensors.FromFlatDataAndDimensions(w, inputs, classes)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateVariable(bPath, tensors.FromFlatDataAndDimensions(b, classes)); err != nil {
		t.Fatal(err)
	}
	x := make([]float32, batch*inputs)
	for i := range x {
		x[i] = float32(rng.Float64())
	}
	const eps = 0.2
	engine, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	exec, err := model.NewExec(engine, store, func(scope *model.Scope, x, labels, eps *graph.Node) (lo, hi, margins *graph.Node) {
		lo, hi, margins, _ = bound(scope, []cnn.Op{{Kind: cnn.OpFlatten}, op}, x, labels, eps, classes, false)
		return lo, hi, margins
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Exec(tensors.FromFlatDataAndDimensions(x, batch, inputs, 1, 1), tensors.FromFlatDataAndDimensions([]int32{0, 1, 2}, batch), tensors.FromScalar(float32(eps)))
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
	for i := range batch {
		for j := range classes {
			top, bottom := float64(b[j]), float64(b[j])
			for k := range inputs {
				v, weight := float64(x[i*inputs+k]), float64(w[k*classes+j])
				low, high := math.Max(0, v-eps), math.Min(1, v+eps)
				if weight > 0 {
					top, bottom = top+weight*high, bottom+weight*low
				} else {
					top, bottom = top+weight*low, bottom+weight*high
				}
			}
			if math.Abs(top-float64(hi[i*classes+j])) > 1e-4 || math.Abs(bottom-float64(lo[i*classes+j])) > 1e-4 {
				t.Errorf("image %d logit %d: bounds [%g, %g], the corners give [%g, %g]", i, j, lo[i*classes+j], hi[i*classes+j], bottom, top)
			}
		}
	}
}

// TestCROWNIsExactWhereTheReLUsAreStable: for dense, ReLU, dense whose
// hidden units all stay active on the box (large biases), the network is
// affine there and CROWN-IBP's margin bound is its exact minimum over the
// box (the corner that takes each input's end against the sign of its
// coefficient); IBP's is below it.
func TestCROWNIsExactWhereTheReLUsAreStable(t *testing.T) {
	const inputs, hidden, classes, batch, eps = 12, 6, 4, 3, 0.2
	rng := rand.New(rand.NewSource(7))
	normal := func(n int, shift float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() + shift)
		}
		return v
	}
	w1, b1, w2, b2 := normal(inputs*hidden, 0), normal(hidden, 50), normal(hidden*classes, 0), normal(classes, 0)
	ops := []cnn.Op{{Kind: cnn.OpFlatten}, {Kind: cnn.OpDense, Scope: "hidden", Size: hidden}, {Kind: cnn.OpReLU}, {Kind: cnn.OpDense, Scope: "dense", Size: classes}}
	store := model.NewStore()
	for _, v := range []struct {
		op   cnn.Op
		w, b []float32
		in   int
	}{{ops[1], w1, b1, inputs}, {ops[3], w2, b2, hidden}} {
		wPath, bPath := v.op.WeightPaths()
		if _, err := store.CreateVariable(wPath, tensors.FromFlatDataAndDimensions(v.w, v.in, v.op.Size)); err != nil {
			t.Fatal(err)
		}
		if _, err := store.CreateVariable(bPath, tensors.FromFlatDataAndDimensions(v.b, v.op.Size)); err != nil {
			t.Fatal(err)
		}
	}
	x := make([]float32, batch*inputs)
	for i := range x {
		x[i] = float32(rng.Float64())
	}
	labels := []int32{0, 1, 3}
	engine, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	margins := map[bool][]float32{}
	for _, crown := range []bool{false, true} {
		exec, err := model.NewExec(engine, store, func(scope *model.Scope, x, labels, eps *graph.Node) (lo, hi, margins *graph.Node) {
			lo, hi, margins, crownMargins := bound(scope, ops, x, labels, eps, classes, crown)
			if crown {
				margins = crownMargins
			}
			return lo, hi, margins
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Exec(tensors.FromFlatDataAndDimensions(x, batch, inputs, 1, 1), tensors.FromFlatDataAndDimensions(labels, batch), tensors.FromScalar(float32(eps)))
		if err != nil {
			t.Fatal(err)
		}
		margins[crown] = tensors.MustCopyFlatData[float32](out[2])
	}
	tighter := 0
	for i := range batch {
		y := int(labels[i])
		for j := range classes {
			// The margin is Σ_f c_f·x_f + d with c = W1 (w2_y − w2_j), d = b1·(w2_y − w2_j) + b2_y − b2_j.
			exact := float64(b2[y] - b2[j])
			for h := range hidden {
				exact += float64(b1[h]) * float64(w2[h*classes+y]-w2[h*classes+j])
			}
			for f := range inputs {
				c := 0.0
				for h := range hidden {
					c += float64(w1[f*hidden+h]) * float64(w2[h*classes+y]-w2[h*classes+j])
				}
				v := float64(x[i*inputs+f])
				low, high := math.Max(0, v-eps), math.Min(1, v+eps)
				exact += math.Min(c*low, c*high)
			}
			k := i*classes + j
			if math.Abs(float64(margins[true][k])-exact) > 1e-3*math.Max(1, math.Abs(exact)) {
				t.Errorf("image %d class %d: CROWN-IBP margin %g, the exact minimum %g", i, j, margins[true][k], exact)
			}
			if float64(margins[false][k]) > exact+1e-3 {
				t.Errorf("image %d class %d: IBP margin %g above the exact minimum %g: unsound", i, j, margins[false][k], exact)
			}
			if j != y && float64(margins[false][k]) < exact-1e-2 {
				tighter++
			}
		}
	}
	if tighter == 0 {
		t.Error("IBP matched the exact minimum everywhere: the test shows nothing CROWN adds")
	}
}
