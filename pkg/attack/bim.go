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
	Distance    Distance
	Steps       int
	RelStepSize float64 // Step size as a fraction of ε, used when StepSize is 0.
	StepSize    float64 // Absolute step size; 0 to use RelStepSize.
	// LastIterate runs every image through every step and returns the last
	// iterate, as Foolbox does; by default each image stops at its first
	// adversarial iterate.
	LastIterate bool
}

// NewBIM returns the L∞ basic iterative method with Foolbox's defaults.
func NewBIM() *BIM { return &BIM{Distance: Linf, Steps: 10, RelStepSize: 0.2} }

// Run attacks images within each budget of epsilons (at least one).
func (a *BIM) Run(m classifier.Predictor, images []float32, crit Criterion, epsilons ...float64) (*Result, error) {
	return runFixed(a, m, images, crit, epsilons)
}

// Norm is the distance of the budget.
func (a *BIM) Norm() Distance { return a.Distance }

func (a *BIM) budgeted(c *call, budgets []float64) (outcome, error) {
	return descent{name: a.String(), norm: a.Distance, steps: a.Steps, relStepSize: a.RelStepSize, absStepSize: a.StepSize,
		restarts: 1, earlyStop: !a.LastIterate}.run(c, budgets)
}

// String names the attack and its steps.
func (a *BIM) String() string {
	return fmt.Sprintf("BIM %v (%d steps of %s)", a.Distance, a.Steps, stepSizeString(a.StepSize, a.RelStepSize))
}

// stepSizeString describes an absolute or relative step size.
func stepSizeString(abs, rel float64) string {
	if abs > 0 {
		return fmt.Sprintf("%g", abs)
	}
	return fmt.Sprintf("%.3g·ε", rel)
}
