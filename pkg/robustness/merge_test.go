package robustness_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/robustness"
)

// An evaluation in three parts, merged, is the evaluation of the whole
// (FGSM and DeepFool are deterministic per image, so every field must
// agree), and parts of different evaluations are refused.
func TestMergeOfPartsIsTheWhole(t *testing.T) {
	m := testutil.MLP(t)
	images, labels := testImages(t, 12)
	attacks := []attack.Attack{attack.NewFGSM(), attack.NewDeepFool(attack.Linf)}
	epsilons := []float64{0.05, 0.1}
	whole, err := robustness.Evaluate(m, images, labels, attacks, epsilons...)
	if err != nil {
		t.Fatal(err)
	}
	var parts []*robustness.Report
	for from := 0; from < 12; from += 4 {
		p, err := robustness.Evaluate(m, images[from*mnist.Pixels:(from+4)*mnist.Pixels], labels[from:from+4], attacks, epsilons...)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	merged, err := robustness.Merge(parts...)
	if err != nil {
		t.Fatal(err)
	}
	if merged.N != whole.N || merged.CleanAccuracy != whole.CleanAccuracy || !reflect.DeepEqual(merged.RobustAccuracy, whole.RobustAccuracy) ||
		!reflect.DeepEqual(merged.AfterAttack, whole.AfterAttack) || !reflect.DeepEqual(merged.Robust, whole.Robust) ||
		!reflect.DeepEqual(merged.FooledBy, whole.FooledBy) || !reflect.DeepEqual(merged.Adversarials, whole.Adversarials) ||
		!reflect.DeepEqual(merged.PerClass, whole.PerClass) {
		t.Fatalf("merged:\n%s\nwhole:\n%s", merged.Table(), whole.Table())
	}
	if len(merged.Sanity) != len(whole.Sanity) {
		t.Fatalf("%d sanity checks merged, %d in the whole", len(merged.Sanity), len(whole.Sanity))
	}
	for i, c := range merged.Sanity {
		if c.Name != whole.Sanity[i].Name || c.Passed != whole.Sanity[i].Passed {
			t.Errorf("check %q passed %v merged, %q %v whole", c.Name, c.Passed, whole.Sanity[i].Name, whole.Sanity[i].Passed)
		}
	}
	// A failed check in one part fails the whole, and says which part.
	parts[1].Sanity[0].Passed, parts[1].Sanity[0].Detail = false, "broken on purpose"
	if merged, err = robustness.Merge(parts...); err != nil || merged.Sanity[0].Passed || merged.Sanity[0].Detail != "part 1: broken on purpose" {
		t.Errorf("one part failing: %v, %+v", err, merged.Sanity[0])
	}
	other, err := robustness.Evaluate(m, images[:4*mnist.Pixels], labels[:4], attacks, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		parts []*robustness.Report
		want  string
	}{
		{nil, "no reports"},
		{[]*robustness.Report{parts[0], nil}, "report 1 is nil"},
		{[]*robustness.Report{parts[0], other}, "merge parts of one evaluation"},
	} {
		if _, err := robustness.Merge(c.parts...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Merge: error %v, want %q", err, c.want)
		}
	}
}
