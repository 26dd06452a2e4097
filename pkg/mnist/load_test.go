package mnist

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// rawTrain holds the 60,000 training examples of the GoMNIST module, read
// once for the tests that compare Load's splits with them.
var rawTrain = sync.OnceValues(func() (*Split, error) {
	dir, err := GoMNISTDir()
	if err != nil {
		return nil, err
	}
	return loadSplit(dir, TrainImagesFile, TrainLabelsFile, checksums)
})

func TestLoadDefault(t *testing.T) {
	start := time.Now()
	data, err := Load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Load took %v from %s", time.Since(start), data.Source)
	if data.Source == "" {
		t.Error("Source is empty")
	}
	for _, c := range []struct {
		name  string
		split *Split
		n     int
	}{{"Train", data.Train, 54000}, {"Validation", data.Validation, 6000}, {"Test", data.Test, 10000}} {
		if c.split.Len() != c.n || len(c.split.Images) != c.n*Pixels {
			t.Errorf("%s: %d labels and %d pixels, want %d and %d", c.name, c.split.Len(), len(c.split.Images), c.n, c.n*Pixels)
		}
		lo, hi := slices.Min(c.split.Images), slices.Max(c.split.Images)
		if lo != 0 || hi != 1 {
			t.Errorf("%s: pixels in [%v,%v], want exactly [0,1]", c.name, lo, hi)
		}
		var hist [NumClasses]int
		for _, l := range c.split.Labels {
			hist[l]++ // panics, failing the test, if l is out of range
		}
		for class, count := range hist {
			// Every MNIST class holds 9% to 11.3% of each split.
			if frac := float64(count) / float64(c.n); frac < 0.08 || frac > 0.125 {
				t.Errorf("%s: class %d has %d examples (%.1f%%), implausible", c.name, class, count, 100*frac)
			}
		}
	}
	if got := data.Test.Labels[0]; got != 7 {
		t.Errorf("first test label = %d, want 7", got)
	}
	// The first test image, a 7, has ink near the middle and none in the
	// corners.
	img := data.Test.Image(0)
	if img[0] != 0 || img[Pixels-1] != 0 {
		t.Error("first test image has ink in its corners")
	}
	if slices.Max(img) != 1 {
		t.Error("first test image has no fully black pixel")
	}
}

// TestLoadSplitIsPartition checks that Train and Validation are exactly the
// 60,000 training examples, without overlap, in their original order, and
// that the same seed picks the same validation set and another seed
// another.
func TestLoadSplitIsPartition(t *testing.T) {
	raw, err := rawTrain()
	if err != nil {
		t.Fatal(err)
	}
	load := func(seed int64) *Data {
		t.Helper()
		data, err := Load(Options{Seed: seed, ValidationSize: 5000})
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	a, b, c := load(42), load(42), load(43)

	valIdx := ValidationIndices(TrainSize, 5000, 42)
	inVal := make([]bool, TrainSize)
	for _, i := range valIdx {
		if inVal[i] {
			t.Fatalf("index %d picked twice", i)
		}
		inVal[i] = true
	}
	var trainIdx []int
	for i := range TrainSize {
		if !inVal[i] {
			trainIdx = append(trainIdx, i)
		}
	}
	assertSame(t, "Validation", a.Validation, raw.Subset(valIdx))
	assertSame(t, "Train", a.Train, raw.Subset(trainIdx))

	assertSame(t, "Validation with the same seed", b.Validation, a.Validation)
	assertSame(t, "Train with the same seed", b.Train, a.Train)
	if slices.Equal(c.Validation.Images, a.Validation.Images) {
		t.Error("seeds 42 and 43 gave the same validation set")
	}
	if !slices.Equal(ValidationIndices(TrainSize, 5000, 42), valIdx) {
		t.Error("ValidationIndices is not deterministic")
	}
	if slices.Equal(ValidationIndices(TrainSize, 5000, 43), valIdx) {
		t.Error("ValidationIndices ignores the seed")
	}
}

// assertSame fails the test unless got and want hold the same examples.
func assertSame(t *testing.T, what string, got, want *Split) {
	t.Helper()
	if !slices.Equal(got.Labels, want.Labels) || !slices.Equal(got.Images, want.Images) {
		t.Errorf("%s: examples differ (%d vs %d)", what, got.Len(), want.Len())
	}
}

func TestValidationSize(t *testing.T) {
	raw, err := rawTrain()
	if err != nil {
		t.Fatal(err)
	}
	all := make([]int, raw.Len())
	for i := range all {
		all[i] = i
	}
	for _, c := range []struct {
		size, train, validation int
	}{
		{0, 54000, 6000},
		{NoValidation, 60000, 0},
		{-7, 60000, 0},
		{1, 59999, 1},
		{60000, 0, 60000},
	} {
		train, validation, err := splitValidation(raw.Subset(all), c.size, 1)
		if err != nil {
			t.Errorf("size %d: %v", c.size, err)
			continue
		}
		if train.Len() != c.train || validation.Len() != c.validation ||
			len(train.Images) != c.train*Pixels || len(validation.Images) != c.validation*Pixels {
			t.Errorf("size %d: got %d+%d examples, want %d+%d", c.size, train.Len(), validation.Len(), c.train, c.validation)
		}
		if validation == nil || validation.Labels == nil {
			t.Errorf("size %d: validation split or its labels is nil", c.size)
		}
	}
	if _, _, err := splitValidation(raw.Subset(all[:10]), 11, 1); err == nil {
		t.Error("a validation set larger than the training set was accepted")
	}
}

func TestLoadNoValidationSmallDir(t *testing.T) {
	data, err := Load(Options{Dir: smallDir(t), NoVerify: true, ValidationSize: NoValidation})
	if err != nil {
		t.Fatal(err)
	}
	if data.Train.Len() != 3 || data.Validation.Len() != 0 || data.Test.Len() != 2 {
		t.Errorf("got %d/%d/%d examples, want 3/0/2", data.Train.Len(), data.Validation.Len(), data.Test.Len())
	}
	if !slices.Equal(data.Test.Labels, []int{7, 9}) {
		t.Errorf("test labels = %v, want [7 9]", data.Test.Labels)
	}
	if got, want := data.Train.Image(2)[3], float32(5)/255; got != want {
		t.Errorf("pixel 3 of training image 2 = %v, want %v", got, want)
	}
}

func TestLoadSmallDirChecksFiles(t *testing.T) {
	// The crafted files are valid MNIST-format but not MNIST: without
	// NoVerify they must be refused.
	if _, err := Load(Options{Dir: smallDir(t)}); err == nil {
		t.Fatal("non-canonical files were accepted with verification on")
	}
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load(Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
