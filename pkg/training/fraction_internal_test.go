package training

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/backend"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
)

// TestFractionAttacksTheHeadOfTheBatch: with Fraction 0.5, a batch of 8
// images trains on 4 adversarial examples (moved, within ε of their
// images) followed by the other 4 images exactly as they are; with
// Fraction 0 every image moves, and a fraction too small for one image
// leaves the batch clean. (An internal test: package testutil imports
// training, so the images are made here, away from the box's edges.)
func TestFractionAttacksTheHeadOfTheBatch(t *testing.T) {
	const batch, eps = 8, 0.1
	engine, err := backend.NewWithConfig("xla:cpu")
	if err != nil {
		t.Fatal(err)
	}
	m, err := cnn.New(engine, cnn.LeNetSmall, 1)
	if err != nil {
		t.Fatal(err)
	}
	images, labels := make([]float32, batch*mnist.Pixels), make([]int32, batch)
	for i := range images {
		images[i] = 0.3 + 0.4*float32((i*31)%17)/17
	}
	for i := range labels {
		labels[i] = int32(i % 10)
	}
	for _, c := range []struct {
		fraction float64
		moved    int // How many images, from the first, move.
	}{{0.5, 4}, {0, batch}, {0.1, 0}} {
		a := PGDTraining(eps)
		a.Steps, a.StepSize, a.Fraction = 5, eps/2, c.fraction
		exec, err := model.NewExec(m.Backend(), m.Store(), func(scope *model.Scope, x, y *Node) *Node {
			return a.attacked(scope, m, x, y, Scalar(x.Graph(), x.DType(), 1))
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Exec(tensors.FromFlatDataAndDimensions(images, batch, 28, 28, 1), tensors.FromFlatDataAndDimensions(labels, batch, 1))
		if err != nil {
			t.Fatal(err)
		}
		got := tensors.MustCopyFlatData[float32](out[0])
		exec.Finalize()
		for i := range batch {
			var moved, dist float64
			for p := range mnist.Pixels {
				d := math.Abs(float64(got[i*mnist.Pixels+p] - images[i*mnist.Pixels+p]))
				dist = math.Max(dist, d)
				if d > 0 {
					moved++
				}
			}
			if dist > eps+1e-6 {
				t.Errorf("Fraction %g: image %d moved by %g, beyond ε %g", c.fraction, i, dist, eps)
			}
			if i < c.moved && moved < 10 {
				t.Errorf("Fraction %g: image %d should be attacked, %g pixels moved", c.fraction, i, moved)
			}
			if i >= c.moved && moved != 0 {
				t.Errorf("Fraction %g: image %d should train clean, %g pixels moved", c.fraction, i, moved)
			}
		}
	}
}
