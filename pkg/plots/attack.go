package plots

import (
	"fmt"
	"image"

	"github.com/advmlgo/advml/pkg/attack"
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
	return Heatmap(delta, fmt.Sprintf("perturbation (L∞ %.2f, L2 %.2f, %d pixels)", adv.Linf, adv.L2, adv.L0))
}

// Adversarial draws the article's before-and-after: the original digit and
// the adversarial one, each captioned with the model's prediction and
// confidence, and the perturbation between them.
func Adversarial(adv *attack.Adversarial) (image.Image, error) {
	original, err := Digit(adv.Original, Caption(adv.Source, adv.SourceConfidence))
	if err != nil {
		return nil, err
	}
	adversarial, err := Digit(adv.Image, Caption(adv.Prediction, adv.Confidence))
	if err != nil {
		return nil, err
	}
	perturbation, err := Perturbation(adv)
	if err != nil {
		return nil, err
	}
	return Row(original, adversarial, perturbation), nil
}

// Trajectory draws the model's confidence in the source and target classes
// at each step of an attack.
func Trajectory(adv *attack.Adversarial) (image.Image, error) {
	tr := adv.Trajectory
	steps := make([]float64, len(tr.Source))
	source := make([]float64, len(tr.Source))
	target := make([]float64, len(tr.Target))
	for i := range steps {
		steps[i] = float64(i)
		source[i] = float64(tr.Source[i])
		target[i] = float64(tr.Target[i])
	}
	return LineChart{
		Title:  fmt.Sprintf("confidence along the attack: %d → %d", adv.Source, adv.Target),
		XLabel: "step", YLabel: "probability", YMin: 0, YMax: 1,
	}.Render(
		Series{Name: fmt.Sprintf("source class %d", adv.Source), X: steps, Y: source},
		Series{Name: fmt.Sprintf("target class %d", adv.Target), X: steps, Y: target},
	)
}
