package onnxmodel_test

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/onnxmodel"
)

// The project's networks go the other way: the article's CNN, the shipped
// robust network and a strided one, saved as ONNX and loaded back, give the same
// logits (within float rounding) and the same class on 1,000 test digits.
func TestSavedCNNsLoadBack(t *testing.T) {
	robust, err := cnn.Load(testutil.XLA(t), filepath.Join("..", "..", "checkpoints", "robust"))
	if err != nil {
		t.Fatal(err)
	}
	test := testutil.MNIST(t).Test
	const n = 1000
	images := test.Images[:n*mnist.Pixels]
	// Wong and Kolter's network, fresh: its convolutions have a stride of 2
	// and a pixel of padding, which onnx-gomlx reads from the file's
	// attributes and builds on its own.
	lenet, err := cnn.New(testutil.XLA(t), cnn.LeNetSmall, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		m    *cnn.Model
	}{{"article", testutil.Trained(t)}, {"robust", robust}, {"lenetsmall", lenet}} {
		path := filepath.Join(t.TempDir(), c.name+".onnx")
		if err := onnxmodel.SaveCNN(c.m, path); err != nil {
			t.Fatal(err)
		}
		back, err := onnxmodel.Load(testutil.XLA(t), path, onnxmodel.Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if back.Layout != onnxmodel.NHWC || back.Geometry() != c.m.Geometry() || back.Input != "images" {
			t.Errorf("%s: loaded back as %v %v input %q", c.name, back.Layout, back.Geometry(), back.Input)
		}
		want, got := logitsOf(t, &onnxmodel.Model{Model: c.m.Model}, images[:16*mnist.Pixels], 16), logitsOf(t, back, images[:16*mnist.Pixels], 16)
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-4*math.Max(1, math.Abs(float64(want[i]))) {
				t.Fatalf("%s: logit %d is %g loaded back, %g in Go", c.name, i, got[i], want[i])
			}
		}
		a, _, err := classifier.Classify(c.m, images)
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := classifier.Classify(back, images)
		if err != nil {
			t.Fatal(err)
		}
		for i := range a {
			if a[i] != b[i] {
				t.Errorf("%s: digit %d is a %d in Go, a %d loaded back", c.name, i, a[i], b[i])
			}
		}
	}
	// onnx-gomlx's conversion builds GoMLX's own convolution, whose input
	// gradient is a pixel off for LeNetSmall's 4×4 kernels: refused, in one
	// line, rather than attacked with wrong gradients.
	path := filepath.Join(t.TempDir(), "lenetsmall.onnx")
	if err := onnxmodel.SaveCNN(lenet, path); err != nil {
		t.Fatal(err)
	}
	if _, err := onnxmodel.Load(testutil.XLA(t), path, onnxmodel.Options{Converter: onnxmodel.ONNXGoMLX}); err == nil ||
		!strings.Contains(err.Error(), "of even size") || strings.Contains(err.Error(), "\n") {
		t.Errorf("a 4×4 kernel through onnx-gomlx's conversion: %v", err)
	}
	if err := onnxmodel.SaveCNN(nil, filepath.Join(t.TempDir(), "x.onnx")); err == nil || !strings.Contains(err.Error(), "the model is nil") {
		t.Errorf("nil model: %v", err)
	}
	mlp := &cnn.Model{Model: testutil.MLP(t), Config: cnn.Default}
	if err := onnxmodel.SaveCNN(mlp, filepath.Join(t.TempDir(), "x.onnx")); err == nil || !strings.Contains(err.Error(), "the model has no weights at") {
		t.Errorf("a model that is not its Config: %v", err)
	}
}
