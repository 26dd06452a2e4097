package jacobian

import (
	"fmt"
	"sync"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/classifier"
)

// Output selects which outputs of the model are differentiated.
type Output int

const (
	// Probabilities differentiates the softmax outputs, as the article does.
	Probabilities Output = iota
	// Logits differentiates the dense layer's outputs, before the softmax.
	Logits
)

// String returns "probabilities" or "logits".
func (o Output) String() string {
	switch o {
	case Probabilities:
		return "probabilities"
	case Logits:
		return "logits"
	}
	return fmt.Sprintf("Output(%d)", int(o))
}

// BatchJacobian builds the batch Jacobian of m's outputs with respect to
// images [batch, rows, cols, channels]: a node shaped [batch, classes, rows,
// cols, channels]. Examples of a batch do not interact in the model, so the
// gradient of an output summed over the batch is, per example, that
// example's own gradient.
//
// Each row is one vector-Jacobian product of the logits (the model's own
// when it implements classifier.FastGradients), with the cotangent that
// selects output k: e_k for the logits, the gradient of p_k with respect to
// the logits for the probabilities. A classifier.ManyGradients model takes
// the rows in one pass.
func BatchJacobian(scope *model.Scope, m classifier.Differentiable, images *Node, of Output) *Node {
	classes := m.Geometry().Classes
	cotangents := func(logits *Node) []*Node {
		probabilities := Softmax(logits, -1)
		rows := make([]*Node, classes)
		for k := range classes {
			if of == Probabilities {
				rows[k] = Gradient(ReduceAllSum(Slice(probabilities, AxisRange(), AxisElem(k))), logits)[0]
			} else {
				rows[k] = BroadcastToDims(OneHot(Const(images.Graph(), []int32{int32(k)}), classes, images.DType()), logits.Shape().Dimensions...)
			}
		}
		return rows
	}
	if many, ok := m.(classifier.ManyGradients); ok {
		// All the rows in one pass: cotangents [batch, classes, classes].
		logits, vjps := many.LogitsWithVJPs(scope, images)
		return vjps(Stack(cotangents(logits), 1))
	}
	logits, vjp := classifier.LogitsWithVJP(scope, m, images)
	rows := cotangents(logits)
	for k, c := range rows {
		rows[k] = vjp(c)
	}
	return Stack(rows, 1)
}

// Jacobian holds the batch Jacobian of n images, flat in row-major order of
// the shape [n, classes, rows, cols, channels].
type Jacobian struct {
	Values   []float32
	N        int                 // Number of images.
	Of       Output              // What was differentiated.
	Geometry classifier.Geometry // The model's images and classes.
}

// Shape returns the shape [n, classes, rows, cols, channels], as
// batch_jacobian's.
func (j *Jacobian) Shape() []int {
	g := j.Geometry
	return []int{j.N, g.Classes, g.Rows, g.Cols, g.Channels}
}

// Slice returns the derivatives of output class for image i, one per input
// value, row-major (a view into Values).
func (j *Jacobian) Slice(i, class int) []float32 {
	pixels := j.Geometry.Pixels()
	start := (i*j.Geometry.Classes + class) * pixels
	return j.Values[start : start+pixels : start+pixels]
}

// Targets returns, for each image i, the slice of class targets[i], flat
// (n×pixels): the gradients the targeted attack follows.
func (j *Jacobian) Targets(targets []int) ([]float32, error) {
	if len(targets) != j.N {
		return nil, fmt.Errorf("jacobian: %d targets for %d images: give one per image", len(targets), j.N)
	}
	if err := classifier.CheckClasses("target class", targets, j.Geometry.Classes); err != nil {
		return nil, fmt.Errorf("jacobian: %w", err)
	}
	out := make([]float32, 0, j.N*j.Geometry.Pixels())
	for i, t := range targets {
		out = append(out, j.Slice(i, t)...)
	}
	return out, nil
}

// Computer computes Jacobians of one model, compiling its graph once per
// batch size.
type Computer struct {
	m    classifier.Differentiable
	of   Output
	once sync.Once
	exec *model.Exec
	err  error
}

// New returns a Computer of the Jacobian of m's outputs selected by of.
func New(m classifier.Differentiable, of Output) *Computer {
	return &Computer{m: m, of: of}
}

// Compute returns the Jacobian for images given flat (n×pixels, row-major).
func (c *Computer) Compute(images []float32) (*Jacobian, error) {
	g := c.m.Geometry()
	n, err := g.CheckImages(images)
	if err != nil {
		return nil, fmt.Errorf("jacobian: %w", err)
	}
	c.once.Do(func() {
		c.exec, c.err = model.NewExec(c.m.Backend(), c.m.Store(), func(scope *model.Scope, x *Node) *Node {
			return BatchJacobian(scope, c.m, x, c.of)
		})
	})
	if c.err != nil {
		return nil, fmt.Errorf("jacobian: %w", c.err)
	}
	x := tensors.FromFlatDataAndDimensions(images, g.Dims(n)...)
	defer x.MustFinalizeAll()
	out, err := c.exec.Call(x)
	if err != nil {
		return nil, fmt.Errorf("jacobian: %w", err)
	}
	defer out[0].MustFinalizeAll()
	values, err := tensors.CopyFlatData[float32](out[0])
	if err != nil {
		return nil, fmt.Errorf("jacobian: reading the result: %w", err)
	}
	return &Jacobian{Values: values, N: n, Of: c.of, Geometry: g}, nil
}

// Compute is New(m, of).Compute(images), for a single use.
func Compute(m classifier.Differentiable, images []float32, of Output) (*Jacobian, error) {
	return New(m, of).Compute(images)
}
