package cnn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
)

// wide is a geometry of images wider than tall: MNIST's digits without
// their top 4 and bottom 4 rows (digits).
var wide = classifier.Geometry{Rows: 20, Cols: 28, Channels: 1, Classes: 10}

// digits returns the first n test digits as a tensor of geometry g:
// MNIST's, or its rows cut down to g.Rows around the middle.
func digits(t *testing.T, n int, g classifier.Geometry) *tensors.Tensor {
	t.Helper()
	all := testutil.MNIST(t).Test.Images
	top := (mnist.Rows - g.Rows) / 2
	images := make([]float32, 0, n*g.Pixels())
	for i := range n {
		image := all[i*mnist.Pixels : (i+1)*mnist.Pixels]
		images = append(images, image[top*mnist.Cols:(top+g.Rows)*mnist.Cols]...)
	}
	return tensors.FromFlatDataAndDimensions(images, n, g.Rows, g.Cols, 1)
}

// TestVJPIsAutodiff checks the hand-written gradient against GoMLX's
// automatic differentiation of Logits, on digits (whose blank regions make
// max-pool windows tie, where the routing to the first maximum matters) and
// on a configuration whose max-pool drops rows and columns, and on images
// that are not square.
func TestVJPIsAutodiff(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, cfg := range []cnn.Config{cnn.Default, {Filters: 4, Kernel: 3, Pool: 3}, {Filters: 4, Kernel: 3, Pool: 3, Input: wide}} {
		m, err := cnn.New(testutil.XLA(t), cfg, 3)
		if err != nil {
			t.Fatal(err)
		}
		const n = 6
		cotangent := make([]float32, n*mnist.NumClasses)
		for i := range cotangent {
			cotangent[i] = float32(rng.NormFloat64())
		}
		x := digits(t, n, cfg.Geometry())
		c := tensors.FromFlatDataAndDimensions(cotangent, n, mnist.NumClasses)
		auto := model.MustNewExec(m.Backend(), m.Store(), func(scope *model.Scope, x, c *Node) (*Node, *Node) {
			logits := m.Logits(scope, x)
			return logits, Gradient(ReduceAllSum(Mul(c, logits)), x)[0]
		}).MustCall(x, c)
		fast := model.MustNewExec(m.Backend(), m.Store(), func(scope *model.Scope, x, c *Node) (*Node, *Node) {
			logits, vjp := m.LogitsWithVJP(scope, x)
			return logits, vjp(c)
		}).MustCall(x, c)
		for k, what := range []string{"logits", "gradient"} {
			want, got := tensors.MustCopyFlatData[float32](auto[k]), tensors.MustCopyFlatData[float32](fast[k])
			var scale float64
			for _, v := range want {
				scale = math.Max(scale, math.Abs(float64(v)))
			}
			for i := range want {
				if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*scale {
					t.Fatalf("%v: %s %d is %g, automatic differentiation gives %g", cfg, what, i, got[i], want[i])
				}
			}
		}
	}
}

// TestKernelGradientIsTheConvolutions checks the article network's
// hand-written kernel gradient (training's) against automatic
// differentiation of the same network built from XLA's convolution alone,
// and that the forward pass is unchanged.
func TestKernelGradientIsTheConvolutions(t *testing.T) {
	testutil.Slow(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, cfg := range []cnn.Config{cnn.Default, {Filters: 4, Kernel: 3, Pool: 3}, {Filters: 4, Kernel: 3, Pool: 3, Input: wide}} {
		m, err := cnn.New(testutil.XLA(t), cfg, 5)
		if err != nil {
			t.Fatal(err)
		}
		const n = 5
		cotangent := make([]float32, n*mnist.NumClasses)
		for i := range cotangent {
			cotangent[i] = float32(rng.NormFloat64())
		}
		x := digits(t, n, cfg.Geometry())
		c := tensors.FromFlatDataAndDimensions(cotangent, n, mnist.NumClasses)
		variable := func(store *model.Store, path string) *model.Variable {
			v := store.GetVariable("/" + cnn.ScopeName + path)
			if v == nil {
				t.Fatalf("no variable %s", path)
			}
			return v
		}
		kernelOf := func(scope *model.Scope) *model.Variable { return variable(scope.Store(), "/conv2d/conv/weights") }
		ours := model.MustNewExec(m.Backend(), m.Store(), func(scope *model.Scope, x, c *Node) (*Node, *Node) {
			logits := m.Logits(scope, x)
			return logits, Gradient(ReduceAllSum(Mul(c, logits)), kernelOf(scope).NodeValue(x.Graph()))[0]
		}).MustCall(x, c)
		reference := model.MustNewExec(m.Backend(), m.Store(), func(scope *model.Scope, x, c *Node) (*Node, *Node) {
			g := x.Graph()
			store := scope.Store()
			kernel := kernelOf(scope).NodeValue(g)
			bias := variable(store, "/conv2d/conv/biases").NodeValue(g)
			weights := variable(store, "/dense/dense/weights").NodeValue(g)
			biases := variable(store, "/dense/dense/biases").NodeValue(g)
			conv := Add(Convolve(x, kernel).NoPadding().Done(), Reshape(bias, 1, 1, 1, -1))
			logits := Add(Einsum("bf,fc->bc", Reshape(MaxPool(conv).Window(cfg.Pool).Done(), n, -1), weights), Reshape(biases, 1, -1))
			return logits, Gradient(ReduceAllSum(Mul(c, logits)), kernel)[0]
		}).MustCall(x, c)
		for k, name := range []string{"logits", "kernel gradient"} {
			a, b := tensors.MustCopyFlatData[float32](ours[k]), tensors.MustCopyFlatData[float32](reference[k])
			var worst, scale float64
			for i := range a {
				worst = math.Max(worst, math.Abs(float64(a[i]-b[i])))
				scale = math.Max(scale, math.Abs(float64(b[i])))
			}
			if worst > 1e-4*scale+1e-6 {
				t.Errorf("%v: %s differ by up to %g (largest value %g)", cfg, name, worst, scale)
			}
		}
	}
}
