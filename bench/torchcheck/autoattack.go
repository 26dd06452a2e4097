package main

import (
	"fmt"
	"math"
	"os"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/robustness"
)

// The AutoAttack agreements asked (issue 17), in percentage points.
const (
	autoAttackTolerancePP = 0.5 // The robust accuracy.
	componentTolerancePP  = 1.0 // After each attack.
)

// autoAttackOrder names AutoAttack's attacks in the order both sides run them.
var autoAttackOrder = []string{"apgd_ce", "apgd_t", "fab_t", "square"}

// TheirAutoAttack is torchattacks' side, per image.
type TheirAutoAttack struct {
	N       int     `json:"n"`
	Epsilon float64 `json:"epsilon"`
	Clean   []bool  `json:"clean"` // Correctly classified.
	// After[name][i]: image i still robust once that attack and the ones
	// before it have run, at the standard version's settings.
	After map[string][]bool `json:"after"`
	// Literal[i]: robust under torchattacks.AutoAttack(version='standard')
	// as torchattacks calls its attacks (10 steps each).
	Literal []bool             `json:"literal"`
	Seconds map[string]float64 `json:"seconds"`
}

// AutoAttackComparison is the AutoAttack part of the JSON line; accuracies
// are fractions of the images.
type AutoAttackComparison struct {
	N                  int                `json:"n_images"`
	Epsilon            float64            `json:"epsilon"`
	Clean              float64            `json:"clean"`
	CleanTorch         float64            `json:"clean_torch"`
	After              map[string]float64 `json:"after"`
	AfterTorch         map[string]float64 `json:"after_torch"`
	Robust             float64            `json:"robust_accuracy"`
	RobustTorch        float64            `json:"robust_accuracy_torch"`
	RobustTorchLiteral float64            `json:"robust_accuracy_torch_autoattack_call"`
	OnlyOursRobust     int                `json:"images_only_ours_robust"`  // Robust for ours, fooled by torchattacks.
	OnlyTheirsRobust   int                `json:"images_only_torch_robust"` // The other way round.
	Agree              bool               `json:"agree"`
}

// compareAutoAttack runs our standard AutoAttack on the images and sets it
// beside theirs.
func compareAutoAttack(m *cnn.Model, images []float32, labels []int, spec AutoAttackSpec, theirs *TheirAutoAttack) (*AutoAttackComparison, error) {
	n := spec.N
	if len(theirs.Clean) != n || len(theirs.Literal) != n {
		return nil, fmt.Errorf("torchattacks' AutoAttack covers %d images, not %d: rerun make crosscheck", len(theirs.Clean), n)
	}
	for _, name := range autoAttackOrder {
		if len(theirs.After[name]) != n {
			return nil, fmt.Errorf("torchattacks' AutoAttack has no %s column on %d images: rerun make crosscheck", name, n)
		}
	}
	r, err := robustness.AutoAttack(m, images, labels, attack.Linf, spec.Epsilon, spec.Seed)
	if err != nil {
		return nil, err
	}
	return compareAutoAttackReports(r, theirs), nil
}

// compareAutoAttackReports compares our report with theirs.
func compareAutoAttackReports(r *robustness.Report, theirs *TheirAutoAttack) *AutoAttackComparison {
	n := theirs.N
	share := func(v []bool) float64 {
		k := 0
		for _, b := range v {
			if b {
				k++
			}
		}
		return float64(k) / float64(n)
	}
	last := autoAttackOrder[len(autoAttackOrder)-1]
	c := &AutoAttackComparison{N: n, Epsilon: theirs.Epsilon, Clean: r.CleanAccuracy, CleanTorch: share(theirs.Clean),
		After: map[string]float64{}, AfterTorch: map[string]float64{},
		Robust: r.RobustAccuracy[0], RobustTorch: share(theirs.After[last]), RobustTorchLiteral: share(theirs.Literal)}
	// Within a tolerance in points, counting a difference of exactly the
	// tolerance as within it despite rounding.
	within := func(a, b, pp float64) bool { return math.Abs(a-b)*100 <= pp+1e-9 }
	c.Agree = within(c.Robust, c.RobustTorch, autoAttackTolerancePP) && within(c.Clean, c.CleanTorch, 0)
	for k, name := range autoAttackOrder {
		c.After[name], c.AfterTorch[name] = r.AfterAttack[k][0], share(theirs.After[name])
		c.Agree = c.Agree && within(c.After[name], c.AfterTorch[name], componentTolerancePP)
	}
	for i := range n {
		switch ours, tor := r.Robust[0][i], theirs.After[last][i]; {
		case ours && !tor:
			c.OnlyOursRobust++
		case tor && !ours:
			c.OnlyTheirsRobust++
		}
	}
	return c
}

func (c *AutoAttackComparison) print(version string) {
	fmt.Fprintf(os.Stderr, "AutoAttack (standard) at L∞ ε = %g on the first %d test images, against torchattacks %s:\n", c.Epsilon, c.N, version)
	fmt.Fprintf(os.Stderr, "%-22s %10s %14s\n", "robust accuracy", "ours", "torchattacks")
	fmt.Fprintf(os.Stderr, "%-22s %9.2f%% %13.2f%%\n", "clean", 100*c.Clean, 100*c.CleanTorch)
	for _, name := range autoAttackOrder {
		fmt.Fprintf(os.Stderr, "%-22s %9.2f%% %13.2f%%\n", "after "+name, 100*c.After[name], 100*c.AfterTorch[name])
	}
	fmt.Fprintf(os.Stderr, "%-22s %10s %13.2f%%\n", "AutoAttack() call", "", 100*c.RobustTorchLiteral)
	fmt.Fprintf(os.Stderr, "images robust on one side only: ours %d, torchattacks' %d; agree: %v\n", c.OnlyOursRobust, c.OnlyTheirsRobust, c.Agree)
}
