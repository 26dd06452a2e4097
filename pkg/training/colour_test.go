package training_test

import (
	"testing"

	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/training"
)

// Training takes the model's geometry and class count, not MNIST's: a
// small network learns 32×32 colour images of 5 classes, clean and against
// PGD.
func TestTrainsOnColourImagesOfFiveClasses(t *testing.T) {
	testutil.Slow(t)
	g := testutil.ColourGeometry
	train, val := testutil.Colour(1000, 1), testutil.Colour(200, 2)
	for _, adversary := range []training.Adversary{{}, training.PGDTraining(0.05)} {
		m, err := classifier.New(testutil.XLA(t), model.NewStore(), g, testutil.ConvLogits(g.Classes))
		if err != nil {
			t.Fatal(err)
		}
		opts := training.Options{MaxEpochs: 2, Seed: 1, Adversary: adversary}
		if adversary.Active() {
			opts.Adversary.Steps, opts.Adversary.StepSize = 3, 0.025
		}
		h, err := training.Train(m, train, val, opts)
		if err != nil {
			t.Fatalf("%v: %v", adversary.Mode, err)
		}
		_, accuracy, err := m.Evaluate(val.Images, val.Labels)
		if err != nil {
			t.Fatal(err)
		}
		if accuracy < 0.9 {
			t.Errorf("%v: %.3f on the validation images after %d epochs, want over 0.9 (chance is 0.2)", adversary.Mode, accuracy, len(h.Epochs))
		}
		if adversary.Active() && h.Kept().ValRobustAccuracy <= 0 {
			t.Errorf("PGD training kept no robust validation accuracy: %+v", h.Kept())
		}
	}
}
