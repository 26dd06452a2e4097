package onnxmodel

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/core/tensors/images"

	"github.com/advmlgo/advml/internal/testutil"
)

// TestTiledMaxPoolGradient holds the max-pool gradient of maxpool.go to
// GoMLX's own (XLA's SelectAndScatter), element for element, on inputs
// with many ties (values on a grid of 4 levels, so most tiles hold equal
// maxima, as blank regions after a ReLU do): channels first and last, sizes
// that leave incomplete tiles, windows of 2 and 3. It also checks that the
// tiled pools take the fast gradient (no SelectAndScatter in the graph:
// if a GoMLX upgrade hides the pool's parameters, this fails rather than
// losing the speed silently) and that an overlapping pool keeps GoMLX's.
func TestTiledMaxPoolGradient(t *testing.T) {
	b := testutil.XLA(t)
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name     string
		dims     []int
		channels images.ChannelsAxisConfig
		window   int
		stride   int
		fast     bool
	}{
		{"NCHW, window 2", []int{3, 2, 7, 6}, images.ChannelsFirst, 2, 2, true},
		{"NHWC, window 2", []int{3, 8, 5, 4}, images.ChannelsLast, 2, 2, true},
		{"NHWC, window 3", []int{2, 9, 7, 3}, images.ChannelsLast, 3, 3, true},
		{"NCHW, window 3 stride 2 (overlapping)", []int{2, 3, 7, 7}, images.ChannelsFirst, 3, 2, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := 1
			for _, d := range c.dims {
				n *= d
			}
			values := make([]float32, n)
			for i := range values {
				values[i] = float32(rng.IntN(4)) / 3
			}
			x := tensors.FromFlatDataAndDimensions(values, c.dims...)
			weights := make([]float32, 0) // The output's weights in the loss, so each tile's gradient differs.
			var sawSelect bool
			gradient := func(fast bool) []float32 {
				if !fast {
					saved := VJPRegistration[NodeTypeReduceWindow]
					VJPRegistration[NodeTypeReduceWindow] = gomlxReduceWindowVJP
					defer func() { VJPRegistration[NodeTypeReduceWindow] = saved }()
				}
				exec, err := NewExec(b, func(x *Node) *Node {
					y := MaxPool(x).ChannelsAxis(c.channels).Window(c.window).Strides(c.stride).NoPadding().Done()
					if len(weights) == 0 {
						weights = make([]float32, y.Shape().Size())
						for i := range weights {
							weights[i] = float32(i%7) + 1
						}
					}
					w := Const(x.Graph(), tensors.FromFlatDataAndDimensions(weights, y.Shape().Dimensions...))
					g := Gradient(ReduceAllSum(Mul(y, w)), x)[0]
					if fast {
						sawSelect = hasNodeType(g, NodeTypeSelectAndScatterMax)
					}
					return g
				})
				if err != nil {
					t.Fatal(err)
				}
				defer exec.Finalize()
				out, err := exec.Exec(x)
				if err != nil {
					t.Fatal(err)
				}
				defer out[0].MustFinalizeAll()
				if out[0].DType() != dtypes.Float32 {
					t.Fatalf("gradient dtype %s", out[0].DType())
				}
				return tensors.MustCopyFlatData[float32](out[0])
			}
			got, want := gradient(true), gradient(false)
			if sawSelect == c.fast {
				t.Errorf("SelectAndScatter in the gradient: %v, want %v", sawSelect, !c.fast)
			}
			var nonzero int
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("gradient[%d] = %v, GoMLX's is %v", i, got[i], want[i])
				}
				if want[i] != 0 {
					nonzero++
				}
			}
			if nonzero == 0 {
				t.Fatal("the gradient is zero everywhere: the comparison proves nothing")
			}
		})
	}
}

// hasNodeType reports whether a node of type typ is among node and its
// inputs, recursively.
func hasNodeType(node *Node, typ NodeType) bool {
	seen := map[*Node]bool{}
	var walk func(n *Node) bool
	walk = func(n *Node) bool {
		if n == nil || seen[n] {
			return false
		}
		seen[n] = true
		if n.Type() == typ {
			return true
		}
		for _, in := range n.Inputs() {
			if walk(in) {
				return true
			}
		}
		return false
	}
	return walk(node)
}
