package attack_test

import (
	"sync"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/training"
)

// sample returns the first n test images, their labels, and a target per
// image that is never its label.
func sample(t testing.TB, n int) (images []float32, labels, targets []int) {
	test := testutil.MNIST(t).Test
	for i := range n {
		images = append(images, test.Image(i)...)
		labels = append(labels, test.Labels[i])
		targets = append(targets, (test.Labels[i]+1+i%9)%10)
	}
	return images, labels, targets
}

var mlpOnce = sync.OnceValues(func() (*classifier.Model, error) {
	backend, err := testutil.Backend()
	if err != nil {
		return nil, err
	}
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(7); err != nil {
		return nil, err
	}
	// A model unlike the article's: a multilayer perceptron, 784 → 64 (ReLU) → 10.
	m, err := classifier.New(backend, store, mnist.Geometry, func(scope *model.Scope, images *Node) *Node {
		x := Reshape(images, images.Shape().Dimensions[0], -1)
		x = activation.Relu(layers.Dense(scope.In("hidden"), x, true, 64))
		return layers.Dense(scope.In("output"), x, true, mnist.NumClasses)
	})
	if err != nil {
		return nil, err
	}
	data, err := testutil.Data()
	if err != nil {
		return nil, err
	}
	subset := make([]int, 10000)
	for i := range subset {
		subset[i] = i
	}
	opts := training.DefaultOptions()
	opts.MaxEpochs = 2
	_, err = training.Train(m, data.Train.Subset(subset), data.Validation, opts)
	return m, err
})

// mlp returns a multilayer perceptron trained briefly (about 93% accurate):
// a classifier of another shape than the article's CNN, defined here.
func mlp(t testing.TB) *classifier.Model {
	t.Helper()
	m, err := mlpOnce()
	if err != nil {
		t.Fatalf("training the test's MLP: %v", err)
	}
	return m
}
