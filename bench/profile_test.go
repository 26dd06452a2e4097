package bench

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	gomlxmodel "github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/loss"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/jacobian"
	"github.com/advmlgo/advml/pkg/mnist"
)

// BenchmarkProfile splits a training step (batch 64) and a batch Jacobian
// into their operations, each compiled and timed on its own, so that the
// costs can be compared with a whole step (BenchmarkTrainStep) and a whole
// Jacobian (BenchmarkJacobian):
//
//	go test ./bench -run '^$' -bench 'Profile|TrainStep|Jacobian' -benchtime 100x   (make profile)
//
// step/…: the article network's forward pass; its loss gradient with
// respect to every weight as training builds it (the kernel's gradient
// written as a product of shifted views, cnn.Logits), and as automatic
// differentiation of XLA's convolution gives it. conv/…: the convolution
// alone, forward, and its kernel gradient both ways. pool+dense/…: the
// max-pool and dense layers' forward and backward passes. jacobian/…: the
// forward pass and the ten vector-Jacobian products of a batch Jacobian.
func BenchmarkProfile(b *testing.B) {
	m := model(b)
	cfg := m.Config
	const batch = 64
	rng := rand.New(rand.NewPCG(1, 1))
	random := func(dims ...int) *tensors.Tensor {
		t := tensors.FromShape(shapes.Make(dtypes.Float32, dims...))
		tensors.MutableFlatData[float32](t, func(flat []float32) {
			for i := range flat {
				flat[i] = rng.Float32()
			}
		})
		return t
	}
	images := tensors.FromFlatDataAndDimensions(testutil.MNIST(b).Train.Images[:batch*mnist.Pixels], batch, mnist.Rows, mnist.Cols, 1)
	labels := tensors.FromFlatDataAndDimensions(make([]int32, batch), batch, 1)
	side, _ := cfg.ConvSize() // MNIST's images are square.
	filters, k := cfg.Filters, cfg.Kernel
	convOut := random(batch, side, side, filters)
	kernel := random(k, k, 1, filters)

	weightGradients := func(logitsFn func(scope *gomlxmodel.Scope, x *Node) *Node) func(scope *gomlxmodel.Scope, x, y *Node) []*Node {
		return func(scope *gomlxmodel.Scope, x, y *Node) []*Node {
			l := ReduceAllMean(loss.SparseCategoricalCrossEntropyLogits([]*Node{y}, []*Node{logitsFn(scope, x)}))
			var vars []*Node
			for v := range m.Store().IterVariables() {
				if v.Trainable && v.Shape().DType == dtypes.Float32 {
					vars = append(vars, v.NodeValue(x.Graph()))
				}
			}
			return Gradient(l, vars...)
		}
	}
	profile(b, m, "step/forward", func(scope *gomlxmodel.Scope, x *Node) *Node { return m.Logits(scope, x) }, images)
	profile(b, m, "step/gradient", weightGradients(m.Logits), images, labels)
	profile(b, m, "step/gradient-xla-kernel", weightGradients(func(scope *gomlxmodel.Scope, x *Node) *Node {
		// The same network built from GoMLX's layers, as the project did before.
		scope = scope.In(cnn.ScopeName)
		h := layers.Convolution(scope.In("conv2d"), x).Channels(cfg.Filters).KernelSize(cfg.Kernel).NoPadding().Done()
		h = Reshape(cnn.MaxPooling2D(h, cfg.Pool), batch, -1)
		return layers.Dense(scope.In("dense"), h, true, mnist.NumClasses)
	}), images, labels)
	profile(b, m, "conv/forward", func(_ *gomlxmodel.Scope, x, w *Node) *Node { return Convolve(x, w).NoPadding().Done() }, images, kernel)
	profile(b, m, "conv/kernel-gradient-xla", func(_ *gomlxmodel.Scope, x, w, c *Node) *Node {
		return Gradient(ReduceAllSum(Mul(Convolve(x, w).NoPadding().Done(), c)), w)[0]
	}, images, kernel, convOut)
	profile(b, m, "conv/kernel-gradient-views", func(_ *gomlxmodel.Scope, x, c *Node) *Node {
		views := make([]*Node, 0, k*k)
		for u := range k {
			for v := range k {
				views = append(views, Slice(x, AxisRange(), AxisRange(u, u+side), AxisRange(v, v+side), AxisRange()))
			}
		}
		return Einsum("bijk,bijf->kf", Concatenate(views, -1), c)
	}, images, convOut)
	dense := random(cfg.Features(), mnist.NumClasses)
	profile(b, m, "pool+dense/forward+backward", func(_ *gomlxmodel.Scope, h, w *Node) []*Node {
		logits := Einsum("bf,fc->bc", Reshape(cnn.MaxPooling2D(h, cfg.Pool), batch, -1), w)
		return Gradient(ReduceAllSum(logits), h, w)
	}, convOut, dense)
	for _, n := range []int{1, 256} {
		x := tensors.FromFlatDataAndDimensions(testutil.MNIST(b).Test.Images[:n*mnist.Pixels], n, mnist.Rows, mnist.Cols, 1)
		profile(b, m, "jacobian/forward/"+batchName(n), func(scope *gomlxmodel.Scope, x *Node) *Node {
			logits, _ := classifier.LogitsWithVJP(scope, m, x)
			return logits
		}, x)
		profile(b, m, "jacobian/all/"+batchName(n), func(scope *gomlxmodel.Scope, x *Node) *Node {
			return jacobian.BatchJacobian(scope, m, x, jacobian.Probabilities)
		}, x)
	}
}

// profile times fn on inputs as a sub-benchmark of b.
func profile[F gomlxmodel.ExecGraphFn](b *testing.B, m *cnn.Model, name string, fn F, inputs ...any) {
	b.Run(name, func(b *testing.B) {
		exec := gomlxmodel.MustNewExec(m.Backend(), m.Store(), fn)
		exec.MustCall(inputs...) // Compiles.
		b.ResetTimer()
		for range b.N {
			for _, out := range exec.MustCall(inputs...) {
				out.MustFinalizeAll()
			}
		}
	})
}
