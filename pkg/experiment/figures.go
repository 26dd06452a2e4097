package experiment

import (
	"fmt"
	"image"
	"path/filepath"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/plots"
	"github.com/advmlgo/advml/pkg/robustness"
	"github.com/advmlgo/advml/pkg/training"
)

// SampleGrid draws the first n digits of split in a grid, captioned with
// their labels.
func SampleGrid(split *mnist.Split, n, cols int) (image.Image, error) {
	n = min(n, split.Len())
	panels := make([]image.Image, n)
	for i := range n {
		var err error
		if panels[i], err = plots.Digit(split.Image(i), fmt.Sprintf("label: %d", split.Labels[i])); err != nil {
			return nil, err
		}
	}
	return plots.Grid(cols, panels...)
}

// WriteFigures writes the figures of a run into dir and returns their paths:
// sample digits, training curves (when the history has epochs), the first
// pair's before-and-after and confidence trajectory, and a gallery of the
// first eight pairs.
func WriteFigures(dir string, test *mnist.Split, h *training.History, res *attack.Result) ([]string, error) {
	type figure struct {
		name string
		draw func() (image.Image, error)
	}
	figures := []figure{{"samples.png", func() (image.Image, error) { return SampleGrid(test, 32, 8) }}}
	if h != nil && len(h.Epochs) > 0 {
		figures = append(figures, figure{"training_curves.png", func() (image.Image, error) { return TrainingCurves(h) }})
	}
	if res.N() > 0 {
		adv := res.Adversarial(0, 0)
		first := &adv
		figures = append(figures,
			figure{"attack_example.png", func() (image.Image, error) { return Adversarial(first) }},
			figure{"trajectory.png", func() (image.Image, error) { return Trajectory(first) }},
			figure{"gallery.png", func() (image.Image, error) { return robustness.Gallery([]*attack.Result{res}, 8) }})
	}
	var paths []string
	for _, f := range figures {
		img, err := f.draw()
		if err != nil {
			return paths, fmt.Errorf("figure %s: %w", f.name, err)
		}
		path := filepath.Join(dir, f.name)
		if err := plots.SavePNG(path, img); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}
