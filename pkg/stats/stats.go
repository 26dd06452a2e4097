package stats

import (
	"math"
	"slices"
)

// Quantile returns the q-quantile of values (0 ≤ q ≤ 1) by linear
// interpolation between order statistics (the mean of the two middle values
// for the median of an even count). +Inf values sort last and count: the
// quantile is +Inf when it falls on or beyond one (a minimal attack that
// failed on more than half the images has an infinite median). The quantile
// of nothing is NaN, as is any quantile of values holding NaN. values is
// not modified.
func Quantile(values []float64, q float64) float64 {
	if len(values) == 0 || math.IsNaN(q) || slices.ContainsFunc(values, math.IsNaN) {
		return math.NaN()
	}
	q = min(max(q, 0), 1)
	s := slices.Clone(values)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(s)-1)
	frac := pos - float64(lo)
	switch {
	case frac == 0 || s[lo] == s[hi]:
		return s[lo]
	case math.IsInf(s[hi], 1):
		return s[hi] // Any step towards +Inf reaches it.
	case math.IsInf(s[lo], -1):
		return s[lo]
	}
	return s[lo] + frac*(s[hi]-s[lo])
}

// Median is Quantile(values, 0.5).
func Median(values []float64) float64 { return Quantile(values, 0.5) }

// Ints converts counts (steps, queries) for Quantile and Median.
func Ints(xs []int) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

// OrNil returns nil for NaN (the median of nothing) and &x otherwise: JSON
// has no NaN, and null says "no value" where 0 would be a false figure.
func OrNil(x float64) *float64 {
	if math.IsNaN(x) {
		return nil
	}
	return &x
}
