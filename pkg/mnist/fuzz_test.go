package mnist

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// TestHostileHeaderAllocation checks that a header declaring the largest
// accepted count, with almost no data behind it, costs little memory.
func TestHostileHeaderAllocation(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		read func([]byte) error
	}{
		{"images", idxImages(MaxExamples, Rows, Cols, 1), func(d []byte) error {
			_, err := decodeImages(bytes.NewReader(d), "hostile")
			return err
		}},
		{"labels", idxLabels(MaxExamples, 1, 2, 3), func(d []byte) error {
			_, err := decodeLabels(bytes.NewReader(d), "hostile")
			return err
		}},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := c.read(c.data)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTruncated) {
			t.Errorf("%s: got %v, want ErrTruncated", c.name, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
			t.Errorf("%s: reading %d bytes allocated %d bytes", c.name, len(c.data), alloc)
		}
	}
}

// checkReadResult asserts what every reader result must satisfy, whatever
// the input: a one-line *FileError naming the input, or at most
// MaxExamples examples.
func checkReadResult(t *testing.T, n int, err error) {
	t.Helper()
	if err != nil {
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Fatalf("error %v is a %T, not a *FileError", err, err)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "mnist: fuzz: ") || strings.ContainsAny(msg, "\r\n") {
			t.Fatalf("bad message %q", msg)
		}
		return
	}
	if n > MaxExamples {
		t.Fatalf("%d examples accepted, more than MaxExamples", n)
	}
}

// FuzzReadImages feeds arbitrary bytes to the images reader, both as raw
// IDX data and as a gzip file: it must never panic, and never allocate
// more than the data that is actually there.
func FuzzReadImages(f *testing.F) {
	f.Add(idxImages(2, Rows, Cols, 2))
	f.Add(idxImages(3, Rows, Cols, 2))
	f.Add(idxImages(0, Rows, Cols, 0))
	f.Add(idxImages(0xFFFFFFFF, Rows, Cols, 0))
	f.Add(idxImages(MaxExamples, Rows, Cols, 1))
	f.Add(idxImages(1, 0xFFFFFFFF, 0xFFFFFFFF, 0))
	f.Add(idxLabels(2, 1, 2))
	f.Add(gz(idxImages(1, Rows, Cols, 1)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		images, err := decodeImages(bytes.NewReader(data), "fuzz")
		checkReadResult(t, len(images)/Pixels, err)
		if err == nil {
			if want := len(data) - 16; len(images) != want {
				t.Fatalf("%d pixels from %d bytes of data", len(images), want)
			}
			for _, v := range images {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("pixel %v outside [0,1]", v)
				}
			}
		}
		images, err = ReadImages(bytes.NewReader(data), "fuzz")
		checkReadResult(t, len(images)/Pixels, err)
		if err == nil && len(images)%Pixels != 0 {
			t.Fatalf("%d pixels is not a whole number of images", len(images))
		}
	})
}

// FuzzReadLabels does the same for the labels reader.
func FuzzReadLabels(f *testing.F) {
	f.Add(idxLabels(3, 0, 9, 5))
	f.Add(idxLabels(3, 0, 10, 5))
	f.Add(idxLabels(4, 0, 9, 5))
	f.Add(idxLabels(0xFFFFFFFF))
	f.Add(idxLabels(MaxExamples + 1))
	f.Add(idxImages(1, Rows, Cols, 1))
	f.Add(gz(idxLabels(2, 7, 2)))
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, data []byte) {
		labels, err := decodeLabels(bytes.NewReader(data), "fuzz")
		checkReadResult(t, len(labels), err)
		if err == nil && len(labels) != len(data)-8 {
			t.Fatalf("%d labels from %d bytes of data", len(labels), len(data)-8)
		}
		for _, l := range labels {
			if l < 0 || l >= NumClasses {
				t.Fatalf("label %d accepted", l)
			}
		}
		labels, err = ReadLabels(bytes.NewReader(data), "fuzz")
		checkReadResult(t, len(labels), err)
		for _, l := range labels {
			if l < 0 || l >= NumClasses {
				t.Fatalf("label %d accepted", l)
			}
		}
	})
}
