package attack

import (
	"fmt"
	"math"
)

// Black-box attacks (Square, SimBA, HopSkipJump) see the model only
// through classifier.Predictor: they never build a graph or ask for a
// gradient. An oracle hands their queries to the model, many images per
// call, and counts each image's queries against its budget.

// oracle batches and counts the queries of a black-box attack.
type oracle struct {
	c       *call
	budget  int   // Queries allowed per image.
	queries []int // Queries asked per image so far.
}

func newOracle(c *call, budget int) *oracle {
	return &oracle{c: c, budget: budget, queries: make([]int, c.n)}
}

// checkBudget validates a black-box attack's query budget.
func checkBudget(attack string, budget int) error {
	if budget < 1 {
		return fmt.Errorf("attack: %s: MaxQueries is %d: give each image a budget of at least 1 query (1000 to 10000 is usual)", attack, budget)
	}
	return nil
}

// left is how many queries image i may still ask.
func (o *oracle) left(i int) int { return o.budget - o.queries[i] }

// probabilities predicts images (flat, one per entry of who, who[j] being
// the index of the attacked image it is a query for) in one call of the
// model, counts one query for each, and returns the probabilities, one row
// of classes per image, flat.
func (o *oracle) probabilities(who []int, images []float32) ([]float32, error) {
	if len(who) == 0 {
		return nil, nil
	}
	for _, i := range who {
		if o.queries[i] >= o.budget {
			return nil, fmt.Errorf("attack: internal error: image %d queried past its budget of %d", i, o.budget)
		}
		o.queries[i]++
	}
	return o.c.predictFlat(images)
}

// adversarial is probabilities reduced to the criterion's verdict on each
// query: all a decision-based attack looks at.
func (o *oracle) adversarial(who []int, images []float32) ([]bool, error) {
	probs, err := o.probabilities(who, images)
	if err != nil {
		return nil, err
	}
	k := o.c.g.Classes
	out := make([]bool, len(who))
	for j, i := range who {
		out[j] = o.c.crit.IsAdversarial(i, probs[j*k:(j+1)*k])
	}
	return out, nil
}

// margin is what the score-based attacks minimise, from one image's
// probabilities: untargeted, log p(class) − max over other classes of
// log p; targeted, max over other classes of log p − log p(target). It is
// negative exactly when the criterion's class loses (untargeted) or wins
// (targeted), and equals the logits' margin, which softmax preserves.
func margin(probs []float32, class int, targeted bool) float64 {
	other := math.Inf(-1)
	for k, p := range probs {
		if k != class {
			other = max(other, logProb(p))
		}
	}
	if targeted {
		return other - logProb(probs[class])
	}
	return logProb(probs[class]) - other
}

// logProb is log p, finite for p = 0.
func logProb(p float32) float64 { return math.Log(max(float64(p), 1e-30)) }

// active lists the images for which keep holds.
func active(n int, keep func(i int) bool) []int {
	var out []int
	for i := range n {
		if keep(i) {
			out = append(out, i)
		}
	}
	return out
}

// gather copies the images listed in who out of flat, one after the other.
func gather(flat []float32, pixels int, who []int) []float32 {
	out := make([]float32, 0, len(who)*pixels)
	for _, i := range who {
		out = append(out, flat[i*pixels:(i+1)*pixels]...)
	}
	return out
}

// clip01 clamps v into [0, 1].
func clip01(v float64) float32 { return float32(min(max(v, 0), 1)) }
