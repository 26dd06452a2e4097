package attack

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/classifier"
)

// Loss is what APGD ascends.
type Loss int

const (
	// CrossEntropy: the label's cross-entropy (untargeted), or minus the
	// target's (targeted).
	CrossEntropy Loss = iota
	// DLR is the difference of logits ratio of Croce and Hein (2020),
	// −(z_y − max_{j≠y} z_j) / (z_π1 − z_π3), untargeted: invariant to
	// shifts and scalings of the logits.
	DLR
	// TargetedDLR is its targeted form, −(z_y − z_t) / (z_π1 − (z_π3+z_π4)/2),
	// for a target t (π sorts the logits, largest first).
	TargetedDLR
)

// String returns "CE", "DLR" or "DLR-T".
func (l Loss) String() string {
	switch l {
	case CrossEntropy:
		return "CE"
	case DLR:
		return "DLR"
	case TargetedDLR:
		return "DLR-T"
	}
	return fmt.Sprintf("Loss(%d)", int(l))
}

// APGD is the auto-PGD of Croce and Hein (2020), the core of AutoAttack:
// PGD with momentum (α = 0.75) whose step size, starting at 2ε, halves at
// checkpoints where the loss has not risen often enough (in at most Rho of
// the steps since the last checkpoint) or where neither the step size nor
// the best loss changed; the iterate then restarts from the best point. The
// checkpoints follow AutoAttack's schedule: the first after 22% of the
// steps, then ever shorter intervals, never under 6%.
//
// With TargetedDLR and an untargeted criterion (AutoAttack's APGD-T), the
// attack runs once per target, the NumTargets most likely wrong classes in
// turn, on the images not yet fooled; success is any misclassification.
// Each image stops at its first adversarial iterate.
type APGD struct {
	Distance   Distance // Linf (the default) or L2.
	Loss       Loss     // CrossEntropy (the default), DLR or TargetedDLR.
	Steps      int      // 0: 100.
	Restarts   int      // Runs per image (per target), each from a new random start; 0 means 1.
	NumTargets int      // TargetedDLR with Misclassification only: the targets tried (0: 9, or every class but the prediction when the model has fewer than 10).
	Rho        float64  // The share of rising steps below which the step size halves, in (0, 1] (0: 0.75).
	Seed       int64
}

// NewAPGD returns APGD in d (L∞ or L2) on loss with AutoAttack's standard
// settings: 100 steps, one run, 9 targets for TargetedDLR, ρ = 0.75 (the
// zero value of every other field).
func NewAPGD(d Distance, loss Loss) *APGD { return &APGD{Distance: d, Loss: loss} }

// WithDefaults returns the settings as they run: a copy with every zero
// replaced by its documented default.
func (a APGD) WithDefaults() APGD {
	a.Distance, a.Steps, a.Restarts = a.Distance.or(Linf), orInt(a.Steps, 100), orInt(a.Restarts, 1)
	a.NumTargets, a.Rho = orInt(a.NumTargets, 9), orFloat(a.Rho, 0.75)
	return a
}

// Run attacks images within each budget of epsilons (at least one).
func (a *APGD) Run(m classifier.Predictor, images []float32, crit Criterion, epsilons ...float64) (*Result, error) {
	return runFixed(a, m, images, crit, epsilons)
}

// Norm is the distance of the budget.
func (a *APGD) Norm() Distance { return a.Distance.or(Linf) }

// String names the attack and its settings, e.g. "APGD-CE L∞ (100 steps)".
func (a *APGD) String() string {
	d := a.WithDefaults()
	a = &d
	s := fmt.Sprintf("APGD-%v %v (%d steps", a.Loss, a.Distance, a.Steps)
	if a.Loss == TargetedDLR {
		s += fmt.Sprintf(", %d targets", a.NumTargets)
	}
	if a.Restarts > 1 {
		s += fmt.Sprintf(", %d restarts", a.Restarts)
	}
	return s + ")"
}

type apgdKey struct {
	norm     Distance
	loss     Loss
	targeted bool // The criterion's.
}

func (a *APGD) validate(c *call) error {
	switch {
	case a.Distance != Linf && a.Distance != L2:
		return fmt.Errorf("attack: APGD: norm %v is not supported: use attack.Linf or attack.L2", a.Distance)
	case a.Loss < CrossEntropy || a.Loss > TargetedDLR:
		return fmt.Errorf("attack: APGD: unknown loss %v: use attack.CrossEntropy, DLR or TargetedDLR", a.Loss)
	case a.Steps < 1:
		return fmt.Errorf("attack: APGD: Steps is %d: take at least 1 step (0 for the default 100)", a.Steps)
	case a.Restarts < 1:
		return fmt.Errorf("attack: APGD: Restarts is %d: run at least 1 (0 for the default 1)", a.Restarts)
	case !(a.Rho > 0 && a.Rho <= 1):
		return fmt.Errorf("attack: APGD: Rho is %g: use a share in (0, 1] (0 for the default 0.75)", a.Rho)
	case a.Loss == DLR && c.crit.Targeted():
		return fmt.Errorf("attack: APGD: the DLR loss is untargeted: use attack.TargetedDLR with a TargetedMisclassification")
	case a.Loss == TargetedDLR && c.crit.Targeted() && c.crit.TrueLabels() == nil:
		return fmt.Errorf("attack: APGD: the targeted DLR loss needs the true labels: set TargetedMisclassification.Labels")
	case a.Loss == TargetedDLR && !c.crit.Targeted() && (a.NumTargets < 1 || a.NumTargets > c.g.Classes-1):
		return fmt.Errorf("attack: APGD: NumTargets is %d: use 1 to %d (the classes other than the prediction)", a.NumTargets, c.g.Classes-1)
	case a.Loss == DLR && c.g.Classes < 3, a.Loss == TargetedDLR && c.g.Classes < 4:
		return fmt.Errorf("attack: APGD: the %v loss needs at least %d classes; the model has %d", a.Loss, 3+int(a.Loss-DLR), c.g.Classes)
	}
	return nil
}

func (a *APGD) budgeted(c *call, budgets []float64) (outcome, error) {
	d := a.WithDefaults()
	if a.NumTargets == 0 {
		d.NumTargets = min(d.NumTargets, max(c.g.Classes-1, 1))
	}
	a = &d
	if err := a.validate(c); err != nil {
		return outcome{}, err
	}
	m, err := c.differentiable("APGD")
	if err != nil {
		return outcome{}, err
	}
	key := apgdKey{a.Distance, a.Loss, c.crit.Targeted()}
	exec, err := stepExec(m, key, len(apgdState), 5, func(scope *model.Scope, state, fixed, scalars []*graph.Node) ([]*graph.Node, *graph.Node) {
		return apgdStep(scope, m, key, state, fixed, scalars)
	})
	if err != nil {
		return outcome{}, err
	}
	// The loss's classes: the label (or target) for CE and DLR; for the
	// targeted DLR the true label and a target.
	lossLabels, lossTargets := c.classes, c.classes
	var targetRuns [][]int32 // Targeted DLR with an untargeted criterion: one target set per run.
	switch {
	case a.Loss == TargetedDLR && c.crit.Targeted():
		lossLabels = int32s(c.crit.TrueLabels())
	case a.Loss == TargetedDLR:
		if targetRuns, err = likeliestWrongClasses(c, a.NumTargets); err != nil {
			return outcome{}, err
		}
	}
	if targetRuns == nil {
		targetRuns = [][]int32{lossTargets}
	}
	dims := c.imageDims()
	rng := newRand(a.Seed)
	out := outcome{images: append([]float32(nil), c.images...), claimed: make([]bool, c.n), steps: make([]int, c.n)}
	schedule := apgdCheckpoints(a.Steps)
	var active []int // All images at first; then those not fooled yet.
	for _, targets := range targetRuns {
		fixed := []column{newValues(c.images, dims...), newValues(c.classes), newValues(lossLabels), newValues(targets), newValues(float32s(budgets))}
		for range a.Restarts {
			x := newValues(randomStart(c, budgets, a.Distance, rng), dims...)
			state := a.initialState(c, x, budgets, dims)
			l := &loop{
				exec: exec, state: state, fixed: fixed, steps: a.Steps,
				scalars: func(step int) []*tensors.Tensor {
					window := schedule[step]
					return []*tensors.Tensor{tensors.FromScalar(step == 0), tensors.FromScalar(window > 0),
						tensors.FromScalar(float32(a.Rho * float64(window)))}
				},
			}
			done, steps, err := l.run(c.n, active)
			if err != nil {
				return outcome{}, err
			}
			active = keepRestart(c, &out, x.data, done, steps, active)
			if len(active) == 0 {
				return out, nil
			}
		}
	}
	return out, nil
}

// apgdState names APGD's state columns, in order.
var apgdState = []string{"x", "previous x", "best x", "gradient at best x", "best loss", "previous loss",
	"rises", "step size", "best loss at last checkpoint", "halved at last checkpoint"}

func (a *APGD) initialState(c *call, x *values[float32], budgets []float64, dims []int) []column {
	n, p := c.n, c.g.Pixels()
	filled := func(v float32) *values[float32] {
		out := make([]float32, n)
		for i := range out {
			out[i] = v
		}
		return newValues(out)
	}
	steps := make([]float32, n)
	for i, eps := range budgets {
		steps[i] = float32(2 * eps)
	}
	halved := make([]bool, n)
	for i := range halved {
		halved[i] = true // So that the first checkpoint judges by the rises alone, as AutoAttack does.
	}
	return []column{
		x, newValues(append([]float32(nil), x.data...), dims...), newValues(append([]float32(nil), x.data...), dims...),
		newValues(make([]float32, n*p), dims...), filled(float32(math.Inf(-1))), filled(float32(math.Inf(1))),
		filled(0), newValues(steps), filled(float32(math.Inf(-1))), newValues(halved),
	}
}

// apgdCheckpoints returns, per call of the loop (steps+1 calls), the length
// of the window that ends at that call when it is a checkpoint, or 0.
// Call i ≥ 1 evaluates the iterate after i steps, as AutoAttack's
// iteration i−1 does before its checkpoint test.
func apgdCheckpoints(steps int) []int {
	schedule := make([]int, steps+1)
	window := max(int(0.22*float64(steps)), 1)
	shrink, shortest := max(int(0.03*float64(steps)), 1), max(int(0.06*float64(steps)), 1)
	count := 0
	for i := 1; i <= steps; i++ {
		if count++; count == window {
			schedule[i] = window
			window, count = max(window-shrink, shortest), 0
		}
	}
	return schedule
}

// likeliestWrongClasses returns, for run r = 0..k-1, each image's (r+2)-th
// most likely class on the original image (AutoAttack's APGD-T targets).
func likeliestWrongClasses(c *call, k int) ([][]int32, error) {
	clean, err := c.cleanProbabilities()
	if err != nil {
		return nil, err
	}
	runs := make([][]int32, k)
	for r := range runs {
		runs[r] = make([]int32, c.n)
	}
	order := make([]int, c.g.Classes)
	for i := range c.n {
		probs := clean[i*c.g.Classes : (i+1)*c.g.Classes]
		for j := range order {
			order[j] = j
		}
		slices.SortStableFunc(order, func(x, y int) int { return -cmpFloat(float64(probs[x]), float64(probs[y])) })
		for r := range runs {
			runs[r][i] = int32(order[r+1])
		}
	}
	return runs, nil
}

func int32s(xs []int) []int32 {
	out := make([]int32, len(xs))
	for i, x := range xs {
		out[i] = int32(x)
	}
	return out
}

// apgdLoss is the loss APGD ascends, per image.
func apgdLoss(logits, labels, targets *graph.Node, loss Loss, targeted bool) *graph.Node {
	switch loss {
	case DLR, TargetedDLR:
		// The r-th largest logit, [B], differentiable: sorting picks the
		// classes, the gradient flows through their logits.
		_, order := graph.TopK(graph.StopGradient(logits), 4, -1)
		rank := func(r int) *graph.Node {
			return logitOf(logits, graph.Reshape(graph.Slice(order, graph.AxisRange(), graph.AxisElem(r)), -1))
		}
		first, third := rank(0), rank(2)
		if loss == DLR {
			return graph.Neg(graph.Div(graph.Sub(logitOf(logits, labels), largestOther(logits, labels)), graph.AddScalar(graph.Sub(first, third), 1e-12)))
		}
		return graph.Neg(graph.Div(graph.Sub(logitOf(logits, labels), logitOf(logits, targets)), graph.AddScalar(graph.Sub(first, graph.MulScalar(graph.Add(third, rank(3)), 0.5)), 1e-12)))
	}
	ce := crossEntropy(logits, labels)
	if targeted {
		return graph.Neg(ce)
	}
	return ce
}

// apgdStep evaluates the current iterate (loss, gradient, success, best
// point, checkpoint) and takes one step. state: see apgdState. fixed: the
// originals, the criterion's classes, the loss's labels and targets, the
// budgets. scalars: the last-call flag, whether this is the first call,
// whether it is a checkpoint, and ρ times the checkpoint's window.
func apgdStep(scope *model.Scope, m classifier.Differentiable, key apgdKey, state, fixed, scalars []*graph.Node) ([]*graph.Node, *graph.Node) {
	x, previous, best, bestGradient, bestLoss, previousLoss := state[0], state[1], state[2], state[3], state[4], state[5]
	rises, stepSize, lastCheckLoss, halvedAtLastCheck := state[6], state[7], state[8], state[9]
	x0, classes, lossLabels, lossTargets, eps := fixed[0], fixed[1], fixed[2], fixed[3], fixed[4]
	first, checkpoint, minRises := scalars[1], scalars[2], scalars[3]

	logits, loss, g := lossGradient(scope, m, x, func(logits *graph.Node) *graph.Node {
		return apgdLoss(logits, lossLabels, lossTargets, key.loss, key.targeted)
	})
	done := isAdversarial(logits, classes, key.targeted)

	improved := graph.GreaterThan(loss, bestLoss)
	best, bestGradient, bestLoss = selectImages(improved, x, best), selectImages(improved, g, bestGradient), graph.Max(loss, bestLoss)
	rises = graph.Add(rises, graph.ConvertDType(graph.GreaterThan(loss, previousLoss), rises.DType()))
	lastCheckLoss = graph.Where(first, loss, lastCheckLoss)

	// At a checkpoint, halve the step size and go back to the best point
	// where the loss rose too rarely, or where nothing improved since a
	// checkpoint that did not halve.
	stalled := graph.And(graph.Not(halvedAtLastCheck), graph.GreaterOrEqual(lastCheckLoss, bestLoss))
	halve := graph.And(checkpoint, graph.Or(graph.LessOrEqual(rises, minRises), stalled))
	stepSize = graph.Where(halve, graph.MulScalar(stepSize, 0.5), stepSize)
	from, direction := selectImages(halve, best, x), selectImages(halve, bestGradient, g)
	halvedAtLastCheck = graph.Where(checkpoint, halve, halvedAtLastCheck)
	lastCheckLoss = graph.Where(checkpoint, bestLoss, lastCheckLoss)
	rises = graph.Where(checkpoint, graph.ZerosLike(rises), rises)

	// The step, then momentum: x' = P(from + α(z − from) + (1−α)(from − previous)).
	z := project(graph.Add(from, graph.Mul(perImageScalar(stepSize, x), normalize(direction, key.norm))), x0, eps, key.norm)
	alpha := graph.Where(first, graph.OnesLike(stepSize), graph.MulScalar(graph.OnesLike(stepSize), 0.75))
	alpha = perImageScalar(alpha, x)
	moved := project(graph.Add(from, graph.Add(graph.Mul(alpha, graph.Sub(z, from)), graph.Mul(graph.OneMinus(alpha), graph.Sub(from, previous)))), x0, eps, key.norm)

	next := []*graph.Node{moved, from, best, bestGradient, bestLoss, loss, rises, stepSize, lastCheckLoss, halvedAtLastCheck}
	for i, n := range next {
		next[i] = graph.StopGradient(selectImages(done, state[i], n))
	}
	return next, done
}
