package robustness

import (
	"fmt"
	"math"
	"slices"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/stats"
)

// Report is a robustness evaluation: clean accuracy, and for each budget the
// robust accuracy under the attacks, taken per image as the worst case
// (AutoAttack's rule: an image counts as robust only if the model classifies
// it right and no attack fools it).
type Report struct {
	Distance      attack.Distance
	Epsilons      []float64
	Attacks       []string // The attacks, in the order they ran.
	N             int      // Images evaluated.
	CleanAccuracy float64
	// RobustAccuracy[e] is the worst-case robust accuracy at Epsilons[e].
	RobustAccuracy []float64
	// AfterAttack[k][e] is the robust accuracy at Epsilons[e] once attacks
	// 0..k have run: how much each attack adds to the ensemble.
	AfterAttack [][]float64
	// Robust[e][i] tells whether image i resisted every attack at Epsilons[e].
	Robust [][]bool
	// FooledBy[e][i] is the index of the attack that first fooled image i at
	// Epsilons[e], -1 if none did (or the image was misclassified already).
	FooledBy [][]int
	// Adversarials[e] holds, per image, the adversarial that fooled it at
	// Epsilons[e], or the image itself: flat.
	Adversarials [][]float32
	PerClass     []ClassReport
	Sanity       []Check
	// Proven[e][i] tells whether bounds certified image i at Epsilons[e],
	// so that no attack ran on it (AutoAttackCertified); nil otherwise.
	Proven [][]bool
}

// ClassReport is the evaluation restricted to the images of one true class.
type ClassReport struct {
	Class          int
	N              int
	CleanAccuracy  float64
	RobustAccuracy []float64 // Per budget.
}

// Evaluate measures m's robustness on images (flat) with their labels under
// attacks, at each budget of epsilons. Every attack must measure its budget
// in the same norm. At each budget the attacks run in turn, each on the
// images that resisted those before it, so the ensemble's cost falls as it
// goes. A minimal attack (one that is not attack.FixedEpsilon) searches
// once per image for all the budgets, its result clipped to each. The
// sanity checks run alongside (see Check).
func Evaluate(m classifier.Predictor, images []float32, labels []int, attacks []attack.Attack, epsilons ...float64) (*Report, error) {
	return evaluate(m, images, labels, attacks, nil, epsilons...)
}

// evaluate is Evaluate; where proven is not nil, proven(eps) tells which
// images bounds certify at eps: they count as robust, and no attack runs
// on them.
func evaluate(m classifier.Predictor, images []float32, labels []int, attacks []attack.Attack, proven func(eps float64) ([]bool, error), epsilons ...float64) (*Report, error) {
	if len(attacks) == 0 {
		return nil, fmt.Errorf("robustness: no attacks: give at least one, e.g. attack.NewPGD(attack.Linf)")
	}
	if len(epsilons) == 0 {
		return nil, fmt.Errorf("robustness: no budgets: give at least one ε")
	}
	g := m.Geometry()
	n, err := g.CheckLabeled(images, labels)
	if err != nil {
		return nil, fmt.Errorf("robustness: %w", err)
	}
	r := &Report{Distance: attacks[0].Norm(), Epsilons: epsilons, N: n}
	for k, a := range attacks {
		if d := a.Norm(); d != r.Distance {
			return nil, fmt.Errorf("robustness: attack %d (%v) measures budgets in %v, attack 0 in %v: evaluate one norm at a time", k, a, d, r.Distance)
		}
		r.Attacks = append(r.Attacks, a.String())
	}
	classes, _, err := classifier.Classify(m, images)
	if err != nil {
		return nil, fmt.Errorf("robustness: %w", err)
	}
	correct := make([]bool, n)
	for i := range correct {
		correct[i] = classes[i] == labels[i]
	}
	r.CleanAccuracy = fraction(correct)
	r.AfterAttack = make([][]float64, len(attacks))
	for k := range r.AfterAttack {
		r.AfterAttack[k] = make([]float64, len(epsilons))
	}
	agreement := &agreementCheck{}
	robust := make([][]bool, len(epsilons))
	fooledBy := make([][]int, len(epsilons))
	adversarials := make([][]float32, len(epsilons))
	certified := make([][]bool, len(epsilons))
	for e, eps := range epsilons {
		robust[e], fooledBy[e], adversarials[e], certified[e] = slices.Clone(correct), make([]int, n), slices.Clone(images), make([]bool, n)
		for i := range fooledBy[e] {
			fooledBy[e][i] = -1
		}
		if proven != nil {
			if certified[e], err = proven(eps); err != nil {
				return nil, fmt.Errorf("robustness: %w", err)
			}
			r.Proven = append(r.Proven, certified[e])
		}
	}
	// open tells whether image i is still to be attacked at budget e.
	open := func(e, i int) bool { return robust[e][i] && !certified[e][i] }
	// fooled records what res (at its budget index re) did, at budget e,
	// to the images of indices (res's images, in order) still open there.
	fooled := func(k, e int, res *attack.Result, re int, indices []int) {
		for j, i := range indices {
			if open(e, i) && res.Success[re][j] {
				robust[e][i], fooledBy[e][i] = false, k
				copy(g.Image(adversarials[e], i), g.Image(res.Clipped[re], j))
			}
		}
	}
	for k, a := range attacks {
		if _, fixed := a.(attack.FixedEpsilon); fixed {
			// A fixed-budget attack searches within each budget apart.
			for e, eps := range epsilons {
				var indices []int
				for i := range n {
					if open(e, i) {
						indices = append(indices, i)
					}
				}
				if len(indices) > 0 {
					sub, subLabels := pick(g, images, labels, indices)
					res, err := a.Run(m, sub, attack.Misclassification{Labels: subLabels}, eps)
					if err != nil {
						return nil, fmt.Errorf("robustness: %v at ε=%g: %w", a, eps, err)
					}
					agreement.add(res)
					fooled(k, e, res, 0, indices)
				}
			}
		} else {
			// A minimal attack searches once per image, without a budget,
			// and its one result is clipped to every budget: it runs on the
			// images open at any budget, and each budget takes the images
			// open there.
			var union []int
			for i := range n {
				for e := range epsilons {
					if open(e, i) {
						union = append(union, i)
						break
					}
				}
			}
			if len(union) > 0 {
				sub, subLabels := pick(g, images, labels, union)
				res, err := a.Run(m, sub, attack.Misclassification{Labels: subLabels}, epsilons...)
				if err != nil {
					return nil, fmt.Errorf("robustness: %v at ε=%v: %w", a, epsilons, err)
				}
				agreement.add(res)
				for e := range epsilons {
					fooled(k, e, res, e, union)
				}
			}
		}
		for e := range epsilons {
			r.AfterAttack[k][e] = fraction(robust[e])
		}
	}
	r.Robust, r.FooledBy, r.Adversarials = robust, fooledBy, adversarials
	for e := range epsilons {
		r.RobustAccuracy = append(r.RobustAccuracy, fraction(robust[e]))
	}
	r.PerClass = perClass(labels, correct, r.Robust, g.Classes)
	r.Sanity, err = sanityChecks(m, images, labels, r, agreement)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// MissedBy counts the images that resisted every attack of the report at
// res's budget but that res fooled: res must be another attack's result,
// at one budget that is among the report's, on the report's first res.N()
// images. It is the check against masked gradients: a gradient attack that
// leaves images a black-box attack fools was misled by the model's
// gradients, not stopped by its robustness.
func (r *Report) MissedBy(res *attack.Result) (int, error) {
	switch {
	case res == nil:
		return 0, fmt.Errorf("robustness: MissedBy(nil): give the result of an attack's Run")
	case len(res.Epsilons) != 1:
		return 0, fmt.Errorf("robustness: MissedBy: the result holds %d budgets %v: run the attack at one of the report's, %v", len(res.Epsilons), res.Epsilons, r.Epsilons)
	case res.Distance != r.Distance:
		return 0, fmt.Errorf("robustness: MissedBy: the result measures its budget in %v, the report in %v: compare one norm", res.Distance, r.Distance)
	case res.N() > r.N:
		return 0, fmt.Errorf("robustness: MissedBy: the result covers %d images, the report %d: attack at most the report's images", res.N(), r.N)
	}
	e := slices.Index(r.Epsilons, res.Epsilons[0])
	if e < 0 {
		return 0, fmt.Errorf("robustness: MissedBy: the result's budget %g is not among the report's %v: run the attack at one of them", res.Epsilons[0], r.Epsilons)
	}
	missed := 0
	for i, resisted := range r.Robust[e][:res.N()] {
		if resisted && res.Success[0][i] {
			missed++
		}
	}
	return missed, nil
}

// SideBySide runs each attack on the same images, untargeted:
// fixed-budget attacks within eps, minimal attacks unbounded. Its results
// are what Gallery draws.
func SideBySide(m classifier.Predictor, images []float32, labels []int, eps float64, attacks ...attack.Attack) ([]*attack.Result, error) {
	var results []*attack.Result
	for _, a := range attacks {
		var budgets []float64
		if _, fixed := a.(attack.FixedEpsilon); fixed {
			budgets = []float64{eps}
		}
		res, err := a.Run(m, images, attack.Misclassification{Labels: labels}, budgets...)
		if err != nil {
			return nil, fmt.Errorf("robustness: %v: %w", a, err)
		}
		results = append(results, res)
	}
	return results, nil
}

// pick returns the images and labels listed in indices.
func pick(g classifier.Geometry, images []float32, labels []int, indices []int) ([]float32, []int) {
	return g.Select(images, indices), classifier.Pick(labels, indices)
}

func fraction(flags []bool) float64 {
	if len(flags) == 0 {
		return 0
	}
	n := 0
	for _, f := range flags {
		if f {
			n++
		}
	}
	return float64(n) / float64(len(flags))
}

func perClass(labels []int, correct []bool, robust [][]bool, numClasses int) []ClassReport {
	out := make([]ClassReport, numClasses)
	for c := range out {
		out[c] = ClassReport{Class: c, RobustAccuracy: make([]float64, len(robust))}
	}
	for i, l := range labels {
		out[l].N++
		if correct[i] {
			out[l].CleanAccuracy++
		}
		for e := range robust {
			if robust[e][i] {
				out[l].RobustAccuracy[e]++
			}
		}
	}
	for c := range out {
		if n := float64(out[c].N); n > 0 {
			out[c].CleanAccuracy /= n
			for e := range out[c].RobustAccuracy {
				out[c].RobustAccuracy[e] /= n
			}
		}
	}
	return out
}

// Perturbations sums up the minimal perturbations an attack found, in one
// norm: the quartiles are over every image, those never fooled counting as
// +Inf; images misclassified from the start count with distance 0.
type Perturbations struct {
	Attack      string
	Distance    attack.Distance
	N           int
	SuccessRate float64
	Q1, Median  float64
	Q3          float64
	Distances   []float64 // Per image; +Inf where the attack failed.
}

// MinimalPerturbations runs each minimal attack (without budget) on images
// and sums up the distances of its adversarials in d. The results are
// returned too, for galleries.
func MinimalPerturbations(m classifier.Predictor, images []float32, labels []int, attacks []attack.Attack, d attack.Distance) ([]Perturbations, []*attack.Result, error) {
	var out []Perturbations
	var results []*attack.Result
	for _, a := range attacks {
		res, err := a.Run(m, images, attack.Misclassification{Labels: labels})
		if err != nil {
			return nil, nil, fmt.Errorf("robustness: %v: %w", a, err)
		}
		distances := res.Distances(0, d)
		for i, ok := range res.Success[0] {
			if !ok {
				distances[i] = math.Inf(1)
			}
		}
		p := Perturbations{Attack: a.String(), Distance: d, N: res.N(), SuccessRate: res.SuccessRate(0), Distances: distances}
		p.Q1, p.Median, p.Q3 = stats.Quantile(distances, 0.25), stats.Median(distances), stats.Quantile(distances, 0.75)
		out, results = append(out, p), append(results, res)
	}
	return out, results, nil
}
