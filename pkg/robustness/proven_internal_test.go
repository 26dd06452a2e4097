package robustness

import (
	"slices"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/certify"
	"github.com/advmlgo/advml/pkg/mnist"
)

// TestProvenImagesAreSkippedNotChanged: with the images the bounds certify
// skipped, the evaluation gives the same robust images as without (no
// attack can fool a certified image), on the article's model under PGD at
// budgets where the bounds certify some images and none.
func TestProvenImagesAreSkippedNotChanged(t *testing.T) {
	testutil.Slow(t)
	m := testutil.Trained(t)
	test := testutil.MNIST(t).Test
	const n = 50
	images, labels := test.Images[:n*mnist.Pixels], test.Labels[:n]
	pgd := attack.NewPGD(attack.Linf)
	pgd.Steps = 20
	attacks := []attack.Attack{pgd}
	epsilons := []float64{0.01, 0.02, 0.1}
	plain, err := Evaluate(m, images, labels, attacks, epsilons...)
	if err != nil {
		t.Fatal(err)
	}
	proven := func(eps float64) ([]bool, error) {
		b, err := certify.CROWNIBP(m, images, labels, eps)
		if err != nil {
			return nil, err
		}
		return b.Certified, nil
	}
	skipped, err := evaluate(m, images, labels, attacks, proven, epsilons...)
	if err != nil {
		t.Fatal(err)
	}
	for e, eps := range epsilons {
		certified := 0
		for _, ok := range skipped.Proven[e] {
			if ok {
				certified++
			}
		}
		t.Logf("ε=%g: %d of %d certified, robust %.2f", eps, certified, n, skipped.RobustAccuracy[e])
		if !slices.Equal(skipped.Robust[e], plain.Robust[e]) {
			t.Errorf("ε=%g: the robust images differ with the certified ones skipped", eps)
		}
		if e == 0 && certified == 0 {
			t.Errorf("ε=%g: nothing certified, the test shows nothing", eps)
		}
	}
}
