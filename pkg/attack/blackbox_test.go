package attack_test

import (
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/stats"
)

// answersOnly wraps the article's model: it predicts, and counts the images
// it is asked to predict, but it fails the test if anything asks for its
// graph, its weights or its engine, which is all a gradient needs.
type answersOnly struct {
	*cnn.Model
	t *testing.T

	mu        sync.Mutex
	predicted int
}

func (a *answersOnly) Predict(images []float32) ([][]float32, error) {
	probs, err := a.Model.Predict(images)
	a.mu.Lock()
	a.predicted += len(probs)
	a.mu.Unlock()
	return probs, err
}

func (a *answersOnly) gradientUse(what string) {
	a.t.Helper()
	a.t.Errorf("a black-box attack asked the model for its %s", what)
}

func (a *answersOnly) Logits(scope *model.Scope, images *Node) *Node {
	a.gradientUse("logits graph")
	return a.Model.Logits(scope, images)
}

func (a *answersOnly) LogitsWithVJP(scope *model.Scope, images *Node) (*Node, func(*Node) *Node) {
	a.gradientUse("vector-Jacobian product")
	return a.Model.LogitsWithVJP(scope, images)
}

func (a *answersOnly) Store() *model.Store {
	a.gradientUse("weights")
	return a.Model.Store()
}

func (a *answersOnly) Backend() compute.Backend {
	a.gradientUse("engine")
	return a.Model.Backend()
}

// blackBoxCase is a black-box attack with a budget ε (0 for the minimal
// ones: no budget).
type blackBoxCase struct {
	attack  attack.Attack
	epsilon float64
}

// run runs the attack on images within its budget.
func (c blackBoxCase) run(t *testing.T, m classifier.Predictor, images []float32, crit attack.Criterion) *attack.Result {
	t.Helper()
	var epsilons []float64
	if c.epsilon > 0 {
		epsilons = []float64{c.epsilon}
	}
	res, err := c.attack.Run(m, images, crit, epsilons...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// blackBoxAttacks are the black-box attacks with small budgets.
func blackBoxAttacks() []blackBoxCase {
	square, squareL2 := attack.NewSquare(attack.Linf), attack.NewSquare(attack.L2)
	square.MaxQueries, squareL2.MaxQueries = 300, 600
	pixel, dct := attack.NewSimBA(attack.PixelBasis), attack.NewSimBA(attack.DCTBasis)
	pixel.MaxQueries, dct.MaxQueries = 400, 400
	hsj, hsjInf := attack.NewHopSkipJump(attack.L2), attack.NewHopSkipJump(attack.Linf)
	hsj.MaxQueries, hsjInf.MaxQueries = 600, 600
	return []blackBoxCase{{square, 0.3}, {squareL2, 3}, {pixel, 0}, {dct, 0}, {hsj, 0}, {hsjInf, 0}}
}

func TestBlackBoxAttacksUseAnswersOnlyAndCountThem(t *testing.T) {
	testutil.Slow(t)
	m := &answersOnly{Model: testutil.Trained(t), t: t}
	images, labels, _ := sample(t, 12)
	crit := attack.Misclassification{Labels: labels}
	n := len(labels)
	for _, c := range blackBoxAttacks() {
		t.Run(c.attack.String(), func(t *testing.T) {
			m.predicted = 0
			res := c.run(t, m, images, crit)
			predicted := m.predicted
			checkResult(t, m, res, crit, c.epsilon > 0)
			if len(res.Queries) != 1 || len(res.Queries[0]) != n {
				t.Fatalf("query counts %v: want one budget's, for %d images", res.Queries, n)
			}
			// Every image the model predicted is one of the attack's
			// queries, but for the clean images and the clipped
			// adversarials, which Run predicts once each to judge them.
			sum := 0
			for _, q := range res.Queries[0] {
				sum += q
			}
			if want := sum + 2*n; predicted != want {
				t.Errorf("the model predicted %d images; the queries counted add up to %d, plus %d to judge: %d", predicted, sum, 2*n, want)
			}
			budget := maxQueries(c.attack)
			for i, q := range res.Queries[0] {
				if q < 1 || q > budget {
					t.Errorf("image %d: %d queries, outside 1..%d", i, q, budget)
				}
				// A fixed-budget attack stops an image only at success or
				// at its budget.
				if c.epsilon > 0 && !res.Claimed[0][i] && q != budget {
					t.Errorf("image %d failed after %d of its %d queries", i, q, budget)
				}
			}
			if res.SuccessRate(0) < 0.5 {
				t.Errorf("success rate %.2f: the attack barely works on the article's model", res.SuccessRate(0))
			}
		})
	}
}

func maxQueries(a attack.Attack) int {
	switch a := a.(type) {
	case *attack.Square:
		return a.MaxQueries
	case *attack.SimBA:
		return a.MaxQueries
	case *attack.HopSkipJump:
		return a.MaxQueries
	}
	panic("not a black-box attack")
}

func TestBlackBoxAttacksRepeatWithTheirSeed(t *testing.T) {
	testutil.Slow(t)
	m := testutil.Trained(t)
	images, labels, _ := sample(t, 6)
	crit := attack.Misclassification{Labels: labels}
	for _, c := range blackBoxAttacks() {
		run := func(seed int64) *attack.Result {
			t.Helper()
			switch a := c.attack.(type) {
			case *attack.Square:
				a.Seed = seed
			case *attack.SimBA:
				a.Seed = seed
			case *attack.HopSkipJump:
				a.Seed = seed
			}
			return c.run(t, m, images, crit)
		}
		first, again, other := run(3), run(3), run(4)
		if !slices.Equal(first.Raw[0], again.Raw[0]) || !slices.Equal(first.Queries[0], again.Queries[0]) {
			t.Errorf("%v: two runs with seed 3 differ", c.attack)
		}
		if slices.Equal(first.Raw[0], other.Raw[0]) {
			t.Errorf("%v: seeds 3 and 4 give the same images: the seed is not used", c.attack)
		}
	}
}

func TestTargetedBlackBox(t *testing.T) {
	testutil.Slow(t)
	m := testutil.Trained(t)
	images, labels, targets := sample(t, 8)
	crit := attack.TargetedMisclassification{Labels: labels, Targets: targets}
	test := testutil.MNIST(t).Test
	// HopSkipJump starts from an image of each target class.
	var starts []float32
	for _, target := range targets {
		j := slices.Index(test.Labels[100:], target) + 100
		starts = append(starts, test.Image(j)...)
	}
	hsj := attack.NewHopSkipJump(attack.L2)
	hsj.MaxQueries = 1000
	square := attack.NewSquare(attack.Linf)
	square.MaxQueries = 1000
	dct := attack.NewSimBA(attack.DCTBasis)
	dct.MaxQueries = 5000
	for _, a := range []attack.Attack{hsj, square, dct} {
		var epsilons []float64
		if a == square {
			epsilons = []float64{0.3}
		}
		run := a.Run
		if a == hsj {
			run = func(m classifier.Predictor, images []float32, crit attack.Criterion, epsilons ...float64) (*attack.Result, error) {
				return hsj.RunFrom(m, images, starts, crit, epsilons...)
			}
		}
		res, err := run(m, images, crit, epsilons...)
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, m, res, crit, a == square)
		if res.SuccessRate(0) < 0.75 {
			t.Errorf("%v: targeted success rate %.2f on the article's model", a, res.SuccessRate(0))
		}
	}
	// HopSkipJump moves from its start towards the original: the result is
	// closer than the start.
	res, err := hsj.Run(m, images, crit)
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(labels) {
		original := mnist28(images, i)
		if res.Success[0][i] && attack.L2.Measure(original, mnist28(res.Raw[0], i)) >= attack.L2.Measure(original, mnist28(starts, i)) {
			t.Errorf("image %d: HopSkipJump ended no closer than its start", i)
		}
	}
}

func mnist28(flat []float32, i int) []float32 { return flat[i*784 : (i+1)*784] }

func TestBlackBoxBadInputs(t *testing.T) {
	m := testutil.Trained(t)
	images, labels, _ := sample(t, 2)
	crit := attack.Misclassification{Labels: labels}
	square := attack.NewSquare(attack.Linf)
	square.MaxQueries = -1
	squareL1 := attack.NewSquare(attack.L1)
	simba := attack.NewSimBA(attack.DCTBasis)
	simba.MaxQueries = -5
	basis := attack.NewSimBA(attack.Basis(7))
	hsj := attack.NewHopSkipJump(attack.L2)
	hsjNoStart := attack.NewHopSkipJump(attack.L2)
	hsjNoStart.InitTries = -1
	for _, c := range []struct {
		attack attack.Attack
		eps    []float64
		want   string
	}{
		{square, []float64{0.3}, "MaxQueries is -1"},
		{squareL1, []float64{0.3}, "norm L1 is not supported"},
		{simba, nil, "MaxQueries is -5"},
		{basis, nil, "unknown basis"},
		{hsjNoStart, nil, "InitTries is -1"},
	} {
		_, err := c.attack.Run(m, images, crit, c.eps...)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v, want one line containing %q", c.attack, err, c.want)
		}
	}
	for _, c := range []struct {
		starts []float32
		want   string
	}{{nil, "starts is nil"}, {[]float32{0.5}, "one start per image"}} {
		_, err := hsj.RunFrom(m, images, c.starts, crit)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("RunFrom with %d start values: error %v, want one line containing %q", len(c.starts), err, c.want)
		}
	}
}

// A classifier that only predicts is enough for every black-box attack.
var _ classifier.Predictor = (*answersOnly)(nil)

// TestQueriesAndMedianQueriesPerBudget runs Square at two budgets in one
// call: each budget keeps its own query counts, and MedianQueries(e) pairs
// budget e's successes with budget e's counts.
func TestQueriesAndMedianQueriesPerBudget(t *testing.T) {
	m := testutil.Trained(t)
	images, labels, _ := sample(t, 12)
	sq := attack.NewSquare(attack.Linf)
	sq.MaxQueries = 200
	res, err := sq.Run(m, images, attack.Misclassification{Labels: labels}, 0.05, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Queries) != 2 || len(res.Queries[0]) != len(labels) || len(res.Queries[1]) != len(labels) {
		t.Fatalf("query counts %v: want two budgets of %d images", res.Queries, len(labels))
	}
	if slices.Equal(res.Queries[0], res.Queries[1]) {
		t.Errorf("both budgets hold the same query counts %v: at ε=0.05 Square needs more queries than at ε=0.3", res.Queries[0])
	}
	for e := range res.Epsilons {
		var paid []float64
		for i, ok := range res.Success[e] {
			if ok {
				paid = append(paid, float64(res.Queries[e][i]))
			}
			if a := res.Adversarial(e, i); a.Queries != res.Queries[e][i] {
				t.Errorf("Adversarial(%d, %d).Queries = %d, Queries holds %d", e, i, a.Queries, res.Queries[e][i])
			}
		}
		want := stats.Median(paid)
		if got := res.MedianQueries(e); got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("MedianQueries(%d) = %g, want %g, the median of that budget's successes", e, got, want)
		}
	}
}
