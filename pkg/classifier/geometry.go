package classifier

import "fmt"

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
// that every value is a number in [0, 1].
func (g Geometry) CheckImages(images []float32) (int, error) {
	n, err := g.Count(images)
	if err != nil {
		return 0, err
	}
	pixels := g.Pixels()
	for i, v := range images {
		if !(v >= 0 && v <= 1) {
			return 0, fmt.Errorf("value %d of image %d is %g: pixels must be numbers in [0, 1]", i%pixels, i/pixels, v)
		}
	}
	return n, nil
}

// Image returns image i of a flat batch, as a view.
func (g Geometry) Image(images []float32, i int) []float32 {
	p := g.Pixels()
	return images[i*p : (i+1)*p : (i+1)*p]
}

// Argmax returns the index of the largest value (the first one on ties).
func Argmax(values []float32) int {
	best := 0
	for i, v := range values {
		if v > values[best] {
			best = i
		}
	}
	return best
}
