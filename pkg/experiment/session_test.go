package experiment_test

import (
	"errors"
	"image"
	"strings"
	"testing"

	"github.com/advmlgo/advml/pkg/experiment"
)

// failures records what Fail would have ended a cell with.
func failures(t *testing.T) *[]error {
	var got []error
	saved := experiment.Fail
	experiment.Fail = func(err error) { got = append(got, err) }
	t.Cleanup(func() { experiment.Fail = saved })
	return &got
}

func TestSessionLoadsOnceAndCaches(t *testing.T) {
	dir := t.TempDir()
	s := experiment.NewSession(dir, false)
	s.Training.MaxEpochs, s.Training.ProgressBar = 1, false
	if s.Data() != s.Data() || s.Test().Len() != 10000 {
		t.Fatal("Data is not loaded once")
	}
	m := s.Model()
	if m != s.Model() || m.Config.Filters == 0 {
		t.Fatal("Model is not trained once")
	}
	calls := 0
	compute := func() ([]float32, error) { calls++; return []float32{1, 2, 3}, nil }
	a := experiment.Cached(s, "numbers", compute)
	b := experiment.Cached(s, "numbers", compute)
	c := experiment.Cached(s, "other", compute)
	if calls != 2 || len(b) != 3 || b[2] != 3 || len(a) != len(c) {
		t.Errorf("computed %d times for two keys; got %v %v %v", calls, a, b, c)
	}
	// A second session on the same folder loads what the first trained.
	if again := experiment.NewSession(dir, false); !again.Trained().Loaded {
		t.Error("the session trained again although the folder holds a checkpoint")
	}
}

func TestShowAndCheckEndTheCellOnError(t *testing.T) {
	got := failures(t)
	experiment.Show(nil, errors.New("no figure"))
	experiment.Check(nil)
	experiment.Show(image.NewRGBA(image.Rect(0, 0, 2, 2)), nil) // Outside a notebook: nothing shown, no failure.
	if len(*got) != 1 || !strings.Contains((*got)[0].Error(), "no figure") {
		t.Errorf("failures %v, want the one error", *got)
	}
}
