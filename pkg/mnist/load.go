package mnist

import (
	"errors"
	"fmt"
	"sync"
)

// Options says where Load finds MNIST and how it splits it. The zero value
// reads the copy in the GoMNIST module with a 6,000-example validation set
// drawn with seed 0.
type Options struct {
	// Dataset is the data set to read: MNIST (the zero value) or Fashion,
	// from their usual places unless Dir says otherwise.
	Dataset Dataset
	// Dir, when set, is the folder to read the four files from
	// (TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile),
	// instead of the GoMNIST module.
	Dir string
	// Download fetches the files missing from Dir before reading (see
	// Download). It requires Dir.
	Download bool
	// NoVerify skips the sha256 check of the files, e.g. to read a data
	// set of one's own in MNIST's format.
	NoVerify bool
	// ValidationSize is the number of training examples moved to the
	// validation set: DefaultValidationSize when zero, none when negative
	// (see NoValidation).
	ValidationSize int
	// Seed seeds the permutation that picks the validation examples: the
	// same seed gives the same split.
	Seed int64
}

// Load reads MNIST from the source opts names, checks it and splits the
// training examples into Train and Validation. See Options and the package
// documentation for the sources.
func Load(opts Options) (*Data, error) {
	if err := opts.Dataset.validate(); err != nil {
		return nil, err
	}
	dir := opts.Dir
	switch {
	case opts.Dataset != MNIST && opts.Download:
		return nil, fmt.Errorf("mnist: Options.Download fetches MNIST only: install %s (make fashion-mnist), or put its four files in Options.Dir", opts.Dataset.Title())
	case dir == "" && opts.Dataset == Fashion:
		dir = FashionDir
		if !hasFiles(dir) {
			return nil, fmt.Errorf("mnist: Fashion-MNIST is not in %s: install Debian's package %s with `make fashion-mnist` (or `apt-get install dataset-fashion-mnist` as root), or set Options.Dir to a folder of its four files", dir, FashionPackage)
		}
	case dir != "" && opts.Download:
		if err := Download(dir); err != nil {
			return nil, err
		}
	case dir == "" && opts.Download:
		return nil, errors.New("mnist: Options.Download needs Options.Dir, the folder to download the files into")
	case dir == "":
		var err error
		if dir, err = GoMNISTDir(); err != nil {
			return nil, err
		}
	}
	sums := opts.Dataset.sums()
	if opts.NoVerify {
		sums = nil
	}

	var train, test *Split
	var trainErr, testErr error
	var wg sync.WaitGroup
	wg.Go(func() { train, trainErr = loadSplit(dir, TrainImagesFile, TrainLabelsFile, sums) })
	wg.Go(func() { test, testErr = loadSplit(dir, TestImagesFile, TestLabelsFile, sums) })
	wg.Wait()
	if trainErr != nil {
		return nil, trainErr
	}
	if testErr != nil {
		return nil, testErr
	}

	train, validation, err := splitValidation(train, opts.ValidationSize, opts.Seed)
	if err != nil {
		return nil, err
	}
	for _, s := range []*Split{train, validation, test} {
		s.Geometry, s.Names, s.Source = Geometry, opts.Dataset.ClassNames(), dir
	}
	return &Data{Train: train, Validation: validation, Test: test, Source: dir, Dataset: opts.Dataset}, nil
}
