package robustness

import (
	"fmt"
	"math"
	"strings"
)

// Table returns the report as text: robust accuracy per budget, after each
// attack and in the worst case, the certified accuracy when bounds proved
// images (EvaluateCertified), then the sanity checks.
func (r *Report) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d images, clean accuracy %.1f%%; robust accuracy (%%) by %v budget:\n", r.N, 100*r.CleanAccuracy, r.Distance)
	fmt.Fprintf(&b, "%-44s", "ε")
	for _, eps := range r.Epsilons {
		fmt.Fprintf(&b, " %6.3g", eps)
	}
	b.WriteString("\n")
	for k, name := range r.Attacks {
		label := "after " + name
		if len(r.Attacks) == 1 {
			label = name
		}
		fmt.Fprintf(&b, "%-44.44s", label)
		for _, acc := range r.AfterAttack[k] {
			fmt.Fprintf(&b, " %6.1f", 100*acc)
		}
		b.WriteString("\n")
	}
	if len(r.Attacks) > 1 {
		fmt.Fprintf(&b, "%-44s", "worst case over the attacks")
		for _, acc := range r.RobustAccuracy {
			fmt.Fprintf(&b, " %6.1f", 100*acc)
		}
		b.WriteString("\n")
	}
	if len(r.Proven) == len(r.Epsilons) && len(r.Proven) > 0 {
		fmt.Fprintf(&b, "%-44s", "certified by bounds (a lower bound)")
		for _, proven := range r.Proven {
			fmt.Fprintf(&b, " %6.1f", 100*fraction(proven))
		}
		b.WriteString("\n")
	}
	b.WriteString("sanity checks:\n")
	for _, c := range r.Sanity {
		fmt.Fprintf(&b, "  %v\n", c)
	}
	return b.String()
}

// ClassTable returns the per-class breakdown as text: per true class, the
// number of images, the clean accuracy and the robust accuracy per budget.
func (r *Report) ClassTable() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-6s %6s %7s", "class", "images", "clean")
	for _, eps := range r.Epsilons {
		fmt.Fprintf(&b, " %6s", fmt.Sprintf("ε=%.3g", eps))
	}
	b.WriteString("\n")
	for _, c := range r.PerClass {
		fmt.Fprintf(&b, "%-6d %6d %6.1f%%", c.Class, c.N, 100*c.CleanAccuracy)
		for _, acc := range c.RobustAccuracy {
			fmt.Fprintf(&b, " %5.1f%%", 100*acc)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// PerturbationTable returns minimal-perturbation summaries as text, one
// line per attack: success rate, quartiles and median of the distances.
func PerturbationTable(stats []Perturbations) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-52s %4s %8s %7s %7s %7s\n", "attack", "norm", "success", "Q1", "median", "Q3")
	for _, s := range stats {
		fmt.Fprintf(&b, "%-52.52s %4v %7.1f%% %7s %7s %7s\n", s.Attack, s.Distance, 100*s.SuccessRate, number(s.Q1), number(s.Median), number(s.Q3))
	}
	return b.String()
}

func number(x float64) string {
	if math.IsInf(x, 1) {
		return "∞"
	}
	return fmt.Sprintf("%.3g", x)
}
