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
		return bound(scope, []cnn.Op{{Kind: cnn.OpFlatten}, op}, x, labels, eps, classes)
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
