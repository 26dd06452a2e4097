package conv

import (
	"fmt"
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/advmlgo/advml/pkg/backend"
)

// TestGradients: for kernels of even and odd sizes, strides, paddings,
// dilations and channel groups, Conv's output, its gradient with respect
// to the input and its gradient with respect to the kernel equal the sums
// written out (in float64). GoMLX's own convolution, differentiated, is
// logged beside it: its input gradient is wrong for even kernels.
func TestGradients(t *testing.T) {
	engine, err := backend.NewWithConfig("xla:cpu")
	if err != nil {
		t.Fatal(err)
	}
	const rows, cols = 9, 8
	for _, c := range []struct{ k, stride, pad, dilation, groups, in, out int }{
		{4, 2, 1, 1, 1, 2, 3}, {4, 1, 0, 1, 1, 2, 3}, {4, 1, 2, 1, 1, 1, 2}, {2, 2, 0, 1, 1, 3, 2},
		{3, 1, 1, 1, 1, 2, 3}, {5, 2, 2, 1, 1, 2, 2}, {4, 1, 1, 2, 1, 2, 2}, {3, 1, 0, 2, 1, 2, 2},
		{4, 2, 1, 1, 2, 4, 2}, {3, 1, 1, 1, 2, 2, 4},
	} {
		name := fmt.Sprintf("k%d stride %d pad %d dilation %d groups %d", c.k, c.stride, c.pad, c.dilation, c.groups)
		keff := (c.k-1)*c.dilation + 1
		outRows, outCols := (rows+2*c.pad-keff)/c.stride+1, (cols+2*c.pad-keff)/c.stride+1
		inG, outG := c.in/c.groups, c.out/c.groups
		x := make([]float64, rows*cols*c.in)
		for i := range x {
			x[i] = float64((i*37)%11)/11 - 0.4
		}
		w := make([]float64, c.k*c.k*inG*c.out)
		for i := range w {
			w[i] = float64((i*53)%13)/13 - 0.5
		}
		cot := make([]float64, outRows*outCols*c.out)
		for i := range cot {
			cot[i] = float64((i*7)%5) - 2
		}
		// The sums written out: y = Σ x·w over each window; dy/dx and
		// dy/dw of Σ cot·y.
		y, dx, dw := make([]float64, len(cot)), make([]float64, len(x)), make([]float64, len(w))
		for i := range outRows {
			for j := range outCols {
				for f := range c.out {
					g := f / outG
					for u := range c.k {
						for v := range c.k {
							r, col := i*c.stride+u*c.dilation-c.pad, j*c.stride+v*c.dilation-c.pad
							if r < 0 || r >= rows || col < 0 || col >= cols {
								continue
							}
							for ch := range inG {
								xi, wi, yi := (r*cols+col)*c.in+g*inG+ch, ((u*c.k+v)*inG+ch)*c.out+f, (i*outCols+j)*c.out+f
								y[yi] += x[xi] * w[wi]
								dx[xi] += cot[yi] * w[wi]
								dw[wi] += cot[yi] * x[xi]
							}
						}
					}
				}
			}
		}
		strides, dilations, pads := []int{c.stride, c.stride}, []int{c.dilation, c.dilation}, [][2]int{{c.pad, c.pad}, {c.pad, c.pad}}
		for _, variant := range []string{"Conv", "GoMLX"} {
			exec := MustNewExec(engine, func(xs, ks, cs *Node) []*Node {
				var out *Node
				if variant == "Conv" {
					out = Conv(xs, ks, strides, dilations, pads, c.groups)
				} else {
					b := Convolve(xs, ks).PaddingPerDim(pads).StridePerAxis(strides...).DilationPerAxis(dilations...)
					if c.groups > 1 {
						b = b.ChannelGroupCount(c.groups)
					}
					out = b.Done()
				}
				grads := Gradient(ReduceAllSum(Mul(cs, out)), xs, ks)
				return []*Node{out, grads[0], grads[1]}
			})
			res := exec.MustCall(tensors.FromFlatDataAndDimensions(x, 1, rows, cols, c.in), tensors.FromFlatDataAndDimensions(w, c.k, c.k, inG, c.out),
				tensors.FromFlatDataAndDimensions(cot, 1, outRows, outCols, c.out))
			var errs [3]float64
			for k, want := range [][]float64{y, dx, dw} {
				got := tensors.MustCopyFlatData[float64](res[k])
				if len(got) != len(want) {
					t.Fatalf("%s, %s: output %d has %d values, want %d", name, variant, k, len(got), len(want))
				}
				for i := range want {
					errs[k] = math.Max(errs[k], math.Abs(got[i]-want[i]))
				}
			}
			exec.Finalize()
			if variant == "GoMLX" {
				t.Logf("%s: GoMLX's own convolution errs by %.3g (output), %.3g (input gradient), %.3g (kernel gradient)", name, errs[0], errs[1], errs[2])
				continue
			}
			if errs[0] > 1e-9 || errs[1] > 1e-9 || errs[2] > 1e-9 {
				t.Errorf("%s: Conv errs by %.3g (output), %.3g (input gradient), %.3g (kernel gradient)", name, errs[0], errs[1], errs[2])
			}
		}
	}
}
