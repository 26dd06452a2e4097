// Package conv is the project's 2-D convolution: GoMLX's, with gradients
// that are right for kernels of even size.
//
// GoMLX v0.28.8 differentiates a convolution through a reverse convolution
// whose padding it derives from the kernel's half-size, (k−1)/2 on one side
// and k/2 on the other. For an odd kernel that is the transposed
// convolution; for an even one (4×4, the usual stride-2 kernel) the input's
// gradient comes out shifted by a pixel (TestGradients measures it). Conv
// avoids it: a kernel whose effective size is even along an axis gets one
// more tap of zeros at its end, and one more padding row or column at the
// input's end, which gives the same output, and GoMLX differentiates that
// odd convolution correctly, with respect to the input and to the kernel.
package conv

import (
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
)

// Conv is the convolution of x [batch, rows, cols, channels] by kernel
// [kh, kw, channels/groups, out] with strides, kernel dilations and
// paddings ([[top, bottom], [left, right]]) per spatial axis and groups
// channel groups: [batch, rows', cols', out], without a bias.
func Conv(x, kernel *Node, strides, dilations []int, paddings [][2]int, groups int) *Node {
	pads := [][2]int{paddings[0], paddings[1]}
	kd := kernel.Shape().Dimensions
	var grow [4]compute.PadAxis
	even := false
	for axis := range 2 {
		d := 1
		if len(dilations) > axis {
			d = dilations[axis]
		}
		if ((kd[axis]-1)*d+1)%2 == 0 {
			// One more tap, of zeros: the effective size grows by d (odd,
			// since the size was even), and the input's end by as much,
			// so that the windows and the output stay the same.
			grow[axis].End = 1
			pads[axis][1] += d
			even = true
		}
	}
	if even {
		kernel = Pad(kernel, ScalarZero(kernel.Graph(), kernel.DType()), grow[:]...)
	}
	c := Convolve(x, kernel).PaddingPerDim(pads)
	if len(strides) > 0 {
		c = c.StridePerAxis(strides...)
	}
	if len(dilations) > 0 {
		c = c.DilationPerAxis(dilations...)
	}
	if groups > 1 {
		c = c.ChannelGroupCount(groups)
	}
	return c.Done()
}
