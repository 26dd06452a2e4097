package attack

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/advmlgo/advml/pkg/classifier"
)

// HopSkipJump is the decision-based attack of Chen, Jordan and Wainwright
// (2020): it sees only whether each query meets the criterion (the top
// class), never a probability or a gradient. From an adversarial starting
// point it repeats three moves, each image on its own, until its
// MaxQueries or Steps are spent:
//
//   - a binary search between the original and the adversarial point,
//     which lands just on the adversarial side of the boundary (in L2 along
//     the segment, in L∞ by shrinking the box around the original);
//   - an estimate of the boundary's normal there, from the verdicts on
//     random probes around the point (their number grows as
//     InitialGradientQueries·√t at iteration t, up to MaxGradientQueries);
//   - a step along it (in L∞ along its sign) whose size, starting from the
//     distance to the original over √t, halves until the point is
//     adversarial again.
//
// It is a minimal attack: Run clips the closest adversarial it found to
// each ε given. Untargeted, it starts from uniform noise that meets the
// criterion (up to InitTries draws per image); targeted, noise rarely
// shows the target, so call RunFrom with starts, one image per attacked
// image that the model already classifies as the target (an image of the
// target class).
// An image without a start is reported as failed with the queries it spent.
type HopSkipJump struct {
	Distance   Distance // L2 (the default) or Linf.
	MaxQueries int      // Queries per image, at least 1 (0: 5,000).
	// Steps bounds the iterations per image; 0, the default, leaves them to
	// MaxQueries alone.
	Steps                  int
	InitialGradientQueries int     // Probes of the first gradient estimate; at least 1 (0: 100).
	MaxGradientQueries     int     // Most probes of one estimate; at least InitialGradientQueries (0: 10,000).
	Gamma                  float64 // Sets the binary search's precision and the probes' radius; positive (0: 1).
	InitTries              int     // Noise draws per image for a start; at least 1 (0: 100).
	Seed                   int64

	starts []float32 // RunFrom's.
}

// NewHopSkipJump returns HopSkipJump in d with the paper's settings (100
// probes at first, at most 10,000, γ = 1), a budget of 5,000 queries per
// image and 100 noise draws for a start: the zero value of every other
// field.
func NewHopSkipJump(d Distance) *HopSkipJump { return &HopSkipJump{Distance: d} }

// WithDefaults returns the settings as they run: a copy with every zero
// replaced by its documented default.
func (a HopSkipJump) WithDefaults() HopSkipJump {
	a.Distance, a.MaxQueries = a.Distance.or(L2), orInt(a.MaxQueries, 5000)
	a.InitialGradientQueries, a.MaxGradientQueries = orInt(a.InitialGradientQueries, 100), orInt(a.MaxGradientQueries, 10000)
	a.Gamma, a.InitTries = orFloat(a.Gamma, 1), orInt(a.InitTries, 100)
	return a
}

// RunFrom is Run from given starting points, as Foolbox's starting_points:
// starts holds one image per attacked image (flat, like images), each of
// which must already meet the criterion. They are this call's alone: the
// settings value can serve other calls, with other starts, at once.
func (a *HopSkipJump) RunFrom(m classifier.Predictor, images, starts []float32, crit Criterion, epsilons ...float64) (*Result, error) {
	if starts == nil {
		return nil, fmt.Errorf("attack: HopSkipJump.RunFrom: starts is nil: give one start per image, or call Run to start from noise")
	}
	from := *a
	from.starts = starts
	return runMinimal(&from, m, images, crit, epsilons, from.search)
}

// From returns the attack bound to starts, for what takes an Attack (an
// ensemble, a query curve): its Run is RunFrom with these starts.
func (a *HopSkipJump) From(starts []float32) Attack { return hsjFrom{a, starts} }

type hsjFrom struct {
	a      *HopSkipJump
	starts []float32
}

func (h hsjFrom) Run(m classifier.Predictor, images []float32, crit Criterion, epsilons ...float64) (*Result, error) {
	return h.a.RunFrom(m, images, h.starts, crit, epsilons...)
}
func (h hsjFrom) Norm() Distance { return h.a.Norm() }
func (h hsjFrom) String() string { return h.a.String() }

// Run searches each image's closest adversarial and clips it to each budget
// of epsilons (none: unbounded).
func (a *HopSkipJump) Run(m classifier.Predictor, images []float32, crit Criterion, epsilons ...float64) (*Result, error) {
	return runMinimal(a, m, images, crit, epsilons, a.search)
}

// Norm is the distance it minimises.
func (a *HopSkipJump) Norm() Distance { return a.Distance.or(L2) }

// String names the attack and its settings.
func (a *HopSkipJump) String() string {
	d := a.WithDefaults()
	a = &d
	s := fmt.Sprintf("HopSkipJump %v (%d queries", a.Distance, a.MaxQueries)
	if a.Steps > 0 {
		s += fmt.Sprintf(", at most %d steps", a.Steps)
	}
	return s + ")"
}

func (a *HopSkipJump) validate(c *call) error {
	d := a.WithDefaults()
	a = &d
	switch {
	case a.Distance != L2 && a.Distance != Linf:
		return fmt.Errorf("attack: HopSkipJump: norm %v is not supported: use attack.L2 or attack.Linf", a.Distance)
	case a.Steps < 0:
		return fmt.Errorf("attack: HopSkipJump: Steps is %d: use 0 (until the queries run out) or more", a.Steps)
	case a.InitialGradientQueries < 1 || a.MaxGradientQueries < a.InitialGradientQueries:
		return fmt.Errorf("attack: HopSkipJump: InitialGradientQueries %d and MaxGradientQueries %d: use 1 ≤ initial ≤ max (100 and 10000 by default)",
			a.InitialGradientQueries, a.MaxGradientQueries)
	case !(a.Gamma > 0) || math.IsInf(a.Gamma, 1):
		return fmt.Errorf("attack: HopSkipJump: Gamma is %g: use a positive number such as 1", a.Gamma)
	case a.InitTries < 1 && a.starts == nil:
		return fmt.Errorf("attack: HopSkipJump: InitTries is %d: draw at least 1 noise image (0 for the default 100), or call RunFrom with starts", a.InitTries)
	case a.starts != nil && len(a.starts) != len(c.images):
		return fmt.Errorf("attack: HopSkipJump: %d values of starts for %d values of images: give one start per image", len(a.starts), len(c.images))
	}
	return checkBudget("HopSkipJump", a.MaxQueries)
}

// hsj is one run's state: per image, its boundary point (adversarial) and
// whether it has one.
type hsj struct {
	a     *HopSkipJump
	c     *call
	o     *oracle
	rng   *rand.Rand
	p     int       // Pixels per image.
	theta float64   // The binary search's precision.
	adv   []float32 // Current adversarial point per image, flat.
	found []bool
	steps []int
}

func (a *HopSkipJump) search(c *call) (outcome, error) {
	resolved := a.WithDefaults()
	a = &resolved
	if err := a.validate(c); err != nil {
		return outcome{}, err
	}
	p := c.g.Pixels()
	d := float64(p)
	s := &hsj{a: a, c: c, o: newOracle(c, a.MaxQueries), rng: newRand(a.Seed), p: p,
		adv: append([]float32(nil), c.images...), found: make([]bool, c.n), steps: make([]int, c.n)}
	s.theta = a.Gamma / (d * math.Sqrt(d))
	if a.Distance == Linf {
		s.theta = a.Gamma / (d * d)
	}
	if err := s.start(); err != nil {
		return outcome{}, err
	}
	who := active(c.n, func(i int) bool { return s.found[i] })
	if err := s.toBoundary(who, s.adv); err != nil {
		return outcome{}, err
	}
	for t := 1; a.Steps == 0 || t <= a.Steps; t++ {
		who = active(c.n, func(i int) bool { return s.found[i] && s.o.left(i) > 0 })
		if len(who) == 0 {
			break
		}
		if err := s.iterate(who, t); err != nil {
			return outcome{}, err
		}
	}
	return outcome{images: s.adv, claimed: s.found, steps: s.steps, queries: s.o.queries}, nil
}

// image returns image i of flat.
func (s *hsj) image(flat []float32, i int) []float32 { return flat[i*s.p : (i+1)*s.p] }

// start finds each image's starting adversarial: Starts, checked, or
// uniform noise.
func (s *hsj) start() error {
	c := s.c
	if s.a.starts != nil {
		who := active(c.n, func(int) bool { return true })
		ok, err := s.o.adversarial(who, s.a.starts)
		if err != nil {
			return err
		}
		for i, adv := range ok {
			if adv {
				copy(s.image(s.adv, i), s.image(s.a.starts, i))
				s.found[i] = true
			}
		}
		return nil
	}
	tries := make([]int, c.n)
	for {
		who := active(c.n, func(i int) bool { return !s.found[i] && tries[i] < s.a.InitTries && s.o.left(i) > 0 })
		if len(who) == 0 {
			return nil
		}
		noise := make([]float32, len(who)*s.p)
		for j := range noise {
			noise[j] = float32(s.rng.Float64())
		}
		ok, err := s.o.adversarial(who, noise)
		if err != nil {
			return err
		}
		for j, i := range who {
			tries[i]++
			if ok[j] {
				copy(s.image(s.adv, i), noise[j*s.p:(j+1)*s.p])
				s.found[i] = true
			}
		}
	}
}

// distance is how far point is from image i's original, in the attack's norm.
func (s *hsj) distance(i int, point []float32) float64 {
	return s.a.Distance.Measure(s.image(s.c.images, i), point)
}

// between is the point a fraction (L2) or a radius (L∞) of the way from
// image i's original towards adv: the blend (1−α)·x₀ + α·adv, or adv
// clipped into the L∞ box of radius α around x₀.
func (s *hsj) between(i int, adv []float32, alpha float64) []float32 {
	x0 := s.image(s.c.images, i)
	out := make([]float32, s.p)
	for j := range out {
		if s.a.Distance == L2 {
			out[j] = float32((1-alpha)*float64(x0[j]) + alpha*float64(adv[j]))
		} else {
			out[j] = float32(min(max(float64(adv[j]), float64(x0[j])-alpha), float64(x0[j])+alpha))
		}
	}
	return out
}

// toBoundary moves each listed image's adversarial point in points (flat,
// one per attacked image) onto the boundary, by a binary search between
// the original (not adversarial) and the point (adversarial) that stops
// when the bracket is narrower than θ (L2: of the blend; L∞: of the
// radius, or θ times it) or the image's queries run out.
func (s *hsj) toBoundary(who []int, points []float32) error {
	lo, hi := make([]float64, s.c.n), make([]float64, s.c.n)
	far := make([][]float32, s.c.n)
	for _, i := range who {
		far[i] = append([]float32(nil), s.image(points, i)...)
		hi[i] = 1
		if s.a.Distance == Linf {
			hi[i] = s.distance(i, far[i])
		}
	}
	precision := func(i int) float64 {
		if s.a.Distance == Linf {
			return min(s.theta, s.theta*hi[i])
		}
		return s.theta
	}
	for {
		pending := make([]int, 0, len(who))
		for _, i := range who {
			if hi[i]-lo[i] > precision(i) && s.o.left(i) > 0 {
				pending = append(pending, i)
			}
		}
		if len(pending) == 0 {
			break
		}
		mids := make([]float32, 0, len(pending)*s.p)
		for _, i := range pending {
			mids = append(mids, s.between(i, far[i], (lo[i]+hi[i])/2)...)
		}
		ok, err := s.o.adversarial(pending, mids)
		if err != nil {
			return err
		}
		for j, i := range pending {
			if ok[j] {
				hi[i] = (lo[i] + hi[i]) / 2
			} else {
				lo[i] = (lo[i] + hi[i]) / 2
			}
		}
	}
	for _, i := range who {
		copy(s.image(points, i), s.between(i, far[i], hi[i]))
	}
	return nil
}

// iterate is iteration t for the listed images: estimate the boundary's
// normal at each one's point, step along it, come back to the boundary,
// and keep the new point if it is closer.
func (s *hsj) iterate(who []int, t int) error {
	c, a := s.c, s.a
	d := float64(s.p)
	// The probes' radius: a tenth of the pixel range at first, then
	// proportional to the distance to the original.
	radius := make([]float64, c.n)
	dist := make([]float64, c.n)
	for _, i := range who {
		dist[i] = s.distance(i, s.image(s.adv, i))
		switch {
		case t == 1:
			radius[i] = 0.1
		case a.Distance == L2:
			radius[i] = math.Sqrt(d) * s.theta * dist[i]
		default:
			radius[i] = d * s.theta * dist[i]
		}
	}
	probes := min(int(float64(a.InitialGradientQueries)*math.Sqrt(float64(t))), a.MaxGradientQueries)
	directions, err := s.normals(who, probes, radius)
	if err != nil {
		return err
	}
	// Geometric step-size search from dist/√t: halve until adversarial.
	size := make([]float64, c.n)
	next := append([]float32(nil), s.adv...)
	moving := make([]int, 0, len(who))
	for _, i := range who {
		s.steps[i]++
		if directions[i] != nil && s.o.left(i) > 0 {
			size[i] = dist[i] / math.Sqrt(float64(t))
			moving = append(moving, i)
		}
	}
	stepped := func(i int) []float32 {
		x, dir := s.image(s.adv, i), directions[i]
		out := make([]float32, s.p)
		for j := range out {
			out[j] = clip01(float64(x[j]) + size[i]*dir[j])
		}
		return out
	}
	for len(moving) > 0 {
		candidates := make([]float32, 0, len(moving)*s.p)
		for _, i := range moving {
			candidates = append(candidates, stepped(i)...)
		}
		ok, err := s.o.adversarial(moving, candidates)
		if err != nil {
			return err
		}
		still := moving[:0]
		for j, i := range moving {
			switch {
			case ok[j]:
				copy(s.image(next, i), candidates[j*s.p:(j+1)*s.p])
			case s.o.left(i) > 0 && size[i] > 1e-12:
				size[i] /= 2
				still = append(still, i)
			}
		}
		moving = still
	}
	if err := s.toBoundary(who, next); err != nil {
		return err
	}
	for _, i := range who {
		if s.distance(i, s.image(next, i)) < dist[i] {
			copy(s.image(s.adv, i), s.image(next, i))
		}
	}
	return nil
}

// normals estimates, for each listed image, the boundary's outward normal
// at its point from the verdicts on up to probes random points at radius
// around it (Gaussian directions in L2, uniform in L∞), each verdict
// centred by their mean; in L∞ the result is its sign. An image with no
// query left gets nil.
func (s *hsj) normals(who []int, probes int, radius []float64) ([][]float64, error) {
	c := s.c
	var asked []int
	var points []float32
	var dirs [][]float64 // The actual displacement of each probe, over its radius.
	for _, i := range who {
		n := min(probes, s.o.left(i))
		x := s.image(s.adv, i)
		for range n {
			u := make([]float64, s.p)
			var norm float64
			for j := range u {
				if s.a.Distance == L2 {
					u[j] = s.rng.NormFloat64()
				} else {
					u[j] = 2*s.rng.Float64() - 1
				}
				norm += u[j] * u[j]
			}
			norm = math.Sqrt(norm)
			for j := range u {
				v := clip01(float64(x[j]) + radius[i]*u[j]/norm)
				points = append(points, v)
				u[j] = (float64(v) - float64(x[j])) / radius[i]
			}
			asked = append(asked, i)
			dirs = append(dirs, u)
		}
	}
	ok, err := s.o.adversarial(asked, points)
	if err != nil {
		return nil, err
	}
	out := make([][]float64, c.n)
	for start := 0; start < len(asked); {
		i := asked[start]
		end := start
		var mean float64
		for end < len(asked) && asked[end] == i {
			mean += verdict(ok[end])
			end++
		}
		mean /= float64(end - start)
		g := make([]float64, s.p)
		for k := start; k < end; k++ {
			w := verdict(ok[k])
			if mean != 1 && mean != -1 {
				w -= mean
			}
			for j, v := range dirs[k] {
				g[j] += w * v
			}
		}
		var norm float64
		for _, v := range g {
			norm += v * v
		}
		norm = math.Max(math.Sqrt(norm), tiny)
		for j := range g {
			if s.a.Distance == Linf {
				g[j] = sign(g[j])
			} else {
				g[j] /= norm
			}
		}
		out[i] = g
		start = end
	}
	return out, nil
}

// sign is −1, 0 or +1.
func sign(v float64) float64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// verdict is +1 for an adversarial probe, −1 otherwise.
func verdict(adversarial bool) float64 {
	if adversarial {
		return 1
	}
	return -1
}

// TargetStarts returns starting points for a targeted HopSkipJump: for each
// class of targets, the first image of pool (flat) that m classifies as
// that class, one start per target, flat. It asks m to classify the pool
// once (those queries are not an attack's).
func TargetStarts(m classifier.Predictor, pool []float32, targets []int) ([]float32, error) {
	g := m.Geometry()
	if _, err := g.CheckImages(pool); err != nil {
		return nil, fmt.Errorf("attack: TargetStarts: %w", err)
	}
	classes, _, err := classifier.Classify(m, pool)
	if err != nil {
		return nil, err
	}
	first := make(map[int]int)
	for j, c := range classes {
		if _, ok := first[c]; !ok {
			first[c] = j
		}
	}
	starts := make([]float32, 0, len(targets)*g.Pixels())
	for i, t := range targets {
		j, ok := first[t]
		if !ok {
			return nil, fmt.Errorf("attack: TargetStarts: no image of the pool is classified as %d (target of image %d): give a larger pool", t, i)
		}
		starts = append(starts, g.Image(pool, j)...)
	}
	return starts, nil
}
