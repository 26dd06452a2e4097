package onnxmodel

import (
	"fmt"
	"slices"

	"github.com/gomlx/compute-onnx/support/protos"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/exceptions"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/onnx-gomlx/onnx"

	"github.com/advmlgo/advml/pkg/certify"
)

// Interval bounds through an imported graph, for package certify: Model is
// a certify.Bounder. The box of the images goes through the graph's
// operations as the channels-last conversion builds them, as a centre and
// a radius: linear operations with the model's weights map the centre
// through the weights and the radius through their absolute values
// (Conv, Gemm, MatMul, BatchNormalization, Mul and Div by weights, the
// normalisation); Add and Sub add the radii; AveragePool and
// GlobalAveragePool average both; the monotone operations (Relu, Sigmoid,
// Tanh, MaxPool, GlobalMaxPool) take the box's two corners; the others
// (Flatten, Reshape, Transpose, Concat, Squeeze, Unsqueeze, Identity,
// Dropout) move values without changing them. A product of two boxes has
// no such image and is refused.

// Boundable tells whether certify can bound the model: nil, or one line
// that names the first operation it cannot bound.
func (m *Model) Boundable() error {
	if m == nil || m.plan == nil {
		reason := "it was not read by onnxmodel.Load"
		if m != nil && m.planErr != nil {
			reason = m.planErr.Error()
		}
		return fmt.Errorf("the model cannot be bounded: %s", reason)
	}
	return m.plan.boundable()
}

// boundable walks the plan: every product must have weights (values that
// do not depend on the image) on one side.
func (p *channelsLast) boundable() error {
	exact := map[string]bool{}
	for name := range p.inits {
		exact[name] = true
	}
	isExact := func(name string) bool { return name == "" || exact[name] }
	for _, n := range p.nodes {
		all := !slices.ContainsFunc(n.Input, func(in string) bool { return !isExact(in) })
		if all { // A computation on weights alone: a constant.
			for _, out := range n.Output {
				exact[out] = true
			}
			continue
		}
		var need []int // The inputs that must be weights.
		switch n.OpType {
		case "Conv":
			need = []int{1, 2}
		case "Gemm":
			need = []int{1, 2}
		case "MatMul":
			need = []int{1}
		case "BatchNormalization":
			need = []int{1, 2, 3, 4}
		case "Div":
			need = []int{1}
		case "Mul":
			if !isExact(n.Input[0]) && !isExact(n.Input[1]) {
				return fmt.Errorf("%s multiplies two values that depend on the image: its bounds are not a box of the inputs' boxes", describe(n))
			}
		}
		for _, i := range need {
			if i < len(n.Input) && !isExact(n.Input[i]) {
				return fmt.Errorf("%s: its input %d (%q) depends on the image, where the bounds need weights", describe(n), i, n.Input[i])
			}
		}
	}
	return nil
}

// bounded is a tensor's box: its centre, and its radius (node nil where the
// value is exact).
type bounded struct{ centre, radius value }

// BoundTail maps the box of images [B, rows, cols, channels] through the
// graph (certify.Bounder); Boundable must be nil first.
func (m *Model) BoundTail(scope *model.Scope, images certify.Interval) certify.Tail {
	radius := images.Radius
	if m.std != nil { // The normalisation's slope, 1 / std, scales the radius.
		radius = Div(radius, Const(radius.Graph(), m.std))
	}
	return m.plan.boundTail(scope, m.normalise(images.Centre), radius)
}

func (p *channelsLast) boundTail(scope *model.Scope, centre, radius *Node) certify.Tail {
	g := centre.Graph()
	scope = scope.At(onnx.ModelScope)
	boxes := map[string]bounded{p.input: {value{node: centre, nchw: p.nchw}, value{node: radius, nchw: p.nchw}}}
	producers := map[string]*protos.NodeProto{}
	get := func(name string) bounded {
		if b, ok := boxes[name]; ok {
			return b
		}
		b := bounded{centre: p.weight(scope, g, name)}
		boxes[name] = b
		return b
	}
	for _, n := range p.nodes {
		in := make([]bounded, len(n.Input))
		for i, name := range n.Input {
			if name != "" {
				in[i] = get(name)
			}
		}
		out, err := p.boundNode(g, n, in)
		if err != nil {
			exceptions.Panicf("%s: %v", describe(n), err)
		}
		boxes[n.Output[0]] = out
		producers[n.Output[0]] = n
	}
	// The last layer: a dense layer's input and weights, when the logits
	// come from one; the logits themselves and the identity otherwise.
	matrix := func(b bounded) certify.Interval {
		c := b.centre.done().onnxOrder()
		if b.radius.node == nil {
			return certify.Interval{Centre: c, Radius: ZerosLike(c)}
		}
		return certify.Interval{Centre: c, Radius: b.radius.done().onnxOrder()}
	}
	// through is the tensor that name copies, past Identity and Dropout
	// (in inference, both pass their input on).
	through := func(name string) string {
		for n := producers[name]; n != nil && (n.OpType == "Identity" || n.OpType == "Dropout"); n = producers[name] {
			name = n.Input[0]
		}
		return name
	}
	var dense func(name string) (input string, w, bias *Node, ok bool)
	dense = func(name string) (input string, w, bias *Node, ok bool) {
		n := producers[through(name)]
		if n == nil {
			return "", nil, nil, false
		}
		exact := func(i int) bool {
			return i < len(n.Input) && (n.Input[i] == "" || boxes[n.Input[i]].radius.node == nil)
		}
		switch {
		case n.OpType == "Gemm" && exact(1) && exact(2) && boxes[n.Input[0]].radius.node != nil:
			w = get(n.Input[1]).centre.done().onnxOrder()
			if integer(n, "transB", 0) != 0 {
				w = Transpose(w, 0, 1)
			}
			w = MulScalar(w, float64(float(n, "alpha", 1)))
			k := w.Shape().Dimensions[1]
			bias = Zeros(g, shapes.Make(w.DType(), k))
			if len(n.Input) > 2 && n.Input[2] != "" {
				bias = MulScalar(BroadcastToDims(Reshape(get(n.Input[2]).centre.done().onnxOrder(), -1), k), float64(float(n, "beta", 1)))
			}
			return n.Input[0], w, bias, true
		case n.OpType == "MatMul" && exact(1) && boxes[n.Input[0]].radius.node != nil:
			w = get(n.Input[1]).centre.done().onnxOrder()
			return n.Input[0], w, Zeros(g, shapes.Make(w.DType(), w.Shape().Dimensions[1])), true
		case n.OpType == "Add" && len(n.Input) == 2:
			for i := range 2 {
				if exact(1-i) && !exact(i) {
					if input, w, _, ok := dense(n.Input[i]); ok && producers[through(n.Input[i])].OpType == "MatMul" {
						b := get(n.Input[1-i]).centre.done().onnxOrder()
						if b.Shape().Size() == w.Shape().Dimensions[1] {
							return input, w, Reshape(b, -1), true
						}
					}
				}
			}
		}
		return "", nil, nil, false
	}
	if input, w, bias, ok := dense(p.output); ok {
		tail := certify.Tail{Input: matrix(get(input)), W: w, B: bias}
		// CROWN-IBP's tail: the input is a Relu of a dense layer.
		if r := producers[through(input)]; r != nil && r.OpType == "Relu" {
			if hidden, w1, b1, ok := dense(r.Input[0]); ok {
				tail.Hidden, tail.W1, tail.B1 = matrix(get(hidden)), w1, b1
			}
		}
		return tail
	}
	logits := matrix(get(p.output))
	k := logits.Centre.Shape().Dimensions[1]
	return certify.Tail{Input: logits, W: Const(g, eye(k)), B: Zeros(g, shapes.Make(logits.Centre.DType(), k))}
}

// eye is the k×k identity matrix.
func eye(k int) [][]float32 {
	m := make([][]float32, k)
	for i := range m {
		m[i] = make([]float32, k)
		m[i][i] = 1
	}
	return m
}

// weight is an initializer as a value: a variable of the scope, or a
// constant.
func (p *channelsLast) weight(scope *model.Scope, g *Graph, name string) value {
	t := p.inits[name]
	if t == nil {
		exceptions.Panicf("tensor %q is not made before it is read", name)
	}
	if p.weights[name] {
		return p.variable(scope, g, name)
	}
	return tensorValue(g, t)
}

// boundNode maps the boxes of one node's inputs to the box of its output.
func (p *channelsLast) boundNode(g *Graph, n *protos.NodeProto, in []bounded) (bounded, error) {
	centres := make([]value, len(in))
	for i, b := range in {
		centres[i] = b.centre.done()
	}
	interval := slices.ContainsFunc(in, func(b bounded) bool { return b.radius.node != nil })
	centre, err := p.node(g, n, centres)
	if err != nil || !interval {
		return bounded{centre: centre.done()}, err
	}
	centre = centre.done()
	// radii are the inputs' radii, zeros for exact tensors, the static
	// values (shapes, axes) as they are.
	radii := make([]value, len(in))
	for i, b := range in {
		switch {
		case b.radius.node != nil:
			radii[i] = b.radius.done()
		case centres[i].node != nil:
			radii[i] = value{node: ZerosLike(centres[i].node), nchw: centres[i].nchw}
		default:
			radii[i] = centres[i]
		}
	}
	abs := func(v value) value { return value{node: Abs(v.node), nchw: v.nchw} }
	var radius value
	switch n.OpType {
	case "Relu", "Sigmoid", "Tanh", "MaxPool", "GlobalMaxPool": // Non-decreasing: the corners.
		lo, err := p.node(g, n, []value{{node: Sub(centres[0].node, radii[0].node), nchw: centres[0].nchw}})
		if err != nil {
			return bounded{}, err
		}
		hi, err := p.node(g, n, []value{{node: Add(centres[0].node, radii[0].node), nchw: centres[0].nchw}})
		if err != nil {
			return bounded{}, err
		}
		lo, hi = lo.done(), hi.done()
		return bounded{
			centre: value{node: DivScalar(Add(lo.node, hi.node), 2), nchw: lo.nchw},
			radius: value{node: DivScalar(Sub(hi.node, lo.node), 2), nchw: lo.nchw},
		}, nil
	case "Conv":
		radius, err = conv(n, []value{radii[0], abs(centres[1])})
	case "MatMul":
		radius, err = p.node(g, n, []value{radii[0], abs(centres[1])})
	case "Gemm":
		a, b := radii[0].onnxOrder(), Abs(centres[1].onnxOrder())
		if integer(n, "transB", 0) != 0 {
			b = Transpose(b, 0, 1)
		}
		radius = value{node: MulScalar(MatMul(a, b), float64(abs32(float(n, "alpha", 1))))}
	case "BatchNormalization":
		eps := float64(float(n, "epsilon", 1e-5))
		factor := Abs(Mul(centres[1].onnxOrder(), Rsqrt(AddScalar(centres[4].onnxOrder(), eps))))
		x := radii[0]
		if x.nchw || x.node.Rank() == 4 {
			y := x.channelsLast()
			radius = value{node: Mul(y, Reshape(factor, 1, 1, 1, -1)), nchw: true}
		} else {
			radius = value{node: Mul(x.onnxOrder(), Reshape(factor, 1, -1))}
		}
	case "Add", "Sub":
		radius, err = arithmetic("Add", radii[0], radii[1])
	case "Mul":
		if in[0].radius.node != nil {
			radius, err = arithmetic("Mul", radii[0], abs(centres[1]))
		} else {
			radius, err = arithmetic("Mul", abs(centres[0]), radii[1])
		}
	case "Div":
		radius, err = arithmetic("Div", radii[0], abs(centres[1]))
	default: // Moves or averages values: the radius goes the same way.
		radius, err = p.node(g, n, radii)
	}
	if err != nil {
		return bounded{}, err
	}
	return bounded{centre: centre, radius: radius.done()}, nil
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
