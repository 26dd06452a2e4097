package attack

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/advmlgo/advml/pkg/classifier"
)

// Basis is the set of directions SimBA searches along.
type Basis int

const (
	// PixelBasis moves one pixel (of one channel) at a time.
	PixelBasis Basis = iota
	// DCTBasis moves along the orthonormal two-dimensional cosine basis,
	// one channel at a time, low frequencies first.
	DCTBasis
)

// String returns "pixel" or "DCT".
func (b Basis) String() string {
	switch b {
	case PixelBasis:
		return "pixel"
	case DCTBasis:
		return "DCT"
	}
	return fmt.Sprintf("Basis(%d)", int(b))
}

// SimBA is the Simple Black-box Attack of Guo et al. (2019), score-based:
// it asks the model only for probabilities. It draws directions of Basis
// one after another without repeating, in a random order, and for each
// tries a step of StepSize against it, then along it, keeping the first
// that lowers the probability of the true class (untargeted) or raises the
// target's (targeted). Each direction costs one or two queries; a step that
// the box [0, 1] would clip to nothing is not asked. Once every direction
// has been tried, it starts another pass in a new order (an MNIST image has
// only 784), unless the last pass changed nothing. An image stops at its
// first adversarial, when its MaxQueries are spent, or after a pass without
// change. Its perturbation has no budget: it is a minimal-style
// attack in L2 (each accepted step adds at most StepSize to the norm), and
// Run clips its result to each ε given.
type SimBA struct {
	Basis      Basis   // PixelBasis (the default) or DCTBasis.
	StepSize   float64 // Size of each step, in L2 (the paper's ε); positive (0: 0.2).
	MaxQueries int     // Queries per image, at least 1 (0: 10,000).
	// FrequencySide, for DCTBasis, is the side of the block of lowest
	// frequencies whose directions are tried first (in random order); the
	// others follow, also in random order. 0 means a quarter of the image.
	FrequencySide int
	Seed          int64
}

// NewSimBA returns SimBA along basis with the paper's step of 0.2 and a
// budget of 10,000 queries (the zero value of the other fields).
func NewSimBA(basis Basis) *SimBA { return &SimBA{Basis: basis} }

// WithDefaults returns the settings as they run: a copy with every zero
// replaced by its documented default.
func (a SimBA) WithDefaults() SimBA {
	a.StepSize, a.MaxQueries = orFloat(a.StepSize, 0.2), orInt(a.MaxQueries, 10000)
	return a
}

// Run searches each image's adversarial and clips it to each budget of
// epsilons (none: unbounded).
func (a *SimBA) Run(m classifier.Predictor, images []float32, crit Criterion, epsilons ...float64) (*Result, error) {
	return runMinimal(a, m, images, crit, epsilons, a.search)
}

// Norm is L2, the norm its steps are measured in.
func (a *SimBA) Norm() Distance { return L2 }

// String names the attack and its settings.
func (a *SimBA) String() string {
	d := a.WithDefaults()
	a = &d
	return fmt.Sprintf("SimBA %v (steps of %g, %d queries)", a.Basis, a.StepSize, a.MaxQueries)
}

func (a *SimBA) search(c *call) (outcome, error) {
	d := a.WithDefaults()
	a = &d
	switch {
	case a.Basis != PixelBasis && a.Basis != DCTBasis:
		return outcome{}, fmt.Errorf("attack: SimBA: unknown basis %v: use attack.PixelBasis or attack.DCTBasis", a.Basis)
	case !(a.StepSize > 0) || math.IsInf(a.StepSize, 1):
		return outcome{}, fmt.Errorf("attack: SimBA: StepSize is %g: use a positive step such as 0.2", a.StepSize)
	case a.FrequencySide < 0:
		return outcome{}, fmt.Errorf("attack: SimBA: FrequencySide is %d: use 0 (a quarter of the image) or a positive side", a.FrequencySide)
	}
	if err := checkBudget("SimBA", a.MaxQueries); err != nil {
		return outcome{}, err
	}
	g := c.g
	p := g.Pixels()
	o := newOracle(c, a.MaxQueries)
	rng := newRand(a.Seed)
	targeted := c.crit.Targeted()
	basis := newDirections(g, a.Basis, a.FrequencySide)
	orders := make([][]int, c.n)
	for i := range orders {
		orders[i] = basis.order(rng)
	}
	x := append([]float32(nil), c.images...)
	// score is the probability the attack lowers (untargeted) or raises
	// (targeted), stored so that lower is better.
	score := make([]float64, c.n)
	done := make([]bool, c.n)
	next := make([]int, c.n) // Index into orders[i] of the next direction.
	steps := make([]int, c.n)
	// moved[i] tells whether image i accepted a step in its current pass;
	// stuck[i], that a whole pass went without one.
	moved, stuck := make([]bool, c.n), make([]bool, c.n)
	k := g.Classes
	judge := func(who []int, candidates []float32) error {
		probs, err := o.probabilities(who, candidates)
		if err != nil {
			return err
		}
		for j, i := range who {
			row := probs[j*k : (j+1)*k]
			s := float64(row[c.classes[i]])
			if targeted {
				s = -s
			}
			if s < score[i] {
				moved[i] = true
				score[i] = s
				copy(x[i*p:(i+1)*p], candidates[j*p:(j+1)*p])
				done[i] = c.crit.IsAdversarial(i, row)
			}
		}
		return nil
	}
	all := active(c.n, func(int) bool { return true })
	for i := range score {
		score[i] = math.Inf(1)
	}
	if err := judge(all, gather(x, p, all)); err != nil {
		return outcome{}, err
	}
	for {
		for i := range c.n {
			if next[i] == len(orders[i]) {
				stuck[i] = !moved[i]
				orders[i], next[i], moved[i] = basis.order(rng), 0, false
			}
		}
		who := active(c.n, func(i int) bool { return !done[i] && !stuck[i] && o.left(i) > 0 })
		if len(who) == 0 {
			break
		}
		// Against the direction, then, where that did not help, along it.
		var asked []int
		var candidates []float32
		tried := make([][]float32, c.n)
		for _, i := range who {
			dir := basis.vector(orders[i][next[i]])
			next[i]++
			steps[i]++
			minus, changedMinus := step(x[i*p:(i+1)*p], dir, -a.StepSize)
			plus, changedPlus := step(x[i*p:(i+1)*p], dir, a.StepSize)
			if changedPlus {
				tried[i] = plus
			}
			if changedMinus {
				asked = append(asked, i)
				candidates = append(candidates, minus...)
			}
		}
		before := append([]float64(nil), score...)
		if err := judge(asked, candidates); err != nil {
			return outcome{}, err
		}
		asked, candidates = nil, nil
		for _, i := range who {
			if tried[i] != nil && score[i] >= before[i] && !done[i] && o.left(i) > 0 {
				asked = append(asked, i)
				candidates = append(candidates, tried[i]...)
			}
		}
		if err := judge(asked, candidates); err != nil {
			return outcome{}, err
		}
	}
	return outcome{images: x, claimed: done, steps: steps, queries: o.queries}, nil
}

// step returns image + size·dir clipped into [0, 1], and whether it differs
// from image.
func step(image []float32, dir []float64, size float64) ([]float32, bool) {
	out := make([]float32, len(image))
	changed := false
	for j, v := range image {
		out[j] = v
		if dir[j] != 0 {
			out[j] = clip01(float64(v) + size*dir[j])
			changed = changed || out[j] != v
		}
	}
	return out, changed
}

// directions is SimBA's basis for one geometry.
type directions struct {
	g     classifier.Geometry
	basis Basis
	side  int // The low-frequency block's side (DCT).
}

func newDirections(g classifier.Geometry, b Basis, side int) directions {
	if side == 0 {
		side = max(1, min(g.Rows, g.Cols)/4)
	}
	return directions{g: g, basis: b, side: min(side, g.Rows, g.Cols)}
}

// order returns every direction's index once, in the order one image tries
// them: random, the low-frequency block first for DCT.
func (d directions) order(rng *rand.Rand) []int {
	n := d.g.Pixels()
	if d.basis == PixelBasis {
		return rng.Perm(n)
	}
	var low, high []int
	for idx := range n {
		u, v, _ := d.dctIndex(idx)
		if u < d.side && v < d.side {
			low = append(low, idx)
		} else {
			high = append(high, idx)
		}
	}
	rng.Shuffle(len(low), func(i, j int) { low[i], low[j] = low[j], low[i] })
	rng.Shuffle(len(high), func(i, j int) { high[i], high[j] = high[j], high[i] })
	return append(low, high...)
}

// dctIndex splits a DCT direction's index into its frequencies and channel.
func (d directions) dctIndex(idx int) (u, v, ch int) {
	ch = idx % d.g.Channels
	cell := idx / d.g.Channels
	return cell / d.g.Cols, cell % d.g.Cols, ch
}

// vector returns direction idx as an image of unit L2 norm.
func (d directions) vector(idx int) []float64 {
	g := d.g
	out := make([]float64, g.Pixels())
	if d.basis == PixelBasis {
		out[idx] = 1
		return out
	}
	u, v, ch := d.dctIndex(idx)
	cu, cv := dctScale(u, g.Rows), dctScale(v, g.Cols)
	for r := range g.Rows {
		fr := cu * math.Cos(math.Pi*float64((2*r+1)*u)/float64(2*g.Rows))
		for col := range g.Cols {
			out[(r*g.Cols+col)*g.Channels+ch] = fr * cv * math.Cos(math.Pi*float64((2*col+1)*v)/float64(2*g.Cols))
		}
	}
	return out
}

// dctScale makes the DCT-II basis orthonormal: √(1/n) for frequency 0,
// √(2/n) otherwise.
func dctScale(k, n int) float64 {
	if k == 0 {
		return math.Sqrt(1 / float64(n))
	}
	return math.Sqrt(2 / float64(n))
}
