package experiment

import (
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/stats"
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
		MedianSteps:      stats.Median(steps),
		MedianLinf:       round4(stats.Median(linf)),
		MedianL2:         round4(stats.Median(l2)),
		MedianConfidence: round4(stats.Median(conf)),
	}
}

func round4(x float64) float64 { return float64(int64(x*1e4+0.5)) / 1e4 }
