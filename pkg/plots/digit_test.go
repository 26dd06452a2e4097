package plots

import (
	"image"
	"image/color"
	"math"
	"strings"
	"testing"
)

var (
	white = color.RGBA{255, 255, 255, 255}
	black = color.RGBA{0, 0, 0, 255}
)

func TestDigitSize(t *testing.T) {
	px := make([]float32, Pixels)
	for _, tc := range []struct {
		caption string
		w, h    int
	}{
		{"prediction: 4; confidence: 0.32", 296, 318},
		{"", 296, 296},
	} {
		img, err := Digit(px, tc.caption)
		if err != nil {
			t.Fatal(err)
		}
		checkSize(t, img, tc.w, tc.h)
	}
	// A caption wider than the digit widens the panel.
	img, err := Digit(px, strings.Repeat("a very long caption ", 5))
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w <= 296 {
		t.Errorf("width with long caption = %d, want > 296", w)
	}
}

func TestDigitCrispPixels(t *testing.T) {
	px := make([]float32, Pixels)
	px[0] = 1          // top-left pixel white
	px[Pixels-1] = 0.5 // bottom-right pixel mid-gray
	px[Side+1] = 2     // clamped to white
	px[2*Side+2] = -1  // clamped to black
	img, err := Digit(px, "prediction: 4; confidence: 0.32")
	if err != nil {
		t.Fatal(err)
	}
	_, area := panelFrame("prediction: 4; confidence: 0.32", areaSize)
	if want := image.Rect(8, 30, 288, 310); area != want {
		t.Fatalf("digit area = %v, want %v", area, want)
	}
	gray := color.RGBA{128, 128, 128, 255}
	for row := range Side {
		for col := range Side {
			want := black
			switch {
			case row == 0 && col == 0, row == 1 && col == 1:
				want = white
			case row == Side-1 && col == Side-1:
				want = gray
			}
			if got := blockColor(t, img, area, row, col); got != want {
				t.Fatalf("pixel (%d,%d) rendered as %v, want %v", row, col, got, want)
			}
		}
	}
	// The margin around the digit area is white.
	for _, pt := range []image.Point{{area.Min.X - 1, area.Min.Y}, {area.Max.X, area.Max.Y - 1}, {area.Min.X, area.Max.Y}} {
		if got := rgbaAt(img, pt.X, pt.Y); got != white {
			t.Errorf("margin at %v = %v, want white", pt, got)
		}
	}
	// The caption draws dark pixels in the band above the digit.
	if !hasDarkPixel(img, image.Rect(0, 0, img.Bounds().Dx(), area.Min.Y)) {
		t.Error("no caption pixels above the digit")
	}
}

func TestDigitNoCaption(t *testing.T) {
	px := make([]float32, Pixels)
	px[0] = 1
	img, err := Digit(px, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := rgbaAt(img, pad, pad); got != white {
		t.Errorf("top-left block = %v, want white", got)
	}
	if got := rgbaAt(img, pad+scale, pad); got != black {
		t.Errorf("second block = %v, want black", got)
	}
}

func TestDigitValidation(t *testing.T) {
	if _, err := Digit(make([]float32, 783), "x"); err == nil || !strings.Contains(err.Error(), "783 values is not a square image") {
		t.Errorf("783 pixels: err = %v, want '783 values is not a square image'", err)
	}
	px := make([]float32, Pixels)
	px[30] = float32(math.NaN())
	if _, err := Digit(px, "x"); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("NaN pixel: err = %v, want error mentioning NaN", err)
	}
}

// hasDarkPixel reports whether r holds a pixel darker than mid-gray.
func hasDarkPixel(img image.Image, r image.Rectangle) bool {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if c := rgbaAt(img, x, y); c.R < 128 && c.G < 128 && c.B < 128 {
				return true
			}
		}
	}
	return false
}

func BenchmarkDigit(b *testing.B) {
	px := make([]float32, Pixels)
	for b.Loop() {
		if _, err := Digit(px, "prediction: 4; confidence: 0.32"); err != nil {
			b.Fatal(err)
		}
	}
}
