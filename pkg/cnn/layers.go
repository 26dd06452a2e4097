package cnn

// OpKind is the kind of one operation of this package's networks.
type OpKind int

const (
	// OpConv is a convolution with a bias per output channel, no padding,
	// stride 1; its weights are [Kernel, Kernel, input channels, Size].
	OpConv OpKind = iota
	// OpReLU is max(x, 0) elementwise.
	OpReLU
	// OpMaxPool takes the maximum of Size×Size windows with stride Size,
	// dropping incomplete windows (MaxPooling2D).
	OpMaxPool
	// OpFlatten makes each image one row, in (row, column, channel) order.
	OpFlatten
	// OpDense is x·W + b with W [inputs, Size].
	OpDense
)

// Op is one operation of a network, from its input to its logits.
type Op struct {
	Kind OpKind
	// Scope names the operation's weights under ScopeName (OpConv, OpDense).
	Scope  string
	Size   int // OpConv: output channels; OpDense: units; OpMaxPool: the window's side.
	Kernel int // OpConv: the kernel's side.
}

// Ops lists the network of c, from the images to the logits: the one
// description that Logits builds and that package certify bounds.
func (c Config) Ops() []Op {
	if !c.deep() {
		return []Op{{Kind: OpConv, Scope: "conv2d", Size: c.Filters, Kernel: c.Kernel}, {Kind: OpMaxPool, Size: c.Pool},
			{Kind: OpFlatten}, {Kind: OpDense, Scope: "dense", Size: c.classes()}}
	}
	return []Op{
		{Kind: OpConv, Scope: "conv2d", Size: c.Filters, Kernel: c.Kernel}, {Kind: OpReLU}, {Kind: OpMaxPool, Size: c.Pool},
		{Kind: OpConv, Scope: "conv2d_2", Size: c.Filters2, Kernel: c.Kernel}, {Kind: OpReLU}, {Kind: OpMaxPool, Size: c.Pool},
		{Kind: OpFlatten}, {Kind: OpDense, Scope: "hidden", Size: c.Hidden}, {Kind: OpReLU}, {Kind: OpDense, Scope: "dense", Size: c.classes()},
	}
}

// WeightPaths returns the store paths of an OpConv's or OpDense's weights
// and biases ("" for the other kinds), as GoMLX's layers name them.
func (l Op) WeightPaths() (weights, biases string) {
	var sub string
	switch l.Kind {
	case OpConv:
		sub = "conv"
	case OpDense:
		sub = "dense"
	default:
		return "", ""
	}
	prefix := "/" + ScopeName + "/" + l.Scope + "/" + sub + "/"
	return prefix + "weights", prefix + "biases"
}
