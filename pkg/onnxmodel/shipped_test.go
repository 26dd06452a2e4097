package onnxmodel_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/boundary"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/onnxmodel"
	"github.com/advmlgo/advml/pkg/robustness"
)

// shippedTorch is the PyTorch model in models/ (models/train_torch_mnist.py)
// with what its training wrote: its normalisation, torch's test accuracy
// and torch's logits on the first test digits.
type shippedTorch struct {
	Mean, Std    []float32
	TestAccuracy float64     `json:"test_accuracy"`
	FirstLogits  [][]float64 `json:"first_logits"`
}

func loadShippedTorch(t *testing.T) (*onnxmodel.Model, shippedTorch) {
	t.Helper()
	dir := filepath.Join("..", "..", "models")
	data, err := os.ReadFile(filepath.Join(dir, "mnist_torch.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s shippedTorch
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	m, err := onnxmodel.Load(testutil.XLA(t), filepath.Join(dir, "mnist_torch.onnx"), onnxmodel.Options{Mean: s.Mean, Std: s.Std})
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

// The trained PyTorch model, loaded with its normalisation, gives torch's
// logits on the first test digits and torch's accuracy on all 10,000.
func TestShippedPyTorchModelIsTorchs(t *testing.T) {
	m, s := loadShippedTorch(t)
	test := testutil.MNIST(t).Test
	n := len(s.FirstLogits)
	logits := logitsOf(t, m, test.Images[:n*mnist.Pixels], n)
	for i, row := range s.FirstLogits {
		for c, want := range row {
			if got := float64(logits[i*10+c]); math.Abs(got-want) > 1e-4*math.Max(1, math.Abs(want)) {
				t.Errorf("digit %d, class %d: logit %g, torch's %g", i, c, got, want)
			}
		}
	}
	classes, _, err := classifier.Classify(m, test.Images)
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for i, c := range classes {
		if c == test.Labels[i] {
			right++
		}
	}
	// Float rounding may flip a digit on the edge; two of 10,000 at most.
	if acc := float64(right) / float64(len(classes)); math.Abs(acc-s.TestAccuracy) > 2e-4 {
		t.Errorf("test accuracy %.4f here, %.4f in torch", acc, s.TestAccuracy)
	}
}

// What takes a classifier takes an imported one: AutoAttack with its
// sanity checks on a model of 5 classes and colour 32×32 images (APGD-T
// and FAB-T over its 4 wrong classes), Transfer both ways between the
// PyTorch model and the article's CNN, and the boundary map.
func TestEvaluationsTakeImportedModels(t *testing.T) {
	testutil.Slow(t)
	keras, err := onnxmodel.Load(testutil.XLA(t), filepath.Join("testdata", "kerasstyle.onnx"), onnxmodel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	images := testImages(6, keras.Geometry())
	labels, _, err := keras.Classify(images)
	if err != nil {
		t.Fatal(err)
	}
	r, err := robustness.AutoAttack(keras, images, labels, attack.Linf, 0.3, 0)
	if err != nil {
		t.Fatalf("AutoAttack on 5 classes: %v", err)
	}
	if len(r.Attacks) != 4 || r.CleanAccuracy != 1 || len(r.PerClass) != 5 {
		t.Errorf("AutoAttack on the Keras-style model:\n%s", r.Table())
	}
	for k := 1; k < len(r.AfterAttack); k++ {
		if r.AfterAttack[k][0] > r.AfterAttack[k-1][0] {
			t.Errorf("robust accuracy rose from attack %d to %d:\n%s", k-1, k, r.Table())
		}
	}
	for _, c := range r.Sanity[:4] { // Bounds, budget, verdicts, determinism: whatever the weights.
		if !c.Passed {
			t.Errorf("sanity check failed on the Keras-style model: %v", c)
		}
	}

	torch, _ := loadShippedTorch(t)
	article := testutil.Trained(t)
	test := testutil.MNIST(t).Test
	const n = 40
	digits, digitLabels := test.Images[:n*mnist.Pixels], test.Labels[:n]
	pgd := attack.NewPGD(attack.Linf)
	pgd.Steps, pgd.LastIterate = 20, true
	for _, pair := range []struct {
		name           string
		source, target classifier.Predictor
	}{{"PyTorch → article", torch, article}, {"article → PyTorch", article, torch}} {
		tr, err := robustness.Transfer(pair.source, pair.target, digits, digitLabels, pgd, 0.3)
		if err != nil {
			t.Fatalf("%s: %v", pair.name, err)
		}
		// White-box PGD at 0.3 breaks the source, and its adversarials
		// lower the target's accuracy too.
		if tr.SourceAccuracy[0] > 0.1 || tr.TargetAccuracy[0] >= tr.TargetCleanAccuracy || tr.TargetCleanAccuracy < 0.9 {
			t.Errorf("%s:\n%s", pair.name, tr.Table())
		}
		t.Logf("%s: target accuracy %.2f on the source's adversarials (clean %.2f)", pair.name, tr.TargetAccuracy[0], tr.TargetCleanAccuracy)
	}

	cw := boundary.MapAttack()
	cw.BinarySearchSteps, cw.Steps = 2, 40
	mp, err := boundary.Build(torch, test.Images[:200*mnist.Pixels], test.Labels[:200], 1, cw)
	if err != nil {
		t.Fatalf("boundary map of the PyTorch model: %v", err)
	}
	medians, err := mp.Medians(attack.L2)
	if err != nil {
		t.Fatal(err)
	}
	finite := 0
	for s := range medians {
		for c, v := range medians[s] {
			if s != c && !math.IsInf(v, 1) && v > 0 {
				finite++
			}
		}
	}
	if finite < 45 {
		t.Errorf("the map pushed only %d of 90 pairs across the boundary", finite)
	}
}
