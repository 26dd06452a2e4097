package attack

import (
	"fmt"

	"github.com/advmlgo/advml/pkg/classifier"
)

// FGM is the fast gradient method: one step of size ε along the gradient of
// the loss, normalised in the budget's norm. With L∞ it is the fast
// gradient sign method of Goodfellow et al. (2015), FGSM: x + ε·sign(∇).
// Every image takes its step, even one the model already misclassifies (as
// in Foolbox).
type FGM struct {
	Distance    Distance // Linf (FGSM, the default), L2 or L1.
	RandomStart bool     // Start from a random point of the ε-ball.
	Seed        int64    // Of the random start.
}

// NewFGSM returns the fast gradient sign method (L∞), Foolbox's FGSM.
// It is the zero FGM.
func NewFGSM() *FGM { return &FGM{} }

// NewFGM returns the fast gradient method in L2, Foolbox's FGM.
func NewFGM() *FGM { return &FGM{Distance: L2} }

// Run attacks images within each budget of epsilons (at least one).
func (a *FGM) Run(m classifier.Predictor, images []float32, crit Criterion, epsilons ...float64) (*Result, error) {
	return runFixed(a, m, images, crit, epsilons)
}

// Norm is the distance of the budget.
func (a *FGM) Norm() Distance { return a.Distance.or(Linf) }

func (a *FGM) budgeted(c *call, budgets []float64) (outcome, error) {
	return descent{name: a.String(), norm: a.Norm(), steps: 1, relStepSize: 1, randomStart: a.RandomStart,
		restarts: 1, seed: a.Seed}.run(c, budgets)
}

// String names the attack: "FGSM" for L∞, "FGM L2" otherwise.
func (a *FGM) String() string {
	if a.Norm() == Linf {
		return "FGSM"
	}
	return fmt.Sprintf("FGM %v", a.Norm())
}
