package robustness

import (
	"fmt"
	"math"
	"slices"
)

// Merge joins the reports of one evaluation run on consecutive parts of a
// set of images (the same attacks, budgets and norm, and models of the
// same class count) into the report of the whole, its images in the
// parts' order: accuracies are counted back into images and divided by
// the images of all parts, per image results are concatenated, and a
// sanity check passes when it passed on every part (its Detail is that of
// the first part where it failed). Evaluating in parts shows progress and
// bounds memory; each image's result does not depend on the others'.
func Merge(parts ...*Report) (*Report, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("robustness: Merge: no reports: give the reports of the parts")
	}
	for k, p := range parts {
		if p == nil {
			return nil, fmt.Errorf("robustness: Merge: report %d is nil", k)
		}
	}
	first := parts[0]
	whole := &Report{
		Distance: first.Distance, Epsilons: slices.Clone(first.Epsilons), Attacks: slices.Clone(first.Attacks),
		RobustAccuracy: make([]float64, len(first.Epsilons)),
		AfterAttack:    make([][]float64, len(first.Attacks)),
		Robust:         make([][]bool, len(first.Epsilons)),
		FooledBy:       make([][]int, len(first.Epsilons)),
		Adversarials:   make([][]float32, len(first.Epsilons)),
	}
	for k := range whole.AfterAttack {
		whole.AfterAttack[k] = make([]float64, len(first.Epsilons))
	}
	whole.PerClass = make([]ClassReport, len(first.PerClass))
	for c := range whole.PerClass {
		whole.PerClass[c] = ClassReport{Class: c, RobustAccuracy: make([]float64, len(first.Epsilons))}
	}
	count := func(accuracy float64, n int) float64 { return math.Round(accuracy * float64(n)) }
	proven := first.Proven != nil
	for k, p := range parts {
		switch {
		case p.Distance != first.Distance || !slices.Equal(p.Epsilons, first.Epsilons) || !slices.Equal(p.Attacks, first.Attacks):
			return nil, fmt.Errorf("robustness: Merge: report %d ran %v at ε %v in %v, report 0 %v at ε %v in %v: merge parts of one evaluation",
				k, p.Attacks, p.Epsilons, p.Distance, first.Attacks, first.Epsilons, first.Distance)
		case len(p.PerClass) != len(first.PerClass):
			return nil, fmt.Errorf("robustness: Merge: report %d has %d classes, report 0 %d: merge parts of one model's evaluation", k, len(p.PerClass), len(first.PerClass))
		case (p.Proven != nil) != proven:
			return nil, fmt.Errorf("robustness: Merge: report %d and report 0 differ in certifying first: merge parts of one evaluation", k)
		}
		whole.N += p.N
		whole.CleanAccuracy += count(p.CleanAccuracy, p.N)
		for e := range p.Epsilons {
			whole.RobustAccuracy[e] += count(p.RobustAccuracy[e], p.N)
			for a := range p.Attacks {
				whole.AfterAttack[a][e] += count(p.AfterAttack[a][e], p.N)
			}
			whole.Robust[e] = append(whole.Robust[e], p.Robust[e]...)
			whole.FooledBy[e] = append(whole.FooledBy[e], p.FooledBy[e]...)
			whole.Adversarials[e] = append(whole.Adversarials[e], p.Adversarials[e]...)
		}
		if proven {
			if k == 0 {
				whole.Proven = make([][]bool, len(p.Epsilons))
			}
			for e := range p.Epsilons {
				whole.Proven[e] = append(whole.Proven[e], p.Proven[e]...)
			}
		}
		for c, pc := range p.PerClass {
			w := &whole.PerClass[c]
			w.N += pc.N
			w.CleanAccuracy += count(pc.CleanAccuracy, pc.N)
			for e := range pc.RobustAccuracy {
				w.RobustAccuracy[e] += count(pc.RobustAccuracy[e], pc.N)
			}
		}
		for _, ch := range p.Sanity {
			i := slices.IndexFunc(whole.Sanity, func(w Check) bool { return w.Name == ch.Name })
			switch {
			case i < 0:
				ch.Detail = partDetail(ch, k)
				whole.Sanity = append(whole.Sanity, ch)
			case !whole.Sanity[i].Failed() && ch.Failed():
				whole.Sanity[i] = Check{Name: ch.Name, Detail: partDetail(ch, k)}
			case whole.Sanity[i].Skipped && ch.Passed:
				// Run on this part, skipped on an earlier one.
				whole.Sanity[i] = ch
			}
		}
	}
	if len(parts) > 1 {
		for i, ch := range whole.Sanity {
			if ch.Passed {
				whole.Sanity[i].Detail = fmt.Sprintf("passed on each of the %d parts", len(parts))
			}
		}
	}
	if whole.N > 0 {
		n := float64(whole.N)
		whole.CleanAccuracy /= n
		for e := range whole.RobustAccuracy {
			whole.RobustAccuracy[e] /= n
			for a := range whole.AfterAttack {
				whole.AfterAttack[a][e] /= n
			}
		}
	}
	for c := range whole.PerClass {
		w := &whole.PerClass[c]
		if w.N > 0 {
			w.CleanAccuracy /= float64(w.N)
			for e := range w.RobustAccuracy {
				w.RobustAccuracy[e] /= float64(w.N)
			}
		}
	}
	return whole, nil
}

func partDetail(c Check, part int) string {
	if !c.Failed() {
		return c.Detail
	}
	return fmt.Sprintf("part %d: %s", part, c.Detail)
}
