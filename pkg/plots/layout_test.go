package plots

import (
	"image"
	"image/color"
	"image/draw"
	"strings"
	"testing"
)

// solid returns a w×h image filled with c.
func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(c), image.Point{}, draw.Src)
	return img
}

var (
	red  = color.RGBA{255, 0, 0, 255}
	blue = color.RGBA{0, 0, 255, 255}
)

func TestRow(t *testing.T) {
	img := Row(solid(10, 20, red), nil, solid(30, 5, blue))
	checkSize(t, img, 10+gap+30, 20)
	for _, tc := range []struct {
		x, y int
		want color.RGBA
	}{
		{0, 0, red}, {9, 19, red},
		{10, 0, white}, {10 + gap - 1, 0, white}, // gap
		{10 + gap, 0, blue}, {10 + gap + 29, 4, blue},
		{10 + gap, 5, white}, // below the shorter panel
	} {
		if got := rgbaAt(img, tc.x, tc.y); got != tc.want {
			t.Errorf("(%d,%d) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
	if b := Row().Bounds(); !b.Empty() {
		t.Errorf("empty Row bounds = %v", b)
	}
}

func TestGrid(t *testing.T) {
	// A panel whose bounds do not start at (0, 0) is pasted from its origin.
	sub := solid(40, 40, blue).SubImage(image.Rect(20, 20, 30, 25))
	panels := []image.Image{solid(10, 10, red), solid(20, 5, blue), nil, sub, solid(5, 15, red)}
	img := grid(t, 2, panels...)
	cw, ch := 20, 15 // largest width and height
	checkSize(t, img, 2*cw+gap, 3*ch+2*gap)
	for _, tc := range []struct {
		x, y int
		want color.RGBA
	}{
		{0, 0, red}, {9, 9, red}, {10, 0, white}, {0, 10, white}, // cell (0,0)
		{cw + gap, 0, blue}, {cw + gap + 19, 4, blue}, {cw + gap, 5, white}, // cell (0,1)
		{0, ch + gap, white},                                                                             // nil cell (1,0)
		{cw + gap, ch + gap, blue}, {cw + gap + 9, ch + gap + 4, blue}, {cw + gap + 10, ch + gap, white}, // sub-image (1,1)
		{0, 2 * (ch + gap), red}, {4, 2*(ch+gap) + 14, red}, {5, 2 * (ch + gap), white}, // cell (2,0)
		{cw + gap, 2 * (ch + gap), white}, // missing cell (2,1)
	} {
		if got := rgbaAt(img, tc.x, tc.y); got != tc.want {
			t.Errorf("(%d,%d) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
	// cols 0 or beyond the panels: a single row; negative: an error.
	for _, cols := range []int{0, 10} {
		checkSize(t, grid(t, cols, solid(3, 4, red), solid(3, 4, red)), 3+gap+3, 4)
	}
	if _, err := Grid(-1, solid(3, 4, red)); err == nil || !strings.Contains(err.Error(), "-1 columns") {
		t.Errorf("Grid(-1, ...) error %v, want one naming -1 columns", err)
	}
	if b := grid(t, 3).Bounds(); !b.Empty() {
		t.Errorf("empty Grid bounds = %v", b)
	}
}

func grid(t *testing.T, cols int, panels ...image.Image) image.Image {
	t.Helper()
	img, err := Grid(cols, panels...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestGridOfDigits(t *testing.T) {
	px := make([]float32, Pixels)
	var panels []image.Image
	for range 32 {
		d, err := Digit(px, "")
		if err != nil {
			t.Fatal(err)
		}
		panels = append(panels, d)
	}
	checkSize(t, grid(t, 8, panels...), 8*296+7*gap, 4*296+3*gap)
}
