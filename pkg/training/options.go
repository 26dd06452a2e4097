package training

import (
	"fmt"
	"io"
	"math"
)

// Options configure Train. Every field means what it says, zero included,
// so that each setting of Keras' fit and EarlyStopping can be expressed:
// Patience 0 stops at the first epoch whose validation loss does not
// improve, and RestoreBestWeights false keeps the last epoch's weights, as
// Keras' defaults do. Start from DefaultOptions for the settings this
// project trains with.
//
// A zero field means its documented default, as for the attacks' settings,
// so Options{} trains: at most 20 epochs of batches of 64 with Adam at
// 0.001, and Keras' EarlyStopping as it comes (patience 0, the last epoch's
// weights kept), seed 0. DefaultOptions are the project's settings.
type Options struct {
	MaxEpochs    int     // Upper bound on epochs (Keras' epochs); at least 1 (0: 20).
	BatchSize    int     // Mini-batch size; at least 1 (0: 64).
	LearningRate float64 // Adam's learning rate; positive (0: 0.001).
	// CosineDecay anneals Adam's rate from LearningRate to 0 along half a
	// cosine over MaxEpochs epochs (GoMLX's cosineschedule), so the last
	// epochs take small steps. Early stopping still applies: give it a
	// Patience that lets the late epochs run. False keeps the rate constant.
	CosineDecay bool
	// DecayEpoch, when positive, cuts Adam's rate to a tenth of
	// LearningRate from that epoch on (Croce et al. train 100 epochs and
	// cut at 90); an epoch past MaxEpochs never comes. 0 keeps the rate
	// constant. It and CosineDecay are two schedules: set one.
	DecayEpoch int
	// AverageFrom, when positive, keeps from that epoch on the running mean
	// of the weights after each epoch (stochastic weight averaging,
	// Izmailov et al. 2018): the validation, early stopping's choice of the
	// best epoch and the weights Train ends with are the mean's, while the
	// steps go on from the weights themselves. Averaging the late epochs of
	// a schedule smooths their noise; with DecayEpoch 90 of 100, AverageFrom
	// 60 averages the last forty. The weights must be float32, and a model
	// with batch normalisation needs its statistics measured again on the
	// mean (none of this project's networks has it). An epoch past
	// MaxEpochs never comes; 0 does not average.
	AverageFrom int
	// Patience is how many epochs in a row without a lower validation loss
	// stop the training (Keras' EarlyStopping patience): 0 stops at the first
	// epoch that does not improve.
	Patience int
	// MinDelta is the decrease of validation loss that counts as an
	// improvement (Keras' min_delta).
	MinDelta float64
	// RestoreBestWeights ends training with the weights of the epoch with the
	// lowest validation loss (Keras' restore_best_weights); when false, the
	// model keeps the weights of its last epoch.
	RestoreBestWeights bool
	// Seed fixes the shuffling order and, for a model without weights yet
	// (a classifier.New model before its first use), the weights'
	// initialisation, so one seed repeats a run. (cnn.New takes a seed of
	// its own and creates the weights at once.)
	Seed int64
	// ProgressBar shows GoMLX's progress bar during each epoch, in the
	// terminal or inline in a GoNB notebook.
	ProgressBar bool
	// Log, if not nil, receives one Keras-like line per epoch.
	Log io.Writer
	// Adversary, when its Mode is set, trains on adversarial examples and
	// selects epochs by robust validation accuracy (see Adversary).
	Adversary Adversary
	// Noise, when positive, trains on each mini-batch plus Gaussian noise
	// of that standard deviation, drawn anew at every step and clipped to
	// [0, 1]: the base classifier that randomized smoothing
	// (certify.Smoothing) certifies best at the same σ (Cohen et al. train
	// at σ = 0.25 and 0.5). Validation stays on the clean images. 0 trains
	// on the images themselves; it cannot be combined with an Adversary.
	Noise float64
	// Devices, above 1, splits every mini-batch evenly over the first
	// Devices devices of the model's engine (data parallelism: GoMLX's
	// distributed accumulator with automatic sharding; the weights are
	// replicated and the step is the same computation on the whole batch).
	// XLA's CPU engine has several CPU devices, so this also runs on one
	// machine. BatchSize must be a multiple of Devices, and an epoch drops
	// its last, incomplete batch. 0 and 1 train on one device.
	Devices int
	// ResumeDir, when set, is a folder where Train writes its progress
	// after every epoch (the weights, the optimizer's and the random
	// state, the history, early stopping's count, the best epoch's
	// weights) and from which it goes on after a stop: a training that a
	// working day, a crash or a kill cut short continues from its last
	// finished epoch and ends as if it had never stopped (same weights,
	// same history). Give it the same data and options, MaxEpochs excepted
	// (raise it to train longer). A training that early stopping ended
	// stays ended. Empty: no resuming.
	ResumeDir string
}

// DefaultOptions are the settings this project trains its models with:
// Adam at 0.001 (Keras' default rate), batch 64, at most 20 epochs, early
// stopping with patience 2 restoring the best weights, seed 1.
//
// Patience is 2 rather than Keras' default 0 (which stopped the article
// after epoch 3) because single epochs are noisy: the default model's
// validation loss rises at epoch 5 and falls to its lowest at epoch 8, so
// patience 0 would stop at epoch 5 with 0.9828 validation accuracy, where
// patience 2 reaches 0.9848.
func DefaultOptions() Options {
	return Options{MaxEpochs: 20, BatchSize: 64, LearningRate: 0.001, Patience: 2, RestoreBestWeights: true, Seed: 1}
}

// WithDefaults returns the settings as they train: a copy with every zero
// replaced by its documented default.
func (o Options) WithDefaults() Options {
	if o.MaxEpochs == 0 {
		o.MaxEpochs = 20
	}
	if o.BatchSize == 0 {
		o.BatchSize = 64
	}
	if o.LearningRate == 0 {
		o.LearningRate = 0.001
	}
	return o
}

func (o Options) validate() error {
	const hint = " (training.DefaultOptions() holds the project's settings)"
	switch {
	case o.MaxEpochs < 1:
		return fmt.Errorf("training: MaxEpochs is %d: train at least 1 epoch (0 for the default 20)%s", o.MaxEpochs, hint)
	case o.BatchSize < 1:
		return fmt.Errorf("training: BatchSize is %d: use at least 1 (0 for the default 64)%s", o.BatchSize, hint)
	case !(o.LearningRate > 0) || math.IsInf(o.LearningRate, 1):
		return fmt.Errorf("training: LearningRate is %g: use a positive rate (0 for the default 0.001)%s", o.LearningRate, hint)
	case o.Patience < 0:
		return fmt.Errorf("training: Patience is %d: use 0 or more epochs", o.Patience)
	case o.DecayEpoch < 0:
		return fmt.Errorf("training: DecayEpoch is %d: use the epoch from which the rate is a tenth, or 0 for none", o.DecayEpoch)
	case o.AverageFrom < 0:
		return fmt.Errorf("training: AverageFrom is %d: use the epoch from which the weights are averaged, or 0 for none", o.AverageFrom)
	case o.DecayEpoch > 0 && o.CosineDecay:
		return fmt.Errorf("training: DecayEpoch %d and CosineDecay both set: choose one schedule", o.DecayEpoch)
	case !(o.MinDelta >= 0) || math.IsInf(o.MinDelta, 1):
		return fmt.Errorf("training: MinDelta is %g: use 0 or a small positive loss decrease", o.MinDelta)
	case !(o.Noise >= 0) || math.IsInf(o.Noise, 1):
		return fmt.Errorf("training: Noise is %g: use 0 (none) or a positive standard deviation such as 0.25", o.Noise)
	case o.Noise > 0 && o.Adversary.Active():
		return fmt.Errorf("training: Noise %g and the %s adversary both set: train on Gaussian noise or on adversarial examples, not both", o.Noise, o.Adversary.Mode)
	case o.Devices < 0:
		return fmt.Errorf("training: Devices is %d: use 0 or 1 (one device) or the number of devices to split each batch over", o.Devices)
	case o.Devices > 1 && o.BatchSize%o.Devices != 0:
		return fmt.Errorf("training: BatchSize %d does not split evenly over %d Devices: use a BatchSize that is a multiple of Devices", o.BatchSize, o.Devices)
	case o.Adversary.Active() && o.Adversary.WarmupEpochs >= o.MaxEpochs:
		return fmt.Errorf("training: the adversary's %d warm-up epochs leave none of the %d MaxEpochs at the full ε: train more epochs or warm up fewer",
			o.Adversary.WarmupEpochs, o.MaxEpochs)
	}
	return o.Adversary.validate()
}

// RobustOptions are the settings this project trains its robust model
// (cnn.Robust) with: DefaultOptions' Adam, batch and seed, against PGD at
// ε = 0.3 with 10 steps of 0.075 (2.5ε/10, the usual rule; Madry et al.
// take 40 steps of 0.01, four times the cost), after 5 warm-up epochs that
// grow ε from 0, for at most 30 epochs, stopping when the robust validation
// accuracy (PGD-20 on 1,000 images) has not improved for 5 epochs, with
// the best epoch's weights.
func RobustOptions() Options {
	o := DefaultOptions()
	o.MaxEpochs, o.Patience = 30, 5
	o.Adversary = Adversary{Mode: ModePGD, Epsilon: 0.3, Steps: 10, StepSize: 0.075,
		ValidationImages: 1000, ValidationSteps: 20, WarmupEpochs: 5}
	return o
}

// TRADESSmallCNNOptions is TRADES' recipe for MNIST (Zhang et al. 2019, the
// train_trades_mnist.py of their repository), for cnn.SmallCNN: 100 epochs
// of batches of 128 against TRADES at ε = 0.3 with β = 1 and 40 steps of
// 0.01, without warm-up or early stopping, keeping the last epoch's
// weights. Their optimiser, SGD at 0.01 with momentum 0.9, is Adam at 0.001
// here, the only one Options has. Its 41 forward and backward passes per
// image and step make an epoch 13 minutes on two cores (BenchmarkAnchorStep
// on the 2-core Xeon: 22 hours for the 100 epochs, 16 with oneDNN);
// Options.ResumeDir lets it run in pieces.
func TRADESSmallCNNOptions() Options {
	o := DefaultOptions()
	o.MaxEpochs, o.BatchSize, o.Patience, o.RestoreBestWeights = 100, 128, 100, false
	o.Adversary = TRADESTraining(0.3)
	o.Adversary.Steps, o.Adversary.StepSize = 40, 0.01
	return o
}

// LeNetSmallPGDOptions is the adversarial training of Croce,
// Andriushchenko and Hein (2019, the train.py of their repository
// provable-robustness-max-linear-regions) on MNIST and Fashion-MNIST, for
// cnn.LeNetSmall: 100 epochs of batches of 128, Adam at 0.001 cut to a
// tenth from epoch 90, half of each batch replaced by PGD examples at
// ε = 0.1 (40 steps of 2ε/40 from a random start), the other half clean;
// no warm-up, no early stopping, the last epoch's weights. Their table's
// PGD-trained network on Fashion-MNIST, trained so, is the anchor of
// docs/defence.md.
func LeNetSmallPGDOptions() Options {
	o := DefaultOptions()
	o.MaxEpochs, o.BatchSize, o.Patience, o.RestoreBestWeights, o.DecayEpoch = 100, 128, 100, false, 90
	o.Adversary = PGDTraining(0.1)
	o.Adversary.Steps, o.Adversary.StepSize, o.Adversary.Fraction = 40, 2*0.1/40, 0.5
	return o
}

// MadryPGDOptions is Madry et al.'s recipe for MNIST (2018, the MNIST
// challenge's config.json), for cnn.Madry: 100,000 steps of batches of 50
// (83 epochs of 60,000 images) against PGD at ε = 0.3 with 40 steps of
// 0.01 from a random start, Adam at 0.0001, without warm-up or early
// stopping, keeping the last epoch's weights: 17 minutes an epoch on two
// cores (BenchmarkAnchorStep on the 2-core Xeon: 24 hours in all, 18 with
// oneDNN).
func MadryPGDOptions() Options {
	o := DefaultOptions()
	o.MaxEpochs, o.BatchSize, o.LearningRate, o.Patience, o.RestoreBestWeights = 83, 50, 1e-4, 83, false
	o.Adversary = PGDTraining(0.3)
	o.Adversary.Steps, o.Adversary.StepSize = 40, 0.01
	return o
}
