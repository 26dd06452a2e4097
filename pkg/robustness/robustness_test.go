package robustness_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/robustness"
)

func testImages(t *testing.T, n int) ([]float32, []int) {
	test := testutil.MNIST(t).Test
	return test.Images[:n*mnist.Pixels], test.Labels[:n]
}

func lightPGD() *attack.PGD {
	pgd := attack.NewPGD(attack.Linf)
	pgd.Steps = 10
	pgd.RelStepSize = 0.15
	return pgd
}

func TestEvaluateTakesTheWorstCase(t *testing.T) {
	testutil.Slow(t)
	m := testutil.Trained(t)
	images, labels := testImages(t, 60)
	epsilons := []float64{0, 0.05, 0.1, 0.3}
	r, err := robustness.Evaluate(m, images, labels, []attack.Attack{attack.NewFGSM(), lightPGD()}, epsilons...)
	if err != nil {
		t.Fatal(err)
	}
	_, clean, err := m.Evaluate(images, labels)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.CleanAccuracy-clean) > 1e-9 || r.RobustAccuracy[0] != r.CleanAccuracy {
		t.Errorf("clean accuracy %g (model says %g), robust at ε=0 %g", r.CleanAccuracy, clean, r.RobustAccuracy[0])
	}
	for e, eps := range epsilons {
		if r.AfterAttack[0][e] < r.AfterAttack[1][e] || r.AfterAttack[1][e] != r.RobustAccuracy[e] {
			t.Errorf("ε=%g: robust accuracy after each attack %g, %g; worst case %g", eps, r.AfterAttack[0][e], r.AfterAttack[1][e], r.RobustAccuracy[e])
		}
		if e > 0 && r.RobustAccuracy[e] > r.RobustAccuracy[e-1] {
			t.Errorf("robust accuracy rises from %g to %g as ε grows to %g", r.RobustAccuracy[e-1], r.RobustAccuracy[e], eps)
		}
		classes, _, err := m.Classify(r.Adversarials[e])
		if err != nil {
			t.Fatal(err)
		}
		for i := range r.N {
			image := mnist.Geometry.Image(r.Adversarials[e], i)
			switch {
			case r.Robust[e][i] && (classes[i] != labels[i] || r.FooledBy[e][i] != -1):
				t.Errorf("ε=%g image %d: robust, but predicted %d (label %d), fooled by %d", eps, i, classes[i], labels[i], r.FooledBy[e][i])
			case r.FooledBy[e][i] >= 0 && classes[i] == labels[i]:
				t.Errorf("ε=%g image %d: fooled by attack %d, yet its adversarial is classified right", eps, i, r.FooledBy[e][i])
			}
			if d := attack.Linf.Measure(mnist.Geometry.Image(images, i), image); d > eps+1e-6 {
				t.Errorf("ε=%g image %d: adversarial at L∞ %g", eps, i, d)
			}
		}
	}
	if r.RobustAccuracy[3] > 0.2 {
		t.Errorf("robust accuracy %g at ε=0.3: the article's linear model should fall", r.RobustAccuracy[3])
	}
	n, robust := 0, 0.0
	for _, c := range r.PerClass {
		n += c.N
		robust += c.RobustAccuracy[2] * float64(c.N)
	}
	if n != r.N || math.Abs(robust/float64(n)-r.RobustAccuracy[2]) > 1e-9 {
		t.Errorf("per-class breakdown covers %d images and averages to %g, overall %g", n, robust/float64(n), r.RobustAccuracy[2])
	}
	for _, c := range r.Sanity {
		if !c.Passed {
			t.Errorf("sanity check failed on the article's model: %v", c)
		}
	}
	if len(r.Sanity) < 6 {
		t.Errorf("only %d sanity checks: %v", len(r.Sanity), r.Sanity)
	}
	// The agreement check counts verdicts, not images: two attacks at three
	// budgets judge more verdicts than there are images, and it says so.
	for _, c := range r.Sanity {
		if c.Name != "attack verdicts agree with re-prediction" {
			continue
		}
		var agree, judged int
		if _, err := fmt.Sscanf(c.Detail, "%d of %d verdicts (one per attack, budget and image it judged)", &agree, &judged); err != nil || judged <= r.N || agree != judged {
			t.Errorf("agreement check %q on %d images: want all of more than %d verdicts, counted as verdicts", c.Detail, r.N, r.N)
		}
	}
}

// outputsProbabilities is the article's CNN whose "logits" are its
// probabilities: a classic mistake that flattens every loss. (It embeds the
// Differentiable interface, not *cnn.Model, so that the CNN's own gradient
// does not bypass the changed Logits.)
type outputsProbabilities struct{ classifier.Differentiable }

func (o outputsProbabilities) Logits(scope *model.Scope, images *Node) *Node {
	return Softmax(o.Differentiable.Logits(scope, images), -1)
}

// mostlyProbabilities returns probabilities as its "logits", but for its
// first image, whose row it doubles: one row that does not sum to 1 must
// not hide the others.
type mostlyProbabilities struct{ classifier.Differentiable }

func (o mostlyProbabilities) Logits(scope *model.Scope, images *Node) *Node {
	p := Softmax(o.Differentiable.Logits(scope, images), -1)
	first := ConvertDType(Equal(Iota(p.Graph(), shapes.Make(p.DType(), p.Shape().Dimensions[0], 1), 0), ScalarZero(p.Graph(), p.DType())), p.DType())
	return Mul(p, AddScalar(first, 1))
}

// hidesGradients stops gradients at its input: gradient masking at its
// crudest.
type hidesGradients struct{ classifier.Differentiable }

func (h hidesGradients) Logits(scope *model.Scope, images *Node) *Node {
	return h.Differentiable.Logits(scope, StopGradient(images))
}

// noisy answers every query with fresh noise added.
type noisy struct {
	classifier.Differentiable
	rng *rand.Rand
}

func (n noisy) Predict(images []float32) ([][]float32, error) {
	probs, err := n.Differentiable.Predict(images)
	for _, row := range probs {
		row[0] += float32(n.rng.Float64() * 1e-3)
	}
	return probs, err
}

// liar claims to fool every image but returns them unchanged.
type liar struct{ attack.Attack }

func (l liar) Run(m classifier.Predictor, images []float32, crit attack.Criterion, epsilons ...float64) (*attack.Result, error) {
	res, err := l.Attack.Run(m, images, crit, epsilons...)
	if err != nil {
		return nil, err
	}
	for e := range res.Epsilons {
		for i := range res.Claimed[e] {
			res.Claimed[e][i] = true
		}
	}
	return res, nil
}

// overstep is a fixed-budget attack with a real bug: its signed step is
// twice its budget (FGSM run at 2ε), and it clips only the images it
// returns as clipped, as an attack written without the attack package's
// bookkeeping might.
type overstep struct{}

func (overstep) Norm() attack.Distance { return attack.Linf }
func (overstep) String() string        { return "FGSM stepping 2ε" }

func (overstep) Run(m classifier.Predictor, images []float32, crit attack.Criterion, epsilons ...float64) (*attack.Result, error) {
	doubled := make([]float64, len(epsilons))
	for e, eps := range epsilons {
		doubled[e] = 2 * eps
	}
	res, err := attack.NewFGSM().Run(m, images, crit, doubled...)
	if err != nil {
		return nil, err
	}
	g := res.Geometry
	res.Epsilons = epsilons
	for e, eps := range epsilons {
		for i := range res.N() {
			copy(g.Image(res.Clipped[e], i), attack.Linf.Clip(g.Image(res.Originals, i), g.Image(res.Raw[e], i), eps))
		}
	}
	return res, nil
}

func TestSanityChecksCatchProblems(t *testing.T) {
	testutil.Slow(t)
	m := testutil.Trained(t)
	images, labels := testImages(t, 20)
	failed := func(r *robustness.Report, name string) bool {
		for _, c := range r.Sanity {
			if c.Name == name {
				return !c.Passed
			}
		}
		t.Fatalf("no check named %q in %v", name, r.Sanity)
		return false
	}
	for _, tc := range []struct {
		m     classifier.Predictor
		a     attack.Attack
		check string
	}{
		{outputsProbabilities{m}, attack.NewFGSM(), "losses on logits"},
		{mostlyProbabilities{m}, attack.NewFGSM(), "losses on logits"},
		{hidesGradients{m}, attack.NewFGSM(), "non-zero gradients"},
		{noisy{m, rand.New(rand.NewPCG(1, 2))}, lightPGD(), "deterministic predictions"},
		{m, liar{attack.NewFGSM()}, "attack verdicts agree with re-prediction"},
		{m, overstep{}, "perturbations within budget"},
	} {
		r, err := robustness.Evaluate(tc.m, images, labels, []attack.Attack{tc.a}, 0.05)
		if err != nil {
			t.Fatal(err)
		}
		if !failed(r, tc.check) {
			t.Errorf("%T with %v: the check %q passed", tc.m, tc.a, tc.check)
		}
	}
}

func TestMinimalPerturbations(t *testing.T) {
	testutil.Slow(t)
	m := testutil.Trained(t)
	images, labels := testImages(t, 30)
	stats, results, err := robustness.MinimalPerturbations(m, images, labels, []attack.Attack{attack.NewDeepFool(attack.L2)}, attack.L2)
	if err != nil {
		t.Fatal(err)
	}
	s, res := stats[0], results[0]
	if !(s.Q1 <= s.Median && s.Median <= s.Q3) || s.N != 30 || s.SuccessRate != res.SuccessRate(0) {
		t.Errorf("quartiles %g ≤ %g ≤ %g, n %d, success %g", s.Q1, s.Median, s.Q3, s.N, s.SuccessRate)
	}
	for i, d := range res.Distances(0, attack.L2) {
		if res.Success[0][i] != !math.IsInf(s.Distances[i], 1) || res.Success[0][i] && d != s.Distances[i] {
			t.Errorf("image %d: distance %g, success %v, summary holds %g", i, d, res.Success[0][i], s.Distances[i])
		}
	}
}

func TestBadInput(t *testing.T) {
	m := testutil.Trained(t)
	images, labels := testImages(t, 2)
	for _, tc := range []struct {
		attacks  []attack.Attack
		labels   []int
		epsilons []float64
		want     string
	}{
		{nil, labels, []float64{0.1}, "no attacks"},
		{[]attack.Attack{attack.NewFGSM()}, labels, nil, "no budgets"},
		{[]attack.Attack{attack.NewFGSM()}, labels[:1], []float64{0.1}, "1 labels for 2 images"},
		{[]attack.Attack{attack.NewFGSM(), attack.NewFGM()}, labels, []float64{0.1}, "evaluate one norm at a time"},
		{[]attack.Attack{attack.NewFGSM()}, labels, []float64{-1}, "ε -1 is not a budget"},
	} {
		_, err := robustness.Evaluate(m, images, tc.labels, tc.attacks, tc.epsilons...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want an error containing %q", err, tc.want)
		}
	}
}

func TestMissedBy(t *testing.T) {
	testutil.Slow(t)
	m := testutil.Trained(t)
	images, labels := testImages(t, 60)
	criterion := attack.Misclassification{Labels: labels}
	fgsm, err := robustness.Evaluate(m, images, labels, []attack.Attack{attack.NewFGSM()}, 0.05, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	// An attack misses nothing of its own.
	own, err := attack.NewFGSM().Run(m, images, criterion, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	if missed, err := fgsm.MissedBy(own); err != nil || missed != 0 {
		t.Errorf("FGSM missed %d images FGSM fools (err %v)", missed, err)
	}
	// PGD finds images FGSM left: at least as many as the drop in robust
	// accuracy, at most the images FGSM left robust.
	pgd, err := lightPGD().Run(m, images, criterion, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	missed, err := fgsm.MissedBy(pgd)
	if err != nil {
		t.Fatal(err)
	}
	robustFGSM := int(math.Round(fgsm.RobustAccuracy[1] * 60))
	robustPGD := int(math.Round((1 - pgd.SuccessRate(0)) * 60))
	if missed == 0 || missed < robustFGSM-robustPGD || missed > robustFGSM {
		t.Errorf("PGD fooled %d images FGSM left; FGSM left %d robust, PGD %d", missed, robustFGSM, robustPGD)
	}
	// Only the first images: counted on them alone.
	first, err := lightPGD().Run(m, images[:20*mnist.Pixels], attack.Misclassification{Labels: labels[:20]}, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := fgsm.MissedBy(first); err != nil || n > min(missed, 20) {
		t.Errorf("on the first 20 images PGD fooled %d FGSM left (err %v), on all 60 %d", n, err, missed)
	}
	for _, tc := range []struct {
		res  *attack.Result
		want string
	}{
		{nil, "give the result of an attack's Run"},
		{must(attack.NewFGSM().Run(m, images, criterion, 0.3)), "budget 0.3 is not among the report's [0.05 0.1]"},
		{must(attack.NewFGSM().Run(m, images, criterion, 0.05, 0.1)), "holds 2 budgets"},
		{must(attack.NewFGM().Run(m, images, criterion, 0.1)), "compare one norm"},
	} {
		if _, err := fgsm.MissedBy(tc.res); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want an error containing %q", err, tc.want)
		}
	}
	more, moreLabels := testImages(t, 61)
	if _, err := fgsm.MissedBy(must(attack.NewFGSM().Run(m, more, attack.Misclassification{Labels: moreLabels}, 0.1))); err == nil || !strings.Contains(err.Error(), "covers 61 images, the report 60") {
		t.Errorf("got %v for more images than the report's", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// predictionsOnly hides a model's gradients behind its Predict.
type predictionsOnly struct{ m classifier.Predictor }

func (p predictionsOnly) Geometry() classifier.Geometry { return p.m.Geometry() }
func (p predictionsOnly) Predict(images []float32) ([][]float32, error) {
	return p.m.Predict(images)
}

// silent is an attack of a user's own that gives no verdicts of its own
// (its results leave Claimed unset).
type silent struct{ attack.Attack }

func (s silent) Run(m classifier.Predictor, images []float32, crit attack.Criterion, epsilons ...float64) (*attack.Result, error) {
	res, err := s.Attack.Run(m, images, crit, epsilons...)
	if err != nil {
		return nil, err
	}
	res.Claimed = nil
	return res, nil
}

// A check that cannot run is shown as skipped, neither passed nor failed,
// and an attack whose results carry no verdicts is counted apart rather
// than crashing the evaluation.
func TestSkippedChecksAndResultsWithoutVerdicts(t *testing.T) {
	m := testutil.Trained(t)
	images, labels := testImages(t, 4)
	check := func(r *robustness.Report, name string) robustness.Check {
		for _, c := range r.Sanity {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("no check named %q in %v", name, r.Sanity)
		return robustness.Check{}
	}
	square := attack.NewSquare(attack.Linf)
	square.MaxQueries = 20
	r, err := robustness.Evaluate(predictionsOnly{m}, images, labels, []attack.Attack{square}, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	if c := check(r, "non-zero gradients"); c.Passed || !c.Skipped || c.Failed() || !strings.HasPrefix(c.String(), "– non-zero gradients: skipped: ") {
		t.Errorf("the gradient check of a model without gradients: %+v, %q; want skipped", c, c)
	}
	r, err = robustness.Evaluate(m, images, labels, []attack.Attack{silent{attack.NewFGSM()}}, 0.1)
	if err != nil {
		t.Fatalf("an attack without verdicts: %v", err)
	}
	if c := check(r, "attack verdicts agree with re-prediction"); !c.Skipped || c.Failed() || !strings.Contains(c.Detail, "Claimed unset") {
		t.Errorf("no verdicts at all: %+v; want the check skipped, saying why", c)
	}
	r, err = robustness.Evaluate(m, images, labels, []attack.Attack{silent{attack.NewFGSM()}, liar{lightPGD()}}, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	if c := check(r, "attack verdicts agree with re-prediction"); !c.Failed() || !strings.Contains(c.Detail, "gave no verdict") {
		t.Errorf("a lying attack beside a silent one: %+v; want the check failed, the silent results counted apart", c)
	}
}

// counted counts the searches of a minimal attack.
type counted struct {
	attack.Attack
	runs *int
}

func (c counted) Run(m classifier.Predictor, images []float32, crit attack.Criterion, epsilons ...float64) (*attack.Result, error) {
	*c.runs++
	return c.Attack.Run(m, images, crit, epsilons...)
}

// A minimal attack searches once for every budget of an evaluation, and
// the evaluation is the one each budget would have on its own.
func TestMinimalAttackSearchesOnce(t *testing.T) {
	m := testutil.Trained(t)
	images, labels := testImages(t, 6)
	epsilons := []float64{0.02, 0.08, 0.3}
	runs := 0
	fgsm := attack.NewFGSM()
	deepfool := counted{attack.NewDeepFool(attack.Linf), &runs}
	r, err := robustness.Evaluate(m, images, labels, []attack.Attack{fgsm, deepfool}, epsilons...)
	if err != nil {
		t.Fatal(err)
	}
	if runs != 1 {
		t.Errorf("DeepFool searched %d times for %d budgets, want once", runs, len(epsilons))
	}
	for e, eps := range epsilons {
		alone, err := robustness.Evaluate(m, images, labels, []attack.Attack{fgsm, attack.NewDeepFool(attack.Linf)}, eps)
		if err != nil {
			t.Fatal(err)
		}
		for k := range r.AfterAttack {
			if r.AfterAttack[k][e] != alone.AfterAttack[k][0] {
				t.Errorf("ε %g after attack %d: %g with every budget, %g alone", eps, k, r.AfterAttack[k][e], alone.AfterAttack[k][0])
			}
		}
		for i := range r.Robust[e] {
			if r.Robust[e][i] != alone.Robust[0][i] || r.FooledBy[e][i] != alone.FooledBy[0][i] {
				t.Errorf("ε %g image %d: robust %v by %d with every budget, %v by %d alone", eps, i, r.Robust[e][i], r.FooledBy[e][i], alone.Robust[0][i], alone.FooledBy[0][i])
			}
		}
	}
	if r.RobustAccuracy[0] == r.RobustAccuracy[2] {
		t.Errorf("robust accuracy %v: the budgets should part the images", r.RobustAccuracy)
	}
}
