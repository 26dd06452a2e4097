package robustness

import (
	"fmt"
	"strings"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/certify"
	"github.com/advmlgo/advml/pkg/classifier"
)

// AutoAttackAttacks returns the attacks of AutoAttack's standard version
// (Croce and Hein 2020) in d (L∞ or L2), in its order, for a model of 10
// classes or more: APGD-CE (100 steps, one run), APGD-T (targeted DLR over
// the 9 likeliest wrong classes, 100 steps each), FAB-T (9 targets, 100
// steps each) and Square (5,000 queries). seed seeds the random starts of
// APGD and Square's windows. AutoAttackAttacksFor is the same for any
// number of classes.
func AutoAttackAttacks(d attack.Distance, seed int64) []attack.Attack {
	return AutoAttackAttacksFor(10, d, seed)
}

// AutoAttackAttacksFor is AutoAttackAttacks for a model of the given
// number of classes: APGD-T and FAB-T try the 9 likeliest wrong classes,
// or every wrong class when there are fewer (as torchattacks' AutoAttack
// sets them from its n_classes).
func AutoAttackAttacksFor(classes int, d attack.Distance, seed int64) []attack.Attack {
	targets := max(min(9, classes-1), 1)
	ce := attack.NewAPGD(d, attack.CrossEntropy)
	targeted := attack.NewAPGD(d, attack.TargetedDLR)
	targeted.NumTargets = targets
	fab := attack.NewFAB(d)
	fab.Targets = targets
	square := attack.NewSquare(d)
	ce.Seed, targeted.Seed, square.Seed = seed, seed, seed
	return []attack.Attack{ce, targeted, fab, square}
}

// AutoAttack evaluates m at the budget eps in d as AutoAttack's standard
// version does: its four attacks (AutoAttackAttacksFor m's classes) run in turn, each on
// the images that the ones before left classified right, and an image
// counts as robust only if all four fail on it. The Report's AfterAttack
// holds the robust accuracy after each attack, the cumulative column that
// AutoAttack prints; AutoAttackTable prints it beside the number of images
// each attack fooled.
func AutoAttack(m classifier.Predictor, images []float32, labels []int, d attack.Distance, eps float64, seed int64) (*Report, error) {
	if d != attack.Linf && d != attack.L2 {
		return nil, fmt.Errorf("robustness: AutoAttack in %v: its standard version is for attack.Linf and attack.L2", d)
	}
	if m == nil {
		return nil, fmt.Errorf("robustness: AutoAttack: the model is nil: give a classifier (cnn.Load, onnxmodel.Load, classifier.New)")
	}
	return Evaluate(m, images, labels, AutoAttackAttacksFor(m.Geometry().Classes, d, seed), eps)
}

// Certifiable is a classifier whose bounds package certify computes: a
// network of package cnn (cnn.New, cnn.Load) or an ONNX model
// (onnxmodel.Load) of the operations certify.Bounder lists.
type Certifiable interface {
	classifier.Predictor
	certify.Model
}

// AutoAttackCertified is AutoAttack in L∞ for a certifiable network, evaluated by
// EvaluateCertified: the images that CROWN-IBP's bounds certify count as
// robust unattacked, so the result is AutoAttack's at the cost of the
// images that are not certified. On a model trained on its bounds most
// images are.
func AutoAttackCertified(m Certifiable, images []float32, labels []int, eps float64, seed int64) (*Report, error) {
	if m == nil {
		return nil, fmt.Errorf("robustness: the model is nil: load one with cnn.Load or onnxmodel.Load, or train one")
	}
	return EvaluateCertified(m, images, labels, AutoAttackAttacksFor(m.Geometry().Classes, attack.Linf, seed), eps)
}

// EvaluateCertified is Evaluate for a certifiable network and L∞ attacks that
// first certifies each image at each budget by CROWN-IBP's bounds
// (certify.CROWNIBP) and runs the attacks only on those the bounds leave:
// a certified image is one no perturbation within the budget can fool, so
// the result is Evaluate's. The Report's Proven holds the certified images.
func EvaluateCertified(m Certifiable, images []float32, labels []int, attacks []attack.Attack, epsilons ...float64) (*Report, error) {
	if m == nil {
		return nil, fmt.Errorf("robustness: the model is nil: load one with cnn.Load or onnxmodel.Load, or train one")
	}
	for k, a := range attacks {
		if a.Norm() != attack.Linf {
			return nil, fmt.Errorf("robustness: attack %d (%v) measures in %v: the bounds certify L∞ balls, so EvaluateCertified takes L∞ attacks (use Evaluate for others)", k, a, a.Norm())
		}
	}
	proven := func(eps float64) ([]bool, error) {
		b, err := certify.CROWNIBP(m, images, labels, eps)
		if err != nil {
			return nil, err
		}
		return b.Certified, nil
	}
	return evaluate(m, images, labels, attacks, proven, epsilons...)
}

// AutoAttackTable prints the first budget of a report as AutoAttack does:
// the clean accuracy, then per attack the images it fooled and the robust
// accuracy after it (cumulative), then the robust accuracy.
func (r *Report) AutoAttackTable() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d images, %v ε = %g\n", r.N, r.Distance, r.Epsilons[0])
	fmt.Fprintf(&b, "%-44s %8s %10s\n", "", "fooled", "robust (%)")
	fmt.Fprintf(&b, "%-44s %8s %10.2f\n", "clean", "", 100*r.CleanAccuracy)
	if len(r.Proven) > 0 {
		fmt.Fprintf(&b, "%-44s %8s %10.2f\n", "certified by bounds (not attacked)", "", 100*fraction(r.Proven[0]))
	}
	previous := r.CleanAccuracy
	for k, name := range r.Attacks {
		after := r.AfterAttack[k][0]
		fmt.Fprintf(&b, "%-44.44s %8d %10.2f\n", "after "+name, int(float64(r.N)*(previous-after)+0.5), 100*after)
		previous = after
	}
	fmt.Fprintf(&b, "%-44s %8s %10.2f\n", "robust accuracy", "", 100*r.RobustAccuracy[0])
	return b.String()
}
