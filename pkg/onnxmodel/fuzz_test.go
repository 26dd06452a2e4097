package onnxmodel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
)

// FuzzRead feeds arbitrary bytes to the reader, starting from the fixtures
// and broken copies of them: it must return a model or one line of error,
// never panic, loop or allocate what the file only claims to hold.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"torchstyle.onnx", "kerasstyle.onnx"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
		f.Add(data[len(data)/3:])
	}
	f.Add([]byte{})
	f.Add([]byte("\x0a\x05hello"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := read(testutil.XLA(t), data, "fuzz.onnx", Options{})
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error of several lines: %v", err)
			}
			return
		}
		if g := m.Geometry(); g.Pixels() < 1 || g.Classes < 2 {
			t.Fatalf("model read with geometry %v", g)
		}
	})
}
