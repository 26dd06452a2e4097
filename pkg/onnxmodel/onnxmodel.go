package onnxmodel

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute-onnx/support/protos"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/onnx-gomlx/onnx"
	"github.com/gomlx/onnx-gomlx/onnx/parser"
	"google.golang.org/protobuf/proto"

	"github.com/advmlgo/advml/pkg/classifier"
)

// Layout is the order of the axes of the model's image input
// (classifier.Layout: Auto, NCHW or NHWC).
type Layout = classifier.Layout

// The layouts, as classifier defines them.
const (
	Auto = classifier.Auto
	NCHW = classifier.NCHW
	NHWC = classifier.NHWC
)

// Options say how to read the model; the zero value reads most exports.
type Options struct {
	// Layout of the image input; Auto (the zero value) finds it.
	Layout Layout
	// Output names the graph's tensor that holds the logits. Empty takes
	// the graph's only output, or, when a Softmax or LogSoftmax makes it,
	// that node's input: attacks need logits, not probabilities.
	Output string
	// Mean and Std, one value per channel or one for all, are the model's
	// own normalisation, (x − Mean) / Std, made part of the model: images
	// stay pixels in [0, 1] (what attacks, budgets and checks take), and
	// the model sees what it was trained on. Empty: no normalisation.
	// torchvision's ImageNet values are Mean {0.485, 0.456, 0.406}, Std
	// {0.229, 0.224, 0.225}; a model trained on 0..255 pixels takes Std
	// {1.0 / 255}.
	Mean, Std []float32
	// Converter picks who turns the ONNX graph into GoMLX; the zero value,
	// Auto, takes the fastest that converts the model.
	Converter Converter
}

// Converter is who turns the ONNX graph into a GoMLX graph.
type Converter int

const (
	// AutoConverter takes ChannelsLast when every operation the logits
	// need is in it, and ONNXGoMLX otherwise.
	AutoConverter Converter = iota
	// ChannelsLast is this package's conversion of the operations of
	// image classifiers (Conv, Gemm, MatMul, BatchNormalization, the pools,
	// the activations, Flatten and Reshape, and the shape arithmetic of
	// exporters), built with activations stored channels last, as XLA runs
	// convolutions fastest: several times onnx-gomlx's speed on the CPU.
	// A model with another operation fails to load, naming it.
	ChannelsLast
	// ONNXGoMLX is onnx-gomlx's conversion of the graph as the file lays
	// it out, with the many operations it implements.
	ONNXGoMLX
)

func (c Converter) String() string {
	switch c {
	case AutoConverter:
		return "Auto"
	case ChannelsLast:
		return "ChannelsLast"
	case ONNXGoMLX:
		return "ONNXGoMLX"
	}
	return fmt.Sprintf("Converter(%d)", int(c))
}

// Model is a classifier read from an ONNX file: a classifier.Model (so
// every attack, evaluation and figure takes it) and what Load found.
type Model struct {
	*classifier.Model
	Path   string // The file it was read from.
	Input  string // The graph's image input.
	Layout Layout // The input's layout (NCHW or NHWC, never Auto).
	// Output is the graph tensor the classifier's logits are; Softmax
	// names the graph output it dropped ("" if none) to get them.
	Output, Softmax string
	// Converter is the conversion that built the graph: ChannelsLast or
	// ONNXGoMLX, never Auto.
	Converter Converter

	parsed onnx.Model // onnx-gomlx's model, whose weights WriteONNX updates.
	// plan is the channels-last conversion of the graph (nil, with
	// planErr, when an operation is outside it); bounds go through it
	// whichever conversion built the logits.
	plan      *channelsLast
	planErr   error
	mean, std [][][][]float32 // Options.Mean and Std, [1, 1, 1, channels]; nil for none.
}

// Load reads the ONNX file at path into a classifier run by backend. The
// images' geometry and the number of classes come from the model's input
// and output shapes; any batch size runs. Every problem (a file that is not
// ONNX, an input that is not one image batch, an output that is not
// [batch, classes], an operation without a conversion) is one line that
// names the file.
func Load(backend compute.Backend, path string, opts Options) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("onnxmodel: %w", err)
	}
	m, err := read(backend, data, path, opts)
	if err != nil {
		return nil, fmt.Errorf("onnxmodel: %s: %w", path, err)
	}
	return m, nil
}

func read(backend compute.Backend, data []byte, path string, opts Options) (*Model, error) {
	if opts.Layout < Auto || opts.Layout > NHWC {
		return nil, fmt.Errorf("Options.Layout is %v: use Auto, NCHW or NHWC", opts.Layout)
	}
	if opts.Converter < AutoConverter || opts.Converter > ONNXGoMLX {
		return nil, fmt.Errorf("Options.Converter is %v: use AutoConverter, ChannelsLast or ONNXGoMLX", opts.Converter)
	}
	var mp protos.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		return nil, fmt.Errorf("not an ONNX model (%v): export it with torch.onnx.export or tf2onnx", oneLine(err))
	}
	if mp.Graph == nil || len(mp.Graph.Node) == 0 {
		return nil, fmt.Errorf("not an ONNX model: it holds no graph: export it with torch.onnx.export or tf2onnx")
	}
	g := mp.Graph
	input, dims, err := imageInput(g)
	if err != nil {
		return nil, err
	}
	m := &Model{Path: path, Input: input, Layout: opts.Layout}
	geometry, err := m.geometry(dims)
	if err != nil {
		return nil, err
	}
	if geometry.Classes, err = m.logits(g, opts.Output); err != nil {
		return nil, err
	}
	if err := checkGraph(g, m.Output); err != nil {
		return nil, err
	}
	if err := checkWeights(g); err != nil {
		return nil, err
	}
	mean, std, err := normalisation(opts.Mean, opts.Std, geometry.Channels)
	if err != nil {
		return nil, err
	}

	parsed, err := parser.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("not a model onnx-gomlx reads: %v", oneLine(err))
	}
	m.parsed = parsed
	store := model.NewStore()
	if err := parsed.VariablesToScope(store.RootScope()); err != nil {
		return nil, fmt.Errorf("reading its weights: %v", oneLine(err))
	}
	m.mean, m.std = mean, std
	m.plan, m.planErr = planChannelsLast(g, input, m.Output, m.Layout)
	plan := m.plan
	switch {
	case opts.Converter == ONNXGoMLX:
		plan = nil
	case m.planErr != nil && opts.Converter == ChannelsLast:
		return nil, fmt.Errorf("Options.Converter is ChannelsLast, but %v: use AutoConverter", m.planErr)
	}
	if plan != nil {
		err = m.build(backend, store, geometry, plan)
		if err != nil && opts.Converter == ChannelsLast {
			return nil, fmt.Errorf("Options.Converter is ChannelsLast, but %v: use AutoConverter", err)
		}
		if err != nil { // The plan does not build: nor would its bounds.
			m.plan, m.planErr = nil, err
		}
	}
	if plan == nil || err != nil { // onnx-gomlx's conversion, also when ChannelsLast's failed to build.
		if err := evenKernel(g); err != nil {
			return nil, err
		}
		if err = m.build(backend, store, geometry, nil); err != nil {
			return nil, err
		}
	}
	if err := checkGradient(m); err != nil {
		return nil, err
	}
	return m, nil
}

// WriteONNX writes the model as an ONNX file at path: the file it was read
// from with the weights it holds now (after fine-tuning with package
// training, say), through onnx-gomlx's ScopeToONNX. The graph is the
// original's, so onnxruntime, PyTorch or TensorFlow run it as they ran the
// original, normalisation included (Options.Mean and Std stay outside the
// file, as they were). It writes to a temporary file beside path and
// renames it, so a failure leaves no partial file.
func (m *Model) WriteONNX(path string) (err error) {
	if m == nil || m.parsed == nil {
		return fmt.Errorf("onnxmodel: WriteONNX: the model was not read by onnxmodel.Load")
	}
	if path == "" {
		return fmt.Errorf("onnxmodel: WriteONNX: empty file name: name the .onnx file to write")
	}
	defer func() {
		if r := recover(); r != nil { // onnx-gomlx panics on what it cannot convert.
			err = fmt.Errorf("onnxmodel: WriteONNX %s: %v", path, oneLine(fmt.Errorf("%v", r)))
		}
	}()
	if err := m.parsed.ScopeToONNX(m.Store().RootScope()); err != nil {
		return fmt.Errorf("onnxmodel: WriteONNX %s: %v", path, oneLine(err))
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".writing-")
	if err != nil {
		return fmt.Errorf("onnxmodel: WriteONNX: %w", err)
	}
	defer os.Remove(tmp.Name()) // Gone once renamed.
	if err := m.parsed.Write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("onnxmodel: WriteONNX %s: %v", path, oneLine(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("onnxmodel: WriteONNX: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("onnxmodel: WriteONNX: %w", err)
	}
	return nil
}

func init() {
	// ONNX exports hold Identity nodes (a Dropout in eval mode, renamed
	// tensors), and GoMLX v0.28 defines no gradient for its Identity: it
	// passes the gradient through, as the identity's is. Registered only if
	// GoMLX has none.
	if _, ok := VJPRegistration[NodeTypeIdentity]; !ok {
		VJPRegistration[NodeTypeIdentity] = func(node *Node, v []*Node, _ shapes.Shape) []*Node { return []*Node{v[0]} }
	}
}

// build makes m's classifier with the plan's conversion (onnx-gomlx's when
// plan is nil), and builds and runs its graph once, so that an operation
// without a conversion is found now, in one line, not in the first attack.
func (m *Model) build(backend compute.Backend, store *model.Store, geometry classifier.Geometry, plan *channelsLast) (err error) {
	nchw := m.Layout == NCHW
	logits := func(scope *model.Scope, images *Node) *Node {
		x := m.normalise(images)
		if plan != nil {
			return plan.build(scope, x)
		}
		if nchw {
			x = TransposeAllAxes(x, 0, 3, 1, 2)
		}
		return m.parsed.CallGraph(scope, x.Graph(), map[string]*Node{m.Input: x}, m.Output)[0]
	}
	m.Converter = ONNXGoMLX
	if plan != nil {
		m.Converter = ChannelsLast
	}
	if m.Model, err = classifier.New(backend, store, geometry, logits); err != nil {
		return err
	}
	if _, err := m.Predict(make([]float32, geometry.Pixels())); err != nil {
		return convertError(err)
	}
	return nil
}

// normalise is (x − Options.Mean) / Options.Std, or x when neither is set.
func (m *Model) normalise(x *Node) *Node {
	if m.mean == nil {
		return x
	}
	return Div(Sub(x, Const(x.Graph(), m.mean)), Const(x.Graph(), m.std))
}

// checkGradient builds and runs the gradient of the logits' sum with
// respect to one image.
func checkGradient(m *Model) error {
	exec, err := model.NewExec(m.Backend(), m.Store(), func(scope *model.Scope, x *Node) *Node {
		return Gradient(ReduceAllSum(m.Logits(scope, x)), x)[0]
	})
	if err == nil {
		defer exec.Finalize()
		var out []*tensors.Tensor
		image := tensors.FromFlatDataAndDimensions(make([]float32, m.Geometry().Pixels()), m.Geometry().Dims(1)...)
		out, err = exec.Exec(image)
		image.MustFinalizeAll()
		for _, t := range out {
			t.MustFinalizeAll()
		}
	}
	if err == nil {
		return nil
	}
	if found := noGradient.FindStringSubmatch(err.Error()); found != nil {
		return fmt.Errorf("operation %s of the converted graph has no gradient in GoMLX, which the white-box attacks need: %s", found[2], found[1])
	}
	return fmt.Errorf("building the model's gradient: %s", oneLine(err))
}

// evenKernel refuses a Conv whose kernel has an even (effective) size for
// onnx-gomlx's conversion: it builds GoMLX's own convolution, whose input
// gradient GoMLX v0.28.8 computes a pixel off for such kernels (package
// internal/conv, which the channels-last conversion uses, is right).
func evenKernel(g *protos.GraphProto) error {
	weights := map[string][]int64{}
	for _, t := range g.Initializer {
		weights[t.Name] = t.Dims
	}
	for _, n := range g.Node {
		if n.OpType != "Conv" {
			continue
		}
		kernel := ints(n, "kernel_shape", nil)
		if dims := weights[n.Input[1]]; kernel == nil && len(dims) == 4 {
			kernel = []int{int(dims[2]), int(dims[3])}
		}
		dilations := ints(n, "dilations", []int{1, 1})
		for axis, k := range kernel {
			d := 1
			if axis < len(dilations) {
				d = dilations[axis]
			}
			if ((k-1)*d+1)%2 == 0 {
				return fmt.Errorf("Conv %q has a %v kernel, of even size, whose input gradient GoMLX computes a pixel off in onnx-gomlx's conversion, which this file needs: use a model whose operations the ChannelsLast conversion takes (docs/onnx.md lists them)", n.Name, kernel)
			}
		}
	}
	return nil
}

var noGradient = regexp.MustCompile(`graph has node (Node #\d+ \w+)\(.*? with type "(\w+)", for which no gradient is defined`)

// imageInput returns the graph's one input that is not a weight, with its
// dimensions (-1 where dynamic).
func imageInput(g *protos.GraphProto) (string, []int, error) {
	weights := map[string]bool{}
	for _, w := range g.Initializer {
		weights[w.Name] = true
	}
	var names []string
	var shape *protos.TensorShapeProto
	for _, in := range g.Input {
		if weights[in.Name] {
			continue
		}
		names = append(names, in.Name)
		if t, ok := in.GetType().GetValue().(*protos.TypeProto_TensorType); ok {
			shape = t.TensorType.GetShape()
		}
	}
	if len(names) != 1 {
		return "", nil, fmt.Errorf("the graph takes %d inputs %q: a classifier takes one, the images", len(names), names)
	}
	if shape == nil {
		return "", nil, fmt.Errorf("input %q has no tensor shape: export the model with a fixed image size", names[0])
	}
	dims := make([]int, len(shape.Dim))
	for i, d := range shape.Dim {
		dims[i] = -1
		if v, ok := d.GetValue().(*protos.TensorShapeProto_Dimension_DimValue); ok && v.DimValue > 0 {
			dims[i] = int(v.DimValue)
		}
	}
	return names[0], dims, nil
}

// geometry reads the images' geometry from the input's dimensions, and the
// layout when Auto.
func (m *Model) geometry(dims []int) (classifier.Geometry, error) {
	if len(dims) != 4 {
		return classifier.Geometry{}, fmt.Errorf("input %q has shape %v: a classifier of images takes [batch, channels, rows, cols] (NCHW) or [batch, rows, cols, channels] (NHWC)", m.Input, dims)
	}
	if m.Layout == Auto {
		channelsFirst, channelsLast := isChannels(dims[1]), isChannels(dims[3])
		switch {
		case channelsFirst && !channelsLast:
			m.Layout = NCHW
		case channelsLast && !channelsFirst:
			m.Layout = NHWC
		default:
			return classifier.Geometry{}, fmt.Errorf("input %q has shape %v: its layout is not clear: set Options.Layout to NCHW (PyTorch) or NHWC (Keras)", m.Input, dims)
		}
	}
	var g classifier.Geometry
	if m.Layout == NCHW {
		g.Channels, g.Rows, g.Cols = dims[1], dims[2], dims[3]
	} else {
		g.Rows, g.Cols, g.Channels = dims[1], dims[2], dims[3]
	}
	if g.Rows < 1 || g.Cols < 1 || g.Channels < 1 || int64(g.Rows)*int64(g.Cols)*int64(g.Channels) > MaxValues {
		return classifier.Geometry{}, fmt.Errorf("input %q has shape %v (%v): its image size must be fixed: export the model with a fixed height, width and channels", m.Input, dims, m.Layout)
	}
	return g, nil
}

// isChannels tells whether an axis of this size is a channel axis: gray or
// colour.
func isChannels(d int) bool { return d == 1 || d == 3 }

// logits picks the graph tensor that holds the logits (Options.Output, or
// the graph's only output, or the input of the Softmax that makes it) and
// returns the number of classes.
func (m *Model) logits(g *protos.GraphProto, output string) (int, error) {
	producers := map[string]*protos.NodeProto{}
	for _, n := range g.Node {
		for _, out := range n.Output {
			producers[out] = n
		}
	}
	var outputs []string
	for _, out := range g.Output {
		outputs = append(outputs, out.Name)
	}
	switch {
	case output != "":
		if producers[output] == nil {
			return 0, fmt.Errorf("Options.Output %q is no tensor of the graph: use one of its outputs %q or a node's output", output, outputs)
		}
		m.Output = output
	case len(outputs) != 1:
		return 0, fmt.Errorf("the graph has %d outputs %q: set Options.Output to the one with the logits", len(outputs), outputs)
	default:
		m.Output = outputs[0]
		if n := producers[m.Output]; n != nil && (n.OpType == "Softmax" || n.OpType == "LogSoftmax") && len(n.Input) == 1 {
			m.Softmax, m.Output = m.Output, n.Input[0]
		}
	}
	classes := classesOf(g, m.Output)
	if m.Softmax != "" && classes < 0 {
		classes = classesOf(g, m.Softmax)
	}
	if classes < 0 {
		return 0, fmt.Errorf("tensor %q has no [batch, classes] shape in the graph: export it with its shape, or set Options.Output to one that has", m.Output)
	}
	if classes < 2 {
		return 0, fmt.Errorf("tensor %q has %d class: a classifier has at least 2", m.Output, classes)
	}
	return classes, nil
}

// checkGraph walks the graph back from the tensor output: every tensor a
// node reads must come from the input, a weight or another node, and no
// node may depend on itself (a hostile file's loop would otherwise recurse
// without end in the conversion).
func checkGraph(g *protos.GraphProto, output string) error {
	known := map[string]bool{"": true} // "" is an optional input left out.
	for _, in := range g.Input {
		known[in.Name] = true
	}
	for _, w := range g.Initializer {
		known[w.Name] = true
	}
	producers := map[string]*protos.NodeProto{}
	for _, n := range g.Node {
		for _, out := range n.Output {
			producers[out] = n
		}
	}
	const (
		visiting = 1
		done     = 2
	)
	state := map[*protos.NodeProto]int{}
	// An explicit stack: a hostile graph may be deep enough to overflow
	// Go's, or the converter's.
	type frame struct {
		node *protos.NodeProto
		next int // The next input to visit.
	}
	var stack []frame
	push := func(tensor, reader string) error { // reader: who reads tensor.
		if known[tensor] {
			return nil
		}
		n := producers[tensor]
		if n == nil {
			return fmt.Errorf("%s reads tensor %q, which no node, input or weight of the graph makes", reader, tensor)
		}
		switch state[n] {
		case visiting:
			return fmt.Errorf("%s depends on its own output %q: the graph loops", describe(n), tensor)
		case done:
			return nil
		}
		state[n] = visiting
		stack = append(stack, frame{node: n})
		return nil
	}
	if err := push(output, "the logits"); err != nil {
		return err
	}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.next == len(top.node.Input) {
			state[top.node] = done
			stack = stack[:len(stack)-1]
			continue
		}
		tensor := top.node.Input[top.next]
		top.next++
		if err := push(tensor, describe(top.node)); err != nil {
			return err
		}
	}
	return nil
}

// MaxValues is the most values a weight, or an image, may hold: a bound
// that a hostile file's shape cannot talk past into allocating terabytes.
const MaxValues = 1 << 30

// byteSizes are the sizes of the ONNX element types that raw_data holds
// whole bytes of.
var byteSizes = map[protos.TensorProto_DataType]int{
	protos.TensorProto_FLOAT: 4, protos.TensorProto_UINT8: 1, protos.TensorProto_INT8: 1,
	protos.TensorProto_UINT16: 2, protos.TensorProto_INT16: 2, protos.TensorProto_INT32: 4,
	protos.TensorProto_INT64: 8, protos.TensorProto_BOOL: 1, protos.TensorProto_FLOAT16: 2,
	protos.TensorProto_DOUBLE: 8, protos.TensorProto_UINT32: 4, protos.TensorProto_UINT64: 8,
	protos.TensorProto_BFLOAT16: 2,
}

// checkWeights holds every weight of the graph, and every Constant node's
// value, to the values it really stores: a shape with a negative or huge
// size, or one that promises more values than the file holds, is refused
// before anything is allocated for it. Weights kept in files beside the
// model (external data) are refused: the file names could point anywhere.
func checkWeights(g *protos.GraphProto) error {
	tensors := slices.Clone(g.Initializer)
	for _, n := range g.Node {
		for _, a := range n.Attribute {
			if a.T != nil {
				tensors = append(tensors, a.T)
			}
			tensors = append(tensors, a.Tensors...)
		}
	}
	for _, t := range tensors {
		if t.GetDataLocation() == protos.TensorProto_EXTERNAL || len(t.ExternalData) > 0 {
			return fmt.Errorf("weight %q is stored outside the file: export the model with its weights inside (torch.onnx.export does below 2 GB)", t.Name)
		}
		values := int64(1)
		for _, d := range t.Dims {
			if d < 0 || (d > 0 && values > MaxValues/d) {
				return fmt.Errorf("weight %q has shape %v: more than %d values, or a negative size", t.Name, t.Dims, MaxValues)
			}
			values *= d
		}
		if raw := t.GetRawData(); raw != nil {
			if size, ok := byteSizes[protos.TensorProto_DataType(t.DataType)]; ok && int64(len(raw)) != values*int64(size) {
				return fmt.Errorf("weight %q has shape %v (%d values) but holds %d bytes of %v", t.Name, t.Dims, values, len(raw), protos.TensorProto_DataType(t.DataType))
			}
			continue
		}
		stored := int64(len(t.FloatData) + len(t.Int32Data) + len(t.Int64Data) + len(t.DoubleData) + len(t.Uint64Data) + len(t.StringData))
		if stored != values && stored != 2*values { // Complex values take two.
			return fmt.Errorf("weight %q has shape %v (%d values) but holds %d", t.Name, t.Dims, values, stored)
		}
	}
	return nil
}

// describe names a node: "node conv1 (Conv)", or by its first output when
// it has no name.
func describe(n *protos.NodeProto) string {
	if n.Name != "" {
		return fmt.Sprintf("node %q (%s)", n.Name, n.OpType)
	}
	return fmt.Sprintf("the %s node making %q", n.OpType, n.Output)
}

// classesOf returns the size of the last axis of a [batch, classes] tensor
// whose shape the graph records (outputs, value_info), or -1.
func classesOf(g *protos.GraphProto, name string) int {
	for _, v := range slices.Concat(g.Output, g.ValueInfo) {
		if v.Name != name {
			continue
		}
		t, ok := v.GetType().GetValue().(*protos.TypeProto_TensorType)
		if !ok || t.TensorType.GetShape() == nil || len(t.TensorType.GetShape().Dim) != 2 {
			return -1
		}
		if d, ok := t.TensorType.GetShape().Dim[1].GetValue().(*protos.TensorShapeProto_Dimension_DimValue); ok {
			return int(d.DimValue)
		}
	}
	return -1
}

// normalisation returns Mean and Std as [1, 1, 1, channels] constants, or
// nils when neither is set.
func normalisation(mean, std []float32, channels int) (m, s [][][][]float32, err error) {
	if len(mean) == 0 && len(std) == 0 {
		return nil, nil, nil
	}
	expand := func(name string, v []float32, fill float32) ([][][][]float32, error) {
		switch len(v) {
		case 0:
			v = []float32{fill}
		case 1, channels:
		default:
			return nil, fmt.Errorf("Options.%s has %d values for %d channels: give one per channel, or one for all", name, len(v), channels)
		}
		row := make([]float32, channels)
		for c := range row {
			row[c] = v[min(c, len(v)-1)]
			if name == "Std" && !(row[c] > 0) {
				return nil, fmt.Errorf("Options.Std holds %g: standard deviations must be positive", row[c])
			}
		}
		return [][][][]float32{{{row}}}, nil
	}
	if m, err = expand("Mean", mean, 0); err != nil {
		return nil, nil, err
	}
	if s, err = expand("Std", std, 1); err != nil {
		return nil, nil, err
	}
	return m, s, nil
}

var unimplemented = regexp.MustCompile(`unimplemented ONNX op "([^"]+)" in (.*)`)

// convertError makes the error of the first graph build one line: the
// operation without a conversion, or the first line of the cause.
func convertError(err error) error {
	if found := unimplemented.FindStringSubmatch(err.Error()); found != nil {
		return fmt.Errorf("operation %s (%s) has no conversion to GoMLX yet (onnx-gomlx %s)", found[1], strings.TrimSpace(found[2]), onnxGoMLXVersion)
	}
	return fmt.Errorf("building the model's graph: %s", oneLine(err))
}

// oneLine is the error's first line.
func oneLine(err error) string {
	line, _, _ := strings.Cut(err.Error(), "\n")
	return line
}

// onnxGoMLXVersion is the converter's version, for error messages (go.mod
// pins it).
const onnxGoMLXVersion = "v0.5.5"
