package cnn

import (
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/mnist"
)

// ScopeName is the scope, under the store's root, that holds the weights.
const ScopeName = "cnn"

// Logits builds the network of cfg on images shaped [batch, 28, 28, 1] and
// returns the logits, shaped [batch, 10]. The weights are variables under
// scope.In(ScopeName), created (with GoMLX's default initializer) on first
// use and reused afterwards. They take the dtype of images: a float64 graph
// gets float64 weights.
func Logits(scope *model.Scope, cfg Config, images *Node) *Node {
	scope = scope.In(ScopeName)
	batch := images.Shape().Dimensions[0]
	x := layers.Convolution(scope.In("conv2d"), images).
		Channels(cfg.Filters).KernelSize(cfg.Kernel).NoPadding().Done()
	if cfg.deep() {
		x = MaxPooling2D(activation.Relu(x), cfg.Pool)
		x = layers.Convolution(scope.In("conv2d_2"), x).Channels(cfg.Filters2).KernelSize(cfg.Kernel).NoPadding().Done()
		x = MaxPooling2D(activation.Relu(x), cfg.Pool)
		x = Reshape(x, batch, -1)
		x = activation.Relu(layers.Dense(scope.In("hidden"), x, true, cfg.Hidden))
		return layers.Dense(scope.In("dense"), x, true, mnist.NumClasses)
	}
	x = MaxPooling2D(x, cfg.Pool)
	x = Reshape(x, batch, -1) // Flatten, in the same (row, column, channel) order as Keras.
	return layers.Dense(scope.In("dense"), x, true, mnist.NumClasses)
}

// Probabilities is the softmax of Logits: the model's output as the article
// uses it.
func Probabilities(scope *model.Scope, cfg Config, images *Node) *Node {
	return Softmax(Logits(scope, cfg, images), -1)
}
