package training_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/dataset"
	"github.com/advmlgo/advml/pkg/training"
)

// TestTrainsOnTheUsersFiles: a data set of one's own, read from .npy files
// (here MNIST digits written by dataset.WriteNPY, as numpy would), is what
// training takes, as MNIST's splits are; a set of another image size is
// refused before the first epoch, in one line naming both sizes.
func TestTrainsOnTheUsersFiles(t *testing.T) {
	testutil.Slow(t)
	data := testutil.MNIST(t)
	dir := t.TempDir()
	read := func(name string, s *dataset.Set) *dataset.Set {
		x, y := filepath.Join(dir, name+"-x.npy"), filepath.Join(dir, name+"-y.npy")
		if err := dataset.WriteNPY(s, x, y); err != nil {
			t.Fatal(err)
		}
		set, err := dataset.ReadNPY(x, y, dataset.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return set
	}
	train, val := read("train", data.Train.Head(2000)), read("val", data.Validation.Head(500))
	m, err := cnn.New(testutil.XLA(t), cnn.Default, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := training.Train(m, train, val, training.Options{MaxEpochs: 1, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if _, accuracy, err := m.Evaluate(val.Images, val.Labels); err != nil || accuracy < 0.6 {
		t.Errorf("accuracy %.3f (%v) on the validation file after an epoch on 2,000 digits, want over 0.6 (chance is 0.1)", accuracy, err)
	}
	colour := testutil.Colour(64, 1)
	_, err = training.Train(m, colour, val, training.Options{MaxEpochs: 1})
	if err == nil || !strings.Contains(err.Error(), "holds 32×32×3") || strings.Contains(err.Error(), "\n") {
		t.Errorf("colour images into an MNIST model: %v; want one line naming both sizes", err)
	}
}
