package certify

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/cnn"
)

// interval is a box [lo, hi] of values, kept as its centre and radius.
type interval struct{ centre, radius *graph.Node }

func fromBounds(lo, hi *graph.Node) interval {
	return interval{graph.DivScalar(graph.Add(lo, hi), 2), graph.DivScalar(graph.Sub(hi, lo), 2)}
}

func (v interval) bounds() (lo, hi *graph.Node) {
	return graph.Sub(v.centre, v.radius), graph.Add(v.centre, v.radius)
}

// monotone applies an elementwise non-decreasing function to both ends:
// its exact image of the box.
func (v interval) monotone(f func(*graph.Node) *graph.Node) interval {
	lo, hi := v.bounds()
	return fromBounds(f(lo), f(hi))
}

// affine is the exact image of the box under x ↦ linear(x) + b, linear
// being a linear map whose matrix has elementwise absolute value absLinear:
// the centre maps through it, the radius through |W|.
func (v interval) affine(linear, absLinear func(*graph.Node) *graph.Node, bias *graph.Node) interval {
	return interval{graph.Add(linear(v.centre), bias), absLinear(v.radius)}
}

// Bounds are interval bounds on a model's logits over an L∞ ball.
type Bounds struct {
	Epsilon float64
	N       int
	// Lower[i] and Upper[i] bound image i's logits: for every image within
	// Epsilon of it (and within [0, 1]), each logit lies between them.
	Lower, Upper [][]float32
	// Margins[i][j] is a lower bound on logit(label) − logit(j) over the
	// ball, computed with the last layer's rows subtracted before the
	// bound is taken (tighter than Lower − Upper); 0 for j = label.
	Margins [][]float32
	// Certified[i] tells whether every margin of image i is positive: no
	// perturbation within Epsilon changes its class from its label.
	Certified []bool
}

// Accuracy is the share of certified images: the certified accuracy.
func (b *Bounds) Accuracy() float64 {
	n := 0
	for _, c := range b.Certified {
		if c {
			n++
		}
	}
	return float64(n) / float64(max(len(b.Certified), 1))
}

// Model is what IBP and CROWNIBP bound: a network of package cnn
// (*cnn.Model), or a Bounder, which maps boxes through its own operations
// (*onnxmodel.Model does, for the operations of image classifiers).
type Model interface {
	Backend() compute.Backend
	Store() *model.Store
	Geometry() classifier.Geometry
}

// Interval is a box of values inside a graph: each value lies within Radius
// of Centre. A nil Radius is an exact value.
type Interval struct{ Centre, Radius *graph.Node }

// Tail is where a network's bounds end: the box of its last layer's input
// [B, H] and that layer, logits = Input·W + B (W [H, K], B [K]), which the
// margins fold in before they are bounded. When that input is ReLU(h·W1 +
// B1) of a dense layer (W1 [F, H], B1 [H]), Hidden is the box of h [B, F]
// and CROWN-IBP bounds the two layers together; otherwise Hidden.Centre is
// nil.
type Tail struct {
	Input  Interval
	W, B   *graph.Node
	Hidden Interval
	W1, B1 *graph.Node
}

// A Bounder maps boxes through its own operations.
type Bounder interface {
	Model
	// Boundable is nil when BoundTail can bound the network, and otherwise
	// one line that names the operation it cannot bound.
	Boundable() error
	// BoundTail maps the box of images [B, rows, cols, channels] through
	// the network, each operation exactly or soundly, up to its last layer.
	BoundTail(scope *model.Scope, images Interval) Tail
}

// IBP computes interval bounds (Gowal et al. 2018) of m's logits over the
// L∞ ball of radius eps around each image (flat), clipped to [0, 1], and
// certifies each image against its label. Every operation of the network
// (cnn.Config.Ops, or a Bounder's own) maps the box exactly or soundly:
// convolutions and dense layers through their weights and absolute
// weights, ReLU and max-pool monotonically; the last dense layer is folded
// into the margins. It runs batched on m's engine.
func IBP(m Model, images []float32, labels []int, eps float64) (*Bounds, error) {
	return certify(m, images, labels, eps, false)
}

// CROWNIBP is IBP with CROWN-IBP's backward bound on the margins (Zhang et
// al. 2020) over the network's last layers, when it ends in dense, ReLU,
// dense (cnn.Robust does): the boxes come from IBP up to the hidden layer's
// pre-activations, and each margin is then bounded as one linear function
// of the hidden layer's input, through a linear relaxation of each ReLU
// (exact where the box keeps a unit on one side of 0; between the chord
// above and the line of slope 0 or 1 below where it crosses 0, slope 1
// when the box reaches further above 0 than below), minimised over the box
// exactly. Each margin is the larger of that bound and IBP's: both hold,
// so the larger does. Lower and Upper are IBP's. On a network without
// that ending it is IBP.
func CROWNIBP(m Model, images []float32, labels []int, eps float64) (*Bounds, error) {
	return certify(m, images, labels, eps, true)
}

func certify(m Model, images []float32, labels []int, eps float64, crown bool) (*Bounds, error) {
	if isNil(m) {
		return nil, fmt.Errorf("certify: the model is nil: load one with cnn.Load or onnxmodel.Load, or train one")
	}
	if !(eps >= 0 && eps <= 1) {
		return nil, fmt.Errorf("certify: ε %g is not a budget: use a value in [0, 1], such as 0.3", eps)
	}
	var boundFn func(scope *model.Scope, x, labels, eps *graph.Node) (lo, hi, margins, crownMargins *graph.Node)
	g := m.Geometry()
	switch m := m.(type) {
	case *cnn.Model:
		ops, err := opsOf(m)
		if err != nil {
			return nil, err
		}
		boundFn = func(scope *model.Scope, x, labels, eps *graph.Node) (lo, hi, margins, crownMargins *graph.Node) {
			return bound(scope, ops, x, labels, eps, g.Classes, crown)
		}
	case Bounder:
		if err := m.Boundable(); err != nil {
			return nil, fmt.Errorf("certify: %w", err)
		}
		boundFn = func(scope *model.Scope, x, labels, eps *graph.Node) (lo, hi, margins, crownMargins *graph.Node) {
			return boundBounder(scope, m, x, labels, eps, g.Classes, crown)
		}
	default:
		return nil, fmt.Errorf("certify: a %T cannot be bounded: IBP and CROWNIBP take networks of cnn.Config (cnn.New, cnn.Load) and ONNX models (onnxmodel.Load); Smoothing takes any classifier", m)
	}
	n, err := g.CheckLabeled(images, labels)
	if err != nil {
		return nil, fmt.Errorf("certify: %w", err)
	}
	exec, err := model.NewExec(m.Backend(), m.Store(), func(scope *model.Scope, x, labels, eps *graph.Node) (lo, hi, margins *graph.Node) {
		lo, hi, margins, crownMargins := boundFn(scope, x, labels, eps)
		if crownMargins != nil {
			margins = graph.Max(margins, crownMargins)
		}
		return lo, hi, margins
	})
	if err != nil {
		return nil, fmt.Errorf("certify: %w", err)
	}
	defer exec.Finalize()
	b := &Bounds{Epsilon: eps, N: n}
	dims := []int{g.Rows, g.Cols, g.Channels}
	for start := 0; start < n; start += classifier.BatchSize {
		end := min(start+classifier.BatchSize, n)
		batch := tensors.FromFlatDataAndDimensions(slices.Clone(images[start*g.Pixels():end*g.Pixels()]), append([]int{end - start}, dims...)...)
		classes := make([]int32, end-start)
		for i := range classes {
			classes[i] = int32(labels[start+i])
		}
		out, err := exec.Exec(batch, tensors.FromFlatDataAndDimensions(classes, len(classes)), tensors.FromScalar(float32(eps)))
		batch.MustFinalizeAll()
		if err != nil {
			return nil, fmt.Errorf("certify: images %d to %d: %w", start, end-1, err)
		}
		var flat [3][]float32
		for k := range flat {
			if flat[k], err = tensors.CopyFlatData[float32](out[k]); err != nil {
				return nil, fmt.Errorf("certify: reading the bounds: %w", err)
			}
			out[k].MustFinalizeAll()
		}
		for i := range end - start {
			row := func(k int) []float32 { return flat[k][i*g.Classes : (i+1)*g.Classes] }
			b.Lower, b.Upper, b.Margins = append(b.Lower, row(0)), append(b.Upper, row(1)), append(b.Margins, row(2))
			certified := true
			for j, margin := range row(2) {
				if j != labels[start+i] && !(margin > 0) {
					certified = false
				}
			}
			b.Certified = append(b.Certified, certified)
		}
	}
	return b, nil
}

// opsOf returns the operations of m's network, once its configuration is
// valid and its store holds every weight they name: the bounds follow
// cnn.Config's layers, so any other network (a classifier.Model of one's
// own wrapped in a cnn.Model) gets this one line instead of a failure
// inside the graph.
func opsOf(m *cnn.Model) ([]cnn.Op, error) {
	const takes = "certify bounds networks of cnn.Config (cnn.New, cnn.Load); other networks cannot be certified yet"
	if err := m.Config.Validate(); err != nil {
		return nil, fmt.Errorf("certify: the model's Config (%v) is not a network: %v: %s", m.Config, err, takes)
	}
	ops := m.Config.Ops()
	for _, op := range ops {
		weights, biases := op.WeightPaths()
		for _, path := range []string{weights, biases} {
			if path != "" && (m.Store() == nil || m.Store().GetVariable(path) == nil) {
				return nil, fmt.Errorf("certify: the model has no weights at %s for its Config (%v): %s", path, m.Config, takes)
			}
		}
	}
	return ops, nil
}

// bound builds the interval bounds of the network ops on the box around x:
// the logits' lower and upper bounds [B, K] and the margins' lower bounds
// [B, K]; with crown, also CROWN-IBP's margins over the last layers (see
// CROWNIBP), or nil where the network does not end in dense, ReLU, dense.
func bound(scope *model.Scope, ops []cnn.Op, x, labels, eps *graph.Node, classes int, crown bool) (lo, hi, margins, crownMargins *graph.Node) {
	g := x.Graph()
	e := graph.ConvertDType(eps, x.DType())
	v := fromBounds(graph.ClipScalar(graph.Sub(x, e), 0, 1), graph.ClipScalar(graph.Add(x, e), 0, 1))
	batch := x.Shape().Dimensions[0]
	variable := func(path string) *graph.Node {
		w := scope.Store().GetVariable(path)
		if w == nil {
			exceptions.Panicf("certify: the model has no weights at %s: its checkpoint does not match its configuration", path)
		}
		return w.NodeValue(g)
	}
	for k, op := range ops {
		if crown && k == len(ops)-3 && op.Kind == cnn.OpDense && ops[k+1].Kind == cnn.OpReLU && ops[k+2].Kind == cnn.OpDense {
			w1Path, b1Path := op.WeightPaths()
			w2Path, b2Path := ops[k+2].WeightPaths()
			crownMargins = crownTail(v, variable(w1Path), variable(b1Path), variable(w2Path), variable(b2Path), labels, classes)
		}
		switch op.Kind {
		case cnn.OpConv:
			wPath, bPath := op.WeightPaths()
			w, b := variable(wPath), variable(bPath)
			conv := func(kernel *graph.Node) func(*graph.Node) *graph.Node {
				return func(x *graph.Node) *graph.Node { return cnn.Convolve2D(op, x, kernel) }
			}
			v = v.affine(conv(w), conv(graph.Abs(w)), graph.Reshape(b, 1, 1, 1, -1))
		case cnn.OpReLU:
			v = v.monotone(func(x *graph.Node) *graph.Node { return graph.Max(x, graph.ZerosLike(x)) })
		case cnn.OpMaxPool:
			v = v.monotone(func(x *graph.Node) *graph.Node { return cnn.MaxPooling2D(x, op.Size) })
		case cnn.OpFlatten:
			v = interval{graph.Reshape(v.centre, batch, -1), graph.Reshape(v.radius, batch, -1)}
		case cnn.OpDense:
			wPath, bPath := op.WeightPaths()
			w, b := variable(wPath), variable(bPath)
			if k == len(ops)-1 {
				// The logits, and the margins with the rows subtracted first.
				logits := v.affine(func(x *graph.Node) *graph.Node { return graph.MatMul(x, w) },
					func(x *graph.Node) *graph.Node { return graph.MatMul(x, graph.Abs(w)) }, graph.Reshape(b, 1, -1))
				lo, hi = logits.bounds()
				return lo, hi, marginBounds(v, w, b, labels, classes), crownMargins
			}
			v = v.affine(func(x *graph.Node) *graph.Node { return graph.MatMul(x, w) },
				func(x *graph.Node) *graph.Node { return graph.MatMul(x, graph.Abs(w)) }, graph.Reshape(b, 1, -1))
		}
	}
	exceptions.Panicf("certify: the network does not end in a dense layer")
	return nil, nil, nil, nil
}

// isNil tells whether m is nil, or a nil pointer in the interface, or a
// cnn.Model without its classifier.
func isNil(m Model) bool {
	if m == nil {
		return true
	}
	if v := reflect.ValueOf(m); v.Kind() == reflect.Pointer && v.IsNil() {
		return true
	}
	c, ok := m.(*cnn.Model)
	return ok && c.Model == nil
}

// boundBounder is bound for a Bounder: the box of the images through its
// BoundTail, then the last layer (and CROWN-IBP's tail) as for cnn's
// networks.
func boundBounder(scope *model.Scope, m Bounder, x, labels, eps *graph.Node, classes int, crown bool) (lo, hi, margins, crownMargins *graph.Node) {
	e := graph.ConvertDType(eps, x.DType())
	box := fromBounds(graph.ClipScalar(graph.Sub(x, e), 0, 1), graph.ClipScalar(graph.Add(x, e), 0, 1))
	tail := m.BoundTail(scope, Interval{box.centre, box.radius})
	v := interval{tail.Input.Centre, tail.Input.Radius}
	if v.radius == nil {
		v.radius = graph.ZerosLike(v.centre)
	}
	w, b := tail.W, tail.B
	logits := v.affine(func(x *graph.Node) *graph.Node { return graph.MatMul(x, w) },
		func(x *graph.Node) *graph.Node { return graph.MatMul(x, graph.Abs(w)) }, graph.Reshape(b, 1, -1))
	lo, hi = logits.bounds()
	margins = marginBounds(v, w, b, labels, classes)
	if crown && tail.Hidden.Centre != nil {
		h := interval{tail.Hidden.Centre, tail.Hidden.Radius}
		if h.radius == nil {
			h.radius = graph.ZerosLike(h.centre)
		}
		crownMargins = crownTail(h, tail.W1, tail.B1, w, b, labels, classes)
	}
	return lo, hi, margins, crownMargins
}

// marginBounds is, per image and class j, a lower bound of
// (w_label − w_j)·h + b_label − b_j over the box v of h: the centre's value
// less the radius through |w_label − w_j|. [B, K].
func marginBounds(v interval, w, b, labels *graph.Node, classes int) *graph.Node {
	dtype := w.DType()
	oneHot := graph.OneHot(labels, classes, dtype)                                // [B, K]
	wLabel := graph.MatMul(oneHot, graph.Transpose(w, 0, 1))                      // [B, H]
	diff := graph.Sub(graph.ExpandAxes(wLabel, -1), graph.ExpandAxes(w, 0))       // [B, H, K]
	centre := graph.ReduceSum(graph.Mul(graph.ExpandAxes(v.centre, -1), diff), 1) // [B, K]
	radius := graph.ReduceSum(graph.Mul(graph.ExpandAxes(v.radius, -1), graph.Abs(diff)), 1)
	bLabel := graph.ReduceSum(graph.Mul(oneHot, graph.ExpandAxes(b, 0)), -1) // [B]
	bias := graph.Sub(graph.ExpandAxes(bLabel, -1), graph.ExpandAxes(b, 0))  // [B, K]
	return graph.Sub(graph.Add(centre, bias), radius)
}

// WorstCaseLogits builds, inside a graph, IBP's worst-case logits of the
// network ops for images ([B, rows, cols, channels]) with labels ([B]) over
// the L∞ ball of radius eps (a scalar): for each class j, an upper bound on
// logit_j − logit_label, 0 for the label. Their cross-entropy with the
// labels is the robust loss of IBP training (Gowal et al. 2018); the
// gradient flows into the weights, which scope's store holds.
func WorstCaseLogits(scope *model.Scope, ops []cnn.Op, images, labels, eps *graph.Node, classes int) *graph.Node {
	_, _, margins, _ := bound(scope, ops, images, labels, eps, classes, false)
	return graph.Neg(margins)
}

// WorstCaseLogitsCROWNIBP is WorstCaseLogits with CROWN-IBP's margins mixed
// in, as Zhang et al. (2020) train: (1 − β)·IBP's + β·CROWN-IBP's, β a
// scalar in [0, 1] (they lower it from 1 to 0 as ε grows). On a network
// that does not end in dense, ReLU, dense it is WorstCaseLogits.
func WorstCaseLogitsCROWNIBP(scope *model.Scope, ops []cnn.Op, images, labels, eps, beta *graph.Node, classes int) *graph.Node {
	_, _, margins, crownMargins := bound(scope, ops, images, labels, eps, classes, true)
	if crownMargins != nil {
		beta = graph.ConvertDType(beta, margins.DType())
		margins = graph.Add(graph.Mul(graph.OneMinus(beta), margins), graph.Mul(beta, crownMargins))
	}
	return graph.Neg(margins)
}

// crownTail is CROWN-IBP's lower bound, per image and class j, of the margin
// (w2_label − w2_j)·relu(h·w1 + b1) + b2_label − b2_j over the box v of h
// ([B, F]; w1 [F, H], w2 [H, K]). [B, K].
func crownTail(v interval, w1, b1, w2, b2, labels *graph.Node, classes int) *graph.Node {
	dtype := w1.DType()
	// The pre-activations' box, by IBP: [B, H].
	z := v.affine(func(x *graph.Node) *graph.Node { return graph.MatMul(x, w1) },
		func(x *graph.Node) *graph.Node { return graph.MatMul(x, graph.Abs(w1)) }, graph.Reshape(b1, 1, -1))
	l, u := z.bounds()
	zero := graph.ZerosLike(l)
	// Each ReLU between two lines: slopes and the upper line's intercept.
	// Units dead on the box (u ≤ 0) get slopes 0, live ones (l ≥ 0) 1; the
	// others the chord u/(u − l) above (through (l, 0)) and slope 1 below
	// when u ≥ −l, 0 otherwise.
	live := graph.GreaterOrEqual(l, zero)
	unstable := graph.LogicalAnd(graph.LessThan(l, zero), graph.GreaterThan(u, zero))
	ones := graph.OnesLike(l)
	chord := graph.Div(u, graph.Where(unstable, graph.Sub(u, l), ones))
	upperSlope := graph.Where(unstable, chord, graph.Where(live, ones, zero))
	upperIntercept := graph.Where(unstable, graph.Neg(graph.Mul(chord, l)), zero)
	lowerSlope := graph.Where(unstable, graph.Where(graph.GreaterOrEqual(u, graph.Neg(l)), ones, zero), graph.Where(live, ones, zero))
	// Λ[b, j, :] = w2[:, label_b] − w2[:, j]: [B, K, H].
	oneHot := graph.OneHot(labels, classes, dtype)            // [B, K]
	wLabel := graph.MatMul(oneHot, graph.Transpose(w2, 0, 1)) // [B, H]
	lambda := graph.Sub(graph.ExpandAxes(wLabel, 1), graph.ExpandAxes(graph.Transpose(w2, 0, 1), 0))
	// A lower bound takes the lower line where Λ ≥ 0, the upper one elsewhere.
	positive := graph.GreaterOrEqual(lambda, graph.ZerosLike(lambda))
	perSpec := func(x *graph.Node) *graph.Node { return graph.BroadcastToShape(graph.ExpandAxes(x, 1), lambda.Shape()) }
	slope := graph.Where(positive, perSpec(lowerSlope), perSpec(upperSlope)) // [B, K, H]
	intercept := graph.Where(positive, graph.ZerosLike(lambda), perSpec(upperIntercept))
	ld := graph.Mul(lambda, slope)                               // [B, K, H]
	a := graph.Einsum("bkh,fh->bkf", ld, w1)                     // [B, K, F]
	centre := graph.Einsum("bf,bkf->bk", v.centre, a)            // [B, K]
	radius := graph.Einsum("bf,bkf->bk", v.radius, graph.Abs(a)) // [B, K]
	constant := graph.Add(graph.Einsum("bkh,h->bk", ld, b1), graph.ReduceSum(graph.Mul(lambda, intercept), -1))
	bLabel := graph.ReduceSum(graph.Mul(oneHot, graph.ExpandAxes(b2, 0)), -1) // [B]
	bias := graph.Sub(graph.ExpandAxes(bLabel, -1), graph.ExpandAxes(b2, 0))  // [B, K]
	return graph.Add(graph.Sub(centre, radius), graph.Add(constant, bias))
}
