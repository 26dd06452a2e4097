package plots

import (
	"image"
	"image/color"
	"testing"
)

// The test images are MNIST-sized: Side×Side, each pixel a scale×scale block.
const (
	Side   = 28
	Pixels = Side * Side
	scale  = areaSize / Side
)

// rgbaAt returns the 8-bit non-premultiplied colour of img at (x, y).
func rgbaAt(img image.Image, x, y int) color.RGBA {
	return color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
}

// checkSize fails the test if img is not w×h with its origin at (0, 0).
func checkSize(t *testing.T, img image.Image, w, h int) {
	t.Helper()
	if got, want := img.Bounds(), image.Rect(0, 0, w, h); got != want {
		t.Fatalf("bounds = %v, want %v", got, want)
	}
}

// blockColor returns the colour of the upscaled block of MNIST pixel
// (row, col), failing the test if the block is not uniform (not crisp).
func blockColor(t *testing.T, img image.Image, area image.Rectangle, row, col int) color.RGBA {
	t.Helper()
	x0, y0 := area.Min.X+col*scale, area.Min.Y+row*scale
	c := rgbaAt(img, x0, y0)
	for y := y0; y < y0+scale; y++ {
		for x := x0; x < x0+scale; x++ {
			if got := rgbaAt(img, x, y); got != c {
				t.Fatalf("block (%d,%d) not uniform: (%d,%d) is %v, (%d,%d) is %v", row, col, x0, y0, c, x, y, got)
			}
		}
	}
	return c
}
