package plots

import (
	"image"
	"image/color"
	"math"
	"strings"
	"testing"
)

func trainingCurves() []Series {
	epochs := []float64{1, 2, 3, 4, 5}
	return []Series{
		{Name: "loss", X: epochs, Y: []float64{0.5, 0.2, 0.12, 0.09, 0.07}},
		{Name: "val_loss", X: epochs, Y: []float64{0.25, 0.15, 0.11, 0.1, 0.1}},
	}
}

// countColor counts the pixels of img close to c.
func countColor(img image.Image, c color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			p := rgbaAt(img, x, y)
			d := math.Abs(float64(p.R)-float64(c.R)) + math.Abs(float64(p.G)-float64(c.G)) + math.Abs(float64(p.B)-float64(c.B))
			if d < 30 {
				n++
			}
		}
	}
	return n
}

func TestLines(t *testing.T) {
	img, err := Lines("Training", "epoch", "loss", trainingCurves()...)
	if err != nil {
		t.Fatal(err)
	}
	checkSize(t, img, 640, 400)
	if n := countColor(img, palette[0]); n < 200 {
		t.Errorf("only %d pixels of the first series colour", n)
	}
	if n := countColor(img, palette[1]); n < 200 {
		t.Errorf("only %d pixels of the second series colour", n)
	}
	if n := countColor(img, white); n > 640*400*97/100 || n < 640*400/2 {
		t.Errorf("%d white pixels out of %d: blank or garbled chart", n, 640*400)
	}
	// The image encodes to a PNG.
	if _, err := EncodePNG(img); err != nil {
		t.Fatal(err)
	}
}

func TestLineChartOptions(t *testing.T) {
	var x, y []float64
	for i := range 300 {
		x = append(x, float64(i))
		y = append(y, 1/(1+math.Exp(-float64(i-150)/20)))
	}
	img, err := LineChart{Title: "attack", XLabel: "step", YLabel: "confidence", YMin: 0, YMax: 1, Width: 500, Height: 300}.
		Render(Series{Name: "target", X: x, Y: y})
	if err != nil {
		t.Fatal(err)
	}
	checkSize(t, img, 500, 300)
	if n := countColor(img, palette[0]); n < 200 {
		t.Errorf("only %d pixels of the series colour", n)
	}
}

func TestLinesErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		series []Series
		want   string
	}{
		{"no series", nil, "at least one series"},
		{"mismatch", []Series{trainingCurves()[0], {Name: "val_acc", X: []float64{1, 2}, Y: []float64{1}}}, `"val_acc"`},
		{"empty", []Series{{Name: "acc"}}, `"acc" is empty`},
		{"NaN", []Series{{Name: "loss", X: []float64{1, 2}, Y: []float64{1, math.NaN()}}}, `"loss": point 1`},
	} {
		_, err := Lines("t", "x", "y", tc.series...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want error containing %s", tc.name, err, tc.want)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	labels := func(integers bool, lo, hi float64) string {
		var s []string
		for _, tk := range niceTicks(integers).Ticks(lo, hi) {
			s = append(s, tk.Label)
		}
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		integers bool
		lo, hi   float64
		want     string
	}{
		{false, 0, 1, "0.0 0.2 0.4 0.6 0.8 1.0"},
		{false, -0.05, 0.45, "0.0 0.1 0.2 0.3 0.4"},
		{false, -0.012, 0.012, "-0.010 -0.005 0.000 0.005 0.010"},
		{true, 1, 10, "2 4 6 8 10"},
		{true, 0, 3, "0 1 2 3"},
		{true, 0, 300, "0 50 100 150 200 250 300"},
	} {
		if got := labels(tc.integers, tc.lo, tc.hi); got != tc.want {
			t.Errorf("ticks(%v, %v, %v) = %q, want %q", tc.integers, tc.lo, tc.hi, got, tc.want)
		}
	}
}

func BenchmarkLines(b *testing.B) {
	series := trainingCurves()
	for b.Loop() {
		if _, err := Lines("Training", "epoch", "loss", series...); err != nil {
			b.Fatal(err)
		}
	}
}
