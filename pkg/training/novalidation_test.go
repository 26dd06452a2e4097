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

// Without a validation set, every epoch runs (Patience 0 would stop a
// validated run at its first epoch without improvement), nothing is
// measured after it, and the model ends with the mean of the averaged
// epochs even when RestoreBestWeights asks for a best epoch: the same
// weights as a validated run that keeps its last mean, since validation
// never touches the steps. A nil set and an empty one are the same, and a
// stopped run resumes to the same weights.
func TestTrainWithoutValidationKeepsTheLastEpochsMean(t *testing.T) {
	data := testutil.MNIST(t)
	train := data.Train.Head(640)
	var log strings.Builder
	run := func(epochs int, val *mnist.Split, opts training.Options) (map[string][]float32, *training.History) {
		t.Helper()
		m, err := classifier.New(testutil.XLA(t), model.NewStore(), mnist.Geometry, testutil.Linear)
		if err != nil {
			t.Fatal(err)
		}
		log.Reset()
		opts.MaxEpochs, opts.Seed, opts.AverageFrom, opts.Log = epochs, 3, 2, &log
		h, err := training.Train(m, train, val, opts)
		if err != nil {
			t.Fatal(err)
		}
		return trainableWeights(t, m), h
	}
	validated, _ := run(4, data.Validation.Head(100), training.Options{Patience: 10})
	for name, val := range map[string]*mnist.Split{"nil": nil, "empty": {Images: []float32{}, Labels: []int{}}} {
		got, h := run(4, val, training.Options{Patience: 0, RestoreBestWeights: true})
		if len(h.Epochs) != 4 || h.EarlyStopped || h.WeightsEpoch != 4 {
			t.Errorf("%s validation set: %d epochs, early stopped %v, the weights of epoch %d; want all 4 run and the last kept",
				name, len(h.Epochs), h.EarlyStopped, h.WeightsEpoch)
		}
		for _, e := range h.Epochs {
			if !e.Unvalidated || e.ValLoss != 0 || e.ValAccuracy != 0 || e.Robust {
				t.Errorf("%s validation set, epoch %d: %+v, want it marked Unvalidated with nothing measured", name, e.Epoch, e)
			}
		}
		if !strings.Contains(log.String(), "Epoch 4: loss") || !strings.Contains(log.String(), "no validation (mean of the weights of 3 epochs)") ||
			strings.Contains(log.String(), "val_loss") {
			t.Errorf("%s validation set: the log does not say that nothing was validated:\n%s", name, log.String())
		}
		requireSameWeights(t, name+" validation set, against the validated run keeping its last mean", got, validated)
	}
	dir := t.TempDir()
	half, _ := run(2, nil, training.Options{ResumeDir: dir})
	moved := false
	for path, w := range half {
		moved = moved || !slices.Equal(w, validated[path])
	}
	if !moved {
		t.Fatal("the weights after epoch 2 equal the mean of epochs 2 to 4: the comparisons prove nothing")
	}
	resumed, _ := run(4, nil, training.Options{ResumeDir: dir})
	if !strings.Contains(log.String(), "after epoch 2") {
		t.Fatalf("the second part did not resume:\n%s", log.String())
	}
	requireSameWeights(t, "resumed without validation, against one run", resumed, validated)
}
