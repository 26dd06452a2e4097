package attack_test

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/backend"
	"github.com/advmlgo/advml/pkg/classifier"
)

// Any GoMLX graph function of logits is a classifier the attacks take. Here,
// a toy one on 2×2 images: class 1 when the four values sum to more than 2.
func Example() {
	engine, err := backend.New() // XLA on the CPU.
	if err != nil {
		fmt.Println(err)
		return
	}
	geometry := classifier.Geometry{Rows: 2, Cols: 2, Channels: 1, Classes: 2}
	m, err := classifier.New(engine, model.NewStore(), geometry, func(_ *model.Scope, images *Node) *Node {
		sum := ReduceSum(Reshape(images, -1, 4), -1)
		score := Sub(sum, Scalar(images.Graph(), images.DType(), 2))
		return Stack([]*Node{Neg(score), score}, 1) // Logits [batch, 2].
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	images := []float32{0.4, 0.4, 0.4, 0.4} // Sum 1.6: class 0.
	res, err := attack.NewFGSM().Run(m, images, attack.Misclassification{Labels: []int{0}}, 0.05, 0.15)
	if err != nil {
		fmt.Println(err)
		return
	}
	for e, eps := range res.Epsilons {
		fmt.Printf("ε=%.2f: fooled %v, adversarial %.2f\n", eps, res.Success[e][0], res.Clipped[e])
	}
	// Output:
	// ε=0.05: fooled false, adversarial [0.45 0.45 0.45 0.45]
	// ε=0.15: fooled true, adversarial [0.55 0.55 0.55 0.55]
}
