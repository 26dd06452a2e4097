package certify_test

import (
	"math"
	"math/rand"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/certify"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/training"
)

// IBP and CROWN-IBP bound networks of package cnn on colour images of 5
// classes (the synthetic data set): the article's shape and the deeper
// one, trained briefly; no PGD adversarial and no random point of the ball
// goes below the certified margins, and a certified image is never fooled.
func TestBoundsOnColourImages(t *testing.T) {
	testutil.Slow(t)
	g := testutil.ColourGeometry
	train, val, test := testutil.Colour(1000, 1), testutil.Colour(100, 2), testutil.Colour(12, 3)
	rng := rand.New(rand.NewSource(5))
	for _, cfg := range []cnn.Config{
		{Filters: 6, Kernel: 5, Pool: 4, Input: g},
		{Filters: 4, Kernel: 3, Pool: 2, Filters2: 8, Hidden: 16, Input: g},
	} {
		m, err := cnn.New(testutil.XLA(t), cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		if m.Geometry() != g || m.NumParams() != cfg.NumParams() {
			t.Fatalf("%v: geometry %v, %d weights for %d counted", cfg, m.Geometry(), m.NumParams(), cfg.NumParams())
		}
		if _, err := training.Train(m, train, val, training.Options{MaxEpochs: 4, Seed: 1}); err != nil {
			t.Fatal(err)
		}
		_, clean, err := m.Evaluate(test.Images, test.Labels)
		if err != nil || clean < 0.6 {
			t.Fatalf("%v: trained to %.0f%% on the test images (%v); the bounds are checked on a model that learnt", cfg, 100*clean, err)
		}
		for _, bounds := range []func(certify.Model, []float32, []int, float64) (*certify.Bounds, error){certify.IBP, certify.CROWNIBP} {
			for _, eps := range []float64{1e-5, 0.01} {
				b, err := bounds(m, test.Images, test.Labels, eps)
				if err != nil {
					t.Fatalf("%v: %v", cfg, err)
				}
				pgd := attack.NewPGD(attack.Linf)
				pgd.Steps, pgd.LastIterate = 20, true
				res, err := pgd.Run(m, test.Images, attack.Misclassification{Labels: test.Labels}, eps)
				if err != nil {
					t.Fatal(err)
				}
				points := [][]float32{res.Clipped[0]}
				noisy := make([]float32, len(test.Images))
				for p, v := range test.Images {
					noisy[p] = float32(math.Min(1, math.Max(0, float64(v)+eps*(2*rng.Float64()-1))))
				}
				points = append(points, noisy)
				for _, x := range points {
					logs := logProbabilities(t, m, x)
					for i, y := range test.Labels {
						for j := range g.Classes {
							if j != y && logs[i][y]-logs[i][j] < float64(b.Margins[i][j])-1e-3 {
								t.Fatalf("%v: image %d, logit %d − logit %d is %.4f in the ball, below its bound %.4f", cfg, i, y, j, logs[i][y]-logs[i][j], b.Margins[i][j])
							}
						}
					}
				}
				for i, ok := range b.Certified {
					if ok && res.Success[0][i] {
						t.Errorf("%v: image %d is certified, yet PGD fooled it", cfg, i)
					}
				}
				t.Logf("%v at ε %g: certified %.0f%%", cfg, eps, 100*b.Accuracy())
				// As ε goes to 0 the bounds close on the logits: nearly every
				// image classified right is proved.
				if eps < 1e-4 && b.Accuracy() < 0.9*clean {
					t.Errorf("%v at ε %g: certified %.0f%%, classified right %.0f%%; bounds this small should prove nearly all", cfg, eps, 100*b.Accuracy(), 100*clean)
				}
			}
		}
	}
}
