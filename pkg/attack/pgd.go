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
//
// Each image stops at its first adversarial iterate, which a later step
// could undo; Foolbox's PGD runs every step and returns the last iterate.
// Set LastIterate for that, for instance when the adversarials are to
// transfer to another model: a last iterate sits deeper in the wrong class.
type PGD struct {
	Distance Distance // Linf (the default), L2 or L1.
	Steps    int      // 0: 40 in L∞, 50 in L2 and L1.
	// RelStepSize is the step as a fraction of ε (0: 0.01/0.3 in L∞, 0.025
	// in L2 and L1), used when StepSize is 0.
	RelStepSize float64
	StepSize    float64 // Absolute step size; 0 to use RelStepSize.
	// NoRandomStart starts from the image itself instead of a random point
	// of the ε-ball (the default start).
	NoRandomStart bool
	Restarts      int   // Runs per image, each from a new random start; 0 means 1.
	Seed          int64 // Of the random starts.
	// LastIterate runs every image through every step and returns the last
	// iterate, as Foolbox does; by default each image stops at its first
	// adversarial iterate.
	LastIterate bool
}

// NewPGD returns PGD in d with Foolbox's defaults: L∞ 40 steps of ε/30,
// L2 and L1 50 steps of 0.025·ε, a random start, one run; unlike Foolbox,
// each image stops at its first success (see LastIterate). It is &PGD{Distance: d}:
// the zero value of every other field means that default.
func NewPGD(d Distance) *PGD { return &PGD{Distance: d} }

// WithDefaults returns the settings as they run: a copy with every zero
// replaced by its documented default.
func (a PGD) WithDefaults() PGD {
	a.Distance = a.Distance.or(Linf)
	if a.Distance == Linf {
		a.Steps, a.RelStepSize = orInt(a.Steps, 40), orFloat(a.RelStepSize, 0.01/0.3)
	} else {
		a.Steps, a.RelStepSize = orInt(a.Steps, 50), orFloat(a.RelStepSize, 0.025)
	}
	a.Restarts = orInt(a.Restarts, 1)
	return a
}

// Run attacks images within each budget of epsilons (at least one).
func (a *PGD) Run(m classifier.Predictor, images []float32, crit Criterion, epsilons ...float64) (*Result, error) {
	return runFixed(a, m, images, crit, epsilons)
}

// Norm is the distance of the budget.
func (a *PGD) Norm() Distance { return a.Distance.or(Linf) }

func (a *PGD) budgeted(c *call, budgets []float64) (outcome, error) {
	d := a.WithDefaults()
	return descent{name: a.String(), norm: d.Distance, steps: d.Steps, relStepSize: d.RelStepSize, absStepSize: d.StepSize,
		randomStart: !d.NoRandomStart, restarts: d.Restarts, seed: d.Seed, earlyStop: !d.LastIterate}.run(c, budgets)
}

// String names the attack and its settings.
func (a *PGD) String() string {
	d := a.WithDefaults()
	s := fmt.Sprintf("PGD %v (%d steps of %s", d.Distance, d.Steps, stepSizeString(d.StepSize, d.RelStepSize))
	if d.NoRandomStart {
		s += ", no random start"
	}
	if d.Restarts > 1 {
		s += fmt.Sprintf(", %d restarts", d.Restarts)
	}
	if d.LastIterate {
		s += ", last iterate"
	}
	return s + ")"
}
