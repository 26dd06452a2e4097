package cnn

import (
	"fmt"
	"sync"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Param names, in the store's root scope, under which a Model records its
// Config so that a checkpoint carries it.
const (
	ParamFilters = "cnn_filters"
	ParamKernel  = "cnn_kernel"
	ParamPool    = "cnn_pool"
)

// PredictBatchSize is how many images Predict sends to the engine at once.
const PredictBatchSize = 1000

// Model is the article's CNN with its weights and the engine that runs it.
// It is safe for concurrent use.
type Model struct {
	Config  Config
	Backend compute.Backend
	// Store holds the weights (under the scope ScopeName) and, once trained,
	// the optimizer's state. Graph functions built with Logits on
	// Store.RootScope() share its weights.
	Store *model.Store

	muPredict sync.Mutex
	predict   *model.Exec
	evaluate  *model.Exec
}

// New creates a model with freshly initialised weights. The same seed gives
// the same weights.
func New(backend compute.Backend, cfg Config, seed int64) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if backend == nil {
		return nil, fmt.Errorf("cnn.New: backend is nil: create one with backend.New()")
	}
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(seed); err != nil {
		return nil, fmt.Errorf("cnn.New: seeding the weights' initialisation: %w", err)
	}
	store.SetParams(map[string]any{ParamFilters: cfg.Filters, ParamKernel: cfg.Kernel, ParamPool: cfg.Pool})
	m := &Model{Config: cfg, Backend: backend, Store: store}
	// Build the graph once so that the weights exist (and NumParams and
	// Summary can count them) before any training.
	if _, err := m.Predict(make([]float32, Rows*Cols)); err != nil {
		return nil, fmt.Errorf("cnn.New: initialising the weights: %w", err)
	}
	return m, nil
}

// Logits builds the model's graph on images [batch, 28, 28, 1] inside a
// graph function that received scope from one of m.Store's executors.
func (m *Model) Logits(scope *model.Scope, images *Node) *Node {
	return Logits(scope, m.Config, images)
}

// Predict returns the softmax probabilities, one []float32 of 10 per image,
// for images given flat: n×784 pixels, row-major, in [0,1].
func (m *Model) Predict(images []float32) ([][]float32, error) {
	n, err := CountImages(images)
	if err != nil {
		return nil, fmt.Errorf("cnn.Predict: %w", err)
	}
	m.muPredict.Lock()
	if m.predict == nil {
		m.predict, err = model.NewExec(m.Backend, m.Store, func(scope *model.Scope, x *Node) *Node {
			return Probabilities(scope, m.Config, x)
		})
	}
	exec := m.predict
	m.muPredict.Unlock()
	if err != nil {
		return nil, fmt.Errorf("cnn.Predict: %w", err)
	}
	probs := make([][]float32, 0, n)
	err = inBatches(images, n, func(start, end int, x *tensors.Tensor) error {
		out, err := exec.Call(x)
		if err != nil {
			return err
		}
		flat, err := tensors.CopyFlatData[float32](out[0])
		out[0].MustFinalizeAll()
		if err != nil {
			return fmt.Errorf("reading probabilities: %w", err)
		}
		for i := range end - start {
			probs = append(probs, flat[i*NumClasses:(i+1)*NumClasses:(i+1)*NumClasses])
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cnn.Predict: %w", err)
	}
	return probs, nil
}

// inBatches calls fn for consecutive batches of at most PredictBatchSize of
// the n images, each as a tensor [batch, 28, 28, 1] freed after the call,
// with the range [start, end) of the images it holds.
func inBatches(images []float32, n int, fn func(start, end int, x *tensors.Tensor) error) error {
	for start := 0; start < n; start += PredictBatchSize {
		end := min(n, start+PredictBatchSize)
		x := tensors.FromFlatDataAndDimensions(images[start*Rows*Cols:end*Rows*Cols], end-start, Rows, Cols, 1)
		err := fn(start, end, x)
		x.MustFinalizeAll()
		if err != nil {
			return err
		}
	}
	return nil
}

// Classify returns, for each image, the predicted class (the argmax of the
// probabilities) and its probability, the model's confidence.
func (m *Model) Classify(images []float32) (classes []int, confidences []float32, err error) {
	probs, err := m.Predict(images)
	if err != nil {
		return nil, nil, err
	}
	classes = make([]int, len(probs))
	confidences = make([]float32, len(probs))
	for i, p := range probs {
		classes[i] = Argmax(p)
		confidences[i] = p[classes[i]]
	}
	return classes, confidences, nil
}

// NumParams counts the trainable parameters in the store's weights (the
// optimizer's state is not counted).
func (m *Model) NumParams() int {
	total := 0
	for v := range m.Store.Scope("/" + ScopeName).IterVariables() {
		if v.Trainable {
			total += v.Shape().Size()
		}
	}
	return total
}

// CountImages returns how many 28×28 images a flat slice holds, or an error
// saying what is wrong with its length.
func CountImages(images []float32) (int, error) {
	const pixels = Rows * Cols
	if len(images) == 0 || len(images)%pixels != 0 {
		return 0, fmt.Errorf("images hold %d values: want a positive multiple of %d (28×28 pixels per image, row-major)",
			len(images), pixels)
	}
	return len(images) / pixels, nil
}

// Argmax returns the index of the largest value (the first one on ties).
func Argmax(values []float32) int {
	best := 0
	for i, v := range values {
		if v > values[best] {
			best = i
		}
	}
	return best
}
