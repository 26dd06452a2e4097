package experiment

import (
	"fmt"
	"image"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/plots"
	"github.com/advmlgo/advml/pkg/training"
)

// Caption is the article's caption of a classified digit, e.g.
// "prediction: 4; confidence: 0.32".
func Caption(prediction int, confidence float32) string {
	return fmt.Sprintf("prediction: %d; confidence: %.2f", prediction, confidence)
}

// Perturbation draws Image − Original of an adversarial as a heatmap: red
// where pixels were brightened, blue where darkened, white where unchanged.
func Perturbation(adv *attack.Adversarial) (image.Image, error) {
	delta := make([]float32, len(adv.Image))
	for i := range delta {
		delta[i] = adv.Image[i] - adv.Original[i]
	}
	return plots.Heatmap(delta, fmt.Sprintf("perturbation (L∞ %.2f, L2 %.2f, %d pixels)", adv.Linf, adv.L2, adv.L0))
}

// Adversarial draws the article's before-and-after: the original digit and
// the adversarial one, each captioned with the model's prediction and
// confidence, and the perturbation between them.
func Adversarial(adv *attack.Adversarial) (image.Image, error) {
	original, err := plots.Digit(adv.Original, Caption(adv.Source, adv.SourceConfidence))
	if err != nil {
		return nil, err
	}
	adversarial, err := plots.Digit(adv.Image, Caption(adv.Prediction, adv.Confidence))
	if err != nil {
		return nil, err
	}
	perturbation, err := Perturbation(adv)
	if err != nil {
		return nil, err
	}
	return plots.Row(original, adversarial, perturbation), nil
}

// Trajectory draws the model's confidence in the source and target classes
// at each step of an attack that records its trajectory (TargetedAscent).
func Trajectory(adv *attack.Adversarial) (image.Image, error) {
	if len(adv.Trajectory.Probabilities) == 0 {
		return nil, fmt.Errorf("experiment: the adversarial has no trajectory: only attack.TargetedAscent records one")
	}
	var series []plots.Series
	for _, c := range []struct {
		name  string
		class int
	}{{"source", adv.Source}, {"target", adv.Target}} {
		s := plots.Series{Name: fmt.Sprintf("%s class %d", c.name, c.class)}
		for step, p := range adv.Trajectory.Of(c.class) {
			s.X, s.Y = append(s.X, float64(step)), append(s.Y, float64(p))
		}
		series = append(series, s)
	}
	return plots.LineChart{
		Title:  fmt.Sprintf("confidence along the attack: %d → %d", adv.Source, adv.Target),
		XLabel: "step", YLabel: "probability", YMin: 0, YMax: 1,
	}.Render(series...)
}

// TrainingCurves draws a training History as two charts side by side: loss
// and val_loss, accuracy and val_accuracy, per epoch.
func TrainingCurves(h *training.History) (image.Image, error) {
	if h == nil || len(h.Epochs) == 0 {
		return nil, fmt.Errorf("experiment: TrainingCurves: the history has no epochs (was the model loaded from a checkpoint saved without one?)")
	}
	var charts []image.Image
	for _, pair := range [][2]string{{"loss", "val_loss"}, {"accuracy", "val_accuracy"}} {
		var series []plots.Series
		for _, name := range pair {
			x, y, err := h.Series(name)
			if err != nil {
				return nil, err
			}
			series = append(series, plots.Series{Name: name, X: x, Y: y})
		}
		chart, err := plots.LineChart{Title: pair[0] + " per epoch", XLabel: "epoch", YLabel: pair[0], Width: 480, Height: 340}.Render(series...)
		if err != nil {
			return nil, err
		}
		charts = append(charts, chart)
	}
	return plots.Row(charts...), nil
}

// RobustTrainingCurves draws an adversarial training's History: the
// validation accuracy, clean and under the training's validation attack,
// per epoch, with the warm-up epochs (ε still growing) named in the title.
func RobustTrainingCurves(h *training.History) (image.Image, error) {
	if h == nil || len(h.Epochs) == 0 {
		return nil, fmt.Errorf("experiment: RobustTrainingCurves: the history has no epochs (was the model loaded from a checkpoint saved without one?)")
	}
	epochs, clean, err := h.Series("val_accuracy")
	if err != nil {
		return nil, err
	}
	_, robust, err := h.Series("val_robust_accuracy")
	if err != nil {
		return nil, err
	}
	a := h.Adversary
	title := "validation accuracy per epoch"
	if a.WarmupEpochs > 0 {
		title += fmt.Sprintf(" (ε grows over epochs 1-%d)", a.WarmupEpochs)
	}
	return plots.LineChart{Title: title, XLabel: "epoch", YLabel: "accuracy", YMin: 0, YMax: 1}.Render(
		plots.Series{Name: "clean", X: epochs, Y: clean},
		plots.Series{Name: fmt.Sprintf("under PGD-%d, ε = %g", a.ValidationSteps, a.Epsilon), X: epochs, Y: robust})
}
