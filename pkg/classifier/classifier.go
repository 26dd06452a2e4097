package classifier

import (
	"fmt"
	"sync"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Predictor is a classifier seen from outside: it answers queries with class
// probabilities, and nothing more. Black-box attacks take a Predictor.
type Predictor interface {
	// Geometry describes the images the classifier takes and its classes.
	Geometry() Geometry
	// Predict returns the softmax probabilities of each image of images
	// (flat, n×Geometry().Pixels() values in [0, 1]): n rows of
	// Geometry().Classes values.
	Predict(images []float32) ([][]float32, error)
}

// Differentiable is a classifier whose logits are a GoMLX graph function,
// with the engine and the weights that run it. White-box attacks take one.
type Differentiable interface {
	Predictor
	// Backend is the engine that runs the classifier's graphs.
	Backend() compute.Backend
	// Store holds the classifier's weights; executors built on it
	// (model.NewExec) give Logits its scope.
	Store() *model.Store
	// Logits builds the classifier on images [batch, Rows, Cols, Channels]
	// inside a graph function given scope by an executor of Store(), and
	// returns the logits, [batch, Classes] (before any softmax).
	Logits(scope *model.Scope, images *Node) *Node
}

// FastGradients is a Differentiable classifier that computes the products
// of its logits' Jacobian with a cotangent faster than GoMLX's automatic
// differentiation of Logits does (the article's CNN does, by routing the
// max-pool's gradient and transposing its convolution by hand). Attacks
// and Jacobians use it, through LogitsWithVJP, when a model has it. A type
// that embeds such a model and changes its Logits must change LogitsWithVJP
// to match (or embed the Differentiable interface instead, which hides it).
type FastGradients interface {
	Differentiable
	// LogitsWithVJP builds the logits of images, as Logits does, and a
	// function that returns, for a cotangent of the logits [batch, classes],
	// the gradient of Σ cotangent·logits with respect to images.
	LogitsWithVJP(scope *model.Scope, images *Node) (logits *Node, vjp func(cotangent *Node) *Node)
}

// ManyGradients is a FastGradients classifier that also computes several
// products per image in one pass, as a batch Jacobian needs (the article's
// CNN does).
type ManyGradients interface {
	FastGradients
	// LogitsWithVJPs builds the logits, as Logits does, and a function that
	// takes cotangents [batch, n, classes] to the n gradients of each image,
	// [batch, n, rows, cols, channels].
	LogitsWithVJPs(scope *model.Scope, images *Node) (logits *Node, vjps func(cotangents *Node) *Node)
}

// LogitsWithVJP builds m's logits on images and the function that turns a
// cotangent of the logits into a gradient with respect to images: m's own
// when it implements FastGradients, GoMLX's automatic differentiation
// otherwise. The cotangent is a constant for the product (no gradient flows
// through it).
func LogitsWithVJP(scope *model.Scope, m Differentiable, images *Node) (logits *Node, vjp func(cotangent *Node) *Node) {
	if f, ok := m.(FastGradients); ok {
		return f.LogitsWithVJP(scope, images)
	}
	logits = m.Logits(scope, images)
	return logits, func(cotangent *Node) *Node {
		return Gradient(ReduceAllSum(Mul(StopGradient(cotangent), logits)), images)[0]
	}
}

// LogitsFunc builds a classifier's logits [batch, Classes] from images
// [batch, Rows, Cols, Channels], with its weights as variables of scope.
type LogitsFunc func(scope *model.Scope, images *Node) *Node

// BatchSize is how many images Model sends to the engine at once when it
// predicts or evaluates. Small batches keep the intermediate values in the
// CPU's caches: the article's CNN predicts in 27 µs per image in batches of
// 128, in 61 µs in batches of 1,024 (measured on this project's machine).
const BatchSize = 128

// Model is a Differentiable classifier made of a GoMLX graph function and
// its weights. It is safe for concurrent use.
type Model struct {
	geometry Geometry
	backend  compute.Backend
	store    *model.Store
	logits   LogitsFunc

	// fresh: built on a new store and never loaded, so that its weights,
	// once made, are its initialisers' (see InitialWeights).
	fresh bool

	mu       sync.Mutex
	predict  *model.Exec
	evaluate *model.Exec
}

// InitialWeights tells whether the model's weights are still the ones its
// initialisers drew when a graph first ran (a prediction, an attack): the
// model was built on a new store, not loaded, and not trained (its store
// has no optimizer step). Training then draws them again from its own
// seed, so that Options.Seed decides the model whatever ran before. Weights
// set by hand on the store do not count: build the model on a store that
// holds them.
func (m *Model) InitialWeights() bool {
	return m.fresh && m.store.GetVariable("/global_step") == nil
}

// New returns the classifier whose logits logits builds, with the weights
// in store, run by backend. Weights that logits creates on first use are
// initialised by the store's initializer when the first graph runs.
func New(backend compute.Backend, store *model.Store, g Geometry, logits LogitsFunc) (*Model, error) {
	switch {
	case backend == nil:
		return nil, fmt.Errorf("classifier.New: backend is nil: create one with backend.New()")
	case store == nil:
		return nil, fmt.Errorf("classifier.New: store is nil: create one with model.NewStore()")
	case logits == nil:
		return nil, fmt.Errorf("classifier.New: the logits function is nil")
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return &Model{geometry: g, backend: backend, store: store, logits: logits, fresh: store.NumVariables() == 0}, nil
}

// Geometry describes the images the model takes and its classes.
func (m *Model) Geometry() Geometry { return m.geometry }

// Backend is the engine that runs the model.
func (m *Model) Backend() compute.Backend { return m.backend }

// Store holds the model's weights.
func (m *Model) Store() *model.Store { return m.store }

// Logits builds the model's logits on images inside a graph function given
// scope by an executor of Store().
func (m *Model) Logits(scope *model.Scope, images *Node) *Node { return m.logits(scope, images) }

// cachedExec returns the executor *slot holds, building it with fn on first use.
func cachedExec[F model.ExecGraphFn](m *Model, slot **model.Exec, fn F) (*model.Exec, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if *slot == nil {
		e, err := model.NewExec(m.backend, m.store, fn)
		if err != nil {
			return nil, err
		}
		*slot = e
	}
	return *slot, nil
}

// Predict returns the softmax probabilities, one row of Classes values per
// image, for images given flat (n×Pixels values in [0, 1]).
func (m *Model) Predict(images []float32) ([][]float32, error) {
	n, err := m.geometry.CheckImages(images)
	if err != nil {
		return nil, fmt.Errorf("classifier.Predict: %w", err)
	}
	exec, err := cachedExec(m, &m.predict, func(scope *model.Scope, x *Node) *Node {
		return Softmax(m.logits(scope, x), -1)
	})
	if err != nil {
		return nil, fmt.Errorf("classifier.Predict: %w", err)
	}
	k := m.geometry.Classes
	probs := make([][]float32, 0, n)
	err = m.inBatches(images, n, true, func(start, end int, x *tensors.Tensor) error {
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
			probs = append(probs, flat[i*k:(i+1)*k:(i+1)*k])
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("classifier.Predict: %w", err)
	}
	return probs, nil
}

// Classify returns, for each image, the predicted class (the argmax of the
// probabilities) and its probability, the model's confidence.
func (m *Model) Classify(images []float32) (classes []int, confidences []float32, err error) {
	return Classify(m, images)
}

// Classify returns what p predicts for each image and with what confidence
// (the largest probability). Bad images get p's Geometry's one line, after
// "classifier.Classify:".
func Classify(p Predictor, images []float32) (classes []int, confidences []float32, err error) {
	if p == nil {
		return nil, nil, fmt.Errorf("classifier.Classify: the model is nil: load or train one first")
	}
	if _, err := p.Geometry().CheckImages(images); err != nil {
		return nil, nil, fmt.Errorf("classifier.Classify: %w", err)
	}
	probs, err := p.Predict(images)
	if err != nil {
		return nil, nil, err
	}
	classes = make([]int, len(probs))
	confidences = make([]float32, len(probs))
	for i, row := range probs {
		classes[i] = Argmax(row)
		confidences[i] = row[classes[i]]
	}
	return classes, confidences, nil
}

// CrossEntropy is −log softmax(logits)[class] per image, [batch], for
// logits [batch, classes] and classes [batch] (integers): the loss that
// Keras' evaluate reports and that Foolbox's and torchattacks' attacks
// climb. The attacks, Evaluate and the sanity checks all take it from here.
func CrossEntropy(logits, classes *Node) *Node {
	oneHot := OneHot(classes, logits.Shape().Dimensions[1], logits.DType())
	return Neg(ReduceSum(Mul(oneHot, LogSoftmax(logits, -1)), -1))
}

// Evaluate returns the mean cross-entropy loss and the accuracy of the model
// on images (flat) with their labels, as Keras' model.evaluate does.
func (m *Model) Evaluate(images []float32, labels []int) (meanLoss, accuracy float64, err error) {
	n, err := m.geometry.CheckLabeled(images, labels)
	if err != nil {
		return 0, 0, fmt.Errorf("classifier.Evaluate: %w", err)
	}
	labels32 := make([]int32, n)
	for i, l := range labels {
		labels32[i] = int32(l)
	}
	exec, err := cachedExec(m, &m.evaluate, func(scope *model.Scope, x, y *Node) (*Node, *Node) {
		logits := m.logits(scope, x)
		labels := Reshape(y, -1)
		lossSum := ReduceAllSum(CrossEntropy(logits, labels))
		predicted := ConvertDType(ArgMax(logits, -1), y.DType())
		correct := ConvertDType(Equal(predicted, labels), logits.DType())
		return lossSum, ReduceAllSum(correct)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("classifier.Evaluate: %w", err)
	}
	var lossSum, correctSum float64
	err = m.inBatches(images, n, false, func(start, end int, x *tensors.Tensor) error {
		y := tensors.FromFlatDataAndDimensions(labels32[start:end], end-start, 1)
		out, err := exec.Call(x, y)
		y.MustFinalizeAll()
		if err != nil {
			return err
		}
		lossSum += float64(tensors.ToScalar[float32](out[0]))
		correctSum += float64(tensors.ToScalar[float32](out[1]))
		out[0].MustFinalizeAll()
		out[1].MustFinalizeAll()
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("classifier.Evaluate: %w", err)
	}
	return lossSum / float64(n), correctSum / float64(n), nil
}

// inBatches calls fn for consecutive batches of at most BatchSize of the n
// images, each as a tensor [batch, Rows, Cols, Channels] freed after the
// call, with the range [start, end) of the images it holds. With pad, a
// batch of fewer than BatchSize images is padded with black images up to
// the next power of two (its first end−start rows are the images), so that
// calls of any size compile at most eight graphs: black-box attacks query
// shrinking batches.
func (m *Model) inBatches(images []float32, n int, pad bool, fn func(start, end int, x *tensors.Tensor) error) error {
	p := m.geometry.Pixels()
	for start := 0; start < n; start += BatchSize {
		end := min(n, start+BatchSize)
		rows, data := end-start, images[start*p:end*p]
		if pad {
			for rows&(rows-1) != 0 {
				rows++
			}
			data = append(data[:len(data):len(data)], make([]float32, (rows-(end-start))*p)...)
		}
		x := tensors.FromFlatDataAndDimensions(data, m.geometry.Dims(rows)...)
		err := fn(start, end, x)
		x.MustFinalizeAll()
		if err != nil {
			return err
		}
	}
	return nil
}
