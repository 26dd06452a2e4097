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
// classifier: the article's CNN (package cnn) is one, and a test defines a
// second, unrelated network in a few lines.
package classifier
