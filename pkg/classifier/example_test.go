package classifier_test

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/backend"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/mnist"
)

// mlp is a dense network: 784 pixels, 128 hidden units, 10 logits, each
// layer's weights under a named scope.
func mlp(scope *model.Scope, images *graph.Node) *graph.Node {
	x := graph.Reshape(images, images.Shape().Dimensions[0], -1)
	x = activation.Relu(layers.Dense(scope.In("hidden"), x, true, 128))
	return layers.Dense(scope.In("output"), x, true, mnist.NumClasses)
}

// A model of your own: any GoMLX function of images to logits becomes a
// classifier that the attacks, robustness evaluations and training take.
// Its weights are created on its first use.
func Example() {
	engine, err := backend.New() // XLA on the CPU.
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := classifier.New(engine, model.NewStore(), mnist.Geometry, mlp)
	if err != nil {
		fmt.Println(err)
		return
	}
	probabilities, err := m.Predict(make([]float32, 2*mnist.Pixels)) // Two black images.
	if err != nil {
		fmt.Println(err)
		return
	}
	var names []string
	weights := 0
	for v := range m.Store().IterVariables() {
		if v.Trainable {
			names = append(names, fmt.Sprint(v.Scope(), "/", v.Name(), v.Shape().Dimensions))
			weights += v.Shape().Size()
		}
	}
	slices.Sort(names)
	fmt.Println(strings.Join(names, "\n"))
	fmt.Printf("%d weights; %d images × %d probabilities\n", weights, len(probabilities), len(probabilities[0]))
	// Output:
	// /hidden/dense/biases[128]
	// /hidden/dense/weights[784 128]
	// /output/dense/biases[10]
	// /output/dense/weights[128 10]
	// 101770 weights; 2 images × 10 probabilities
}
