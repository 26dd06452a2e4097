package attack

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/classifier"
)

// CarliniWagner is the L2 attack of Carlini and Wagner (2017). It writes
// the adversarial as x' = (tanh(w₀+δ)+1)/2, so that it stays in [0, 1], and
// minimises with Adam, over δ,
//
//	‖x' − x₀‖² + c · max(0, z_label − max_{j≠label} z_j + κ)
//
// (targeted: max(0, max_{j≠target} z_j − z_target + κ)), keeping each
// image's smallest adversarial. A binary search over c, per image, runs
// BinarySearchSteps such minimisations: c grows tenfold until an
// adversarial is found, then bisects between the largest failure and the
// smallest success. The rules are Foolbox's, except that abort-early
// watches each image's own loss (Foolbox watches the batch's sum, so its
// results depend on the batching): an image stops its minimisation when its
// loss has not fallen by 0.01% over the last Steps/10 steps.
type CarliniWagner struct {
	BinarySearchSteps int     // Values of c tried per image (0: 9).
	Steps             int     // Adam steps per value of c (0: 10,000).
	StepSize          float64 // Adam's learning rate (0: 0.01).
	Confidence        float64 // κ, the margin required, ≥ 0 (0, the default: none).
	InitialConst      float64 // The first c (0: 0.001).
	// NoAbortEarly runs every Adam step of every value of c; by default an
	// image stops a minimisation once its loss has stopped falling.
	NoAbortEarly bool
}

// NewCarliniWagner returns the attack with Foolbox's defaults: 9 binary
// search steps of up to 10,000 Adam steps of 0.01, κ = 0, c starting at
// 0.001, abort-early on. It is the zero CarliniWagner.
func NewCarliniWagner() *CarliniWagner { return &CarliniWagner{} }

// WithDefaults returns the settings as they run: a copy with every zero
// replaced by its documented default.
func (a CarliniWagner) WithDefaults() CarliniWagner {
	a.BinarySearchSteps, a.Steps = orInt(a.BinarySearchSteps, 9), orInt(a.Steps, 10000)
	a.StepSize, a.InitialConst = orFloat(a.StepSize, 0.01), orFloat(a.InitialConst, 0.001)
	return a
}

// Run searches each image's minimal L2 adversarial and clips it to each
// budget of epsilons (none: unbounded). An image for which no adversarial
// was found comes back unchanged.
func (a *CarliniWagner) Run(m classifier.Predictor, images []float32, crit Criterion, epsilons ...float64) (*Result, error) {
	return runMinimal(a, m, images, crit, epsilons, a.search)
}

// Norm is L2.
func (a *CarliniWagner) Norm() Distance { return L2 }

// String names the attack and its settings.
func (a *CarliniWagner) String() string {
	d := a.WithDefaults()
	a = &d
	return fmt.Sprintf("Carlini-Wagner L2 (%d×%d steps of %g, κ=%g, c₀=%g)", a.BinarySearchSteps, a.Steps, a.StepSize, a.Confidence, a.InitialConst)
}

type cwKey struct {
	targeted bool
}

// Adam's constants, as Foolbox and the paper use them.
const (
	adamBeta1   = 0.9
	adamBeta2   = 0.999
	adamEpsilon = 1e-8
)

func (a *CarliniWagner) search(c *call) (outcome, error) {
	d := a.WithDefaults()
	a = &d
	positive := func(x float64) bool { return x > 0 && !math.IsInf(x, 1) }
	switch {
	case a.BinarySearchSteps < 1:
		return outcome{}, fmt.Errorf("attack: Carlini-Wagner: BinarySearchSteps is %d: use at least 1", a.BinarySearchSteps)
	case a.Steps < 1:
		return outcome{}, fmt.Errorf("attack: Carlini-Wagner: Steps is %d: take at least 1 step", a.Steps)
	case !positive(a.StepSize):
		return outcome{}, fmt.Errorf("attack: Carlini-Wagner: StepSize is %g: use a positive learning rate", a.StepSize)
	case !positive(a.InitialConst):
		return outcome{}, fmt.Errorf("attack: Carlini-Wagner: InitialConst is %g: use a positive constant", a.InitialConst)
	case !(a.Confidence >= 0) || math.IsInf(a.Confidence, 1):
		return outcome{}, fmt.Errorf("attack: Carlini-Wagner: Confidence is %g: use a margin ≥ 0", a.Confidence)
	}
	m, err := c.differentiable("Carlini-Wagner")
	if err != nil {
		return outcome{}, err
	}
	key := cwKey{c.crit.Targeted()}
	exec, err := stepExec(m, key, 7, 4, func(scope *model.Scope, state, fixed, scalars []*graph.Node) ([]*graph.Node, *graph.Node) {
		return cwStep(scope, m, key, state, fixed, scalars)
	})
	if err != nil {
		return outcome{}, err
	}
	p := c.g.Pixels()
	dims := c.imageDims()
	// w₀: the originals in tanh space.
	w0 := make([]float32, len(c.images))
	for i, v := range c.images {
		w0[i] = float32(math.Atanh(0.999999 * (2*float64(v) - 1)))
	}
	consts := make([]float64, c.n)
	lower, upper := make([]float64, c.n), make([]float64, c.n)
	for i := range consts {
		consts[i], upper[i] = a.InitialConst, math.Inf(1)
	}
	best := newValues(append([]float32(nil), c.images...), dims...)
	bestNorm := newValues(make([]float32, c.n))
	for i := range bestNorm.data {
		bestNorm.data[i] = float32(math.Inf(1))
	}
	checkEvery := int(math.Ceil(float64(a.Steps) / 10))
	steps := make([]int, c.n)
	for range a.BinarySearchSteps {
		found := newValues(make([]bool, c.n))
		lastLoss := newValues(make([]float32, c.n))
		for i := range lastLoss.data {
			lastLoss.data[i] = float32(math.Inf(1))
		}
		l := &loop{
			exec: exec,
			state: []column{
				newValues(make([]float32, c.n*p), dims...), // δ
				newValues(make([]float32, c.n*p), dims...), // Adam's first moment
				newValues(make([]float32, c.n*p), dims...), // Adam's second moment
				best, bestNorm, found, lastLoss,
			},
			fixed: []column{newValues(w0, dims...), newValues(c.classes), newValues(float32s(consts)), newValues(c.images, dims...)},
			scalars: func(step int) []*tensors.Tensor {
				t := float64(step + 1)
				return []*tensors.Tensor{
					tensors.FromScalar(!a.NoAbortEarly && step%checkEvery == 0),
					tensors.FromScalar(float32(a.StepSize)),
					tensors.FromScalar(float32(1 - math.Pow(adamBeta1, t))),
					tensors.FromScalar(float32(1 - math.Pow(adamBeta2, t))),
					tensors.FromScalar(float32(a.Confidence)),
				}
			},
			steps: a.Steps,
		}
		_, stepsRun, err := l.run(c.n, nil)
		if err != nil {
			return outcome{}, err
		}
		for i := range c.n {
			steps[i] += stepsRun[i]
			if found.data[i] {
				upper[i] = consts[i]
			} else {
				lower[i] = consts[i]
			}
			if math.IsInf(upper[i], 1) {
				consts[i] *= 10
			} else {
				consts[i] = (lower[i] + upper[i]) / 2
			}
		}
	}
	claimed := make([]bool, c.n)
	for i, n := range bestNorm.data {
		claimed[i] = !math.IsInf(float64(n), 1)
	}
	return outcome{images: best.data, claimed: claimed, steps: steps}, nil
}

// cwStep is one Adam step of the minimisation. state: δ, Adam's moments m
// and v, the best adversarial so far and its L2 distance, whether this
// minimisation found one, and the loss at the last abort-early check. fixed:
// w₀, the classes, c, the originals. scalars: the last-call flag, whether
// to check for an early abort, the learning rate, Adam's bias corrections
// 1−β₁ᵗ and 1−β₂ᵗ, κ.
func cwStep(scope *model.Scope, m classifier.Differentiable, key cwKey, state, fixed, scalars []*graph.Node) ([]*graph.Node, *graph.Node) {
	delta, moment1, moment2, best, bestNorm, found, lastLoss := state[0], state[1], state[2], state[3], state[4], state[5], state[6]
	w0, classes, consts, originals := fixed[0], fixed[1], fixed[2], fixed[3]
	check, rate, bias1, bias2, kappa := scalars[1], scalars[2], scalars[3], scalars[4], scalars[5]
	toImage := func(w *graph.Node) *graph.Node { return graph.AddScalar(graph.MulScalar(graph.Tanh(w), 0.5), 0.5) }
	tanh := graph.Tanh(graph.Add(w0, delta))
	x := graph.AddScalar(graph.MulScalar(tanh, 0.5), 0.5)
	logits, vjp := classifier.LogitsWithVJP(scope, m, x)
	margin := graph.Sub(logitOf(logits, classes), largestOther(logits, classes)) // Untargeted: the label must lose.
	if key.targeted {
		margin = graph.Neg(margin) // Targeted: the target must win.
	}
	margin = graph.Add(margin, kappa)
	// The distance term is measured from the original as tanh space gives
	// it back (Foolbox's rule), the best distance from the original itself.
	fromOriginal := graph.Sub(x, toImage(w0))
	penalty := graph.Mul(consts, graph.Max(margin, graph.ZerosLike(margin)))
	loss := graph.Add(penalty, graph.Reshape(perImage(graph.Square(fromOriginal), graph.ReduceSum), -1)) // [B]
	// The gradient with respect to δ: the penalty's through the model, the
	// distance's directly, then through x = (tanh(w₀+δ)+1)/2.
	gx := graph.Add(vjp(graph.Gradient(graph.ReduceAllSum(penalty), logits)[0]), graph.MulScalar(fromOriginal, 2))
	g := graph.Mul(gx, graph.MulScalar(graph.OneMinus(graph.Square(tanh)), 0.5))

	nextM1 := graph.Add(graph.MulScalar(moment1, adamBeta1), graph.MulScalar(g, 1-adamBeta1))
	nextM2 := graph.Add(graph.MulScalar(moment2, adamBeta2), graph.MulScalar(graph.Square(g), 1-adamBeta2))
	unbiased1, unbiased2 := graph.Div(nextM1, bias1), graph.Div(nextM2, bias2)
	nextDelta := graph.Sub(delta, graph.Mul(rate, graph.Div(unbiased1, graph.AddScalar(graph.Sqrt(unbiased2), adamEpsilon))))

	adversarial := graph.LessThan(margin, graph.ZerosLike(margin))
	distance := graph.Reshape(norm(graph.Sub(x, originals), L2), -1)
	improved := graph.And(adversarial, graph.LessThan(distance, bestNorm))

	// Abort-early: at each check, an image whose loss has not fallen by
	// 0.01% since the last check stops, and this step is not recorded.
	abort := graph.And(check, graph.Not(graph.LessOrEqual(loss, graph.MulScalar(lastLoss, 0.9999))))
	next := []*graph.Node{
		nextDelta, nextM1, nextM2,
		selectImages(improved, x, best), graph.Where(improved, distance, bestNorm),
		graph.Or(found, adversarial), graph.Where(check, loss, lastLoss),
	}
	for i, n := range next {
		next[i] = graph.StopGradient(selectImages(abort, state[i], n))
	}
	return next, abort
}
