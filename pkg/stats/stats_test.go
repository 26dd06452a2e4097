package stats_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/advmlgo/advml/pkg/stats"
)

func TestQuantile(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		values []float64
		q      float64
		want   float64
	}{
		{[]float64{3, 1, 2}, 0.5, 2},
		{[]float64{4, 1, 3, 2}, 0.5, 2.5},
		{[]float64{1, 2, 3, 4, 5}, 0.25, 2},
		{[]float64{1, 2}, 0.25, 1.25},
		{[]float64{7}, 0.9, 7},
		{[]float64{1, inf}, 0.5, inf},
		{[]float64{1, 2, inf}, 0.5, 2},
		{[]float64{1, 2, inf}, 0.25, 1.5},
		{[]float64{1, inf, inf}, 0.5, inf},
		{[]float64{1, 2, inf, inf}, 0.5, inf},
		{[]float64{1, 2, 3, inf}, 0.25, 1.75},
		{[]float64{-inf, 0, 1}, 0.25, -inf},
		{[]float64{2, 1}, -1, 1},
		{[]float64{2, 1}, 2, 2},
	} {
		if got := stats.Quantile(tc.values, tc.q); got != tc.want {
			t.Errorf("Quantile(%v, %g) = %g, want %g", tc.values, tc.q, got, tc.want)
		}
	}
	for _, values := range [][]float64{nil, {}, {1, math.NaN()}} {
		if got := stats.Median(values); !math.IsNaN(got) {
			t.Errorf("Median(%v) = %g, want NaN", values, got)
		}
	}
	values := []float64{3, 1, 2}
	stats.Median(values)
	if values[0] != 3 || values[1] != 1 {
		t.Errorf("Median sorted its argument: %v", values)
	}
}

func ExampleMedian() {
	// Minimal L2 distances of an attack; +Inf where it failed.
	distances := []float64{0.8, 1.2, math.Inf(1), 0.9}
	fmt.Println(stats.Median(distances), stats.Quantile(distances, 0.25), stats.Median(nil))
	// Output: 1.05 0.875 NaN
}
