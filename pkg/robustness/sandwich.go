package robustness

import (
	"fmt"
	"image"
	"strings"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/certify"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/plots"
)

// Sandwich draws what is known of each model's robustness against ε, one
// panel per model, from reports of EvaluateCertified (or
// AutoAttackCertified): the clean accuracy on top, the robust accuracy
// under the attacks (an upper bound: a stronger attack may fool more), and
// the certified accuracy (a lower bound: the bounds proved those images).
// The true robust accuracy lies between the two lower curves; the space
// between them is what neither the attacks nor the bounds settle. ε = 0
// shows the clean accuracy on all three.
func Sandwich(names []string, reports ...*Report) (image.Image, error) {
	if len(names) != len(reports) || len(reports) == 0 {
		return nil, fmt.Errorf("robustness: Sandwich has %d names for %d reports: give one name per report, at least one", len(names), len(reports))
	}
	panels := make([]image.Image, len(reports))
	for k, r := range reports {
		if r == nil || len(r.Proven) != len(r.Epsilons) {
			return nil, fmt.Errorf("robustness: the report of %q holds no certified images: make it with EvaluateCertified or AutoAttackCertified", names[k])
		}
		x := append([]float64{0}, r.Epsilons...)
		clean, attacked, certified := []float64{r.CleanAccuracy}, []float64{r.CleanAccuracy}, []float64{r.CleanAccuracy}
		for e := range r.Epsilons {
			clean = append(clean, r.CleanAccuracy)
			attacked = append(attacked, r.RobustAccuracy[e])
			certified = append(certified, fraction(r.Proven[e]))
		}
		var err error
		panels[k], err = plots.LineChart{Title: fmt.Sprintf("%s, %d digits", names[k], r.N), XLabel: fmt.Sprintf("ε (%v)", r.Distance),
			YLabel: "accuracy", YMin: 0, YMax: 1, Width: 360, Height: 340}.Render(
			plots.Series{Name: "clean", X: x, Y: clean},
			plots.Series{Name: "robust to the attacks (at most)", X: x, Y: attacked},
			plots.Series{Name: "certified (at least)", X: x, Y: certified})
		if err != nil {
			return nil, err
		}
	}
	return plots.Row(panels...), nil
}

// ProofExamples shows, at the budget Epsilons[e] of a report of
// EvaluateCertified, one digit of each kind among images (flat, the
// report's) with their labels: the first the bounds certify, the first
// they do not certify that an attack fooled (beside its adversarial), and
// the first that neither the bounds certified nor any attack fooled: the
// gap. A kind with no digit is left out.
func ProofExamples(r *Report, images []float32, labels []int, e int) (image.Image, error) {
	switch {
	case r == nil || len(r.Proven) != len(r.Epsilons):
		return nil, fmt.Errorf("robustness: the report holds no certified images: make it with EvaluateCertified or AutoAttackCertified")
	case e < 0 || e >= len(r.Epsilons):
		return nil, fmt.Errorf("robustness: budget index %d: the report has %d budgets (0 to %d)", e, len(r.Epsilons), len(r.Epsilons)-1)
	case len(labels) != r.N || len(images) != r.N*mnist.Pixels:
		return nil, fmt.Errorf("robustness: %d labels and %d pixel values for a report of %d images: pass the images it evaluated", len(labels), len(images), r.N)
	}
	eps := r.Epsilons[e]
	first := func(keep func(i int) bool) int {
		for i := range r.N {
			if keep(i) {
				return i
			}
		}
		return -1
	}
	digit := func(i int) []float32 { return images[i*mnist.Pixels : (i+1)*mnist.Pixels] }
	var panels []image.Image
	add := func(pixels []float32, caption string) error {
		p, err := plots.Digit(pixels, caption)
		panels = append(panels, p)
		return err
	}
	if i := first(func(i int) bool { return r.Proven[e][i] }); i >= 0 {
		if err := add(digit(i), fmt.Sprintf("%d: certified at ε %g", labels[i], eps)); err != nil {
			return nil, err
		}
	}
	if i := first(func(i int) bool { return !r.Proven[e][i] && r.FooledBy[e][i] >= 0 }); i >= 0 {
		if err := add(digit(i), fmt.Sprintf("%d: not certified", labels[i])); err != nil {
			return nil, err
		}
		adversarial := r.Adversarials[e][i*mnist.Pixels : (i+1)*mnist.Pixels]
		if err := add(adversarial, "fooled by "+r.Attacks[r.FooledBy[e][i]]); err != nil {
			return nil, err
		}
	}
	if i := first(func(i int) bool { return !r.Proven[e][i] && r.Robust[e][i] }); i >= 0 {
		if err := add(digit(i), fmt.Sprintf("%d: neither (the gap)", labels[i])); err != nil {
			return nil, err
		}
	}
	if len(panels) == 0 {
		return nil, fmt.Errorf("robustness: at ε %g no digit is certified, fooled or left between: the model misclassifies all %d", eps, r.N)
	}
	return plots.Grid(0, panels...)
}

// SmoothingCurve draws the certified accuracy of a smoothed classifier
// (certify.Smoothing's Certify) against the L2 radius, at the radii of
// the first report, beside the robust accuracy that the reports' L2 attacks
// measured (Evaluate, one curve per report) on the base classifier, the
// network that the smoothing wraps. Radius 0 shows each one's accuracy
// (the smoothed classifier's counts its abstentions as wrong).
func SmoothingCurve(s *certify.Smoothed, attacked ...*Report) (image.Image, error) {
	if s == nil || len(attacked) == 0 {
		return nil, fmt.Errorf("robustness: SmoothingCurve needs the smoothed classifier's certificates and at least one report of L2 attacks")
	}
	for _, r := range attacked {
		if r == nil || r.Distance != attack.L2 {
			return nil, fmt.Errorf("robustness: SmoothingCurve compares L2 radii: give it reports of L2 attacks")
		}
	}
	// The certificates at the first report's radii.
	radii := append([]float64{0}, attacked[0].Epsilons...)
	certified := make([]float64, len(radii))
	for k, radius := range radii {
		certified[k] = s.CertifiedAccuracy(radius)
	}
	series := []plots.Series{{Name: fmt.Sprintf("smoothed (σ %g): certified", s.Sigma), X: radii, Y: certified}}
	for _, r := range attacked {
		series = append(series, plots.Series{Name: "base network under " + strings.Join(r.Attacks, " + "),
			X: append([]float64{0}, r.Epsilons...), Y: append([]float64{r.CleanAccuracy}, r.RobustAccuracy...)})
	}
	return plots.LineChart{Title: fmt.Sprintf("L2 robustness, %d digits", len(s.Correct)), XLabel: "L2 radius",
		YLabel: "accuracy", YMin: 0, YMax: 1}.Render(series...)
}
