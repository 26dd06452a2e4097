package boundary

import (
	"fmt"
	"image"
	"strings"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/plots"
)

// CarliniWagnerTableIV is the distortion Carlini and Wagner report for their
// targeted L2 attack on their MNIST model (Table IV of "Towards Evaluating
// the Robustness of Neural Networks", 2017), to compare with TableIV.
var CarliniWagnerTableIV = Distortion{Best: 1.36, Average: 1.76, Worst: 2.60, SuccessRate: 1}

// classLabels returns "0", "1", ... for k classes.
func classLabels(k int) []string {
	out := make([]string, k)
	for i := range out {
		out[i] = fmt.Sprint(i)
	}
	return out
}

// Heatmap draws the median distance in d (L2 or Linf) of every (source,
// target) pair: sources in rows, targets in columns.
func (mp *Map) Heatmap(d attack.Distance) (image.Image, error) {
	medians, err := mp.Medians(d)
	if err != nil {
		return nil, err
	}
	labels := classLabels(mp.Classes)
	return plots.Matrix(medians, labels, labels, "%.2f",
		fmt.Sprintf("median minimal %v from a digit (row) into a class (column), %d digits each", d, mp.PerClass))
}

// Grid draws the first digit of each class (rows) pushed into each class
// (columns); the diagonal holds the digits themselves.
func (mp *Map) Grid() (image.Image, error) {
	labels := classLabels(mp.Classes)
	return plots.Mosaic(mp.Examples, labels, labels, 56, "each row's digit, pushed into each column's class")
}

// Summary names the easiest and hardest pairs in d and gives Carlini and
// Wagner's Table IV form beside their figures.
func (mp *Map) Summary(d attack.Distance) (string, error) {
	ranked, err := mp.Ranked(d)
	if err != nil {
		return "", err
	}
	table, err := mp.TableIV(d)
	if err != nil {
		return "", err
	}
	pairs := func(ps []Pair) string {
		var parts []string
		for _, p := range ps {
			parts = append(parts, fmt.Sprintf("%d→%d (%.2f)", p.Source, p.Target, p.Median))
		}
		return strings.Join(parts, ", ")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "easiest pairs: %s\n", pairs(ranked[:3]))
	fmt.Fprintf(&b, "hardest pairs: %s\n", pairs(ranked[len(ranked)-3:]))
	fmt.Fprintf(&b, "targeted %v distortion (Carlini and Wagner's Table IV form), best / average / worst case over the targets of each digit:\n", d)
	fmt.Fprintf(&b, "  this model, %s: %.2f / %.2f / %.2f (%.0f%% of the pairs fooled)\n", mp.Attack, table.Best, table.Average, table.Worst, 100*table.SuccessRate)
	if d == attack.L2 {
		c := CarliniWagnerTableIV
		fmt.Fprintf(&b, "  Carlini and Wagner's model and L2 attack:  %.2f / %.2f / %.2f\n", c.Best, c.Average, c.Worst)
	}
	return b.String(), nil
}

// Figure draws the walk: the probabilities of the classes the path predicts
// along it, with the flip marked, and the images on either side of the flip.
func (w *Walk) Figure() (image.Image, error) {
	var series []plots.Series
	for _, class := range w.Classes() {
		s := plots.Series{Name: fmt.Sprintf("p(%d)", class), X: w.Positions}
		for _, probs := range w.Probabilities {
			s.Y = append(s.Y, float64(probs[class]))
		}
		series = append(series, s)
	}
	xLabel := "position along the line"
	if strings.HasPrefix(w.Label, "attack") {
		xLabel = "step"
	}
	if w.Flip > 0 {
		x := w.Positions[w.Flip]
		series = append(series, plots.Series{Name: "flip", X: []float64{x, x}, Y: []float64{0, 1}})
	}
	chart, err := plots.LineChart{Title: "class probabilities along the " + w.Label, XLabel: xLabel, YLabel: "probability",
		YMin: 0, YMax: 1}.Render(series...)
	if err != nil || w.Flip <= 0 {
		return chart, err
	}
	before, err := plots.Digit(w.Before, fmt.Sprintf("just before: %d", w.BeforeClass))
	if err != nil {
		return nil, err
	}
	after, err := plots.Digit(w.After, fmt.Sprintf("just after: %d", w.AfterClass))
	if err != nil {
		return nil, err
	}
	return plots.Row(chart, before, after), nil
}
