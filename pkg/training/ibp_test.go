package training_test

import (
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/certify"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/training"
)

// TestIBPTrainingCertifies: a network trained on its interval bounds gets
// certified where the same network trained clean gets nothing certified,
// and the history's robust accuracy is the certified one.
func TestIBPTrainingCertifies(t *testing.T) {
	data := testutil.MNIST(t)
	train, val := head(data.Train, 6000), head(data.Validation, 300)
	const eps = 0.1
	var certified [2]float64
	for k, ibp := range []bool{false, true} {
		m, err := cnn.New(testutil.XLA(t), cnn.Robust, 1)
		if err != nil {
			t.Fatal(err)
		}
		opts := options(6, 1)
		if ibp {
			opts.Adversary = training.IBPTraining(eps)
			opts.Adversary.WarmupEpochs, opts.Adversary.ValidationImages = 3, 300
			opts.Log = testWriter{t}
			opts.Patience = 10
		}
		h, err := training.Train(m, train, val, opts)
		if err != nil {
			t.Fatal(err)
		}
		b, err := certify.IBP(m, val.Images, val.Labels, eps)
		if err != nil {
			t.Fatal(err)
		}
		certified[k] = b.Accuracy()
		if ibp {
			best := h.Best()
			if !best.Robust || best.ValRobustAccuracy != certified[k] {
				t.Errorf("the history's best epoch says %.3f certified (robust %v), the kept weights certify %.3f", best.ValRobustAccuracy, best.Robust, certified[k])
			}
			if !strings.Contains(h.Adversary.String(), "IBP, ε 0.133") {
				t.Errorf("adversary %q", h.Adversary)
			}
		}
	}
	t.Logf("certified at ε=%g on 300 validation images: %.3f trained clean, %.3f trained with IBP", eps, certified[0], certified[1])
	if certified[1] < certified[0]+0.3 {
		t.Errorf("IBP training certified %.3f against %.3f for clean training", certified[1], certified[0])
	}
}

func TestBadIBPSettings(t *testing.T) {
	data := testutil.MNIST(t)
	m, err := cnn.New(testutil.XLA(t), cnn.Robust, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		change func(*training.Adversary)
		want   string
	}{
		{func(a *training.Adversary) { a.Steps = 3 }, "IBP runs no attack"},
		{func(a *training.Adversary) { a.Kappa = 1 }, "Kappa is 1"},
		{func(a *training.Adversary) { a.ValidationEpsilon = 2 }, "ValidationEpsilon is 2"},
		{func(a *training.Adversary) { *a = training.PGDTraining(0.3); a.Kappa = 0.5 }, "Kappa (0.5) weighs IBP's clean loss"},
	} {
		opts := options(1, 1)
		opts.Adversary = training.IBPTraining(0.3)
		tc.change(&opts.Adversary)
		_, err := training.Train(m, head(data.Train, 100), head(data.Validation, 100), opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: want a one-line error with %q, got %v", opts.Adversary, tc.want, err)
		}
	}
	// A model that is not a cnn network has no operations to bound.
	opts := options(1, 1)
	opts.Adversary = training.IBPTraining(0.3)
	other := struct{ training.Model }{m}
	if _, err := training.Train(other, head(data.Train, 100), head(data.Validation, 100), opts); err == nil || !strings.Contains(err.Error(), "*cnn.Model") {
		t.Errorf("IBP on a model of another type: %v", err)
	}
}

// testWriter sends a training's epoch lines to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
