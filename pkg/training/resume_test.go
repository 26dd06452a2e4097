package training_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/training"
)

// A training stopped after three epochs (in its warm-up's wake) and
// resumed in a new process (a new model on a new store, which predicted
// once, so that the store holds fresh weights) ends with the weights and
// the history of the same training run in one go: the saved weights
// replace the fresh ones, and the warm-up of the adversary, the optimizer, the
// shuffles and the best epoch's weights all carry over.
func TestResumedTrainingEndsAsOneRun(t *testing.T) {
	testutil.Slow(t)
	data := testutil.MNIST(t)
	train, val := data.Train.Head(640), data.Validation.Head(100)
	images := data.Test.Images[:50*mnist.Pixels]
	opts := func(epochs int, dir string) training.Options {
		o := training.Options{MaxEpochs: epochs, Seed: 3, Patience: 10, RestoreBestWeights: true, ResumeDir: dir}
		o.Adversary = training.PGDTraining(0.1)
		o.Adversary.Steps, o.Adversary.StepSize, o.Adversary.WarmupEpochs, o.Adversary.ValidationImages = 2, 0.05, 2, 50
		return o
	}
	var log strings.Builder // The last run's per-epoch lines.
	run := func(epochs int, dir string) ([][]float32, *training.History) {
		t.Helper()
		m, err := classifier.New(testutil.XLA(t), model.NewStore(), mnist.Geometry, testutil.Linear)
		if err != nil {
			t.Fatal(err)
		}
		// It predicts first, as cnn.New's models do, so that its store
		// holds weights when the training resumes: they must give way to
		// the saved ones.
		if _, err := m.Predict(images); err != nil {
			t.Fatal(err)
		}
		log.Reset()
		o := opts(epochs, dir)
		o.Log = &log
		h, err := training.Train(m, train, val, o)
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.Predict(images)
		if err != nil {
			t.Fatal(err)
		}
		return p, h
	}
	whole, wholeHistory := run(5, "")
	dir := t.TempDir()
	if _, h := run(3, dir); len(h.Epochs) != 3 {
		t.Fatalf("the first part ran %d epochs, want 3", len(h.Epochs))
	}
	resumed, h := run(5, dir)
	// It trained the last two epochs only: without resuming, a fresh run of
	// five with the same seed would end the same and prove nothing.
	if lines := log.String(); !strings.Contains(lines, "after epoch 3") || strings.Count(lines, "Epoch ") != 2 {
		t.Fatalf("the resumed run's log:\n%s\nwant it resumed after epoch 3 and two epochs trained", lines)
	}
	if len(h.Epochs) != 5 || h.BestEpoch != wholeHistory.BestEpoch || h.WeightsEpoch != wholeHistory.WeightsEpoch {
		t.Fatalf("resumed history: %d epochs, best %d, weights of %d; in one run %d, %d, %d", len(h.Epochs), h.BestEpoch, h.WeightsEpoch,
			len(wholeHistory.Epochs), wholeHistory.BestEpoch, wholeHistory.WeightsEpoch)
	}
	for i, e := range h.Epochs {
		w := wholeHistory.Epochs[i]
		if e.Loss != w.Loss || e.ValLoss != w.ValLoss || e.ValRobustAccuracy != w.ValRobustAccuracy {
			t.Errorf("epoch %d resumed %v, in one run %v", i+1, e, w)
		}
	}
	if !equal(whole, resumed) {
		t.Error("the resumed training ends with other weights than the training run in one go")
	}
	// A state whose weights and state file disagree (a save cut short) is
	// refused in one line.
	if err := os.WriteFile(filepath.Join(dir, "resume.json"), []byte(`{"history":{"Epochs":[{"Epoch":1}]},"step":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := classifier.New(testutil.XLA(t), model.NewStore(), mnist.Geometry, testutil.Linear)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := training.Train(m, train, val, opts(5, dir)); err == nil || !strings.Contains(err.Error(), "delete the folder to start over") || strings.Contains(err.Error(), "\n") {
		t.Errorf("a damaged state: %v, want one line with the remedy", err)
	}
}
