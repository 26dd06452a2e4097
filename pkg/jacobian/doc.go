// Package jacobian computes input gradients of a classifier (the article's
// CNN, or any classifier.Differentiable): for every image of a batch, the
// derivative of each output with respect to every input pixel. It is the Go
// counterpart of the article's
//
//	tape.batch_jacobian(model(x), x)
//
// shaped [batch, 10, 28, 28, 1] for MNIST, taken of the softmax
// probabilities (the model's output, as in the article) or of the logits.
// The slice for one class, [batch, 28, 28, 1], tells how each pixel pushes
// the model towards that class: the direction the targeted attack of
// package attack ascends.
package jacobian
