package attack

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/classifier"
)

// FAB is the fast adaptive boundary attack of Croce and Hein (2020), a
// minimal-perturbation attack in L∞ or L2. Each step linearises the model
// at the current image x and picks the boundary to cross: the target's
// against the strongest other class (targeted), or the class whose
// linearised boundary with the label is nearest (untargeted). It projects
// both x and the original x₀ onto the half-space beyond that boundary,
// within the [0, 1] box, and moves to a mix of the
// two projections, each enlarged by Eta, that leans towards x₀'s by at most
// AlphaMax: the step never drifts far from the original. Once the new point
// is adversarial it is kept if it is the smallest found so far, and the
// iterate steps back towards x₀ by the factor Beta, to search closer. Every
// image runs every step; the result is its smallest adversarial.
//
// With Targets and an untargeted criterion (AutoAttack's FAB-T) the search
// runs once per target, the Targets most likely wrong classes on the
// original image in turn, keeping each image's smallest adversarial over
// them; when the call has budgets, an image already fooled within the
// smallest skips the targets left (AutoAttack's rule). With a targeted criterion it crosses towards the
// criterion's target. Each run starts from the image itself, as
// AutoAttack's standard version does.
type FAB struct {
	Distance Distance // Linf (the default) or L2.
	Steps    int      // 0: 100.
	// Targets, with an untargeted criterion, is how many of the likeliest
	// wrong classes are tried as targets (AutoAttack's FAB-T uses 9); 0
	// runs the untargeted FAB, which chooses the nearest boundary at every
	// step.
	Targets  int
	AlphaMax float64 // The largest weight of the step from x₀, in [0, 1] (0: 0.1).
	Eta      float64 // The projections' overshoot, at least 1 (0: 1.05).
	Beta     float64 // The backward step towards x₀ after a success, in (0, 1] (0: 0.9).
}

// NewFAB returns FAB in d with the settings of the paper and of AutoAttack:
// 100 steps, α_max 0.1, η 1.05, β 0.9, untargeted (Targets 0). FAB-T as
// AutoAttack runs it is NewFAB(d) with Targets 9.
func NewFAB(d Distance) *FAB { return &FAB{Distance: d} }

// WithDefaults returns the settings as they run: a copy with every zero
// replaced by its documented default.
func (a FAB) WithDefaults() FAB {
	a.Distance, a.Steps = a.Distance.or(Linf), orInt(a.Steps, 100)
	a.AlphaMax, a.Eta, a.Beta = orFloat(a.AlphaMax, 0.1), orFloat(a.Eta, 1.05), orFloat(a.Beta, 0.9)
	return a
}

// Run searches each image's minimal adversarial and clips it to each budget
// of epsilons (none: unbounded).
func (a *FAB) Run(m classifier.Predictor, images []float32, crit Criterion, epsilons ...float64) (*Result, error) {
	// Without budgets every image tries every target, for its smallest
	// adversarial.
	smallest := math.Inf(-1)
	if len(epsilons) > 0 {
		smallest = slices.Min(epsilons)
	}
	return runMinimal(a, m, images, crit, epsilons, func(c *call) (outcome, error) { return a.search(c, smallest) })
}

// Norm is the distance of the search and of the budgets.
func (a *FAB) Norm() Distance { return a.Distance.or(Linf) }

// String names the attack and its settings, e.g. "FAB-T L∞ (100 steps, 9 targets)".
func (a *FAB) String() string {
	d := a.WithDefaults()
	name := "FAB"
	if d.Targets > 0 {
		name = "FAB-T"
	}
	s := fmt.Sprintf("%s %v (%d steps", name, d.Distance, d.Steps)
	if d.Targets > 0 {
		s += fmt.Sprintf(", %d targets", d.Targets)
	}
	return s + ")"
}

type fabKey struct {
	norm     Distance
	targeted bool // Towards a target class (FAB-T or a targeted criterion).
	adverse  bool // The criterion's: success is reaching the target (true) or leaving the label.
}

func (a *FAB) validate(c *call) error {
	switch {
	case a.Distance != Linf && a.Distance != L2:
		return fmt.Errorf("attack: FAB: norm %v is not supported: use attack.Linf or attack.L2", a.Distance)
	case a.Steps < 1:
		return fmt.Errorf("attack: FAB: Steps is %d: take at least 1 step (0 for the default 100)", a.Steps)
	case a.Targets < 0 || a.Targets > c.g.Classes-1:
		return fmt.Errorf("attack: FAB: Targets is %d: use 1 to %d for FAB-T, or 0 for the untargeted FAB", a.Targets, c.g.Classes-1)
	case c.crit.Targeted() && a.Targets > 0:
		return fmt.Errorf("attack: FAB: Targets (%d) picks targets for an untargeted criterion; a TargetedMisclassification brings its own: set Targets to 0", a.Targets)
	case c.crit.Targeted() && c.crit.TrueLabels() == nil:
		return fmt.Errorf("attack: FAB: a targeted run needs the true labels: set TargetedMisclassification.Labels")
	case !(a.AlphaMax >= 0 && a.AlphaMax <= 1):
		return fmt.Errorf("attack: FAB: AlphaMax is %g: use a weight in [0, 1] (0 for the default 0.1)", a.AlphaMax)
	case !(a.Eta >= 1) || math.IsInf(a.Eta, 1):
		return fmt.Errorf("attack: FAB: Eta is %g: use an overshoot of at least 1 (0 for the default 1.05)", a.Eta)
	case !(a.Beta > 0 && a.Beta <= 1):
		return fmt.Errorf("attack: FAB: Beta is %g: use a factor in (0, 1] (0 for the default 0.9)", a.Beta)
	}
	return nil
}

func (a *FAB) search(c *call, smallestBudget float64) (outcome, error) {
	d := a.WithDefaults()
	a = &d
	if err := a.validate(c); err != nil {
		return outcome{}, err
	}
	m, err := c.differentiable("FAB")
	if err != nil {
		return outcome{}, err
	}
	key := fabKey{norm: a.Distance, targeted: c.crit.Targeted() || a.Targets > 0, adverse: c.crit.Targeted()}
	exec, err := stepExec(m, key, 3, 4, func(scope *model.Scope, state, fixed, scalars []*graph.Node) ([]*graph.Node, *graph.Node) {
		return fabStep(scope, m, key, state, fixed, scalars)
	})
	if err != nil {
		return outcome{}, err
	}
	// labels: the class to leave (the true label); classes: the criterion's.
	labels, targetRuns := c.classes, [][]int32{c.classes}
	switch {
	case c.crit.Targeted():
		labels = int32s(c.crit.TrueLabels())
	case a.Targets > 0:
		if targetRuns, err = likeliestWrongClasses(c, a.Targets); err != nil {
			return outcome{}, err
		}
	}
	dims := c.imageDims()
	inf := make([]float32, c.n)
	for i := range inf {
		inf[i] = float32(math.Inf(1))
	}
	best := newValues(append([]float32(nil), c.images...), dims...)
	bestNorm := newValues(inf)
	out := outcome{claimed: make([]bool, c.n), steps: make([]int, c.n)}
	var active []int // All images at first; then those not yet fooled within the smallest budget.
	scalars := func(int) []*tensors.Tensor {
		return []*tensors.Tensor{tensors.FromScalar(float32(a.AlphaMax)), tensors.FromScalar(float32(a.Eta)), tensors.FromScalar(float32(a.Beta))}
	}
	for _, targets := range targetRuns {
		x := newValues(append([]float32(nil), c.images...), dims...)
		l := &loop{
			exec:  exec,
			state: []column{x, best, bestNorm},
			fixed: []column{newValues(c.images, dims...), newValues(labels), newValues(c.classes), newValues(targets)},
			steps: a.Steps, scalars: scalars,
		}
		done, steps, err := l.run(c.n, active)
		if err != nil {
			return outcome{}, err
		}
		var next []int
		for i := range c.n {
			if _, ran := slices.BinarySearch(active, i); active != nil && !ran {
				continue
			}
			out.claimed[i] = out.claimed[i] || done[i]
			out.steps[i] += steps[i]
			if !(float64(bestNorm.data[i]) <= smallestBudget) {
				next = append(next, i)
			}
		}
		if active = next; len(active) == 0 {
			break
		}
	}
	out.images = best.data
	return out, nil
}

// fabStep is one FAB step. state: x, the best adversarial so far and its
// norm ([B], +Inf while none); fixed: x₀, the labels to leave, the
// criterion's classes and the targets (used when key.targeted); scalars:
// the last-call flag, α_max, η and β.
func fabStep(scope *model.Scope, m classifier.Differentiable, key fabKey, state, fixed, scalars []*graph.Node) ([]*graph.Node, *graph.Node) {
	x, best, bestNorm := state[0], state[1], state[2]
	x0, labels, classes, targets := fixed[0], fixed[1], fixed[2], fixed[3]
	last, alphaMax, eta, beta := scalars[0], scalars[1], scalars[2], scalars[3]
	dtype := x.DType()
	logits, vjp := classifier.LogitsWithVJP(scope, m, x)
	numClasses := logits.Shape().Dimensions[1]
	own := graph.OneHot(labels, numClasses, dtype)
	// The boundary to cross: f = z_s − z_label (negative on the label's
	// side) and its gradient w, for the class s chosen.
	var f, w *graph.Node
	switch {
	case key.adverse:
		// Towards the criterion's target: the boundary between it and the
		// strongest other class, which must fall for the target to win.
		isTarget := graph.ConvertDType(graph.OneHot(targets, numClasses, dtype), dtypes.Bool)
		rival := graph.ConvertDType(graph.ArgMax(graph.Where(isTarget, graph.Infinity(x.Graph(), dtype, -1), logits), -1), targets.DType())
		f = graph.Sub(logitOf(logits, targets), logitOf(logits, rival))
		w = vjp(graph.Sub(graph.OneHot(targets, numClasses, dtype), graph.OneHot(rival, numClasses, dtype)))
	case key.targeted:
		// FAB-T: the boundary between the label and the run's target.
		f = graph.Sub(logitOf(logits, targets), logitOf(logits, labels))
		w = vjp(graph.Sub(graph.OneHot(targets, numClasses, dtype), own))
	default:
		dual := L1 // The norm dual to L∞ measures the gradient.
		if key.norm == L2 {
			dual = L2
		}
		var gaps, fs, ws []*graph.Node
		for j := range numClasses {
			class := graph.Scalar(x.Graph(), labels.DType(), j)
			fj := graph.Sub(graph.Slice(logits, graph.AxisRange(), graph.AxisElem(j)), graph.Reshape(logitOf(logits, labels), -1, 1))
			fj = graph.Reshape(fj, -1)
			wj := vjp(graph.Sub(graph.BroadcastToDims(graph.Reshape(graph.OneHot(class, numClasses, dtype), 1, numClasses), logits.Shape().Dimensions...), own))
			gap := graph.Div(graph.Abs(fj), graph.AddScalar(graph.Reshape(norm(wj, dual), -1), tiny))
			// The label itself is no boundary.
			gap = graph.Where(graph.Equal(labels, class), graph.Infinity(x.Graph(), dtype, 1), gap)
			gaps, fs, ws = append(gaps, gap), append(fs, fj), append(ws, wj)
		}
		choose := graph.OneHot(graph.ArgMin(graph.Stack(gaps, 1), -1), numClasses, dtype) // [B, K]
		f = graph.ReduceSum(graph.Mul(graph.Stack(fs, 1), choose), -1)
		w = graph.ReduceSum(graph.Mul(graph.Stack(ws, 1), graph.Reshape(choose, append([]int{-1, numClasses}, ones(x.Rank()-1)...)...)), 1)
	}
	// The smallest moves from x and from x₀ into the half-space
	// f + w·(z − x) ≥ 0, within the box.
	fromX := fabProjection(x, w, graph.Neg(f), key.norm)
	fromX0 := fabProjection(x0, w, graph.Sub(graph.Neg(f), graph.Reshape(perImage(graph.Mul(w, graph.Sub(x0, x)), graph.ReduceSum), -1)), key.norm)
	n1, n2 := graph.Reshape(norm(fromX, key.norm), -1), graph.Reshape(norm(fromX0, key.norm), -1)
	alpha := graph.Min(graph.Div(n1, graph.AddScalar(graph.Add(n1, n2), tiny)), graph.ConvertDType(alphaMax, dtype))
	alpha = perImageScalar(alpha, x)
	etaX := graph.ConvertDType(eta, dtype)
	moved := graph.Add(graph.Mul(graph.OneMinus(alpha), graph.Add(x, graph.Mul(etaX, fromX))),
		graph.Mul(alpha, graph.Add(x0, graph.Mul(etaX, fromX0))))
	moved = graph.ClipScalar(moved, 0, 1)
	// A second use of the model in the graph needs a scope object of its own.
	movedLogits, _ := classifier.LogitsWithVJP(scope.Store().Scope(scope.Scope()), m, moved)
	fooled := isAdversarial(movedLogits, classes, key.adverse)
	size := graph.Reshape(norm(graph.Sub(moved, x0), key.norm), -1)
	better := graph.LogicalAnd(fooled, graph.LessThan(size, bestNorm))
	nextBest := selectImages(better, moved, best)
	nextNorm := graph.Where(better, size, bestNorm)
	back := graph.Add(x0, graph.Mul(graph.ConvertDType(beta, dtype), graph.Sub(moved, x0)))
	nextX := selectImages(fooled, back, moved)
	// No image stops early; the last call's flags say which found one.
	found := graph.IsFinite(bestNorm)
	done := graph.LogicalAnd(graph.BroadcastToDims(last, found.Shape().Dimensions...), found)
	return []*graph.Node{graph.StopGradient(nextX), graph.StopGradient(nextBest), graph.StopGradient(nextNorm)}, done
}

// fabProjection returns, per image, the smallest δ in d (L∞ or L2) with
// w·δ ≥ r ([B]) and p + δ within [0, 1]; δ = 0 where r ≤ 0, and the
// largest w·δ the box allows where it cannot reach r. The move is
// δ(u) = clip(u·v, −p, 1 − p), v = sign(w) (L∞) or w (L2), and w·δ(u) =
// Σᵢ aᵢ·min(u, tᵢ) is piecewise linear in u, with aᵢ = |wᵢ| and tᵢ the
// room of pixel i towards sign(wᵢ) (L∞), or aᵢ = wᵢ² and tᵢ that room over
// |wᵢ| (L2). With the breakpoints tᵢ sorted, the segment where it reaches
// r and the u on it follow from prefix sums: exact, in one sort.
func fabProjection(p, w, r *graph.Node, d Distance) *graph.Node {
	g, dtype := p.Graph(), p.DType()
	batch := p.Shape().Dimensions[0]
	flatP, flatW := graph.Reshape(p, batch, -1), graph.Reshape(w, batch, -1)
	zeros := graph.ZerosLike(flatW)
	room := graph.Where(graph.GreaterThan(flatW, zeros), graph.OneMinus(flatP),
		graph.Where(graph.LessThan(flatW, zeros), flatP, zeros))
	a, t := graph.Abs(flatW), room
	if d == L2 {
		a, t = graph.Square(flatW), graph.Div(room, graph.Max(graph.Abs(flatW), graph.Scalar(g, dtype, tiny)))
	}
	t = graph.Where(graph.Equal(a, zeros), zeros, t) // A pixel w does not move adds nothing anyway.
	byBreakpoint := graph.NewClosure(g, func(g *graph.Graph) []*graph.Node {
		lhs, rhs := graph.Parameter(g, "lhs_t", shapes.Make(dtype)), graph.Parameter(g, "rhs_t", shapes.Make(dtype))
		graph.Parameter(g, "lhs_a", shapes.Make(dtype))
		graph.Parameter(g, "rhs_a", shapes.Make(dtype))
		return []*graph.Node{graph.LessThan(lhs, rhs)}
	})
	sorted := graph.SortFunc(byBreakpoint, 1, false, t, a)
	t, a = sorted[0], sorted[1]
	// Up to breakpoint k, the pixels before it are saturated (their part of
	// w·δ is aⱼtⱼ) and the others still grow with u (slope Σⱼ≥ₖ aⱼ).
	saturated := graph.CumSum(graph.Mul(a, t), 1, &graph.CumSumOptions{Exclusive: true})
	slope := graph.CumSum(a, 1, &graph.CumSumOptions{Reverse: true})
	rCol := graph.Reshape(r, batch, 1)
	reach := graph.Add(saturated, graph.Mul(t, slope)) // w·δ(tₖ), nondecreasing in k.
	pixels := reach.Shape().Dimensions[1]
	k := graph.ReduceSum(graph.ConvertDType(graph.LessThan(reach, rCol), dtypes.Int32), -1)
	// r lies between reach[k−1] and reach[k]: u solves saturated[k] + u·slope[k] = r.
	u := graph.Div(graph.Sub(rCol, saturated), graph.Max(slope, graph.Scalar(g, dtype, tiny)))
	u = graph.ReduceSum(graph.Mul(u, graph.OneHot(graph.MinScalar(k, pixels-1), pixels, dtype)), -1)
	// Out of reach: every pixel as far as the box lets it go.
	u = graph.Where(graph.Equal(k, graph.Scalar(g, dtypes.Int32, pixels)), graph.ReduceMax(t, -1), u)
	v := graph.Sign(w)
	if d == L2 {
		v = w
	}
	delta := graph.Min(graph.Max(graph.Mul(perImageScalar(u, p), v), graph.Neg(p)), graph.OneMinus(p))
	wv := graph.Reshape(perImage(graph.Mul(w, v), graph.ReduceSum), -1)
	needed := graph.LogicalAnd(graph.GreaterThan(r, graph.ZerosLike(r)), graph.GreaterThan(wv, graph.ZerosLike(wv)))
	return selectImages(needed, delta, graph.ZerosLike(delta))
}
