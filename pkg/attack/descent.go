package attack

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/classifier"
)

// descent is the projected gradient method that FGSM, FGM, BIM and PGD share
// (Foolbox's gradient-descent base): from the image, or a random point of
// the budget's ball, repeat
//
//	x ← clip(project(x ± α · normalize(∇ CE(x)), x₀, ε), 0, 1)
//
// ascending the cross-entropy of the label (untargeted) or descending that
// of the target (targeted), where normalize is the sign for L∞ and division
// by the norm for L1 and L2, and project clips (L∞) or shrinks (L1, L2) the
// perturbation into the budget.
type descent struct {
	name        string
	norm        Distance
	steps       int
	relStepSize float64 // α = relStepSize · ε, unless absStepSize > 0.
	absStepSize float64
	randomStart bool
	restarts    int
	seed        int64
	// earlyStop keeps the first adversarial iterate of each image; without
	// it every image takes every step and the last iterate is returned.
	earlyStop bool
}

func (d descent) validate() error {
	switch {
	case d.norm != Linf && d.norm != L2 && d.norm != L1:
		return fmt.Errorf("attack: %s: norm %v is not supported: use attack.Linf, L2 or L1", d.name, d.norm)
	case d.steps < 1:
		return fmt.Errorf("attack: %s: Steps is %d: take at least 1 step (0 for the default)", d.name, d.steps)
	case d.absStepSize == 0 && (!(d.relStepSize > 0) || math.IsInf(d.relStepSize, 1)):
		return fmt.Errorf("attack: %s: RelStepSize is %g: use a positive fraction of ε, 0 for the default (or set StepSize)", d.name, d.relStepSize)
	case !(d.absStepSize >= 0) || math.IsInf(d.absStepSize, 1):
		return fmt.Errorf("attack: %s: StepSize is %g: use a positive step (or 0 to use RelStepSize)", d.name, d.absStepSize)
	case d.restarts < 1:
		return fmt.Errorf("attack: %s: Restarts is %d: run at least 1 (0 for the default 1)", d.name, d.restarts)
	}
	return nil
}

// descentKey holds what shapes the descent's step graph.
type descentKey struct {
	norm      Distance
	targeted  bool
	earlyStop bool
}

func (d descent) run(c *call, budgets []float64) (outcome, error) {
	if err := d.validate(); err != nil {
		return outcome{}, err
	}
	m, err := c.differentiable(d.name)
	if err != nil {
		return outcome{}, err
	}
	key := descentKey{d.norm, c.crit.Targeted(), d.earlyStop}
	exec, err := stepExec(m, key, 1, 4, func(scope *model.Scope, state, fixed, scalars []*graph.Node) ([]*graph.Node, *graph.Node) {
		return descentStep(scope, m, key, state[0], fixed[0], fixed[1], fixed[2], fixed[3], scalars[0])
	})
	if err != nil {
		return outcome{}, err
	}
	dims := c.imageDims()
	fixed := []column{newValues(c.images, dims...), newValues(c.classes), newValues(float32s(budgets)),
		newValues(stepSizes(budgets, d.relStepSize, d.absStepSize))}
	rng := newRand(d.seed)
	out := outcome{images: append([]float32(nil), c.images...), claimed: make([]bool, c.n), steps: make([]int, c.n)}
	var active []int // All images at first; then those no restart has fooled yet.
	for restart := range d.restarts {
		start := c.images
		if d.randomStart {
			start = randomStart(c, budgets, d.norm, rng)
		}
		x := newValues(append([]float32(nil), start...), dims...)
		l := &loop{exec: exec, state: []column{x}, fixed: fixed, steps: d.steps}
		done, steps, err := l.run(c.n, active)
		if err != nil {
			return outcome{}, err
		}
		// Keep each image's first success over the restarts; an image with
		// none keeps the last restart's iterate.
		active = keepRestart(c, &out, x.data, done, steps, active)
		if len(active) == 0 || restart == d.restarts-1 {
			break
		}
	}
	return out, nil
}

// descentStep is one step on a batch: x the current images, x0 the
// originals, classes the labels or targets, eps and alpha the budgets and
// step sizes, final the loop's last-call flag.
func descentStep(scope *model.Scope, m classifier.Differentiable, key descentKey, x, x0, classes, eps, alpha, final *graph.Node) ([]*graph.Node, *graph.Node) {
	logits, _, g := lossGradient(scope, m, x, func(logits *graph.Node) *graph.Node { return crossEntropy(logits, classes) })
	adversarial := isAdversarial(logits, classes, key.targeted)
	if key.targeted {
		g = graph.Neg(g) // Down the loss toward the target.
	}
	moved := Step(x, x0, g, eps, alpha, key.norm)
	done := adversarial
	if !key.earlyStop {
		done = graph.And(adversarial, final)
	}
	return []*graph.Node{graph.StopGradient(selectImages(done, x, moved))}, done
}
