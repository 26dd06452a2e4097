package plots

import (
	"fmt"
	"math"
)

const (
	// Side is the width and height, in pixels, of an MNIST image.
	Side = 28

	// Pixels is the number of values of a flat MNIST image (Side*Side).
	Pixels = Side * Side
)

// checkImageValues verifies that values holds a Side×Side image without NaN
// or infinite values. what names the input in error messages.
func checkImageValues(what string, values []float32) error {
	if len(values) != Pixels {
		return fmt.Errorf("plots: %s: expected %d values (%dx%d image), got %d",
			what, Pixels, Side, Side, len(values))
	}
	for i, v := range values {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("plots: %s: value %d (row %d, col %d) is %v",
				what, i, i/Side, i%Side, v)
		}
	}
	return nil
}
