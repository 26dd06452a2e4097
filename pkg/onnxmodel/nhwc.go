package onnxmodel

import (
	"encoding/binary"
	"fmt"
	"github.com/gomlx/compute"
	"math"
	"slices"
	"strings"

	"github.com/gomlx/compute-onnx/support/protos"
	"github.com/gomlx/exceptions"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/onnx-gomlx/onnx"

	convop "github.com/advmlgo/advml/internal/conv"
)

// The package's own conversion, channels last.
//
// ONNX image models are NCHW: PyTorch exports them so, and tf2onnx
// transposes Keras' NHWC input to NCHW before its first convolution.
// onnx-gomlx builds the graph as the file says, and XLA's CPU backend runs
// NCHW convolutions and pools at a fraction of its NHWC speed (the first
// convolution of models/mnist_torch.onnx: 2.9 ms against 1.15 ms on 128
// digits, docs/performance.md). This conversion builds the same functions
// with every 4-D activation stored channels last: a tensor that is [n, c,
// h, w] in the ONNX graph is held as [n, h, w, c] (value.nchw), the
// convolutions' kernels are transposed to [h, w, in, out], and it is put
// back in ONNX's order only where the order matters (Flatten, Reshape,
// Concat, Shape, a Transpose that asks for it). Shape arithmetic (Shape,
// Gather, Unsqueeze, Concat of shapes: torch's dynamic flatten) is done in
// Go at build time, since every shape is known then.
//
// The weights are the variables onnx-gomlx's VariablesToScope made, read
// from the same scope, so fine-tuning and WriteONNX see one set of weights
// whichever conversion runs. Operations outside the list below make
// AutoConverter fall back to onnx-gomlx, and ChannelsLast fail with a line
// naming the node.

// channelsLastOps are the operations this conversion builds.
var channelsLastOps = []string{
	"Add", "AveragePool", "BatchNormalization", "Cast", "Concat", "Constant", "Conv", "Div", "Dropout",
	"Flatten", "Gather", "Gemm", "GlobalAveragePool", "GlobalMaxPool", "Identity", "MatMul", "MaxPool", "Mul",
	"Relu", "Reshape", "Shape", "Sigmoid", "Slice", "Squeeze", "Sub", "Tanh", "Transpose", "Unsqueeze",
}

// channelsLast is a plan of the conversion: the nodes the logits need, in
// an order where each node's inputs come first.
type channelsLast struct {
	nodes   []*protos.NodeProto
	inits   map[string]*protos.TensorProto
	input   string
	nchw    bool // The ONNX input is NCHW (it arrives NHWC, so it is stored as such).
	output  string
	weights map[string]bool // Float initializers: read as the scope's variables.
}

// planChannelsLast returns the plan for the graph's logits (tensor output)
// from its image input, or an error naming the first node whose operation
// or attributes the conversion does not take.
func planChannelsLast(g *protos.GraphProto, input, output string, layout Layout) (*channelsLast, error) {
	p := &channelsLast{input: input, nchw: layout == NCHW, output: output,
		inits: map[string]*protos.TensorProto{}, weights: map[string]bool{}}
	for _, t := range g.Initializer {
		p.inits[t.Name] = t
	}
	producers := map[string]*protos.NodeProto{}
	for _, n := range g.Node {
		for _, out := range n.Output {
			producers[out] = n
		}
	}
	// The nodes the output needs, in the file's order (ONNX asks files to
	// list nodes with their inputs first; checkGraph has ruled out loops).
	needed := map[*protos.NodeProto]bool{}
	queue := []string{output}
	for len(queue) > 0 {
		name := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		n := producers[name]
		if n == nil || needed[n] {
			continue
		}
		needed[n] = true
		queue = append(queue, n.Input...)
	}
	made := map[string]bool{input: true, "": true}
	for name := range p.inits {
		made[name] = true
	}
	for _, n := range g.Node {
		if !needed[n] {
			continue
		}
		if !slices.Contains(channelsLastOps, n.OpType) {
			return nil, fmt.Errorf("%s: operation %s is not in the channels-last conversion (it takes %s)", describe(n), n.OpType, strings.Join(channelsLastOps, ", "))
		}
		if err := checkAttributes(n); err != nil {
			return nil, fmt.Errorf("%s: %v", describe(n), err)
		}
		for _, in := range n.Input {
			if !made[in] {
				return nil, fmt.Errorf("%s reads %q before a node makes it: the file does not list its nodes in order", describe(n), in)
			}
			if t := p.inits[in]; t != nil && protos.TensorProto_DataType(t.DataType) == protos.TensorProto_FLOAT {
				p.weights[in] = true
			}
		}
		for _, out := range n.Output {
			made[out] = true
		}
		p.nodes = append(p.nodes, n)
	}
	return p, nil
}

// minInputs is the number of inputs an operation needs (one where not
// listed; Constant takes none).
var minInputs = map[string]int{
	"Add": 2, "Sub": 2, "Mul": 2, "Div": 2, "Conv": 2, "Gemm": 2, "MatMul": 2, "Reshape": 2, "Gather": 2,
	"BatchNormalization": 5, "Slice": 3, "Constant": 0,
}

// checkAttributes refuses the attributes the conversion does not build.
func checkAttributes(n *protos.NodeProto) error {
	need, ok := minInputs[n.OpType]
	if !ok {
		need = 1
	}
	if len(n.Input) < need || len(n.Output) == 0 || slices.Contains(n.Input[:need], "") {
		return fmt.Errorf("%d inputs and %d outputs: %s takes at least %d inputs and makes an output", len(n.Input), len(n.Output), n.OpType, need)
	}
	switch n.OpType {
	case "Conv", "MaxPool", "AveragePool":
		if k := ints(n, "kernel_shape", nil); len(k) != 2 {
			return fmt.Errorf("kernel_shape %v: only 2-D windows are converted", k)
		}
		if pad := str(n, "auto_pad", "NOTSET"); !slices.Contains([]string{"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"}, pad) {
			return fmt.Errorf("auto_pad %q is not ONNX's", pad)
		}
		if n.OpType == "Conv" {
			break
		}
		if integer(n, "ceil_mode", 0) != 0 {
			return fmt.Errorf("ceil_mode 1 is not converted")
		}
		if d := ints(n, "dilations", nil); d != nil && (d[0] != 1 || d[1] != 1) {
			return fmt.Errorf("dilations %v: pools are converted without dilation", d)
		}
		if n.OpType == "MaxPool" && (len(n.Output) > 1 && n.Output[1] != "") {
			return fmt.Errorf("its Indices output is not converted")
		}
		if n.OpType == "AveragePool" && integer(n, "count_include_pad", 0) == 0 && str(n, "auto_pad", "NOTSET") != "VALID" {
			if pads := ints(n, "pads", nil); slices.ContainsFunc(pads, func(v int) bool { return v != 0 }) || strings.HasPrefix(str(n, "auto_pad", ""), "SAME") {
				return fmt.Errorf("padding without count_include_pad is not converted")
			}
		}
	case "BatchNormalization":
		if integer(n, "training_mode", 0) != 0 || len(n.Output) > 1 {
			return fmt.Errorf("only inference (training_mode 0, one output) is converted")
		}
	case "Dropout":
		if len(n.Output) > 1 && n.Output[1] != "" {
			return fmt.Errorf("its mask output is not converted")
		}
	case "Gemm":
		if integer(n, "transA", 0) != 0 {
			return fmt.Errorf("transA 1 is not converted")
		}
	case "Constant":
		if valueAttribute(n) == nil {
			return fmt.Errorf("only a Constant with a tensor value is converted")
		}
	}
	return nil
}

// value is a tensor during the conversion: a graph node, or a small integer
// tensor known at build time (shapes and indices).
type value struct {
	node *Node
	nchw bool // node is 4-D, [n, c, h, w] in ONNX, stored as [n, h, w, c].

	static      []int64 // The values of an integer tensor, when node is nil.
	staticShape []int   // Its shape: [] for a scalar, [len] for a vector.

	// after are per-channel non-decreasing functions (a convolution's bias,
	// Relu) still to apply to node, elementwise, in order. They commute
	// with a max-pool, which takes them after pooling, on a tensor a
	// fraction of the size; every other use applies them first (done).
	after []func(*Node) *Node
}

// done is v with its pending functions applied.
func (v value) done() value {
	for _, f := range v.after {
		v.node = f(v.node)
	}
	v.after = nil
	return v
}

// onnxDims is the shape of v as the ONNX graph sees it.
func (v value) onnxDims() []int {
	if v.node == nil {
		return v.staticShape
	}
	d := slices.Clone(v.node.Shape().Dimensions)
	if v.nchw {
		return []int{d[0], d[3], d[1], d[2]}
	}
	return d
}

// onnxOrder is v's node in ONNX's order.
func (v value) onnxOrder() *Node {
	if v.node == nil {
		exceptions.Panicf("an integer tensor known at build time (%v) used as a tensor of the model", v.static)
	}
	if v.nchw {
		return TransposeAllAxes(v.node, 0, 3, 1, 2)
	}
	return v.node
}

// channelsLast is v's node stored channels last: v must be 4-D, NCHW in
// ONNX.
func (v value) channelsLast() *Node {
	if v.nchw {
		return v.node
	}
	x := v.onnxOrder()
	if x.Rank() != 4 {
		exceptions.Panicf("a tensor of shape %v where a 4-D image batch [n, c, h, w] is needed", x.Shape().Dimensions)
	}
	return TransposeAllAxes(x, 0, 2, 3, 1)
}

// build builds the logits from images [batch, rows, cols, channels].
func (p *channelsLast) build(scope *model.Scope, images *Node) *Node {
	g := images.Graph()
	scope = scope.At(onnx.ModelScope)
	vals := map[string]value{p.input: {node: images, nchw: p.nchw}}
	get := func(name string) value {
		if v, ok := vals[name]; ok {
			return v
		}
		v := p.weight(scope, g, name)
		vals[name] = v
		return v
	}
	for _, n := range p.nodes {
		in := make([]value, len(n.Input))
		for i, name := range n.Input {
			if name != "" {
				in[i] = get(name)
			}
			if i > 0 || (n.OpType != "Relu" && !tiledMaxPool(n)) {
				in[i] = in[i].done()
			}
		}
		out, err := p.node(g, n, in)
		if err != nil {
			exceptions.Panicf("%s: %v", describe(n), err)
		}
		vals[n.Output[0]] = out
	}
	logits := get(p.output).done().onnxOrder()

	if logits.Rank() != 2 {
		exceptions.Panicf("the logits %q have shape %v: a classifier's are [batch, classes]", p.output, logits.Shape().Dimensions)
	}
	return logits
}

// variable is the weight name as the variable onnx-gomlx's
// VariablesToScope made of it (named by its SafeVarName).
func (p *channelsLast) variable(scope *model.Scope, g *Graph, name string) value {
	variable := scope.GetVariable(strings.ReplaceAll(name, model.ScopeSeparator, "|"))
	if variable == nil {
		exceptions.Panicf("weight %q has no variable in scope %q", name, scope.Scope())
	}
	return value{node: variable.NodeValue(g)}
}

// node converts one node.
func (p *channelsLast) node(g *Graph, n *protos.NodeProto, in []value) (value, error) {
	if n.OpType == "Constant" {
		return tensorValue(g, valueAttribute(n)), nil
	}
	x := in[0] // checkAttributes has counted the inputs.
	switch n.OpType {
	case "Identity", "Dropout":
		return x, nil
	case "Relu":
		x.after = append(slices.Clip(x.after), activation.Relu)
		return x, nil
	case "Sigmoid":
		return value{node: Sigmoid(x.node), nchw: x.nchw}, nil
	case "Tanh":
		return value{node: Tanh(x.node), nchw: x.nchw}, nil
	case "Conv":
		return conv(n, in)
	case "BatchNormalization":
		return batchNorm(n, in)
	case "MaxPool", "AveragePool":
		return pool(n, x)
	case "GlobalAveragePool", "GlobalMaxPool":
		y := x.channelsLast()
		d := y.Shape().Dimensions
		if n.OpType == "GlobalAveragePool" {
			y = ReduceMean(y, 1, 2)
		} else {
			// The value at the first maximum, picked with a one-hot mask:
			// ReduceMax's gradient finds the maximum by equality with its
			// output, which XLA's fusions may compute with other rounding,
			// and then the gradient is lost (measured on samepad.onnx).
			flat := Reshape(y, d[0], d[1]*d[2], d[3])
			first := OneHot(StopGradient(ArgMax(flat, 1)), d[1]*d[2], y.DType()) // [n, c, h·w]
			y = Einsum("npc,ncp->nc", flat, first)
		}
		return value{node: Reshape(y, d[0], 1, 1, d[3]), nchw: true}, nil
	case "Flatten":
		y := x.onnxOrder()
		axis := integer(n, "axis", 1)
		d := y.Shape().Dimensions
		if axis < 0 {
			axis += len(d)
		}
		if axis < 0 || axis > len(d) {
			return value{}, fmt.Errorf("axis %d of a %d-D tensor", integer(n, "axis", 1), len(d))
		}
		return value{node: Reshape(y, product(d[:axis]), product(d[axis:]))}, nil
	case "Reshape":
		return reshape(n, x, in[1])
	case "Gemm":
		return gemm(n, in)
	case "MatMul":
		a, b := x.onnxOrder(), in[1].onnxOrder()
		if a.Rank() != 2 || b.Rank() != 2 {
			return value{}, fmt.Errorf("MatMul of shapes %v and %v: only matrices are converted", a.Shape().Dimensions, b.Shape().Dimensions)
		}
		return value{node: MatMul(a, b)}, nil
	case "Add", "Sub", "Mul", "Div":
		return arithmetic(n.OpType, x, in[1])
	case "Transpose":
		return transpose(n, x)
	}
	// Shape arithmetic, at build time.
	return static(n, in)
}

func conv(n *protos.NodeProto, in []value) (value, error) {
	x := in[0].channelsLast()
	w := in[1].onnxOrder() // [out, in/groups, kh, kw]
	if w.Rank() != 4 {
		return value{}, fmt.Errorf("weights of shape %v: a 2-D convolution's are [out, in, kh, kw]", w.Shape().Dimensions)
	}
	kernel := TransposeAllAxes(w, 2, 3, 1, 0) // [kh, kw, in/groups, out]
	wd := w.Shape().Dimensions
	strides := ints(n, "strides", []int{1, 1})
	dilations := ints(n, "dilations", []int{1, 1})
	pads, err := padding(n, x.Shape().Dimensions[1:3], wd[2:4], strides, dilations)
	if err != nil {
		return value{}, err
	}
	groups := integer(n, "group", 1)
	var dy *Node // The output's gradient, noted on the way back.
	fewChannels := groups == 1 && wd[1] <= 4 && strides[0] == 1 && strides[1] == 1
	if fewChannels {
		xDims := x.Shape().Dimensions
		x = IdentityWithCustomGradient(x, func(_, _ *Node) *Node {
			return fewChannelInputGradient(dy, kernel, xDims, pads, dilations)
		})
	}
	// Package conv's convolution: GoMLX's own gets the input's gradient
	// wrong for kernels of even size.
	y := convop.Conv(x, kernel, strides, dilations, pads, groups)
	if fewChannels {
		y = IdentityWithCustomGradient(y, func(_, v *Node) *Node {
			dy = v
			return v
		})
	}
	out := value{node: y, nchw: true}
	if len(in) > 2 && in[2].node != nil {
		bias := Reshape(in[2].onnxOrder(), 1, 1, 1, wd[0])
		out.after = []func(*Node) *Node{func(y *Node) *Node { return Add(y, bias) }}
	}
	return out, nil
}

// fewChannelInputGradient is the gradient of a stride-1 convolution with
// respect to its input x [b, h, w, c] from the output's gradient dy [b, oh,
// ow, o]: each kernel tap (u, v) sends dy·kernel[u, v] back to the pixels
// it read. XLA's CPU backend runs this as a transposed convolution with c
// output features, on its slow path when c is small (the image's 1 or 3
// channels); here it is one matrix product over o and kh·kw shifted sums.
func fewChannelInputGradient(dy, kernel *Node, xDims []int, pads [][2]int, dilations []int) *Node {
	kd := kernel.Shape().Dimensions // [kh, kw, c, o]
	taps := Einsum("bijo,uvco->bijuvc", dy, kernel)
	od := dy.Shape().Dimensions
	rows, cols := xDims[1]+pads[0][0]+pads[0][1], xDims[2]+pads[1][0]+pads[1][1]
	zero := ScalarZero(dy.Graph(), dy.DType())
	var sum *Node
	for u := range kd[0] {
		for v := range kd[1] {
			tap := Squeeze(Slice(taps, AxisRange(), AxisRange(), AxisRange(), AxisElem(u), AxisElem(v), AxisRange()), 3, 4)
			r, c := u*dilations[0], v*dilations[1]
			tap = Pad(tap, zero, compute.PadAxis{}, compute.PadAxis{Start: r, End: rows - od[1] - r}, compute.PadAxis{Start: c, End: cols - od[2] - c}, compute.PadAxis{})
			if sum == nil {
				sum = tap
			} else {
				sum = Add(sum, tap)
			}
		}
	}
	return Slice(sum, AxisRange(), AxisRange(pads[0][0], pads[0][0]+xDims[1]), AxisRange(pads[1][0], pads[1][0]+xDims[2]), AxisRange())
}

// padding returns the pads of a Conv or pool as [[top, bottom], [left,
// right]], from pads or auto_pad.
func padding(n *protos.NodeProto, size, kernel, strides, dilations []int) ([][2]int, error) {
	if len(strides) != 2 || len(dilations) != 2 {
		return nil, fmt.Errorf("strides %v and dilations %v: a 2-D window takes two of each", strides, dilations)
	}
	switch pad := str(n, "auto_pad", "NOTSET"); pad {
	case "VALID":
		return [][2]int{{0, 0}, {0, 0}}, nil
	case "SAME_UPPER", "SAME_LOWER":
		out := make([][2]int, 2)
		for i := range 2 {
			total := max(0, ((size[i]+strides[i]-1)/strides[i]-1)*strides[i]+(kernel[i]-1)*dilations[i]+1-size[i])
			small := total / 2
			out[i] = [2]int{small, total - small}
			if pad == "SAME_LOWER" {
				out[i] = [2]int{total - small, small}
			}
		}
		return out, nil
	}
	pads := ints(n, "pads", []int{0, 0, 0, 0})
	if len(pads) != 4 {
		return nil, fmt.Errorf("pads %v: a 2-D window takes four", pads)
	}
	return [][2]int{{pads[0], pads[2]}, {pads[1], pads[3]}}, nil
}

func batchNorm(n *protos.NodeProto, in []value) (value, error) {
	if len(in) != 5 {
		return value{}, fmt.Errorf("%d inputs: BatchNormalization takes X, scale, B, mean and var", len(in))
	}
	eps := float64(float(n, "epsilon", 1e-5))
	scale, bias, mean, variance := in[1].onnxOrder(), in[2].onnxOrder(), in[3].onnxOrder(), in[4].onnxOrder()
	factor := Mul(scale, Rsqrt(AddScalar(variance, eps))) // [c]
	shift := Sub(bias, Mul(mean, factor))
	x := in[0]
	if x.nchw || x.node.Rank() == 4 {
		y := x.channelsLast()
		c := y.Shape().Dimensions[3]
		return value{node: Add(Mul(y, Reshape(factor, 1, 1, 1, c)), Reshape(shift, 1, 1, 1, c)), nchw: true}, nil
	}
	y := x.onnxOrder()
	if y.Rank() != 2 {
		return value{}, fmt.Errorf("input of shape %v: converted for [n, c] and [n, c, h, w]", y.Shape().Dimensions)
	}
	c := y.Shape().Dimensions[1]
	return value{node: Add(Mul(y, Reshape(factor, 1, c)), Reshape(shift, 1, c))}, nil
}

// tiledMaxPool tells whether n is a max-pool over tiles: stride = window, no
// padding.
func tiledMaxPool(n *protos.NodeProto) bool {
	if n.OpType != "MaxPool" || str(n, "auto_pad", "NOTSET") != "NOTSET" {
		return false
	}
	kernel := ints(n, "kernel_shape", nil)
	pads := ints(n, "pads", []int{0, 0, 0, 0})
	return slices.Equal(ints(n, "strides", []int{1, 1}), kernel) && !slices.ContainsFunc(pads, func(p int) bool { return p != 0 })
}

func pool(n *protos.NodeProto, x value) (value, error) {
	if len(x.after) > 0 { // A tiled max-pool: the pending functions go after it.
		y, err := pool(n, value{node: x.node, nchw: x.nchw})
		y.after = x.after
		return y.done(), err
	}
	y := x.channelsLast()
	kernel := ints(n, "kernel_shape", nil)
	strides := ints(n, "strides", []int{1, 1})
	pads, err := padding(n, y.Shape().Dimensions[1:3], kernel, strides, []int{1, 1})
	if err != nil {
		return value{}, err
	}
	padded := pads[0] != [2]int{} || pads[1] != [2]int{}
	switch {
	case n.OpType == "MaxPool":
		y = MaxPool(y).WindowPerAxis(kernel...).StridePerAxis(strides...).PaddingPerDim(pads).Done()
	case padded: // count_include_pad: the padding's zeros count (checkAttributes refuses the rest).
		y = DivScalar(SumPool(y).WindowPerAxis(kernel...).StridePerAxis(strides...).PaddingPerDim(pads).Done(), float64(kernel[0]*kernel[1]))
	default:
		y = MeanPool(y).WindowPerAxis(kernel...).StridePerAxis(strides...).NoPadding().Done()
	}
	return value{node: y, nchw: true}, nil
}

func reshape(n *protos.NodeProto, x, shape value) (value, error) {
	if shape.node != nil {
		return value{}, fmt.Errorf("its shape is computed from the model's values: only shapes known when the graph is built are converted")
	}
	if x.node == nil {
		return value{}, fmt.Errorf("reshaping an integer tensor is not converted")
	}
	y := x.onnxOrder()
	d := y.Shape().Dimensions
	dims := make([]int, len(shape.static))
	for i, s := range shape.static {
		switch {
		case s == 0 && integer(n, "allowzero", 0) == 0 && i < len(d):
			dims[i] = d[i]
		case s == -1 || s > 0:
			dims[i] = int(s)
		default:
			return value{}, fmt.Errorf("shape %v: a size of %d", shape.static, s)
		}
	}
	return value{node: Reshape(y, dims...)}, nil
}

func gemm(n *protos.NodeProto, in []value) (value, error) {
	a, b := in[0].onnxOrder(), in[1].onnxOrder()
	if a.Rank() != 2 || b.Rank() != 2 {
		return value{}, fmt.Errorf("Gemm of shapes %v and %v: it takes matrices", a.Shape().Dimensions, b.Shape().Dimensions)
	}
	var y *Node
	if integer(n, "transB", 0) != 0 {
		y = Einsum("nk,mk->nm", a, b)
	} else {
		y = MatMul(a, b)
	}
	if alpha := float(n, "alpha", 1); alpha != 1 {
		y = MulScalar(y, float64(alpha))
	}
	if len(in) > 2 && in[2].node != nil {
		c := in[2].onnxOrder()
		if beta := float(n, "beta", 1); beta != 1 {
			c = MulScalar(c, float64(beta))
		}
		y = Add(y, toRank(c, 2))
	}
	return value{node: y}, nil
}

// toRank puts leading axes of size 1 on x up to rank, numpy's broadcasting.
func toRank(x *Node, rank int) *Node {
	d := x.Shape().Dimensions
	if len(d) >= rank {
		return x
	}
	return Reshape(x, append(slices.Repeat([]int{1}, rank-len(d)), d...)...)
}

func arithmetic(op string, a, b value) (value, error) {
	if a.node == nil || b.node == nil {
		return value{}, fmt.Errorf("arithmetic on integer tensors known at build time is not converted")
	}
	var x, y *Node
	nchw := a.nchw || b.nchw
	if nchw {
		side := func(v value) *Node {
			if v.nchw {
				return v.node
			}
			return value{node: toRank(v.node, 4)}.channelsLast()
		}
		x, y = side(a), side(b)
	} else {
		rank := max(a.node.Rank(), b.node.Rank())
		x, y = toRank(a.node, rank), toRank(b.node, rank)
	}
	f := map[string]func(x, y *Node) *Node{"Add": Add, "Sub": Sub, "Mul": Mul, "Div": Div}[op]
	return value{node: f(x, y), nchw: nchw}, nil
}

func transpose(n *protos.NodeProto, x value) (value, error) {
	if x.node == nil {
		return value{}, fmt.Errorf("transposing an integer tensor is not converted")
	}
	rank := x.node.Rank()
	perm := ints(n, "perm", nil)
	if perm == nil {
		for i := range rank {
			perm = append(perm, rank-1-i)
		}
	}
	switch {
	case x.nchw && slices.Equal(perm, []int{0, 2, 3, 1}): // NCHW to NHWC: what is stored.
		return value{node: x.node}, nil
	case !x.nchw && rank == 4 && slices.Equal(perm, []int{0, 3, 1, 2}): // NHWC to NCHW: store it as it is.
		return value{node: x.node, nchw: true}, nil
	}
	return value{node: TransposeAllAxes(x.onnxOrder(), perm...)}, nil
}

// static converts the shape arithmetic: Shape, Gather, Unsqueeze, Squeeze,
// Concat, Cast and Slice of integer tensors known at build time.
func static(n *protos.NodeProto, in []value) (value, error) {
	x := in[0]
	switch n.OpType {
	case "Shape":
		d := x.onnxDims()
		start, end := integer(n, "start", 0), integer(n, "end", len(d))
		start, end = clampIndex(start, len(d)), clampIndex(end, len(d))
		var s []int64
		for _, v := range d[start:max(start, end)] {
			s = append(s, int64(v))
		}
		return value{static: s, staticShape: []int{len(s)}}, nil
	case "Cast":
		if x.node != nil {
			if to := integer(n, "to", 0); to != int(protos.TensorProto_FLOAT) {
				return value{}, fmt.Errorf("cast of the model's float values to %v is not converted", protos.TensorProto_DataType(to))
			}
			return x, nil
		}
		if to := protos.TensorProto_DataType(integer(n, "to", 0)); to != protos.TensorProto_INT64 && to != protos.TensorProto_INT32 {
			return value{}, fmt.Errorf("cast of a shape to %v is not converted", to)
		}
		return x, nil
	case "Concat":
		if x.node != nil {
			nodes := make([]*Node, len(in))
			for i, v := range in {
				nodes[i] = v.onnxOrder()
			}
			axis := integer(n, "axis", 0)
			if axis < 0 {
				axis += nodes[0].Rank()
			}
			return value{node: Concatenate(nodes, axis)}, nil
		}
		var s []int64
		for _, v := range in {
			if v.node != nil || len(v.staticShape) != 1 {
				return value{}, fmt.Errorf("concatenating shapes with tensors is not converted")
			}
			s = append(s, v.static...)
		}
		return value{static: s, staticShape: []int{len(s)}}, nil
	}
	if x.node != nil {
		if n.OpType == "Squeeze" || n.OpType == "Unsqueeze" {
			axes, err := axesOf(n, in)
			if err != nil {
				return value{}, err
			}
			y := x.onnxOrder()
			if n.OpType == "Squeeze" {
				return value{node: Squeeze(y, axes...)}, nil
			}
			return value{node: ExpandAxes(y, axes...)}, nil
		}
		return value{}, fmt.Errorf("%s of the model's float values is not converted", n.OpType)
	}
	switch n.OpType {
	case "Gather":
		idx := in[1]
		if idx.node != nil || integer(n, "axis", 0) != 0 || len(x.staticShape) != 1 || len(idx.staticShape) > 1 {
			return value{}, fmt.Errorf("only Gather of a shape's entries is converted")
		}
		var s []int64
		for _, i := range idx.static {
			if i < 0 {
				i += int64(len(x.static))
			}
			if i < 0 || i >= int64(len(x.static)) {
				return value{}, fmt.Errorf("index %d of a shape of %d entries", i, len(x.static))
			}
			s = append(s, x.static[i])
		}
		return value{static: s, staticShape: slices.Clone(idx.staticShape)}, nil
	case "Unsqueeze", "Squeeze":
		// Shape arithmetic turns scalars into one-value vectors and back.
		if n.OpType == "Unsqueeze" && len(x.staticShape) == 0 {
			return value{static: x.static, staticShape: []int{1}}, nil
		}
		if n.OpType == "Squeeze" && len(x.static) == 1 && len(x.staticShape) == 1 {
			return value{static: x.static, staticShape: []int{}}, nil
		}
		return value{}, fmt.Errorf("%s of an integer tensor of shape %v is not converted", n.OpType, x.staticShape)
	case "Slice":
		if len(x.staticShape) != 1 || len(in) < 3 {
			return value{}, fmt.Errorf("only Slice of a shape is converted")
		}
		start, end, step := in[1].static, in[2].static, []int64{1}
		if len(in) > 4 && in[4].static != nil {
			step = in[4].static
		}
		if len(start) != 1 || len(end) != 1 || len(step) != 1 || step[0] != 1 || (len(in) > 3 && in[3].static != nil && in[3].static[0] != 0) {
			return value{}, fmt.Errorf("only Slice of a shape with step 1 is converted")
		}
		size := len(x.static)
		lo, hi := clampIndex(int(max(min(start[0], math.MaxInt32), math.MinInt32)), size), clampIndex(int(max(min(end[0], math.MaxInt32), math.MinInt32)), size)
		s := slices.Clone(x.static[lo:max(lo, hi)])
		return value{static: s, staticShape: []int{len(s)}}, nil
	}
	return value{}, fmt.Errorf("operation %s is not in the channels-last conversion", n.OpType)
}

// axesOf reads Squeeze's and Unsqueeze's axes: an attribute before opset
// 13, an input after.
func axesOf(n *protos.NodeProto, in []value) ([]int, error) {
	if axes := ints(n, "axes", nil); axes != nil {
		return axes, nil
	}
	if len(in) < 2 || in[1].node != nil {
		return nil, fmt.Errorf("its axes are not known when the graph is built")
	}
	axes := make([]int, len(in[1].static))
	for i, a := range in[1].static {
		axes[i] = int(a)
	}
	return axes, nil
}

// clampIndex is ONNX's reading of a start or end index into a size.
func clampIndex(i, size int) int {
	if i < 0 {
		i += size
	}
	return min(max(i, 0), size)
}

func product(d []int) int {
	p := 1
	for _, v := range d {
		p *= v
	}
	return p
}

// tensorValue is a weight or constant as a value: integers as static
// values, floats as a graph constant.
func tensorValue(g *Graph, t *protos.TensorProto) value {
	dims := make([]int, len(t.Dims))
	for i, d := range t.Dims {
		dims[i] = int(d)
	}
	raw := t.GetRawData()
	switch protos.TensorProto_DataType(t.DataType) {
	case protos.TensorProto_INT64, protos.TensorProto_INT32:
		s := slices.Clone(t.Int64Data)
		for _, v := range t.Int32Data {
			s = append(s, int64(v))
		}
		if raw != nil {
			s = nil
			size := 8
			if protos.TensorProto_DataType(t.DataType) == protos.TensorProto_INT32 {
				size = 4
			}
			for i := 0; i+size <= len(raw); i += size {
				if size == 8 {
					s = append(s, int64(binary.LittleEndian.Uint64(raw[i:])))
				} else {
					s = append(s, int64(int32(binary.LittleEndian.Uint32(raw[i:]))))
				}
			}
		}
		if len(dims) > 1 {
			exceptions.Panicf("integer tensor %q of shape %v: only scalars and vectors (shapes, indices) are converted", t.Name, dims)
		}
		return value{static: s, staticShape: dims}
	case protos.TensorProto_FLOAT:
		f := slices.Clone(t.FloatData)
		if raw != nil {
			f = make([]float32, len(raw)/4)
			for i := range f {
				f[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		}
		if len(f) != product(dims) {
			exceptions.Panicf("tensor %q of shape %v holds %d values", t.Name, dims, len(f))
		}
		if len(dims) == 0 {
			return value{node: Const(g, f[0])}
		}
		return value{node: Reshape(Const(g, f), dims...)}
	}
	exceptions.Panicf("tensor %q of type %v: the conversion takes float32 and integer tensors", t.Name, protos.TensorProto_DataType(t.DataType))
	return value{}
}

// valueAttribute is a Constant node's tensor.
func valueAttribute(n *protos.NodeProto) *protos.TensorProto {
	for _, a := range n.Attribute {
		if a.Name == "value" && a.T != nil {
			return a.T
		}
	}
	return nil
}

func attribute(n *protos.NodeProto, name string) *protos.AttributeProto {
	for _, a := range n.Attribute {
		if a.Name == name {
			return a
		}
	}
	return nil
}

func ints(n *protos.NodeProto, name string, def []int) []int {
	a := attribute(n, name)
	if a == nil {
		return def
	}
	out := make([]int, len(a.Ints))
	for i, v := range a.Ints {
		out[i] = int(v)
	}
	return out
}

func integer(n *protos.NodeProto, name string, def int) int {
	if a := attribute(n, name); a != nil {
		return int(a.I)
	}
	return def
}

func float(n *protos.NodeProto, name string, def float32) float32 {
	if a := attribute(n, name); a != nil {
		return a.F
	}
	return def
}

func str(n *protos.NodeProto, name, def string) string {
	if a := attribute(n, name); a != nil {
		return string(a.S)
	}
	return def
}
