package cnn

import (
	"fmt"
	"strings"

	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/mnist"
)

// Config sizes a network of this package. With Filters2 and Hidden zero it
// is the article's network, linear but for its max-pool:
//
//	Conv2D(Filters, Kernel×Kernel) → MaxPool(Pool) → Flatten → Dense(10)
//
// With both positive it is the deeper network, which can learn to resist
// attacks (see Robust):
//
//	Conv2D(Filters, Kernel×Kernel) → ReLU → MaxPool(Pool) →
//	Conv2D(Filters2, Kernel×Kernel) → ReLU → MaxPool(Pool) → Flatten →
//	Dense(Hidden) → ReLU → Dense(10)
//
// Convolutions have no padding and stride 1; max-pools have stride Pool and
// drop incomplete windows.
type Config struct {
	Filters  int // Output channels of the (first) convolution.
	Kernel   int // Side of the square convolution kernels.
	Pool     int // Side of the square max-pool windows.
	Filters2 int // Output channels of the second convolution; 0 for the article's network.
	Hidden   int // Units of the hidden dense layer; 0 for the article's network.
	// Input is the geometry of the images and the number of classes: any
	// images, square or not, grey or colour. The zero value is MNIST's (28×28×1,
	// 10 classes), so the article's configurations leave it out.
	Input classifier.Geometry
	// Arch picks a network of the literature (SmallCNN, Madry, LeNetSmall),
	// described whole: then Kernel and Pool stay 0, and so do Filters,
	// Filters2 and Hidden, except that ArchLeNetSmall takes them as its
	// widths (0: its own 16, 32 and 100). The zero value, Compact, is the
	// network those fields size.
	Arch Arch
}

// SmallCNN is TRADES' network for MNIST (ArchSmallCNN): 312,202 weights,
// about 12 times Robust's multiply-adds per image.
var SmallCNN = Config{Arch: ArchSmallCNN}

// Madry is Madry et al.'s network for MNIST (ArchMadry): 3,274,634
// weights, about 13 times Robust's multiply-adds per image.
var Madry = Config{Arch: ArchMadry}

// LeNetSmall is Wong and Kolter's small network (ArchLeNetSmall), the CNN of
// Croce et al.'s Fashion-MNIST anchors: 166,406 weights, about half of
// Robust's multiply-adds per image.
var LeNetSmall = Config{Arch: ArchLeNetSmall}

// LeNetSmallWide is LeNetSmall with every width doubled (32 and 64
// filters, 200 hidden units): 662,786 weights, four times
// LeNetSmall's, and about 3.8 times its multiply-adds per image.
var LeNetSmallWide = Config{Arch: ArchLeNetSmall, Filters: 32, Filters2: 64, Hidden: 200}

// Geometry is the network's input and classes: Input, or MNIST's when
// Input is the zero value.
func (c Config) Geometry() classifier.Geometry {
	if c.Input == (classifier.Geometry{}) {
		return mnist.Geometry
	}
	return c.Input
}

// classes is the number of logits; shortSide the images' smaller side.
func (c Config) classes() int { return c.Geometry().Classes }
func (c Config) shortSide() int {
	g := c.Geometry()
	return min(g.Rows, g.Cols)
}

// singleChannel tells whether the first convolution sees one channel, as
// the article's hand-written gradients (graph.go, vjp.go) require.
func (c Config) singleChannel() bool { return c.Geometry().Channels == 1 }

// Default is the configuration the project trains for the article: 30
// filters of 5×5 and a 4×4 max-pool, 11,590 trainable parameters.
// cmd/sweep trains ten configurations between 8,000 and 12,000 parameters
// (kernels 3 to 7, pools 2 to 5; docs/reproduction.md has the table). Three come out on
// top within one seed's noise; of those, this one trains fastest (its
// convolution costs half of 38@7×7's), which keeps the tutorial's Run All,
// training included, under 90 seconds on two cores.
var Default = Config{Filters: 30, Kernel: 5, Pool: 4}

// Robust is the network the project trains to resist attacks (make robust):
// 16 then 32 filters of 5×5 with ReLUs and 2×2 max-pools, and 128 hidden
// units, 80,202 parameters. The article's network cannot be robust: it is
// linear between its max-pool's choices, so a budget of 0.3 per pixel moves
// its logits by up to 0.3 times the L1 norm of each class's effective
// weights, far more than its margins; trained against the same adversary it
// stays near zero robust accuracy (make robust measures it). Madry et al.
// found that robustness at ε = 0.3 on MNIST needs ReLUs, which can switch a
// perturbation off, and capacity. Their network (32 and 64 filters with
// padding, 1,024 hidden units, 3.3 million parameters) costs 13.9 million
// multiply-adds per image, this one 1.1 million: PGD training, eleven
// forward and backward passes per image, fits in under an hour on two cores
// with this one and would take about twelve times as long with theirs.
var Robust = Config{Filters: 16, Kernel: 5, Pool: 2, Filters2: 32, Hidden: 128}

// deep tells whether the configuration is the two-convolution network.
func (c Config) deep() bool { return c.Arch != Compact || c.Filters2 > 0 }

// ConvSize is the rows and columns of the (first) convolution's output
// (valid padding) in the Compact network.
func (c Config) ConvSize() (rows, cols int) {
	g := c.Geometry()
	return g.Rows - c.Kernel + 1, g.Cols - c.Kernel + 1
}

// PoolSize is the rows and columns of the (first) max-pool's output in the
// Compact network (incomplete windows are dropped).
func (c Config) PoolSize() (rows, cols int) {
	r, col := c.ConvSize()
	return r / c.Pool, col / c.Pool
}

// conv2Size and pool2Size are the second convolution's and max-pool's.
func (c Config) conv2Size() (rows, cols int) {
	r, col := c.PoolSize()
	return r - c.Kernel + 1, col - c.Kernel + 1
}
func (c Config) pool2Size() (rows, cols int) {
	r, col := c.conv2Size()
	return r / c.Pool, col / c.Pool
}
func (c Config) pool2Empty() bool {
	r, col := c.pool2Size()
	return r < 1 || col < 1
}

// Features is the length of the flattened max-pool output fed to the dense
// layers.
func (c Config) Features() int {
	if c.Arch != Compact {
		shapes, err := c.Shapes()
		if err != nil {
			return 0
		}
		for k, op := range c.Ops() {
			if op.Kind == OpFlatten {
				return shapes[k][0]
			}
		}
	}
	if c.deep() {
		r, col := c.pool2Size()
		return r * col * c.Filters2
	}
	r, col := c.PoolSize()
	return r * col * c.Filters
}

// NumParams counts the trainable parameters: kernels and biases of the
// convolutions and dense layers.
func (c Config) NumParams() int {
	if c.Arch != Compact {
		return c.weightsOf()
	}
	conv := c.Kernel*c.Kernel*c.Geometry().Channels*c.Filters + c.Filters
	if !c.deep() {
		return conv + c.Features()*c.classes() + c.classes()
	}
	conv2 := c.Kernel*c.Kernel*c.Filters*c.Filters2 + c.Filters2
	hidden := c.Features()*c.Hidden + c.Hidden
	return conv + conv2 + hidden + c.Hidden*c.classes() + c.classes()
}

// Validate reports a configuration that cannot be built.
func (c Config) Validate() error {
	g := c.Geometry()
	if c.Input != (classifier.Geometry{}) {
		if err := g.Validate(); err != nil {
			return fmt.Errorf("cnn: Input: %w", err)
		}
	}
	if c.Arch != Compact {
		if c.Arch < Compact || c.Arch > lastArch {
			return fmt.Errorf("cnn: Arch is %v: use Compact, ArchSmallCNN, ArchMadry or ArchLeNetSmall", c.Arch)
		}
		widths := c.Filters != 0 || c.Filters2 != 0 || c.Hidden != 0
		if c.Kernel != 0 || c.Pool != 0 || (widths && c.Arch != ArchLeNetSmall) {
			return fmt.Errorf("cnn: Arch %v is a fixed network: leave Filters, Kernel, Pool, Filters2 and Hidden 0 (only Input is set; ArchLeNetSmall also takes Filters, Filters2 and Hidden as its widths)", c.Arch)
		}
		if c.Filters < 0 || c.Filters2 < 0 || c.Hidden < 0 {
			return fmt.Errorf("cnn: Arch %v with Filters %d, Filters2 %d and Hidden %d: use 0 (the network's own widths) or positive widths", c.Arch, c.Filters, c.Filters2, c.Hidden)
		}
		_, err := c.Shapes()
		return err
	}
	switch {
	case c.Filters < 1:
		return fmt.Errorf("cnn: Filters must be at least 1, got %d", c.Filters)
	case c.Kernel < 1 || c.Kernel > c.shortSide():
		return fmt.Errorf("cnn: Kernel must be between 1 and %d (the images' smaller side), got %d", c.shortSide(), c.Kernel)
	case c.Pool < 1 || c.Pool > c.shortSide()-c.Kernel+1:
		return fmt.Errorf("cnn: Pool must be between 1 and %d (the convolution's output's smaller side) for Kernel %d, got %d",
			c.shortSide()-c.Kernel+1, c.Kernel, c.Pool)
	case c.Filters2 < 0 || c.Hidden < 0 || (c.Filters2 == 0) != (c.Hidden == 0):
		return fmt.Errorf("cnn: Filters2 %d and Hidden %d: both 0 (the article's network) or both positive (the deeper one)", c.Filters2, c.Hidden)
	case c.deep() && c.pool2Empty():
		r, col := c.conv2Size()
		return fmt.Errorf("cnn: with Kernel %d and Pool %d the second convolution's output is %d×%d, too small to pool: use a smaller kernel or pool",
			c.Kernel, c.Pool, r, col)
	}
	return nil
}

// String describes the configuration, e.g. "conv 16@3x3, maxpool 3x3, dense 10".
func (c Config) String() string {
	on := ""
	if c.Input != (classifier.Geometry{}) && c.Input != mnist.Geometry {
		on = " on " + c.Input.String()
	}
	if c.Arch != Compact {
		var parts []string
		for _, op := range c.Ops() {
			switch op.Kind {
			case OpConv:
				padding := ""
				switch {
				case op.same():
					padding = " same"
				case op.Pad > 0 || op.stride() > 1:
					padding = fmt.Sprintf(" stride %d pad %d", op.stride(), op.Pad)
				}
				parts = append(parts, fmt.Sprintf("conv %d@%dx%d%s", op.Size, op.Kernel, op.Kernel, padding))
			case OpReLU:
				parts = append(parts, "relu")
			case OpMaxPool:
				parts = append(parts, fmt.Sprintf("maxpool %dx%d", op.Size, op.Size))
			case OpDense:
				parts = append(parts, fmt.Sprintf("dense %d", op.Size))
			}
		}
		return c.Arch.String() + ": " + strings.Join(parts, ", ") + on
	}
	if c.deep() {
		return fmt.Sprintf("conv %d@%dx%d, relu, maxpool %dx%d, conv %d@%dx%d, relu, maxpool %dx%d, dense %d, relu, dense %d",
			c.Filters, c.Kernel, c.Kernel, c.Pool, c.Pool, c.Filters2, c.Kernel, c.Kernel, c.Pool, c.Pool, c.Hidden, c.classes()) + on
	}
	return fmt.Sprintf("conv %d@%dx%d, maxpool %dx%d, dense %d", c.Filters, c.Kernel, c.Kernel, c.Pool, c.Pool, c.classes()) + on
}
