package experiment_test

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/experiment"
	"github.com/advmlgo/advml/pkg/training"
)

func TestRandomPairs(t *testing.T) {
	test := testutil.MNIST(t).Test
	images, crit := experiment.RandomPairs(test, 200, 7)
	if len(images) != 200*784 || len(crit.Targets) != 200 || len(crit.Labels) != 200 {
		t.Fatalf("%d pixels, %d targets, %d labels for 200 pairs", len(images), len(crit.Targets), len(crit.Labels))
	}
	seen := map[int]bool{}
	for i := range 200 {
		if crit.Targets[i] == crit.Labels[i] || crit.Targets[i] < 0 || crit.Targets[i] > 9 {
			t.Fatalf("pair %d: target %d, label %d", i, crit.Targets[i], crit.Labels[i])
		}
		seen[crit.Targets[i]] = true
	}
	if len(seen) != 10 {
		t.Errorf("200 pairs used only the targets %v", seen)
	}
	again, crit2 := experiment.RandomPairs(test, 200, 7)
	other, _ := experiment.RandomPairs(test, 200, 8)
	same, differs := true, false
	for i := range images {
		same = same && images[i] == again[i]
		differs = differs || images[i] != other[i]
	}
	for i := range crit.Targets {
		same = same && crit.Targets[i] == crit2.Targets[i]
	}
	if !same || !differs {
		t.Errorf("same seed gives the same pairs: %v; another seed other pairs: %v", same, differs)
	}
}

func TestRandomOfClass(t *testing.T) {
	test := testutil.MNIST(t).Test
	i := experiment.RandomOfClass(test, 5, 1)
	if i < 0 || test.Labels[i] != 5 || experiment.RandomOfClass(test, 5, 1) != i {
		t.Fatalf("RandomOfClass(5) = %d (label %d), not a repeatable 5", i, test.Labels[i])
	}
	if experiment.RandomOfClass(test, 11, 1) != -1 {
		t.Error("class 11 should have no image")
	}
}

func TestSummarize(t *testing.T) {
	// Three images of two values, two classes: perturbations (0.3, 0.4),
	// (0.6, 0.8) and (0, 0.2), so L2 0.5, 1, 0.2 and L∞ 0.4, 0.8, 0.2.
	res := &attack.Result{
		Geometry:      classifier.Geometry{Rows: 1, Cols: 2, Channels: 1, Classes: 2},
		Criterion:     attack.Misclassification{Labels: []int{0, 0, 0}},
		Originals:     []float32{0, 0, 0, 0, 0, 0},
		Clean:         []float32{1, 0, 1, 0, 1, 0},
		Epsilons:      []float64{math.Inf(1)},
		Clipped:       [][]float32{{0.3, 0.4, 0.6, 0.8, 0, 0.2}},
		Success:       [][]bool{{true, false, true}},
		Probabilities: [][]float32{{0.4, 0.6, 0.9, 0.1, 0.3, 0.7}},
		Steps:         [][]int{{10, 1000, 20}},
	}
	s := experiment.Summarize(res)
	if s.N != 3 || s.SuccessRate != 2.0/3 || s.MedianSteps != 20 || s.MedianL2 != 0.5 || s.MedianLinf != 0.4 || s.MedianConfidence != 0.7 {
		t.Errorf("Summarize = %+v", s)
	}
}

func TestWriteFigures(t *testing.T) {
	testutil.Slow(t)
	m := testutil.Trained(t)
	test := testutil.MNIST(t).Test
	images, crit := experiment.RandomPairs(test, 3, 1)
	res, err := attack.NewTargetedAscent().Run(m, images, crit)
	if err != nil {
		t.Fatal(err)
	}
	h := &training.History{Epochs: []training.EpochMetrics{{Epoch: 1, Loss: 0.3, Accuracy: 0.9, ValLoss: 0.2, ValAccuracy: 0.95}, {Epoch: 2, Loss: 0.2, Accuracy: 0.95, ValLoss: 0.15, ValAccuracy: 0.96}}, BestEpoch: 2}
	dir := t.TempDir()
	files, err := experiment.WriteFigures(dir, test, h, res)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"samples.png", "training_curves.png", "attack_example.png", "trajectory.png", "gallery.png"}
	if len(files) != len(want) {
		t.Fatalf("wrote %v", files)
	}
	for i, name := range want {
		if files[i] != filepath.Join(dir, name) {
			t.Errorf("file %d is %s, want %s", i, files[i], name)
		}
		f, err := os.Open(files[i])
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() < 100 {
			t.Errorf("%s: not a sizeable PNG: %v", name, err)
		}
	}
}
