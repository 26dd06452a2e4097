package attack

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/advmlgo/advml/pkg/classifier"
)

// Attack is an adversarial attack as Foolbox shapes one: a plain value
// holding its settings, run on a model, images, a criterion and budgets.
type Attack interface {
	// Run attacks images (flat, n×Pixels values in [0, 1]) of model m
	// under crit. epsilons are the budgets, in the attack's norm: a
	// fixed-budget attack runs once per budget and needs at least one; a
	// minimal attack searches once, without a budget, and clips its result
	// to each budget (with none, Result has one unbounded entry).
	Run(m classifier.Predictor, images []float32, crit Criterion, epsilons ...float64) (*Result, error)
	// Norm is the distance its budgets are measured in.
	Norm() Distance
	// String names the attack and its settings.
	String() string
}

// FixedEpsilon is an attack that stays within a budget ε in its norm (FGSM,
// PGD, APGD, ...). MinimalEpsilon turns one into a minimal attack.
type FixedEpsilon interface {
	Attack
	// budgeted attacks each image i within budgets[i].
	budgeted(c *call, budgets []float64) (outcome, error)
}

// outcome is what an attack's search produced, before clipping and the
// independent check.
type outcome struct {
	images  []float32 // The adversarials, flat.
	claimed []bool    // The attack's own verdicts.
	steps   []int     // Iterations per image, or nil.
	queries []int     // Model queries per image, or nil.
	// trajectories, for TargetedAscent.
	trajectories []Trajectory
}

// call is a validated attack call.
type call struct {
	m       classifier.Predictor
	g       classifier.Geometry
	n       int
	images  []float32
	crit    Criterion
	classes []int32 // crit.Classes() as int32.

	clean []float32 // The model's probabilities on images, n×classes; see cleanProbabilities.
}

// cleanProbabilities returns the model's probabilities on the call's
// images, n×classes flat, predicted once per call.
func (c *call) cleanProbabilities() ([]float32, error) {
	if c.clean == nil {
		var err error
		if c.clean, err = c.predictFlat(c.images); err != nil {
			return nil, err
		}
	}
	return c.clean, nil
}

// imageDims is the shape of one image in a loop's columns.
func (c *call) imageDims() []int { return []int{c.g.Rows, c.g.Cols, c.g.Channels} }

// movingAndZeros returns the state that most loops start from: a copy of
// the images, which the steps move, and a zero image per image (an
// accumulated perturbation or a momentum).
func (c *call) movingAndZeros() (x, zeros *values[float32]) {
	dims := c.imageDims()
	return newValues(append([]float32(nil), c.images...), dims...), newValues(make([]float32, len(c.images)), dims...)
}

func newCall(m classifier.Predictor, images []float32, crit Criterion) (*call, error) {
	if m == nil {
		return nil, fmt.Errorf("attack: the model is nil")
	}
	if crit == nil {
		return nil, fmt.Errorf("attack: the criterion is nil: use attack.Misclassification{Labels} or attack.TargetedMisclassification{Targets}")
	}
	g := m.Geometry()
	n, err := g.CheckImages(images)
	if err != nil {
		return nil, fmt.Errorf("attack: %w", err)
	}
	if err := crit.validate(n, g.Classes); err != nil {
		return nil, err
	}
	classes := make([]int32, n)
	for i, c := range crit.Classes() {
		classes[i] = int32(c)
	}
	return &call{m: m, g: g, n: n, images: images, crit: crit, classes: classes}, nil
}

// subset returns the call restricted to the images listed in indices (their
// clean probabilities too, once known).
func (c *call) subset(indices []int) *call {
	s := &call{m: c.m, g: c.g, n: len(indices), crit: c.crit, images: c.g.Select(c.images, indices), classes: classifier.Pick(c.classes, indices)}
	if c.clean != nil {
		// The clean probabilities are rows of Classes values: a 1×Classes
		// image each.
		rows := classifier.Geometry{Rows: 1, Cols: c.g.Classes, Channels: 1, Classes: c.g.Classes}
		s.clean = rows.Select(c.clean, indices)
	}
	s.crit = subsetCriterion{c.crit, indices}
	return s
}

// subsetCriterion is a criterion restricted to some of its images.
type subsetCriterion struct {
	Criterion
	indices []int
}

func (s subsetCriterion) IsAdversarial(i int, probabilities []float32) bool {
	return s.Criterion.IsAdversarial(s.indices[i], probabilities)
}

func (s subsetCriterion) Classes() []int { return classifier.Pick(s.Criterion.Classes(), s.indices) }

func (s subsetCriterion) TrueLabels() []int {
	return classifier.Pick(s.Criterion.TrueLabels(), s.indices)
}

// judge predicts images (flat, one per image of the call) with a forward
// pass of its own and returns the probabilities, n×classes flat, and
// whether each image meets the criterion.
func (c *call) judge(images []float32) (probs []float32, success []bool, err error) {
	if probs, err = c.predictFlat(images); err != nil {
		return nil, nil, err
	}
	k := c.g.Classes
	success = make([]bool, c.n)
	for i := range success {
		success[i] = c.crit.IsAdversarial(i, probs[i*k:(i+1)*k])
	}
	return probs, success, nil
}

// differentiable returns the call's model as a Differentiable, or an error
// naming the attack that needs gradients.
func (c *call) differentiable(attack string) (classifier.Differentiable, error) {
	d, ok := c.m.(classifier.Differentiable)
	if !ok {
		return nil, fmt.Errorf("attack: %s needs gradients: the model (%T) gives only predictions; give a classifier.Differentiable, or use a black-box attack", attack, c.m)
	}
	return d, nil
}

// checkEpsilons validates budgets given by the user.
func checkEpsilons(epsilons []float64) error {
	for _, eps := range epsilons {
		if !(eps >= 0) || math.IsInf(eps, 0) {
			return fmt.Errorf("attack: ε %g is not a budget: use a finite number ≥ 0 (run a minimal attack without ε for an unbounded search)", eps)
		}
	}
	return nil
}

// runFixed is Run of a fixed-budget attack: one run per budget.
func runFixed(a FixedEpsilon, m classifier.Predictor, images []float32, crit Criterion, epsilons []float64) (*Result, error) {
	if len(epsilons) == 0 {
		return nil, fmt.Errorf("attack: %s is a fixed-budget attack: give at least one ε", a)
	}
	if err := checkEpsilons(epsilons); err != nil {
		return nil, err
	}
	c, err := newCall(m, images, crit)
	if err != nil {
		return nil, err
	}
	outs := make([]outcome, len(epsilons))
	for e, eps := range epsilons {
		budgets := make([]float64, c.n)
		for i := range budgets {
			budgets[i] = eps
		}
		if outs[e], err = a.budgeted(c, budgets); err != nil {
			return nil, err
		}
	}
	r, err := c.finish(a.String(), a.Norm(), epsilons, outs)
	if r != nil {
		r.Budgeted = true
	}
	return r, err
}

// runMinimal is Run of a minimal attack: one search, clipped to each budget.
func runMinimal(a Attack, m classifier.Predictor, images []float32, crit Criterion, epsilons []float64,
	search func(c *call) (outcome, error)) (*Result, error) {
	if err := checkEpsilons(epsilons); err != nil {
		return nil, err
	}
	c, err := newCall(m, images, crit)
	if err != nil {
		return nil, err
	}
	if len(epsilons) == 0 {
		epsilons = unbounded
	}
	out, err := search(c)
	if err != nil {
		return nil, err
	}
	outs := make([]outcome, len(epsilons))
	for e := range outs {
		outs[e] = out
	}
	return c.finish(a.String(), a.Norm(), epsilons, outs)
}

// finish clips each outcome into its budget and judges the clipped images
// with a forward pass of its own.
func (c *call) finish(name string, d Distance, epsilons []float64, outs []outcome) (*Result, error) {
	clean, err := c.cleanProbabilities()
	if err != nil {
		return nil, err
	}
	r := &Result{Attack: name, Distance: d, Geometry: c.g, Criterion: c.crit, Originals: c.images, Clean: clean, Epsilons: epsilons}
	for e, eps := range epsilons {
		out := outs[e]
		clipped := out.images
		if !math.IsInf(eps, 1) {
			clipped = make([]float32, 0, len(out.images))
			for i := range c.n {
				clipped = append(clipped, d.Clip(c.g.Image(c.images, i), c.g.Image(out.images, i), eps)...)
			}
		}
		probs, success, err := c.judge(clipped)
		if err != nil {
			return nil, fmt.Errorf("attack: judging the adversarials clipped to ε=%g: %w", eps, err)
		}
		r.Raw, r.Clipped = append(r.Raw, out.images), append(r.Clipped, clipped)
		r.Success, r.Claimed = append(r.Success, success), append(r.Claimed, out.claimed)
		r.Probabilities = append(r.Probabilities, probs)
		if out.steps != nil {
			if r.Steps == nil {
				r.Steps = make([][]int, len(epsilons))
			}
			r.Steps[e] = out.steps
		}
		if out.queries != nil {
			if r.Queries == nil {
				r.Queries = make([][]int, len(epsilons))
			}
			r.Queries[e] = out.queries
		}
		r.Trajectories = out.trajectories
	}
	return r, nil
}

// predictFlat returns the model's probabilities on images, n×classes flat.
func (c *call) predictFlat(images []float32) ([]float32, error) {
	rows, err := c.m.Predict(images)
	if err != nil {
		return nil, err
	}
	flat := make([]float32, 0, len(rows)*c.g.Classes)
	for _, row := range rows {
		flat = append(flat, row...)
	}
	return flat, nil
}

// newRand returns the random source of an attack run: the same seed gives
// the same numbers.
func newRand(seed int64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), 0xad7e85a1))
}

// randomStart returns images moved to a uniformly random point of the ball
// of radius budgets[i] in d (L∞ or L2) around each image, clipped into
// [0, 1], as Foolbox's PGD starts.
func randomStart(c *call, budgets []float64, d Distance, rng *rand.Rand) []float32 {
	p := c.g.Pixels()
	out := make([]float32, len(c.images))
	noise := make([]float64, p+2)
	for i := range c.n {
		eps := budgets[i]
		switch d {
		case Linf:
			for j := range p {
				noise[j] = eps * (2*rng.Float64() - 1)
			}
		default:
			// Uniform in the L2 ball: the first p coordinates of a random
			// direction in p+2 dimensions (Voelker et al.).
			var sum float64
			for j := range noise {
				noise[j] = rng.NormFloat64()
				sum += noise[j] * noise[j]
			}
			scale := eps / math.Sqrt(sum)
			for j := range noise {
				noise[j] *= scale
			}
		}
		for j := range p {
			v := float64(c.images[i*p+j]) + noise[j]
			out[i*p+j] = float32(min(max(v, 0), 1))
		}
	}
	return out
}

// float32s converts budgets for a graph input.
func float32s(xs []float64) []float32 {
	out := make([]float32, len(xs))
	for i, x := range xs {
		out[i] = float32(x)
	}
	return out
}
