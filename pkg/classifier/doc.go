// Package classifier is what attacks and evaluations need of an image
// classifier, and no more.
//
// A Predictor answers queries: the class probabilities of a batch of
// images. Black-box attacks need nothing else. A Differentiable classifier
// also gives its logits as a GoMLX graph function, with the engine and the
// weights that run it, so that white-box attacks can differentiate through
// it. Geometry describes the inputs (Rows×Cols×Channels values in [0, 1]
// per image) and the number of classes; images travel as flat, row-major
// []float32 slices of n×Geometry.Pixels() values.
//
// Model turns any GoMLX graph function of logits into a Differentiable
// classifier: the article's CNN (package cnn) is one. A model of your own
// takes ten lines, each layer's weights under a named scope:
//
//	import (
//		"github.com/gomlx/gomlx/core/graph"
//		"github.com/gomlx/gomlx/ml/layers"
//		"github.com/gomlx/gomlx/ml/layers/activation"
//		"github.com/gomlx/gomlx/ml/model"
//	)
//
//	// mlp is a dense network: 784 pixels, 128 hidden units, 10 logits.
//	func mlp(scope *model.Scope, images *graph.Node) *graph.Node {
//		x := graph.Reshape(images, images.Shape().Dimensions[0], -1)
//		x = activation.Relu(layers.Dense(scope.In("hidden"), x, true, 128))
//		return layers.Dense(scope.In("output"), x, true, mnist.NumClasses)
//	}
//
//	m, err := classifier.New(engine, model.NewStore(), mnist.Geometry, mlp)
//
// Its weights are created on first use. Model.Save and Model.Load keep them
// in a GoMLX checkpoint; training.LoadOrFit trains such a model once and
// loads it afterwards, and a notebook's session.Fit does the same per cell.
package classifier
