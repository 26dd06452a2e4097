package robustness_test

import (
	"strings"
	"testing"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/certify"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/robustness"
)

// report is a report of EvaluateCertified on 4 digits at one budget, with
// each digit of the kind given: 'c' certified, 'f' fooled, 'g' the gap
// (neither), 'w' misclassified.
func report(kinds string) *robustness.Report {
	n := len(kinds)
	r := &robustness.Report{Distance: attack.Linf, Epsilons: []float64{0.3}, Attacks: []string{"APGD-CE"}, N: n,
		Robust: [][]bool{make([]bool, n)}, Proven: [][]bool{make([]bool, n)}, FooledBy: [][]int{make([]int, n)},
		Adversarials: [][]float32{make([]float32, n*mnist.Pixels)}}
	correct, robust := 0, 0
	for i, k := range kinds {
		r.FooledBy[0][i] = -1
		switch k {
		case 'c':
			r.Proven[0][i], r.Robust[0][i] = true, true
		case 'f':
			r.FooledBy[0][i] = 0
		case 'g':
			r.Robust[0][i] = true
		}
		if k != 'w' {
			correct++
		}
		if r.Robust[0][i] {
			robust++
		}
	}
	r.CleanAccuracy = float64(correct) / float64(n)
	r.RobustAccuracy = []float64{float64(robust) / float64(n)}
	r.AfterAttack = [][]float64{r.RobustAccuracy}
	return r
}

func TestSandwichOnePanelPerModel(t *testing.T) {
	one, err := robustness.Sandwich([]string{"a"}, report("cfgw"))
	if err != nil {
		t.Fatal(err)
	}
	two, err := robustness.Sandwich([]string{"a", "b"}, report("cfgw"), report("ccff"))
	if err != nil {
		t.Fatal(err)
	}
	if w1, w2 := one.Bounds().Dx(), two.Bounds().Dx(); w2 < 2*w1 {
		t.Errorf("two panels are %d pixels wide, one is %d: want one panel per model", w2, w1)
	}
	if table := report("ccfg").Table(); !strings.Contains(table, "certified by bounds (a lower bound)") || !strings.Contains(table, "50.0") {
		t.Errorf("the table of a certified report lacks its certified row (50%%):\n%s", table)
	}
	uncertified := report("cf")
	uncertified.Proven = nil
	for _, c := range []struct {
		names   []string
		reports []*robustness.Report
		want    string
	}{
		{[]string{"a", "b"}, []*robustness.Report{report("c")}, "2 names for 1 reports"},
		{nil, nil, "0 names"},
		{[]string{"plain"}, []*robustness.Report{uncertified}, `"plain" holds no certified images`},
	} {
		if _, err := robustness.Sandwich(c.names, c.reports...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want an error containing %q", c.names, err, c.want)
		}
	}
}

func TestProofExamplesShowEachKind(t *testing.T) {
	labels := []int{1, 2, 3, 4}
	images := make([]float32, 4*mnist.Pixels)
	width := func(kinds string) int {
		img, err := robustness.ProofExamples(report(kinds), images, labels, 0)
		if err != nil {
			t.Fatalf("%s: %v", kinds, err)
		}
		return img.Bounds().Dx()
	}
	// Certified, fooled (two panels: the digit and its adversarial), gap.
	c, cf, cfg := width("cwww"), width("wcfw"), width("gfcw")
	if !(c < cf && cf < cfg) {
		t.Errorf("widths %d, %d, %d for one, two and three kinds: want each kind to add panels", c, cf, cfg)
	}
	if _, err := robustness.ProofExamples(report("wwww"), images, labels, 0); err == nil || !strings.Contains(err.Error(), "misclassifies all 4") {
		t.Errorf("all misclassified: %v, want an error saying so", err)
	}
	if _, err := robustness.ProofExamples(report("cfgw"), images, labels, 1); err == nil || !strings.Contains(err.Error(), "budget index 1") {
		t.Errorf("a budget the report lacks: %v", err)
	}
	if _, err := robustness.ProofExamples(report("cfgw"), images[:mnist.Pixels], labels, 0); err == nil || !strings.Contains(err.Error(), "pass the images it evaluated") {
		t.Errorf("too few images: %v", err)
	}
}

func TestSmoothingCurve(t *testing.T) {
	s := &certify.Smoothed{Sigma: 0.25, Classes: []int{1, 2}, PLower: []float64{0.9, 0.6}, Radii: []float64{0.32, 0.06}, Correct: []bool{true, true}}
	l2 := &robustness.Report{Distance: attack.L2, Epsilons: []float64{0.25, 0.5}, Attacks: []string{"APGD-L2"}, N: 2,
		CleanAccuracy: 1, RobustAccuracy: []float64{0.5, 0}}
	img, err := robustness.SmoothingCurve(s, l2)
	if err != nil || img.Bounds().Dx() == 0 {
		t.Fatalf("got %v, %v", img, err)
	}
	linf := *l2
	linf.Distance = attack.Linf
	for _, c := range []struct {
		s       *certify.Smoothed
		reports []*robustness.Report
		want    string
	}{
		{nil, []*robustness.Report{l2}, "needs the smoothed"},
		{s, nil, "at least one report"},
		{s, []*robustness.Report{&linf}, "reports of L2 attacks"},
	} {
		if _, err := robustness.SmoothingCurve(c.s, c.reports...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
	}
}
