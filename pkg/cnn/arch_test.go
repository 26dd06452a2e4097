package cnn_test

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
)

// TestAnchorNetworks: TRADES' SmallCNN and Madry et al.'s network have the
// weights their definitions give (SmallCNN: 320 + 9,248 + 18,496 + 36,928
// in the convolutions, 205,000 + 40,200 + 2,010 in the dense layers; Madry's
// 832 + 51,264 and 3,212,288 + 10,250, the "3.3 million" of the paper), the
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
	// The named networks are fixed: sizes set beside them are an error.
	if err := (cnn.Config{Arch: cnn.ArchMadry, Filters: 8}).Validate(); err == nil || !strings.Contains(err.Error(), "fixed network") {
		t.Errorf("Madry with Filters 8: %v", err)
	}
	if _, err := cnn.ParseArch("resnet"); err == nil || !strings.Contains(err.Error(), "compact, smallcnn or madry") {
		t.Errorf("ParseArch(resnet): %v", err)
	}
	// Too small an input for SmallCNN's four unpadded convolutions.
	if err := (cnn.Config{Arch: cnn.ArchSmallCNN, Input: classifier.Geometry{Rows: 8, Cols: 8, Channels: 1, Classes: 10}}).Validate(); err == nil || !strings.Contains(err.Error(), "operation") {
		t.Errorf("SmallCNN on 8×8 images: %v", err)
	}
}
