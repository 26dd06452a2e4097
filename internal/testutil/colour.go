package testutil

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	gomlxmodel "github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/training"
)

// ColourGeometry is the synthetic colour data set's: 32×32 RGB images of 5
// classes, unlike MNIST in every dimension, so that a package that assumed
// MNIST's shape fails on it.
var ColourGeometry = classifier.Geometry{Rows: 32, Cols: 32, Channels: 3, Classes: 5}

// Colour returns n synthetic colour images (flat, ColourGeometry) with
// their labels, drawn with seed: class c is a bright 12×12 square in
// channel c%3 at the c-th of five places (the four corners and the
// centre), over uniform noise in [0, 0.3] on every channel, the square
// shifted by up to 3 pixels. A small network learns it in an epoch.
func Colour(n int, seed uint64) *mnist.Split {
	g := ColourGeometry
	rng := rand.New(rand.NewPCG(seed, 0xc010))
	corners := [5][2]int{{2, 2}, {2, 18}, {18, 2}, {18, 18}, {10, 10}}
	s := &mnist.Split{Images: make([]float32, n*g.Pixels()), Labels: make([]int, n), Geometry: g, Source: "testutil.Colour"}
	for i := range n {
		c := rng.IntN(g.Classes)
		s.Labels[i] = c
		image := s.Images[i*g.Pixels() : (i+1)*g.Pixels()]
		for j := range image {
			image[j] = 0.3 * rng.Float32()
		}
		r0, c0 := corners[c][0]+rng.IntN(7)-3, corners[c][1]+rng.IntN(7)-3
		for r := max(r0, 0); r < min(r0+12, g.Rows); r++ {
			for col := max(c0, 0); col < min(c0+12, g.Cols); col++ {
				image[(r*g.Cols+col)*g.Channels+c%3] = 0.7 + 0.3*rng.Float32()
			}
		}
	}
	return s
}

// ConvLogits is a small convolutional network for images of any geometry
// and classes classes: a 3×3 convolution of 8 filters, ReLU, 2×2 max-pool,
// and a dense layer to the logits.
func ConvLogits(classes int) classifier.LogitsFunc {
	return func(scope *gomlxmodel.Scope, images *graph.Node) *graph.Node {
		x := layers.Convolution(scope.In("conv"), images).Filters(8).KernelSize(3).PadSame().Done()
		x = activation.Relu(x)
		x = graph.MaxPool(x).Window(2).Done()
		x = graph.Reshape(x, x.Shape().Dimensions[0], -1)
		return layers.Dense(scope.In("dense"), x, true, classes)
	}
}

var colourOnce = sync.OnceValues(func() (*classifier.Model, error) {
	b, err := backendOnce()
	if err != nil {
		return nil, err
	}
	g := ColourGeometry
	m, err := classifier.New(b, gomlxmodel.NewStore(), g, ConvLogits(g.Classes))
	if err != nil {
		return nil, err
	}
	_, err = training.Train(m, Colour(1000, 1), Colour(200, 2), training.Options{MaxEpochs: 2, Seed: 1})
	return m, err
})

// ColourModel is ConvLogits trained for two epochs on 1,000 images of
// Colour (seed 1), once per test binary (seconds): a model of the user's
// own on colour images of 5 classes, for the packages' tests.
func ColourModel(t testing.TB) *classifier.Model {
	t.Helper()
	m, err := colourOnce()
	if err != nil {
		t.Fatalf("training the colour test model: %v", err)
	}
	return m
}
