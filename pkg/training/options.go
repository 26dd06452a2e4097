package training

import (
	"fmt"
	"io"
)

// Options configure Train. The zero value of a field means its default.
type Options struct {
	MaxEpochs    int     // Upper bound on epochs; default 20.
	BatchSize    int     // Mini-batch size; default 64.
	LearningRate float64 // Adam's learning rate; default 0.001 (Keras' default).
	// Patience is how many epochs in a row without a lower validation loss
	// stop the training; default 2, so that one noisy epoch does not.
	Patience int
	// MinDelta is the decrease of validation loss that counts as an
	// improvement; default 0.
	MinDelta float64
	// Seed fixes the shuffling order. (The weights' seed is the model's.)
	Seed int64
	// ProgressBar shows GoMLX's progress bar during each epoch, in the
	// terminal or inline in a GoNB notebook.
	ProgressBar bool
	// Log, if not nil, receives one Keras-like line per epoch.
	Log io.Writer
}

func (o Options) withDefaults() (Options, error) {
	if o.MaxEpochs == 0 {
		o.MaxEpochs = 20
	}
	if o.BatchSize == 0 {
		o.BatchSize = 64
	}
	if o.LearningRate == 0 {
		o.LearningRate = 0.001
	}
	if o.Patience == 0 {
		o.Patience = 2
	}
	switch {
	case o.MaxEpochs < 0:
		return o, fmt.Errorf("training: MaxEpochs must be positive, got %d", o.MaxEpochs)
	case o.BatchSize < 0:
		return o, fmt.Errorf("training: BatchSize must be positive, got %d", o.BatchSize)
	case o.LearningRate < 0:
		return o, fmt.Errorf("training: LearningRate must be positive, got %g", o.LearningRate)
	case o.Patience < 0:
		return o, fmt.Errorf("training: Patience must be positive, got %d", o.Patience)
	case o.MinDelta < 0:
		return o, fmt.Errorf("training: MinDelta must not be negative, got %g", o.MinDelta)
	}
	return o, nil
}
