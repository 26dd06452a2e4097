package notebook_test

import (
	"errors"
	"image"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/notebook"
	"github.com/advmlgo/advml/pkg/training"
)

// failures records what Fail would have ended a cell with.
func failures(t *testing.T) *[]error {
	var got []error
	saved := notebook.Fail
	notebook.Fail = func(err error) { got = append(got, err) }
	t.Cleanup(func() { notebook.Fail = saved })
	return &got
}

func TestSessionLoadsOnceAndCaches(t *testing.T) {
	testutil.Slow(t)
	dir := t.TempDir()
	s := notebook.NewSession(dir, false)
	// What is checked is that it trains once, not how well: 1,000 images.
	s.TrainImages, s.Training.MaxEpochs, s.Training.ProgressBar = 1000, 1, false
	if s.Data() != s.Data() || s.Test().Len() != 10000 {
		t.Fatal("Data is not loaded once")
	}
	m := s.Model()
	if m != s.Model() || m.Config.Filters == 0 {
		t.Fatal("Model is not trained once")
	}
	calls := 0
	compute := func() ([]float32, error) { calls++; return []float32{1, 2, 3}, nil }
	a := notebook.Cached(s, "numbers", compute)
	b := notebook.Cached(s, "numbers", compute)
	c := notebook.Cached(s, "other", compute)
	if calls != 2 || len(b) != 3 || b[2] != 3 || len(a) != len(c) {
		t.Errorf("computed %d times for two keys; got %v %v %v", calls, a, b, c)
	}
	// A second session on the same folder loads what the first trained.
	if again := notebook.NewSession(dir, false); !again.Trained().Loaded {
		t.Error("the session trained again although the folder holds a checkpoint")
	}
}

func TestShowAndCheckEndTheCellOnError(t *testing.T) {
	got := failures(t)
	notebook.Show(nil, errors.New("no figure"))
	notebook.Check(nil)
	notebook.Show(image.NewRGBA(image.Rect(0, 0, 2, 2)), nil) // Outside a notebook: nothing shown, no failure.
	if len(*got) != 1 || !strings.Contains((*got)[0].Error(), "no figure") {
		t.Errorf("failures %v, want the one error", *got)
	}
}

func TestTestImagesAreCapped(t *testing.T) {
	s := notebook.NewSession(t.TempDir(), false)
	images, labels := s.TestImages(2)
	next, nextLabel := s.Test().Images[2*784], s.Test().Labels[2]
	images = append(images, next+0.5)
	labels = append(labels, nextLabel+1)
	if s.Test().Images[2*784] != next || s.Test().Labels[2] != nextLabel {
		t.Fatal("appending to TestImages' slices overwrote the test image after them")
	}
	if len(images) != 2*784+1 || len(labels) != 3 {
		t.Fatalf("appends lost: %d values, %d labels", len(images), len(labels))
	}
}

func TestSmallRunsAreSmall(t *testing.T) {
	s := notebook.NewSession(t.TempDir(), false)
	t.Setenv(notebook.SmallEnv, "")
	if images, labels := s.TestImages(100); len(labels) != 100 || len(images) != 100*784 || notebook.Small(20, 1) != 20 {
		t.Fatalf("%s unset: %d labels, %d values, Small(20, 1) = %d; want 100, 78400 and 20", notebook.SmallEnv, len(labels), len(images), notebook.Small(20, 1))
	}
	t.Setenv(notebook.SmallEnv, "1")
	images, labels := s.TestImages(100)
	if len(labels) != notebook.SmallDigits || len(images) != notebook.SmallDigits*784 || notebook.Small(20, 1) != 1 {
		t.Fatalf("%s set: %d labels, %d values, Small(20, 1) = %d; want %d, %d and 1", notebook.SmallEnv, len(labels), len(images), notebook.Small(20, 1), notebook.SmallDigits, notebook.SmallDigits*784)
	}
	if few, _ := s.TestImages(3); len(few) != 3*784 {
		t.Fatalf("%s set: TestImages(3) gave %d values, want 3 images", notebook.SmallEnv, len(few))
	}
}

// TestSessionSeedSeedsTraining: the session's Seed alone decides the
// weights and the shuffling of the model it trains, whatever Training.Seed
// holds.
func TestSessionSeedSeedsTraining(t *testing.T) {
	testutil.Slow(t)
	session := func(dir string) *notebook.Session {
		s := notebook.NewSession(dir, false)
		s.Seed, s.Training.Seed = 7, 1
		s.TrainImages, s.Training.MaxEpochs, s.Training.ProgressBar = 1000, 1, false
		return s
	}
	s := session(t.TempDir())
	opts := s.Training
	opts.Seed = 7
	data := *s.Data()
	data.Train = data.Train.Head(1000)
	want, err := training.LoadOrTrain(s.Backend(), t.TempDir(), &data, cnn.Default, opts, false)
	if err != nil {
		t.Fatal(err)
	}
	images, _ := s.TestImages(20)
	got, err := s.Model().Predict(images)
	if err != nil {
		t.Fatal(err)
	}
	expected, err := want.Model.Predict(images)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if !slices.Equal(got[i], expected[i]) {
			t.Fatalf("image %d: the session's model predicts %v, a training seeded by the session's Seed %v", i, got[i], expected[i])
		}
	}
}

func TestFitTrainsOnceThenLoads(t *testing.T) {
	testutil.Slow(t)
	got := failures(t)
	s := notebook.NewSession(t.TempDir(), false)
	s.Training.MaxEpochs, s.Training.ProgressBar = 1, false
	dir := filepath.Join(t.TempDir(), "linear")
	build := func() *classifier.Model {
		m, err := classifier.New(s.Backend(), model.NewStore(), mnist.Geometry, testutil.Linear)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	first := build()
	h := s.Fit(first, dir)
	second := build() // As the next cell would: a new program, a new model, the same folder.
	again := s.Fit(second, dir)
	images := s.Test().Images[:10*mnist.Pixels]
	a, errA := first.Predict(images)
	b, errB := second.Predict(images)
	if len(*got) != 0 || errA != nil || errB != nil {
		t.Fatalf("failures %v, %v, %v", *got, errA, errB)
	}
	if len(h.Epochs) != 1 || len(again.Epochs) != 1 || a[3][7] != b[3][7] || a[9][1] != b[9][1] {
		t.Errorf("trained %d epochs, loaded a history of %d; predictions %g/%g and %g/%g: want the saved model back",
			len(h.Epochs), len(again.Epochs), a[3][7], b[3][7], a[9][1], b[9][1])
	}
}

// TestFitWithTakesTheCallersSeed: FitWith trains with the options it is
// given, their Seed included, and Fit with the session's Seed; both on the
// session's first TrainImages images.
func TestFitWithTakesTheCallersSeed(t *testing.T) {
	testutil.Slow(t)
	got := failures(t)
	s := notebook.NewSession(t.TempDir(), false)
	s.TrainImages, s.Training.MaxEpochs, s.Training.ProgressBar = 1000, 1, false
	build := func() *classifier.Model {
		m, err := classifier.New(s.Backend(), model.NewStore(), mnist.Geometry, testutil.Linear)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	opts := s.Training
	opts.Seed = 7
	withSeven, sessions := build(), build()
	s.FitWith(withSeven, filepath.Join(t.TempDir(), "seven"), opts)
	s.Fit(sessions, filepath.Join(t.TempDir(), "session"))
	data := *s.Data()
	data.Train = data.Train.Head(1000)
	want := build()
	if _, _, err := training.LoadOrFit(want, filepath.Join(t.TempDir(), "direct"), &data, opts, false); err != nil {
		t.Fatal(err)
	}
	images := s.Test().Images[:20*mnist.Pixels]
	predict := func(m *classifier.Model) [][]float32 {
		p, err := m.Predict(images)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b, c := predict(withSeven), predict(want), predict(sessions)
	if len(*got) != 0 {
		t.Fatalf("failures %v", *got)
	}
	differs := false
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Fatalf("image %d: FitWith with seed 7 predicts %v, training.LoadOrFit with seed 7 on 1,000 images %v", i, a[i], b[i])
		}
		differs = differs || !slices.Equal(a[i], c[i])
	}
	if !differs {
		t.Error("FitWith with seed 7 and Fit with the session's seed 1 trained the same model")
	}
}

// TestCertifiedSession: the shipped certified checkpoint loads without
// training, as cnn.Robust; a folder without one falls back to the short
// demonstration of the same CROWN-IBP training.
func TestCertifiedSession(t *testing.T) {
	shipped := notebook.NewCertifiedSession(filepath.Join("..", "..", "checkpoints", "certified"))
	if shipped.Demo() {
		t.Fatalf("the shipped checkpoint in %s is not found: the session would train a demonstration", shipped.CheckpointDir)
	}
	trained := shipped.Trained()
	if !trained.Loaded || trained.Model.Config != cnn.Robust {
		t.Errorf("loaded %v with %v, want the shipped %v loaded without training", trained.Loaded, trained.Model.Config, cnn.Robust)
	}
	missing := filepath.Join(t.TempDir(), "certified")
	demo := notebook.NewCertifiedSession(missing)
	if !demo.Demo() || demo.CheckpointDir != missing+"-demo" || demo.Training.Adversary.Mode != training.ModeCROWNIBP ||
		demo.Training.Adversary.WarmupEpochs >= demo.Training.MaxEpochs {
		t.Errorf("without a checkpoint: demo %v in %s, training %v over %d epochs; want the CROWN-IBP demonstration in %s-demo",
			demo.Demo(), demo.CheckpointDir, demo.Training.Adversary, demo.Training.MaxEpochs, missing)
	}
}

// A session on Fashion-MNIST reads it and trains its model on it.
func TestFashionSession(t *testing.T) {
	testutil.Slow(t)
	s := notebook.NewSession(mnist.Fashion.Folder(filepath.Join(t.TempDir(), "cnn")), false)
	s.Dataset = mnist.Fashion
	s.TrainImages, s.Training.MaxEpochs, s.Training.ProgressBar = 2000, 1, false
	if d := s.Data(); d.Dataset != mnist.Fashion || d.Test.Len() != 10000 {
		t.Fatalf("the session's data: %v, %d test images", d.Dataset, d.Test.Len())
	}
	images, labels := s.TestImages(200)
	_, accuracy, err := s.Model().Evaluate(images, labels)
	if err != nil {
		t.Fatal(err)
	}
	// One epoch on 2,000 clothing images: well above chance (10%), below
	// what the same training reaches on digits.
	if accuracy < 0.5 {
		t.Errorf("the Fashion session's model: %.2f on 200 test images after one epoch", accuracy)
	}
}
