package plots

import (
	"fmt"
	"image"

	"github.com/advmlgo/advml/pkg/training"
)

// TrainingCurves draws a training History as two charts side by side: loss
// and val_loss, accuracy and val_accuracy, per epoch.
func TrainingCurves(h *training.History) (image.Image, error) {
	if h == nil || len(h.Epochs) == 0 {
		return nil, fmt.Errorf("plots: TrainingCurves: the history has no epochs (was the model loaded from a checkpoint saved without one?)")
	}
	var charts []image.Image
	for _, pair := range [][2]string{{"loss", "val_loss"}, {"accuracy", "val_accuracy"}} {
		var series []Series
		for _, name := range pair {
			x, y, err := h.Series(name)
			if err != nil {
				return nil, err
			}
			series = append(series, Series{Name: name, X: x, Y: y})
		}
		chart, err := LineChart{Title: pair[0] + " per epoch", XLabel: "epoch", YLabel: pair[0], Width: 480, Height: 340}.Render(series...)
		if err != nil {
			return nil, err
		}
		charts = append(charts, chart)
	}
	return Row(charts...), nil
}
