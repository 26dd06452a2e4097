package cnn

import (
	"cmp"
	"fmt"
	"strings"
)

// OpKind is the kind of one operation of this package's networks.
type OpKind int

const (
	// OpConv is a convolution with a bias per output channel, over the
	// input with Pad zeros on each side, its windows Stride apart; its
	// weights are [Kernel, Kernel, input channels, Size].
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
	// Pad is the zeros an OpConv adds on each side of its input's rows and
	// columns: 0 is none, (Kernel − 1) / 2 with an odd Kernel and stride 1
	// keeps the input's size ("same").
	Pad int
	// Stride is the step between an OpConv's windows along the rows and
	// the columns; 0 means 1.
	Stride int
}

// stride is l.Stride, 1 when it is 0.
func (l Op) stride() int { return max(l.Stride, 1) }

// same tells whether an OpConv keeps its input's size: an odd Kernel, Pad
// (Kernel − 1) / 2 and stride 1.
func (l Op) same() bool {
	return l.Kernel%2 == 1 && l.Pad == (l.Kernel-1)/2 && l.Pad > 0 && l.stride() == 1
}

// OutSize is the rows and columns of an OpConv's output on an input of
// rows × cols: (size + 2·Pad − Kernel) / Stride + 1 along each, windows
// that would pass the padded edge dropped; 0 or less where the kernel does
// not fit.
func (l Op) OutSize(rows, cols int) (int, int) {
	out := func(n int) int {
		if n+2*l.Pad < l.Kernel {
			return 0
		}
		return (n+2*l.Pad-l.Kernel)/l.stride() + 1
	}
	return out(rows), out(cols)
}

// Ops lists the network of c, from the images to the logits: the one
// description that Logits builds and that package certify bounds.
func (c Config) Ops() []Op {
	conv := func(scope string, filters, kernel, pad, stride int) Op {
		return Op{Kind: OpConv, Scope: scope, Size: filters, Kernel: kernel, Pad: pad, Stride: stride}
	}
	relu, pool2, flatten := Op{Kind: OpReLU}, Op{Kind: OpMaxPool, Size: 2}, Op{Kind: OpFlatten}
	dense := func(scope string, units int) Op { return Op{Kind: OpDense, Scope: scope, Size: units} }
	switch c.Arch {
	case ArchSmallCNN:
		return []Op{
			conv("conv2d", 32, 3, 0, 1), relu, conv("conv2d_2", 32, 3, 0, 1), relu, pool2,
			conv("conv2d_3", 64, 3, 0, 1), relu, conv("conv2d_4", 64, 3, 0, 1), relu, pool2, flatten,
			dense("hidden", 200), relu, dense("hidden_2", 200), relu, dense("dense", c.classes()),
		}
	case ArchMadry:
		return []Op{
			conv("conv2d", 32, 5, 2, 1), relu, pool2, conv("conv2d_2", 64, 5, 2, 1), relu, pool2, flatten,
			dense("hidden", 1024), relu, dense("dense", c.classes()),
		}
	case ArchLeNetSmall:
		return []Op{
			conv("conv2d", cmp.Or(c.Filters, 16), 4, 1, 2), relu, conv("conv2d_2", cmp.Or(c.Filters2, 32), 4, 1, 2), relu, flatten,
			dense("hidden", cmp.Or(c.Hidden, 100)), relu, dense("dense", c.classes()),
		}
	}
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

// Arch names a network that a Config describes whole. The zero value,
// Compact, is the family that Filters, Kernel, Pool, Filters2 and Hidden
// size (the article's network, Robust); the others are networks of the
// literature, fixed but for their Input.
type Arch int

const (
	// Compact is the article's network and the deeper Robust, sized by
	// Config's fields.
	Compact Arch = iota
	// ArchSmallCNN is TRADES' network for MNIST (Zhang et al. 2019, the
	// SmallCNN of their repository): four 3×3 convolutions of 32, 32, 64
	// and 64 filters without padding, each with a ReLU, a 2×2 max-pool
	// after the second and the fourth, then dense layers of 200 and 200
	// units with ReLUs and the logits: 312,202 weights on MNIST. Their
	// dropout between the two hidden layers is left out (it changes only
	// training; the network evaluated is the same).
	ArchSmallCNN
	// ArchMadry is Madry et al.'s network for MNIST (2018, the MNIST
	// challenge's model): 5×5 convolutions of 32 and 64 filters padded to
	// keep their size, each with a ReLU and a 2×2 max-pool, a dense layer
	// of 1,024 units with a ReLU and the logits: 3,274,634 weights on
	// MNIST.
	ArchMadry
	// ArchLeNetSmall is the small network of Wong and Kolter (2018) that
	// Croce, Andriushchenko and Hein (2019) call cnn_lenet_small and train
	// on MNIST and Fashion-MNIST: 4×4 convolutions of 16 and 32 filters
	// with stride 2 and one pixel of padding (28 → 14 → 7), each with a
	// ReLU, no pooling, a dense layer of 100 units with a ReLU and the
	// logits: 166,406 weights on 28×28 images, 0.61 million multiply-adds
	// per image (Robust's 1.1 million). Config's Filters, Filters2 and
	// Hidden, when set, widen it (LeNetSmallWide).
	ArchLeNetSmall
)

// lastArch is the last Arch defined.
const lastArch = ArchLeNetSmall

func (a Arch) String() string {
	switch a {
	case Compact:
		return "compact"
	case ArchSmallCNN:
		return "smallcnn"
	case ArchMadry:
		return "madry"
	case ArchLeNetSmall:
		return "lenetsmall"
	}
	return fmt.Sprintf("Arch(%d)", int(a))
}

// ParseArch reads an Arch from its name: compact, smallcnn, madry or
// lenetsmall.
func ParseArch(name string) (Arch, error) {
	for a := Compact; a <= lastArch; a++ {
		if strings.EqualFold(name, a.String()) {
			return a, nil
		}
	}
	return 0, fmt.Errorf("cnn: network %q is not known: use compact, smallcnn, madry or lenetsmall", name)
}

// Shape is an operation's output for one image: [rows, cols, channels]
// before Flatten, [features] after.
type Shape []int

// Shapes walks the operations from the input and returns each one's output
// shape, or an error naming the first operation whose input is too small
// for it.
func (c Config) Shapes() ([]Shape, error) {
	g := c.Geometry()
	rows, cols, channels, features := g.Rows, g.Cols, g.Channels, 0
	var out []Shape
	for k, op := range c.Ops() {
		switch op.Kind {
		case OpConv:
			if op.Kernel < 1 || op.Pad < 0 || op.Stride < 0 {
				return nil, fmt.Errorf("cnn: operation %d, conv %d@%dx%d (pad %d, stride %d), is not a convolution: use a kernel of 1 or more, no negative pad or stride",
					k, op.Size, op.Kernel, op.Kernel, op.Pad, op.Stride)
			}
			if rows, cols = op.OutSize(rows, cols); rows < 1 || cols < 1 {
				return nil, fmt.Errorf("cnn: operation %d, conv %d@%dx%d, leaves no output on its input", k, op.Size, op.Kernel, op.Kernel)
			}
			channels = op.Size
		case OpMaxPool:
			if op.Size < 1 || rows/op.Size < 1 || cols/op.Size < 1 {
				return nil, fmt.Errorf("cnn: operation %d, maxpool %dx%d, is wider than its %d×%d input", k, op.Size, op.Size, rows, cols)
			}
			rows, cols = rows/op.Size, cols/op.Size
		case OpFlatten:
			features = rows * cols * channels
			out = append(out, Shape{features})
			continue
		case OpDense:
			features = op.Size
			out = append(out, Shape{features})
			continue
		}
		if features > 0 {
			out = append(out, Shape{features})
			continue
		}
		out = append(out, Shape{rows, cols, channels})
	}
	return out, nil
}

// weightsOf counts the weights of the operations: kernels and biases of
// the convolutions and dense layers.
func (c Config) weightsOf() int {
	shapes, err := c.Shapes()
	if err != nil {
		return 0
	}
	total, channels, features := 0, c.Geometry().Channels, 0
	for k, op := range c.Ops() {
		switch op.Kind {
		case OpConv:
			total += op.Kernel*op.Kernel*channels*op.Size + op.Size
			channels = op.Size
		case OpFlatten:
			features = shapes[k][0]
		case OpDense:
			total += features*op.Size + op.Size
			features = op.Size
		}
	}
	return total
}
