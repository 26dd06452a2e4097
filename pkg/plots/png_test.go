package plots

import (
	"bytes"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/janpfeifer/gonb/gonbui"
)

func TestEncodePNGRoundTrip(t *testing.T) {
	v := make([]float32, Pixels)
	v[0], v[1] = 1, -0.5
	img, err := Heatmap(v, "round trip")
	if err != nil {
		t.Fatal(err)
	}
	data, err := EncodePNG(img)
	if err != nil {
		t.Fatal(err)
	}
	got, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds() != img.Bounds() {
		t.Fatalf("decoded bounds = %v, want %v", got.Bounds(), img.Bounds())
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if g, w := rgbaAt(got, x, y), rgbaAt(img, x, y); g != w {
				t.Fatalf("pixel (%d,%d) = %v after round trip, want %v", x, y, g, w)
			}
		}
	}
	if _, err := EncodePNG(nil); err == nil {
		t.Error("EncodePNG(nil): no error")
	}
}

func TestSavePNG(t *testing.T) {
	img, err := Digit(make([]float32, Pixels), "saved")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "digit.png")
	for range 2 { // the second call replaces the file
		if err := SavePNG(path, img); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds() != img.Bounds() {
		t.Errorf("saved bounds = %v, want %v", got.Bounds(), img.Bounds())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only digit.png (temporary file left over?)", len(entries))
	}
	if err := SavePNG(filepath.Join(dir, "nil.png"), nil); err == nil {
		t.Error("SavePNG(nil image): no error")
	}
}

func TestShowOutsideNotebook(t *testing.T) {
	if gonbui.IsNotebook {
		t.Skip("running inside GoNB")
	}
	img, err := Digit(make([]float32, Pixels), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := Show(img); !errors.Is(err, ErrNotNotebook) {
		t.Errorf("Show outside a notebook: err = %v, want ErrNotNotebook", err)
	}
}
