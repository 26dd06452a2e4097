package dataset

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDecodeNPY: any bytes give an array or a one-line error, never a
// panic, a hang or an allocation beyond MaxValues.
func FuzzDecodeNPY(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "npy", "*.npy"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := decodeNPY(data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error on several lines: %q", err)
			}
			return
		}
		count := 1
		for _, d := range a.shape {
			count *= d
		}
		if count != len(a.values) || count > MaxValues {
			t.Fatalf("shape %v with %d values", a.shape, len(a.values))
		}
	})
}

// FuzzDecodePNG: any bytes give an image of the size they declare or a
// one-line error.
func FuzzDecodePNG(f *testing.F) {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 3, 2)))
	f.Add(b.Bytes())
	b.Reset()
	png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 2, 2)))
	f.Add(b.Bytes())
	files, _ := filepath.Glob(filepath.Join("testdata", "folder", "*", "*.png"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		values, rows, cols, gray, err := decodePNG(data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error on several lines: %q", err)
			}
			return
		}
		per := 3
		if gray {
			per = 1
		}
		if len(values) != rows*cols*per {
			t.Fatalf("%d values for %d×%d×%d", len(values), rows, cols, per)
		}
		for _, v := range values {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("value %g outside [0, 1]", v)
			}
		}
	})
}
