package robustness

import (
	"fmt"
	"strings"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/classifier"
)

// TransferReport is how a target model fares on adversarials made against
// a source model: the attack reads only the source (its gradients or its
// answers), the target judges what came out.
type TransferReport struct {
	Attack   string
	Distance attack.Distance
	Epsilons []float64
	N        int // Images attacked.
	// SourceCleanAccuracy and TargetCleanAccuracy are the two models'
	// accuracies on the images before the attack.
	SourceCleanAccuracy, TargetCleanAccuracy float64
	// SourceAccuracy[e] is the source's accuracy on its own adversarials at
	// Epsilons[e] (its white-box robust accuracy under this attack alone);
	// TargetAccuracy[e] is the target's accuracy on the same images.
	SourceAccuracy, TargetAccuracy []float64
	// Result is the attack's run on the source: Result.Clipped[e] holds
	// the adversarials both models judged at Epsilons[e], to show or to
	// judge with a third model without running the attack again.
	Result *attack.Result
}

// Transfer attacks images (flat, with their labels) on source within each
// budget of epsilons, then classifies every clipped adversarial with target.
// Every image's adversarial counts, fooled the source or not, as in the
// transfer literature. Attacks that stop at their first success (PGD's
// default) leave adversarials at the source's boundary, which transfer
// less: set PGD's LastIterate to measure transfer the usual way.
func Transfer(source, target classifier.Predictor, images []float32, labels []int, a attack.Attack, epsilons ...float64) (*TransferReport, error) {
	switch {
	case source == nil || target == nil:
		return nil, fmt.Errorf("robustness.Transfer: the source or target model is nil: pass two models")
	case a == nil:
		return nil, fmt.Errorf("robustness.Transfer: no attack: give one, e.g. attack.NewPGD(attack.Linf)")
	case len(epsilons) == 0:
		return nil, fmt.Errorf("robustness.Transfer: no budgets: give at least one ε")
	case source.Geometry() != target.Geometry():
		return nil, fmt.Errorf("robustness.Transfer: the source takes %v, the target %v: transfer needs models of the same images and classes",
			source.Geometry(), target.Geometry())
	}
	n, err := source.Geometry().CheckLabeled(images, labels)
	if err != nil {
		return nil, fmt.Errorf("robustness.Transfer: %w", err)
	}
	r := &TransferReport{Attack: a.String(), Distance: a.Norm(), Epsilons: epsilons, N: n}
	if r.SourceCleanAccuracy, err = accuracy(source, images, labels); err != nil {
		return nil, fmt.Errorf("robustness.Transfer: source: %w", err)
	}
	if r.TargetCleanAccuracy, err = accuracy(target, images, labels); err != nil {
		return nil, fmt.Errorf("robustness.Transfer: target: %w", err)
	}
	res, err := a.Run(source, images, attack.Misclassification{Labels: labels}, epsilons...)
	if err != nil {
		return nil, fmt.Errorf("robustness.Transfer: %v: %w", a, err)
	}
	r.Result = res
	for e := range epsilons {
		src, err := accuracy(source, res.Clipped[e], labels)
		if err != nil {
			return nil, fmt.Errorf("robustness.Transfer: source: %w", err)
		}
		tgt, err := accuracy(target, res.Clipped[e], labels)
		if err != nil {
			return nil, fmt.Errorf("robustness.Transfer: target: %w", err)
		}
		r.SourceAccuracy, r.TargetAccuracy = append(r.SourceAccuracy, src), append(r.TargetAccuracy, tgt)
	}
	return r, nil
}

// accuracy is the fraction of images that m classifies as their labels.
func accuracy(m classifier.Predictor, images []float32, labels []int) (float64, error) {
	classes, _, err := classifier.Classify(m, images)
	if err != nil {
		return 0, err
	}
	right := make([]bool, len(classes))
	for i, c := range classes {
		right[i] = c == labels[i]
	}
	return fraction(right), nil
}

// Table prints the report: accuracy (%) of each model per budget, clean first.
func (r *TransferReport) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s against the source, %d images; accuracy (%%) by %v budget:\n", r.Attack, r.N, r.Distance)
	fmt.Fprintf(&b, "%-24s %6s", "ε", "clean")
	for _, eps := range r.Epsilons {
		fmt.Fprintf(&b, " %6.3g", eps)
	}
	b.WriteString("\n")
	for _, row := range []struct {
		name  string
		clean float64
		accs  []float64
	}{{"source (white-box)", r.SourceCleanAccuracy, r.SourceAccuracy}, {"target (transfer)", r.TargetCleanAccuracy, r.TargetAccuracy}} {
		fmt.Fprintf(&b, "%-24s %6.1f", row.name, 100*row.clean)
		for _, acc := range row.accs {
			fmt.Fprintf(&b, " %6.1f", 100*acc)
		}
		b.WriteString("\n")
	}
	return b.String()
}
