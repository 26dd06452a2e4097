// Package bench measures the project's hot paths against the article's own
// stack. `make bench` runs the Go benchmarks of bench_test.go (training steps
// and epochs, Jacobians, ascent steps, attack loops, a GEMM for the machine's
// attainable peak), the Keras/TensorFlow reference of reference.py on the
// same data and the same weights, the notebook timings, and the peak memory of
// `make reproduce`, then prints one table and a JSON line (run.py).
//
// The benchmarks are not tests: `go test ./bench` runs only TestSmoke, which
// runs every workload once at a tiny size so that the code keeps working.
package bench

import (
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
)

// TrainingFLOPsPerImage counts the floating-point operations of one training
// example through the article's CNN: the forward pass (convolution with bias,
// dense layer with bias), and the backward pass that training needs (the
// convolution's kernel gradient, the dense layer's weight and input
// gradients; not the gradient with respect to the image). Multiply-adds count
// as two; max-pool comparisons, the softmax and the optimizer are left out.
func TrainingFLOPsPerImage(c cnn.Config) float64 {
	rows, cols := c.ConvSize()
	positions := float64(rows * cols)
	convMACs := positions * float64(c.Filters*c.Kernel*c.Kernel)
	convBias := positions * float64(c.Filters)
	denseMACs := float64(c.Features() * mnist.NumClasses)
	forward := 2*convMACs + convBias + 2*denseMACs + mnist.NumClasses
	backward := 2*convMACs + convBias + 2*2*denseMACs + mnist.NumClasses
	return forward + backward
}
