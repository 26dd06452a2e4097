package attack

import (
	"fmt"
	"math"

	"github.com/advmlgo/advml/pkg/classifier"
)

// MinimalEpsilon turns a fixed-budget attack into a minimal one: per image,
// a binary search for the smallest budget ε at which Attack succeeds (as a
// fresh prediction judges it). It first tries Max; an image that resists
// there is not adversarial. Each of the Steps bisections then halves the
// interval between the largest budget that failed and the smallest that
// succeeded, whose adversarial it keeps, so the ε found is within
// Max/2^Bisections of the smallest the attack can do. All images search at once,
// each with its own budget.
type MinimalEpsilon struct {
	Attack FixedEpsilon
	// Max is the largest budget tried; 0 means the largest distance two
	// images can have in the attack's norm (1 in L∞, √values in L2, values
	// in L1).
	Max        float64
	Bisections int // Halvings of the interval; at least 1 (0: 10).
}

// NewMinimalEpsilon returns the binary search over a's budget, with 10
// bisections up to the largest possible distance.
// It is &MinimalEpsilon{Attack: a}.
func NewMinimalEpsilon(a FixedEpsilon) *MinimalEpsilon { return &MinimalEpsilon{Attack: a} }

func (a *MinimalEpsilon) bisections() int { return orInt(a.Bisections, 10) }

// Run searches each image's minimal budget and clips the adversarial found
// to each budget of epsilons (none: unbounded).
func (a *MinimalEpsilon) Run(m classifier.Predictor, images []float32, crit Criterion, epsilons ...float64) (*Result, error) {
	if a.Attack == nil {
		return nil, fmt.Errorf("attack: MinimalEpsilon has no Attack: give it a fixed-budget attack such as attack.NewPGD(attack.Linf)")
	}
	return runMinimal(a, m, images, crit, epsilons, a.search)
}

// Norm is the norm of Attack's budget (L∞ while Attack is unset).
func (a *MinimalEpsilon) Norm() Distance {
	if a.Attack == nil {
		return Linf
	}
	return a.Attack.Norm()
}

// String names the search and its attack.
func (a *MinimalEpsilon) String() string {
	return fmt.Sprintf("minimal ε of %v (%d bisections)", a.Attack, a.bisections())
}

func (a *MinimalEpsilon) search(c *call) (outcome, error) {
	if a.bisections() < 1 {
		return outcome{}, fmt.Errorf("attack: MinimalEpsilon: Bisections is %d: bisect at least once (0 for the default 10)", a.Bisections)
	}
	if !(a.Max >= 0) || math.IsInf(a.Max, 1) {
		return outcome{}, fmt.Errorf("attack: MinimalEpsilon: Max is %g: use a positive budget, or 0 for the largest distance", a.Max)
	}
	top := a.Max
	if top == 0 {
		top = largestDistance(a.Attack.Norm(), c.g)
	}
	out := outcome{images: append([]float32(nil), c.images...), claimed: make([]bool, c.n)}
	low, high := make([]float64, c.n), make([]float64, c.n)
	try := func(indices []int, budgets []float64) error {
		sub := c.subset(indices)
		found, err := a.Attack.budgeted(sub, budgets)
		if err != nil {
			return err
		}
		_, success, err := sub.judge(found.images)
		if err != nil {
			return err
		}
		for j, i := range indices {
			if success[j] {
				high[i], out.claimed[i] = budgets[j], true
				copy(c.g.Image(out.images, i), c.g.Image(found.images, j))
			} else {
				low[i] = budgets[j]
			}
		}
		return nil
	}
	all := make([]int, c.n)
	budgets := make([]float64, c.n)
	for i := range all {
		all[i], budgets[i] = i, top
	}
	if err := try(all, budgets); err != nil {
		return outcome{}, err
	}
	var searching []int
	for i, ok := range out.claimed {
		if ok {
			searching = append(searching, i)
		}
	}
	for range a.bisections() {
		if len(searching) == 0 {
			break
		}
		mids := make([]float64, len(searching))
		for j, i := range searching {
			mids[j] = (low[i] + high[i]) / 2
		}
		if err := try(searching, mids); err != nil {
			return outcome{}, err
		}
	}
	return out, nil
}

// largestDistance is the largest distance in d between two images of g with
// values in [0, 1].
func largestDistance(d Distance, g classifier.Geometry) float64 {
	switch d {
	case Linf:
		return 1
	case L2:
		return math.Sqrt(float64(g.Pixels()))
	}
	return float64(g.Pixels())
}
