package boundary

import (
	"fmt"
	"math"
	"slices"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/stats"
)

// Map is a classifier's boundary map: for every (source, target) pair of
// classes, how far digits of the source lie from the region the model gives
// the target, measured as the smallest perturbation a targeted minimal
// attack finds.
type Map struct {
	Attack   string // The targeted minimal attack that measured it.
	Classes  int
	PerClass int // Digits per source class.
	// Sources[s] are the indices, in the split given to Build, of the
	// digits of class s that were attacked (the first PerClass the model
	// classifies right).
	Sources [][]int
	// L2[s][t][k] and Linf[s][t][k] are the distances from digit k of class
	// s to its adversarial in class t, +Inf where the attack failed; nil for
	// s == t.
	L2, Linf [][][]float64
	// Examples[s][t] is the first digit of class s pushed into class t (the
	// digit itself when s == t, or when the attack failed).
	Examples [][][]float32
}

// Pair is a (source, target) pair of the map with its median distance.
type Pair struct {
	Source, Target int
	Median         float64
}

// MapAttack is the attack the notebooks build the map with: Carlini and
// Wagner's L2 attack (targeted, minimal) with fewer steps than its
// defaults, 3 binary-search steps of up to 150 Adam steps of 0.1 from c =
// 0.3, so that 20 digits per class (1,800 targeted attacks) take about a
// minute on two cores. On the article's model (20 digits per class) its
// best, average and worst distortions came within 6% of those of a
// 4×200-step setting that took 1.7 times as long, and below those of a
// binary search over PGD's L2 budget.
func MapAttack() *attack.CarliniWagner {
	return &attack.CarliniWagner{BinarySearchSteps: 3, Steps: 150, StepSize: 0.1, InitialConst: 0.3}
}

// Build attacks, for every ordered pair of classes, the first perClass
// digits of each class (of images, flat, with labels) that m classifies
// right, towards each other class, with a, a minimal attack that takes a
// TargetedMisclassification (attack.NewCarliniWagner, a
// MinimalEpsilon, the article's TargetedAscent). All the pairs run as one
// batch.
func Build(m classifier.Predictor, images []float32, labels []int, perClass int, a attack.Attack) (*Map, error) {
	g := m.Geometry()
	if _, err := g.CheckLabeled(images, labels); err != nil {
		return nil, fmt.Errorf("boundary: %w", err)
	}
	if perClass < 1 {
		return nil, fmt.Errorf("boundary: %d digits per class: use at least 1", perClass)
	}
	classes, _, err := classifier.Classify(m, images)
	if err != nil {
		return nil, fmt.Errorf("boundary: %w", err)
	}
	k := g.Classes
	mp := &Map{Attack: a.String(), Classes: k, PerClass: perClass, Sources: make([][]int, k)}
	for i, l := range labels {
		if l >= 0 && l < k && classes[i] == l && len(mp.Sources[l]) < perClass {
			mp.Sources[l] = append(mp.Sources[l], i)
		}
	}
	for s, digits := range mp.Sources {
		if len(digits) < perClass {
			return nil, fmt.Errorf("boundary: only %d digits of class %d are classified right: give more images or ask for fewer per class", len(digits), s)
		}
	}
	// One batch: every digit towards every other class.
	var batch []float32
	var crit attack.TargetedMisclassification
	for s, digits := range mp.Sources {
		for _, i := range digits {
			for t := range k {
				if t != s {
					batch = append(batch, g.Image(images, i)...)
					crit.Targets, crit.Labels = append(crit.Targets, t), append(crit.Labels, s)
				}
			}
		}
	}
	res, err := a.Run(m, batch, crit)
	if err != nil {
		return nil, fmt.Errorf("boundary: %w", err)
	}
	l2, linf := res.Distances(0, attack.L2), res.Distances(0, attack.Linf)
	mp.L2, mp.Linf, mp.Examples = grid[[]float64](k), grid[[]float64](k), grid[[]float32](k)
	row := 0
	for s, digits := range mp.Sources {
		mp.Examples[s][s] = g.Image(images, digits[0])
		for d := range digits {
			for t := range k {
				if t == s {
					continue
				}
				a, b := l2[row], linf[row]
				if !res.Success[0][row] {
					a, b = math.Inf(1), math.Inf(1)
				}
				mp.L2[s][t], mp.Linf[s][t] = append(mp.L2[s][t], a), append(mp.Linf[s][t], b)
				if d == 0 {
					mp.Examples[s][t] = g.Image(res.Clipped[0], row)
					if !res.Success[0][row] {
						mp.Examples[s][t] = g.Image(images, digits[0])
					}
				}
				row++
			}
		}
	}
	return mp, nil
}

func grid[T any](k int) [][]T {
	g := make([][]T, k)
	for i := range g {
		g[i] = make([]T, k)
	}
	return g
}

// distances returns L2 or Linf by norm.
func (mp *Map) distances(d attack.Distance) ([][][]float64, error) {
	switch d {
	case attack.L2:
		return mp.L2, nil
	case attack.Linf:
		return mp.Linf, nil
	}
	return nil, fmt.Errorf("boundary: the map measures L2 and L∞, not %v", d)
}

// Medians returns the median distance of each pair in d (L2 or Linf), NaN
// on the diagonal; failures count as +Inf.
func (mp *Map) Medians(d attack.Distance) ([][]float64, error) {
	dist, err := mp.distances(d)
	if err != nil {
		return nil, err
	}
	out := grid[float64](mp.Classes)
	for s := range out {
		for t := range out[s] {
			out[s][t] = math.NaN()
			if s != t {
				out[s][t] = stats.Median(dist[s][t])
			}
		}
	}
	return out, nil
}

// Ranked returns the pairs from the easiest (smallest median distance in
// d) to the hardest.
func (mp *Map) Ranked(d attack.Distance) ([]Pair, error) {
	medians, err := mp.Medians(d)
	if err != nil {
		return nil, err
	}
	var pairs []Pair
	for s := range medians {
		for t := range medians[s] {
			if s != t {
				pairs = append(pairs, Pair{s, t, medians[s][t]})
			}
		}
	}
	slices.SortStableFunc(pairs, func(a, b Pair) int {
		if a.Median < b.Median {
			return -1
		}
		if a.Median > b.Median {
			return 1
		}
		return 0
	})
	return pairs, nil
}

// Distortion is Carlini and Wagner's summary of targeted attacks (their
// Table IV): per digit, the smallest, mean and largest distance over its
// targets, each averaged over the digits, with the share of (digit, target)
// pairs the attack fooled. Digits with a failed target count in Best but
// not in Average and Worst.
type Distortion struct {
	Best, Average, Worst float64
	SuccessRate          float64
}

// TableIV returns the map's distortion in d (L2 or Linf).
func (mp *Map) TableIV(d attack.Distance) (Distortion, error) {
	dist, err := mp.distances(d)
	if err != nil {
		return Distortion{}, err
	}
	var best, mean, worst []float64
	fooled, total := 0, 0
	for s := range dist {
		for k := range mp.Sources[s] {
			lo, hi, sum, ok := math.Inf(1), 0.0, 0.0, true
			for t := range dist[s] {
				if t == s {
					continue
				}
				v := dist[s][t][k]
				total++
				if math.IsInf(v, 1) {
					ok = false
					continue
				}
				fooled++
				lo, hi, sum = math.Min(lo, v), math.Max(hi, v), sum+v
			}
			if !math.IsInf(lo, 1) {
				best = append(best, lo)
			}
			if ok {
				mean, worst = append(mean, sum/float64(mp.Classes-1)), append(worst, hi)
			}
		}
	}
	return Distortion{Best: average(best), Average: average(mean), Worst: average(worst), SuccessRate: float64(fooled) / float64(total)}, nil
}

func average(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}
