package cnn_test

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
)

// TestAnchorNetworks: TRADES' SmallCNN, Madry et al.'s network and Wong and
// Kolter's LeNetSmall have the weights their definitions give (SmallCNN:
// 320 + 9,248 + 18,496 + 36,928 in the convolutions, 205,000 + 40,200 +
// 2,010 in the dense layers; Madry's 832 + 51,264 and 3,212,288 + 10,250,
// the "3.3 million" of the paper; LeNetSmall's 272 + 8,224 and 156,900 +
// 1,010, the 166,406 of Croce et al.'s table; its widths doubled 544 +
// 32,832 and 627,400 + 2,010), the
// shapes of their layers, the same count in the store once built, and a
// checkpoint that loads back as the same network with the same outputs.
func TestAnchorNetworks(t *testing.T) {
	for _, c := range []struct {
		config   cnn.Config
		weights  int
		features int
		total    string
		name     string
	}{
		{cnn.SmallCNN, 312_202, 4 * 4 * 64, "312,202", "smallcnn: conv 32@3x3, relu, conv 32@3x3, relu, maxpool 2x2, conv 64@3x3, relu, conv 64@3x3, relu, maxpool 2x2, dense 200, relu, dense 200, relu, dense 10"},
		{cnn.Madry, 3_274_634, 7 * 7 * 64, "3,274,634", "madry: conv 32@5x5 same, relu, maxpool 2x2, conv 64@5x5 same, relu, maxpool 2x2, dense 1024, relu, dense 10"},
		{cnn.LeNetSmall, 166_406, 7 * 7 * 32, "166,406", "lenetsmall: conv 16@4x4 stride 2 pad 1, relu, conv 32@4x4 stride 2 pad 1, relu, dense 100, relu, dense 10"},
		{cnn.LeNetSmallWide, 662_786, 7 * 7 * 64, "662,786", "lenetsmall: conv 32@4x4 stride 2 pad 1, relu, conv 64@4x4 stride 2 pad 1, relu, dense 200, relu, dense 10"},
	} {
		if err := c.config.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := c.config.NumParams(); got != c.weights {
			t.Errorf("%v: %d weights, want %d", c.config.Arch, got, c.weights)
		}
		if got := c.config.Features(); got != c.features {
			t.Errorf("%v: %d features flattened, want %d", c.config.Arch, got, c.features)
		}
		if got := c.config.String(); got != c.name {
			t.Errorf("String() = %q, want %q", got, c.name)
		}
		m, err := cnn.New(testutil.XLA(t), c.config, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.NumParams(); got != c.weights {
			t.Errorf("%v: the built network holds %d weights, want %d", c.config.Arch, got, c.weights)
		}
		if !strings.Contains(m.Summary(), "Total params: "+c.total) {
			t.Errorf("%v: summary\n%s", c.config.Arch, m.Summary())
		}
		dir := filepath.Join(t.TempDir(), "m")
		if err := m.Save(dir); err != nil {
			t.Fatal(err)
		}
		loaded, err := cnn.Load(testutil.XLA(t), dir)
		if err != nil {
			t.Fatal(err)
		}
		if loaded.Config != c.config {
			t.Errorf("loaded %+v, saved %+v", loaded.Config, c.config)
		}
		images := testutil.MNIST(t).Test.Images[:3*mnist.Pixels]
		a, err := m.Predict(images)
		if err != nil {
			t.Fatal(err)
		}
		b, err := loaded.Predict(images)
		if err != nil {
			t.Fatal(err)
		}
		for i := range a {
			for j := range a[i] {
				if math.Abs(float64(a[i][j]-b[i][j])) > 1e-6 {
					t.Fatalf("%v: image %d class %d: %g saved, %g loaded", c.config.Arch, i, j, a[i][j], b[i][j])
				}
			}
		}
	}
	// The named networks are fixed: sizes set beside them are an error,
	// but for LeNetSmall's widths; a kernel or pool, or a negative width,
	// is one for it too.
	for _, bad := range []cnn.Config{{Arch: cnn.ArchMadry, Filters: 8}, {Arch: cnn.ArchLeNetSmall, Kernel: 3}, {Arch: cnn.ArchLeNetSmall, Pool: 2}} {
		if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "fixed network") {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if err := (cnn.Config{Arch: cnn.ArchLeNetSmall, Hidden: -1}).Validate(); err == nil || !strings.Contains(err.Error(), "Hidden -1") {
		t.Errorf("LeNetSmall with Hidden -1: %v", err)
	}
	if _, err := cnn.ParseArch("resnet"); err == nil || !strings.Contains(err.Error(), "compact, smallcnn, madry or lenetsmall") {
		t.Errorf("ParseArch(resnet): %v", err)
	}
	// Too small an input for SmallCNN's four unpadded convolutions.
	if err := (cnn.Config{Arch: cnn.ArchSmallCNN, Input: classifier.Geometry{Rows: 8, Cols: 8, Channels: 1, Classes: 10}}).Validate(); err == nil || !strings.Contains(err.Error(), "operation") {
		t.Errorf("SmallCNN on 8×8 images: %v", err)
	}
}

// TestConvolve2D: a convolution with padding and a stride, as
// LeNetSmall's, equals the sum written out: out[b, i, j, f] = Σ over the
// window of the zero-padded input times the kernel, the windows Stride
// apart; with Pad 0 and Stride 0 it is the plain valid convolution.
func TestConvolve2D(t *testing.T) {
	const batch, rows, cols, in, out, k = 2, 9, 6, 3, 4, 4
	x := make([]float32, batch*rows*cols*in)
	for i := range x {
		x[i] = float32((i*37)%11)/11 - 0.4
	}
	w := make([]float32, k*k*in*out)
	for i := range w {
		w[i] = float32((i*53)%13)/13 - 0.5
	}
	for _, op := range []cnn.Op{
		{Kind: cnn.OpConv, Size: out, Kernel: k, Pad: 1, Stride: 2},
		{Kind: cnn.OpConv, Size: out, Kernel: k, Pad: 2, Stride: 3},
		{Kind: cnn.OpConv, Size: out, Kernel: k},
	} {
		outRows, outCols := op.OutSize(rows, cols)
		stride := max(op.Stride, 1)
		if want := (rows+2*op.Pad-k)/stride + 1; outRows != want {
			t.Fatalf("pad %d stride %d: %d rows out, want %d", op.Pad, op.Stride, outRows, want)
		}
		exec := graph.MustNewExec(testutil.XLA(t), func(images, kernel *graph.Node) *graph.Node { return cnn.Convolve2D(op, images, kernel) })
		got := tensors.MustCopyFlatData[float32](exec.MustCall(tensors.FromFlatDataAndDimensions(x, batch, rows, cols, in),
			tensors.FromFlatDataAndDimensions(w, k, k, in, out))[0])
		if len(got) != batch*outRows*outCols*out {
			t.Fatalf("pad %d stride %d: %d values, want %d×%d×%d×%d", op.Pad, op.Stride, len(got), batch, outRows, outCols, out)
		}
		for b := range batch {
			for i := range outRows {
				for j := range outCols {
					for f := range out {
						var sum float64
						for u := range k {
							for v := range k {
								r, c := i*stride+u-op.Pad, j*stride+v-op.Pad
								if r < 0 || r >= rows || c < 0 || c >= cols {
									continue // A padding zero.
								}
								for ch := range in {
									sum += float64(x[((b*rows+r)*cols+c)*in+ch]) * float64(w[((u*k+v)*in+ch)*out+f])
								}
							}
						}
						if g := got[((b*outRows+i)*outCols+j)*out+f]; math.Abs(float64(g)-sum) > 1e-5 {
							t.Fatalf("pad %d stride %d: out[%d, %d, %d, %d] = %g, want %g", op.Pad, op.Stride, b, i, j, f, g, sum)
						}
					}
				}
			}
		}
	}
}
