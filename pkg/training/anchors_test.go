package training_test

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/training"
)

// TestAnchorNetworksTrain: TRADES' SmallCNN against TRADES, Madry et al.'s
// network against PGD and LeNetSmall against PGD on half of each batch,
// the papers' pairs (docs/defence.md has their recipes), train: a few steps on a few digits move every layer's weights
// and record a robust validation accuracy.
func TestAnchorNetworksTrain(t *testing.T) {
	testutil.Slow(t)
	data := testutil.MNIST(t)
	train, val := data.Train.Head(192), data.Validation.Head(64)
	for _, c := range []struct {
		config    cnn.Config
		adversary training.Adversary
	}{
		{cnn.SmallCNN, training.TRADESTraining(0.3)},
		{cnn.Madry, training.PGDTraining(0.3)},
		{cnn.LeNetSmall, training.LeNetSmallPGDOptions().Adversary},
	} {
		m, err := cnn.New(testutil.XLA(t), c.config, 1)
		if err != nil {
			t.Fatal(err)
		}
		before := weights(t, m)
		c.adversary.Steps, c.adversary.StepSize = 2, 0.15
		c.adversary.ValidationImages, c.adversary.ValidationSteps = 64, 2
		h, err := training.Train(m, train, val, training.Options{MaxEpochs: 1, Seed: 1, Adversary: c.adversary})
		if err != nil {
			t.Fatalf("%v: %v", c.config.Arch, err)
		}
		after := weights(t, m)
		for path, w := range before {
			moved := false
			for i, v := range w {
				moved = moved || v != after[path][i]
			}
			if !moved {
				t.Errorf("%v: %s did not move in training", c.config.Arch, path)
			}
		}
		e := h.Epochs[0]
		if math.IsNaN(e.Loss) || math.IsInf(e.Loss, 0) || e.ValRobustAccuracy < 0 || len(before) != 2*len(nonReLU(c.config.Ops())) {
			t.Errorf("%v: epoch %+v, %d weight tensors", c.config.Arch, e, len(before))
		}
		t.Logf("%v: loss %.3f, robust validation accuracy %.2f after %d steps", c.config.Arch, e.Loss, e.ValRobustAccuracy, 3)
	}
}

// weights copies every weight tensor of m, by path.
func weights(t *testing.T, m *cnn.Model) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for _, op := range m.Config.Ops() {
		w, b := op.WeightPaths()
		for _, path := range []string{w, b} {
			if path == "" {
				continue
			}
			v, err := m.Store().GetVariable(path).Value()
			if err != nil {
				t.Fatal(err)
			}
			flat, err := tensors.CopyFlatData[float32](v)
			if err != nil {
				t.Fatal(err)
			}
			out[path] = flat
		}
	}
	return out
}

// nonReLU lists the operations with weights.
func nonReLU(ops []cnn.Op) []cnn.Op {
	var out []cnn.Op
	for _, op := range ops {
		if op.Kind == cnn.OpConv || op.Kind == cnn.OpDense {
			out = append(out, op)
		}
	}
	return out
}
