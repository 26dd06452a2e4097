package training_test

import (
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// trainableWeights copies m's trainable weights out, by variable path.
func trainableWeights(t testing.TB, m interface{ Store() *model.Store }) map[string][]float32 {
	t.Helper()
	w := map[string][]float32{}
	for v := range m.Store().IterVariables() {
		if !v.Trainable {
			continue
		}
		value, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		w[v.Path()] = tensors.MustCopyFlatData[float32](value)
	}
	if len(w) == 0 {
		t.Fatal("the model has no trainable weights")
	}
	return w
}

// requireSameWeights fails the test at the first weight where got and want
// differ by a bit, naming what: the two runs should end bit for bit equal.
func requireSameWeights(t testing.TB, what string, got, want map[string][]float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d weight variables, want %d", what, len(got), len(want))
	}
	for path, w := range got {
		if len(w) != len(want[path]) {
			t.Fatalf("%s: %s holds %d values, want %d", what, path, len(w), len(want[path]))
		}
		for i := range w {
			if w[i] != want[path][i] {
				t.Fatalf("%s: %s[%d] is %v, want %v", what, path, i, w[i], want[path][i])
			}
		}
	}
}
