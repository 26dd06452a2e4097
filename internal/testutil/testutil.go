// Package testutil gives the project's tests an XLA engine, MNIST and a
// quickly trained model, each made once per test binary.
package testutil

import (
	"sync"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	gomlxmodel "github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/backend"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/training"
)

var (
	backendOnce = sync.OnceValues(func() (compute.Backend, error) { return backend.NewWithConfig("xla:cpu") })
	dataOnce    = sync.OnceValues(func() (*mnist.Data, error) { return mnist.Load(mnist.Options{Seed: 1}) })
	modelOnce   sync.Once
	model       *cnn.Model
	modelErr    error
)

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
// training images (about 95% accurate): enough for attacks to mean something.
// Tests must not change its weights.
func Trained(t testing.TB) *cnn.Model {
	t.Helper()
	modelOnce.Do(func() {
		data := MNIST(t)
		model, modelErr = cnn.New(XLA(t), cnn.Default, 1)
		if modelErr != nil {
			return
		}
		subset := make([]int, 20000)
		for i := range subset {
			subset[i] = i
		}
		opts := training.DefaultOptions()
		opts.MaxEpochs = 1
		_, modelErr = training.Train(model, data.Train.Subset(subset), data.Validation, opts)
	})
	if modelErr != nil {
		t.Fatalf("training the test model: %v", modelErr)
	}
	return model
}

// Linear is softmax regression, the smallest model of a user's own (not a
// cnn.Model): a dense layer from the pixels to the logits.
func Linear(scope *gomlxmodel.Scope, images *graph.Node) *graph.Node {
	return layers.Dense(scope.In("linear"), graph.Reshape(images, images.Shape().Dimensions[0], -1), true, mnist.NumClasses)
}
