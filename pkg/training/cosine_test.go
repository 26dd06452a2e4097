package training_test

import (
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/training"
)

// TestCosineDecayAnnealsTheRate: with Options.CosineDecay the learning rate
// that Adam reads ends the last step of MaxEpochs near 0, without it at
// LearningRate, and the annealed run still learns. With DecayEpoch 2 it
// ends the second epoch at a tenth of LearningRate; with DecayEpoch 3 that
// epoch has not come, and it ends at LearningRate.
func TestCosineDecayAnnealsTheRate(t *testing.T) {
	testutil.Slow(t)
	data := testutil.MNIST(t)
	train, val := data.Train.Head(1000), data.Validation.Head(300)
	for _, c := range []struct {
		cosine bool
		decay  int
		want   func(lr float64) (lo, hi float64)
	}{
		{false, 0, func(lr float64) (float64, float64) { return lr, lr }},
		{true, 0, func(lr float64) (float64, float64) { return 0, lr / 100 }},
		{false, 2, func(lr float64) (float64, float64) { return lr / 10, lr / 10 }},
		{false, 3, func(lr float64) (float64, float64) { return lr, lr }},
	} {
		m, err := cnn.New(testutil.XLA(t), cnn.Default, 1)
		if err != nil {
			t.Fatal(err)
		}
		o := options(2, 1)
		o.CosineDecay, o.DecayEpoch = c.cosine, c.decay
		h, err := training.Train(m, train, val, o)
		if err != nil {
			t.Fatal(err)
		}
		var rate float64
		found := 0
		for v := range m.Store().IterVariables() {
			if v.Name() != "learning_rate" {
				continue
			}
			value, err := v.Value()
			if err != nil {
				t.Fatal(err)
			}
			rate, found = float64(tensors.ToScalar[float32](value)), found+1
		}
		if found != 1 {
			t.Fatalf("CosineDecay %v, DecayEpoch %d: %d learning_rate variables in the store, want 1", c.cosine, c.decay, found)
		}
		last := h.Epochs[len(h.Epochs)-1]
		t.Logf("CosineDecay %v, DecayEpoch %d: rate %.3g after %d epochs, validation accuracy %.3f", c.cosine, c.decay, rate, len(h.Epochs), last.ValAccuracy)
		lo, hi := c.want(o.LearningRate)
		if f32 := func(x float64) float64 { return float64(float32(x)) }; !(rate >= f32(lo) && rate <= f32(hi)) {
			t.Errorf("CosineDecay %v, DecayEpoch %d: the rate ends at %g, want it in [%g, %g]", c.cosine, c.decay, rate, lo, hi)
		}
		if last.ValAccuracy < 0.5 { // chance is 0.1
			t.Errorf("CosineDecay %v, DecayEpoch %d: validation accuracy %.3f after 2 epochs: training did not learn", c.cosine, c.decay, last.ValAccuracy)
		}
	}
}
