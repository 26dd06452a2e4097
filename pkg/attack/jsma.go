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

// JSMA is the Jacobian-based saliency map attack of Papernot et al. (2016),
// an L0 attack: it changes few pixels, by a lot. Each step computes, for
// every pixel p, α_p = ∂z_target/∂x_p and β_p = ∂(Σ_{j≠target} z_j)/∂x_p
// (z the logits) and picks the pair of pixels (p, q) that maximises
// (α_p+α_q)·|β_p+β_q| among those with α_p+α_q > 0 and β_p+β_q < 0: raising
// both helps the target and hurts the other classes. It adds Theta to both
// (clipped into [0, 1]) and takes them out of the search. It stops when the
// model predicts the target, when no pair qualifies, or when MaxFraction of
// the pixels have changed.
//
// It is targeted; under Misclassification it aims, per image, at the most
// likely wrong class of the original image. The pair search holds
// pixels² values per image, so images go through in chunks of ChunkSize.
type JSMA struct {
	Theta       float64 // The change of a chosen pixel, in (0, 1] (raises pixels; 0: 1).
	MaxFraction float64 // γ, the largest share of the pixels changed, in (0, 1] (0: 0.145).
	ChunkSize   int     // Images per batch; at least 1 (0: 64).
}

// NewJSMA returns the attack with the paper's MNIST settings: pixels raised
// to the maximum (θ = 1), at most 14.5% of them changed; 64 images at a
// time. It is the zero JSMA.
func NewJSMA() *JSMA { return &JSMA{} }

// WithDefaults returns the settings as they run: a copy with every zero
// replaced by its documented default.
func (a JSMA) WithDefaults() JSMA {
	a.Theta, a.MaxFraction, a.ChunkSize = orFloat(a.Theta, 1), orFloat(a.MaxFraction, 0.145), orInt(a.ChunkSize, 64)
	return a
}

// Run searches each image's adversarial with few changed pixels and clips
// it to each L0 budget of epsilons (the number of pixels; none: unbounded).
func (a *JSMA) Run(m classifier.Predictor, images []float32, crit Criterion, epsilons ...float64) (*Result, error) {
	return runMinimal(a, m, images, crit, epsilons, a.search)
}

// Norm is L0: budgets count pixels.
func (a *JSMA) Norm() Distance { return L0 }

// String names the attack and its settings.
func (a *JSMA) String() string {
	d := a.WithDefaults()
	a = &d
	return fmt.Sprintf("JSMA L0 (θ=%g, at most %.1f%% of the pixels)", a.Theta, 100*a.MaxFraction)
}

func (a *JSMA) search(c *call) (outcome, error) {
	d := a.WithDefaults()
	a = &d
	switch {
	case !(a.Theta > 0 && a.Theta <= 1):
		return outcome{}, fmt.Errorf("attack: JSMA: Theta is %g: use a change in (0, 1]", a.Theta)
	case !(a.MaxFraction > 0 && a.MaxFraction <= 1):
		return outcome{}, fmt.Errorf("attack: JSMA: MaxFraction is %g: use a share in (0, 1]", a.MaxFraction)
	case a.ChunkSize < 1:
		return outcome{}, fmt.Errorf("attack: JSMA: ChunkSize is %d: use at least 1", a.ChunkSize)
	}
	m, err := c.differentiable("JSMA")
	if err != nil {
		return outcome{}, err
	}
	targets := c.classes
	if !c.crit.Targeted() {
		runs, err := likeliestWrongClasses(c, 1)
		if err != nil {
			return outcome{}, err
		}
		targets = runs[0]
	}
	targeted := c.crit.Targeted()
	exec, err := stepExec(m, targeted, 2, 2, func(scope *model.Scope, state, fixed, scalars []*graph.Node) ([]*graph.Node, *graph.Node) {
		return jsmaStep(scope, m, targeted, state[0], state[1], fixed[0], fixed[1], scalars[1])
	})
	if err != nil {
		return outcome{}, err
	}
	p := c.g.Pixels()
	dims := c.imageDims()
	x := newValues(append([]float32(nil), c.images...), dims...)
	// The search domain: pixels that can still rise.
	domain := make([]bool, len(c.images))
	for i, v := range c.images {
		domain[i] = v < 1
	}
	l := &loop{
		exec:    exec,
		state:   []column{x, newValues(domain, p)},
		fixed:   []column{newValues(c.classes), newValues(targets)},
		scalars: func(int) []*tensors.Tensor { return []*tensors.Tensor{tensors.FromScalar(float32(a.Theta))} },
		steps:   int(math.Floor(a.MaxFraction * float64(p) / 2)),
	}
	steps := make([]int, c.n)
	all := make([]int, c.n)
	for i := range all {
		all[i] = i
	}
	for chunk := range slices.Chunk(all, a.ChunkSize) {
		_, run, err := l.run(c.n, chunk)
		if err != nil {
			return outcome{}, err
		}
		for _, i := range chunk {
			steps[i] = run[i]
		}
	}
	// A step flags done both images it fooled and images with no pair
	// left, so the verdict comes from a prediction.
	_, claimed, err := c.judge(x.data)
	if err != nil {
		return outcome{}, err
	}
	return outcome{images: x.data, claimed: claimed, steps: steps}, nil
}

// jsmaStep raises the most salient pair of pixels of each image. state: the
// images and the search domain [B, pixels]; fixed: the criterion's classes
// and the targets; theta the change.
func jsmaStep(scope *model.Scope, m classifier.Differentiable, targeted bool, x, domain, classes, targets, theta *graph.Node) ([]*graph.Node, *graph.Node) {
	logits, vjp := classifier.LogitsWithVJP(scope, m, x)
	adversarial := isAdversarial(logits, classes, targeted)
	isTarget := graph.OneHot(targets, logits.Shape().Dimensions[1], x.DType())
	alpha := vjp(isTarget)                // ∂z_target/∂x
	beta := vjp(graph.OneMinus(isTarget)) // ∂(Σ_{j≠target} z_j)/∂x
	batch := x.Shape().Dimensions[0]
	pixels := x.Shape().Size() / batch
	alpha, beta = graph.Reshape(alpha, batch, pixels), graph.Reshape(beta, batch, pixels)
	pairSum := func(v *graph.Node) *graph.Node { // [B, P, P]: v_p + v_q.
		return graph.Add(graph.Reshape(v, batch, pixels, 1), graph.Reshape(v, batch, 1, pixels))
	}
	a, b := pairSum(alpha), pairSum(beta)
	inDomain := graph.And(graph.Reshape(domain, batch, pixels, 1), graph.Reshape(domain, batch, 1, pixels))
	pairs := shapes.Make(dtypes.Int32, batch, pixels, pixels)
	distinct := graph.NotEqual(graph.Iota(x.Graph(), pairs, 1), graph.Iota(x.Graph(), pairs, 2))
	valid := graph.And(graph.And(inDomain, distinct), graph.And(graph.GreaterThan(a, graph.ZerosLike(a)), graph.LessThan(b, graph.ZerosLike(b))))
	score := graph.Where(valid, graph.Mul(a, graph.Neg(b)), graph.Infinity(x.Graph(), x.DType(), -1))
	flat := graph.Reshape(score, batch, pixels*pixels)
	best := graph.ArgMax(flat, -1)
	stuck := graph.Not(graph.ReduceLogicalOr(graph.Reshape(valid, batch, pixels*pixels), -1))
	first, second := graph.Div(best, graph.ConstAs(best, pixels)), graph.Mod(best, graph.ConstAs(best, pixels))
	chosen := graph.Add(graph.OneHot(first, pixels, x.DType()), graph.OneHot(second, pixels, x.DType()))
	moved := graph.ClipScalar(graph.Add(x, graph.Mul(theta, graph.Reshape(chosen, x.Shape().Dimensions...))), 0, 1)
	nextDomain := graph.And(domain, graph.Not(graph.GreaterThan(chosen, graph.ZerosLike(chosen))))
	done := graph.Or(adversarial, stuck)
	return []*graph.Node{graph.StopGradient(selectImages(done, x, moved)), selectImages(done, domain, nextDomain)}, done
}
