package attack

import (
	"math"

	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/stats"
)

// Result is what an attack returns, in the manner of Foolbox: for each
// budget of Epsilons, the raw adversarials, their versions clipped into the
// budget, and whether each clipped image is adversarial, judged by a fresh
// forward pass of the model.
type Result struct {
	Attack    string              // The attack and its settings, e.g. "PGD L∞ (40 steps of 0.01)".
	Distance  Distance            // The norm its budgets are measured in.
	Geometry  classifier.Geometry // The images' shape and the classes.
	Criterion Criterion
	Originals []float32 // The attacked images, flat.
	Clean     []float32 // The model's probabilities on Originals, n×classes.

	Epsilons []float64 // The budgets; +Inf when the attack ran unbounded.
	// Budgeted tells that the attack searched within each budget (a
	// fixed-budget attack), so that Raw[e] must already lie within
	// Epsilons[e]; robustness' sanity checks measure Raw for it. A minimal
	// attack's Raw is its one unbounded search, and only Clipped is bounded.
	Budgeted bool
	Raw      [][]float32 // Raw[e]: the attack's images for Epsilons[e] (a minimal attack's one search, the same for every e).
	Clipped  [][]float32 // Clipped[e]: Raw[e] within Distance ≤ Epsilons[e] of Originals.
	// Success[e][i] tells whether Clipped[e]'s image i meets the criterion,
	// by a forward pass independent of the attack.
	Success [][]bool
	// Claimed[e][i] is the attack's own verdict on Raw[e]'s image i, from
	// its last evaluation inside the attack. It should agree with Success;
	// robustness' sanity checks count where it does not.
	Claimed       [][]bool
	Probabilities [][]float32 // Probabilities[e]: the model's output on Clipped[e], n×classes.

	// Steps, when the attack counts them, holds per budget and image the
	// iterations it ran before it stopped: Steps[e][i] for Epsilons[e] (a
	// minimal attack's one search gives every budget the same counts).
	Steps [][]int
	// Queries, for black-box attacks, holds per budget and image the
	// predictions asked of the model: Queries[e][i] for Epsilons[e].
	Queries [][]int
	// Trajectories, for TargetedAscent, follow the model's confidence along
	// each image's attack.
	Trajectories []Trajectory
}

// Trajectory follows the model's probabilities along an attack: one row of
// class probabilities per step, row 0 for the original image.
type Trajectory struct {
	Probabilities [][]float32
}

// Of returns the probability of class at each step.
func (t Trajectory) Of(class int) []float32 {
	out := make([]float32, len(t.Probabilities))
	for step, row := range t.Probabilities {
		out[step] = row[class]
	}
	return out
}

// N is the number of attacked images.
func (r *Result) N() int { return len(r.Originals) / r.Geometry.Pixels() }

// SuccessRate is the fraction of images whose clipped adversarial for
// Epsilons[e] succeeds.
func (r *Result) SuccessRate(e int) float64 {
	if r.N() == 0 {
		return 0
	}
	n := 0
	for _, s := range r.Success[e] {
		if s {
			n++
		}
	}
	return float64(n) / float64(r.N())
}

// Distances returns, per image, the distance d of Clipped[e]'s image from
// its original.
func (r *Result) Distances(e int, d Distance) []float64 {
	g := r.Geometry
	out := make([]float64, r.N())
	for i := range out {
		out[i] = d.Measure(g.Image(r.Originals, i), g.Image(r.Clipped[e], i))
	}
	return out
}

// Adversarial is the outcome of an attack on one image, for one budget.
type Adversarial struct {
	Original []float32 // The input image.
	Image    []float32 // The adversarial image (clipped into the budget).

	Label            int     // The true class, or -1 when the criterion does not give it.
	Source           int     // The model's prediction on Original.
	SourceConfidence float32 // Its probability.
	Target           int     // The target class of a targeted attack, or -1.
	Succeeded        bool    // Whether Image meets the criterion.
	Steps            int     // Iterations the attack ran on this image (0 when not counted).
	Queries          int     // Predictions a black-box attack asked for this image (0 when not counted).

	Prediction    int       // The model's prediction on Image.
	Confidence    float32   // Its probability.
	Probabilities []float32 // All probabilities on Image.

	L0   int     // Values that changed.
	L1   float64 // Sum of absolute changes.
	L2   float64 // Euclidean norm of Image − Original.
	Linf float64 // Largest absolute change.

	Trajectory Trajectory // TargetedAscent only.
}

// Adversarial returns image i's outcome for Epsilons[e].
func (r *Result) Adversarial(e, i int) Adversarial {
	g := r.Geometry
	k := g.Classes
	probs := r.Probabilities[e][i*k : (i+1)*k : (i+1)*k]
	clean := r.Clean[i*k : (i+1)*k : (i+1)*k]
	a := Adversarial{
		Original: g.Image(r.Originals, i), Image: g.Image(r.Clipped[e], i),
		Label: -1, Target: -1, Succeeded: r.Success[e][i],
		Probabilities: probs, Prediction: classifier.Argmax(probs), Source: classifier.Argmax(clean),
	}
	a.Confidence, a.SourceConfidence = probs[a.Prediction], clean[a.Source]
	if labels := r.Criterion.TrueLabels(); labels != nil {
		a.Label = labels[i]
	}
	if r.Criterion.Targeted() {
		a.Target = r.Criterion.Classes()[i]
	}
	if r.Steps != nil && r.Steps[e] != nil {
		a.Steps = r.Steps[e][i]
	}
	if r.Queries != nil && r.Queries[e] != nil {
		a.Queries = r.Queries[e][i]
	}
	if r.Trajectories != nil {
		a.Trajectory = r.Trajectories[i]
	}
	a.L0 = int(L0.Measure(a.Original, a.Image))
	a.L1, a.L2, a.Linf = L1.Measure(a.Original, a.Image), L2.Measure(a.Original, a.Image), Linf.Measure(a.Original, a.Image)
	return a
}

// unbounded is the budget of a minimal attack run without epsilons.
var unbounded = []float64{math.Inf(1)}

// MedianQueries is the median of Queries[e] over the images whose clipped
// adversarial for Epsilons[e] succeeds (NaN when the attack does not count
// queries or fooled none): what a black-box attack paid for a success.
func (r *Result) MedianQueries(e int) float64 {
	var q []float64
	for i, ok := range r.Success[e] {
		if ok && r.Queries != nil && r.Queries[e] != nil {
			q = append(q, float64(r.Queries[e][i]))
		}
	}
	return stats.Median(q)
}
