package robustness_test

import (
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/boundary"
	"github.com/advmlgo/advml/pkg/robustness"
)

// AutoAttack, its sanity checks and the boundary map run on colour images
// of 5 classes (the synthetic data set) with a model of the user's own:
// APGD-T and FAB-T over the 4 wrong classes, every class mapped.
func TestColourImagesOfFiveClasses(t *testing.T) {
	testutil.Slow(t)
	m := testutil.ColourModel(t)
	test := testutil.Colour(8, 3)
	r, err := robustness.AutoAttack(m, test.Images, test.Labels, attack.Linf, 0.1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.CleanAccuracy < 0.75 || len(r.AfterAttack) != 4 || r.RobustAccuracy[0] > r.CleanAccuracy {
		t.Errorf("AutoAttack on colour: clean %g, after each %v, robust %v", r.CleanAccuracy, r.AfterAttack, r.RobustAccuracy)
	}
	for _, c := range r.Sanity {
		if c.Failed() {
			t.Errorf("sanity check failed on colour images: %v", c)
		}
	}
	if len(r.Attacks) != 4 || !strings.Contains(r.Attacks[1], "4 targets") || !strings.Contains(r.Attacks[2], "4 targets") {
		t.Errorf("attacks %v: want APGD-T and FAB-T over 4 targets", r.Attacks)
	}
	many := testutil.Colour(60, 4)
	mp, err := boundary.Build(m, many.Images, many.Labels, 1, attack.NewTargetedAscent())
	if err != nil {
		t.Fatal(err)
	}
	for s := range 5 {
		if len(mp.Sources[s]) != 1 {
			t.Errorf("class %d: %d sources on the map, want 1", s, len(mp.Sources[s]))
		}
	}
	if _, err := mp.Medians(attack.L2); err != nil {
		t.Error(err)
	}
}
