package attack

import (
	"fmt"
	"math"
	"slices"
)

// Distance is a norm of perturbations (Foolbox's distances): it measures
// how far an image is from its reference, and clips a perturbation back
// into a budget.
//
// Its zero value names no norm: in an attack's settings it means the
// attack's default norm (L∞ for the fixed-budget attacks and Square, L2
// for DeepFool and HopSkipJump).
type Distance int

const (
	// L0 counts the values that changed.
	L0 Distance = iota + 1
	// L1 sums the absolute changes.
	L1
	// L2 is the Euclidean norm of the change.
	L2
	// Linf is the largest absolute change (L∞).
	Linf
)

// String returns "L0", "L1", "L2" or "L∞".
func (d Distance) String() string {
	switch d {
	case L0:
		return "L0"
	case L1:
		return "L1"
	case L2:
		return "L2"
	case Linf:
		return "L∞"
	}
	if d == 0 {
		return "the default norm"
	}
	return fmt.Sprintf("Distance(%d)", int(d))
}

// or returns d, or def when d is zero (an attack's default norm).
func (d Distance) or(def Distance) Distance {
	if d == 0 {
		return def
	}
	return d
}

func (d Distance) validate() error {
	if d < L0 || d > Linf {
		return fmt.Errorf("attack: unknown norm %v: use attack.L0, L1, L2 or Linf", d)
	}
	return nil
}

// Measure returns the distance between reference and perturbed, two images
// of the same length.
func (d Distance) Measure(reference, perturbed []float32) float64 {
	var sum float64
	for i, v := range perturbed {
		delta := math.Abs(float64(v) - float64(reference[i]))
		switch d {
		case L0:
			if delta != 0 {
				sum++
			}
		case L1:
			sum += delta
		case L2:
			sum += delta * delta
		case Linf:
			sum = math.Max(sum, delta)
		}
	}
	if d == L2 {
		return math.Sqrt(sum)
	}
	return sum
}

// Clip returns perturbed moved back within eps of reference (a new slice),
// or perturbed itself when it is already within. L∞ clips every value into
// [reference−eps, reference+eps]; L1 and L2 shrink the perturbation towards
// the reference by the factor that brings its norm to eps (Foolbox's rule);
// L0 keeps the ⌊eps⌋ largest changes and undoes the others. Since the
// result lies between reference and perturbed, it stays in [0, 1] when both
// do.
func (d Distance) Clip(reference, perturbed []float32, eps float64) []float32 {
	dist := d.Measure(reference, perturbed)
	if dist <= eps {
		return perturbed
	}
	out := make([]float32, len(perturbed))
	switch d {
	case Linf:
		for i, v := range perturbed {
			r := float64(reference[i])
			out[i] = float32(min(max(float64(v), r-eps), r+eps))
		}
	case L1, L2:
		f := eps / dist
		for i, v := range perturbed {
			r := float64(reference[i])
			out[i] = float32(r + f*(float64(v)-r))
		}
	case L0:
		order := make([]int, len(perturbed))
		for i := range order {
			order[i] = i
		}
		change := func(i int) float64 { return math.Abs(float64(perturbed[i]) - float64(reference[i])) }
		slices.SortStableFunc(order, func(a, b int) int { return -cmpFloat(change(a), change(b)) })
		copy(out, reference)
		for _, i := range order[:int(math.Floor(eps))] {
			out[i] = perturbed[i]
		}
	}
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// orInt and orFloat give a setting's default for its zero value: every
// attack's zero value runs with its documented defaults.
func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func orFloat(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}
