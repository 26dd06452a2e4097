package attack

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/classifier"
)

// MIFGSM is the momentum iterative fast gradient sign method of Dong et al.
// (2018), L∞: the gradient of the cross-entropy, divided by its L1 norm,
// accumulates into a momentum g ← Decay·g + ∇/‖∇‖₁, and each step moves by
// the step size along sign(g), projected back into the ε-ball.
type MIFGSM struct {
	Steps       int     // 0: 10.
	RelStepSize float64 // Step size as a fraction of ε (0: 0.1), used when StepSize is 0.
	StepSize    float64 // Absolute step size; 0 to use RelStepSize.
	// Decay is μ, the momentum's decay, positive (0: the paper's 1). Without
	// momentum the attack is BIM's L∞ steps: use BIM.
	Decay float64
	// LastIterate runs every image through every step and returns the last
	// iterate; by default each image stops at its first adversarial iterate.
	LastIterate bool
}

// NewMIFGSM returns the attack with the paper's settings: 10 steps of ε/10,
// decay 1. It is the zero MIFGSM.
func NewMIFGSM() *MIFGSM { return &MIFGSM{} }

// WithDefaults returns the settings as they run: a copy with every zero
// replaced by its documented default.
func (a MIFGSM) WithDefaults() MIFGSM {
	a.Steps, a.RelStepSize, a.Decay = orInt(a.Steps, 10), orFloat(a.RelStepSize, 0.1), orFloat(a.Decay, 1)
	return a
}

// Run attacks images within each L∞ budget of epsilons (at least one).
func (a *MIFGSM) Run(m classifier.Predictor, images []float32, crit Criterion, epsilons ...float64) (*Result, error) {
	return runFixed(a, m, images, crit, epsilons)
}

// Norm is L∞.
func (a *MIFGSM) Norm() Distance { return Linf }

// String names the attack and its settings.
func (a *MIFGSM) String() string {
	d := a.WithDefaults()
	a = &d
	return fmt.Sprintf("MI-FGSM L∞ (%d steps of %s, decay %g)", a.Steps, stepSizeString(a.StepSize, a.RelStepSize), a.Decay)
}

type miFGSMKey struct {
	targeted  bool
	earlyStop bool
}

func (a *MIFGSM) budgeted(c *call, budgets []float64) (outcome, error) {
	d := a.WithDefaults()
	a = &d
	// The step-size rules are the descent's: reuse its validation.
	if err := (descent{name: "MI-FGSM", norm: Linf, steps: a.Steps, relStepSize: a.RelStepSize, absStepSize: a.StepSize, restarts: 1}).validate(); err != nil {
		return outcome{}, err
	}
	if !(a.Decay > 0) || math.IsInf(a.Decay, 1) {
		return outcome{}, fmt.Errorf("attack: MI-FGSM: Decay is %g: use a positive decay, or 0 for the default 1", a.Decay)
	}
	m, err := c.differentiable("MI-FGSM")
	if err != nil {
		return outcome{}, err
	}
	key := miFGSMKey{c.crit.Targeted(), !a.LastIterate}
	exec, err := stepExec(m, key, 2, 4, func(scope *model.Scope, state, fixed, scalars []*graph.Node) ([]*graph.Node, *graph.Node) {
		return miFGSMStep(scope, m, key, state, fixed, scalars)
	})
	if err != nil {
		return outcome{}, err
	}
	dims := c.imageDims()
	x, zeros := c.movingAndZeros()
	l := &loop{
		exec:  exec,
		state: []column{x, zeros},
		fixed: []column{newValues(c.images, dims...), newValues(c.classes), newValues(float32s(budgets)), newValues(stepSizes(budgets, a.RelStepSize, a.StepSize))},
		scalars: func(int) []*tensors.Tensor {
			return []*tensors.Tensor{tensors.FromScalar(float32(a.Decay))}
		},
		steps: a.Steps,
	}
	done, stepsRun, err := l.run(c.n, nil)
	if err != nil {
		return outcome{}, err
	}
	return outcome{images: x.data, claimed: done, steps: stepsRun}, nil
}

// miFGSMStep is one step: state x and the momentum; fixed the originals,
// classes, budgets and step sizes; scalars the last-call flag and the decay.
func miFGSMStep(scope *model.Scope, m classifier.Differentiable, key miFGSMKey, state, fixed, scalars []*graph.Node) ([]*graph.Node, *graph.Node) {
	x, momentum := state[0], state[1]
	x0, classes, eps, alpha := fixed[0], fixed[1], fixed[2], fixed[3]
	final, decay := scalars[0], scalars[1]
	logits, _, g := lossGradient(scope, m, x, func(logits *graph.Node) *graph.Node { return crossEntropy(logits, classes) })
	adversarial := isAdversarial(logits, classes, key.targeted)
	if key.targeted {
		g = graph.Neg(g)
	}
	nextMomentum := graph.Add(graph.Mul(decay, momentum), graph.Div(g, atLeast(norm(g, L1), tiny)))
	moved := project(graph.Add(x, graph.Mul(perImageScalar(alpha, x), graph.Sign(nextMomentum))), x0, eps, Linf)
	done := adversarial
	if !key.earlyStop {
		done = graph.And(adversarial, final)
	}
	return []*graph.Node{graph.StopGradient(selectImages(done, x, moved)), graph.StopGradient(selectImages(done, momentum, nextMomentum))}, done
}
