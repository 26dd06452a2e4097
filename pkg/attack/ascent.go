package attack

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/classifier"
)

// TargetedAscent is the article's targeted gradient-ascent attack: the
// weights are fixed, the pixels move. Each step takes the gradient g of the
// target class's (log-)probability with respect to the image, rescales it
// (Scaling), adds StepSize times it and clips the pixels into [0, 1]:
//
//	x ← clip(x + ε · g / scale(g), 0, 1)
//
// until the model predicts the target, or MaxSteps steps. It is a minimal
// attack in Foolbox's sense: it runs unbounded and Run clips its result to
// each L∞ budget given. Result.Trajectories follows the source and target
// probabilities along each image's steps.
type TargetedAscent struct {
	StepSize float64 // ε of the step rule; positive (0: DefaultStepSize).
	MaxSteps int     // Step limit per image; at least 1 (0: DefaultMaxSteps).
	Scaling  Scaling // How the gradient is rescaled (the zero value: ScaleMaxAbs).
}

// Defaults of NewTargetedAscent: the article's step size, and a step limit
// that no digit of the article's model needs.
const (
	DefaultStepSize = 0.01
	DefaultMaxSteps = 1000
)

// NewTargetedAscent returns the article's attack: steps of 0.01 scaled by
// the gradient's largest value, at most 1,000 of them.
// It is the zero TargetedAscent.
func NewTargetedAscent() *TargetedAscent { return &TargetedAscent{} }

// WithDefaults returns the settings as they run: a copy with every zero
// replaced by its documented default.
func (a TargetedAscent) WithDefaults() TargetedAscent {
	a.StepSize, a.MaxSteps = orFloat(a.StepSize, DefaultStepSize), orInt(a.MaxSteps, DefaultMaxSteps)
	return a
}

// Run attacks each image towards crit's target (a TargetedMisclassification),
// each until the model predicts its target or MaxSteps, and clips the
// result to each L∞ budget of epsilons (none: unbounded).
func (a *TargetedAscent) Run(m classifier.Predictor, images []float32, crit Criterion, epsilons ...float64) (*Result, error) {
	return runMinimal(a, m, images, crit, epsilons, a.search)
}

// Norm is L∞, the norm of the article's budgets.
func (a *TargetedAscent) Norm() Distance { return Linf }

// String names the attack and its settings.
func (a *TargetedAscent) String() string {
	d := a.WithDefaults()
	a = &d
	return fmt.Sprintf("targeted ascent (steps of %g scaled by %v, at most %d)", a.StepSize, a.Scaling, a.MaxSteps)
}

// Attack runs the attack on one image towards target: the article's loop
// on a single digit.
func (a *TargetedAscent) Attack(m classifier.Predictor, image []float32, target int) (*Adversarial, error) {
	res, err := a.Run(m, image, TargetedMisclassification{Targets: []int{target}})
	if err != nil {
		return nil, err
	}
	if res.N() != 1 {
		return nil, fmt.Errorf("attack: image holds %d images, Attack takes one", res.N())
	}
	adv := res.Adversarial(0, 0)
	return &adv, nil
}

// Step applies one ascent step to each image (flat) towards its target and
// returns the new images: the article's update, shown on its own. Images
// the model already assigns to their target come back unchanged.
func (a *TargetedAscent) Step(m classifier.Predictor, images []float32, targets []int) ([]float32, error) {
	one := *a
	one.MaxSteps = 1
	res, err := one.Run(m, images, TargetedMisclassification{Targets: targets})
	if err != nil {
		return nil, err
	}
	return res.Raw[0], nil
}

type ascentKey struct {
	scaling Scaling
}

func (a *TargetedAscent) search(c *call) (outcome, error) {
	d := a.WithDefaults()
	a = &d
	switch {
	case !(a.StepSize > 0) || math.IsInf(a.StepSize, 1):
		return outcome{}, fmt.Errorf("attack: targeted ascent: StepSize is %g: use a positive step, or 0 for the default %g", a.StepSize, DefaultStepSize)
	case a.MaxSteps < 1:
		return outcome{}, fmt.Errorf("attack: targeted ascent: MaxSteps is %d: allow at least 1 step (0 for the default %d)", a.MaxSteps, DefaultMaxSteps)
	case !c.crit.Targeted():
		return outcome{}, fmt.Errorf("attack: targeted ascent is targeted: use attack.TargetedMisclassification")
	}
	if err := a.Scaling.validate(); err != nil {
		return outcome{}, err
	}
	m, err := c.differentiable("targeted ascent")
	if err != nil {
		return outcome{}, err
	}
	key := ascentKey{a.Scaling}
	exec, err := stepExec(m, key, 2, 1, func(scope *model.Scope, state, fixed, scalars []*graph.Node) ([]*graph.Node, *graph.Node) {
		return ascentStep(scope, m, key, state[0], fixed[0], scalars[1])
	})
	if err != nil {
		return outcome{}, err
	}
	k := c.g.Classes
	dims := c.imageDims()
	x := newValues(append([]float32(nil), c.images...), dims...)
	trajectories := make([]Trajectory, c.n)
	finished := make([]bool, c.n)
	l := &loop{
		exec:  exec,
		state: []column{x, newValues(make([]float32, c.n*k), k)},
		fixed: []column{newValues(c.classes)},
		scalars: func(int) []*tensors.Tensor {
			return []*tensors.Tensor{tensors.FromScalar(float32(a.StepSize))}
		},
		steps: a.MaxSteps,
		// Each call's probabilities are those of the images it started from.
		observe: func(step int, rows []int, out []*tensors.Tensor) error {
			probs, err := tensors.CopyFlatData[float32](out[1])
			if err != nil {
				return fmt.Errorf("attack: reading probabilities: %w", err)
			}
			done, err := tensors.CopyFlatData[bool](out[2])
			if err != nil {
				return fmt.Errorf("attack: reading the done flags: %w", err)
			}
			for slot, i := range rows {
				if i < 0 || finished[i] {
					continue
				}
				tr := &trajectories[i]
				tr.Probabilities = append(tr.Probabilities, probs[slot*k:(slot+1)*k:(slot+1)*k])
				finished[i] = done[slot] || step == a.MaxSteps
			}
			return nil
		},
	}
	done, steps, err := l.run(c.n, nil)
	if err != nil {
		return outcome{}, err
	}
	return outcome{images: x.data, claimed: done, steps: steps, trajectories: trajectories}, nil
}

// ascentStep is one step on a batch: x the images, targets their targets,
// stepSize ε. It returns the next images and the probabilities of x.
// Images the model already assigns to their target are left as they are,
// so each one stops on its own.
//
// The gradient followed is that of log p_target rather than of p_target:
// the two differ by the positive factor p_target, which every Scaling
// divides out, so the step is the article's; but the log's gradient stays
// defined where p_target underflows to zero in float32 (a very confident
// model), where the plain gradient would vanish and stall the attack.
func ascentStep(scope *model.Scope, m classifier.Differentiable, key ascentKey, x, targets, stepSize *graph.Node) ([]*graph.Node, *graph.Node) {
	logits, _, g := lossGradient(scope, m, x, func(logits *graph.Node) *graph.Node { return graph.Neg(crossEntropy(logits, targets)) })
	done := isAdversarial(logits, targets, true)
	moved := graph.ClipScalar(graph.Add(x, graph.Mul(stepSize, key.scaling.scale(g))), 0, 1)
	return []*graph.Node{graph.StopGradient(selectImages(done, x, moved)), graph.StopGradient(graph.Softmax(logits, -1))}, done
}
