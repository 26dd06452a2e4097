package mnist

import (
	"fmt"

	"github.com/advmlgo/advml/pkg/classifier"
)

// Split is a set of labelled examples held in memory.
type Split struct {
	// Images holds Len()*Pixels values in [0,1]: image i is
	// Images[i*Pixels:(i+1)*Pixels], row-major, one channel.
	Images []float32
	// Labels holds one class in 0..NumClasses-1 per image.
	Labels []int
}

// Len returns the number of examples.
func (s *Split) Len() int { return len(s.Labels) }

// Image returns the Pixels values of example i as a view into s.Images,
// not a copy: writing to it changes the split. Its capacity ends with the
// image, so appending to it never overwrites the next one.
func (s *Split) Image(i int) []float32 {
	return s.Images[i*Pixels : (i+1)*Pixels : (i+1)*Pixels]
}

// Subset returns a new split with copies of the examples at the given
// indices, in that order; indices may repeat. It panics if an index is out
// of range, like a slice index would.
func (s *Split) Subset(indices []int) *Split {
	for _, i := range indices {
		if i < 0 || i >= s.Len() {
			panic(fmt.Sprintf("mnist: Split.Subset: index %d out of range [0,%d)", i, s.Len()))
		}
	}
	return &Split{Images: Geometry.Select(s.Images, indices), Labels: classifier.Pick(s.Labels, indices)}
}

// Head returns a new split with copies of the first n examples (all of
// them when n is at least Len).
func (s *Split) Head(n int) *Split {
	n = max(0, min(n, s.Len()))
	indices := make([]int, n)
	for i := range indices {
		indices[i] = i
	}
	return s.Subset(indices)
}

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
