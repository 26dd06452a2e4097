package cnn_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/cnn"
)

func TestWeightsMatchConfig(t *testing.T) {
	b := testutil.XLA(t)
	for _, cfg := range []cnn.Config{cnn.Default, {Filters: 6, Kernel: 3, Pool: 2}, {Filters: 30, Kernel: 5, Pool: 4}} {
		m, err := cnn.New(b, cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.NumParams(), cfg.NumParams(); got != want {
			t.Errorf("%s: %d trainable weights in the store, config says %d", cfg, got, want)
		}
	}
}

func TestSummary(t *testing.T) {
	m, err := cnn.New(testutil.XLA(t), cnn.Config{Filters: 16, Kernel: 3, Pool: 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	s := m.Summary()
	for _, want := range []string{
		"conv2d (Conv2D)", "(None, 26, 26, 16)", "160",
		"max_pooling2d (MaxPooling2D)", "(None, 8, 8, 16)",
		"flatten (Flatten)", "(None, 1024)",
		"dense (Dense)", "(None, 10)", "10,250",
		"Trainable params: 10,410",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("Summary lacks %q:\n%s", want, s)
		}
	}
}

func TestPredict(t *testing.T) {
	m := testutil.Trained(t)
	test := testutil.MNIST(t).Test
	probs, err := m.Predict(test.Images[:5*784])
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != 5 {
		t.Fatalf("%d predictions for 5 images", len(probs))
	}
	for i, p := range probs {
		sum := 0.0
		for _, v := range p {
			if v < 0 || v > 1 {
				t.Errorf("image %d: probability %g outside [0,1]", i, v)
			}
			sum += float64(v)
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Errorf("image %d: probabilities sum to %g", i, sum)
		}
	}
	classes, confidences, err := m.Classify(test.Images[:5*784])
	if err != nil {
		t.Fatal(err)
	}
	for i := range classes {
		if confidences[i] != probs[i][classes[i]] || classifier.Argmax(probs[i]) != classes[i] {
			t.Errorf("image %d: Classify (%d, %g) disagrees with Predict %v", i, classes[i], confidences[i], probs[i])
		}
	}
	if _, err := m.Predict(make([]float32, 783)); err == nil || !strings.Contains(err.Error(), "783") {
		t.Errorf("Predict on 783 values: got %v, want an error naming the length", err)
	}
}

func TestEvaluateAgreesWithPredict(t *testing.T) {
	m := testutil.Trained(t)
	test := testutil.MNIST(t).Test
	n := 1500 // Spans a full and a partial evaluation batch.
	images, labels := test.Images[:n*784], test.Labels[:n]
	meanLoss, acc, err := m.Evaluate(images, labels)
	if err != nil {
		t.Fatal(err)
	}
	probs, err := m.Predict(images)
	if err != nil {
		t.Fatal(err)
	}
	var wantLoss, correct float64
	for i, p := range probs {
		wantLoss -= math.Log(float64(p[labels[i]]))
		if classifier.Argmax(p) == labels[i] {
			correct++
		}
	}
	wantLoss /= float64(n)
	if math.Abs(meanLoss-wantLoss) > 1e-4*wantLoss || acc != correct/float64(n) {
		t.Errorf("Evaluate = (%g, %g), Predict gives (%g, %g)", meanLoss, acc, wantLoss, correct/float64(n))
	}
	if acc < 0.9 {
		t.Errorf("the test model is only %.3f accurate", acc)
	}
	if _, _, err := m.Evaluate(images, labels[:n-1]); err == nil {
		t.Error("Evaluate with one label missing: no error")
	}
	bad := append([]int(nil), labels...)
	bad[7] = 10
	if _, _, err := m.Evaluate(images, bad); err == nil || !strings.Contains(err.Error(), "label 10 of image 7 is not a class: use 0 to 9") {
		t.Errorf("Evaluate with label 10: got %v", err)
	}
}

func TestSeedFixesWeights(t *testing.T) {
	b := testutil.XLA(t)
	image := testutil.MNIST(t).Test.Image(0)
	predict := func(seed int64) []float32 {
		m, err := cnn.New(b, cnn.Default, seed)
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.Predict(image)
		if err != nil {
			t.Fatal(err)
		}
		return p[0]
	}
	a, a2, c := predict(7), predict(7), predict(8)
	for i := range a {
		if a[i] != a2[i] {
			t.Fatalf("seed 7 twice: %v vs %v", a, a2)
		}
	}
	same := true
	for i := range a {
		same = same && a[i] == c[i]
	}
	if same {
		t.Fatalf("seeds 7 and 8 gave the same model")
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	m := testutil.Trained(t)
	images := testutil.MNIST(t).Test.Images[:50*784]
	dir := filepath.Join(t.TempDir(), "model")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	if !cnn.Exists(dir) {
		t.Fatalf("no checkpoint in %s after Save", dir)
	}
	loaded, err := cnn.Load(m.Backend(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Config != m.Config {
		t.Fatalf("loaded config %s, saved %s", loaded.Config, m.Config)
	}
	want, _ := m.Predict(images)
	got, err := loaded.Predict(images)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		for k := range want[i] {
			if got[i][k] != want[i][k] {
				t.Fatalf("image %d class %d: %g after loading, %g before", i, k, got[i][k], want[i][k])
			}
		}
	}
	// Saving again replaces the checkpoint and leaves no temporary folders.
	if err := loaded.Save(dir); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("after two saves the parent folder holds %d entries, want 1", len(entries))
	}
}

func TestLoadErrors(t *testing.T) {
	b := testutil.XLA(t)
	empty := t.TempDir()
	_, err := cnn.Load(b, empty)
	if !errors.Is(err, cnn.ErrNoCheckpoint) || !strings.Contains(err.Error(), empty) {
		t.Errorf("Load of an empty folder: got %v, want ErrNoCheckpoint naming the folder", err)
	}
	corrupt := t.TempDir()
	if err := os.WriteFile(filepath.Join(corrupt, "checkpoint-n0000001-20260101-000000-step-00000001.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := cnn.Load(b, corrupt); err == nil || !strings.Contains(err.Error(), corrupt) {
		t.Errorf("Load of a corrupt checkpoint: got %v, want an error naming the folder", err)
	}
}
