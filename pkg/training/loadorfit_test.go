package training_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/training"
)

func TestLoadOrFitTrainsOnceThenLoadsAndOneSeedRepeatsARun(t *testing.T) {
	testutil.Slow(t)
	full := testutil.MNIST(t)
	data := &mnist.Data{Train: full.Train.Head(2000), Validation: full.Validation.Head(500), Test: full.Test}
	images := full.Test.Images[:50*mnist.Pixels]
	fit := func(dir string, seed int64) ([][]float32, *training.History, bool) {
		t.Helper()
		m, err := classifier.New(testutil.XLA(t), model.NewStore(), mnist.Geometry, testutil.Linear)
		if err != nil {
			t.Fatal(err)
		}
		h, loaded, err := training.LoadOrFit(m, dir, data, options(1, seed), false)
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.Predict(images)
		if err != nil {
			t.Fatal(err)
		}
		return p, h, loaded
	}
	dir := t.TempDir()
	trained, h, loaded := fit(dir, 7)
	if loaded || len(h.Epochs) != 1 || h.Epochs[0].ValAccuracy < 0.5 {
		t.Fatalf("first call: loaded %v, history %+v; want one epoch trained to over 50%%", loaded, h.Epochs)
	}
	again, h2, loaded := fit(dir, 99) // The seed no longer matters: the checkpoint is loaded.
	if !loaded || len(h2.Epochs) != 1 || !equal(trained, again) {
		t.Errorf("second call: loaded %v, %d epochs, same predictions %v; want the saved model", loaded, len(h2.Epochs), equal(trained, again))
	}
	repeat, _, _ := fit(t.TempDir(), 7)
	other, _, _ := fit(t.TempDir(), 8)
	if !equal(trained, repeat) {
		t.Error("the same seed in a new folder trained a different model: the weights' initialisation is not seeded")
	}
	if equal(trained, other) {
		t.Error("seeds 7 and 8 trained the same model")
	}
}

func TestLoadOrFitRefusesAStoreThatHoldsWeights(t *testing.T) {
	dir := t.TempDir()
	m, err := classifier.New(testutil.XLA(t), model.NewStore(), mnist.Geometry, testutil.Linear)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Predict(make([]float32, mnist.Pixels)); err != nil { // Creates the weights.
		t.Fatal(err)
	}
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	_, _, err = training.LoadOrFit(m, dir, nil, options(1, 1), false)
	if err == nil || !strings.Contains(err.Error(), "new store") {
		t.Errorf("loading into a model that has weights: %v, want an error naming the remedy", err)
	}
	_, _, err = training.LoadOrFit(nil, dir, nil, options(1, 1), false)
	if err == nil || !strings.Contains(err.Error(), "classifier.New") {
		t.Errorf("nil model: %v", err)
	}
}

// equal tells whether two predictions agree to the last bit.
func equal(a, b [][]float32) bool {
	return slices.EqualFunc(a, b, func(x, y []float32) bool { return slices.Equal(x, y) })
}

// Options.Seed decides the starting weights of a model of one's own even
// when it predicted before training (which draws its weights, unseeded).
func TestSeedDecidesAfterAPrediction(t *testing.T) {
	testutil.Slow(t)
	full := testutil.MNIST(t)
	train, val := full.Train.Head(500), full.Validation.Head(100)
	images := full.Test.Images[:20*mnist.Pixels]
	fit := func(seed int64, predictFirst bool) [][]float32 {
		t.Helper()
		m, err := classifier.New(testutil.XLA(t), model.NewStore(), mnist.Geometry, testutil.Linear)
		if err != nil {
			t.Fatal(err)
		}
		if predictFirst {
			if _, err := m.Predict(images); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := training.Train(m, train, val, options(1, seed)); err != nil {
			t.Fatal(err)
		}
		p, err := m.Predict(images)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if !equal(fit(7, true), fit(7, false)) {
		t.Error("seed 7 trained another model after a prediction than without one: the seed was not used")
	}
	if equal(fit(7, true), fit(8, true)) {
		t.Error("seeds 7 and 8 trained the same model after a prediction")
	}
}
