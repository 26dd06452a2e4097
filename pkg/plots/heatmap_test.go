package plots

import (
	"image"
	"math"
	"strings"
	"testing"
)

// heatmapArea returns the image area of a heatmap panel rendered with caption.
func heatmapArea(img image.Image, caption string) image.Rectangle {
	top := pad
	if caption != "" {
		top += captionH
	}
	return image.Rect(pad, top, pad+areaSize, top+areaSize)
}

func TestHeatmapColors(t *testing.T) {
	v := make([]float32, Pixels)
	v[0] = 0.2   // max: darkest red
	v[1] = -0.2  // min: darkest blue
	v[3] = 0.05  // light red
	v[4] = -0.05 // light blue
	img, err := Heatmap(v, "perturbation")
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() <= 296 || b.Dy() != 318 {
		t.Fatalf("bounds = %v, want 318 tall and wider than a digit (colour bar)", b)
	}
	area := heatmapArea(img, "perturbation")
	if got := blockColor(t, img, area, 0, 2); got != white {
		t.Errorf("zero rendered as %v, want exact white", got)
	}
	if got := blockColor(t, img, area, 27, 27); got != white {
		t.Errorf("zero rendered as %v, want exact white", got)
	}
	for _, col := range []int{0, 3} {
		if c := blockColor(t, img, area, 0, col); !(int(c.R) > int(c.B)+20 && int(c.R) > int(c.G)+20) {
			t.Errorf("positive value (col %d) rendered as %v, want red-ish", col, c)
		}
	}
	for _, col := range []int{1, 4} {
		if c := blockColor(t, img, area, 0, col); !(int(c.B) > int(c.R)+20) {
			t.Errorf("negative value (col %d) rendered as %v, want blue-ish", col, c)
		}
	}
	// Larger magnitudes are darker.
	lum := func(col int) int {
		c := blockColor(t, img, area, 0, col)
		return int(c.R) + int(c.G) + int(c.B)
	}
	if lum(0) >= lum(3) || lum(1) >= lum(4) {
		t.Errorf("max magnitude not darker than smaller ones: %d vs %d, %d vs %d", lum(0), lum(3), lum(1), lum(4))
	}
	// The map is symmetric: ±v have the same lightness ordering w.r.t. white.
	if diverging(0) != white || diverging(1) != positiveRamp[len(positiveRamp)-1] || diverging(-1) != negativeRamp[len(negativeRamp)-1] {
		t.Errorf("colour map ends: %v %v %v", diverging(-1), diverging(0), diverging(1))
	}
}

func TestHeatmapAllZero(t *testing.T) {
	img, err := Heatmap(make([]float32, Pixels), "")
	if err != nil {
		t.Fatal(err)
	}
	area := heatmapArea(img, "")
	for y := area.Min.Y; y < area.Max.Y; y++ {
		for x := area.Min.X; x < area.Max.X; x++ {
			if got := rgbaAt(img, x, y); got != white {
				t.Fatalf("all-zero heatmap: pixel (%d,%d) = %v, want white", x, y, got)
			}
		}
	}
}

func TestHeatmapValidation(t *testing.T) {
	if _, err := Heatmap(make([]float32, 10), "x"); err == nil || !strings.Contains(err.Error(), "10 values is not a square image") {
		t.Errorf("10 values: err = %v, want '10 values is not a square image'", err)
	}
	v := make([]float32, Pixels)
	v[100] = float32(math.NaN())
	if _, err := Heatmap(v, "x"); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("NaN value: err = %v, want error mentioning NaN", err)
	}
	v[100] = float32(math.Inf(1))
	if _, err := Heatmap(v, "x"); err == nil {
		t.Error("Inf value: no error")
	}
}
