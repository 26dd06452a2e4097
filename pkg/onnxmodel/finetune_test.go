package onnxmodel_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/onnxmodel"
	"github.com/advmlgo/advml/pkg/robustness"
	"github.com/advmlgo/advml/pkg/training"
)

// The imported PyTorch model fine-tuned against PGD (package training, on
// the model as onnxmodel.Load gives it) is written back as ONNX: the file
// loads with the fine-tuned predictions, not the original's, and the
// fine-tuned model resists PGD better than the original.
func TestFineTunedModelIsWrittenBack(t *testing.T) {
	testutil.Slow(t)
	m, s := loadShippedTorch(t)
	data := testutil.MNIST(t)
	test := data.Test.Head(200)
	pgd := attack.NewPGD(attack.Linf)
	pgd.Steps, pgd.RelStepSize = 10, 0.25 // 2.5ε/10, the usual rule.
	robust := func(m *onnxmodel.Model) float64 {
		t.Helper()
		r, err := robustness.Evaluate(m, test.Images, test.Labels, []attack.Attack{pgd}, 0.1)
		if err != nil {
			t.Fatal(err)
		}
		return r.RobustAccuracy[0]
	}
	before := robust(m)
	original, err := m.Predict(test.Images)
	if err != nil {
		t.Fatal(err)
	}
	opts := training.Options{MaxEpochs: 1, Seed: 1, Adversary: training.PGDTraining(0.1)}
	opts.Adversary.Steps, opts.Adversary.StepSize, opts.Adversary.WarmupEpochs = 5, 0.05, 0
	if _, err := training.Train(m, data.Train.Head(3000), data.Validation.Head(200), opts); err != nil {
		t.Fatal(err)
	}
	after := robust(m)
	tuned, err := m.Predict(test.Images)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tuned.onnx")
	if err := m.WriteONNX(path); err != nil {
		t.Fatal(err)
	}
	back, err := onnxmodel.Load(testutil.XLA(t), path, onnxmodel.Options{Mean: s.Mean, Std: s.Std})
	if err != nil {
		t.Fatalf("the written file: %v", err)
	}
	written, err := back.Predict(test.Images)
	if err != nil {
		t.Fatal(err)
	}
	for i := range tuned {
		for c := range tuned[i] {
			if d := tuned[i][c] - written[i][c]; d > 1e-6 || d < -1e-6 {
				t.Fatalf("image %d class %d: %g fine-tuned, %g from the written file", i, c, tuned[i][c], written[i][c])
			}
		}
	}
	if slices.EqualFunc(original, written, slices.Equal) {
		t.Error("the written file predicts as the original: the fine-tuned weights were not written")
	}
	if !(after > before) {
		t.Errorf("PGD-10 robust accuracy at ε 0.1 on %d digits: %.3f before fine-tuning, %.3f after; want a rise", test.Len(), before, after)
	}
	t.Logf("PGD-10 at ε 0.1 on %d digits: %.3f before, %.3f after one epoch of PGD training on 3,000", test.Len(), before, after)
	if err := m.WriteONNX(filepath.Join(t.TempDir(), "no", "such", "dir.onnx")); err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("a folder that does not exist: %v", err)
	}
}
