package classifier

import (
	"cmp"
	"fmt"
	"strings"
)

// Geometry describes a classifier's inputs and outputs: images of Rows×Cols
// pixels with Channels values each, in [0, 1], and Classes output classes.
type Geometry struct {
	Rows, Cols, Channels int
	Classes              int
}

// Pixels is the number of values of one image: Rows·Cols·Channels.
func (g Geometry) Pixels() int { return g.Rows * g.Cols * g.Channels }

// Dims returns the shape of a batch of n images: [n, Rows, Cols, Channels].
func (g Geometry) Dims(n int) []int { return []int{n, g.Rows, g.Cols, g.Channels} }

// String describes the geometry, e.g. "28×28×1 images, 10 classes".
func (g Geometry) String() string {
	return fmt.Sprintf("%d×%d×%d images, %d classes", g.Rows, g.Cols, g.Channels, g.Classes)
}

// Validate reports a geometry that cannot describe a classifier.
func (g Geometry) Validate() error {
	if g.Rows < 1 || g.Cols < 1 || g.Channels < 1 || g.Classes < 2 {
		return fmt.Errorf("classifier: geometry %s: rows, columns and channels must be at least 1, classes at least 2", g)
	}
	return nil
}

// Count returns how many images a flat slice holds, or an error saying what
// is wrong with its length.
func (g Geometry) Count(images []float32) (int, error) {
	pixels := g.Pixels()
	if pixels == 0 || len(images) == 0 || len(images)%pixels != 0 {
		return 0, fmt.Errorf("images hold %d values: want a positive multiple of %d (%d×%d×%d values per image, row-major)",
			len(images), pixels, g.Rows, g.Cols, g.Channels)
	}
	return len(images) / pixels, nil
}

// CheckImages returns how many images a flat slice holds, after checking
// that every value is a number in [0, 1]. Every entry point that takes
// images (the attacks, Predict, Evaluate, Classify, the robustness
// evaluations) checks them with it, so the first bad value is named the
// same way everywhere: by image, row and column (and channel), with the
// fix for the usual cause, pixels in 0..255.
func (g Geometry) CheckImages(images []float32) (int, error) {
	n, err := g.Count(images)
	if err != nil {
		return 0, err
	}
	for i, v := range images {
		if !(v >= 0 && v <= 1) {
			hint := ""
			if v > 1 && v <= 255 {
				hint = " (pixels in 0..255? divide them by 255)"
			}
			return 0, fmt.Errorf("%s is %g: pixels must be numbers in [0, 1]%s", g.describe(i), v, hint)
		}
	}
	return n, nil
}

// CheckLabeled is CheckImages for images that come with a label each: it
// also checks that there is one label per image and that each is a class.
func (g Geometry) CheckLabeled(images []float32, labels []int) (int, error) {
	n, err := g.CheckImages(images)
	if err != nil {
		return 0, err
	}
	if len(labels) != n {
		return 0, fmt.Errorf("%d labels for %d images: give one per image", len(labels), n)
	}
	if err := CheckClasses("label", labels, g.Classes); err != nil {
		return 0, err
	}
	return n, nil
}

// CheckClasses reports the first of classes (one per image) that is not a
// class of numClasses, in the sentence every package uses for it, after
// its own name: "label 10 of image 1 is not a class: use 0 to 9". what
// names the value: "label", "target class".
func CheckClasses(what string, classes []int, numClasses int) error {
	for i, c := range classes {
		if c < 0 || c >= numClasses {
			return fmt.Errorf("%s %d of image %d is not a class: use 0 to %d", what, c, i, numClasses-1)
		}
	}
	return nil
}

// describe names the position of flat index i: "image 3, row 5, column 7"
// (with ", channel 2" when images have several channels).
func (g Geometry) describe(i int) string {
	pixels := g.Pixels()
	image, at := i/pixels, i%pixels
	row, col, channel := at/(g.Cols*g.Channels), at/g.Channels%g.Cols, at%g.Channels
	s := fmt.Sprintf("image %d, row %d, column %d", image, row, col)
	if g.Channels > 1 {
		s += fmt.Sprintf(", channel %d", channel)
	}
	return s
}

// Image returns image i of a flat batch, as a view.
func (g Geometry) Image(images []float32, i int) []float32 {
	p := g.Pixels()
	return images[i*p : (i+1)*p : (i+1)*p]
}

// Argmax returns the index of the largest value (the first one on ties):
// of probabilities, logits or counts.
func Argmax[T cmp.Ordered](values []T) int {
	best := 0
	for i, v := range values {
		if v > values[best] {
			best = i
		}
	}
	return best
}

// Layout is the order of the axes of a batch of images as a model or a
// file holds them. The project's own order is NHWC: [n, rows, cols,
// channels].
type Layout int

const (
	// Auto finds the layout from the shape: the axis of 1 or 3 channels
	// after the batch is NCHW's, last it is NHWC's.
	Auto Layout = iota
	// NCHW is PyTorch's layout: [batch, channels, rows, cols].
	NCHW
	// NHWC is Keras' and TensorFlow's layout, and this project's:
	// [batch, rows, cols, channels].
	NHWC
)

func (l Layout) String() string {
	switch l {
	case Auto:
		return "Auto"
	case NCHW:
		return "NCHW"
	case NHWC:
		return "NHWC"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// ParseLayout reads "auto", "nchw" or "nhwc" (any case; "" is Auto).
func ParseLayout(s string) (Layout, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return Auto, nil
	case "nchw":
		return NCHW, nil
	case "nhwc":
		return NHWC, nil
	}
	return Auto, fmt.Errorf("layout %q: use auto, nchw or nhwc", s)
}

// Select returns copies of the images (flat) listed in indices, in that
// order (indices may repeat): the one place images are picked by index, for
// the attacks, the evaluations and the datasets alike. It panics on an index
// out of range, as a slice index would.
func (g Geometry) Select(images []float32, indices []int) []float32 {
	out := make([]float32, 0, len(indices)*g.Pixels())
	for _, i := range indices {
		out = append(out, g.Image(images, i)...)
	}
	return out
}

// Pick returns xs[i] for each i of indices (the labels or classes that go
// with Select's images); nil for nil xs.
func Pick[T any](xs []T, indices []int) []T {
	if xs == nil {
		return nil
	}
	out := make([]T, len(indices))
	for j, i := range indices {
		out[j] = xs[i]
	}
	return out
}
