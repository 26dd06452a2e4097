package testutil_test

import (
	"flag"
	"math"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
)

var remake = flag.Bool("remake", false, "write the shipped test models in testdata/ from their recipes")

// weights returns a store's float32 variables by path, the trainable
// ones only if trainable is set (a loaded store does not know which are).
func weights(t *testing.T, store *model.Store, trainable bool) map[string][]float32 {
	t.Helper()
	w := map[string][]float32{}
	for v := range store.IterVariables() {
		value, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		if (trainable && !v.Trainable) || value.DType() != dtypes.Float32 {
			continue
		}
		w[v.Path()] = tensors.MustCopyFlatData[float32](value)
	}
	return w
}

// TestShippedModelsAreTheirRecipes trains both test models anew from their
// recipes and holds the shipped copies to them: the same weights (up to
// 1e-5 of their norm, room for another CPU's sum order; on one machine
// they are equal) and the same test accuracy. With -remake it writes the
// copies instead.
func TestShippedModelsAreTheirRecipes(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two models (about 30 s)")
	}
	b, data := testutil.XLA(t), testutil.MNIST(t)
	trained, err := testutil.TrainTrained(b, data)
	if err != nil {
		t.Fatal(err)
	}
	mlp, err := testutil.TrainMLP(b, data)
	if err != nil {
		t.Fatal(err)
	}
	fresh := map[string]*classifier.Model{testutil.TrainedName: trained.Model, testutil.MLPName: mlp}
	if *remake {
		for name, m := range fresh {
			if err := m.Save(testutil.ShippedDir(name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	shipped := map[string]*classifier.Model{testutil.TrainedName: testutil.Trained(t).Model, testutil.MLPName: testutil.MLP(t)}
	test := data.Test
	for name, m := range fresh {
		want, got := weights(t, m.Store(), true), weights(t, shipped[name].Store(), false)
		if len(want) == 0 {
			t.Fatalf("%s: the recipe made no weights", name)
		}
		var diff2, norm2 float64
		for path, w := range want {
			g, found := got[path]
			if !found || len(g) != len(w) {
				t.Fatalf("%s: %s holds %d weights shipped, %d from the recipe", name, path, len(g), len(w))
			}
			for i := range w {
				diff2 += float64(w[i]-g[i]) * float64(w[i]-g[i])
				norm2 += float64(w[i]) * float64(w[i])
			}
		}
		if rel := math.Sqrt(diff2 / norm2); !(rel <= 1e-5) {
			t.Errorf("%s: the shipped weights are %.3g of their norm away from the recipe's: the recipe changed; run this test with -remake", name, rel)
		}
		_, wantAcc, err := m.Evaluate(test.Images, test.Labels)
		if err != nil {
			t.Fatal(err)
		}
		_, gotAcc, err := shipped[name].Evaluate(test.Images, test.Labels)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: test accuracy %.4f shipped, %.4f from the recipe", name, gotAcc, wantAcc)
		if math.Abs(gotAcc-wantAcc) > 1e-3 || gotAcc < 0.9 {
			t.Errorf("%s: test accuracy %.4f shipped, %.4f from the recipe (want equal, and above 0.9)", name, gotAcc, wantAcc)
		}
	}
}
