package training_test

import (
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/certify"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/training"
)

// TestNoiseTrainingHelpsSmoothing: the article's network trained on
// Gaussian noise (Options.Noise) trains on noisier inputs (a lower training
// accuracy than the same run without noise) and makes a better base for
// randomized smoothing at the same σ than the one trained on clean images.
func TestNoiseTrainingHelpsSmoothing(t *testing.T) {
	testutil.Slow(t)
	const sigma = 0.5
	data := testutil.MNIST(t)
	train, val := data.Train.Head(3000), data.Validation.Head(300)
	smoothing := certify.NewSmoothing(sigma)
	smoothing.N0, smoothing.N = 50, 500
	const n = 40
	images, labels := data.Test.Images[:n*mnist.Pixels], data.Test.Labels[:n]
	var trainAcc, smoothed [2]float64
	for k, noise := range []float64{0, sigma} {
		m, err := cnn.New(testutil.XLA(t), cnn.Default, 1)
		if err != nil {
			t.Fatal(err)
		}
		o := options(2, 1)
		o.Noise = noise
		h, err := training.Train(m, train, val, o)
		if err != nil {
			t.Fatal(err)
		}
		trainAcc[k] = h.Epochs[len(h.Epochs)-1].Accuracy
		r, err := smoothing.Certify(m, images, labels)
		if err != nil {
			t.Fatal(err)
		}
		smoothed[k] = r.CertifiedAccuracy(0)
		t.Logf("Noise %g: last training accuracy %.3f, smoothed accuracy at σ %g on %d test digits %.3f, certified at L2 0.5 %.3f",
			noise, trainAcc[k], sigma, n, smoothed[k], r.CertifiedAccuracy(0.5))
	}
	if trainAcc[1] >= trainAcc[0] {
		t.Errorf("training accuracy %.3f with noise, %.3f without: the noise did not reach the inputs", trainAcc[1], trainAcc[0])
	}
	if smoothed[1] < smoothed[0]+0.2 {
		t.Errorf("smoothed accuracy %.3f after noise training, %.3f after clean training: want at least 0.2 more", smoothed[1], smoothed[0])
	}
}
