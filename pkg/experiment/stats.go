package experiment

import (
	"slices"

	"github.com/advmlgo/advml/pkg/attack"
)

// Stats sum up an attack over many pairs. Medians are over all pairs: a
// pair that hit the step limit counts with its state at the limit.
type Stats struct {
	N                int     `json:"n"`
	SuccessRate      float64 `json:"success_rate"`
	MedianSteps      float64 `json:"median_steps"`
	MedianLinf       float64 `json:"median_linf"`
	MedianL2         float64 `json:"median_l2"`
	MedianConfidence float64 `json:"median_confidence"` // In the final prediction.
}

// Summarize computes Stats of an attack's adversarials for its first budget
// (the unbounded one of a minimal attack run without budgets).
func Summarize(res *attack.Result) Stats {
	n := res.N()
	steps, linf, l2, conf := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		a := res.Adversarial(0, i)
		steps[i], linf[i], l2[i], conf[i] = float64(a.Steps), a.Linf, a.L2, float64(a.Confidence)
	}
	return Stats{
		N:                n,
		SuccessRate:      res.SuccessRate(0),
		MedianSteps:      Median(steps),
		MedianLinf:       round4(Median(linf)),
		MedianL2:         round4(Median(l2)),
		MedianConfidence: round4(Median(conf)),
	}
}

// Median returns the median of values (the mean of the two middle ones for
// an even count; 0 for none). values is not modified.
func Median(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	s := slices.Clone(values)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return (s[mid-1] + s[mid]) / 2
}

func round4(x float64) float64 { return float64(int64(x*1e4+0.5)) / 1e4 }
