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

// DeepFool is the minimal-perturbation attack of Moosavi-Dezfooli et al.
// (2016), with Foolbox's rules: each step linearises the model around the
// current image and moves to the nearest linearised boundary between the
// originally predicted class and one of the Candidates next most likely
// classes, measured in L2 or L∞; the accumulated step, enlarged by
// 1+Overshoot, is added to the original image. Each image stops as soon as
// it is misclassified. It is untargeted.
type DeepFool struct {
	Distance   Distance // L2 (the default) or Linf.
	Steps      int      // 0: 50.
	Candidates int      // Classes considered, the original prediction included; at least 2 (0: 10).
	// Overshoot enlarges the accumulated step by 1+Overshoot, positive (0:
	// Foolbox's 0.02).
	Overshoot float64
}

// NewDeepFool returns DeepFool in d with Foolbox's defaults: 50 steps, 10
// candidates, overshoot 0.02 (the zero value of the other fields).
func NewDeepFool(d Distance) *DeepFool { return &DeepFool{Distance: d} }

// WithDefaults returns the settings as they run: a copy with every zero
// replaced by its documented default.
func (a DeepFool) WithDefaults() DeepFool {
	a.Distance, a.Steps, a.Candidates, a.Overshoot = a.Distance.or(L2), orInt(a.Steps, 50), orInt(a.Candidates, 10), orFloat(a.Overshoot, 0.02)
	return a
}

// Run searches each image's minimal adversarial and clips it to each budget
// of epsilons (none: unbounded).
func (a *DeepFool) Run(m classifier.Predictor, images []float32, crit Criterion, epsilons ...float64) (*Result, error) {
	return runMinimal(a, m, images, crit, epsilons, a.search)
}

// Norm is the distance of the search and of the budgets.
func (a *DeepFool) Norm() Distance { return a.Distance.or(L2) }

// String names the attack and its settings.
func (a *DeepFool) String() string {
	d := a.WithDefaults()
	a = &d
	return fmt.Sprintf("DeepFool %v (%d steps, %d candidates, overshoot %g)", a.Distance, a.Steps, a.Candidates, a.Overshoot)
}

type deepFoolKey struct {
	norm       Distance
	candidates int
}

func (a *DeepFool) search(c *call) (outcome, error) {
	d := a.WithDefaults()
	a = &d
	switch {
	case a.Distance != L2 && a.Distance != Linf:
		return outcome{}, fmt.Errorf("attack: DeepFool: norm %v is not supported: use attack.L2 or attack.Linf", a.Distance)
	case a.Steps < 1:
		return outcome{}, fmt.Errorf("attack: DeepFool: Steps is %d: take at least 1 step", a.Steps)
	case a.Candidates < 2:
		return outcome{}, fmt.Errorf("attack: DeepFool: Candidates is %d: use at least 2 (the predicted class and one more)", a.Candidates)
	case !(a.Overshoot >= 0) || math.IsInf(a.Overshoot, 1):
		return outcome{}, fmt.Errorf("attack: DeepFool: Overshoot is %g: use a number ≥ 0", a.Overshoot)
	case c.crit.Targeted():
		return outcome{}, fmt.Errorf("attack: DeepFool is untargeted: use attack.Misclassification")
	}
	m, err := c.differentiable("DeepFool")
	if err != nil {
		return outcome{}, err
	}
	k := min(a.Candidates, c.g.Classes)
	clean, err := c.cleanProbabilities()
	if err != nil {
		return outcome{}, err
	}
	// The candidate classes of each image: its k most likely classes on the
	// original image, most likely first.
	candidates := make([]int32, 0, c.n*k)
	order := make([]int, c.g.Classes)
	for i := range c.n {
		probs := clean[i*c.g.Classes : (i+1)*c.g.Classes]
		for j := range order {
			order[j] = j
		}
		slices.SortStableFunc(order, func(x, y int) int { return -cmpFloat(float64(probs[x]), float64(probs[y])) })
		for _, class := range order[:k] {
			candidates = append(candidates, int32(class))
		}
	}
	key := deepFoolKey{a.Distance, k}
	exec, err := stepExec(m, key, 2, 3, func(scope *model.Scope, state, fixed, scalars []*graph.Node) ([]*graph.Node, *graph.Node) {
		return deepFoolStep(scope, m, key, state[0], state[1], fixed[0], fixed[1], fixed[2], scalars[1])
	})
	if err != nil {
		return outcome{}, err
	}
	dims := c.imageDims()
	x, zeros := c.movingAndZeros()
	l := &loop{
		exec:    exec,
		state:   []column{x, zeros},
		fixed:   []column{newValues(c.images, dims...), newValues(c.classes), newValues(candidates, k)},
		scalars: func(int) []*tensors.Tensor { return []*tensors.Tensor{tensors.FromScalar(float32(a.Overshoot))} },
		steps:   a.Steps,
	}
	done, steps, err := l.run(c.n, nil)
	if err != nil {
		return outcome{}, err
	}
	return outcome{images: x.data, claimed: done, steps: steps}, nil
}

// deepFoolStep is one DeepFool step: x the current images, total the
// accumulated perturbation, x0 the originals, labels the true classes,
// candidates [B, k] the classes to consider (the original prediction
// first).
func deepFoolStep(scope *model.Scope, m classifier.Differentiable, key deepFoolKey, x, total, x0, labels, candidates, overshoot *graph.Node) ([]*graph.Node, *graph.Node) {
	logits, vjp := classifier.LogitsWithVJP(scope, m, x)
	done := isAdversarial(logits, labels, false)
	numClasses := logits.Shape().Dimensions[1]
	candidate := func(j int) *graph.Node {
		return graph.Reshape(graph.Slice(candidates, graph.AxisRange(), graph.AxisElem(j)), -1)
	}
	original := logitOf(logits, candidate(0))
	var gaps, directions []*graph.Node
	for j := 1; j < key.candidates; j++ {
		f := graph.Sub(logitOf(logits, candidate(j)), original) // Negative while the original class wins.
		// Its gradient: the Jacobian's product with e_candidate − e_original.
		w := vjp(graph.Sub(graph.OneHot(candidate(j), numClasses, x.DType()), graph.OneHot(candidate(0), numClasses, x.DType())))
		dual := L1 // The norm dual to L∞ measures the gradient.
		if key.norm == L2 {
			dual = L2
		}
		gaps = append(gaps, graph.Div(graph.Abs(f), graph.AddScalar(graph.Reshape(norm(w, dual), -1), 1e-8)))
		directions = append(directions, w)
	}
	gap := graph.Stack(gaps, 1) // [B, k-1]
	best := graph.ArgMin(gap, -1)
	choose := graph.OneHot(best, key.candidates-1, x.DType())
	distance := graph.AddScalar(graph.ReduceSum(graph.Mul(gap, choose), -1), 1e-4)
	w := graph.ReduceSum(graph.Mul(graph.Stack(directions, 1), graph.Reshape(choose, append([]int{-1, key.candidates - 1}, ones(x.Rank()-1)...)...)), 1)
	var step *graph.Node
	if key.norm == L2 {
		step = graph.Mul(graph.Div(perImageScalar(distance, x), graph.AddScalar(norm(w, L2), 1e-8)), w)
	} else {
		step = graph.Mul(perImageScalar(distance, x), graph.Sign(w))
	}
	nextTotal := graph.Add(total, step)
	moved := graph.ClipScalar(graph.Add(x0, graph.Mul(graph.OnePlus(graph.ConvertDType(overshoot, x.DType())), nextTotal)), 0, 1)
	return []*graph.Node{graph.StopGradient(selectImages(done, x, moved)), graph.StopGradient(selectImages(done, total, nextTotal))}, done
}

// ones returns n ones, for reshapes that broadcast.
func ones(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = 1
	}
	return out
}
