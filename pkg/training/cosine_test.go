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
// LearningRate, and the annealed run still learns.
func TestCosineDecayAnnealsTheRate(t *testing.T) {
	testutil.Slow(t)
	data := testutil.MNIST(t)
	train, val := data.Train.Head(1000), data.Validation.Head(300)
	for _, decay := range []bool{false, true} {
		m, err := cnn.New(testutil.XLA(t), cnn.Default, 1)
		if err != nil {
			t.Fatal(err)
		}
		o := options(2, 1)
		o.CosineDecay = decay
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
			t.Fatalf("CosineDecay %v: %d learning_rate variables in the store, want 1", decay, found)
		}
		last := h.Epochs[len(h.Epochs)-1]
		t.Logf("CosineDecay %v: rate %.3g after %d epochs, validation accuracy %.3f", decay, rate, len(h.Epochs), last.ValAccuracy)
		if decay && !(rate >= 0 && rate < o.LearningRate/100) {
			t.Errorf("with CosineDecay the rate ends at %g, want under 1%% of %g", rate, o.LearningRate)
		}
		if !decay && rate != float64(float32(o.LearningRate)) {
			t.Errorf("without CosineDecay the rate ends at %g, want %g", rate, o.LearningRate)
		}
		if last.ValAccuracy < 0.5 { // chance is 0.1
			t.Errorf("CosineDecay %v: validation accuracy %.3f after 2 epochs: training did not learn", decay, last.ValAccuracy)
		}
	}
}
