package boundary_test

import (
	"math"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/boundary"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/mnist"
)

func TestMap(t *testing.T) {
	testutil.Slow(t)
	m := testutil.Trained(t)
	test := testutil.MNIST(t).Test
	images, labels := test.Images[:400*mnist.Pixels], test.Labels[:400]
	mp, err := boundary.Build(m, images, labels, 2, attack.NewTargetedAscent())
	if err != nil {
		t.Fatal(err)
	}
	classes, _, err := m.Classify(images)
	if err != nil {
		t.Fatal(err)
	}
	for s := range 10 {
		if len(mp.Sources[s]) != 2 {
			t.Fatalf("class %d: %d digits", s, len(mp.Sources[s]))
		}
		for _, i := range mp.Sources[s] {
			if labels[i] != s || classes[i] != s {
				t.Errorf("class %d: digit %d has label %d, prediction %d", s, i, labels[i], classes[i])
			}
		}
		for target := range 10 {
			if target == s {
				if mp.L2[s][target] != nil {
					t.Errorf("distances on the diagonal")
				}
				continue
			}
			// The example really is an adversarial of the first digit, at the
			// distance recorded.
			example, original := mp.Examples[s][target], mnist.Geometry.Image(images, mp.Sources[s][0])
			probs, err := m.Predict(example)
			if err != nil {
				t.Fatal(err)
			}
			fooled := classifier.Argmax(probs[0]) == target
			d := mp.L2[s][target][0]
			if fooled != !math.IsInf(d, 1) || fooled && math.Abs(attack.L2.Measure(original, example)-d) > 1e-4 {
				t.Errorf("%d→%d: example fooled %v, distance %g", s, target, fooled, d)
			}
		}
	}
	medians, err := mp.Medians(attack.L2)
	if err != nil {
		t.Fatal(err)
	}
	ranked, _ := mp.Ranked(attack.L2)
	if len(ranked) != 90 || ranked[0].Median > ranked[89].Median || medians[ranked[0].Source][ranked[0].Target] != ranked[0].Median {
		t.Errorf("ranking: first %+v, last %+v", ranked[0], ranked[89])
	}
	table, err := mp.TableIV(attack.L2)
	if err != nil {
		t.Fatal(err)
	}
	if !(table.Best <= table.Average && table.Average <= table.Worst) || table.SuccessRate < 0.9 {
		t.Errorf("Table IV %+v", table)
	}
	summary, err := mp.Summary(attack.L2)
	if err != nil || !strings.Contains(summary, "easiest pairs") || !strings.Contains(summary, "1.36 / 1.76 / 2.60") {
		t.Errorf("summary %q, %v", summary, err)
	}
	for _, draw := range []func() error{
		func() error { _, err := mp.Heatmap(attack.L2); return err },
		func() error { _, err := mp.Heatmap(attack.Linf); return err },
		func() error { _, err := mp.Grid(); return err },
	} {
		if err := draw(); err != nil {
			t.Error(err)
		}
	}
	if _, err := mp.Medians(attack.L0); err == nil {
		t.Error("L0 medians: no error")
	}
	if _, err := boundary.Build(m, images, labels, 0, attack.NewTargetedAscent()); err == nil {
		t.Error("0 digits per class: no error")
	}
	if _, err := boundary.Build(m, images[:20*mnist.Pixels], labels[:20], 5, attack.NewTargetedAscent()); err == nil || !strings.Contains(err.Error(), "classified right") {
		t.Errorf("too few digits: %v", err)
	}
}

func TestWalks(t *testing.T) {
	m := testutil.Trained(t)
	test := testutil.MNIST(t).Test
	four, nine := test.Image(4), test.Image(7) // Test digits 4 and 7 are a 4 and a 9.
	if test.Labels[4] != 4 || test.Labels[7] != 9 {
		t.Fatalf("labels %d %d", test.Labels[4], test.Labels[7])
	}
	line, err := boundary.Line(m, four, nine, 51)
	if err != nil {
		t.Fatal(err)
	}
	if line.Positions[0] != 0 || line.Positions[50] != 1 || len(line.Probabilities) != 51 {
		t.Fatalf("positions %v", line.Positions)
	}
	if line.Flip <= 0 {
		t.Fatalf("no flip between a 4 and a 9")
	}
	before, _, _ := m.Classify(line.Before)
	after, _, _ := m.Classify(line.After)
	if before[0] != line.BeforeClass || after[0] != line.AfterClass || line.BeforeClass == line.AfterClass {
		t.Errorf("flip at %d: %d → %d, predictions %d → %d", line.Flip, line.BeforeClass, line.AfterClass, before[0], after[0])
	}
	path, err := boundary.AttackPath(m, four, 9, attack.NewTargetedAscent())
	if err != nil {
		t.Fatal(err)
	}
	before, _, _ = m.Classify(path.Before)
	after, _, _ = m.Classify(path.After)
	if path.Flip <= 0 || before[0] != path.BeforeClass || after[0] != path.AfterClass || path.BeforeClass != 4 {
		t.Errorf("attack path flip at %d: %d → %d, predictions %d → %d", path.Flip, path.BeforeClass, path.AfterClass, before[0], after[0])
	}
	for _, w := range []*boundary.Walk{line, path} {
		if _, err := w.Figure(); err != nil {
			t.Error(err)
		}
	}
	if _, err := boundary.Line(m, four, nine[:10], 5); err == nil {
		t.Error("a line to a short image: no error")
	}
}
