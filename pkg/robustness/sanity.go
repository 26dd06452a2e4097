package robustness

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/classifier"
)

// Check is one sanity check of an evaluation, in the spirit of AutoAttack's:
// a failed check says the robust accuracy should not be trusted as it
// stands (a broken attack, a model that hides its gradients, outputs that
// are not logits, a model that changes between calls).
type Check struct {
	Name   string
	Passed bool
	// Skipped tells that the check could not run (a model that gives
	// predictions only has no gradients to look at): neither passed nor
	// failed, and Detail says why.
	Skipped bool
	Detail  string
}

// Failed tells whether the check ran and failed.
func (c Check) Failed() bool { return !c.Passed && !c.Skipped }

// String is one line: "✓ name: detail", "✗ name: detail", or
// "– name: skipped: detail".
func (c Check) String() string {
	switch {
	case c.Skipped:
		return fmt.Sprintf("– %s: skipped: %s", c.Name, c.Detail)
	case c.Passed:
		return fmt.Sprintf("✓ %s: %s", c.Name, c.Detail)
	}
	return fmt.Sprintf("✗ %s: %s", c.Name, c.Detail)
}

// Thresholds of the checks.
const (
	// maxZeroGradientShare is the largest share of images whose loss
	// gradient may vanish entirely before the check fails.
	maxZeroGradientShare = 0.01
	// maxProbabilityRowShare is the largest share of Logits rows that may
	// look like probabilities (in [0, 1], summing to 1 within
	// probabilitySumTolerance): scores before a softmax almost never do, so
	// a model past this share returns probabilities, whatever a few rows
	// (rounding, a clipped output) look like.
	maxProbabilityRowShare  = 0.01
	probabilitySumTolerance = 1e-3
	// budgetTolerance allows float32 rounding in the budget check.
	budgetTolerance = 1e-5
)

// agreementCheck gathers, over every attack run of an evaluation, whether
// the attacks' own verdicts agree with re-prediction, whether their
// adversarials stay within budget and in [0, 1].
type agreementCheck struct {
	judged, agree  int
	unclaimed      int // Verdicts an attack's result did not give (no Claimed).
	outsideBudget  int
	worstExcess    float64
	outsideBounds  int
	adversarialMin float64
	adversarialMax float64
	seen           bool
}

func (a *agreementCheck) add(res *attack.Result) {
	g := res.Geometry
	for e, eps := range res.Epsilons {
		for i := range res.N() {
			// The verdict is on Raw; Success judges Clipped. They are the
			// same image unless a minimal attack's search went beyond the
			// budget, and only then can the two be compared.
			if res.Budgeted || res.Distance.Measure(g.Image(res.Originals, i), g.Image(res.Raw[e], i)) <= eps {
				switch {
				case e >= len(res.Claimed) || i >= len(res.Claimed[e]):
					a.unclaimed++
				default:
					a.judged++
					if res.Claimed[e][i] == res.Success[e][i] {
						a.agree++
					}
				}
			}
			// What the attack itself produced when it searched within the
			// budget (Clipped is clipped by the attack package, so it could
			// not fail this check); what it returns as clipped otherwise.
			image := g.Image(res.Clipped[e], i)
			if res.Budgeted {
				image = g.Image(res.Raw[e], i)
			}
			if d := res.Distance.Measure(g.Image(res.Originals, i), image); d > eps*(1+budgetTolerance)+1e-6 {
				a.outsideBudget++
				a.worstExcess = math.Max(a.worstExcess, d-eps)
			}
			for _, v := range image {
				if !a.seen {
					a.adversarialMin, a.adversarialMax, a.seen = float64(v), float64(v), true
				}
				a.adversarialMin, a.adversarialMax = math.Min(a.adversarialMin, float64(v)), math.Max(a.adversarialMax, float64(v))
				if !(v >= 0 && v <= 1) {
					a.outsideBounds++
				}
			}
		}
	}
}

// verdicts is the check that the attacks' own verdicts agree with
// re-prediction; results that carry no verdicts (an attack of the user's
// that leaves Claimed unset) are counted apart, and a check with none to
// judge is skipped.
func (a *agreementCheck) verdicts() Check {
	c := Check{Name: "attack verdicts agree with re-prediction", Passed: a.agree == a.judged,
		Detail: fmt.Sprintf("%d of %d verdicts (one per attack, budget and image it judged)", a.agree, a.judged)}
	if a.unclaimed > 0 {
		c.Detail += fmt.Sprintf("; %d results gave no verdict (Claimed unset)", a.unclaimed)
	}
	if a.judged == 0 && a.unclaimed > 0 {
		c.Passed, c.Skipped, c.Detail = false, true, fmt.Sprintf("no attack gave its own verdicts (Claimed unset) on %d results", a.unclaimed)
	}
	return c
}

func sanityChecks(m classifier.Predictor, images []float32, labels []int, r *Report, agreement *agreementCheck) ([]Check, error) {
	checks := []Check{
		{Name: "adversarials in [0, 1]", Passed: agreement.outsideBounds == 0,
			Detail: fmt.Sprintf("%d values outside; the adversarials range over [%.3g, %.3g]", agreement.outsideBounds, agreement.adversarialMin, agreement.adversarialMax)},
		{Name: "perturbations within budget", Passed: agreement.outsideBudget == 0,
			Detail: fmt.Sprintf("%d adversarials beyond their %v budget (worst by %.3g)", agreement.outsideBudget, r.Distance, agreement.worstExcess)},
		agreement.verdicts(),
	}
	deterministic, err := deterministicCheck(m, images)
	if err != nil {
		return nil, err
	}
	checks = append(checks, deterministic)
	if d, ok := m.(classifier.Differentiable); ok {
		gradients, outputs, err := gradientChecks(d, images, labels)
		if err != nil {
			return nil, err
		}
		checks = append(checks, gradients, outputs)
	} else {
		checks = append(checks, Check{Name: "non-zero gradients", Skipped: true, Detail: "the model gives predictions only"})
	}
	return checks, nil
}

// sample is how many images the model-level checks look at.
const sample = 1000

// deterministicCheck predicts the same images twice: a model that answers
// differently (randomness, state) makes attacks and their verdicts
// unreliable.
func deterministicCheck(m classifier.Predictor, images []float32) (Check, error) {
	g := m.Geometry()
	n := min(sample, len(images)/g.Pixels())
	batch := images[:n*g.Pixels()]
	first, err := m.Predict(batch)
	if err != nil {
		return Check{}, err
	}
	second, err := m.Predict(batch)
	if err != nil {
		return Check{}, err
	}
	differ := 0
	for i := range first {
		for k := range first[i] {
			if first[i][k] != second[i][k] {
				differ++
				break
			}
		}
	}
	return Check{Name: "deterministic predictions", Passed: differ == 0,
		Detail: fmt.Sprintf("%d of %d images predicted twice got different probabilities", differ, n)}, nil
}

// gradientChecks looks at the cross-entropy's gradient with respect to the
// images (a model whose gradient vanishes defeats gradient attacks without
// being robust: gradient masking) and at what Logits returns (losses taken
// of probabilities rather than logits saturate the same way).
func gradientChecks(m classifier.Differentiable, images []float32, labels []int) (gradients, outputs Check, err error) {
	g := m.Geometry()
	n := min(sample, len(labels))
	exec, err := model.NewExec(m.Backend(), m.Store(), func(scope *model.Scope, x, y *Node) (*Node, *Node) {
		logits, vjp := classifier.LogitsWithVJP(scope, m, x)
		loss := ReduceAllSum(classifier.CrossEntropy(logits, y))
		grad := vjp(Gradient(loss, logits)[0]) // As the attacks compute it.
		zero := Equal(grad, ZerosLike(grad))
		allZero := ReduceLogicalAnd(Reshape(zero, n, -1), -1)
		return ConvertDType(allZero, logits.DType()), logits
	})
	if err != nil {
		return gradients, outputs, fmt.Errorf("robustness: %w", err)
	}
	classes := make([]int32, n)
	for i := range classes {
		classes[i] = int32(labels[i])
	}
	x := tensors.FromFlatDataAndDimensions(images[:n*g.Pixels()], g.Dims(n)...)
	y := tensors.FromFlatDataAndDimensions(classes, n)
	defer func() { x.MustFinalizeAll(); y.MustFinalizeAll() }()
	out, err := exec.Call(x, y)
	if err != nil {
		return gradients, outputs, fmt.Errorf("robustness: %w", err)
	}
	allZero, logits := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
	out[0].MustFinalizeAll()
	out[1].MustFinalizeAll()
	zeros := 0
	for _, z := range allZero {
		if z != 0 {
			zeros++
		}
	}
	gradients = Check{Name: "non-zero gradients", Passed: float64(zeros) <= maxZeroGradientShare*float64(n),
		Detail: fmt.Sprintf("%d of %d images have an all-zero loss gradient (at most %.0f%% allowed)", zeros, n, 100*maxZeroGradientShare)}
	probabilityRows := 0
	for i := range n {
		row := logits[i*g.Classes : (i+1)*g.Classes]
		sum, inUnit := 0.0, true
		for _, v := range row {
			sum += float64(v)
			inUnit = inUnit && v >= 0 && v <= 1
		}
		if inUnit && math.Abs(sum-1) < probabilitySumTolerance {
			probabilityRows++
		}
	}
	outputs = Check{Name: "losses on logits", Passed: float64(probabilityRows) <= maxProbabilityRowShare*float64(n),
		Detail: fmt.Sprintf("%d of %d rows of Logits look like probabilities (in [0, 1], summing to 1; at most %.0f%% allowed)",
			probabilityRows, n, 100*maxProbabilityRowShare)}
	if !outputs.Passed {
		outputs.Detail += ": Logits must return the scores before the softmax, or the attacks' losses saturate"
	}
	return gradients, outputs, nil
}
