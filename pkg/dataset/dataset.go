package dataset

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/advmlgo/advml/pkg/classifier"
)

// MaxValues bounds the number of image values a reader accepts (4 GiB of
// float32): a header may declare any shape, and nothing is allocated from
// it beyond this.
const MaxValues = 1 << 30

// Set is labelled images held in memory, in the project's form: the one
// idea of a data set that everything taking data takes. MNIST's and
// Fashion-MNIST's splits are Sets (mnist.Split is this type), and so are
// the user's .npy files and image folders (ReadNPY, ReadFolder).
type Set struct {
	// Images holds Len()·Geometry.Pixels() values in [0, 1]: image i is
	// Images[i·Pixels:(i+1)·Pixels], [rows, cols, channels] row-major.
	Images []float32
	// Labels holds one class in 0..Geometry.Classes−1 per image.
	Labels []int
	// Geometry is the images' size and channels, and the number of
	// classes (from Options.Geometry, the folders, or the largest label;
	// mnist.Load sets MNIST's). A Set built by hand may leave it unset:
	// its images are then its values shared out over its labels.
	Geometry classifier.Geometry
	// Names holds one name per class: the folders' names for ReadFolder,
	// "0", "1", … for ReadNPY.
	Names []string
	// Source names where the set was read from.
	Source string
}

// Len returns the number of images.
func (s *Set) Len() int { return len(s.Labels) }

// Pixels is the number of values of one image: Geometry's, or when
// Geometry is unset the values shared out over the labels.
func (s *Set) Pixels() int {
	if p := s.Geometry.Pixels(); p > 0 {
		return p
	}
	if len(s.Labels) == 0 {
		return 0
	}
	return len(s.Images) / len(s.Labels)
}

// Image returns image i as a view into s.Images, not a copy: writing to it
// changes the set. Its capacity ends with the image, so appending to it
// never overwrites the next one.
func (s *Set) Image(i int) []float32 {
	p := s.Pixels()
	return s.Images[i*p : (i+1)*p : (i+1)*p]
}

// Subset returns a new set with copies of the images at the given indices,
// in that order (indices may repeat), and s's geometry, names and source.
// It panics if an index is out of range, like a slice index would.
func (s *Set) Subset(indices []int) *Set {
	p := s.Pixels()
	images := make([]float32, len(indices)*p)
	for k, i := range indices {
		if i < 0 || i >= s.Len() {
			panic(fmt.Sprintf("dataset: Set.Subset: index %d out of range [0,%d)", i, s.Len()))
		}
		copy(images[k*p:(k+1)*p], s.Images[i*p:(i+1)*p])
	}
	out := *s
	out.Images, out.Labels = images, classifier.Pick(s.Labels, indices)
	return &out
}

// Head returns a new set with copies of the first n images (all of them
// when n is at least Len, none when n ≤ 0).
func (s *Set) Head(n int) *Set {
	n = max(0, min(n, s.Len()))
	indices := make([]int, n)
	for i := range indices {
		indices[i] = i
	}
	return s.Subset(indices)
}

// First returns a set of the first n images (all of them if n is 0 or at
// least Len), sharing s's memory.
func (s *Set) First(n int) *Set {
	if n <= 0 || n >= s.Len() {
		return s
	}
	out := *s
	out.Images = s.Images[: n*s.Pixels() : n*s.Pixels()]
	out.Labels = s.Labels[:n:n]
	return &out
}

// Options say what the images must be; the zero value accepts any size,
// finds the layout from the shape and counts the classes from the data.
type Options struct {
	// Layout of the images in a .npy file of 4 axes. Auto finds it: from
	// Geometry when set, else from the axis of 1 or 3 channels.
	Layout classifier.Layout
	// Geometry, when its Rows is set, is what the images must be (a
	// model's geometry): rows, columns and channels must match, and
	// labels must be classes of its Classes. Images of one channel are
	// repeated into three when it asks for three.
	Geometry classifier.Geometry
}

func (o Options) check() error {
	if o.Layout < classifier.Auto || o.Layout > classifier.NHWC {
		return fmt.Errorf("Options.Layout is %v: use Auto, NCHW or NHWC", o.Layout)
	}
	g := o.Geometry
	if g != (classifier.Geometry{}) && (g.Rows <= 0 || g.Cols <= 0 || g.Channels <= 0 || g.Classes < 0) {
		return fmt.Errorf("Options.Geometry is %v: give rows, columns and channels above 0 (a model's Geometry()), or leave it zero", g)
	}
	return nil
}

// finish checks the labels against the class count and fills Geometry's
// Classes and Names.
func finish(s *Set, opts Options, names []string, labelsName string) error {
	classes := opts.Geometry.Classes
	if classes == 0 {
		classes = len(names)
	}
	if classes == 0 {
		for _, l := range s.Labels {
			classes = max(classes, l+1)
		}
	}
	for i, l := range s.Labels {
		if l < 0 || l >= classes {
			return fmt.Errorf("%s: label %d of image %d is not a class: use 0 to %d", labelsName, l, i, classes-1)
		}
	}
	s.Geometry.Classes = classes
	if names == nil {
		for c := range classes {
			names = append(names, strconv.Itoa(c))
		}
	}
	s.Names = names
	return nil
}

// oneLine keeps an underlying error's message on one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
