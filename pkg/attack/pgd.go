package attack

import (
	"fmt"

	"github.com/advmlgo/advml/pkg/classifier"
)

// PGD is projected gradient descent (Madry et al. 2018): from a random
// point of the ε-ball, steps along the normalised gradient of the
// cross-entropy, each projected back into the ball and into [0, 1]. An
// image that survives every step is attacked again from a new random point,
// up to Restarts times.
type PGD struct {
	Distance    Distance // Linf, L2 or L1.
	Steps       int
	RelStepSize float64 // Step size as a fraction of ε, used when StepSize is 0.
	StepSize    float64 // Absolute step size; 0 to use RelStepSize.
	RandomStart bool
	Restarts    int   // Runs per image, each from a new random start; at least 1.
	Seed        int64 // Of the random starts.
	// LastIterate runs every image through every step and returns the last
	// iterate, as Foolbox does; by default each image stops at its first
	// adversarial iterate.
	LastIterate bool
}

// NewPGD returns PGD in d with Foolbox's defaults: L∞ 40 steps of ε/30,
// L2 and L1 50 steps of 0.025·ε, a random start, one run.
func NewPGD(d Distance) *PGD {
	if d == Linf {
		return &PGD{Distance: Linf, Steps: 40, RelStepSize: 0.01 / 0.3, RandomStart: true, Restarts: 1}
	}
	return &PGD{Distance: d, Steps: 50, RelStepSize: 0.025, RandomStart: true, Restarts: 1}
}

// Run attacks images within each budget of epsilons (at least one).
func (a *PGD) Run(m classifier.Predictor, images []float32, crit Criterion, epsilons ...float64) (*Result, error) {
	return runFixed(a, m, images, crit, epsilons)
}

// Norm is the distance of the budget.
func (a *PGD) Norm() Distance { return a.Distance }

func (a *PGD) budgeted(c *call, budgets []float64) (outcome, error) {
	return descent{name: a.String(), norm: a.Distance, steps: a.Steps, relStepSize: a.RelStepSize, absStepSize: a.StepSize,
		randomStart: a.RandomStart, restarts: a.Restarts, seed: a.Seed, earlyStop: !a.LastIterate}.run(c, budgets)
}

// String names the attack and its settings.
func (a *PGD) String() string {
	s := fmt.Sprintf("PGD %v (%d steps of %s", a.Distance, a.Steps, stepSizeString(a.StepSize, a.RelStepSize))
	if !a.RandomStart {
		s += ", no random start"
	}
	if a.Restarts > 1 {
		s += fmt.Sprintf(", %d restarts", a.Restarts)
	}
	return s + ")"
}
