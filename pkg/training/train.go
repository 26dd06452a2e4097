package training

import (
	"fmt"
	"math/rand"
	"time"

	"github.com/gomlx/compute/distributed"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/dataset"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/ml/train/optimizer/cosineschedule"

	"github.com/advmlgo/advml/pkg/certify"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
)

// Indices of the epoch means among the trainer's train metrics: GoMLX puts
// the batch loss and its moving average first.
const (
	metricMeanLoss = 2
	metricMeanAcc  = 3
)

// Model is what training needs of a classifier: its graph, engine and
// weights, and an evaluation. A *cnn.Model is one, and so is any
// *classifier.Model.
type Model interface {
	classifier.Differentiable
	Evaluate(images []float32, labels []int) (meanLoss, accuracy float64, err error)
}

// Train fits m to trainSet, evaluating valSet after every epoch, and stops
// early once the validation loss has not improved for opts.Patience epochs
// in a row. With opts.RestoreBestWeights the model ends with the weights of
// its best epoch (lowest validation loss), otherwise with those of its last.
// With opts.Adversary it trains on adversarial examples and the robust
// validation accuracy takes the validation loss's place (see Adversary).
// The returned History holds every epoch's metrics.
//
// A nil or empty valSet trains without validation, as Keras' fit without
// validation data does: every epoch runs (no early stopping), nothing is
// measured after it (EpochMetrics.Unvalidated), and the model ends with the
// last epoch's weights, or the mean's with opts.AverageFrom, whatever
// opts.RestoreBestWeights says: a split loaded with mnist.NoValidation
// trains on all its training images.
func Train(m Model, trainSet, valSet *mnist.Split, opts Options) (*History, error) {
	validated := valSet != nil && valSet.Len() > 0
	if validated {
		if err := checkSplit("validation", valSet, m.Geometry()); err != nil {
			return nil, err
		}
	}
	opts = opts.WithDefaults()
	// A training that stopped (Options.ResumeDir) goes on from its last
	// epoch: its weights, optimizer and random state, history and early
	// stopping's count come back, and the shuffles of the epochs it ran are
	// drawn again, so the run ends as one that never stopped.
	var resumed *resumeState
	if opts.ResumeDir != "" {
		var err error
		if resumed, err = loadResume(opts.ResumeDir, m); err != nil {
			return nil, err
		}
	}
	done := 0
	if resumed != nil {
		done = len(resumed.History.Epochs)
	}
	s, err := newSession(m, trainSet, opts, done)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	opts = s.opts
	if !validated {
		opts.RestoreBestWeights = false // Nothing tells a best epoch: the last is kept.
	}
	h := &History{Adversary: opts.Adversary}
	robust := opts.Adversary.Active()
	var best weights
	var avg average
	bestScore, wait := 0.0, 0
	if resumed != nil {
		if err := s.skipEpochs(done); err != nil {
			return nil, err
		}
		h, bestScore, wait, best, avg = resumed.History, resumed.BestScore, resumed.Wait, resumed.best, resumed.average
		if resumed.Finished {
			done = opts.MaxEpochs // Nothing left to run: the weights are the last epoch's.
		}
		if opts.Log != nil {
			fmt.Fprintf(opts.Log, "Resumed from %s after epoch %d.\n", opts.ResumeDir, len(h.Epochs))
		}
	}
	for epoch := done + 1; epoch <= opts.MaxEpochs; epoch++ {
		e, err := s.Epoch()
		if err != nil {
			return h, fmt.Errorf("training: epoch %d: %w", epoch, err)
		}
		e.Epoch = epoch
		// With AverageFrom, the mean of the weights stands in for them
		// until the epoch's bookkeeping is done; training holds them.
		var training weights
		if opts.AverageFrom > 0 && epoch >= opts.AverageFrom {
			if training, err = avg.swapIn(m); err != nil {
				return h, err
			}
			e.Averaged = avg.n
		}
		// The score is what early stopping minimises: the validation loss,
		// or, against an adversary, minus the robust accuracy. Without
		// validation there is none: every epoch counts as improved.
		var score float64
		if validated {
			if e.ValLoss, e.ValAccuracy, err = m.Evaluate(valSet.Images, valSet.Labels); err != nil {
				return h, fmt.Errorf("training: validation after epoch %d: %w", epoch, err)
			}
			score = e.ValLoss
			if robust {
				if e.ValRobustAccuracy, err = opts.Adversary.robustAccuracy(m, valSet.Images, valSet.Labels, opts.Seed); err != nil {
					return h, fmt.Errorf("training: after epoch %d: %w", epoch, err)
				}
				e.Robust, score = true, -e.ValRobustAccuracy
			}
		} else {
			e.Unvalidated = true
		}
		h.Epochs = append(h.Epochs, e)
		s.bar.endEpoch(e)
		if opts.Log != nil {
			fmt.Fprintln(opts.Log, e)
		}
		improved := !validated || h.BestEpoch == 0 || score < bestScore-opts.MinDelta
		if improved {
			if opts.RestoreBestWeights {
				if best, err = snapshot(m); err != nil {
					return h, err
				}
			}
			h.BestEpoch, bestScore, wait = epoch, score, 0
		} else if epoch > opts.Adversary.WarmupEpochs {
			// As Keras counts: the Patience-th epoch in a row without
			// improvement stops the training (0 and 1 both stop at the
			// first). An adversary's warm-up epochs do not count.
			wait++
			h.EarlyStopped = wait >= opts.Patience
		}
		if opts.ResumeDir != "" {
			st := resumeState{History: h, BestScore: bestScore, Wait: wait, Finished: h.EarlyStopped, Averaged: avg.n}
			if err := saveResume(opts.ResumeDir, m, st, improved && opts.RestoreBestWeights, training); err != nil {
				return h, err
			}
		} else if training != nil {
			if err := training.restore(); err != nil {
				return h, err
			}
		}
		if h.EarlyStopped {
			break
		}
	}
	h.WeightsEpoch = len(h.Epochs)
	if avg.n > 0 && !opts.RestoreBestWeights {
		// The last epoch's metrics are the mean's: the model ends with it.
		if err := avg.restore(); err != nil {
			return h, err
		}
	}
	if opts.RestoreBestWeights {
		if err := best.restore(); err != nil {
			return h, err
		}
		h.WeightsEpoch = h.BestEpoch
	}
	s.bar.end(h)
	if opts.Log != nil && h.EarlyStopped {
		what := "validation loss"
		if robust {
			what = "robust validation accuracy"
		}
		fmt.Fprintf(opts.Log, "Early stopping: %s did not improve for %d epoch(s) in a row; the model holds the weights of epoch %d.\n",
			what, len(h.Epochs)-h.BestEpoch, h.WeightsEpoch)
	}
	return h, nil
}

// Session holds what training steps need, built once: the training set on
// the device, GoMLX's trainer (its compiled step) and loop, and the progress
// display. Train drives one; benchmarks time its steps and epochs.
type Session struct {
	opts          Options
	ds            *dataset.InMemoryDataset
	steps         train.Dataset // ds, or ds split over devices.
	loop          *train.Loop
	bar           progress
	stepsPerEpoch int
}

// NewSession prepares to train m on trainSet with opts (Adam, shuffled
// mini-batches, seeded by opts.Seed; against opts.Adversary if it has a
// Mode).
func NewSession(m Model, trainSet *mnist.Split, opts Options) (*Session, error) {
	return newSession(m, trainSet, opts, 0)
}

// newSession is NewSession for a training that already ran epochsDone
// epochs (resumed from Options.ResumeDir): the warm-up counts from where it
// began.
func newSession(m Model, trainSet *mnist.Split, opts Options, epochsDone int) (*Session, error) {
	opts = opts.WithDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := checkSplit("training", trainSet, m.Geometry()); err != nil {
		return nil, err
	}
	if err := seedWeights(m, opts.Seed); err != nil {
		return nil, err
	}
	ds, err := newDataset(m, trainSet, opts)
	if err != nil {
		return nil, err
	}
	steps, err := distribute(m, ds, trainSet.Len(), opts)
	if err != nil {
		ds.FinalizeAll()
		return nil, err
	}
	meanLoss := metric.NewMeanMetric("Mean Loss", "mean_loss", metric.LossMetricType,
		func(_ *model.Scope, labels, logits []*Node) *Node {
			return ReduceAllMean(loss.SparseCategoricalCrossEntropyLogits(labels, logits))
		}, nil)
	meanAcc := metric.NewSparseCategoricalAccuracy("Accuracy", "acc")
	adversary := opts.Adversary
	stepsPerEpoch := (trainSet.Len() + opts.BatchSize - 1) / opts.BatchSize
	if opts.Devices > 1 {
		stepsPerEpoch = trainSet.Len() / opts.BatchSize
	}
	firstStep := optimizer.GetGlobalStep(m.Store()) - int64(epochsDone*stepsPerEpoch)
	trades, ibp := adversary.Mode == ModeTRADES, adversary.bounded()
	var ops []cnn.Op
	if ibp {
		network, ok := m.(*cnn.Model)
		if !ok {
			return nil, fmt.Errorf("training: IBP training bounds the operations of a *cnn.Model, and the model is a %T: use a cnn network, or another Mode", m)
		}
		ops = network.Config.Ops()
	}
	trainer := train.NewTrainer(m.Backend(), m.Store(),
		func(scope *model.Scope, _ any, inputs []*Node) []*Node {
			images := inputs[0]
			if opts.CosineDecay {
				// The schedule counts its own steps, kept with the weights.
				cosineschedule.New(scope, images.Graph(), dtypes.Float32).LearningRate(opts.LearningRate).
					PeriodSteps(opts.MaxEpochs * stepsPerEpoch).Done()
			}
			if opts.DecayEpoch > 0 {
				// The optimizer's step count, kept with the weights, tells
				// the epoch.
				g := images.Graph()
				step := optimizer.GetGlobalStepVar(scope).NodeValue(g)
				late := GreaterOrEqual(step, Scalar(g, step.DType(), (opts.DecayEpoch-1)*stepsPerEpoch))
				rate := Where(late, Scalar(g, dtypes.Float32, opts.LearningRate/10), Scalar(g, dtypes.Float32, opts.LearningRate))
				optimizer.LearningRateVarWithValue(scope, dtypes.Float32, opts.LearningRate).SetNodeValue(rate)
			}
			if opts.Noise > 0 {
				noise := scope.RandomNormal(images.Graph(), images.Shape())
				images = ClipScalar(Add(images, MulScalar(noise, opts.Noise)), 0, 1)
			}
			if !adversary.Active() {
				return []*Node{m.Logits(scope, images)}
			}
			warmup := adversary.warmup(images.Graph(), stepsPerEpoch, firstStep)
			if ibp {
				// The clean logits first (the epoch's metrics are on them),
				// the worst case within the ramped ε, and the ramp itself.
				eps := MulScalar(warmup, adversary.Epsilon)
				boundScope, labels := scope.Store().Scope(scope.Scope()), Reshape(inputs[1], -1)
				var worst *Node
				if adversary.Mode == ModeCROWNIBP {
					// CROWN-IBP's weight falls from 1 to 0 over the warm-up.
					worst = certify.WorstCaseLogitsCROWNIBP(boundScope, ops, images, labels, eps, OneMinus(warmup), m.Geometry().Classes)
				} else {
					worst = certify.WorstCaseLogits(boundScope, ops, images, labels, eps, m.Geometry().Classes)
				}
				return []*Node{m.Logits(scope, images), worst, warmup}
			}
			// Its own scope object for each further use of the model: it
			// runs more than once in the graph.
			again := func() *model.Scope { return scope.Store().Scope(scope.Scope()) }
			var clean *Node
			if trades {
				clean = m.Logits(again(), images)
			}
			// The adversarial logits come first: the epoch's metrics are on them.
			if trades {
				adversarial := adversary.examples(scope, m, images, inputs[1], warmup, clean)
				if adversary.AWP > 0 {
					at := adversary.tradesLoss(inputs[1], m.Logits(again(), adversarial), clean)
					adversary.perturbWeights(scope, ReduceAllMean(at))
					clean = m.Logits(again(), images)
				}
				return []*Node{m.Logits(scope, adversarial), clean}
			}
			attacked := adversary.attacked(scope, m, images, inputs[1], warmup)
			if adversary.AWP > 0 {
				at := loss.SparseCategoricalCrossEntropyLogits([]*Node{inputs[1]}, []*Node{m.Logits(again(), attacked)})
				adversary.perturbWeights(scope, ReduceAllMean(at))
			}
			return []*Node{m.Logits(scope, attacked)}
		},
		func(labels, predictions []*Node) *Node {
			if ibp {
				return adversary.ibpLoss(labels[0], predictions[0], predictions[1], predictions[2])
			}
			if trades {
				return adversary.tradesLoss(labels[0], predictions[0], predictions[1])
			}
			return loss.SparseCategoricalCrossEntropyLogits(labels, predictions)
		},
		optimizer.Adam().LearningRate(opts.LearningRate).Done(),
		[]metric.Interface{meanLoss, meanAcc}, nil)
	s := &Session{opts: opts, ds: ds, steps: steps, loop: train.NewLoop(trainer), stepsPerEpoch: stepsPerEpoch}
	s.bar = attachProgress(s.loop, opts, s.stepsPerEpoch)
	return s, nil
}

// StepsPerEpoch is the number of mini-batches in one pass over the training set.
func (s *Session) StepsPerEpoch() int { return s.stepsPerEpoch }

// Epoch runs one pass over the training set and returns its training metrics
// (the validation fields are left for the caller).
func (s *Session) Epoch() (EpochMetrics, error) {
	start := time.Now()
	metrics, err := s.loop.RunSteps(s.steps, s.stepsPerEpoch)
	if err != nil {
		return EpochMetrics{}, err
	}
	return EpochMetrics{
		Loss:     scalar(metrics[metricMeanLoss]),
		Accuracy: scalar(metrics[metricMeanAcc]),
		Seconds:  time.Since(start).Seconds(),
	}, nil
}

// Steps runs n training steps (at most one epoch's worth).
func (s *Session) Steps(n int) error {
	if n > s.stepsPerEpoch {
		return fmt.Errorf("training: %d steps asked, an epoch has %d", n, s.stepsPerEpoch)
	}
	_, err := s.loop.RunSteps(s.steps, n)
	return err
}

// Close frees the training set's copy on the device.
func (s *Session) Close() { s.ds.FinalizeAll() }

// newDataset puts the training split on the device, shuffled by opts.Seed
// and batched (the last batch of an epoch may be smaller). The inputs are
// the images, and for adversarial training the labels too (the attack needs
// them); the labels are the targets.
func newDataset(m Model, s *mnist.Split, opts Options) (*dataset.InMemoryDataset, error) {
	n := s.Len()
	labels := make([]int32, n)
	for i, l := range s.Labels {
		labels[i] = int32(l)
	}
	images := tensors.FromFlatDataAndDimensions(s.Images, m.Geometry().Dims(n)...)
	inputs := []any{images}
	if opts.Adversary.Active() {
		inputs = append(inputs, tensors.FromFlatDataAndDimensions(labels, n, 1))
	}
	ds, err := dataset.InMemoryFromData(m.Backend(), "train",
		inputs, []any{tensors.FromFlatDataAndDimensions(labels, n, 1)})
	if err != nil {
		return nil, fmt.Errorf("training: building the training dataset: %w", err)
	}
	if opts.Devices > 1 {
		// Each device's share of every batch, all of one shape.
		return ds.Shuffle().WithRand(rand.New(rand.NewSource(opts.Seed))).BatchSize(opts.BatchSize/opts.Devices, true), nil
	}
	return ds.Shuffle().WithRand(rand.New(rand.NewSource(opts.Seed))).BatchSize(opts.BatchSize, false), nil
}

// distribute returns the dataset the training loop reads: ds itself, or,
// with opts.Devices above 1, ds's per-device batches gathered opts.Devices
// at a time and split over the engine's first opts.Devices devices.
func distribute(m Model, ds *dataset.InMemoryDataset, n int, opts Options) (train.Dataset, error) {
	if opts.Devices <= 1 {
		return ds, nil
	}
	if have := m.Backend().NumDevices(); have < opts.Devices {
		return nil, fmt.Errorf("training: Devices is %d but the engine %q has %d device(s): use at most %d", opts.Devices, m.Backend().Name(), have, have)
	}
	if n < opts.BatchSize {
		return nil, fmt.Errorf("training: %d training examples do not fill one batch of %d over %d Devices: use a smaller BatchSize", n, opts.BatchSize, opts.Devices)
	}
	mesh, err := distributed.NewDeviceMesh([]int{opts.Devices}, []string{"batch"})
	if err != nil {
		return nil, fmt.Errorf("training: a mesh of %d devices: %w", opts.Devices, err)
	}
	split, err := distributed.BuildSpec(mesh).S("batch").Done()
	if err != nil {
		return nil, fmt.Errorf("training: splitting batches over %d devices: %w", opts.Devices, err)
	}
	// The random state (PGD's random start, TRADES' and Noise's draws) is
	// replicated like the weights. GoMLX v0.28.8 creates it without a store
	// and then reads the store's default sharding when the strategy is
	// AutoSharding (a nil dereference), so it is given its sharding here.
	store := m.Store()
	rng := store.GetVariable("/" + model.RNGStateVariableName)
	if rng == nil {
		if err := store.SetRNGStateFromSeed(opts.Seed); err != nil {
			return nil, fmt.Errorf("training: seeding the random state: %w", err)
		}
		rng = store.GetVariable("/" + model.RNGStateVariableName)
	}
	if rng.ShardingSpec() == nil {
		if err := rng.SetShardingSpec(distributed.NewReplicatedShardingSpec(mesh)); err != nil {
			return nil, fmt.Errorf("training: replicating the random state over %d devices: %w", opts.Devices, err)
		}
	}
	specs := []*distributed.ShardingSpec{split}
	acc, err := dataset.NewDistributedAccumulator(m.Backend(), ds, distributed.AutoSharding, specs, specs, nil)
	if err != nil {
		return nil, fmt.Errorf("training: splitting batches over %d devices: %w", opts.Devices, err)
	}
	return acc, nil
}

// seedWeights makes opts.Seed decide the starting weights. A model without
// weights yet gets them from the first training step, drawn from the
// store's random state seeded here. A model whose weights its initialisers
// drew unseeded, when it predicted before training (classifier.Model's
// InitialWeights), gets them drawn again, from the seed, as if it had not.
// Loaded, imported or trained weights are kept.
func seedWeights(m Model, seed int64) error {
	store := m.Store()
	if store.NumVariables() == 0 {
		if err := store.SetRNGStateFromSeed(seed); err != nil {
			return fmt.Errorf("training: seeding the weights' initialisation: %w", err)
		}
		return nil
	}
	if f, ok := m.(interface{ InitialWeights() bool }); !ok || !f.InitialWeights() {
		return nil
	}
	for v := range store.IterVariables() {
		if err := v.Reset(); err != nil {
			return fmt.Errorf("training: drawing the weights again from the seed: %w", err)
		}
	}
	if err := store.SetRNGStateFromSeed(seed); err != nil {
		return fmt.Errorf("training: seeding the weights' initialisation: %w", err)
	}
	if err := store.InitializeVariables(m.Backend(), nil); err != nil {
		return fmt.Errorf("training: drawing the weights again from the seed: %w", err)
	}
	return nil
}

func checkSplit(what string, s *mnist.Split, g classifier.Geometry) error {
	if s == nil || s.Len() == 0 {
		return fmt.Errorf("training: the %s set is empty", what)
	}
	// Before the first epoch, not at its end: the images' count and
	// geometry, their pixels in [0, 1] (a set in 0..255 is named here), the
	// labels.
	if sg := s.Geometry; sg.Pixels() > 0 && (sg.Rows != g.Rows || sg.Cols != g.Cols || sg.Channels != g.Channels) {
		return fmt.Errorf("training: the %s set holds %v, but the model takes %v: give it data of the model's size", what, sg, g)
	}
	if _, err := g.CheckLabeled(s.Images, s.Labels); err != nil {
		return fmt.Errorf("training: the %s set: %w", what, err)
	}
	return nil
}

// scalar reads a metric: the model, and so its metrics, are float32.
func scalar(t *tensors.Tensor) float64 { return float64(tensors.ToScalar[float32](t)) }
