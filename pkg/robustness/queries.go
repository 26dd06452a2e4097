package robustness

import (
	"fmt"
	"image"
	"maps"
	"math"
	"slices"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/plots"
	"github.com/advmlgo/advml/pkg/stats"
)

// QueryPoint is a black-box attack's outcome at one query budget.
type QueryPoint struct {
	Queries     int     // The budget per image.
	SuccessRate float64 // Fraction of the images fooled.
	// MedianDistance is the median distance, in the curve's norm, of the
	// adversarials found (NaN when none was).
	MedianDistance float64
}

// QueryCurve runs the attack that withBudget returns for each budget of
// queries (a black-box attack with that MaxQueries and a fixed seed) on
// images under crit and measures what it found in d: how the distance an
// attacker reaches, or its success, changes with the queries it may ask.
// A minimal attack (HopSkipJump, SimBA) runs unbounded; a fixed-budget
// attack (Square) needs its budget ε, given as the one optional eps, and
// a minimal attack given eps has its result clipped to it.
func QueryCurve(m classifier.Predictor, images []float32, crit attack.Criterion, d attack.Distance,
	budgets []int, withBudget func(queries int) attack.Attack, eps ...float64) ([]QueryPoint, error) {
	if len(budgets) == 0 {
		return nil, fmt.Errorf("robustness: QueryCurve: no budgets: give at least one number of queries")
	}
	if len(eps) > 1 {
		return nil, fmt.Errorf("robustness: QueryCurve: %d budgets ε %v: give at most one (a curve per ε)", len(eps), eps)
	}
	var points []QueryPoint
	for _, q := range budgets {
		a := withBudget(q)
		if a == nil {
			return nil, fmt.Errorf("robustness: QueryCurve: withBudget(%d) returned no attack", q)
		}
		if _, fixed := a.(attack.FixedEpsilon); fixed && len(eps) == 0 {
			return nil, fmt.Errorf("robustness: QueryCurve: %v is a fixed-budget attack: give its ε as QueryCurve's last argument", a)
		}
		res, err := a.Run(m, images, crit, eps...)
		if err != nil {
			return nil, fmt.Errorf("robustness: QueryCurve at %d queries: %w", q, err)
		}
		var found []float64
		distances := res.Distances(0, d)
		for i, ok := range res.Success[0] {
			if ok {
				found = append(found, distances[i])
			}
		}
		p := QueryPoint{Queries: q, SuccessRate: res.SuccessRate(0), MedianDistance: math.NaN()}
		if len(found) > 0 {
			p.MedianDistance = stats.Median(found)
		}
		points = append(points, p)
	}
	return points, nil
}

// QueryChart draws query curves (median distance against queries, the
// queries on a log₂ axis), one line per name, with each of references (a
// white-box attack's median distance, say) as a flat line.
func QueryChart(d attack.Distance, names []string, curves [][]QueryPoint, references map[string]float64) (image.Image, error) {
	if len(names) != len(curves) {
		return nil, fmt.Errorf("robustness: QueryChart: %d names for %d curves", len(names), len(curves))
	}
	var series []plots.Series
	lo, hi := math.Inf(1), math.Inf(-1)
	for k, curve := range curves {
		s := plots.Series{Name: names[k]}
		for _, p := range curve {
			if math.IsNaN(p.MedianDistance) {
				continue
			}
			x := math.Log2(float64(p.Queries))
			s.X, s.Y = append(s.X, x), append(s.Y, p.MedianDistance)
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
		series = append(series, s)
	}
	for _, name := range slices.Sorted(maps.Keys(references)) {
		v := references[name]
		series = append(series, plots.Series{Name: name, X: []float64{lo, hi}, Y: []float64{v, v}})
	}
	return plots.LineChart{Title: fmt.Sprintf("median %v distance found against queries", d),
		XLabel: "log₂ queries per image", YLabel: "median " + d.String()}.Render(series...)
}

// String gives the point as "800 queries: 1.23 (100%)": the budget, the
// median distance and the success rate.
func (p QueryPoint) String() string {
	return fmt.Sprintf("%d queries: %.3g (%.0f%%)", p.Queries, p.MedianDistance, 100*p.SuccessRate)
}
