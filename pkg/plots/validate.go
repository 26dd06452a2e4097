package plots

import (
	"fmt"
	"math"
)

// squareSide returns the side of the square image that values holds (side²
// values), after checking that it holds no NaN or infinite values. what
// names the input in error messages.
func squareSide(what string, values []float32) (int, error) {
	side := int(math.Round(math.Sqrt(float64(len(values)))))
	if side == 0 || side*side != len(values) {
		return 0, fmt.Errorf("plots: %s: %d values is not a square image: give side×side values, row-major", what, len(values))
	}
	for i, v := range values {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("plots: %s: value %d (row %d, col %d) is %v", what, i, i/side, i%side, v)
		}
	}
	return side, nil
}
