package attack_test

import (
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/stats"
)

// TestFABFindsSmallerPerturbationsThanDeepFool: FAB's aim is the minimal
// perturbation; on the same images its median L∞ and L2 must not be larger
// than DeepFool's (the paper reports them smaller), and every adversarial
// it returns fools the model by a separate forward pass (checkResult).
func TestFABFindsSmallerPerturbationsThanDeepFool(t *testing.T) {
	testutil.Slow(t)
	m := testutil.Trained(t)
	images, labels, _ := sample(t, 20)
	crit := attack.Misclassification{Labels: labels}
	for _, d := range []attack.Distance{attack.Linf, attack.L2} {
		fab, err := attack.NewFAB(d).Run(m, images, crit)
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, m, fab, crit, false)
		deepFool, err := attack.NewDeepFool(d).Run(m, images, crit)
		if err != nil {
			t.Fatal(err)
		}
		ours, theirs := stats.Median(fab.Distances(0, d)), stats.Median(deepFool.Distances(0, d))
		t.Logf("%v: FAB median %.4f (%.0f%% fooled), DeepFool %.4f (%.0f%%)", d, ours, 100*fab.SuccessRate(0), theirs, 100*deepFool.SuccessRate(0))
		if fab.SuccessRate(0) < deepFool.SuccessRate(0) || ours > theirs*1.02 {
			t.Errorf("%v: FAB fooled %.2f with median %.4f, DeepFool %.2f with %.4f", d, fab.SuccessRate(0), ours, deepFool.SuccessRate(0), theirs)
		}
		// A budget below an image's FAB distance is a failure there, one at
		// or above it a success (the adversarial is inside it).
		clipped, err := attack.NewFAB(d).Run(m, images, crit, ours)
		if err != nil {
			t.Fatal(err)
		}
		for i, dist := range fab.Distances(0, d) {
			if fab.Success[0][i] && dist <= ours*0.999 && !clipped.Success[0][i] {
				t.Errorf("%v image %d: FAB found %.4f yet failed within %.4f", d, i, dist, ours)
			}
		}
	}
}

// TestFABTargetsKeepTheSmallest: FAB-T over more targets finds, per image,
// an adversarial no larger than over fewer (it keeps the smallest).
func TestFABTargetsKeepTheSmallest(t *testing.T) {
	testutil.Slow(t)
	m := testutil.Trained(t)
	images, labels, _ := sample(t, 10)
	crit := attack.Misclassification{Labels: labels}
	one, err := (&attack.FAB{Targets: 1, Steps: 40}).Run(m, images, crit)
	if err != nil {
		t.Fatal(err)
	}
	three, err := (&attack.FAB{Targets: 3, Steps: 40}).Run(m, images, crit)
	if err != nil {
		t.Fatal(err)
	}
	a, b := one.Distances(0, attack.Linf), three.Distances(0, attack.Linf)
	for i := range a {
		if one.Success[0][i] && (!three.Success[0][i] || b[i] > a[i]*1.0001) {
			t.Errorf("image %d: 1 target found %.4f, 3 targets %.4f (success %v)", i, a[i], b[i], three.Success[0][i])
		}
	}
	// Unbounded, every image runs every target; with a budget, an image
	// fooled within it stops after the target that did it.
	for i, steps := range three.Steps[0] {
		if steps != 3*40 {
			t.Errorf("image %d ran %d steps without a budget, want 3 targets × 40", i, steps)
		}
	}
	budgeted, err := (&attack.FAB{Targets: 3, Steps: 40}).Run(m, images, crit, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	for i, steps := range budgeted.Steps[0] {
		if budgeted.Success[0][i] != (b[i] <= 0.3) && one.Success[0][i] {
			t.Errorf("image %d: success %v within 0.3, the unbounded run found %.4f", i, budgeted.Success[0][i], b[i])
		}
		if a[i] <= 0.3 && one.Success[0][i] && steps != 40 {
			t.Errorf("image %d: fooled within 0.3 by the first target, yet ran %d steps", i, steps)
		}
	}
}
