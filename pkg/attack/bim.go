package attack

import (
	"fmt"

	"github.com/advmlgo/advml/pkg/classifier"
)

// BIM is the basic iterative method of Kurakin et al. (2017): FGSM repeated
// in small steps, each projected back into the ε-ball, from the image
// itself. It is PGD without the random start, with Foolbox's defaults: 10
// steps of 0.2·ε.
type BIM struct {
	Distance    Distance // Linf (the default), L2 or L1.
	Steps       int      // 0: 10.
	RelStepSize float64  // Step size as a fraction of ε (0: 0.2), used when StepSize is 0.
	StepSize    float64  // Absolute step size; 0 to use RelStepSize.
	// LastIterate runs every image through every step and returns the last
	// iterate, as Foolbox does; by default each image stops at its first
	// adversarial iterate.
	LastIterate bool
}

// NewBIM returns the L∞ basic iterative method with Foolbox's defaults: the
// zero BIM.
func NewBIM() *BIM { return &BIM{} }

// WithDefaults returns the settings as they run: a copy with every zero
// replaced by its documented default.
func (a BIM) WithDefaults() BIM {
	a.Distance, a.Steps, a.RelStepSize = a.Distance.or(Linf), orInt(a.Steps, 10), orFloat(a.RelStepSize, 0.2)
	return a
}

// Run attacks images within each budget of epsilons (at least one).
func (a *BIM) Run(m classifier.Predictor, images []float32, crit Criterion, epsilons ...float64) (*Result, error) {
	return runFixed(a, m, images, crit, epsilons)
}

// Norm is the distance of the budget.
func (a *BIM) Norm() Distance { return a.Distance.or(Linf) }

func (a *BIM) budgeted(c *call, budgets []float64) (outcome, error) {
	d := a.WithDefaults()
	return descent{name: a.String(), norm: d.Distance, steps: d.Steps, relStepSize: d.RelStepSize, absStepSize: d.StepSize,
		restarts: 1, earlyStop: !d.LastIterate}.run(c, budgets)
}

// String names the attack and its steps.
func (a *BIM) String() string {
	d := a.WithDefaults()
	return fmt.Sprintf("BIM %v (%d steps of %s)", d.Distance, d.Steps, stepSizeString(d.StepSize, d.RelStepSize))
}

// stepSizeString describes an absolute or relative step size.
func stepSizeString(abs, rel float64) string {
	if abs > 0 {
		return fmt.Sprintf("%g", abs)
	}
	return fmt.Sprintf("%.3g·ε", rel)
}
