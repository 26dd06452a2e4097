package boundary

import (
	"fmt"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/classifier"
)

// Walk follows a path of images through a classifier's input space: the
// class probabilities at each point, and where the predicted class first
// changes.
type Walk struct {
	Label         string      // What the path is, for figures.
	Positions     []float64   // Where each point lies along the path (0 to 1 on a line, the step of an attack).
	Images        [][]float32 // The points, when kept (Line keeps them; AttackPath only the two around the flip).
	Probabilities [][]float32 // Per point, the probability of each class.
	// Flip is the index of the first point whose predicted class differs
	// from the first point's, or -1 if none does.
	Flip int
	// Before and After are the images on either side of the flip (nil when
	// there is none), with the classes predicted on them.
	Before, After           []float32
	BeforeClass, AfterClass int
}

// Line walks the straight path from image from to image to in points steps
// (points ≥ 2, both ends included): x(t) = (1−t)·from + t·to.
func Line(m classifier.Predictor, from, to []float32, points int) (*Walk, error) {
	g := m.Geometry()
	if len(from) != g.Pixels() || len(to) != g.Pixels() {
		return nil, fmt.Errorf("boundary: Line takes two images of %d values, got %d and %d", g.Pixels(), len(from), len(to))
	}
	if points < 2 {
		return nil, fmt.Errorf("boundary: %d points: a line needs at least 2", points)
	}
	w := &Walk{Label: "straight line"}
	batch := make([]float32, 0, points*g.Pixels())
	for p := range points {
		t := float64(p) / float64(points-1)
		w.Positions = append(w.Positions, t)
		for i := range from {
			batch = append(batch, float32((1-t)*float64(from[i])+t*float64(to[i])))
		}
	}
	if _, err := g.CheckImages(batch); err != nil {
		return nil, fmt.Errorf("boundary: %w", err)
	}
	probs, err := m.Predict(batch)
	if err != nil {
		return nil, fmt.Errorf("boundary: %w", err)
	}
	for p := range points {
		w.Images = append(w.Images, g.Image(batch, p))
	}
	w.Probabilities = probs
	w.findFlip()
	if w.Flip > 0 {
		w.Before, w.After = w.Images[w.Flip-1], w.Images[w.Flip]
	}
	return w, nil
}

// AttackPath walks the path the article's targeted ascent a takes from
// image towards target, one point per step. The images just before and
// after the flip come from running the deterministic ascent again, stopped
// one step short.
func AttackPath(m classifier.Differentiable, image []float32, target int, a *attack.TargetedAscent) (*Walk, error) {
	adv, err := a.Attack(m, image, target)
	if err != nil {
		return nil, fmt.Errorf("boundary: %w", err)
	}
	w := &Walk{Label: fmt.Sprintf("attack path towards %d", target), Probabilities: adv.Trajectory.Probabilities}
	for step := range w.Probabilities {
		w.Positions = append(w.Positions, float64(step))
	}
	w.findFlip()
	if w.Flip > 0 {
		short := *a
		short.MaxSteps = w.Flip - 1
		w.Before, w.After = image, adv.Image
		if short.MaxSteps > 0 {
			before, err := short.Attack(m, image, target)
			if err != nil {
				return nil, fmt.Errorf("boundary: %w", err)
			}
			w.Before = before.Image
		}
		if w.Flip < len(w.Probabilities)-1 { // The path went on after the flip: rerun up to it.
			short.MaxSteps = w.Flip
			after, err := short.Attack(m, image, target)
			if err != nil {
				return nil, fmt.Errorf("boundary: %w", err)
			}
			w.After = after.Image
		}
	}
	return w, nil
}

// findFlip sets Flip and the classes around it from Probabilities.
func (w *Walk) findFlip() {
	w.Flip = -1
	start := classifier.Argmax(w.Probabilities[0])
	for p, probs := range w.Probabilities {
		if c := classifier.Argmax(probs); c != start {
			w.Flip, w.BeforeClass, w.AfterClass = p, classifier.Argmax(w.Probabilities[p-1]), c
			return
		}
	}
}

// Classes returns the classes that the path ever predicts, in order of
// first appearance: the ones worth drawing.
func (w *Walk) Classes() []int {
	var out []int
	seen := map[int]bool{}
	for _, probs := range w.Probabilities {
		if c := classifier.Argmax(probs); !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}
