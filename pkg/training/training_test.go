package training_test

import (
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/gomlx/gomlx/ml/model"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/training"
)

// options returns the project's settings with maxEpochs and seed.
func options(maxEpochs int, seed int64) training.Options {
	o := training.DefaultOptions()
	o.MaxEpochs, o.Seed = maxEpochs, seed
	return o
}

func TestShortTrainingRaisesAccuracy(t *testing.T) {
	testutil.Slow(t)
	data := testutil.MNIST(t)
	train, val := data.Train.Head(3000), data.Validation.Head(1000)
	m, err := cnn.New(testutil.XLA(t), cnn.Default, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, before, err := m.Evaluate(val.Images, val.Labels)
	if err != nil {
		t.Fatal(err)
	}
	h, err := training.Train(m, train, val, options(2, 1))
	if err != nil {
		t.Fatal(err)
	}
	lossAfter, after, err := m.Evaluate(val.Images, val.Labels)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("validation accuracy %.3f before, %.3f after %d epochs", before, after, len(h.Epochs))
	if after < before+0.5 || after < 0.8 {
		t.Errorf("validation accuracy went from %.3f to %.3f: training did not learn", before, after)
	}
	if len(h.Epochs) != 2 || h.Epochs[0].Epoch != 1 || h.Epochs[1].Epoch != 2 {
		t.Fatalf("history %+v, want epochs 1 and 2", h.Epochs)
	}
	best := h.Best()
	if math.Abs(best.ValLoss-lossAfter) > 1e-5 || best.ValAccuracy != after {
		t.Errorf("the model holds val loss %g / accuracy %g, history's best epoch %d says %g / %g",
			lossAfter, after, h.BestEpoch, best.ValLoss, best.ValAccuracy)
	}
	for _, e := range h.Epochs {
		if !(e.Loss > 0) || e.Accuracy <= 0 || e.Accuracy > 1 || e.Seconds <= 0 {
			t.Errorf("implausible epoch metrics %+v", e)
		}
	}
}

// TestEarlyStoppingRestoresBestWeights uses a learning rate far too large,
// so that the validation loss worsens after the first epochs.
func TestEarlyStoppingRestoresBestWeights(t *testing.T) {
	testutil.Slow(t)
	data := testutil.MNIST(t)
	train, val := data.Train.Head(2000), data.Validation.Head(500)
	m, err := cnn.New(testutil.XLA(t), cnn.Default, 1)
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	o := options(12, 1)
	o.LearningRate, o.Log = 0.5, &log
	h, err := training.Train(m, train, val, o)
	if err != nil {
		t.Fatal(err)
	}
	if !h.EarlyStopped || len(h.Epochs) == 12 {
		t.Fatalf("no early stop in %d epochs:\n%s", len(h.Epochs), log.String())
	}
	if got := len(h.Epochs) - h.BestEpoch; got != 2 {
		t.Errorf("stopped %d epochs after the best one, patience is 2:\n%s", got, log.String())
	}
	for _, e := range h.Epochs {
		if e.ValLoss < h.Best().ValLoss {
			t.Errorf("epoch %d has a lower validation loss than the 'best' epoch %d", e.Epoch, h.BestEpoch)
		}
	}
	valLoss, _, err := m.Evaluate(val.Images, val.Labels)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(valLoss-h.Best().ValLoss) > 1e-4*h.Best().ValLoss {
		t.Errorf("after training the model's validation loss is %g, the best epoch's was %g: weights not restored", valLoss, h.Best().ValLoss)
	}
	if !strings.Contains(log.String(), "Early stopping") || strings.Count(log.String(), "val_loss") != len(h.Epochs) {
		t.Errorf("log does not tell the story:\n%s", log.String())
	}
}

// TestKerasDefaultsPatienceZero trains with Keras' EarlyStopping defaults:
// patience 0 stops at the first epoch that does not improve, and without
// RestoreBestWeights the model keeps that last epoch's weights.
func TestKerasDefaultsPatienceZero(t *testing.T) {
	testutil.Slow(t)
	data := testutil.MNIST(t)
	train, val := data.Train.Head(2000), data.Validation.Head(500)
	m, err := cnn.New(testutil.XLA(t), cnn.Default, 1)
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	o := options(12, 1)
	o.LearningRate, o.Patience, o.RestoreBestWeights, o.Log = 0.5, 0, false, &log
	h, err := training.Train(m, train, val, o)
	if err != nil {
		t.Fatal(err)
	}
	last := h.Epochs[len(h.Epochs)-1]
	if !h.EarlyStopped || h.BestEpoch != last.Epoch-1 || !(last.ValLoss >= h.Best().ValLoss) {
		t.Fatalf("patience 0 should stop at the first epoch without improvement; stopped at %d, best %d:\n%s",
			last.Epoch, h.BestEpoch, log.String())
	}
	if h.WeightsEpoch != last.Epoch || h.Kept() != last {
		t.Errorf("WeightsEpoch %d, Kept() %+v: want the last epoch %d", h.WeightsEpoch, h.Kept(), last.Epoch)
	}
	valLoss, _, err := m.Evaluate(val.Images, val.Labels)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(valLoss-last.ValLoss) > 1e-4*last.ValLoss {
		t.Errorf("the model's validation loss is %g, the last epoch's was %g: the last weights were not kept", valLoss, last.ValLoss)
	}
}

func TestSameSeedSameHistory(t *testing.T) {
	testutil.Slow(t)
	data := testutil.MNIST(t)
	train, val := data.Train.Head(1000), data.Validation.Head(300)
	run := func() *training.History {
		m, err := cnn.New(testutil.XLA(t), cnn.Default, 4)
		if err != nil {
			t.Fatal(err)
		}
		h, err := training.Train(m, train, val, options(2, 9))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	a, b := run(), run()
	for i := range a.Epochs {
		x, y := a.Epochs[i], b.Epochs[i]
		if x.Loss != y.Loss || x.ValLoss != y.ValLoss || x.Accuracy != y.Accuracy {
			t.Errorf("epoch %d differs between two runs with the same seeds: %v / %v", i+1, x, y)
		}
	}
}

func TestBadOptionsAndData(t *testing.T) {
	data := testutil.MNIST(t)
	train, val := data.Train.Head(100), data.Validation.Head(100)
	m, err := cnn.New(testutil.XLA(t), cnn.Default, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		change func(*training.Options)
		want   string
	}{
		{func(o *training.Options) { o.MaxEpochs = -1 }, "MaxEpochs is -1"},
		{func(o *training.Options) { o.BatchSize = -64 }, "BatchSize is -64"},
		{func(o *training.Options) { o.LearningRate = -0.001 }, "LearningRate is -0.001"},
		{func(o *training.Options) { o.LearningRate = math.NaN() }, "LearningRate is NaN"},
		{func(o *training.Options) { o.Patience = -1 }, "Patience is -1"},
		{func(o *training.Options) { o.MinDelta = -0.1 }, "MinDelta is -0.1"},
		{func(o *training.Options) { o.MinDelta = math.Inf(1) }, "MinDelta is +Inf"},
		{func(o *training.Options) { o.Noise = -0.25 }, "Noise is -0.25"},
		{func(o *training.Options) { o.Noise = math.NaN() }, "Noise is NaN"},
		{func(o *training.Options) { o.Noise, o.Adversary = 0.25, training.PGDTraining(0.3) }, "not both"},
	} {
		o := training.DefaultOptions()
		tc.change(&o)
		_, err := training.Train(m, train, val, o)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("want a one-line error with %q, got %v", tc.want, err)
		}
	}
	if _, err := training.Train(m, &mnist.Split{}, val, training.DefaultOptions()); err == nil || !strings.Contains(err.Error(), "training set is empty") {
		t.Errorf("empty training set: %v", err)
	}
	bad := data.Train.Head(10)
	bad.Labels[3] = 11
	if _, err := training.Train(m, bad, val, training.DefaultOptions()); err == nil || !strings.Contains(err.Error(), "training: the training set: label 11 of image 3 is not a class: use 0 to 9") {
		t.Errorf("label 11: %v", err)
	}
	// Pixels in 0..255 are named before the first epoch, in either set.
	scaled := data.Train.Head(10)
	scaled.Images = slices.Clone(scaled.Images)
	for i := range scaled.Images {
		scaled.Images[i] *= 255
	}
	if _, err := training.Train(m, scaled, val, training.DefaultOptions()); err == nil || !strings.Contains(err.Error(), "training: the training set: ") || !strings.Contains(err.Error(), "divide them by 255") {
		t.Errorf("a training set in 0..255: %v, want a one-line error naming it", err)
	}
	if _, err := training.Train(m, data.Train.Head(10), scaled, training.DefaultOptions()); err == nil || !strings.Contains(err.Error(), "training: the validation set: ") {
		t.Errorf("a validation set in 0..255: %v, want a one-line error naming it", err)
	}
}

// The zero Options train, with the documented defaults.
func TestZeroOptionsTrain(t *testing.T) {
	want := training.Options{MaxEpochs: 20, BatchSize: 64, LearningRate: 0.001}
	if got := (training.Options{}).WithDefaults(); got != want {
		t.Errorf("Options{}.WithDefaults() = %+v, want %+v", got, want)
	}
	data := testutil.MNIST(t)
	m, err := classifier.New(testutil.XLA(t), model.NewStore(), mnist.Geometry, testutil.Linear)
	if err != nil {
		t.Fatal(err)
	}
	h, err := training.Train(m, data.Train.Head(640), data.Validation.Head(100), training.Options{})
	if err != nil {
		t.Fatalf("training.Options{}: %v", err)
	}
	if n := len(h.Epochs); n < 1 || n > 20 || h.Epochs[n-1].ValAccuracy < 0.5 {
		t.Errorf("training.Options{} trained %+v, want at most 20 epochs ending above 50%%", h.Epochs)
	}
}

func TestHistorySeries(t *testing.T) {
	h := &training.History{Epochs: []training.EpochMetrics{{Epoch: 1, ValLoss: 0.3}, {Epoch: 2, ValLoss: 0.2}}, BestEpoch: 2}
	x, y, err := h.Series("val_loss")
	if err != nil || len(x) != 2 || x[1] != 2 || y[1] != 0.2 {
		t.Errorf("Series(val_loss) = %v %v %v", x, y, err)
	}
	if _, _, err := h.Series("val_acc"); err == nil {
		t.Error("unknown metric: no error")
	}
	if h.Best().ValLoss != 0.2 {
		t.Errorf("Best() = %+v", h.Best())
	}
}
