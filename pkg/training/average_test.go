package training_test

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/training"
)

// With AverageFrom 2, a training of four epochs ends with the mean of the
// weights that trainings of two, three and four epochs without averaging
// end with: the steps go on from the weights themselves, untouched by the
// mean that stands in for them at each validation. A training stopped
// after two epochs and resumed ends with the same mean, bit for bit.
func TestAverageFromEndsWithTheMeanOfTheEpochsWeights(t *testing.T) {
	testutil.Slow(t)
	data := testutil.MNIST(t)
	train, val := data.Train.Head(640), data.Validation.Head(100)
	var log strings.Builder
	run := func(epochs, from int, dir string) (map[string][]float32, *training.History) {
		t.Helper()
		m, err := classifier.New(testutil.XLA(t), model.NewStore(), mnist.Geometry, testutil.Linear)
		if err != nil {
			t.Fatal(err)
		}
		log.Reset()
		o := training.Options{MaxEpochs: epochs, Seed: 3, Patience: 10, AverageFrom: from, ResumeDir: dir, Log: &log}
		h, err := training.Train(m, train, val, o)
		if err != nil {
			t.Fatal(err)
		}
		w := trainableWeights(t, m)
		return w, h
	}
	w2, _ := run(2, 0, "")
	w3, _ := run(3, 0, "")
	w4, h4 := run(4, 0, "")
	mean, h := run(4, 2, "")
	if !strings.Contains(log.String(), "(mean of the weights of 3 epochs)") {
		t.Errorf("the log does not say what it validated:\n%s", log.String())
	}
	for i, e := range h.Epochs {
		if want := i; e.Averaged != want {
			t.Errorf("epoch %d validated the mean of %d epochs, want %d", e.Epoch, e.Averaged, want)
		}
		// The training itself is the one without averaging.
		if e.Loss != h4.Epochs[i].Loss || e.Accuracy != h4.Epochs[i].Accuracy {
			t.Errorf("epoch %d trained to loss %v, accuracy %v; without averaging %v, %v", e.Epoch, e.Loss, e.Accuracy, h4.Epochs[i].Loss, h4.Epochs[i].Accuracy)
		}
	}
	moved := 0.0
	for path, got := range mean {
		for i, g := range got {
			want := (float64(w2[path][i]) + float64(w3[path][i]) + float64(w4[path][i])) / 3
			if math.Abs(float64(g)-want) > 1e-6 {
				t.Fatalf("%s[%d] is %v, the mean of epochs 2 to 4 is %v", path, i, g, want)
			}
			moved = max(moved, math.Abs(float64(w4[path][i]-w2[path][i])))
		}
	}
	if moved < 1e-3 {
		t.Fatalf("the weights moved at most %g from epoch 2 to 4: the mean proves nothing", moved)
	}

	dir := t.TempDir()
	run(2, 2, dir)
	resumed, _ := run(4, 2, dir)
	if !strings.Contains(log.String(), "after epoch 2") {
		t.Fatalf("the second part did not resume:\n%s", log.String())
	}
	requireSameWeights(t, "resumed, against one run", resumed, mean)
}

func TestAverageFromNegativeIsRefused(t *testing.T) {
	m, err := classifier.New(testutil.XLA(t), model.NewStore(), mnist.Geometry, testutil.Linear)
	if err != nil {
		t.Fatal(err)
	}
	data := testutil.MNIST(t)
	_, err = training.Train(m, data.Train.Head(64), data.Validation.Head(10), training.Options{AverageFrom: -1})
	if err == nil || !strings.Contains(err.Error(), "AverageFrom is -1") {
		t.Errorf("AverageFrom -1: %v, want a one-line error naming it", err)
	}
}

// TestEpochLineNamesTheMeanInGoodEnglish: the log line of an averaged epoch
// says how many epochs its weights average, one epoch in the singular.
func TestEpochLineNamesTheMeanInGoodEnglish(t *testing.T) {
	for _, c := range []struct {
		averaged int
		want     string
	}{
		{0, "val_accuracy 0.9000 (1.0s)"},
		{1, "(the weights of 1 epoch, the first of the mean)"},
		{4, "(mean of the weights of 4 epochs)"},
	} {
		line := training.EpochMetrics{Epoch: 3, ValAccuracy: 0.9, Averaged: c.averaged, Seconds: 1}.String()
		if !strings.Contains(line, c.want) {
			t.Errorf("averaged %d: %q does not say %q", c.averaged, line, c.want)
		}
	}
}
