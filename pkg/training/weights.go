package training

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// weights is a copy of a model's weights (not of the optimizer's state),
// as Keras' EarlyStopping(restore_best_weights=True) keeps.
type weights map[*model.Variable]*tensors.Tensor

func snapshot(m Model) (weights, error) {
	w := weights{}
	for v := range m.Store().IterVariables() {
		if !v.Trainable {
			continue
		}
		value, err := v.Value()
		if err == nil {
			w[v], err = value.Clone()
		}
		if err != nil {
			return nil, fmt.Errorf("training: copying weights %s: %w", v.Path(), err)
		}
	}
	return w, nil
}

func (w weights) restore() error {
	for v, value := range w {
		if err := v.SetValue(value); err != nil {
			return fmt.Errorf("training: restoring weights %s: %w", v.Path(), err)
		}
	}
	return nil
}
