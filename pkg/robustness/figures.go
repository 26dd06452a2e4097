package robustness

import (
	"fmt"
	"image"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/plots"
)

// Curve draws robust accuracy against ε: the worst case over the attacks,
// and, when there are several, the robust accuracy after each attack in the
// order they ran. ε = 0 shows the clean accuracy.
func Curve(r *Report) (image.Image, error) {
	x := append([]float64{0}, r.Epsilons...)
	var series []plots.Series
	if len(r.Attacks) > 1 {
		for k, name := range r.Attacks {
			series = append(series, plots.Series{Name: "after " + name, X: x, Y: append([]float64{r.CleanAccuracy}, r.AfterAttack[k]...)})
		}
		series[len(series)-1].Name = "worst case (all attacks)"
	} else {
		series = append(series, plots.Series{Name: r.Attacks[0], X: x, Y: append([]float64{r.CleanAccuracy}, r.RobustAccuracy...)})
	}
	return plots.LineChart{Title: fmt.Sprintf("robust accuracy, %d test images", r.N), XLabel: fmt.Sprintf("ε (%v)", r.Distance),
		YLabel: "accuracy", YMin: 0, YMax: 1}.Render(series...)
}

// CompareCurves draws the worst-case robust accuracy of several reports
// against ε, one curve each, named by names.
func CompareCurves(names []string, reports ...*Report) (image.Image, error) {
	if len(names) != len(reports) {
		return nil, fmt.Errorf("robustness: %d names for %d reports", len(names), len(reports))
	}
	var series []plots.Series
	for k, r := range reports {
		series = append(series, plots.Series{Name: names[k], X: append([]float64{0}, r.Epsilons...),
			Y: append([]float64{r.CleanAccuracy}, r.RobustAccuracy...)})
	}
	return plots.LineChart{Title: "robust accuracy (worst case over the attacks)", XLabel: "ε", YLabel: "accuracy", YMin: 0, YMax: 1}.Render(series...)
}

// Gallery draws, for each attack's result (its first budget), the
// adversarials of its first n images in a row, each captioned with the
// model's prediction and the perturbation's size in the attack's norm; the
// first row shows the originals.
func Gallery(results []*attack.Result, n int) (image.Image, error) {
	if len(results) == 0 {
		return nil, fmt.Errorf("robustness: no results to draw")
	}
	n = min(n, results[0].N())
	var panels []image.Image
	first := results[0]
	for i := range n {
		adv := first.Adversarial(0, i)
		p, err := plots.Digit(adv.Original, fmt.Sprintf("original: %d", adv.Source))
		if err != nil {
			return nil, err
		}
		panels = append(panels, p)
	}
	for _, res := range results {
		for i := range n {
			adv := res.Adversarial(0, i)
			caption := fmt.Sprintf("→ %d, %v %.3g", adv.Prediction, res.Distance, res.Distance.Measure(adv.Original, adv.Image))
			if !adv.Succeeded {
				caption = "not fooled"
			}
			p, err := plots.Digit(adv.Image, caption)
			if err != nil {
				return nil, err
			}
			panels = append(panels, p)
		}
	}
	return plots.Grid(n, panels...)
}
