package training

import "fmt"

// EpochMetrics are the metrics of one epoch, named as Keras names them.
type EpochMetrics struct {
	Epoch       int     // 1-based.
	Loss        float64 // Mean training loss over the epoch's batches.
	Accuracy    float64 // Mean training accuracy over the epoch's batches.
	ValLoss     float64 // Validation loss after the epoch.
	ValAccuracy float64 // Validation accuracy after the epoch.
	// ValRobustAccuracy is, with an Adversary, the validation accuracy under
	// its validation attack after the epoch (Robust is then true).
	ValRobustAccuracy float64
	Robust            bool
	// Averaged is, with Options.AverageFrom, the number of epochs whose
	// weights the validated model averages (0: the epoch's own weights).
	Averaged int `json:",omitempty"`
	// Unvalidated is true when the training had no validation set: the
	// validation fields are then not measured, and zero.
	Unvalidated bool    `json:",omitempty"`
	Seconds     float64 // Wall time of the epoch's training steps (attacks included).
}

// String formats the metrics like a line of Keras' fit log.
func (e EpochMetrics) String() string {
	robust := ""
	if e.Robust {
		robust = fmt.Sprintf(" - val_robust_accuracy %.4f", e.ValRobustAccuracy)
	}
	switch {
	case e.Averaged == 1:
		robust += " (the weights of 1 epoch, the first of the mean)"
	case e.Averaged > 1:
		robust += fmt.Sprintf(" (mean of the weights of %d epochs)", e.Averaged)
	}
	if e.Unvalidated {
		return fmt.Sprintf("Epoch %d: loss %.4f - accuracy %.4f - no validation%s (%.1fs)", e.Epoch, e.Loss, e.Accuracy, robust, e.Seconds)
	}
	return fmt.Sprintf("Epoch %d: loss %.4f - accuracy %.4f - val_loss %.4f - val_accuracy %.4f%s (%.1fs)",
		e.Epoch, e.Loss, e.Accuracy, e.ValLoss, e.ValAccuracy, robust, e.Seconds)
}

// History records a training run, one entry per epoch.
type History struct {
	Epochs []EpochMetrics
	// BestEpoch is the (1-based) epoch with the lowest validation loss, or,
	// when training with an Adversary, the highest robust validation
	// accuracy; the last epoch when nothing was validated.
	BestEpoch int
	// WeightsEpoch is the epoch whose weights the model holds after Train:
	// BestEpoch with Options.RestoreBestWeights, else the last epoch.
	WeightsEpoch int
	// Adversary is the adversary the model was trained against; zero for
	// clean training.
	Adversary Adversary
	// EarlyStopped tells whether training stopped because the validation
	// loss (or robust accuracy) stopped improving, rather than at MaxEpochs.
	EarlyStopped bool
}

// Best returns the metrics of BestEpoch.
func (h *History) Best() EpochMetrics { return h.epoch(h.BestEpoch) }

// Kept returns the metrics of WeightsEpoch: those of the weights the model holds.
func (h *History) Kept() EpochMetrics { return h.epoch(h.WeightsEpoch) }

func (h *History) epoch(n int) EpochMetrics {
	for _, e := range h.Epochs {
		if e.Epoch == n {
			return e
		}
	}
	return EpochMetrics{}
}

// Series returns one metric per epoch by its Keras name: "loss",
// "accuracy", "val_loss", "val_accuracy" or (after adversarial training)
// "val_robust_accuracy", with the epoch numbers.
func (h *History) Series(name string) (epochs, values []float64, err error) {
	for _, e := range h.Epochs {
		var v float64
		switch name {
		case "loss":
			v = e.Loss
		case "accuracy":
			v = e.Accuracy
		case "val_loss":
			v = e.ValLoss
		case "val_accuracy":
			v = e.ValAccuracy
		case "val_robust_accuracy":
			if !e.Robust {
				return nil, nil, fmt.Errorf("training: no val_robust_accuracy in History: the model was not trained with an Adversary")
			}
			v = e.ValRobustAccuracy
		default:
			return nil, nil, fmt.Errorf("training: no metric %q in History: use loss, accuracy, val_loss, val_accuracy or val_robust_accuracy", name)
		}
		epochs = append(epochs, float64(e.Epoch))
		values = append(values, v)
	}
	return epochs, values, nil
}
