package cnn_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/cnn"
)

func TestNumParamsMatchesTheArticlesExamples(t *testing.T) {
	for _, tc := range []struct {
		cfg  cnn.Config
		want int
	}{
		{cnn.Config{Filters: 6, Kernel: 3, Pool: 2}, 10210},
		{cnn.Config{Filters: 16, Kernel: 3, Pool: 3}, 10410},
	} {
		if got := tc.cfg.NumParams(); got != tc.want {
			t.Errorf("%s: NumParams = %d, want %d", tc.cfg, got, tc.want)
		}
	}
}

func TestDefaultWithinTheArticlesBudget(t *testing.T) {
	if n := cnn.Default.NumParams(); n < 8000 || n > 12000 {
		t.Fatalf("Default %s has %d parameters, outside 8,000..12,000", cnn.Default, n)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  cnn.Config
		want string
	}{
		{cnn.Config{Filters: 0, Kernel: 3, Pool: 2}, "Filters"},
		{cnn.Config{Filters: 4, Kernel: 0, Pool: 2}, "Kernel"},
		{cnn.Config{Filters: 4, Kernel: 29, Pool: 2}, "Kernel"},
		{cnn.Config{Filters: 4, Kernel: 3, Pool: 0}, "Pool"},
		{cnn.Config{Filters: 4, Kernel: 27, Pool: 3}, "Pool"},
	} {
		err := tc.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: Validate() = %v, want an error about %s", tc.cfg, err, tc.want)
		}
	}
	if err := cnn.Default.Validate(); err != nil {
		t.Errorf("Default: %v", err)
	}
}

func TestRobustNetwork(t *testing.T) {
	if err := cnn.Robust.Validate(); err != nil {
		t.Fatal(err)
	}
	m, err := cnn.New(testutil.XLA(t), cnn.Robust, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.NumParams(), cnn.Robust.NumParams(); got != want {
		t.Errorf("the network holds %d weights, its config counts %d", got, want)
	}
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	loaded, err := cnn.Load(testutil.XLA(t), dir)
	if err != nil || loaded.Config != cnn.Robust {
		t.Fatalf("loaded %+v, %v", loaded, err)
	}
	if !strings.Contains(m.Summary(), "Conv2D + ReLU") {
		t.Errorf("summary:\n%s", m.Summary())
	}
	for _, bad := range []cnn.Config{{Filters: 4, Kernel: 5, Pool: 2, Filters2: 8}, {Filters: 4, Kernel: 5, Pool: 2, Hidden: 8},
		{Filters: 4, Kernel: 9, Pool: 4, Filters2: 8, Hidden: 8}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

// A network on colour images of other sizes and classes counts its weights,
// saves its geometry with them and loads back as the same network; bad
// geometries get one-line errors.
// loadsBack saves m, loads it back, and checks that the loaded model has
// m's configuration and gives m's probabilities on images.
func loadsBack(t *testing.T, m *cnn.Model, images []float32) {
	t.Helper()
	want, err := m.Predict(images)
	if err != nil || len(want) != len(images)/m.Geometry().Pixels() || len(want[0]) != m.Geometry().Classes {
		t.Fatalf("%v: predictions %v, %v", m.Config, want, err)
	}
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := cnn.Load(testutil.XLA(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.Predict(images)
	if err != nil || back.Config != m.Config || !reflect.DeepEqual(got, want) {
		t.Errorf("%v loaded back as %v: %v, want %v (%v)", m.Config, back.Config, got, want, err)
	}
}

func TestOtherGeometries(t *testing.T) {
	g := testutil.ColourGeometry
	for _, cfg := range []cnn.Config{{Filters: 6, Kernel: 5, Pool: 4, Input: g}, {Filters: 4, Kernel: 3, Pool: 2, Filters2: 8, Hidden: 16, Input: g}} {
		m, err := cnn.New(testutil.XLA(t), cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		if m.Geometry() != g || m.NumParams() != cfg.NumParams() || !strings.HasSuffix(cfg.String(), "on 32×32×3 images, 5 classes") {
			t.Errorf("%v: geometry %v, %d weights for %d counted", cfg, m.Geometry(), m.NumParams(), cfg.NumParams())
		}
		loadsBack(t, m, testutil.Colour(3, 1).Images)
	}
	for _, tc := range []struct {
		cfg  cnn.Config
		want string
	}{
		{cnn.Config{Filters: 4, Kernel: 21, Pool: 2, Input: classifier.Geometry{Rows: 20, Cols: 28, Channels: 1, Classes: 10}}, "Kernel must be between 1 and 20 (the images' smaller side)"},
		{cnn.Config{Arch: cnn.ArchSmallCNN, Input: classifier.Geometry{Rows: 14, Cols: 40, Channels: 1, Classes: 10}}, "maxpool 2x2, is wider than its 1×14 input"},
		{cnn.Config{Filters: 4, Kernel: 3, Pool: 2, Input: classifier.Geometry{Rows: 32, Cols: 32, Channels: 3}}, "Input"},
		{cnn.Config{Filters: 4, Kernel: 17, Pool: 2, Input: classifier.Geometry{Rows: 16, Cols: 16, Channels: 3, Classes: 4}}, "Kernel must be between 1 and 16"},
	} {
		if err := tc.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error about %s", tc.cfg.Input, err, tc.want)
		}
	}
	// Images that are not square, for each kind of network: the shapes
	// follow rows and columns apart, the weights are counted, and the
	// model predicts and loads back.
	for _, cfg := range []cnn.Config{
		{Filters: 4, Kernel: 3, Pool: 3, Filters2: 8, Hidden: 16, Input: classifier.Geometry{Rows: 20, Cols: 28, Channels: 1, Classes: 10}},
		{Arch: cnn.ArchSmallCNN, Input: classifier.Geometry{Rows: 20, Cols: 28, Channels: 1, Classes: 10}},
		{Arch: cnn.ArchMadry, Input: classifier.Geometry{Rows: 24, Cols: 16, Channels: 3, Classes: 5}},
		{Arch: cnn.ArchLeNetSmall, Input: classifier.Geometry{Rows: 20, Cols: 28, Channels: 1, Classes: 10}},
	} {
		m, err := cnn.New(testutil.XLA(t), cfg, 1)
		if err != nil {
			t.Fatalf("%v: %v", cfg, err)
		}
		shapes, err := cfg.Shapes()
		if err != nil || m.NumParams() != cfg.NumParams() {
			t.Errorf("%v: %d weights for %d counted (%v)", cfg, m.NumParams(), cfg.NumParams(), err)
		}
		g := cfg.Input
		wantFlat := map[cnn.Arch]int{cnn.Compact: 1 * 2 * 8, cnn.ArchSmallCNN: 2 * 4 * 64, cnn.ArchMadry: 6 * 4 * 64, cnn.ArchLeNetSmall: 5 * 7 * 32}[cfg.Arch]
		for k, op := range cfg.Ops() {
			if op.Kind == cnn.OpFlatten && shapes[k][0] != wantFlat {
				t.Errorf("%v: %d features flattened, want %d", cfg, shapes[k][0], wantFlat)
			}
		}
		images := make([]float32, 2*g.Pixels())
		for i := range images {
			images[i] = float32(i%7) / 7
		}
		loadsBack(t, m, images)
	}
	if (cnn.Config{Filters: 4, Kernel: 3, Pool: 2}).Geometry() != (cnn.Config{Filters: 4, Kernel: 3, Pool: 2, Input: cnn.Default.Geometry()}).Geometry() {
		t.Error("the zero Input is not MNIST's geometry")
	}
}
