// Package testutil gives the project's tests an XLA engine, MNIST and two
// small trained models, each made once per test binary.
//
// The trained models are fixtures, not what a test checks: they are loaded
// from the copies shipped in testdata/ rather than trained again in every
// test binary (which cost about 20 seconds each, in a dozen binaries).
// TrainTrained and TrainMLP are their recipes; this package's own test
// trains both anew and holds the shipped copies to them, and with -remake
// writes them:
//
//	go test ./internal/testutil -run TestShippedModelsAreTheirRecipes -remake
package testutil

import (
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	gomlxmodel "github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/backend"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/training"
)

var (
	backendOnce = sync.OnceValues(func() (compute.Backend, error) { return backend.NewWithConfig("xla:cpu") })
	dataOnce    = sync.OnceValues(func() (*mnist.Data, error) { return mnist.Load(mnist.Options{Seed: 1}) })
	trainedOnce = sync.OnceValues(func() (*cnn.Model, error) {
		b, err := backendOnce()
		if err != nil {
			return nil, err
		}
		m, err := cnn.Load(b, ShippedDir(TrainedName))
		if err != nil {
			return nil, fmt.Errorf("%w; %s", err, remake)
		}
		if m.Config != cnn.Default {
			return nil, fmt.Errorf("testutil: the shipped test model is a %s network, not cnn.Default's %s; %s", m.Config, cnn.Default, remake)
		}
		return m, nil
	})
	mlpOnce = sync.OnceValues(func() (*classifier.Model, error) {
		b, err := backendOnce()
		if err != nil {
			return nil, err
		}
		m, err := classifier.New(b, gomlxmodel.NewStore(), mnist.Geometry, mlpLogits)
		if err != nil {
			return nil, err
		}
		if err := m.Load(ShippedDir(MLPName)); err != nil {
			return nil, fmt.Errorf("%w; %s", err, remake)
		}
		return m, nil
	})
)

// remake is the command that writes the shipped models again.
const remake = "remake the test models with: go test ./internal/testutil -run TestShippedModelsAreTheirRecipes -remake"

// The shipped models' folders in testdata/.
const (
	TrainedName = "trained"
	MLPName     = "mlp"
)

// ShippedDir is the folder of the shipped model name (TrainedName or
// MLPName).
func ShippedDir(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", name)
}

// Backend returns the XLA CPU engine, or why there is none; XLA is the
// same for tests.
func Backend() (compute.Backend, error) { return backendOnce() }

// Data returns MNIST with the default split (seed 1); MNIST is the same for
// tests.
func Data() (*mnist.Data, error) { return dataOnce() }

// XLA returns the XLA CPU engine. Tests that need XLA fail, never fall back,
// when its plugin is missing: the error says how to install it.
func XLA(t testing.TB) compute.Backend {
	t.Helper()
	b, err := backendOnce()
	if err != nil {
		t.Fatalf("these tests run on XLA: %v", err)
	}
	return b
}

// MNIST returns the dataset with the default split (seed 1).
func MNIST(t testing.TB) *mnist.Data {
	t.Helper()
	d, err := dataOnce()
	if err != nil {
		t.Fatalf("loading MNIST: %v", err)
	}
	return d
}

// Trained returns a model of cnn.Default trained for one epoch on 20,000
// training images (about 95% accurate): enough for attacks to mean
// something. It is loaded from testdata/trained, which TrainTrained made.
// Tests must not change its weights.
func Trained(t testing.TB) *cnn.Model {
	t.Helper()
	m, err := trainedOnce()
	if err != nil {
		t.Fatalf("loading the test model: %v", err)
	}
	return m
}

// TrainTrained is Trained's recipe: cnn.Default seeded with 1, trained with
// training.DefaultOptions for one epoch on the first 20,000 training images
// of data.
func TrainTrained(b compute.Backend, data *mnist.Data) (*cnn.Model, error) {
	m, err := cnn.New(b, cnn.Default, 1)
	if err != nil {
		return nil, err
	}
	return m, train(m, data, 20000, 1)
}

// MLP returns a multilayer perceptron (NewMLP) trained briefly (about 93%
// accurate): a classifier of another shape than the article's CNN. It is
// loaded from testdata/mlp, which TrainMLP made. Tests must not change its
// weights.
func MLP(t testing.TB) *classifier.Model {
	t.Helper()
	m, err := mlpOnce()
	if err != nil {
		t.Fatalf("loading the test MLP: %v", err)
	}
	return m
}

// NewMLP returns an untrained multilayer perceptron, 784 → 64 (ReLU) → 10,
// a model unlike the article's, with weights seeded by seed.
func NewMLP(b compute.Backend, seed int64) (*classifier.Model, error) {
	store := gomlxmodel.NewStore()
	if err := store.SetRNGStateFromSeed(seed); err != nil {
		return nil, err
	}
	return classifier.New(b, store, mnist.Geometry, mlpLogits)
}

// mlpLogits is NewMLP's network.
func mlpLogits(scope *gomlxmodel.Scope, images *graph.Node) *graph.Node {
	x := graph.Reshape(images, images.Shape().Dimensions[0], -1)
	x = activation.Relu(layers.Dense(scope.In("hidden"), x, true, 64))
	return layers.Dense(scope.In("output"), x, true, mnist.NumClasses)
}

// TrainMLP is MLP's recipe: NewMLP seeded with 7, trained with
// training.DefaultOptions for two epochs on the first 10,000 training
// images of data.
func TrainMLP(b compute.Backend, data *mnist.Data) (*classifier.Model, error) {
	m, err := NewMLP(b, 7)
	if err != nil {
		return nil, err
	}
	return m, train(m, data, 10000, 2)
}

// train trains m with training.DefaultOptions for epochs on the first n
// training images of data.
func train(m training.Model, data *mnist.Data, n, epochs int) error {
	opts := training.DefaultOptions()
	opts.MaxEpochs = epochs
	_, err := training.Train(m, data.Train.Head(n), data.Validation, opts)
	return err
}

// Linear is softmax regression, the smallest model of a user's own (not a
// cnn.Model): a dense layer from the pixels to the logits.
func Linear(scope *gomlxmodel.Scope, images *graph.Node) *graph.Node {
	return layers.Dense(scope.In("linear"), graph.Reshape(images, images.Shape().Dimensions[0], -1), true, mnist.NumClasses)
}

// Slow skips t under `go test -short`, the contributors' quick loop (docs/tests.md):
// it marks the tests that train a model or compile many attacks, each
// seconds to minutes on two cores. `make test` runs them all.
func Slow(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("slow: go test without -short (make test) runs it")
	}
}
