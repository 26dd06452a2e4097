package attack_test

import (
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
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

// mlp returns a multilayer perceptron trained briefly (testutil.MLP): a
// classifier of another shape than the article's CNN.
func mlp(t testing.TB) *classifier.Model { return testutil.MLP(t) }
