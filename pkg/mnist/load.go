package mnist

import (
	"errors"
	"sync"
)

// Options says where Load finds MNIST and how it splits it. The zero value
// reads the copy in the GoMNIST module with a 6,000-example validation set
// drawn with seed 0.
type Options struct {
	// Dir, when set, is the folder to read the four files from
	// (TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile),
	// instead of the GoMNIST module.
	Dir string
	// Download fetches the files missing from Dir before reading (see
	// Download). It requires Dir.
	Download bool
	// NoVerify skips the sha256 check of the files, e.g. to read
	// Fashion-MNIST, which has the same file names and format.
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
	dir := opts.Dir
	switch {
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
	verify := !opts.NoVerify

	var train, test *Split
	var trainErr, testErr error
	var wg sync.WaitGroup
	wg.Go(func() { train, trainErr = loadSplit(dir, TrainImagesFile, TrainLabelsFile, verify) })
	wg.Go(func() { test, testErr = loadSplit(dir, TestImagesFile, TestLabelsFile, verify) })
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
	return &Data{Train: train, Validation: validation, Test: test, Source: dir}, nil
}
