package mnist

import (
	"github.com/advmlgo/advml/pkg/dataset"
)

// Split is a set of labelled examples held in memory: a dataset.Set, the
// project's one idea of a data set, whose Geometry, Names and Source
// Load sets (MNIST's 28×28×1 and 10 classes, the data set's class names,
// the folder read).
type Split = dataset.Set

// Data is MNIST as Load returns it.
type Data struct {
	// Train holds the training examples left after Validation was carved
	// out, in their original order.
	Train *Split
	// Validation holds Options.ValidationSize examples drawn from the
	// training files, in their original order; it is empty, not nil, when
	// there is no validation set.
	Validation *Split
	// Test holds the 10,000 examples of the test files.
	Test *Split
	// Source is the folder the four files were read from.
	Source string
	// Dataset is the data set read: its Title and ClassNames name it.
	Dataset Dataset
}
