package classifier_test

import (
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
)

// dense builds layers of the given names and widths under the scope "net",
// on 4×4 images of 3 classes.
func dense(names []string, widths []int) classifier.LogitsFunc {
	return func(scope *model.Scope, images *Node) *Node {
		x := Reshape(images, images.Shape().Dimensions[0], -1)
		net := scope.In("net")
		for k, name := range names {
			x = layers.Dense(net.In("%s", name), x, true, widths[k])
			if k < len(names)-1 {
				x = activation.Relu(x)
			}
		}
		return x
	}
}

// Load refuses a checkpoint of another architecture, in one line, where it
// used to fill the missing weights at random: a layer renamed, resized,
// added or removed.
func TestLoadChecksTheArchitecture(t *testing.T) {
	b := testutil.XLA(t)
	g := classifier.Geometry{Rows: 4, Cols: 4, Channels: 1, Classes: 3}
	build := func(logits classifier.LogitsFunc) *classifier.Model {
		m, err := classifier.New(b, model.NewStore(), g, logits)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	images := make([]float32, 2*g.Pixels())
	for i := range images {
		images[i] = float32(i%7) / 7
	}
	saved := build(dense([]string{"a", "b", "c"}, []int{8, 8, 3}))
	want, err := saved.Predict(images)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := saved.Save(dir); err != nil {
		t.Fatal(err)
	}
	same := build(dense([]string{"a", "b", "c"}, []int{8, 8, 3}))
	if err := same.Load(dir); err != nil {
		t.Fatalf("the same architecture: %v", err)
	}
	if got, err := same.Predict(images); err != nil || !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("loaded predictions %v (%v), saved %v", got, err, want)
	}
	for _, tc := range []struct {
		name   string
		layers []string
		widths []int
		want   string
	}{
		{"renamed", []string{"a", "b2", "c"}, []int{8, 8, 3}, "/net/b2/dense/"},
		{"added", []string{"a", "b", "b2", "c"}, []int{8, 8, 8, 3}, "is not in it"},
		{"removed", []string{"a", "c"}, []int{8, 3}, "/net/b/dense/"},
		{"resized", []string{"a", "b", "c"}, []int{16, 8, 3}, "shape"},
	} {
		err := build(dense(tc.layers, tc.widths)).Load(dir)
		if err == nil || !strings.Contains(err.Error(), "classifier.Load: the checkpoint in ") || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s layer: %v, want a one-line error with %q", tc.name, err, tc.want)
		}
	}
}
