package main

import (
	"testing"

	"github.com/advmlgo/advml/pkg/robustness"
)

// reports returns our report and theirs on 200 images: 180 clean, then
// 170, 160, 150, 140 robust after each attack on both sides, the same images.
func reports() (*robustness.Report, *TheirAutoAttack) {
	const n = 200
	counts := []int{180, 170, 160, 150, 140}
	column := func(k int) []bool {
		v := make([]bool, n)
		for i := range counts[k] {
			v[i] = true
		}
		return v
	}
	r := &robustness.Report{N: n, CleanAccuracy: 0.9, RobustAccuracy: []float64{0.7}, Robust: [][]bool{column(4)}}
	theirs := &TheirAutoAttack{N: n, Epsilon: 0.3, Clean: column(0), Literal: column(4), After: map[string][]bool{}}
	for k, name := range autoAttackOrder {
		r.AfterAttack = append(r.AfterAttack, []float64{float64(counts[k+1]) / n})
		theirs.After[name] = column(k + 1)
	}
	return r, theirs
}

func TestAutoAttackAgreesWithItself(t *testing.T) {
	r, theirs := reports()
	if c := compareAutoAttackReports(r, theirs); !c.Agree || c.OnlyOursRobust != 0 || c.OnlyTheirsRobust != 0 || c.RobustTorch != 0.7 {
		t.Errorf("the same results: %+v, want agreement at 70%%", c)
	}
}

func TestAutoAttackDisagreements(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(r *robustness.Report, theirs *TheirAutoAttack)
	}{
		{"final robust accuracy 1 point apart", func(_ *robustness.Report, theirs *TheirAutoAttack) {
			theirs.After["square"][138], theirs.After["square"][139] = false, false
		}},
		{"APGD-T's column 1.5 points apart", func(r *robustness.Report, _ *TheirAutoAttack) { r.AfterAttack[1][0] += 0.015 }},
		{"other clean accuracy", func(r *robustness.Report, _ *TheirAutoAttack) { r.CleanAccuracy = 0.895 }},
	} {
		r, theirs := reports()
		tc.change(r, theirs)
		if c := compareAutoAttackReports(r, theirs); c.Agree {
			t.Errorf("%s: the comparison agrees (%+v)", tc.name, c)
		}
	}
	// Within the tolerances: 0.5 point overall, the same elsewhere.
	r, theirs := reports()
	theirs.After["square"][139] = false
	if c := compareAutoAttackReports(r, theirs); !c.Agree || c.OnlyOursRobust != 1 {
		t.Errorf("one image of 200 apart (0.5 point): %+v, want agreement with one image robust on our side only", c)
	}
}
