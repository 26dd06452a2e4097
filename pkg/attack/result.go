package attack

import "math"

// Trajectory follows the model's confidence along an attack, one entry per
// step; entry 0 is the original image.
type Trajectory struct {
	Source []float32 // Probability of the source class (the original prediction).
	Target []float32 // Probability of the target class.
}

// Adversarial is the outcome of the attack on one (image, target) pair.
type Adversarial struct {
	Original []float32 // The input image, 784 pixels.
	Image    []float32 // The adversarial image (the raw output of the loop).

	Source    int  // The model's prediction on the original image.
	Target    int  // The target class.
	Succeeded bool // Whether the model predicts Target on Image.
	Steps     int  // Ascent steps applied to this pair.

	Prediction    int       // The model's prediction on Image.
	Confidence    float32   // Its probability.
	Probabilities []float32 // All 10 probabilities on Image.

	L0   int     // Pixels that changed.
	L2   float64 // Euclidean norm of Image − Original.
	Linf float64 // Largest absolute pixel change.

	Trajectory Trajectory
}

// Result is what an attack returns, in the manner of Foolbox: the raw
// adversarials, and for each L∞ budget of Epsilons the adversarials clipped
// into that budget with whether each one still succeeds.
type Result struct {
	Raw      []Adversarial
	Epsilons []float64   // The budgets; +Inf means unbounded.
	Clipped  [][]float32 // Clipped[e] holds every pair's image, flat, clipped to Epsilons[e].
	Success  [][]bool    // Success[e][i] tells whether Clipped[e]'s image i is adversarial.
}

// SuccessRate is the fraction of raw adversarials that succeed.
func (r *Result) SuccessRate() float64 {
	if len(r.Raw) == 0 {
		return 0
	}
	n := 0
	for _, a := range r.Raw {
		if a.Succeeded {
			n++
		}
	}
	return float64(n) / float64(len(r.Raw))
}

// distances fills the L0, L2 and L∞ norms of Image − Original.
func (a *Adversarial) distances() {
	a.L0, a.L2, a.Linf = 0, 0, 0
	for i, v := range a.Image {
		d := float64(v - a.Original[i])
		if d != 0 {
			a.L0++
		}
		a.L2 += d * d
		a.Linf = math.Max(a.Linf, math.Abs(d))
	}
	a.L2 = math.Sqrt(a.L2)
}
